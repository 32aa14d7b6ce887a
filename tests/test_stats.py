"""Tests for gpurg.stats on synthetic series whose statistics are known exactly.

The workhorse is the AR(1) process x_t = rho x_{t-1} + sqrt(1 - rho^2) eps_t with unit
variance and exact tau_int = (1 + rho) / (2 (1 - rho)), so the standard error of the mean
of n measurements is sqrt(2 tau_int / n). All random numbers come from fixed seeds.
"""

import math

import numpy as np
import pytest
from scipy.signal import lfilter

from gpurg.stats import (
    Estimate,
    autocorrelation,
    binning_error,
    integrated_autocorrelation_time,
    jackknife,
    mean_with_error,
    summarize_ising,
)

# Statistical checks allow this many standard deviations; a correct implementation
# fails them with negligible probability, a wrong factor of sqrt(2) does not pass.
N_SIGMA = 5.0


def ar1(rho: float, n: int, n_series: int, rng: np.random.Generator) -> np.ndarray:
    """Stationary unit-variance AR(1) series, shape (n, n_series)."""
    eps = rng.standard_normal((n, n_series))
    # Starting from the stationary distribution avoids a burn-in transient.
    eps[0] /= math.sqrt(1.0 - rho**2)
    return lfilter([math.sqrt(1.0 - rho**2)], [1.0, -rho], eps, axis=0)


def exact_tau(rho: float) -> float:
    return (1.0 + rho) / (2.0 * (1.0 - rho))


def binder(m4: float, m2: float) -> float:
    return 1.0 - m4 / (3.0 * m2**2)


@pytest.mark.parametrize(
    ("estimate", "text"),
    [
        (Estimate(0.43214, 0.00123), "0.4321 ± 0.0012"),
        (Estimate(1234.5, 56.7), "1234 ± 57"),
        (Estimate(0.1234, 0.0996), "0.12 ± 0.10"),
        (Estimate(12345.0, 1234.0), "12300 ± 1200"),
        (Estimate(-0.0001, 0.012), "0.000 ± 0.012"),
        (Estimate(2.0 / 3.0, 0.0), "0.666667 ± 0"),
        (Estimate(-1.6875, math.nan), "-1.6875 ± n/a"),
        (Estimate(math.nan, math.nan), "undefined"),
    ],
)
def test_estimate_format(estimate: Estimate, text: str) -> None:
    assert estimate.format() == text
    assert str(estimate) == text


def test_autocorrelation_matches_direct_sum() -> None:
    x = np.random.default_rng(0).standard_normal((50, 3))
    d = x - x.mean(axis=0)
    direct = np.array([np.sum(d[: 50 - t] * d[t:]) for t in range(50)])
    np.testing.assert_allclose(autocorrelation(x), direct / direct[0], atol=1e-12)
    np.testing.assert_allclose(
        autocorrelation(x[:, 0]),
        1.0
        * np.array([np.dot(d[: 50 - t, 0], d[t:, 0]) for t in range(50)])
        / np.dot(d[:, 0], d[:, 0]),
        atol=1e-12,
    )


def test_autocorrelation_of_ar1_decays_geometrically() -> None:
    x = ar1(0.8, 2**16, 4, np.random.default_rng(1))
    # The statistical error of rho(t) is ~0.005 here.
    np.testing.assert_allclose(autocorrelation(x)[:10], 0.8 ** np.arange(10), atol=0.03)


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.8, 0.9])
@pytest.mark.parametrize("n_replicas", [1, 4])
def test_tau_int_of_ar1_within_stated_error(rho: float, n_replicas: int) -> None:
    x = ar1(rho, 2**16, n_replicas, np.random.default_rng(2))
    tau, error = integrated_autocorrelation_time(x[:, 0] if n_replicas == 1 else x)
    assert abs(tau - exact_tau(rho)) < N_SIGMA * error


def test_tau_int_error_matches_spread_over_realizations() -> None:
    x = ar1(0.8, 2**14, 64, np.random.default_rng(3))
    results = np.array([integrated_autocorrelation_time(x[:, i]) for i in range(64)])
    taus, errors = results[:, 0], results[:, 1]
    # The spread of 64 estimates is known to ~10%; Madras-Sokal is slightly conservative.
    assert 0.6 < taus.std(ddof=1) / errors.mean() < 1.4
    assert abs(taus.mean() - exact_tau(0.8)) < N_SIGMA * taus.std(ddof=1) / 8.0


def test_tau_int_of_constant_series_is_nan() -> None:
    tau, error = integrated_autocorrelation_time(np.full((100, 2), 0.1))
    assert math.isnan(tau) and math.isnan(error)


def test_tau_int_warns_when_series_is_too_short() -> None:
    # A slow drift looks like one long correlated excursion: tau_int ~ n / 10.
    with pytest.warns(RuntimeWarning, match="shorter than 50 tau_int"):
        integrated_autocorrelation_time(np.linspace(0.0, 1.0, 200))


@pytest.mark.parametrize("rho", [0.5, 0.8, 0.9])
def test_binning_error_of_ar1_matches_exact(rho: float) -> None:
    n = 2**17
    x = ar1(rho, n, 1, np.random.default_rng(5))[:, 0]
    assert binning_error(x) == pytest.approx(math.sqrt(2.0 * exact_tau(rho) / n), rel=0.15)


def test_binning_error_of_white_noise_is_naive_error() -> None:
    x = np.random.default_rng(6).standard_normal(2**16)
    assert binning_error(x) == pytest.approx(x.std(ddof=1) / math.sqrt(x.size), rel=0.03)


def test_binning_error_of_constant_series_is_zero() -> None:
    assert binning_error(np.full(1000, 0.3)) == 0.0


def test_binning_warns_without_plateau() -> None:
    with pytest.warns(RuntimeWarning, match="plateau"):
        binning_error(ar1(0.999, 4096, 1, np.random.default_rng(7))[:, 0])


# The plateau test rejects every level of uncorrelated data in ~0.2% of series by chance.
@pytest.mark.filterwarnings("ignore:binning found no plateau:RuntimeWarning")
@pytest.mark.parametrize(("n", "n_replicas"), [(256, 16), (4096, 4)])
def test_mean_with_error_has_correct_coverage(n: int, n_replicas: int) -> None:
    # 16 replicas use the replica spread, 4 replicas the binning analysis.
    repetitions = 300
    data = ar1(0.5, n, n_replicas * repetitions, np.random.default_rng(8))
    estimates = [mean_with_error(block) for block in np.split(data, repetitions, axis=1)]
    z = np.array([e.value / e.error for e in estimates])
    # std(z) is ~1 (1.07 for Student's t with 15 dof) and known to ~5% from 300 samples.
    assert 0.85 < z.std() < 1.25
    taus = np.array([e.tau_int for e in estimates])
    assert taus.mean() == pytest.approx(exact_tau(0.5), rel=0.1)


def test_mean_with_error_value_is_grand_mean() -> None:
    x = np.random.default_rng(9).standard_normal((100, 10))
    assert mean_with_error(x).value == pytest.approx(x.mean(), abs=1e-15)


def test_jackknife_of_mean_equals_replica_standard_error() -> None:
    x = ar1(0.5, 200, 10, np.random.default_rng(10))
    plain = mean_with_error(x)
    jack = jackknife(lambda a: a, x)
    corrected = jackknife(lambda a: a, x, bias_correct=True)
    assert jack.error == pytest.approx(plain.error, rel=1e-12)
    assert jack.value == pytest.approx(plain.value, abs=1e-15)
    assert corrected.value == pytest.approx(plain.value, abs=1e-12)
    assert math.isnan(jack.tau_int)


def test_jackknife_bias_correction_of_square() -> None:
    x = 1.0 + ar1(0.5, 200, 12, np.random.default_rng(11))
    replica_means = x.mean(axis=0)
    expected = x.mean() ** 2 - replica_means.var(ddof=1) / replica_means.size
    corrected = jackknife(lambda a: a**2, x, bias_correct=True)
    assert corrected.value == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("n", "n_replicas", "blocks"), [(128, 16, None), (2048, 2, None), (1024, 4, 32)]
)
def test_jackknife_ratio_error_matches_monte_carlo_spread(
    n: int, n_replicas: int, blocks: int | None
) -> None:
    repetitions = 400
    rng = np.random.default_rng(12)
    u = ar1(0.7, n, n_replicas * repetitions, rng)
    v = ar1(0.7, n, n_replicas * repetitions, rng)
    a, b = 1.0 + 0.3 * u, 2.0 + 0.3 * u + 0.3 * v
    values, errors = [], []
    for a_rep, b_rep in zip(
        np.split(a, repetitions, axis=1), np.split(b, repetitions, axis=1), strict=True
    ):
        estimate = jackknife(lambda p, q: p / q, a_rep, b_rep, blocks=blocks)
        values.append(estimate.value)
        errors.append(estimate.error)
    # The true spread is known to ~3.5% from 400 independent data sets.
    assert np.mean(errors) == pytest.approx(np.std(values, ddof=1), rel=0.15)


def test_jackknife_binder_error_matches_monte_carlo_spread() -> None:
    repetitions, n_replicas = 400, 16
    m = 0.5 + 0.3 * ar1(0.6, 128, n_replicas * repetitions, np.random.default_rng(13))
    values, errors = [], []
    for block in np.split(m, repetitions, axis=1):
        estimate = jackknife(binder, block**4, block**2)
        values.append(estimate.value)
        errors.append(estimate.error)
    assert np.mean(errors) == pytest.approx(np.std(values, ddof=1), rel=0.15)


def ising_obs(m: np.ndarray, e: np.ndarray) -> dict[str, np.ndarray]:
    return {"e": e, "m": m, "abs_m": np.abs(m), "m2": m**2, "m4": m**4}


def test_summarize_ising_constant_magnetization() -> None:
    e = -1.2 + 0.05 * np.random.default_rng(14).standard_normal((512, 8))
    result = summarize_ising(ising_obs(np.full((512, 8), -0.7), e), n_sites=256, temperature=2.0)
    assert result["binder"].value == pytest.approx(2.0 / 3.0, abs=1e-12)
    assert result["binder"].error < 1e-12
    assert abs(result["chi"].value) < 1e-10
    assert result["chi"].error < 1e-10
    assert result["m"].value == pytest.approx(-0.7, abs=1e-15)
    assert result["m"].error < 1e-15
    assert math.isnan(result["m"].tau_int)


# 32 replicas make the replica-spread error precise enough for a 5-sigma test.
@pytest.mark.parametrize("n_replicas", [32, 2])
def test_summarize_ising_gaussian_magnetization(n_replicas: int) -> None:
    sigma, energy, width, n_sites, temperature = 0.2, -1.5, 0.1, 64, 2.5
    rng = np.random.default_rng(15)
    m = sigma * rng.standard_normal((16384 // n_replicas, n_replicas))
    e = energy + width * rng.standard_normal(m.shape)
    result = summarize_ising(ising_obs(m, e), n_sites, temperature)
    expected = {
        "e": energy,
        "m": 0.0,
        "abs_m": sigma * math.sqrt(2.0 / math.pi),
        "m2": sigma**2,
        "m4": 3.0 * sigma**4,
        "binder": 0.0,
        "c": n_sites * width**2 / temperature**2,
        "chi": n_sites * sigma**2 * (1.0 - 2.0 / math.pi) / temperature,
    }
    assert result.keys() == expected.keys()
    for key, value in expected.items():
        assert abs(result[key].value - value) < N_SIGMA * result[key].error, key
    assert result["m"].tau_int == pytest.approx(0.5, abs=0.1)


def _f(a: float) -> float:
    return a


GOOD = np.zeros((64, 2)) + np.arange(64.0)[:, np.newaxis]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: autocorrelation(np.zeros((4, 3, 2))), r"shape \(n_measurements,\) or"),
        (lambda: integrated_autocorrelation_time(np.zeros(())), "must have shape"),
        (lambda: integrated_autocorrelation_time(GOOD, c=0.0), "must be positive"),
        (lambda: binning_error(GOOD), r"must have shape \(n_measurements,\); got"),
        (lambda: binning_error(np.ones(1)), "at least 2 measurements"),
        (lambda: mean_with_error(GOOD[:, 0]), r"\(n_measurements, n_replicas\)"),
        (lambda: mean_with_error(np.full((8, 2), np.nan)), "NaN or infinite"),
        (lambda: jackknife(_f), "at least one series"),
        (lambda: jackknife(_f, GOOD, GOOD[:-1]), "same shape"),
        (lambda: jackknife(_f, GOOD, blocks=1), "blocks must lie between 2 and n"),
        (lambda: summarize_ising({"e": GOOD}, 4, 1.0), "missing keys"),
        (
            lambda: summarize_ising(
                dict.fromkeys(("e", "m", "abs_m", "m2"), GOOD) | {"m4": GOOD[:-1]}, 4, 1.0
            ),
            "same shape",
        ),
        (lambda: summarize_ising(ising_obs(GOOD, GOOD), 0, 1.0), "n_sites"),
        (lambda: summarize_ising(ising_obs(GOOD, GOOD), 4, 0.0), "temperature"),
    ],
)
def test_bad_input_raises_value_error(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_short_series_give_errors_where_possible() -> None:
    rng = np.random.default_rng(3)
    few = rng.normal(size=(1, 4))  # one measurement of 4 replicas: no error to be had
    est = mean_with_error(few)
    assert est.value == pytest.approx(few.mean()) and np.isnan(est.error)
    assert np.isnan(jackknife(_ratio, few, few + 3.0).error)
    many = rng.normal(size=(1, 32))  # one measurement of 32 replicas: replicas give the error
    assert mean_with_error(many).error == pytest.approx(many.std(ddof=1) / np.sqrt(32))
    short = rng.normal(size=(6, 4))  # fewer measurements than default blocks: one per row
    jk = jackknife(_ratio, short, short + 3.0)
    assert np.isfinite(jk.error)
    assert jk.error == pytest.approx(jackknife(_ratio, short, short + 3.0, blocks=6).error)


def test_single_sample_gives_values_without_errors() -> None:
    """One measurement of one replica: means without errors, variances undefined, a note."""
    m, e = np.array([[0.5]]), np.array([[-1.5]])
    with pytest.warns(RuntimeWarning, match="no error estimates"):
        result = summarize_ising(ising_obs(m, e), 16, 2.0)
    assert result["e"].value == -1.5 and math.isnan(result["e"].error)
    assert result["binder"].value == pytest.approx(2.0 / 3.0)
    assert math.isnan(result["binder"].error)
    assert all(math.isnan(result[k].value) for k in ("c", "chi"))


def test_binder_undefined_where_m2_vanishes() -> None:
    """<m²> = 0 (a block or all of it) gives NaN, not a ZeroDivisionError."""
    m = np.array([[0.0], [0.5]])
    result = summarize_ising(ising_obs(m, -np.ones_like(m)), 16, 2.0)
    assert result["binder"].value == pytest.approx(binder(0.5**4 / 2, 0.5**2 / 2))
    assert math.isnan(result["binder"].error)
    zero = summarize_ising(ising_obs(np.zeros((2, 1)), -np.ones((2, 1))), 16, 2.0)
    assert math.isnan(zero["binder"].value)


def _ratio(a: float, b: float) -> float:
    return a / b


def test_jackknife_labels_and_spread() -> None:
    from gpurg.stats import jackknife_labels, jackknife_spread

    labels, n = jackknife_labels(10, 5)
    assert n == 5 and list(labels) == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    labels, n = jackknife_labels(6, np.array([7, 3, 7, 3, 9, 9]))
    assert n == 3 and list(labels) == [1, 0, 1, 0, 2, 2]
    labels, n = jackknife_labels(8, 2, groups=np.tile(np.arange(4), 2))
    assert n == 2 and list(labels) == [0, 0, 1, 1, 0, 0, 1, 1]  # replicas stay together
    with pytest.raises(ValueError, match="blocks"):
        jackknife_labels(4, 5)
    # the jackknife of a mean is the standard error of the mean
    x = np.random.default_rng(0).normal(size=20)
    loo = (x.sum() - x) / 19
    assert jackknife_spread(loo) == pytest.approx(x.std(ddof=1) / np.sqrt(20))
