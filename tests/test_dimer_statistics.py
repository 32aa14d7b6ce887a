"""Dimer worms sample the right distribution: tests against exact enumerations of small tori
and against the known long-distance behaviour of the free model.

Tolerances are in standard errors (5 sigma, errors from independent replicas) or, for
whole distributions, a chi-squared p-value of 1e-6 (about 5 sigma). Seeds are fixed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import chi2

from gpurg.models.dimer import DimerModel, DimerSampler
from gpurg.models.dimer_encodings import winding_numbers
from gpurg.models.dimer_exact import (
    ExactDimer,
    enumerate_coverings,
    exact_reference,
    winding_sector_counts,
)
from gpurg.sampling import sample_dimer

P_MIN = 1e-6
SIGMAS = 5.0


def _snapshot(L: int, T: float, V: float, rule: str, replicas: int, sweeps: int,
              seed: int, device: str = "cpu") -> np.ndarray:
    """One covering per independent chain after ``sweeps`` sweeps: int8 (R, L, L)."""
    sampler = DimerSampler(DimerModel(L, T, V), replicas=replicas, start="random", seed=seed,
                           rule=rule, device=device)
    sampler.sweep(sweeps)
    return sampler.get_state()


def _chi2_pvalue(counts: np.ndarray, probabilities: np.ndarray) -> float:
    """Pearson chi-squared p-value; classes expected fewer than 5 times are pooled."""
    expected = counts.sum() * probabilities
    small = expected < 5
    obs = np.append(counts[~small], counts[small].sum())
    exp = np.append(expected[~small], expected[small].sum())
    if exp[-1] == 0:
        obs, exp = obs[:-1], exp[:-1]
    stat = float(((obs - exp) ** 2 / exp).sum())
    return float(chi2.sf(stat, df=len(exp) - 1))


def _covering_counts(codes: np.ndarray, coverings: np.ndarray) -> np.ndarray:
    index = {c.tobytes(): i for i, c in enumerate(coverings)}
    return np.bincount([index[c.tobytes()] for c in codes], minlength=len(coverings))


@pytest.mark.parametrize(("V", "T", "rule"), [
    (-1.0, math.inf, "minimal-bounce"),
    (-1.0, 0.8, "minimal-bounce"),
    (1.0, 0.6, "heat-bath"),
    (1.5, 1.2, "minimal-bounce"),
    (-0.7, 0.5, "heat-bath"),
])
def test_every_covering_of_4x4_has_its_boltzmann_weight(cpu_kernels, V, T, rule) -> None:
    """Detailed balance: 40,000 independent chains against all 272 coverings' weights."""
    coverings = enumerate_coverings(4)
    assert len(coverings) == 272
    codes = _snapshot(4, T, V, rule, replicas=40_000, sweeps=60, seed=17)
    p = ExactDimer(coverings).probabilities(V, T)
    assert _chi2_pvalue(_covering_counts(codes, coverings), p) > P_MIN


def test_the_4x4_test_sees_a_wrong_temperature(cpu_kernels) -> None:
    """The chi-squared test above has the power to reject a 15% error in T."""
    coverings = enumerate_coverings(4)
    codes = _snapshot(4, 0.8 * 1.15, -1.0, "minimal-bounce", replicas=40_000, sweeps=60,
                      seed=17)
    p = ExactDimer(coverings).probabilities(-1.0, 0.8)
    assert _chi2_pvalue(_covering_counts(codes, coverings), p) < P_MIN


@pytest.mark.parametrize(("V", "T"), [(-1.0, math.inf), (-1.0, 1.0), (1.0, 0.7)])
def test_winding_sectors_of_6x6(cpu_kernels, V, T) -> None:
    """Worms reach every topological sector with its exact weight: the transfer-matrix counts
    at T = inf, an enumeration of all 90,176 coverings with interaction weights otherwise."""
    if math.isinf(T):
        counts = winding_sector_counts(6)
        total = sum(counts.values())
        probabilities = {s: n / total for s, n in counts.items()}
    else:
        probabilities = ExactDimer(enumerate_coverings(6)).winding_probabilities(V, T)
    sectors = sorted(probabilities)
    p = np.array([probabilities[s] for s in sectors])
    codes = _snapshot(6, T, V, "minimal-bounce", replicas=20_000, sweeps=30, seed=5)
    w = winding_numbers(codes)
    index = {s: i for i, s in enumerate(sectors)}
    seen = np.bincount([index[(int(a), int(b))] for a, b in w], minlength=len(sectors))
    assert (seen > 0).sum() >= 5  # (0,0), (±1,0), (0,±1) at least
    assert _chi2_pvalue(seen, p) > P_MIN


@pytest.mark.parametrize(("device", "V", "T", "rule", "replicas", "sweeps"), [
    ("cpu", -1.0, 1.0, "minimal-bounce", 64, 400),
    ("cpu", 1.0, 0.8, "heat-bath", 64, 400),
    ("cpu", -1.0, math.inf, "minimal-bounce", 64, 400),
    ("numpy", -1.0, 0.9, "minimal-bounce", 16, 200),
])
def test_6x6_observables_match_enumeration(request, device, V, T, rule, replicas,
                                           sweeps) -> None:
    """Energy, columnar order, windings and both correlation functions of the 6 x 6 torus
    (90,176 coverings) within 5 standard errors of their exact values."""
    if device == "cpu":
        request.getfixturevalue("cpu_kernels")
    run = sample_dimer(DimerModel(6, T, V), replicas=replicas, sweeps=sweeps, thermalize=50,
                       every=2, seed=23, rule=rule, device=device)
    exact = exact_reference(6, V, T)
    checks = {"n_par": exact["n_par"], "e": exact["e"], "col2": exact["col2"],
              "w2": exact["wx2"] + exact["wy2"], "wx": 0.0, "wy": 0.0}
    for key, value in checks.items():
        est = run.summary[key]
        assert abs(est.value - value) <= SIGMAS * est.error, (key, est, value)
    for i, key in enumerate(("corr_long", "corr_trans")):
        mean, error = run.correlations[key]
        constant = error == 0  # r = 0 (always 1/4) and r = 1 along the dimers (always 0)
        np.testing.assert_allclose(mean[constant], exact["corr"][i][constant], atol=1e-15)
        assert (np.abs(mean - exact["corr"][i])[~constant]
                <= SIGMAS * error[~constant]).all(), (key, mean, exact["corr"][i], error)


def _power_law_exponent(r: np.ndarray, c: np.ndarray, err: np.ndarray) -> tuple[float, float]:
    """Weighted least-squares slope of log|c| against log r, and its standard error."""
    x, y = np.log(r), np.log(np.abs(c))
    w = (np.abs(c) / err) ** 2  # 1 / var(log|c|)
    A = np.stack([np.ones_like(x), x], axis=1)
    cov = np.linalg.inv(A.T @ (w[:, None] * A))
    coef = cov @ A.T @ (w * y)
    return float(coef[1]), float(math.sqrt(cov[1, 1]))


def test_free_dimer_correlations_decay_as_inverse_square(cpu_kernels) -> None:
    """At T = inf on L = 64 the dimer-dimer correlation along a row falls off as r^-2
    (Fisher & Stephenson 1963): fitted exponent within 10% of -2.

    The window 6 <= r <= 20 keeps away from the short-distance corrections (about 3 / r^2
    relative: a fit from r = 4 gives -2.18) and from the images of the torus beyond L/3
    (a fit from 8 to 24 gives -1.96, both measured with 128 replicas x 1000 sweeps)."""
    run = sample_dimer(DimerModel(64), replicas=96, sweeps=800, thermalize=20, every=4,
                       seed=3, device="cpu")
    mean, error = run.correlations["corr_long"]
    r = np.arange(6, 21)
    c = mean[r] - 1 / 16
    assert (np.sign(c) == (-1.0) ** r).all()  # staggered: the dimers' columnar tendency
    slope, slope_error = _power_law_exponent(r, c, error[r])
    assert abs(slope + 2) < 0.2, (slope, slope_error)


def test_worms_grow_like_l_to_the_three_halves(cpu_kernels) -> None:
    """Mean worm length at T = inf grows like L^1.5 (Sandvik & Moessner 2006)."""
    sizes = np.array([8, 16, 32])
    lengths = []
    for L in sizes:
        run = sample_dimer(DimerModel(int(L)), replicas=32, sweeps=100, thermalize=10,
                           seed=9, device="cpu")
        lengths.append(run.summary["worm_length"].value)
    slope = np.polyfit(np.log(sizes), np.log(lengths), 1)[0]
    assert 1.35 < slope < 1.65, (lengths, slope)


def test_aligning_interaction_orders_columnar_at_low_temperature(cpu_kernels) -> None:
    """V < 0 well below T_KT ~ 0.65 |V|: columnar order from random starts; T = inf: none."""
    cold = sample_dimer(DimerModel(16, 0.4, -1.0), replicas=16, sweeps=200, thermalize=200,
                        seed=4, device="cpu").summary["col2"]
    hot = sample_dimer(DimerModel(16, math.inf, -1.0), replicas=16, sweeps=200,
                       thermalize=20, seed=4, device="cpu").summary["col2"]
    assert cold.value - SIGMAS * cold.error > 0.8, cold
    assert hot.value + SIGMAS * hot.error < 0.1, hot


def test_repulsive_interaction_empties_parallel_plaquettes(cpu_kernels) -> None:
    """V > 0 at low T: coverings without parallel plaquettes (the staggered phase)."""
    est = sample_dimer(DimerModel(8, 0.15, 1.0), replicas=16, sweeps=100, thermalize=100,
                       seed=4, device="cpu").summary["n_par"]
    assert est.value < 0.01, est
