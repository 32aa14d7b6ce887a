"""The RBM model: free energy, conditionals and exact likelihoods against brute-force sums over
all (v, h), and one-line InputErrors for bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from gpurg.errors import InputError
from gpurg.rbm import MAX_EXACT_VISIBLE, RBM, unit_states
from gpurg.rbm import conditionals as cond

UNIT_PAIRS = list(itertools.product(("pm1", "01"), repeat=2))  # (visible, hidden)


def _random_rbm(n_v: int, n_h: int, units: tuple[str, str], seed: int = 0,
                scale: float = 0.8) -> RBM:
    rng = np.random.default_rng(seed)
    return RBM(rng.normal(0, scale, (n_v, n_h)), rng.normal(0, 0.5, n_v),
               rng.normal(0, 0.5, n_h), visible_units=units[0], hidden_units=units[1],
               device="numpy")


def _energies(rbm: RBM) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """E(v, h) of every pair by the definition: (2^n_v, 2^n_h), with the states."""
    vs = unit_states(rbm.n_visible, rbm.visible_units).astype(float)
    hs = unit_states(rbm.n_hidden, rbm.hidden_units).astype(float)
    E = np.array([[-(v @ rbm.W @ h) - rbm.a @ v - rbm.b @ h for h in hs] for v in vs])
    return E, vs, hs


def test_unit_states() -> None:
    s = unit_states(3, "pm1")
    assert s.dtype == np.int8 and s.shape == (8, 3)
    np.testing.assert_array_equal(s[5], [1, -1, 1])  # 5 = 0b101
    np.testing.assert_array_equal(unit_states(3, "01")[6], [0, 1, 1])
    assert len({row.tobytes() for row in unit_states(4, "01")}) == 16


@pytest.mark.parametrize("units", UNIT_PAIRS)
def test_free_energy_is_minus_log_sum_over_hidden(units) -> None:
    rbm = _random_rbm(5, 3, units)
    E, vs, _ = _energies(rbm)
    expected = -np.log(np.exp(-E).sum(axis=1))
    np.testing.assert_allclose(rbm.free_energy(vs), expected, rtol=1e-12, atol=1e-12)
    # E(v, h) by the method, for one h per v
    hs = unit_states(3, units[1])
    np.testing.assert_allclose(rbm.energy(vs, hs[np.arange(len(vs)) % 8]),
                               E[np.arange(len(vs)), np.arange(len(vs)) % 8], atol=1e-12)


@pytest.mark.parametrize("units", UNIT_PAIRS)
def test_exact_likelihood_is_the_brute_force_sum(units) -> None:
    rbm = _random_rbm(5, 3, units, seed=1)
    E, vs, _ = _energies(rbm)
    log_z = np.log(np.exp(-E).sum())
    assert rbm.log_partition_exact() == pytest.approx(log_z, rel=1e-13)
    p_v = np.exp(-E).sum(axis=1) / np.exp(-E).sum()
    np.testing.assert_allclose(rbm.log_likelihood_exact(vs), np.log(p_v), rtol=1e-12)
    np.testing.assert_allclose(rbm.visible_distribution_exact(), p_v, rtol=1e-12)


def test_exact_sums_span_several_blocks(monkeypatch) -> None:
    """log Z over blocks of states equals the single-block sum."""
    from gpurg.rbm import model

    rbm = _random_rbm(9, 4, ("pm1", "01"), seed=2)
    whole = rbm.log_partition_exact()
    monkeypatch.setattr(model, "_CHUNK", 7)
    assert rbm.log_partition_exact() == pytest.approx(whole, rel=1e-14)
    assert rbm.visible_distribution_exact().sum() == pytest.approx(1.0, rel=1e-13)


@pytest.mark.parametrize("units", UNIT_PAIRS)
def test_conditionals_match_brute_force(units) -> None:
    rbm = _random_rbm(4, 3, units, seed=3)
    E, vs, hs = _energies(rbm)
    on_v, on_h = 1.0, 1.0
    w = np.exp(-E)
    p_h = (w @ (hs == on_h)) / w.sum(axis=1, keepdims=True)  # P(h_j on | v), (2^n_v, n_h)
    p_v = (w.T @ (vs == on_v)) / w.sum(axis=0)[:, None]  # P(v_i on | h), (2^n_h, n_v)
    np.testing.assert_allclose(rbm.hidden_probabilities(vs), p_h, rtol=1e-12)
    np.testing.assert_allclose(rbm.visible_probabilities(hs), p_v, rtol=1e-12)
    mean_h = (w @ hs) / w.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(rbm.hidden_means(vs), mean_h, rtol=1e-12, atol=1e-15)


def test_batched_probabilities_match_single_rbms() -> None:
    rbms = [_random_rbm(6, 5, ("pm1", "01"), seed=s) for s in range(3)]
    v = unit_states(6, "pm1")[np.random.default_rng(0).integers(0, 64, (3, 10))]
    W = np.stack([r.W for r in rbms])
    p = cond.hidden_probabilities(v, W, np.stack([r.b for r in rbms]), units="01")
    assert p.shape == (3, 10, 5)
    h = (p > 0.5).astype(np.int8)
    q = cond.visible_probabilities(h, W, np.stack([r.a for r in rbms]), units="pm1")
    assert q.shape == (3, 10, 6)
    for m, r in enumerate(rbms):
        np.testing.assert_allclose(p[m], r.hidden_probabilities(v[m]), rtol=1e-14)
        np.testing.assert_allclose(q[m], r.visible_probabilities(h[m]), rtol=1e-14)


def test_free_energy_is_stable_for_large_fields() -> None:
    W = np.array([[800.0, -900.0], [700.0, 5.0]])
    for hidden in ("pm1", "01"):
        rbm = RBM(W, [1.0, -2.0], [0.0, 300.0], hidden_units=hidden, visible_units="pm1",
                  device="numpy")
        v = np.array([[1, 1], [1, -1], [-1, -1]])
        f = rbm.free_energy(v)
        assert np.isfinite(f).all()
        x = v @ W + rbm.b  # every |x| > 100: log(2 cosh x) = |x|, log(1 + e^x) = max(x, 0)
        soft = np.abs(x) if hidden == "pm1" else np.maximum(x, 0)
        np.testing.assert_allclose(f, -(v @ rbm.a) - soft.sum(axis=1), rtol=1e-14)
        p = rbm.hidden_probabilities(v)
        assert ((p < 1e-100) | (p == 1.0)).all()
        assert np.isfinite(rbm.log_partition_exact())


def test_exact_sums_limit() -> None:
    big = RBM.random(MAX_EXACT_VISIBLE, 2, seed=1, device="numpy")
    assert np.isfinite(big.log_partition_exact())
    too_big = RBM.random(MAX_EXACT_VISIBLE + 1, 2, device="numpy")
    for call in (too_big.log_partition_exact, too_big.visible_distribution_exact,
                 lambda: too_big.log_likelihood_exact(np.ones((1, 21)))):
        with pytest.raises(InputError, match="n_v must be <= 20") as err:
            call()
        assert "\n" not in str(err.value)


def test_random_and_copy() -> None:
    a = RBM.random(5, 3, scale=0.1, seed=4, device="numpy")
    b = RBM.random(5, 3, scale=0.1, seed=4, device="numpy")
    np.testing.assert_array_equal(a.W, b.W)
    assert not np.array_equal(a.W, RBM.random(5, 3, scale=0.1, seed=5, device="numpy").W)
    c = a.copy()
    c.W += 1.0
    np.testing.assert_array_equal(a.W, b.W)
    assert (a.n_visible, a.n_hidden) == (5, 3)
    assert a.W.dtype == np.float64 and (a.a == 0).all() and (a.b == 0).all()


BAD_MODELS = [
    (lambda: RBM(np.zeros(3), np.zeros(3), np.zeros(1)), "must be W \\(n_v, n_h\\)"),
    (lambda: RBM(np.zeros((3, 2)), np.zeros(2), np.zeros(2)), "must be W \\(n_v, n_h\\)"),
    (lambda: RBM(np.zeros((3, 2)), np.zeros(3), np.zeros(3)), "must be W \\(n_v, n_h\\)"),
    (lambda: RBM(np.zeros((3, 0)), np.zeros(3), np.zeros(0)), "1 to"),
    (lambda: RBM(np.full((2, 2), np.nan), np.zeros(2), np.zeros(2)), "finite"),
    (lambda: RBM(np.zeros((2, 2)), np.zeros(2), np.zeros(2), visible_units="ising"),
     "unknown unit type 'ising'"),
    (lambda: RBM(np.zeros((2, 2)), np.zeros(2), np.zeros(2), hidden_units="binary"),
     "unknown unit type 'binary'"),
    (lambda: RBM(np.zeros((2, 2)), np.zeros(2), np.zeros(2), device="tpu"), "unknown device"),
]


@pytest.mark.parametrize(("make", "message"), BAD_MODELS)
def test_bad_models_raise_one_line_input_errors(make, message) -> None:
    with pytest.raises(InputError, match=message) as err:
        make()
    assert "\n" not in str(err.value)


def test_bad_states_raise_one_line_input_errors() -> None:
    rbm = _random_rbm(4, 2, ("pm1", "01"))
    key = (1, 2)
    cases = [
        (lambda: rbm.free_energy(np.zeros((3, 4))), "only the values -1, 1"),
        (lambda: rbm.free_energy(np.ones((3, 5))), "shape \\(n, 4\\)"),
        (lambda: rbm.free_energy(np.ones(4)), "shape \\(n, 4\\)"),
        (lambda: rbm.free_energy(np.full((1, 4), 0.5)), "integer unit values"),
        (lambda: rbm.hidden_probabilities(np.full((1, 4), 3)), "only the values"),
        (lambda: rbm.visible_probabilities(-np.ones((2, 2))), "only the values 0, 1"),
        (lambda: rbm.energy(np.ones((2, 4)), np.ones((3, 2))), "same number of rows"),
        (lambda: rbm.sample_hidden(np.ones((2, 4)), key, -1), "counter must be in"),
        (lambda: rbm.sample_visible(np.ones((2, 2)), key, 2**32), "counter must be in"),
        (lambda: cond.sample_hidden(np.ones((1, 2, 4)), np.zeros((1, 3, 2)), np.zeros((1, 2)),
                                    key, 0), "shapes do not match"),
        (lambda: cond.sample_visible(np.ones((1, 2, 2)), np.zeros((1, 4, 2)), np.zeros((1, 2)),
                                     key, 0), "shapes do not match"),
        (lambda: cond.sample_hidden(np.ones((2, 4)), np.zeros((1, 4, 2)), np.zeros((1, 2)),
                                    key, 0), "expected inputs"),
        (lambda: cond.sample_hidden(np.ones((1, 2, 4)), np.zeros((1, 4, 2)), np.zeros((1, 2)),
                                    key, 0, units="spin"), "unknown unit type"),
        (lambda: cond.sample_hidden(np.full((1, 2, 4), 2), np.zeros((1, 4, 2)),
                                    np.zeros((1, 2)), key, 0), "-1, 0, \\+1"),
        (lambda: cond.sample_hidden(np.ones((1, 0, 4)), np.zeros((1, 4, 2)), np.zeros((1, 2)),
                                    key, 0), "empty"),
    ]
    for call, message in cases:
        with pytest.raises(InputError, match=message) as err:
            call()
        assert "\n" not in str(err.value)
