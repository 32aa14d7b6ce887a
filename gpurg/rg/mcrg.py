"""Swendsen's Monte Carlo renormalisation group (PRL 42, 859 (1979); science.md §6).

For independent configurations at (or near) the critical point, apply an RG map n times. At
every level k >= 1, with S_a^(k) the extensive operator sums on the level-k lattice,

    A_ab = <S_a^(k) S_b^(k)>   - <S_a^(k)><S_b^(k)>
    B_ab = <S_a^(k) S_b^(k-1)> - <S_a^(k)><S_b^(k-1)>
    T    = A^-1 B,     T_cb = ∂K_c^(k) / ∂K_b^(k-1).

Why this is T: <S_a^(k)> depends on the level-(k-1) couplings through the level-k ones, so
∂<S_a^(k)>/∂K_b^(k-1) = B_ab = Σ_c (∂<S_a^(k)>/∂K_c^(k)) (∂K_c^(k)/∂K_b^(k-1)) = (A T)_ab.
(Any transposition would leave the eigenvalues unchanged, but T_cb as above is the matrix that
acts on coupling vectors: δK^(k) = T δK^(k-1).) The leading eigenvalue of the even block is
λ_t = b^{y_t} (ν = 1 / y_t), that of the odd block |λ_h| = b^{y_h}; even and odd operators do
not mix by spin-flip symmetry, so the blocks are treated separately. The odd block is read by
modulus because the orientation of the coarse spins is a convention of the map (a learned unit
and its negative are one rule) that flips the sign of T_odd and nothing else.

Operators: the first m of ``gpurg.rg.operators.EVEN`` / ``ODD`` (square lattice; on the simple
cubic lattice ``EVEN_3D`` / ``ODD_3D``, chosen by the configurations' dimension) for m = 1..M,
where M at level k is the number of leading operators that fit the level-k lattice
(L_k >= 2 span; a wrapped operator duplicates a shorter one and makes A singular); entries
that do not fit are NaN in the result.

Errors: delete-one-block jackknife over blocks of samples (the formula of
:func:`gpurg.stats.jackknife`, sqrt((B-1)/B Σ (f_-j - mean f_-j)^2)); that function takes one
float per series, so the matrix-valued estimate is jackknifed here from per-block moment sums.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gpurg.errors import InputError
from gpurg.rg.maps import RGMap
from gpurg.rg.operators import lattice_dimension, n_fitting, operator_sets, operator_sums
from gpurg.stats import jackknife_labels, jackknife_spread
from gpurg.validation import SEED, Integer, checked, to_host

DEFAULT_BLOCKS = 16
MCRG_LEVELS = Integer(1, optional=True)
"""RG steps of :func:`mcrg`: >= 1 (at most what the lattice allows), None for the default."""


@checked(levels=Integer(0), seed=SEED)
def rg_levels(configs: Any, rg_map: RGMap, levels: int, *, seed: int = 0) -> list[Any]:
    """[level 0, ..., level ``levels``]: int8 (n, L / b^k, ..., L / b^k) configurations (as
    many lattice axes as ``configs`` has), level 0 being ``configs`` itself; step k calls
    ``rg_map(..., seed=seed, level=k - 1)``."""
    out = [configs]
    for k in range(levels):
        out.append(rg_map(out[-1], seed=seed, level=k))
    return out


@checked(L=Integer(1), b=Integer(2), min_size=Integer(1))
def max_levels(L: int, b: int, min_size: int = 2) -> int:
    """The most RG steps that keep L divisible by b and the lattice at least ``min_size``."""
    n = 0
    while L % b == 0 and L // b >= min_size:
        L //= b
        n += 1
    return n


@dataclass
class MCRGResult:
    """MCRG exponents over (level, number of operators).

    ``y_t``, ``y_t_err``: float64 (n_levels, len(even)), entry [k - 1, m - 1] from the first m
    even operators at level k (NaN where they do not fit or λ <= 0); ``y_h``, ``y_h_err``
    likewise (n_levels, len(odd)) from |λ_h|. ``lambda_t``, ``lambda_h``: the leading
    eigenvalues (λ_t the largest real part, λ_h the largest modulus, reported as |λ_h|).
    """

    b: int
    L: int
    n_samples: int
    n_blocks: int
    even: tuple[str, ...]
    odd: tuple[str, ...]
    lambda_t: np.ndarray
    y_t: np.ndarray
    y_t_err: np.ndarray
    lambda_h: np.ndarray
    y_h: np.ndarray
    y_h_err: np.ndarray
    sizes: tuple[int, ...] = field(default=())

    @property
    def n_levels(self) -> int:
        return self.y_t.shape[0]

    def nu(self, level: int, m: int | None = None) -> tuple[float, float]:
        """(ν, error) = 1 / y_t at ``level`` with the first m (default: all fitting) even
        operators; the error is propagated to first order."""
        y, e = self.exponent("t", level, m)
        return 1.0 / y, e / y**2

    def exponent(self, which: str, level: int, m: int | None = None) -> tuple[float, float]:
        """(value, error) of y_t (``which="t"``) or y_h (``"h"``) at ``level`` (1-based) with
        the first m operators, default the most that fit."""
        y, e = (self.y_t, self.y_t_err) if which == "t" else (self.y_h, self.y_h_err)
        if not 1 <= level <= self.n_levels:
            raise InputError(f"level must be in 1..{self.n_levels}, got {level}")
        row = y[level - 1]
        if m is None:
            ok = np.flatnonzero(~np.isnan(row))
            if ok.size == 0:
                return math.nan, math.nan
            m = int(ok[-1]) + 1
        return float(row[m - 1]), float(e[level - 1, m - 1])

    def table(self) -> str:
        """The convergence table: one row per (level, m), y_t and y_h with errors."""
        lines = [f"MCRG b={self.b} L={self.L} samples={self.n_samples} "
                 f"jackknife blocks={self.n_blocks}",
                 f"{'level':>5} {'L_k':>4} {'m':>2}  {'y_t':>16}  {'y_h':>16}"]
        for k in range(self.n_levels):
            for m in range(max(len(self.even), len(self.odd))):
                cells = []
                for y, e in ((self.y_t, self.y_t_err), (self.y_h, self.y_h_err)):
                    if m < y.shape[1] and not np.isnan(y[k, m]):
                        cells.append(f"{y[k, m]:8.4f} ± {e[k, m]:.4f}")
                    else:
                        cells.append("-")
                lk = self.sizes[k + 1] if self.sizes else 0
                lines.append(f"{k + 1:>5} {lk:>4} {m + 1:>2}  {cells[0]:>16}  {cells[1]:>16}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


def _moments(x: np.ndarray, y: np.ndarray, labels: np.ndarray, nb: int) -> tuple:
    """Full and delete-one-block (count, Σx, Σy, Σxx^T, Σxy^T) for x, y float64 (n, M)."""
    cnt = np.bincount(labels, minlength=nb).astype(np.float64)
    one = np.eye(nb)[labels]  # (n, nb) block indicator
    sx = one.T @ x
    sy = one.T @ y
    sxx = np.einsum("nj,na,nb->jab", one, x, x, optimize=True)
    sxy = np.einsum("nj,na,nb->jab", one, x, y, optimize=True)
    parts = (cnt, sx, sy, sxx, sxy)
    full = tuple(p.sum(axis=0) for p in parts)
    deleted = tuple(f[None] - p for f, p in zip(full, parts, strict=True))
    return full, deleted


def _leading(cnt: float, sx: np.ndarray, sy: np.ndarray, sxx: np.ndarray, sxy: np.ndarray,
             m: int, odd: bool) -> float:
    """Leading eigenvalue of T = A^-1 B over the first m operators: the largest real part in
    the even sector, the largest modulus |λ| in the odd one.

    Why the odd sector differs: the sign of a coarse spin is a convention of the map (a learned
    unit and its negative are the same rule), and flipping it at level k flips every odd
    operator there, so B_odd (levels k, k-1) changes sign while A_odd does not: T_odd -> -T_odd.
    Its spectrum changes sign with it; |λ| is the part that does not depend on the convention.
    Even operators are unchanged by the flip.
    """
    mx, my = sx[:m] / cnt, sy[:m] / cnt
    A = sxx[:m, :m] / cnt - np.outer(mx, mx)
    B = sxy[:m, :m] / cnt - np.outer(mx, my)
    try:
        T = np.linalg.solve(A, B)
    except np.linalg.LinAlgError:
        return math.nan
    ev = np.linalg.eigvals(T)
    return float(np.abs(ev).max()) if odd else float(ev.real.max())


def _exponents(x: np.ndarray, y: np.ndarray, labels: np.ndarray, nb: int, m_max: int,
               b: int, odd: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """λ, y = ln λ / ln b and its jackknife error for m = 1..x.shape[1] (NaN beyond m_max);
    ``odd`` selects the odd sector's leading eigenvalue (see :func:`_leading`)."""
    M = x.shape[1]
    lam, yv, err = (np.full(M, np.nan) for _ in range(3))
    # centring with the full means leaves every covariance unchanged and avoids cancellation
    x = x - x.mean(axis=0)
    y = y - y.mean(axis=0)
    full, deleted = _moments(x, y, labels, nb)
    for m in range(1, m_max + 1):
        lam[m - 1] = _leading(*full, m, odd)
        jk = np.array([_leading(*(d[j] for d in deleted), m, odd) for j in range(nb)])
        with np.errstate(invalid="ignore", divide="ignore"):
            ys = np.log(jk) / math.log(b)
            yv[m - 1] = math.log(lam[m - 1]) / math.log(b) if lam[m - 1] > 0 else math.nan
        err[m - 1] = float(jackknife_spread(ys))
    return lam, yv, err


@checked(levels=MCRG_LEVELS, seed=SEED)
def mcrg(configs: Any, rg_map: RGMap, *, levels: int | None = None, seed: int = 0,
         blocks: int | np.ndarray = DEFAULT_BLOCKS, even: tuple[str, ...] | None = None,
         odd: tuple[str, ...] | None = None) -> MCRGResult:
    """Monte Carlo RG exponents of independent ±1 configurations int8 (n, L, L) (square
    lattice) or (n, L, L, L) (simple cubic lattice).

    Parameters
    ----------
    configs : int8 (n, L, L) or (n, L, L, L), numpy or cupy
        Independent samples at the temperature of interest (usually K_c).
    rg_map : RGMap
        The block-spin map; levels 1..``levels`` are made with ``rg_levels``.
    levels : int, optional
        RG steps, >= 1 and at most what L and b allow; default: all that leave a lattice of
        at least 4 sites a side (the smallest on which the span-2 operators are distinct).
    seed : int
        Seed in [0, 2^64) for stochastic maps (majority ties, RSMI sampling).
    blocks : int or int array (n,)
        Jackknife blocks: a count of contiguous blocks of samples, or a block label per
        sample (e.g. the replica index, for snapshot-major data from correlated chains).
    even, odd : tuple of str, optional
        Operator names of the configurations' dimension, in the order they are added; default
        the dimension's whole sets (:func:`gpurg.rg.operators.operator_sets`).

    Returns
    -------
    MCRGResult
        y_t and y_h over (level, m) with jackknife errors.
    """
    dim = lattice_dimension(configs)
    default_even, default_odd = operator_sets(dim)
    even = default_even if even is None else tuple(even)
    odd = default_odd if odd is None else tuple(odd)
    n, L = configs.shape[:2]
    b = rg_map.b
    top = max_levels(L, b, 4)
    if levels is None:
        levels = top
    if not 1 <= levels <= max_levels(L, b, 1):
        raise InputError(f"levels must be in 1..{max_levels(L, b, 1)} for L = {L}, b = {b}; "
                         f"got {levels}")
    labels, nb = jackknife_labels(n, blocks)
    lattices = rg_levels(configs, rg_map, levels, seed=seed)
    sizes = tuple(int(c.shape[1]) for c in lattices)
    ops_even = [to_host(operator_sums(c, even)) for c in lattices]
    ops_odd = [to_host(operator_sums(c, odd)) for c in lattices]
    shape_t, shape_h = (levels, len(even)), (levels, len(odd))
    lam_t, y_t, e_t = (np.full(shape_t, np.nan) for _ in range(3))
    lam_h, y_h, e_h = (np.full(shape_h, np.nan) for _ in range(3))
    for k in range(1, levels + 1):
        m_even, m_odd = n_fitting(even, sizes[k], dim), n_fitting(odd, sizes[k], dim)
        lam_t[k - 1], y_t[k - 1], e_t[k - 1] = _exponents(ops_even[k], ops_even[k - 1], labels,
                                                          nb, m_even, b, odd=False)
        lam_h[k - 1], y_h[k - 1], e_h[k - 1] = _exponents(ops_odd[k], ops_odd[k - 1], labels,
                                                          nb, m_odd, b, odd=True)
    return MCRGResult(b, L, n, nb, tuple(even), tuple(odd), lam_t, y_t, e_t, lam_h, y_h, e_h,
                      sizes)
