"""Error analysis for Monte Carlo time series measured on independent replicas.

Every array argument is a host ``numpy.ndarray`` of ``float64`` laid out as
``(n_measurements, n_replicas)``: Monte Carlo time runs along axis 0 and independent
replicas (chains started from different seeds) along axis 1. Functions that also accept
a 1-D series treat it as a single replica.

The integrated autocorrelation time is ``tau_int = 1/2 + sum_{t>=1} rho(t)`` in units of
measurements, so the variance of the mean of ``n`` correlated measurements is
``2 * tau_int * var(x) / n``; uncorrelated data have ``tau_int = 1/2``.

References
----------
A. D. Sokal, "Monte Carlo methods in statistical mechanics: foundations and new
algorithms", Cargese lectures (1996).
N. Madras and A. D. Sokal, J. Stat. Phys. 50, 109 (1988).
H. Flyvbjerg and H. G. Petersen, J. Chem. Phys. 91, 461 (1989).
M. Jonsson, Phys. Rev. E 98, 043304 (2018).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import scipy.fft

from gpurg.errors import InputError
from gpurg.validation import Integer, Real, checked

__all__ = [
    "pooled_chi_square",
    "BINNING_CONFIDENCE",
    "DEFAULT_TIME_BLOCKS",
    "MIN_BINS",
    "MIN_LENGTH_OVER_TAU",
    "MIN_REPLICAS",
    "SOKAL_WINDOW",
    "DecayFit",
    "Estimate",
    "autocorrelation",
    "exponential_fit",
    "binning_error",
    "integrated_autocorrelation_time",
    "jackknife",
    "jackknife_labels",
    "jackknife_spread",
    "mean_with_error",
    "power_law_fit",
    "summarize_dimer",
    "summarize_ising",
    "summarize_profile",
]

SOKAL_WINDOW = 6.0
"""Sokal's window constant ``c``: the summation window is the smallest ``W >= c tau(W)``."""

MIN_LENGTH_OVER_TAU = 50
"""Series shorter than this many ``tau_int`` cannot resolve their own correlations."""

MIN_BINS = 32
"""Blocking levels with fewer bins than this are too noisy to enter the binning analysis."""

BINNING_CONFIDENCE = 0.99
"""Confidence level of the chi-squared test that locates the binning plateau."""

MIN_REPLICAS = 8
"""From this many replicas on, errors come from the spread between replicas."""

DEFAULT_TIME_BLOCKS = 16
"""Number of contiguous time blocks of the jackknife when replicas are too few."""

ISING_KEYS = ("e", "m", "abs_m", "m2", "m4")
DIMER_KEYS = ("e", "n_par", "wx", "wy", "w2", "cx", "cy", "col2")

JACKKNIFE_BLOCKS = Integer(2)
"""A count of jackknife blocks (at most the number of samples, checked where that is known)."""

_SHAPE_NAMES = {1: "(n_measurements,)", 2: "(n_measurements, n_replicas)"}


@dataclass(frozen=True)
class Estimate:
    """A Monte Carlo estimate with its one-sigma statistical error.

    Attributes
    ----------
    value : float
        Point estimate.
    error : float
        One-standard-deviation statistical error of ``value``.
    tau_int : float
        Integrated autocorrelation time of the underlying series in units of measurements;
        NaN where it does not apply (jackknife estimates of derived quantities, constant
        series, a single measurement).

    ``error`` is NaN where the data hold no error estimate (one measurement of fewer than
    :data:`MIN_REPLICAS` replicas), and ``value`` is NaN where the quantity is undefined
    (e.g. a ratio whose denominator is zero).
    """

    value: float
    error: float
    tau_int: float = math.nan

    def format(self) -> str:
        """Return ``"value ± error"`` with the error rounded to two significant digits.

        The value is rounded to the same decimal place as the error, e.g.
        ``Estimate(0.43214, 0.00123).format() == "0.4321 ± 0.0012"``. A zero or non-finite
        error cannot fix a decimal place, so the value is then shown with six significant
        digits; a missing (NaN) error is shown as ``"n/a"`` and a NaN value as
        ``"undefined"``, so that neither reads like a number.

        Returns
        -------
        str
            The formatted estimate.
        """
        if math.isnan(self.value):
            return "undefined"
        if math.isnan(self.error):
            return f"{self.value:.6g} ± n/a"
        if not (math.isfinite(self.error) and self.error > 0.0):
            return f"{self.value:.6g} ± {self.error:g}"
        # Scientific notation rounds before choosing the exponent, so an error such as
        # 0.0996 becomes "1.0e-01" and correctly gets one decimal fewer.
        rounded_error = f"{self.error:.1e}"
        decimals = 1 - int(rounded_error.split("e")[1])
        places = max(decimals, 0)
        # Adding 0.0 turns a rounded -0.0 into 0.0, so "-0.00" never appears.
        value = round(self.value, decimals) + 0.0
        return f"{value:.{places}f} ± {float(rounded_error):.{places}f}"

    def __str__(self) -> str:
        return self.format()


def autocorrelation(x: np.ndarray) -> np.ndarray:
    """Normalized autocorrelation function ``rho(t)`` of a time series.

    Each replica is centred on its own mean (the replicas are independent chains whose
    means fluctuate independently); the autocovariances ``C(t) = sum_i d_i d_{i+t} / n``
    of the replicas are averaged and then divided by ``C(0)``. The ``1/n`` normalization
    keeps ``rho`` positive semi-definite; its bias ``t/n`` is negligible for ``t << n``.
    Computed with zero-padded FFTs in ``O(n log n)``.

    Parameters
    ----------
    x : np.ndarray
        float64 array of shape ``(n,)`` (one series) or ``(n, R)`` (``R`` replicas).

    Returns
    -------
    np.ndarray
        float64 array of shape ``(n,)`` with ``rho[0] == 1``; all NaN when every replica
        is constant, for which the autocorrelation is undefined.

    Raises
    ------
    ValueError
        If ``x`` is not 1-D or 2-D, has fewer than 2 measurements or non-finite values.
    """
    return _autocorrelation(_replica_columns(_validated(x, "x", (1, 2))))


@checked(c=Real(0.0, low_open=True))
def integrated_autocorrelation_time(x: np.ndarray, c: float = SOKAL_WINDOW) -> tuple[float, float]:
    """Integrated autocorrelation time with Sokal's automatic window.

    ``tau(W) = 1/2 + sum_{t=1}^{W} rho(t)`` is evaluated at the smallest window ``W`` with
    ``W >= c * tau(W)``, which balances the truncation bias (``~exp(-W/tau)``) against the
    noise of the summed tail. The error is the Madras-Sokal estimate
    ``tau * sqrt(2 (2W + 1) / N)`` with ``N = n * R`` the total number of measurements.
    The window is designed for positive correlations; strongly anticorrelated series
    stop at ``W = 1``.

    Parameters
    ----------
    x : np.ndarray
        float64 array of shape ``(n,)`` or ``(n, R)``; with replicas, ``rho`` is the
        replica average of :func:`autocorrelation`.
    c : float, optional
        Window constant, default :data:`SOKAL_WINDOW` (6).

    Returns
    -------
    tau_int : float
        Integrated autocorrelation time in units of measurements (NaN for a constant
        series).
    error : float
        Its one-sigma statistical error (NaN for a constant series).

    Raises
    ------
    ValueError
        If ``x`` has a bad shape or non-finite values, or ``c`` is not positive.

    Warns
    -----
    RuntimeWarning
        If a replica is shorter than :data:`MIN_LENGTH_OVER_TAU` (50) times the
        estimate; the window then cuts off correlations the series cannot resolve and
        ``tau_int`` is biased low. Replicas do not help: each must be long enough.
    """
    return _integrated_time(_replica_columns(_validated(x, "x", (1, 2))), c)


def binning_error(x: np.ndarray) -> float:
    """Standard error of the mean of a correlated series by binning (blocking).

    The series is halved repeatedly by averaging neighbouring pairs (an odd last element
    is dropped) while at least :data:`MIN_BINS` bins remain. The naive error of the bin
    means grows with the bin size until the bins are longer than the correlation time and
    then stays on a plateau. The plateau is located with Jonsson's test: the first level
    ``j`` at which the lag-1 autocorrelations of the bin means of levels ``j, j+1, ...``
    are jointly compatible with zero, i.e. ``M_j = sum_k n_k (g_k/s_k + (n_k-1)/n_k^2)^2``
    is below the :data:`BINNING_CONFIDENCE` quantile of chi-squared with one degree of
    freedom per level. The result is ``std(bin means, ddof=1) / sqrt(n_j)`` at that level.

    Parameters
    ----------
    x : np.ndarray
        float64 array of shape ``(n,)``, ``n >= 2``.

    Returns
    -------
    float
        Standard error of ``x.mean()``; 0 for a constant series.

    Raises
    ------
    ValueError
        If ``x`` is not 1-D, has fewer than 2 measurements or non-finite values.

    Warns
    -----
    RuntimeWarning
        If no level passes the test; the error of the last level is then returned and
        probably underestimates the true error. Uncorrelated data trigger this by chance
        in a few calls per thousand.
    """
    return _binning_error(_validated(x, "x", (1,)))


def mean_with_error(x: np.ndarray) -> Estimate:
    """Grand mean of replicated measurements with its statistical error.

    With at least :data:`MIN_REPLICAS` replicas the error is the standard error of the
    replica means, ``std(ddof=1) / sqrt(R)``, which needs no assumption about
    autocorrelations. With fewer replicas it is :func:`binning_error` of the
    replica-averaged series.

    Parameters
    ----------
    x : np.ndarray
        float64 array of shape ``(n, R)``.

    Returns
    -------
    Estimate
        Grand mean, its error and ``tau_int`` from
        :func:`integrated_autocorrelation_time`.

    Raises
    ------
    ValueError
        If ``x`` is not 2-D, is empty or has non-finite values. With one measurement of
        fewer than 8 replicas the error and ``tau_int`` are NaN.
    """
    series = _validated(x, "x", (2,), min_measurements=1)
    n, n_replicas = series.shape
    if n_replicas >= MIN_REPLICAS:
        error = float(series.mean(axis=0).std(ddof=1)) / math.sqrt(n_replicas)
    elif n >= 2:
        error = _binning_error(series.mean(axis=1))
    else:  # one measurement of too few replicas: nothing to estimate an error from
        error = math.nan
    tau = _integrated_time(series, SOKAL_WINDOW)[0] if n >= 2 else math.nan
    return Estimate(float(series.mean()), error, tau)


@checked(blocks=replace(JACKKNIFE_BLOCKS, optional=True))
def jackknife(
    f: Callable[..., float],
    *series: np.ndarray,
    blocks: int | None = None,
    bias_correct: bool = False,
) -> Estimate:
    """Delete-one-block jackknife of a function of means, ``f(<a>, <b>, ...)``.

    Blocks are chosen so that they are statistically independent:

    * ``blocks=None`` and ``R >= MIN_REPLICAS`` (8): each replica is one block;
    * ``blocks=None`` and ``R < 8``: ``min(n, DEFAULT_TIME_BLOCKS)`` (16) contiguous time
      blocks, each spanning all replicas;
    * ``blocks=k``: ``k`` contiguous time blocks (lengths differ by at most one).

    Time blocks are only independent when they are much longer than ``tau_int``.

    Parameters
    ----------
    f : Callable[..., float]
        Called as ``f(mean_a, mean_b, ...)`` with one Python float per series, in the
        order of ``series``; returns a float.
    *series : np.ndarray
        One or more float64 arrays, all of the same shape ``(n, R)``.
    blocks : int or None, optional
        Number of contiguous time blocks, ``2 <= blocks <= n``; ``None`` chooses
        automatically as described above.
    bias_correct : bool, optional
        If True, the value is the bias-corrected ``B f(full) - (B - 1) mean_b f(-b)``,
        which removes the ``O(1/B)`` bias of a nonlinear ``f``; by default the value is
        ``f`` of the full means.

    Returns
    -------
    Estimate
        Value, jackknife error ``sqrt((B-1)/B sum_b (f(-b) - mean f(-b))^2)`` and NaN
        ``tau_int``. Where ``f`` divides by zero the value (full means) or the error (the
        means of a deleted block) is NaN; with one measurement of fewer than 8 replicas and
        automatic blocks there are no blocks and the error is NaN.

    Raises
    ------
    ValueError
        If no series is given, the series differ in shape or are not 2-D, or ``blocks``
        is out of range.
    """
    if not series:
        raise ValueError("jackknife needs at least one series")
    arrays = [_validated(s, f"series[{i}]", (2,), 1) for i, s in enumerate(series)]
    if any(a.shape != arrays[0].shape for a in arrays):
        shapes = ", ".join(str(a.shape) for a in arrays)
        raise ValueError(f"all series must have the same shape (n, R); got {shapes}")
    n, n_replicas = arrays[0].shape
    full = [float(a.mean()) for a in arrays]
    if blocks is None and n_replicas < MIN_REPLICAS and n < 2:
        return Estimate(_evaluate(f, full), math.nan)
    deleted = [_deleted_block_means(a, blocks) for a in arrays]
    samples = np.array([_evaluate(f, [float(d[b]) for d in deleted])
                        for b in range(deleted[0].size)])
    n_blocks = samples.size
    error = math.sqrt((n_blocks - 1) * float(np.mean((samples - samples.mean()) ** 2)))
    value = _evaluate(f, full)
    if bias_correct:
        value = n_blocks * value - (n_blocks - 1) * float(samples.mean())
    return Estimate(value, error)


@checked(n_sites=Integer(1), temperature=Real(0.0, low_open=True, inf=True))
def summarize_ising(
    obs: dict[str, np.ndarray], n_sites: int, temperature: float
) -> dict[str, Estimate]:
    """Standard Ising observables with errors.

    Parameters
    ----------
    obs : dict[str, np.ndarray]
        Per-measurement observables, each float64 of the same shape ``(n, R)``:
        ``"e"`` energy per site, ``"m"`` magnetization per site, ``"abs_m"`` its modulus,
        ``"m2"`` its square and ``"m4"`` its fourth power.
    n_sites : int
        Number of lattice sites ``N``.
    temperature : float
        Temperature ``T`` (units with ``k_B = 1``).

    Returns
    -------
    dict[str, Estimate]
        ``"e"``, ``"m"``, ``"abs_m"``, ``"m2"``, ``"m4"`` from :func:`mean_with_error`, and
        from :func:`jackknife` with automatic blocks: ``"binder"``
        ``U = 1 - <m4> / (3 <m2>^2)``, specific heat per site ``"c"``
        ``N (<e^2> - <e>^2) / T^2`` and susceptibility per site ``"chi"``
        ``N (<m2> - <abs_m>^2) / T``. Errors are NaN for one measurement of fewer than 8
        replicas and, for ``"c"`` and ``"chi"``, for one replica's two measurements;
        ``"c"`` and ``"chi"`` are NaN (undefined) for a single sample, and
        ``"binder"`` is NaN when ``<m2> = 0``.

    Warns
    -----
    RuntimeWarning
        When the errors are NaN, saying why.

    Raises
    ------
    ValueError
        If a key is missing, the arrays have bad or differing shapes, ``n_sites < 1`` or
        ``temperature <= 0``.
    """
    missing = [k for k in ISING_KEYS if k not in obs]
    if missing:
        raise ValueError(f"obs is missing keys {missing}; expected {list(ISING_KEYS)}")
    data = {k: _validated(obs[k], f"obs[{k!r}]", (2,), 1) for k in ISING_KEYS}
    if len({a.shape for a in data.values()}) > 1:
        shapes = {k: a.shape for k, a in data.items()}
        raise ValueError(f"all observables must have the same shape (n, R); got {shapes}")
    single_sample = data["e"].size == 1
    _warn_without_errors(data["e"].shape, "; the specific heat and susceptibility are undefined "
                         "(variances need two samples)" if single_sample else "")
    result = {k: mean_with_error(a) for k, a in data.items()}
    result["binder"] = jackknife(lambda m4, m2: 1.0 - m4 / (3.0 * m2**2), data["m4"], data["m2"])
    if single_sample:
        # The variance of one sample is 0 by construction, which would read as a measurement.
        result["c"] = result["chi"] = Estimate(math.nan, math.nan)
        return result
    result["c"] = jackknife(
        # divided by T twice: temperature**2 overflows (or is 0) for extreme T
        lambda e, e2: n_sites * (e2 - e**2) / temperature / temperature, data["e"],
        data["e"] ** 2
    )
    result["chi"] = jackknife(
        lambda m2, abs_m: n_sites * (m2 - abs_m**2) / temperature, data["m2"], data["abs_m"]
    )
    if data["e"].shape == (2, 1):
        # Each jackknife sample of one replica's two measurements holds one measurement,
        # whose variance is 0 by construction: their spread, 0, is no error estimate.
        warnings.warn("1 replica × 2 measurements give no error estimate of the specific heat "
                      "and susceptibility (leaving one measurement out leaves a single one, "
                      "whose variance is 0): they are shown without errors",
                      RuntimeWarning, stacklevel=2)
        result["c"] = Estimate(result["c"].value, math.nan)
        result["chi"] = Estimate(result["chi"].value, math.nan)
    return result


@checked(n=Integer(1))
def jackknife_labels(n: int, blocks: int | np.ndarray, groups: np.ndarray | None = None
                     ) -> tuple[np.ndarray, int]:
    """Jackknife block of each of n samples: (labels int (n,), number of blocks).

    ``blocks`` is a count of contiguous, near-equal blocks, or one label per sample (e.g. the
    replica of each snapshot). With ``groups`` (one label per sample, e.g. the replica) and a
    count, whole groups are folded into that many blocks, so that correlated samples stay in
    one block.
    """
    if groups is not None:
        groups = np.asarray(groups)
        if groups.shape != (n,):
            raise InputError(f"groups must have one label per sample ({n}), got {groups.shape}")
        _, inverse = np.unique(groups, return_inverse=True)
        count = JACKKNIFE_BLOCKS.check("blocks", blocks)
        return inverse * count // (inverse.max() + 1), count
    if isinstance(blocks, (int, np.integer)):  # a count (a bool is refused as one)
        count = JACKKNIFE_BLOCKS.check("blocks", blocks)
        if count > n:
            raise InputError(f"jackknife blocks must be in 2..{n}, got {blocks}")
        return (np.arange(n) * count) // n, count
    labels = np.asarray(blocks)
    if labels.shape != (n,):
        raise InputError(f"block labels must have shape ({n},), got {labels.shape}")
    _, labels = np.unique(labels, return_inverse=True)
    if labels.max() < 1:
        raise InputError("jackknife needs at least 2 blocks")
    return labels, int(labels.max()) + 1


@checked(min_expected=Real(0.0, low_open=True))
def pooled_chi_square(counts: np.ndarray, expected: np.ndarray,
                      min_expected: float = 5.0) -> tuple[float, int]:
    """Pearson's chi-square of observed ``counts`` against ``expected`` counts (float arrays
    of one shape, e.g. over the 2^16 states of a 4x4 torus), the rarest states pooled so that
    every bin expects at least ``min_expected`` (states sorted by expectation, consecutive
    ones merged; the remainder joins the last bin). Returns (statistic, degrees of freedom =
    bins - 1)."""
    counts, expected = np.ravel(counts), np.ravel(expected)
    order = np.argsort(expected)
    bins_e, bins_c, acc_e, acc_c = [], [], 0.0, 0.0
    for e, c in zip(expected[order], counts[order], strict=True):
        acc_e += e
        acc_c += c
        if acc_e >= min_expected:
            bins_e.append(acc_e)
            bins_c.append(acc_c)
            acc_e, acc_c = 0.0, 0.0
    if not bins_e:
        raise InputError(f"the expected counts total {acc_e:g}, below one bin's "
                         f"{min_expected:g}")
    bins_e[-1] += acc_e
    bins_c[-1] += acc_c
    e, c = np.array(bins_e), np.array(bins_c)
    return float(((c - e) ** 2 / e).sum()), len(e) - 1


def jackknife_spread(leave_one_out: np.ndarray) -> np.ndarray:
    """Jackknife error from the B leave-one-block-out estimates (axis 0):
    sqrt((B - 1) / B sum_b (f_-b - mean f_-b)^2), elementwise over the other axes."""
    f = np.asarray(leave_one_out, dtype=np.float64)
    b = f.shape[0]
    return np.sqrt((b - 1) / b * np.sum((f - f.mean(axis=0)) ** 2, axis=0))


def summarize_dimer(obs: dict[str, np.ndarray]) -> dict[str, Estimate]:
    """Standard dimer-model observables with errors.

    Parameters
    ----------
    obs : dict[str, np.ndarray]
        Per-measurement observables of :meth:`gpurg.models.dimer.DimerSampler.measure`,
        float64 of the same shape ``(n, R)``: ``"e"``, ``"n_par"``, ``"wx"``, ``"wy"``,
        ``"w2"``, ``"cx"``, ``"cy"``, ``"col2"``, ``"worms"``, ``"worm_steps"``.

    Returns
    -------
    dict[str, Estimate]
        The first eight from :func:`mean_with_error`, and ``"worm_length"``, the mean
        number of steps per worm (a ratio of sums, by :func:`jackknife`). Errors are NaN
        for one measurement of fewer than 8 replicas.

    Warns
    -----
    RuntimeWarning
        When the errors are NaN, saying why.
    """
    keys = (*DIMER_KEYS, "worms", "worm_steps")
    missing = [k for k in keys if k not in obs]
    if missing:
        raise ValueError(f"obs is missing keys {missing}; expected {list(keys)}")
    data = {k: _validated(obs[k], f"obs[{k!r}]", (2,), 1) for k in keys}
    _warn_without_errors(data["e"].shape)
    result = {k: mean_with_error(data[k]) for k in DIMER_KEYS}
    result["worm_length"] = jackknife(lambda steps, worms: steps / worms, data["worm_steps"],
                                      data["worms"])
    return result


def summarize_profile(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and error of each component of a measured function, e.g. C(r).

    Parameters
    ----------
    x : np.ndarray
        float64, shape ``(n, R, m)``: m values per measurement and replica.

    Returns
    -------
    (mean, error) : tuple of np.ndarray
        float64, shape ``(m,)`` each; errors as in :func:`mean_with_error`.
    """
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 3:
        raise ValueError(f"x must have shape (n_measurements, n_replicas, m); got {arr.shape}")
    estimates = [mean_with_error(arr[:, :, k]) for k in range(arr.shape[2])]
    return (np.array([e.value for e in estimates]), np.array([e.error for e in estimates]))


def _warn_without_errors(shape: tuple[int, ...], detail: str = "") -> None:
    """Warn, once per summary of ``(n, R)`` data, when its errors will be NaN and why;
    ``detail`` is appended to the message."""
    n, n_replicas = shape
    if n < 2 and n_replicas < MIN_REPLICAS:
        replicas = f"{n_replicas} replica" + ("s" if n_replicas > 1 else "")
        warnings.warn(
            f"{replicas} × 1 measurement give no error estimates (they need at least 2 "
            f"measurements or {MIN_REPLICAS} replicas): values are shown without errors"
            f"{detail}",
            RuntimeWarning,
            stacklevel=3,
        )


def _evaluate(f: Callable[..., float], means: list[float]) -> float:
    """``f(*means)`` as a float, NaN where ``f`` is undefined there (divides by zero)."""
    try:
        return float(f(*means))
    except ZeroDivisionError:
        return math.nan


def _validated(
    x: np.ndarray, name: str, ndims: tuple[int, ...], min_measurements: int = 2
) -> np.ndarray:
    """Return ``x`` as float64 after checking its shape and finiteness."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim not in ndims:
        expected = " or ".join(_SHAPE_NAMES[d] for d in ndims)
        raise ValueError(f"{name} must have shape {expected}; got shape {arr.shape}")
    if arr.shape[0] < min_measurements or arr.size == 0:
        raise ValueError(
            f"{name} needs at least {min_measurements} measurements of at least one replica; "
            f"got shape {arr.shape}"
        )
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def _replica_columns(x: np.ndarray) -> np.ndarray:
    """View a 1-D series as a single replica of shape ``(n, 1)``."""
    return x[:, np.newaxis] if x.ndim == 1 else x


def _autocorrelation(series: np.ndarray) -> np.ndarray:
    """Replica-averaged normalized autocorrelation of validated ``(n, R)`` data."""
    n = series.shape[0]
    # Shifting by the first value makes the deviations of a constant replica exactly
    # zero, so constant data are recognised instead of producing rounding noise.
    deviations = series - series[0]
    deviations -= deviations.mean(axis=0)
    # Zero padding to at least 2n turns the FFT's circular correlation into a linear one.
    size = scipy.fft.next_fast_len(2 * n, real=True)
    spectrum = scipy.fft.rfft(deviations, n=size, axis=0)
    power = spectrum.real**2 + spectrum.imag**2
    autocovariance = scipy.fft.irfft(power, n=size, axis=0)[:n].mean(axis=1)
    if autocovariance[0] <= 0.0:
        return np.full(n, np.nan)
    return autocovariance / autocovariance[0]


def _integrated_time(series: np.ndarray, c: float) -> tuple[float, float]:
    """Sokal-windowed ``tau_int`` and its error for validated ``(n, R)`` data."""
    rho = _autocorrelation(series)
    if np.isnan(rho[0]):
        return math.nan, math.nan
    windows = np.arange(1, rho.size)
    taus = 0.5 + np.cumsum(rho[1:])
    # A window always exists: with the 1/n autocovariance of a centred series,
    # 1 + 2 sum_{t>=1} rho(t) = (sum_i d_i)^2 / C(0) = 0, so tau(n - 1) = 0.
    index = int(np.argmax(windows >= c * taus))
    tau = float(taus[index])
    if series.shape[0] < MIN_LENGTH_OVER_TAU * tau:
        warnings.warn(
            f"a series of {series.shape[0]} measurements is shorter than "
            f"{MIN_LENGTH_OVER_TAU} tau_int = {MIN_LENGTH_OVER_TAU * tau:.0f}; tau_int is "
            "probably underestimated, use a longer series",
            RuntimeWarning,
            stacklevel=3,
        )
    error = tau * math.sqrt(2.0 * (2 * int(windows[index]) + 1) / series.size)
    return tau, error


def _blocking_levels(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bin counts, variances (ddof=0) and lag-1 autocovariances of every blocking level.

    Level 0 is the series itself; further levels halve it while ``MIN_BINS`` bins remain.
    """
    counts, variances, lag1 = [], [], []
    # Shifting by the first value makes a constant series exactly zero at every level.
    bins = x - x[0]
    while True:
        deviations = bins - bins.mean()
        counts.append(bins.size)
        variances.append(float(deviations @ deviations) / bins.size)
        lag1.append(float(deviations[:-1] @ deviations[1:]) / bins.size)
        half = bins.size // 2
        if half < MIN_BINS:
            return np.array(counts), np.array(variances), np.array(lag1)
        bins = 0.5 * (bins[0 : 2 * half : 2] + bins[1 : 2 * half : 2])


def _binning_error(x: np.ndarray) -> float:
    """Binning error of a validated 1-D series (see :func:`binning_error`)."""
    from scipy.stats import chi2  # imported here: scipy.stats takes a second to import

    counts, variances, lag1 = _blocking_levels(x)
    # Under the null hypothesis of uncorrelated bins, the lag-1 autocovariance of the
    # centred bins has mean -(n-1) s / n^2 and variance ~ s^2 / n, so each level adds a
    # squared standard normal; constant levels are perfectly uncorrelated and add zero.
    normalized = np.divide(lag1, variances, out=np.zeros_like(lag1), where=variances > 0.0)
    terms = counts * (normalized + (counts - 1) / counts**2) ** 2
    statistic = np.cumsum(terms[::-1])[::-1]
    thresholds = chi2.ppf(BINNING_CONFIDENCE, df=np.arange(counts.size, 0, -1))
    passed = statistic < thresholds
    if passed.any():
        level = int(np.argmax(passed))
    else:
        warnings.warn(
            f"binning found no plateau within {counts[0]} measurements; the error is "
            "underestimated, use a longer series",
            RuntimeWarning,
            stacklevel=3,
        )
        level = counts.size - 1
    return math.sqrt(variances[level] / (counts[level] - 1))


def _deleted_block_means(x: np.ndarray, blocks: int | None) -> np.ndarray:
    """Means of validated ``(n, R)`` data with each jackknife block left out in turn."""
    n, n_replicas = x.shape
    if blocks is None and n_replicas >= MIN_REPLICAS:
        sums = x.sum(axis=0)
        counts = np.full(n_replicas, n)
    else:
        n_blocks = min(DEFAULT_TIME_BLOCKS, n) if blocks is None else blocks
        if not 2 <= n_blocks <= n:
            raise ValueError(f"blocks must lie between 2 and n = {n}; got {n_blocks}")
        starts = np.arange(n_blocks) * n // n_blocks
        sums = np.add.reduceat(x.sum(axis=1), starts)
        counts = np.diff(np.append(starts, n)) * n_replicas
    return (sums.sum() - sums) / (x.size - counts)


@dataclass(frozen=True)
class DecayFit:
    """A weighted least-squares fit of a decaying law to (x, y ± err), made on log y.

    Attributes
    ----------
    law : str
        ``"power"``: y = A x^-value (``value`` is the exponent υ, dimensionless), or
        ``"exponential"``: y = A exp(-x / value) (``value`` is the decay length ξ, in the
        units of x).
    amplitude : float
        A, in the units of y.
    value, error : float
        The exponent or decay length and its one-sigma error. The error comes from the
        given errors of y, widened by sqrt(χ²/dof) when the points scatter more than
        their errors say (χ²/dof > 1).
    chi2 : float
        χ² of the fit on log y (weights (y / err)²); NaN when no errors were given.
    dof : int
        Points used minus 2 (the fit's parameters); 0 for an exact two-point fit.
    n_points : int
        Points that entered the fit (x > 0 for a power law, y > 0, finite).

    Every number is NaN (and ``n_points`` < 2) when fewer than two usable points remain.
    """

    law: str
    amplitude: float
    value: float
    error: float
    chi2: float
    dof: int
    n_points: int

    @property
    def chi2_dof(self) -> float:
        """χ² per degree of freedom; NaN without degrees of freedom."""
        return self.chi2 / self.dof if self.dof > 0 else math.nan

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """The fitted law at ``x`` (float array), e.g. to draw it."""
        x = np.asarray(x, dtype=np.float64)
        if self.law == "power":
            return self.amplitude * x ** -self.value
        return self.amplitude * np.exp(-x / self.value)


def _log_linear_fit(t: np.ndarray, y: np.ndarray, err: np.ndarray, ok: np.ndarray
                    ) -> tuple[float, float, float, float, int, int] | None:
    """Fit log y = c0 + c1 t over ``ok``; returns (c0, c1, σ(c1) widened, χ², dof, n)."""
    n = int(ok.sum())
    if n < 2:
        return None
    t, ly = t[ok], np.log(y[ok])
    with np.errstate(divide="ignore", invalid="ignore"):
        w = (y[ok] / err[ok]) ** 2  # 1 / var(log y) = (y / err)^2
    given = bool(np.all(np.isfinite(w) & (w > 0)))
    if not given:
        w = np.ones_like(t)
    A = np.stack([np.ones_like(t), t], axis=1)
    cov = np.linalg.pinv(A.T @ (w[:, None] * A))
    coef = cov @ (A.T @ (w * ly))
    chi2 = float(w @ (ly - A @ coef) ** 2)
    dof = n - 2
    scale = max(chi2 / dof, 1.0) if dof > 0 else 1.0
    if not given:  # no errors: the scatter alone sets them (NaN for two points)
        scale = chi2 / dof if dof > 0 else math.nan
        chi2 = math.nan
    return float(coef[0]), float(coef[1]), math.sqrt(cov[1, 1] * scale), chi2, dof, n


def _fit_inputs(x: np.ndarray, y: np.ndarray, err: np.ndarray | None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    err = np.full_like(y, np.nan) if err is None else np.asarray(err, dtype=np.float64)
    if not x.shape == y.shape == err.shape or x.ndim != 1:
        raise InputError(f"a fit needs x, y and err of one shape (n,), got {x.shape}, "
                         f"{y.shape} and {err.shape}")
    return x, y, err


def power_law_fit(x: np.ndarray, y: np.ndarray, err: np.ndarray | None = None) -> DecayFit:
    """Fit y = A x^-υ by weighted least squares of log y = log A - υ log x.

    Parameters
    ----------
    x, y, err : numpy.ndarray
        float (n,): abscissae, values and one-sigma errors of the values (``None`` or
        non-positive errors: unweighted, errors from the scatter). Points with x <= 0,
        y <= 0 or non-finite y are left out (a logarithm needs them positive); a caller
        that must also drop values consistent with zero does so before (e.g. y < 2 err).

    Returns
    -------
    DecayFit
        ``law="power"``, ``value`` = υ with its error, χ² and dof. All NaN with fewer than
        two usable points.
    """
    x, y, err = _fit_inputs(x, y, err)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.log(np.where(x > 0, x, np.nan))
    fit = _log_linear_fit(t, y, err, (x > 0) & (y > 0) & np.isfinite(y))
    if fit is None:
        return DecayFit("power", math.nan, math.nan, math.nan, math.nan, 0, int(
            ((x > 0) & (y > 0)).sum()))
    c0, c1, sigma, chi2, dof, n = fit
    return DecayFit("power", math.exp(c0), -c1, sigma, chi2, dof, n)


def exponential_fit(x: np.ndarray, y: np.ndarray, err: np.ndarray | None = None) -> DecayFit:
    """Fit y = A exp(-x / ξ) by weighted least squares of log y = log A - x / ξ.

    Parameters
    ----------
    x, y, err : numpy.ndarray
        float (n,), as for :func:`power_law_fit`; points with y <= 0 or non-finite are left
        out (x may be 0 or negative).

    Returns
    -------
    DecayFit
        ``law="exponential"``, ``value`` = ξ (units of x) with its error propagated from the
        slope s = -1/ξ (σ_ξ = σ_s ξ²), χ² and dof. A slope that is not negative (no decay
        within the errors of a rising fit) gives ξ < 0 or infinite: read it with its error.
        All NaN with fewer than two usable points.
    """
    x, y, err = _fit_inputs(x, y, err)
    fit = _log_linear_fit(x, y, err, (y > 0) & np.isfinite(y) & np.isfinite(x))
    if fit is None:
        return DecayFit("exponential", math.nan, math.nan, math.nan, math.nan, 0,
                        int((y > 0).sum()))
    c0, c1, sigma, chi2, dof, n = fit
    xi = -1.0 / c1 if c1 != 0 else math.inf
    return DecayFit("exponential", math.exp(c0), xi, sigma * xi * xi, chi2, dof, n)
