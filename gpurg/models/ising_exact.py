"""Exact results for the 2D Ising model, used as test oracles.

The model is ``H = -J sum_<ij> s_i s_j - h sum_i s_i`` with ``s_i = +-1`` on an L x L torus
(periodic in both directions, 2N bonds for N = L*L sites; for L = 2 each neighbour pair is joined
by two bonds, as in the transfer-matrix and Kaufman counts). Energies are in units of J unless a
function takes J explicitly, temperatures in the same units (k_B = 1) and ``K = J / T``.

Three families of results are provided:

* the zero-field finite torus of any size by Kaufman's formula as written by Ferdinand & Fisher
  (1969): ``log_partition_function`` and ``energy_and_specific_heat``;
* the full density of states g(E_b, M) of small tori (L <= 6) by a row transfer matrix, and from
  it every thermal average at any J, h, T: ``density_of_states`` and ``exact_observables``;
* the explicit Boltzmann distribution over all 2^16 states of the 4 x 4 torus, for chi-square tests
  of samplers: ``enumerate_states``, ``state_index`` and ``boltzmann_probabilities``;
* Onsager's infinite-lattice results: ``onsager_energy``, ``spontaneous_magnetization`` and
  ``correlation_length``.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
from scipy.special import ellipkm1, logsumexp

from gpurg.errors import InputError
from gpurg.validation import Integer, Real, checked

__all__ = [
    "BINDER_CRITICAL",
    "EXPONENTS",
    "K_C",
    "T_C",
    "boltzmann_probabilities",
    "correlation_length",
    "density_of_states",
    "energy_and_specific_heat",
    "enumerate_states",
    "exact_observables",
    "log_partition_function",
    "onsager_energy",
    "spontaneous_magnetization",
    "state_index",
]

K_C: float = 0.5 * math.log(1.0 + math.sqrt(2.0))
"""Critical coupling K_c = J / T_c = ln(1 + sqrt 2) / 2 of the square lattice."""

T_C: float = 1.0 / K_C
"""Critical temperature T_c / J = 2 / ln(1 + sqrt 2)."""

BINDER_CRITICAL: float = 0.61069
"""Binder cumulant 1 - <m^4> / (3 <m^2>^2) at T_c on the L x L torus in the limit L -> inf."""

EXPONENTS: dict[str, float] = {"nu": 1.0, "yh": 15 / 8}
"""The exact critical exponents ν = 1 (y_t = 1/ν) and y_h = 15/8 (Onsager 1944)."""

_DOS_SIZES = (2, 4, 6)
_MAX_ENUMERATED_L = 4

# the rules of the parameters, shared by the functions below
COUPLING = Real(0.0, low_open=True)
"""A reduced coupling K = J / T: finite and > 0."""
SIDE = Integer(2)
"""A side of the torus (sites)."""
TEMPERATURE = Real(0.0, low_open=True, inf=True)
"""A temperature T > 0 (k_B = 1); inf gives the uniform distribution."""
ENUMERABLE_SIDE = Integer(2, _MAX_ENUMERATED_L)
"""A torus side small enough to list its 2^(L^2) states."""


# ---------------------------------------------------------------------------------------------
# Finite torus at h = 0: Kaufman / Ferdinand-Fisher
# ---------------------------------------------------------------------------------------------


def _gammas(K: float, N: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Kaufman's gamma_l for l = 0 .. 2N-1 and their first two K-derivatives.

    ``cosh gamma_l = cosh 2K coth 2K - cos(pi l / N)``, with gamma_0 = 2K + ln tanh K taken with
    its sign (negative above T_c), which is what makes the fourth product change sign at T_c.
    """
    s2, c2 = math.sinh(2.0 * K), math.cosh(2.0 * K)
    gamma0 = 2.0 * K + math.log(math.tanh(K))
    # cosh gamma_l - 1 written as a sum of squares, so that gamma_l stays accurate where it is
    # small (l = 1 near T_c on large tori) instead of cancelling in arccosh(1 + tiny).
    index = np.arange(1, 2 * N)
    excess = 2.0 * math.sinh(0.5 * gamma0) ** 2 + 2.0 * np.sin(0.5 * np.pi * index / N) ** 2
    sinh_g = np.sqrt(excess * (excess + 2.0))
    gamma = np.log1p(excess + sinh_g)
    # a(K) = cosh 2K coth 2K; differentiate sinh(g) g' = a' and cosh(g) g'^2 + sinh(g) g'' = a''.
    da = 2.0 * c2 * (1.0 - 1.0 / s2**2)
    d2a = 4.0 * s2 - 4.0 / s2 + 8.0 * c2**2 / s2**3
    dgamma = da / sinh_g
    d2gamma = (d2a - (1.0 + excess) * dgamma**2) / sinh_g
    return (
        np.concatenate(([gamma0], gamma)),
        np.concatenate(([2.0 + 2.0 / s2], dgamma)),
        np.concatenate(([-4.0 * c2 / s2**2], d2gamma)),
    )


def _scaled_factors(
    x: np.ndarray, dx: np.ndarray, d2x: np.ndarray, sine: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Factors f = 2 cosh x or 2 sinh x and their K-derivatives, each divided by exp|x|.

    Returns ``(|x|, f, f', f'') * exp(-|x|)`` (the first entry unscaled), so that tori of size
    ~ 100 at strong or weak coupling (|x| of several hundred) neither overflow nor underflow.
    """
    ax = np.abs(x)
    cosh_part = 1.0 + np.exp(-2.0 * ax)
    sinh_part = np.sign(x) * -np.expm1(-2.0 * ax)
    if sine:
        return ax, sinh_part, cosh_part * dx, sinh_part * dx**2 + cosh_part * d2x
    return ax, cosh_part, sinh_part * dx, cosh_part * dx**2 + sinh_part * d2x


def _product_with_derivatives(
    x: np.ndarray, dx: np.ndarray, d2x: np.ndarray, sine: bool
) -> tuple[float, float, float, float]:
    """One of the four Kaufman products P = prod_r f(x_r), with P' and P''.

    Returns ``(log_scale, P, P', P'')`` with the last three divided by exp(log_scale). Factor 0 is
    kept apart by the product rule: for the sinh product with gamma_0 it vanishes at T_c, where
    dividing by it (as a plain log-derivative would) is 0/0. All other factors are positive.
    """
    ax, f, f1, f2 = _scaled_factors(x, dx, d2x, sine)
    ratio1 = f1[1:] / f[1:]
    dlog_rest = float(np.sum(ratio1))
    d2log_rest = float(np.sum(f2[1:] / f[1:] - ratio1**2))
    log_scale = float(np.sum(ax) + np.sum(np.log(f[1:])))
    value = f[0]
    first = f1[0] + f[0] * dlog_rest
    second = f2[0] + 2.0 * f1[0] * dlog_rest + f[0] * (d2log_rest + dlog_rest**2)
    return log_scale, value, first, second


def _kaufman_log_derivatives(K: float, M: int, N: int) -> tuple[float, float, float]:
    """ln Z of the zero-field M x N torus with d lnZ / dK and d^2 lnZ / dK^2 (arguments
    checked by the callers)."""
    gamma, dgamma, d2gamma = _gammas(K, N)
    terms = []
    for parity in (1, 0):
        x, dx, d2x = (0.5 * M * g[parity::2] for g in (gamma, dgamma, d2gamma))
        for sine in (False, True):
            terms.append(_product_with_derivatives(x, dx, d2x, sine))
    log_scales, values, firsts, seconds = (np.array(column) for column in zip(*terms, strict=True))
    top = log_scales.max()
    weights = np.exp(log_scales - top)
    total = float(weights @ values)
    dlog_sum = float(weights @ firsts) / total
    d2log_sum = float(weights @ seconds) / total - dlog_sum**2

    n_sites = M * N
    s2 = math.sinh(2.0 * K)
    log_z = -math.log(2.0) + 0.5 * n_sites * math.log(2.0 * s2) + top + math.log(total)
    dlog_z = n_sites / math.tanh(2.0 * K) + dlog_sum
    d2log_z = -2.0 * n_sites / s2**2 + d2log_sum
    return log_z, dlog_z, d2log_z


@checked(K=COUPLING, M=SIDE, N=SIDE)
def log_partition_function(K: float, M: int, N: int) -> float:
    """Natural log of the zero-field partition function of the M x N torus.

    Kaufman's exact result in the form of Ferdinand & Fisher (1969),
    ``Z = 1/2 (2 sinh 2K)^(MN/2) (Z1 + Z2 + Z3 + Z4)``, evaluated in scaled form so that it holds
    for tori of several hundred sites per side.

    Parameters
    ----------
    K : float
        Reduced coupling J / T > 0 (dimensionless).
    M, N : int
        Number of columns and rows of the torus, each at least 2.

    Returns
    -------
    float
        ln Z (dimensionless); e.g. Z(4 x 4, K_c) = 5,509,120.
    """
    return _kaufman_log_derivatives(K, M, N)[0]


@checked(K=COUPLING, L=SIDE)
def energy_and_specific_heat(K: float, L: int) -> tuple[float, float]:
    """Exact energy and specific heat per spin of the zero-field L x L torus.

    Uses analytic K-derivatives of the Kaufman products, accurate to ~1e-12 relative.

    Parameters
    ----------
    K : float
        Reduced coupling J / T > 0.
    L : int
        Side of the torus, at least 2.

    Returns
    -------
    u : float
        Energy per spin ``-(1/N) d lnZ / dK`` in units of J.
    c : float
        Specific heat per spin ``(K^2 / N) d^2 lnZ / dK^2`` (units of k_B).
    """
    _, dlog_z, d2log_z = _kaufman_log_derivatives(K, L, L)
    n_sites = L * L
    return -dlog_z / n_sites, K**2 * d2log_z / n_sites


# ---------------------------------------------------------------------------------------------
# Density of states of small tori by a row transfer matrix
# ---------------------------------------------------------------------------------------------


def _row_spins(L: int) -> np.ndarray:
    """Spins of every row state: (2^L, L) int64, bit x of the state index is site x (1 -> +1)."""
    bits = (np.arange(2**L)[:, None] >> np.arange(L)) & 1
    return 2 * bits - 1


def _rotation_classes(L: int) -> tuple[np.ndarray, np.ndarray]:
    """Representatives of the row states under cyclic shifts, with the size of each class."""
    mask = 2**L - 1
    states = np.arange(2**L)
    smallest = states.copy()
    rotated = states.copy()
    for _ in range(L - 1):
        rotated = ((rotated << 1) | (rotated >> (L - 1))) & mask
        smallest = np.minimum(smallest, rotated)
    return np.unique(smallest, return_counts=True)


def _add_vertical_bonds(hist: np.ndarray, L: int) -> np.ndarray:
    """Move from the previous row to the next, adding the L vertical bonds between them.

    ``hist[b, s, i, j]`` counts partial configurations whose last row is s. The result is indexed
    by the next row t and holds sum_s hist[b, s] z^(sum_x s_x t_x) with z shifting the energy
    axis. The bond sum factorises over columns, so the 2^L x 2^L sum is done as L passes that
    each pair states differing in one bit (a fast Walsh-Hadamard-like transform).

    The energy axis has step 2 in E_b: each pass adds z^0 (equal spins) or z^-2 (opposite spins),
    and a final shift by z^L restores the bond sum. Shifts wrap around (np.roll), i.e. the
    polynomials live in Z[z] / (z^n - 1); this is exact because the final histogram fits in one
    period, whatever transient wrapping happens on the way.
    """
    for x in range(L):
        partner = np.arange(hist.shape[1]) ^ (1 << x)
        hist = hist + np.roll(hist[:, partner], -1, axis=2)
    return np.roll(hist, L // 2, axis=2)


def _add_row(hist: np.ndarray, row_energy: np.ndarray, row_magnetisation: np.ndarray) -> np.ndarray:
    """Shift each row state's histogram by that row's horizontal bond sum and magnetisation."""
    n_e, n_m = hist.shape[2:]
    states = np.arange(hist.shape[1])[:, None, None]
    e_index = (np.arange(n_e)[None, :, None] - row_energy[:, None, None] // 2) % n_e
    m_index = (np.arange(n_m)[None, None, :] - row_magnetisation[:, None, None] // 2) % n_m
    return hist[:, states, e_index, m_index]


@checked(L=SIDE)
@cache
def density_of_states(L: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact joint density of states of the L x L torus in bond sum and magnetisation.

    Built row by row with a transfer matrix that keeps, for each state of the current row, the
    histogram of (E_b, M) of the rows so far; the first row is held fixed to close the torus, and
    only one first row per class of cyclic shifts is propagated (the others give the same
    histogram by horizontal translation). L = 6 takes well under a second; results are cached.

    Parameters
    ----------
    L : int
        Side of the torus, one of 2, 4, 6 (even, so that all shifts are whole steps of 2).

    Returns
    -------
    e_values : np.ndarray
        int64, shape (2N + 1,): bond sums E_b = sum_<ij> s_i s_j from -2N to 2N in steps of 2.
    m_values : np.ndarray
        int64, shape (N + 1,): magnetisations M = sum_i s_i from -N to N in steps of 2.
    g : np.ndarray
        int64, shape (2N + 1, N + 1): number of configurations with E_b = e_values[i] and
        M = m_values[j]; sums to 2^N. Many entries are zero (e.g. E_b is always 2N mod 4).
        The arrays are read-only because they are shared by the cache.
    """
    if L not in _DOS_SIZES:
        raise InputError(f"density_of_states supports L in {_DOS_SIZES}, got {L!r}")
    n_sites = L * L
    spins = _row_spins(L)
    row_energy = np.sum(spins * np.roll(spins, -1, axis=1), axis=1)
    row_magnetisation = spins.sum(axis=1)
    first_rows, multiplicity = _rotation_classes(L)

    hist = np.zeros((first_rows.size, 2**L, 2 * n_sites + 1, n_sites + 1), dtype=np.int64)
    hist[np.arange(first_rows.size), first_rows, n_sites, n_sites // 2] = 1
    hist = _add_row(hist, row_energy, row_magnetisation)
    for _ in range(L - 1):
        hist = _add_row(_add_vertical_bonds(hist, L), row_energy, row_magnetisation)
    closed = _add_vertical_bonds(hist, L)[np.arange(first_rows.size), first_rows]
    g = np.einsum("b,bij->ij", multiplicity, closed)

    e_values = np.arange(-2 * n_sites, 2 * n_sites + 1, 2, dtype=np.int64)
    m_values = np.arange(-n_sites, n_sites + 1, 2, dtype=np.int64)
    for array in (e_values, m_values, g):
        array.flags.writeable = False
    return e_values, m_values, g


def _moments(weights: np.ndarray, values: np.ndarray) -> tuple[float, float]:
    """Mean and variance of ``values`` under normalised ``weights`` (variance computed centred)."""
    # Centred on the most probable value: when the weights sit on one level (T -> 0) every
    # deviation with weight is exactly 0, so the variance is 0, not rounding noise that a
    # division by T^2 would blow up.
    reference = values[np.argmax(weights)]
    shift = float(np.sum(weights * (values - reference)))
    return reference + shift, float(np.sum(weights * (values - reference - shift) ** 2))


@checked(T=TEMPERATURE, J=Real(), h=Real())
def exact_observables(L: int, T: float, J: float = 1.0, h: float = 0.0) -> dict[str, float]:
    """Exact thermal averages on the L x L torus from its density of states.

    Parameters
    ----------
    L : int
        Side of the torus, one of 2, 4, 6.
    T : float
        Temperature (same units as J and h, k_B = 1), > 0.
    J : float
        Coupling, either sign (J < 0: antiferromagnet).
    h : float
        Uniform field.

    Returns
    -------
    dict[str, float]
        Per-site averages with m = M / N and e = H / N:
        ``"e"`` <e> (field term included), ``"e2"`` <e^2>, ``"m"`` <m>, ``"abs_m"`` <|m|>,
        ``"m2"`` <m^2>, ``"m4"`` <m^4>, ``"binder"`` 1 - <m^4> / (3 <m^2>^2),
        ``"c"`` N (<e^2> - <e>^2) / T^2, ``"chi"`` N (<m^2> - <|m|>^2) / T and
        ``"chi_m2"`` N <m^2> / T.
    """
    e_values, m_values, g = density_of_states(L)
    n_sites = L * L
    bonds, magnetisation = np.meshgrid(e_values, m_values, indexing="ij")
    present = g > 0
    bonds, magnetisation = bonds[present], magnetisation[present]
    energy = -J * bonds - h * magnetisation
    # Normalise in log space so that |J| / T of order 100 does not overflow exp; by the sum
    # after exp, not by logsumexp, which is lost in rounding once |E| / T ~ 1e300. A T so
    # small that E / T overflows leaves NaN averages (the CLI shows no exact value).
    with np.errstate(over="ignore", invalid="ignore"):
        log_weights = np.log(g[present].astype(np.float64)) - energy / T
        weights = np.exp(log_weights - log_weights.max())
    weights /= weights.sum()

    return thermal_averages(weights, energy / n_sites, magnetisation / n_sites, n_sites, T)


@checked(n_sites=Integer(1), T=TEMPERATURE)
def thermal_averages(weights: np.ndarray, e: np.ndarray, m: np.ndarray, n_sites: int,
                     T: float) -> dict[str, float]:
    """The averages of :func:`exact_observables` over states (or levels) of normalised
    ``weights`` (k,) with energy per site ``e`` (k,) and magnetisation per site ``m`` (k,) on
    a lattice of ``n_sites`` at temperature T: shared by every lattice that enumerates."""
    mean_e, e_var = map(float, _moments(weights, e))
    abs_m, abs_m_var = map(float, _moments(weights, np.abs(m)))
    m2 = float(np.sum(weights * m**2))
    m4 = float(np.sum(weights * m**4))
    return {
        "e": mean_e,
        "e2": e_var + mean_e**2,
        "m": float(np.sum(weights * m)),
        "abs_m": abs_m,
        "m2": m2,
        "m4": m4,
        # undefined where <m^2> = 0: the antiferromagnet's ground state as T -> 0
        "binder": 1.0 - m4 / (3.0 * m2**2) if m2 > 0 else math.nan,
        "c": n_sites * e_var / T / T,  # T**2 overflows (or is 0) for extreme T
        "chi": n_sites * abs_m_var / T,
        "chi_m2": n_sites * m2 / T,
    }


@checked(T=TEMPERATURE, J=Real(), h=Real())
def boltzmann_weights(bonds: np.ndarray, magnetisation: np.ndarray, T: float, J: float,
                      h: float) -> np.ndarray:
    """Normalised Boltzmann weights float64 (k,) of states with bond sums ``bonds`` (k,)
    (sum of s_i s_j over the bonds) and magnetisations (k,)."""
    log_weights = (J * bonds + h * magnetisation) / T
    return np.exp(log_weights - logsumexp(log_weights))


# ---------------------------------------------------------------------------------------------
# Explicit enumeration of small tori
# ---------------------------------------------------------------------------------------------


@checked(L=ENUMERABLE_SIDE)
@cache
def enumerate_states(L: int = 4) -> np.ndarray:
    """Every spin configuration of the L x L torus (intended for L = 4).

    Parameters
    ----------
    L : int
        Side of the torus, 2 <= L <= 4.

    Returns
    -------
    np.ndarray
        int8, shape (2^(L*L), L, L), read-only: entry [k, y, x] is +1 if bit (y * L + x) of k is
        set and -1 otherwise, so that ``state_index(enumerate_states(L)) == arange(2^(L*L))``.
    """
    n_sites = L * L
    bits = (np.arange(2**n_sites, dtype=np.int64)[:, None] >> np.arange(n_sites)) & 1
    states = (2 * bits - 1).astype(np.int8).reshape(-1, L, L)
    states.flags.writeable = False
    return states


def state_index(configs: np.ndarray) -> np.ndarray:
    """Index of each configuration in the ordering of ``enumerate_states``.

    Parameters
    ----------
    configs : np.ndarray
        Spins +-1 (any integer dtype, typically int8), shape (..., L, L) with 2 <= L <= 4.

    Returns
    -------
    np.ndarray
        int64, shape (...): the state index k of each configuration.
    """
    configs = np.asarray(configs)
    L = configs.shape[-1]
    if configs.ndim < 2 or configs.shape[-2] != L:
        raise InputError(f"expected configurations of shape (..., L, L), got {configs.shape}")
    ENUMERABLE_SIDE.check("L", L)
    place_values = (np.int64(1) << np.arange(L * L, dtype=np.int64)).reshape(L, L)
    return np.sum((configs > 0) * place_values, axis=(-2, -1), dtype=np.int64)


@cache
def _enumerated_bond_sums(L: int) -> tuple[np.ndarray, np.ndarray]:
    """Bond sum E_b and magnetisation M of every state of ``enumerate_states(L)`` (int64)."""
    states = enumerate_states(L).astype(np.int64)
    bonds = np.sum(states * (np.roll(states, 1, axis=1) + np.roll(states, 1, axis=2)), axis=(1, 2))
    return bonds, states.sum(axis=(1, 2))


@checked(L=ENUMERABLE_SIDE, T=TEMPERATURE, J=Real(), h=Real())
def boltzmann_probabilities(L: int, T: float, J: float = 1.0, h: float = 0.0) -> np.ndarray:
    """Exact Boltzmann probability of every state of the L x L torus.

    Parameters
    ----------
    L : int
        Side of the torus, 2 <= L <= 4.
    T : float
        Temperature (k_B = 1), > 0.
    J, h : float
        Coupling (either sign) and uniform field.

    Returns
    -------
    np.ndarray
        float64, shape (2^(L*L),), summing to 1, in the ordering of ``enumerate_states``.
    """
    return boltzmann_weights(*_enumerated_bond_sums(L), T, J, h)


# ---------------------------------------------------------------------------------------------
# Infinite lattice, h = 0, J = 1 (Onsager, Yang)
# ---------------------------------------------------------------------------------------------


@checked(K=COUPLING)
def onsager_energy(K: float) -> float:
    """Energy per spin of the infinite square lattice (units of J, h = 0).

    ``u = -coth 2K [1 + (2/pi)(2 tanh^2 2K - 1) K(k)]`` with ``k = 2 sinh 2K / cosh^2 2K``.

    Parameters
    ----------
    K : float
        Reduced coupling J / T > 0.

    Returns
    -------
    float
        u in units of J; u(K_c) = -sqrt 2.
    """
    s2, c2 = math.sinh(2.0 * K), math.cosh(2.0 * K)
    # 2 tanh^2 2K - 1 = (sinh^2 2K - 1) / cosh^2 2K is, up to sign, the complementary modulus k',
    # so 1 - k^2 is its square: computing it this way keeps K(k) accurate close to T_c.
    signed_k_prime = (s2**2 - 1.0) / c2**2
    if signed_k_prime == 0.0:
        # K(k) diverges only logarithmically, so the product vanishes at T_c.
        return -c2 / s2
    elliptic = ellipkm1(signed_k_prime**2)
    return -(c2 / s2) * (1.0 + (2.0 / math.pi) * signed_k_prime * elliptic)


@checked(K=COUPLING)
def spontaneous_magnetization(K: float) -> float:
    """Spontaneous magnetisation per spin of the infinite lattice (Onsager-Yang).

    Parameters
    ----------
    K : float
        Reduced coupling J / T > 0.

    Returns
    -------
    float
        ``(1 - sinh^-4 2K)^(1/8)`` for K > K_c, 0 otherwise.
    """
    if K <= K_C:
        return 0.0
    return (1.0 - math.sinh(2.0 * K) ** -4) ** 0.125


@checked(K=Real(0.0, K_C, low_open=True, high_open=True))
def correlation_length(K: float) -> float:
    """Correlation length of the infinite lattice in the disordered phase, in lattice spacings.

    Parameters
    ----------
    K : float
        Reduced coupling, 0 < K < K_c.

    Returns
    -------
    float
        ``1 / (-ln tanh K - 2K)``, which diverges as K -> K_c from below.
    """
    return 1.0 / (-math.log(math.tanh(K)) - 2.0 * K)


@checked(L=SIDE, T=TEMPERATURE, J=Real(), h=Real())
def exact_reference(L: int, T: float, J: float = 1.0, h: float = 0.0) -> dict[str, float]:
    """Every exact value known for this torus, to set beside Monte Carlo estimates.

    All observables of :func:`exact_observables` on the 4x4 and 6x6 tori (any J, h); on other
    even L at h = 0 the Ferdinand-Fisher energy per site "e" and specific heat "c" (an even
    torus is bipartite, so J < 0 maps onto |J|). Empty when nothing exact is known.
    """
    if L in (4, 6):
        return exact_observables(L, T, J, h)
    K = abs(J) / T
    if h != 0 or L % 2 or not 0.01 <= K <= 10.0:  # outside the range tested for accuracy
        return {}
    u, c = energy_and_specific_heat(K, L)
    return {"e": abs(J) * u, "c": c}
