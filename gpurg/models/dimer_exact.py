"""Exact results for close-packed dimers on small square tori, used as test oracles.

Conventions are those of :mod:`gpurg.models.dimer_encodings`: a covering of a torus with M rows
and L columns is an int8 array of **site codes** indexed ``[y, x]`` (code = direction of the
site's partner: 0 = +x, 1 = +y, 2 = -x, 3 = -y, periodic), ``bx[y, x]`` is the bond
(y, x)-(y, x+1), ``by[y, x]`` the bond (y, x)-(y+1, x), and the winding numbers are
``W_x = sum_y (-1)^y bx[y, 0]`` and ``W_y = sum_x (-1)^x by[0, x]``. The energy of a covering is
``E = V * N_par`` (N_par = plaquettes holding two parallel dimers) and its weight exp(-E / T);
T = inf makes all coverings equally likely.

Four families of results:

* Kasteleyn's count of the coverings of the M x N torus, exact for every size (evaluated in
  integer arithmetic, see :func:`kasteleyn_count`), its literal floating-point form
  :func:`kasteleyn_log_count`, and the bulk free energy :func:`catalan_free_energy`;
* a row transfer matrix over the mask of vertical dimers crossing a row boundary, giving exact
  counts resolved by winding sector without storing coverings:
  :func:`winding_sector_counts` and :func:`count_by_transfer_matrix` (8 x 8 in ~ 0.05 s);
* the explicit list of every covering of a small torus: :func:`enumerate_coverings` (6 x 6,
  90,176 coverings, in well under a second);
* exact Boltzmann averages over such a list at any V and T: :class:`ExactDimer`, and
  :func:`exact_reference` for the 4 x 4 and 6 x 6 tori, to set beside Monte Carlo estimates.
"""

from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction
from functools import cache
from typing import Any

import numpy as np
from scipy.special import logsumexp

from gpurg.errors import InputError
from gpurg.models.dimer_encodings import (
    bonds,
    columnar_order,
    dimer_correlations,
    parallel_plaquettes,
    validate_codes,
    winding_numbers,
)
from gpurg.validation import Integer, Real, checked

__all__ = [
    "CATALAN",
    "ExactDimer",
    "catalan_free_energy",
    "count_by_transfer_matrix",
    "enumerate_coverings",
    "exact_reference",
    "kasteleyn_count",
    "kasteleyn_log_count",
    "winding_sector_counts",
]

CATALAN: float = 0.915965594177219015054603514932384110774
"""Catalan's constant G = sum_k (-1)^k / (2k + 1)^2."""

_REFERENCE_SIZES = (4, 6)
_MAX_ENUMERATED = 2_000_000
"""Largest number of coverings :func:`enumerate_coverings` will list (4 x 10: 537,636, ~ 20 MB of
codes; 6 x 8 has 3,113,860 and 8 x 8 311,853,312)."""
_MAX_TRANSFER_WIDTH = 10
"""Widest row the sector-resolved transfer matrix accepts: its cost grows like 8^width."""


SIDE = Integer(2, text="an even torus side >= 2")
"""A side of the torus (sites); evenness is checked by :func:`_check_even`, in the same words."""
_DEFAULT_SIDE = replace(SIDE, optional=True)  # None: the function's default (M = L)
INTERACTION = Real()
"""The plaquette interaction V: finite, any sign."""
TEMPERATURE = Real(0.0, low_open=True, inf=True)
"""A temperature T > 0 (k_B = 1), or inf for free dimers."""


def _check_even(**sides: int) -> None:
    """InputError in :data:`SIDE`'s words for an odd side (the rest of the rule is SIDE's)."""
    for name, value in sides.items():
        if value % 2:
            raise SIDE.fail(name, value)


# ---------------------------------------------------------------------------------------------
# Kasteleyn's formula
# ---------------------------------------------------------------------------------------------


def catalan_free_energy() -> float:
    """Free energy per site of close-packed dimers on the infinite square lattice.

    Returns
    -------
    float
        ``lim ln(count) / (M N) = G / pi = 0.2915609040...`` (G = Catalan's constant).
    """
    return CATALAN / math.pi


@checked(M=SIDE, N=SIDE)
def kasteleyn_log_count(M: int, N: int) -> float:
    """Natural log of the number of coverings of the M x N torus, by the literal formula.

    ``count = 1/2 (P01 + P10 + P11)`` with
    ``P_ab = prod_{j<M, k<N} [4 sin^2(pi (2j + a) / M) + 4 sin^2(pi (2k + b) / N)]^(1/4)``
    (P00 = 0), summed in log space so that it holds for tori of any size. Each factor carries a
    rounding error of a few ulp, so ln(count) is good to ~ 1e-15 relative and the count itself
    to ~ M N * 1e-16 relative: exact after rounding only up to about 10 x 10. See
    :func:`kasteleyn_count` for the exact integer at every size.

    Parameters
    ----------
    M, N : int
        Sides of the torus, even and >= 2 (the result is symmetric in M and N).

    Returns
    -------
    float
        ln(count).
    """
    _check_even(M=M, N=N)
    logs = []
    for a, b in ((0, 1), (1, 0), (1, 1)):
        sm = 4.0 * np.sin(np.pi * (2 * np.arange(M) + a) / M) ** 2
        sn = 4.0 * np.sin(np.pi * (2 * np.arange(N) + b) / N) ** 2
        logs.append(0.25 * float(np.sum(np.log(sm[:, None] + sn[None, :]))))
    return float(logsumexp(logs)) - math.log(2.0)


def _chebyshev(n: int) -> list[int]:
    """Coefficients (constant first) of C_n with C_n(2 cosh u) = 2 cosh(n u); C_0 = 2."""
    previous, current = [2], [0, 1]
    if n == 0:
        return previous
    for _ in range(n - 1):
        shifted = [0, *current]
        padded = previous + [0] * (len(shifted) - len(previous))
        previous, current = current, [s - p for s, p in zip(shifted, padded, strict=True)]
    return current


def _trim(p: list[Fraction]) -> list[Fraction]:
    while p and p[-1] == 0:
        p = p[:-1]
    return p


def _remainder(f: list[Fraction], g: list[Fraction]) -> list[Fraction]:
    """f mod g for coefficient lists (constant first), g non-zero."""
    f = list(f)
    while len(f) >= len(g):
        factor = f[-1] / g[-1]
        shift = len(f) - len(g)
        for i, c in enumerate(g):
            f[shift + i] -= factor * c
        f = _trim(f[:-1])
    return f


def _resultant(f: list[int], g: list[int]) -> int:
    """Res(f, g) = lc(f)^deg(g) prod_{f(r) = 0} g(r), by the Euclidean algorithm over Q."""
    a = _trim([Fraction(c) for c in f])
    b = _trim([Fraction(c) for c in g])
    result = Fraction(1)
    while a and b:
        m, n = len(a) - 1, len(b) - 1
        if m == 0:
            return int(result * a[0] ** n)
        if n == 0:
            return int(result * b[0] ** m)
        if n >= m:
            # g and (g mod f) agree on the roots of f
            r = _remainder(b, a)
            result *= a[-1] ** (n - (len(r) - 1)) if r else 0
            b = r
        else:
            result *= (-1) ** (m * n)
            a, b = b, a
    return 0


@checked(M=SIDE, N=SIDE)
def kasteleyn_count(M: int, N: int) -> int:
    """Exact number of close-packed dimer coverings of the M x N torus (Kasteleyn 1961).

    The formula of :func:`kasteleyn_log_count` is evaluated exactly: summing over k first,
    ``prod_k [x - 2 cos(2 pi (2k + b) / N)] = [C_{N/2}(x) - 2 (-1)^b]^2`` (C_n the Chebyshev
    polynomial with C_n(2 cosh u) = 2 cosh nu), and the remaining product over j runs over the
    roots y of ``C_{M/2}(y) - 2 (-1)^a`` with x = 4 - y, so that
    ``P_ab = |Res_y(C_{M/2}(y) - 2 (-1)^a, C_{N/2}(4 - y) - 2 (-1)^b)|``, a resultant of integer
    polynomials. Exact for every size (no floating point); 64 x 64 takes ~ 0.3 s. Bonds are
    counted as distinct edges, so on a side of 2 the two bonds joining the same pair of sites
    give different coverings (2 x 2 -> 8), as with site codes.

    Parameters
    ----------
    M, N : int
        Sides of the torus, even and >= 2 (the count is symmetric in M and N).

    Returns
    -------
    int
        The count: 4 x 4 -> 272, 4 x 6 -> 3,108, 6 x 6 -> 90,176, 8 x 8 -> 311,853,312.
    """
    # validated outside the cache, which would take 4.0 for 4
    _check_even(M=M, N=N)
    return _kasteleyn_count(M, N)


@cache
def _kasteleyn_count(M: int, N: int) -> int:
    cm, cn = _chebyshev(M // 2), _chebyshev(N // 2)
    # coefficients of C_{N/2}(4 - y) in y, by Horner's rule in (4 - y)
    shifted: list[int] = []
    for c in reversed(cn):
        times = [4 * u for u in shifted] + [0]
        for i, u in enumerate(shifted):
            times[i + 1] -= u
        shifted = times
        shifted[0] += c
    total = 0
    for a, b in ((0, 1), (1, 0), (1, 1)):
        f = [cm[0] - 2 * (-1) ** a, *cm[1:]]
        g = [shifted[0] - 2 * (-1) ** b, *shifted[1:]]
        total += abs(_resultant(f, g))
    return total // 2


# ---------------------------------------------------------------------------------------------
# Row transfer matrix
# ---------------------------------------------------------------------------------------------


@cache
def _row_transitions(L: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every way to fill one row of width L, given the vertical dimers entering it from below.

    A row is described by ``m_in`` (bit x: site x is paired with the site below, code 3),
    ``m_out`` (bit x: paired with the site above, code 1), disjoint, and the horizontal dimers
    ``h`` (bit x: dimer (x, x+1 mod L)) that cover the remaining sites exactly once.

    Returns
    -------
    m_in, m_out, h : np.ndarray
        int64, shape (n,), sorted by m_in, then m_out, then h.
    row_codes : np.ndarray
        int8, shape (n, L): the site codes of each row.
    """
    full = (1 << L) - 1
    states = np.arange(1 << L, dtype=np.int64)
    sites = np.arange(L)
    right_ends = ((states << 1) | (states >> (L - 1))) & full
    covered = states | right_ends
    popcount = ((states[:, None] >> sites) & 1).sum(axis=1)
    covered_count = ((covered[:, None] >> sites) & 1).sum(axis=1)
    # non-overlapping horizontal dimers, grouped by the set of sites they cover
    valid_h = states[covered_count == 2 * popcount]
    tilings: dict[int, list[int]] = {}
    for h in valid_h.tolist():
        tilings.setdefault(int(covered[h]), []).append(h)

    rows = []
    for m_in in range(1 << L):
        for m_out in range(1 << L):
            if m_in & m_out:
                continue
            for h in tilings.get(full & ~(m_in | m_out), []):
                rows.append((m_in, m_out, h))
    m_in, m_out, h = (np.array(column, dtype=np.int64) for column in zip(*rows, strict=True))
    # every site is in exactly one of the four sets by construction
    below, above, right = (((mask[:, None] >> sites) & 1) == 1 for mask in (m_in, m_out, h))
    left = np.roll(right, 1, axis=1)  # the dimer from x-1 covers x
    row_codes = 3 * below + 1 * above + 0 * right + 2 * left
    for array in (m_in, m_out, h):
        array.flags.writeable = False
    return m_in, m_out, h, row_codes.astype(np.int8)


def _alternating_sum(mask: np.ndarray, L: int) -> np.ndarray:
    """sum_x (-1)^x (bit x of mask), int64 of the shape of ``mask``."""
    sign = 1 - 2 * (np.arange(L) % 2)
    return (((mask[..., None] >> np.arange(L)) & 1) * sign).sum(axis=-1)


def _is_prime(n: int) -> bool:
    """Deterministic Miller-Rabin for n < 3.4e12 (bases 2..13 suffice there)."""
    if n < 2 or n % 2 == 0:
        return n == 2
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for a in (2, 3, 5, 7, 11, 13):
        if a % n == 0:
            continue
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


@cache
def _moduli(count: int) -> tuple[int, ...]:
    """The ``count`` largest primes below 2^40."""
    primes: list[int] = []
    candidate = 2**40 - 1
    while len(primes) < count:
        if _is_prime(candidate):
            primes.append(candidate)
        candidate -= 2
    return tuple(primes)


def _sector_counts_rows(L: int, M: int) -> dict[tuple[int, int], int]:
    """Sector counts with L columns (the transfer direction) and M rows; see the public one.

    The first row boundary is the one between rows 0 and 1, whose vertical dimers fix W_y; W_x
    is carried along as a label, each row y adding (-1)^y bx[y, 0] (bit 0 of h). The product of
    transfer matrices is done for all starting masks at once with float64 BLAS modulo primes
    p < 2^40: a row step adds at most 2^L <= 2^10 residues, and so does the final sum over start
    masks weighted by orbit size, so every sum stays an integer below 2^53 and is exact. Enough
    primes to exceed the total count (known from Kasteleyn) are used and the counts rebuilt by the
    Chinese remainder theorem: a single prime up to 2^39 ~ 5e11 coverings.
    """
    m_in, m_out, h, _ = _row_transitions(L)
    n_states = 1 << L
    crossing = (h & 1).astype(bool)
    half = M // 2
    n_w = M + 1  # partial W_x stays within [-M/2, M/2]: as many +1 rows as -1 rows
    # Translating a covering by two columns rotates its start mask and keeps both winding
    # numbers (the flux through every column cut is the same), so one start per orbit will do.
    masks = np.arange(n_states, dtype=np.int64)
    smallest, rotated = masks.copy(), masks.copy()
    for _ in range(L // 2 - 1):
        rotated = ((rotated << 2) | (rotated >> (L - 2))) & (n_states - 1)
        smallest = np.minimum(smallest, rotated)
    starts, multiplicity = np.unique(smallest, return_counts=True)
    rows = np.arange(starts.size)
    wy_values, wy_index = np.unique(_alternating_sum(starts, L), return_inverse=True)
    mats = []
    for part in (~crossing, crossing):
        t = np.zeros((n_states, n_states))
        np.add.at(t, (m_in[part], m_out[part]), 1.0)
        mats.append(t)

    def residues(p: int) -> np.ndarray:
        # vectors[s, w, m]: paths from start mask s to current mask m with partial W_x = w - M/2
        vectors = np.zeros((starts.size, n_w, n_states))
        vectors[rows, half, starts] = 1.0
        for step in range(M):
            y = (step + 1) % M
            flat = vectors.reshape(-1, n_states)
            stay = (flat @ mats[0]).reshape(vectors.shape)
            moved = (flat @ mats[1]).reshape(vectors.shape)
            # row y adds (-1)^y to W_x when its bond (y, 0)-(y, 1) is occupied
            if y % 2 == 0:
                stay[:, 1:] += moved[:, :-1]
            else:
                stay[:, :-1] += moved[:, 1:]
            vectors = np.fmod(stay, p, out=stay)
        closed = np.zeros((wy_values.size, n_w))
        np.add.at(closed, wy_index.reshape(-1), vectors[rows, :, starts] * multiplicity[:, None])
        return np.fmod(closed, p).astype(np.int64)

    total = _kasteleyn_count(M, L)
    value = np.zeros((wy_values.size, n_w), dtype=object)
    modulus = 1
    for p in _moduli(total.bit_length() // 39 + 1):
        r = residues(p).astype(object)
        # CRT: the value so far is right mod `modulus`; correct it mod p as well
        value = value + modulus * ((r - value) * pow(modulus, -1, p) % p)
        modulus *= p
    counts: dict[tuple[int, int], int] = {}
    for i, w_y in enumerate(wy_values.tolist()):
        for w in range(n_w):
            if value[i, w]:
                counts[(w - half, w_y)] = int(value[i, w])
    return counts


@checked(L=SIDE, M=_DEFAULT_SIDE)
def winding_sector_counts(L: int, M: int | None = None) -> dict[tuple[int, int], int]:
    """Exact number of coverings in each winding sector, by a row transfer matrix.

    Parameters
    ----------
    L : int
        Number of columns (x), even and >= 2.
    M : int, optional
        Number of rows (y), even and >= 2; default L. The transfer matrix runs along the longer
        side, with rows of min(L, M) <= 10 sites (8 x 8: ~ 0.05 s, 10 x 10: ~ 5 s).

    Returns
    -------
    dict[tuple[int, int], int]
        ``{(W_x, W_y): count}`` for every non-empty sector, sorted by key; the counts sum to
        :func:`kasteleyn_count`. The sectors (+-L/2, 0) and (0, +-L/2) of the square torus hold
        one covering each (the staggered states).
    """
    M = L if M is None else M
    _check_even(L=L, M=M)
    width = min(L, M)
    if width > _MAX_TRANSFER_WIDTH:
        raise InputError(f"winding sector counts need min(L, M) <= {_MAX_TRANSFER_WIDTH}, "
                         f"got L={L}, M={M}")
    return dict(_winding_sector_counts(L, M))


@cache
def _winding_sector_counts(L: int, M: int) -> dict[tuple[int, int], int]:
    if L <= M:
        counts = _sector_counts_rows(L, M)
    else:
        # transposing the torus swaps bx and by, hence W_x and W_y (sublattices are kept)
        counts = {(wy, wx): c for (wx, wy), c in _sector_counts_rows(M, L).items()}
    return dict(sorted(counts.items()))


@checked(L=SIDE, M=_DEFAULT_SIDE)
def count_by_transfer_matrix(L: int, M: int | None = None) -> int:
    """Exact number of coverings of the torus with M rows and L columns (default M = L).

    The sum of :func:`winding_sector_counts`; an independent check of :func:`kasteleyn_count`
    (8 x 8 -> 311,853,312). Needs min(L, M) <= 10.
    """
    return sum(winding_sector_counts(L, M).values())


# ---------------------------------------------------------------------------------------------
# Enumeration
# ---------------------------------------------------------------------------------------------


@cache
def _enumerate(L: int, M: int) -> np.ndarray:
    """All coverings with M rows of width L (L <= M is fastest); see enumerate_coverings."""
    m_in, m_out, _, row_codes = _row_transitions(L)
    n_states = 1 << L
    first = np.searchsorted(m_in, np.arange(n_states))
    options = np.bincount(m_in, minlength=n_states)
    # reach[j][a, b]: mask b can follow mask a after j more rows; pruning partial coverings that
    # cannot close keeps every intermediate list no longer than the final one
    step = np.zeros((n_states, n_states), dtype=bool)
    step[m_in, m_out] = True
    reach = [np.eye(n_states, dtype=bool)]
    for _ in range(M - 1):
        reach.append((reach[-1].astype(np.int64) @ step.astype(np.int64)) > 0)

    # partial coverings of rows 0 .. k-1: the mask entering row 0 and the row fillings used
    start = np.arange(n_states, dtype=np.int64)
    current = start.copy()
    path = np.empty((n_states, 0), dtype=np.int32)
    for row in range(M):
        reps = options[current]
        parent = np.repeat(np.arange(current.size), reps)
        offsets = np.arange(parent.size) - np.repeat(np.cumsum(reps) - reps, reps)
        chosen = first[current[parent]] + offsets
        start, current = start[parent], m_out[chosen]
        # the remaining M-1-row rows must hand row 0 back the mask it started from
        keep = reach[M - 1 - row][current, start]
        start, current = start[keep], current[keep]
        path = np.concatenate([path[parent[keep]], chosen[keep, None]], axis=1)
    codes = row_codes[path]
    codes.flags.writeable = False
    return codes


@checked(L=SIDE, M=_DEFAULT_SIDE)
def enumerate_coverings(L: int, M: int | None = None) -> np.ndarray:
    """Every close-packed dimer covering of the torus with M rows and L columns.

    Built by the row transfer matrix: the mask of vertical dimers entering row 0 from row M-1
    is chosen first, then each row in turn from the ways to fill it given the mask entering it,
    and the coverings whose last row does not return the first mask are dropped.

    Parameters
    ----------
    L : int
        Number of columns (x), even and >= 2.
    M : int, optional
        Number of rows (y), even and >= 2; default L. At most 2,000,000 coverings are listed
        (6 x 6: 90,176 in ~ 0.1 s; 4 x 10: 537,636; 6 x 8 is refused).

    Returns
    -------
    np.ndarray
        int8, shape (count, M, L), read-only (shared by a cache): site codes [k, y, x]. The order
        is deterministic: lexicographic in (mask entering row 0, filling of row 0, row 1, ...),
        each row filling ordered by (mask entering, mask leaving, horizontal-dimer mask) as
        integers with bit x for column x.
    """
    M = L if M is None else M
    _check_even(L=L, M=M)
    count = kasteleyn_count(M, L)
    if count > _MAX_ENUMERATED:
        raise InputError(f"the {M} x {L} torus has {count} coverings; enumeration is limited to "
                         f"{_MAX_ENUMERATED}")
    if min(L, M) > _MAX_TRANSFER_WIDTH:
        raise InputError(f"enumeration needs min(L, M) <= {_MAX_TRANSFER_WIDTH}, got L={L}, M={M}")
    if L > M:
        # narrower rows keep the transfer matrix small; transpose back (code d -> d ^ 1 swaps
        # the x and y directions: 0 <-> 1, 2 <-> 3)
        codes = np.ascontiguousarray(np.swapaxes(_enumerate(M, L), 1, 2) ^ 1)
        codes.flags.writeable = False
        return codes
    return _enumerate(L, M)


# ---------------------------------------------------------------------------------------------
# Exact Boltzmann averages
# ---------------------------------------------------------------------------------------------


class ExactDimer:
    """Exact Boltzmann averages over an explicit list of coverings of the L x L torus.

    Weights are ``exp(-V N_par / T)`` normalised over the list, so that for the list of all
    coverings (:func:`enumerate_coverings`) every average is the exact thermal one. The
    observables of each covering are computed once, on construction; averages at any (V, T)
    then cost one weighted sum.

    Parameters
    ----------
    codes : array_like
        Integer site codes, shape (n, L, L), L even >= 4; validated (InputError otherwise).
        Meant to be distinct coverings (a repeated one counts twice).

    Attributes
    ----------
    codes : np.ndarray
        int8 (n, L, L).
    n_par : np.ndarray
        int64 (n,): parallel plaquettes of each covering.
    windings : np.ndarray
        int64 (n, 2): (W_x, W_y) of each covering.
    col2 : np.ndarray
        float64 (n,): C_x^2 + C_y^2 of each covering (see ``columnar_order``).
    """

    def __init__(self, codes: Any) -> None:
        codes = np.asarray(codes)
        if codes.ndim != 3:
            raise InputError(f"ExactDimer needs coverings of shape (n, L, L), got {codes.shape}")
        if codes.shape[0] == 0:
            raise InputError("ExactDimer needs at least one covering, got none")
        self.codes = validate_codes(codes)
        self.L = int(self.codes.shape[-1])
        self.n_par = np.asarray(parallel_plaquettes(self.codes), dtype=np.int64)
        self.windings = np.asarray(winding_numbers(self.codes), dtype=np.int64)
        order = np.asarray(columnar_order(self.codes), dtype=np.float64)
        self.col2 = np.sum(order**2, axis=-1)
        sectors, index = np.unique(self.windings, axis=0, return_inverse=True)
        self._sectors = [(int(wx), int(wy)) for wx, wy in sectors]
        self._sector_index = index.reshape(-1)
        self._corr: np.ndarray | None = None  # computed on first use (an FFT per covering)

    @checked(V=INTERACTION, T=TEMPERATURE)
    def probabilities(self, V: float, T: float) -> np.ndarray:
        """Boltzmann probability of each covering: float64 (n,), sums to 1.

        V is the plaquette interaction (finite, any sign), T > 0 the temperature (k_B = 1), or
        math.inf for equal weights. Computed in log space, so V / T of order 1e3 is fine.
        """
        n = self.n_par.size
        if math.isinf(T) or V == 0.0:
            return np.full(n, 1.0 / n)
        # normalised by the sum after exp, not by logsumexp, which is lost in rounding once
        # V / T ~ 1e300; a V / T that overflows leaves NaN (the CLI shows no exact value)
        with np.errstate(over="ignore", invalid="ignore"):
            log_w = -V * self.n_par / T
            w = np.exp(log_w - log_w.max())
        return w / w.sum()

    def mean_energy(self, V: float, T: float) -> float:
        """<E> / L^2 = V <N_par> / L^2 (units of |V|)."""
        density = self.n_par_density(V, T)  # checks V and T
        return float(V) * density

    def n_par_density(self, V: float, T: float) -> float:
        """<N_par> / L^2: parallel plaquettes per site."""
        return float(self.probabilities(V, T) @ self.n_par) / self.L**2

    def specific_heat(self, V: float, T: float) -> float:
        """(<E^2> - <E>^2) / (L^2 T^2) per site; 0 at T = inf."""
        return self._specific_heat(self.probabilities(V, T), V, T)

    def _specific_heat(self, p: np.ndarray, V: float, T: float) -> float:
        if math.isinf(T):
            return 0.0
        # centred on the most probable covering, so that a T -> 0 distribution on one energy
        # level has variance exactly 0, not rounding noise; T**2 would overflow (or be 0)
        deviation = V * (self.n_par - self.n_par[np.argmax(p)])
        mean = float(p @ deviation)
        return float(p @ (deviation - mean) ** 2) / self.L**2 / T / T

    def winding_probabilities(self, V: float, T: float) -> dict[tuple[int, int], float]:
        """P(W_x, W_y) for every sector present in the list, sorted by key (values sum to 1)."""
        return self._winding_probabilities(self.probabilities(V, T))

    def _winding_probabilities(self, p: np.ndarray) -> dict[tuple[int, int], float]:
        totals = np.bincount(self._sector_index, weights=p, minlength=len(self._sectors))
        return {(wx, wy): float(t) for (wx, wy), t in zip(self._sectors, totals, strict=True)}

    def winding_moments(self, V: float, T: float) -> tuple[float, float]:
        """(<W_x^2>, <W_y^2>)."""
        w2 = self.probabilities(V, T) @ self.windings.astype(np.float64) ** 2
        return float(w2[0]), float(w2[1])

    def columnar_order_squared(self, V: float, T: float) -> float:
        """<C_x^2 + C_y^2> with (C_x, C_y) from ``dimer_encodings.columnar_order``."""
        return float(self.probabilities(V, T) @ self.col2)

    def correlations(self, V: float, T: float) -> np.ndarray:
        """<dimer_correlations>: float64 (2, L//2 + 1) (see ``dimer_encodings``)."""
        return self._correlations(self.probabilities(V, T))

    def _correlations(self, p: np.ndarray) -> np.ndarray:
        if self._corr is None:
            self._corr = np.asarray(dimer_correlations(self.codes), dtype=np.float64)
        return np.tensordot(p, self._corr, axes=1)

    def bond_correlations(self, V: float, T: float) -> np.ndarray:
        """<n_b n_b'> for every pair of bonds.

        Returns
        -------
        np.ndarray
            float64, shape (2, L, L, 2, L, L): entry [d, y, x, d', y', x'] is the probability
            that both bond (d, y, x) and bond (d', y', x') are occupied (d = 0: (y, x)-(y, x+1),
            d = 1: (y, x)-(y+1, x)); its diagonal is <n_b>.
        """
        p = self.probabilities(V, T)
        b = bonds(self.codes).reshape(len(p), -1).astype(np.float64)
        matrix = (b * p[:, None]).T @ b
        return matrix.reshape((2, self.L, self.L) * 2)

    def averages(self, V: float, T: float) -> dict[str, Any]:
        """Every average at once, under the keys of :func:`exact_reference`."""
        p = self.probabilities(V, T)
        n_par = float(p @ self.n_par) / self.L**2
        w2 = p @ self.windings.astype(np.float64) ** 2
        return {
            "n_par": n_par,
            "e": float(V) * n_par,
            "c": self._specific_heat(p, V, T),
            "col2": float(p @ self.col2),
            "wx2": float(w2[0]),
            "wy2": float(w2[1]),
            "winding_probabilities": self._winding_probabilities(p),
            "corr": self._correlations(p),
        }


@cache
def _reference_model(L: int) -> ExactDimer:
    return ExactDimer(enumerate_coverings(L))


@checked(V=INTERACTION, T=TEMPERATURE)
def exact_reference(L: int, V: float, T: float) -> dict[str, Any]:
    """Exact thermal averages on the 4 x 4 or 6 x 6 torus, to set beside Monte Carlo estimates.

    Averages over all 272 (L = 4) or 90,176 (L = 6) coverings; the enumeration and the
    observables of each covering are cached, so repeated calls cost a few milliseconds.

    Parameters
    ----------
    L : int
        4 or 6.
    V : float
        Plaquette interaction (finite; V < 0 favours parallel dimers).
    T : float
        Temperature > 0, or math.inf for free dimers.

    Returns
    -------
    dict
        ``"n_par"`` <N_par> / L^2, ``"e"`` V * n_par (energy per site), ``"c"`` specific heat
        per site Var(E) / (L^2 T^2), ``"col2"`` <C_x^2 + C_y^2>, ``"wx2"`` <W_x^2>, ``"wy2"``
        <W_y^2> (floats); ``"winding_probabilities"`` {(W_x, W_y): P}; ``"corr"``
        <dimer_correlations>, float64 (2, L//2 + 1).
    """
    if isinstance(L, bool) or L not in _REFERENCE_SIZES:
        raise InputError(f"exact_reference supports L in {_REFERENCE_SIZES}, got {L!r}")
    return _reference_model(int(L)).averages(V, T)
