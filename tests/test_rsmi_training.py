"""The variational MI estimator and rule training, against exact mutual informations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gpurg.errors import InputError
from gpurg.models.ising_exact import K_C, T_C
from gpurg.rsmi import variational
from gpurg.rsmi.coarse import coarse_grain, tiles
from gpurg.rsmi.estimators import WEIGHT_DECAY
from gpurg.rsmi.exact import (
    chain_mutual_information,
    chain_rule_information,
    ising_local_information,
    sample_chain,
)
from gpurg.rsmi.geometry import Geometry, extract_pairs
from gpurg.rsmi.rule import CoarseGrainingRule
from gpurg.rsmi.start import standardization
from gpurg.rsmi.training import train_rule
from gpurg.sampling import ising_configurations

SIGMAS = 4.0


@pytest.fixture(scope="module")
def critical_ising() -> np.ndarray:
    """640 independent-ish 32 x 32 Ising configurations at T_c (Swendsen-Wang)."""
    return ising_configurations(32, T_C, seed=1, device="cpu")


def test_gradients_match_finite_differences() -> None:
    """Every one of the 69 gradient entries (filters 2x4, bias 2, w1 6x5, c1 5, w2 5x4, c2 4),
    at a non-zero bias, against central differences (step 1e-6: truncation ~ 1e-12, rounding
    ~ 1e-10, far inside rel 1e-5); with ``symmetric`` the bias gradient is zero and the others
    unchanged. Catches a bug in any single entry: rows 1 and 2 of the w1 gradient swapped (the
    corners that the former 12-entry check sampled are untouched) fails here."""
    rng = np.random.default_rng(3)
    V = rng.choice([-1.0, 1.0], size=(50, 4))
    E = rng.choice([-1.0, 1.0], size=(50, 6))
    rule = CoarseGrainingRule(rng.normal(0.0, 0.25, (2, 4)), rng.normal(size=2))
    params = variational.initial_parameters(rule, 6, 5, rng, np)
    for name in ("c1", "c2"):  # away from the initial zeros, so that every entry matters
        setattr(params, name, rng.normal(0.0, 0.3, getattr(params, name).shape))
    _, grads = variational.bound_gradients(params, V, E, symmetric=False)
    assert sum(g.size for g in grads.values()) == 69
    for name in params.NAMES:
        array = getattr(params, name)
        numeric = np.empty_like(array)
        for index in np.ndindex(array.shape):
            old = array[index]
            array[index] = old + 1e-6
            up = variational.mutual_information_bound(params, V, E)
            array[index] = old - 1e-6
            down = variational.mutual_information_bound(params, V, E)
            array[index] = old
            numeric[index] = (up - down) / 2e-6
        np.testing.assert_allclose(grads[name], numeric, rtol=1e-5, atol=1e-9, err_msg=name)
        assert np.abs(numeric).max() > 1e-4, name  # the check is not vacuous
    _, sym = variational.bound_gradients(params, V, E, symmetric=True)
    assert not sym["bias"].any()
    for name in params.NAMES:
        if name != "bias":
            np.testing.assert_array_equal(sym[name], grads[name], err_msg=name)


def _chain_pairs(K: float, n_chains: int = 4000, length: int = 60, seed: int = 2):
    """(V, E) of the 1D chain geometry: V two neighbours, E the spins two sites beyond."""
    s = sample_chain(K, n_chains, length, seed)
    i = np.arange(3, length - 4)
    V = np.stack([s[:, i], s[:, i + 1]], axis=-1).reshape(-1, 2)
    E = np.stack([s[:, i - 2], s[:, i + 3]], axis=-1).reshape(-1, 2)
    return V, E


@pytest.mark.parametrize("name", ["decimation", "majority"])
def test_variational_estimate_of_a_fixed_rule_matches_the_exact_chain(name) -> None:
    """A fixed rule on the 1D chain (K = 1): the estimate equals its exact I_Λ(H:E)."""
    K = 1.0
    filters = {"decimation": [[20.0, 0.0]], "majority": [[20.0, 20.0]]}[name]
    rule = CoarseGrainingRule(filters, [0.0])
    exact = chain_rule_information(K, rule.filters, rule.bias)
    V, E = _chain_pairs(K)
    result = train_rule(V, E, rule=rule, symmetric=True, epochs=8, restarts=1, width=8,
                        seed=4)
    assert abs(result.mi - exact) <= SIGMAS * result.mi_err, (result.mi, result.mi_err, exact)
    assert exact <= chain_mutual_information(K)


def test_fixed_filter_matches_the_exact_local_conditional(critical_ising) -> None:
    """2D Ising at T_c, 2x2 block, no buffer: the variational estimate of a fixed uniform
    filter against its exact I_Λ(H:E) from the local conditional P(V|E)."""
    geometry = Geometry(2, 0, 1)
    V, E = extract_pairs(critical_ising, geometry, positions=120_000, seed=7)
    rule = CoarseGrainingRule(np.ones((1, 4)), np.zeros(1))
    exact, exact_err = ising_local_information(K_C, geometry, rule.filters, rule.bias, E)
    result = train_rule(V, E, rule=rule, symmetric=True, epochs=15, restarts=1, seed=2)
    error = math.hypot(result.mi_err, exact_err)
    assert abs(result.mi - exact) <= SIGMAS * error, (result.mi, exact, error)


def test_held_out_error_matches_the_spread_over_independent_data_sets() -> None:
    """The reported mi_err is the real spread of the estimate when the pairs are correlated:
    60 independent data sets (Ising at T_c, 16^2 spins, 32 independent Swendsen-Wang chains,
    every block position of each: 256 overlapping pairs per configuration, 64 of them held
    out), a fixed uniform 2x2 rule (train_rule fits the predictor only), and the spread s of
    the 60 MI estimates against the rms of their mi_err. With correct errors (k - 1) s^2 /
    err^2 is chi^2_{k-1}; the band is its 4σ two-sided tails (probability 3.2e-5 each:
    s / err in [0.65, 1.38] for k = 60), widened by 4 standard errors of the rms error itself.

    Measured s / err: 0.99 on these seeds (data sets 0-59); 0.78-1.14 (mean 0.93) over ten
    ranges of 60 seeds, band [0.52-0.57, 1.57-1.74]. Broken variants, same data sets: the
    held-out pairs in shuffled order (the former split: each batch a near-independent draw
    of all configurations) 2.44 here, 1.82-2.47 on four ranges (band upper edge 1.54); the
    bound's marginal entropy recomputed per batch instead of held at the full P̄ (batches of
    two configurations, whose magnetisation swings it) 0.59 here, 0.46 on seeds 1000-1059
    (band lower edge 0.61)."""
    from scipy.stats import chi2, norm

    k, tail = 60, norm.sf(4.0)
    geometry = Geometry(2, 0, 1)
    rule = CoarseGrainingRule(np.ones((1, 4)), np.zeros(1))
    mi, err = np.empty(k), np.empty(k)
    for s in range(k):
        configs = ising_configurations(16, T_C, replicas=32, samples=1, seed=s, device="cpu")
        V, E = extract_pairs(configs, geometry)
        result = train_rule(V, E, rule=rule, epochs=20, width=8, restarts=1, patience=None,
                            seed=s)
        mi[s], err[s] = result.mi, result.mi_err
    rms = math.sqrt(float((err**2).mean()))
    rms_rel_err = float((err**2).std(ddof=1)) / (2 * float((err**2).mean()) * math.sqrt(k))
    ratio = float(mi.std(ddof=1)) / rms
    low = math.sqrt(chi2.ppf(tail, k - 1) / (k - 1)) / (1 + SIGMAS * rms_rel_err)
    high = math.sqrt(chi2.isf(tail, k - 1) / (k - 1)) * (1 + SIGMAS * rms_rel_err)
    assert low <= ratio <= high, (ratio, low, high, mi.std(ddof=1), rms)


def _held_out(n: int, seed: int, held_out: float = 0.25) -> np.ndarray:
    """The held-out rows train_rule scores its reported MI on, in its order (its split: the
    first round(held_out n) entries of default_rng(seed).permutation(n), sorted, so that
    batch means run over consecutive configurations)."""
    return np.sort(np.random.default_rng(seed).permutation(n)[:int(round(held_out * n))])


def _paired(a: np.ndarray, b: np.ndarray, n_batches: int = 16) -> tuple[float, float]:
    """Mean of the per-sample difference a - b and its batch-means standard error (the
    estimate and error of :mod:`gpurg.rsmi.exact`, for a difference on the same samples)."""
    d = a - b
    means = np.array([x.mean() for x in np.array_split(d, n_batches)])
    return float(d.mean()), float(means.std(ddof=1) / math.sqrt(n_batches))


@pytest.mark.slow
def test_one_hidden_unit_learns_the_uniform_block_spin(critical_ising) -> None:
    """Ising at T_c, 2x2 block, no buffer, one unit, weight decay 0.01. References are exact
    (gpurg.rsmi.exact: P(V|E) enumerated on the held-out environments):

    * the reported MI equals the exact I_Λ(H:E) of the learned filter on the same held-out
      pairs within 4σ (σ: both errors in quadrature, conservative since they share the
      samples; the known bias of the Barber-Agakov bound, q imperfect, is below: measured
      -0.0008 against σ = 0.0028);
    * the filter (canonical: positive total weight) has all four weights positive with
      largest / smallest <= 1.2 (a staggered (1, 1, -1, -1) fails);
    * its exact MI beats decimation (one spin, weight 50) by more than 5σ (paired per-sample
      differences on the same environments; measured 0.058 ± 0.0007);
    * majority rule (uniform, weight 50, random tie-break) keeps more, 0.476 against 0.467:
      the known price of the weight decay, which keeps the rule soft (training.py). The right
      reference is therefore the optimum of the penalised objective J(λ) = I(λ) - 0.005 |λ|^2
      (the default weight decay, σ_i = 1)
      over uniform filters w (1, 1, 1, 1), found exactly on the same environments: the learned
      filter's J equals it within 4σ (paired; measured shortfall 4e-5, σ ≈ 4e-5).

    Checked against broken variants, on this run's numbers: the exact MI at a wrong
    temperature (1.05 K_c) misses the reported MI by 5.8σ, and a decimation filter
    (2, 0, 0, 0) returned in place of the learned one by 35σ (and fails the filter check)."""
    from scipy.optimize import minimize_scalar

    from gpurg.rsmi.exact import ising_block_conditional, spin_states
    from gpurg.rsmi.rule import rule_probabilities

    geometry = Geometry(2, 0, 2)
    V, E = extract_pairs(critical_ising, geometry, positions=100_000, seed=3)
    weight_decay = WEIGHT_DECAY
    result = train_rule(V, E, 1, symmetric=True, epochs=30, restarts=2, seed=1,
                        weight_decay=weight_decay)
    w = result.rule.filters[0]
    assert (w > 0).all(), w
    assert w.max() / w.min() <= 1.2, w

    E_test = E[_held_out(len(E), seed=1)]
    exact, exact_err = ising_local_information(K_C, geometry, result.rule.filters,
                                               result.rule.bias, E_test)
    error = math.hypot(result.mi_err, exact_err)
    assert abs(result.mi - exact) <= SIGMAS * error, (result.mi, exact, error)

    p_v = ising_block_conditional(K_C, geometry, E_test)  # (n, 16)
    states = spin_states(4).astype(np.float64)

    def kl(filters) -> np.ndarray:
        """Per-sample KL(P(H|E_n) || P(H)): the summands of the exact I_Λ(H:E)."""
        p_h = p_v @ rule_probabilities(np.asarray(filters, dtype=np.float64), np.zeros(1),
                                       states)
        return (p_h * np.log(p_h / p_h.mean(axis=0))).sum(axis=1)

    learned = kl(result.rule.filters)
    assert learned.mean() == pytest.approx(exact, rel=1e-12)
    margin, margin_err = _paired(learned, kl([[50.0, 0.0, 0.0, 0.0]]))
    assert margin > 5 * margin_err, (margin, margin_err)

    scales = standardization(V, symmetric=True).std ** 2 / 4  # σ_i² / n_v, as the driver

    def penalty(filters) -> float:
        return 0.5 * weight_decay * float((scales * np.asarray(filters) ** 2).sum())

    best = minimize_scalar(lambda s: penalty(np.full(4, s)) - kl(np.full((1, 4), s)).mean(),
                           bounds=(0.3, 3.0), method="bounded", options={"xatol": 1e-5})
    optimum = np.full((1, 4), best.x)
    shortfall, shortfall_err = _paired(kl(optimum) - penalty(optimum),
                                       learned - penalty(result.rule.filters))
    assert abs(shortfall) <= SIGMAS * shortfall_err, (shortfall, shortfall_err, best.x, w)


def test_four_hidden_units_each_read_one_spin(critical_ising) -> None:
    geometry = Geometry(2, 0, 2)
    V, E = extract_pairs(critical_ising, geometry, positions=100_000, seed=3)
    result = train_rule(V, E, 4, symmetric=True, epochs=30, restarts=1, seed=1)
    w = np.abs(result.rule.filters)
    ranked = np.sort(w, axis=1)
    assert (ranked[:, -1] > 3 * ranked[:, -2]).all(), result.rule.filters
    assert sorted(np.argmax(w, axis=1)) == [0, 1, 2, 3]  # one unit per spin


def test_coarse_graining_tiles_and_modes() -> None:
    configs = np.arange(32).reshape(2, 4, 4)
    t = tiles(configs, 2)
    assert t.shape == (2, 2, 2, 4)
    np.testing.assert_array_equal(t[0, 0, 1], [2, 3, 6, 7])
    spins = np.ones((3, 8, 8), np.int8)
    spins[1] = -1
    rule = CoarseGrainingRule(np.full((1, 4), 3.0), np.zeros(1))
    out = coarse_grain(spins, rule, 2, mode="max")
    assert out.shape == (3, 1, 4, 4) and out.dtype == np.int8
    np.testing.assert_array_equal(out[:, 0, 0, 0], [1, -1, 1])
    # ties (activation 0) are drawn: both signs appear, reproducibly
    ties = np.tile(np.array([[1, -1], [-1, 1]], np.int8), (50, 4, 4))
    a = coarse_grain(ties, rule, 2, mode="max", seed=5)
    # 800 fair coins: sigma = 0.5 / sqrt(800), bound 5 sigma (was 0.3 - 0.7, 11 sigma). A broken
    # copy breaking ties to +1 with probability 0.65 gives 0.6725: caught (the old band passed it)
    assert abs((a == 1).mean() - 0.5) < 5 * 0.5 / math.sqrt(a.size), (a == 1).mean()
    np.testing.assert_array_equal(a, coarse_grain(ties, rule, 2, mode="max", seed=5))
    assert not np.array_equal(a, coarse_grain(ties, rule, 2, mode="max", seed=5, level=1))
    with pytest.raises(InputError, match="tile"):
        coarse_grain(np.ones((1, 6, 6), np.int8), CoarseGrainingRule(np.ones((1, 16)), [0.0]),
                     4)


def test_coarse_graining_is_the_same_on_kernels_and_numpy(cpu_kernels) -> None:
    rng = np.random.default_rng(2)
    spins = rng.choice(np.array([-1, 1], np.int8), size=(20, 8, 8))
    rule = CoarseGrainingRule([[0.3, -0.2, 0.1, 0.4], [1.0, 1.0, 1.0, 1.0]], [0.1, 0.0])
    for mode in ("sample", "max"):
        a = coarse_grain(spins, rule, 2, mode=mode, seed=3, level=1, device="cpu")
        b = coarse_grain(spins, rule, 2, mode=mode, seed=3, level=1, device="numpy")
        np.testing.assert_array_equal(a, b)


def test_sampled_units_follow_their_probabilities() -> None:
    rng = np.random.default_rng(0)
    spins = rng.choice(np.array([-1, 1], np.int8), size=(400, 16, 16))
    rule = CoarseGrainingRule([[0.3, -0.2, 0.1, 0.4]], [0.1])
    out = coarse_grain(spins, rule, 2, mode="sample", seed=9)[:, 0]
    p = rule.probabilities(tiles(spins, 2).reshape(-1, 4))[:, 1].reshape(out.shape)
    n = out.size
    mean, expected = (out == 1).mean(), p.mean()
    assert abs(mean - expected) <= 5 * math.sqrt(expected * (1 - expected) / n)


def test_bad_training_input() -> None:
    V = np.ones((100, 4))
    E = np.ones((100, 8))
    with pytest.raises(InputError, match="estimator"):
        train_rule(V, E, estimator="infonce")
    with pytest.raises(InputError, match="hidden"):
        train_rule(V, E, 9)
    with pytest.raises(InputError, match="too few pairs"):
        train_rule(V[:40], E[:40])
    with pytest.raises(InputError, match="reads 2"):
        train_rule(V, E, rule=CoarseGrainingRule([[1.0, 1.0]], [0.0]))


def test_mi_thermometer_reads_back_the_temperature() -> None:
    """Calibrate MI(β) of the uniform 2x2 filter near β_c on L = 16, then read the β of an
    independent sample at β = 0.435 within 4 standard errors."""
    from gpurg.rsmi.thermometer import calibrate_thermometer, fit_line, rule_information

    geometry = Geometry(2, 0, 2)
    rule = CoarseGrainingRule(np.ones((1, 4)), np.zeros(1))
    thermo = calibrate_thermometer(rule, geometry, 16, [0.42, 0.43, 0.44, 0.45], replicas=32,
                                   sweeps=100, thermalize=50, pairs=40_000, epochs=6,
                                   seed=3, device="cpu")
    assert thermo.slope > 0  # order grows with β, and so does the information
    configs = ising_configurations(16, 1 / 0.435, replicas=32, every=10, seed=99,
                                   device="cpu")
    mi, err = rule_information(configs, rule, geometry, pairs=40_000, epochs=6, seed=5)
    beta, beta_err = thermo.read(mi, err)
    assert abs(beta - 0.435) <= SIGMAS * beta_err, (beta, beta_err)
    coef, _, chi2 = fit_line(np.array([0.0, 1.0, 2.0]), np.array([1.0, 3.0, 5.0]), np.ones(3))
    np.testing.assert_allclose(coef, [1.0, 2.0])
    assert chi2 == pytest.approx(0.0, abs=1e-20)


def test_rbm_estimate_of_a_fixed_filter_matches_the_exact_local_conditional(critical_ising
                                                                            ) -> None:
    """The RBM estimator of Koch-Janusz & Ringel (2018) on 2D Ising at T_c (2x2 block, no
    buffer): P(V|E) from a 16-hidden-unit RBM of P(V, E), the uniform filter's A_Λ on held-out
    pairs, against the exact I_Λ(H:E) of the same pairs."""
    from gpurg.rsmi.rbm_estimator import fit_joint_rbm
    from gpurg.rsmi.rbm_estimator import rule_information as rbm_rule_information

    geometry = Geometry(2, 0, 1)
    V, E = extract_pairs(critical_ising, geometry, positions=80_000, seed=7)
    rbm = fit_joint_rbm(V[:60_000], E[:60_000], 16, seed=1, epochs=20)
    f, b = np.ones((1, 4)), np.zeros(1)
    mi, err = rbm_rule_information(rbm, f, b, V[60_000:], E[60_000:])
    exact, exact_err = ising_local_information(K_C, geometry, f, b, E[60_000:])
    assert abs(mi - exact) <= SIGMAS * math.hypot(err, exact_err), (mi, err, exact)


@pytest.mark.parametrize("name", ["variational", "rbm"])
def test_runs_with_seeds_0_and_1_share_no_restart(name: str) -> None:
    """Every (seed, restart) of the driver starts from its own random numbers, for every
    estimator: the initial filters of restarts 0 and 1 of seeds 0 and 1 differ pairwise, and
    so do the Philox seeds handed to the estimator (the RBM's Gibbs steps). The former
    ``seed + restart`` scheme fails it (restart 1 of seed 0 is restart 0 of seed 1: checked by
    putting ``default_rng(seed + restart)`` and ``independent_seed(seed + restart)`` in
    gpurg.rsmi.training.fit)."""
    from gpurg.rsmi.estimators import estimators
    from gpurg.rsmi.training import fit

    starts: list[tuple[np.ndarray, int]] = []

    class Spy(estimators()[name]):  # no ``name`` of its own: not registered
        def start(self, V, E, rng, seed, rule, initial=None):
            super().start(V, E, rng, seed, rule, initial)
            filters = self.params_.filters if name == "variational" else \
                self.params_["filters"]
            starts.append((np.array(filters), seed))

    spins = sample_chain(0.5, 400, 8, seed=2)
    V, E = spins[:, 3:5], np.concatenate([spins[:, :2], spins[:, 6:]], axis=1)
    options = {"rbm_options": {"epochs": 1}, "device": "numpy"} if name == "rbm" else {}
    for seed in (0, 1):
        fit(Spy(1, epochs=1, width=2, **options), V, E, seed=seed, restarts=2)
    assert len(starts) == 4
    assert len({seed for _, seed in starts}) == 4
    for i in range(4):
        for j in range(i):
            assert not np.array_equal(starts[i][0], starts[j][0]), (i, j)


def test_coarse_grainer_fits_and_transforms_like_coarse_grain() -> None:
    """The scikit-learn-style rule object: fit on 2D Ising configurations at T_c, its rule and
    MI are train_rule's on the same pairs, and transform is coarse_grain with that rule."""
    from gpurg.rsmi.grainer import RsmiCoarseGrainer

    configs = ising_configurations(8, T_C, replicas=8, samples=4, seed=3, device="numpy")
    grainer = RsmiCoarseGrainer(block=2, buffer=0, env=1, symmetric=True, seed=4, epochs=3,
                                restarts=2, width=8)
    assert grainer.fit_configurations(configs, positions=4000) is grainer
    V, E = extract_pairs(configs, Geometry(2, 0, 1), positions=4000, seed=4)
    lib = train_rule(V, E, 1, symmetric=True, epochs=3, restarts=2, width=8, seed=4)
    np.testing.assert_array_equal(grainer.rule_.filters, lib.rule.filters)
    assert (grainer.mi_, grainer.mi_err_) == (lib.mi, lib.mi_err)
    coarse = grainer.transform(configs)
    assert coarse.shape == (len(configs), 1, 4, 4) and coarse.dtype == np.int8
    np.testing.assert_array_equal(coarse, coarse_grain(configs, lib.rule, 2, mode="max",
                                                       seed=4))
    assert grainer.get_params()["block"] == 2 and grainer.get_params()["mode"] == "max"
    with pytest.raises(InputError, match="mode"):
        RsmiCoarseGrainer(mode="vote")


def test_an_estimator_registers_itself_and_runs_through_the_driver() -> None:
    """A subclass of MIEstimator that sets ``name`` is in the registry without a list to edit
    (a module of gpurg.rsmi.estimators is imported at the first look-up), and the driver runs
    it as it runs the package's own: here a renamed variational estimator, which must give
    the same rule and MI bit for bit."""
    from gpurg.rsmi.estimators import REGISTRY, estimators
    from gpurg.rsmi.training import fit

    base = estimators()["variational"]

    class Renamed(base):
        name = "test-renamed"

    try:
        assert estimators()["test-renamed"] is Renamed
        spins = sample_chain(0.5, 400, 8, seed=4)
        V, E = spins[:, 3:5], np.concatenate([spins[:, :2], spins[:, 6:]], axis=1)
        ours = fit(Renamed(1, epochs=3, width=4), V, E, seed=5, restarts=2)
        theirs = fit(base(1, epochs=3, width=4), V, E, seed=5, restarts=2)
        assert np.array_equal(ours.rule.filters, theirs.rule.filters)
        assert (ours.mi, ours.mi_err) == (theirs.mi, theirs.mi_err)
        with pytest.raises(ValueError, match="already registered"):
            type("Other", (base,), {"name": "test-renamed"})
    finally:
        REGISTRY.remove("test-renamed")
    assert "test-renamed" not in estimators()


def test_pairs_that_would_not_fit_in_memory_are_refused(monkeypatch) -> None:
    """Training refuses, in one line naming the pair count and how many fit, pairs whose
    float copies would exceed the free memory (here pretended to be 1 GB): 200,000 3D pairs
    at buffer 8 (4824 values each) need about 24 GB. Pairs that fit train as before."""
    import gpurg.rsmi.training as training

    monkeypatch.setattr(training, "available_memory", lambda xp: 10**9)
    V = np.broadcast_to(np.int8(1), (200_000, 8))  # the shape without the memory
    E = np.broadcast_to(np.int8(1), (200_000, 4816))
    with pytest.raises(InputError, match=r"200000 pairs of 4824 values .* 24\.1 GB .* at most "
                                         r"8291 pairs"):
        train_rule(V, E, 1, epochs=1)
    rng = np.random.default_rng(0)
    small = np.where(rng.random((400, 12)) < 0.5, 1, -1).astype(np.int8)
    assert math.isfinite(train_rule(small[:, :4], small[:, 4:], 1, epochs=1, restarts=1).mi)
