"""CD-k and PCD training: on samples drawn exactly from a known 6 x 2 RBM, the exact
log-likelihood rises to within 0.02 nats of the target's, on every backend, reproducibly."""

from __future__ import annotations

import numpy as np
import pytest

from gpurg.errors import InputError
from gpurg.rbm import RBM, fit_rbm, unit_states

N_SAMPLES = 5000


def _target(units: str, scale: float) -> tuple[RBM, np.ndarray]:
    """A 6 x 2 target RBM and N_SAMPLES states drawn from its exact P(v) by enumeration."""
    rng = np.random.default_rng(3)
    target = RBM(rng.normal(0, scale, (6, 2)), rng.normal(0, 0.3, 6), rng.normal(0, 0.3, 2),
                 visible_units=units, hidden_units=units, device="numpy")
    p = target.visible_distribution_exact()
    data = unit_states(6, units)[np.random.default_rng(4).choice(64, size=N_SAMPLES, p=p)]
    return target, data


# (units, target coupling scale, persistent, learning rate, epochs). ±1 units couple 4x as
# strongly as 0/1 units for the same W, hence the smaller target couplings; PCD chains need
# the smaller step with them. Seeds 1-4 all end within 0.013 nats of the target.
CASES = [("pm1", 0.5, False, 0.05, 20), ("pm1", 0.5, True, 0.02, 20),
         ("01", 1.0, False, 0.1, 40), ("01", 1.0, True, 0.1, 40)]


@pytest.mark.parametrize(("units", "scale", "persistent", "rate", "epochs"), CASES)
def test_training_reaches_the_target_likelihood(cpu_kernels, units, scale, persistent, rate,
                                                epochs) -> None:
    target, data = _target(units, scale)
    options = dict(visible_units=units, hidden_units=units, batch_size=50, k=1,
                   persistent=persistent, learning_rate=rate, anneal=True, init_scale=0.1,
                   seed=1, device="cpu")
    history = []
    rbm = fit_rbm(data, 2, epochs=epochs, **options,
                  callback=lambda epoch, model: history.append(epoch))
    assert history == list(range(1, epochs + 1))
    initial = fit_rbm(data, 2, epochs=0, **options)
    ll_target = target.log_likelihood_exact(data).mean()
    ll_start = initial.log_likelihood_exact(data).mean()
    ll_end = rbm.log_likelihood_exact(data).mean()
    assert ll_target - ll_start > 0.1  # the start is far from the target ...
    assert ll_end > ll_start + 0.9 * (ll_target - ll_start)  # ... training closes the gap
    assert ll_end > ll_target - 0.02
    p, q = target.visible_distribution_exact(), rbm.visible_distribution_exact()
    assert (p * np.log(p / q)).sum() < 0.02  # KL(target || model) in nats


def test_same_seed_same_model_on_every_backend(cpu_kernels) -> None:
    _, data = _target("pm1", 0.5)
    options = dict(epochs=2, batch_size=64, k=2, persistent=True, momentum=0.9,
                   weight_decay=1e-3, seed=7)
    a = fit_rbm(data, 3, device="cpu", **options)
    b = fit_rbm(data, 3, device="cpu", **options)
    c = fit_rbm(data, 3, device="numpy", **options)  # the same Gibbs samples, bit for bit
    for x, y in ((a, b), (a, c)):
        for p, q in zip((x.W, x.a, x.b), (y.W, y.a, y.b), strict=True):
            np.testing.assert_array_equal(p, q)
    d = fit_rbm(data, 3, device="cpu", **{**options, "seed": 8})
    assert not np.allclose(a.W, d.W)


def test_fit_classmethod_and_initial_state() -> None:
    _, data = _target("01", 1.0)
    rbm = RBM.fit(data, 4, visible_units="01", hidden_units="01", epochs=0, init_scale=0.0,
                  device="numpy")
    assert (rbm.n_visible, rbm.n_hidden) == (6, 4) and (rbm.W == 0).all()
    # zero couplings and log-odds biases reproduce the data's means exactly
    p_on = rbm.visible_probabilities(np.zeros((1, 4), dtype=np.int8))[0]
    np.testing.assert_allclose(p_on, data.mean(axis=0), rtol=1e-12)


@pytest.mark.parametrize(("options", "message"), [
    ({"n_hidden": 0}, "n_hidden must be an integer >= 1"),
    ({"epochs": -1}, "epochs must be"),
    ({"batch_size": 0}, "batch_size must be"),
    ({"k": 0}, "k must be"),
    ({"k": 1.5}, "k must be"),
    ({"learning_rate": -0.1}, "learning_rate must be"),
    ({"learning_rate": float("nan")}, "learning_rate must be"),
    ({"momentum": 1.0}, "momentum must be a number in"),
    ({"weight_decay": -1.0}, "weight_decay must be"),
    ({"seed": -1}, "seed must be"),
    ({"visible_units": "spin"}, "unknown unit type"),
    ({"data": np.zeros((10, 6))}, "only the values -1, 1"),
    ({"data": np.ones(6)}, "shape \\(n, n_v\\)"),
    ({"epochs": 2**31, "k": 1}, "exceed the 2\\^32 call counters"),
])
def test_bad_options_raise_one_line_input_errors(options, message) -> None:
    args = {"data": np.ones((10, 6)), "n_hidden": 2, **options}
    with pytest.raises(InputError, match=message) as err:
        fit_rbm(args.pop("data"), args.pop("n_hidden"), device="numpy", **args)
    assert "\n" not in str(err.value)
