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

Memory: the exponents read only the operator sums of each level, float64 (n, operators), so
configurations can come in batches (:func:`level_sums` of each, joined by
:meth:`LevelSums.concatenate`, then :func:`mcrg_exponents`), and the levels below the first
one reported need no sums at all (``first``): on 64^3 lattices the level-0 sums cost 8 times
all the coarser ones together.

Errors: delete-one-block jackknife over blocks of samples (the formula of
:func:`gpurg.stats.jackknife`, sqrt((B-1)/B Σ (f_-j - mean f_-j)^2)); that function takes one
float per series, so the matrix-valued estimate is jackknifed here from per-block moment sums.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
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
    ``sizes``: L_k for k = 0..n_levels; ``first``: the lowest level computed (rows below it
    are NaN).
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
    first: int = 1

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
        for k in range(self.first - 1, self.n_levels):
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


@dataclass(frozen=True)
class LevelSums:
    """The operator sums MCRG reads, of n configurations and of their images under
    ``levels`` RG steps of one map.

    ``even``, ``odd``: per level k = 0..levels, float64 (n, len(even_names)) and
    (n, len(odd_names)) lattice sums (:func:`gpurg.rg.operators.operator_sums`), None at the
    levels below ``first - 1``, which no computed exponent reads. ``sizes``: L_k per level.
    """

    b: int
    dim: int
    first: int
    sizes: tuple[int, ...]
    even_names: tuple[str, ...]
    odd_names: tuple[str, ...]
    even: tuple[np.ndarray | None, ...]
    odd: tuple[np.ndarray | None, ...]

    @property
    def levels(self) -> int:
        return len(self.sizes) - 1

    @property
    def n_samples(self) -> int:
        return int(self.even[-1].shape[0])

    @classmethod
    def concatenate(cls, parts: Sequence[LevelSums]) -> LevelSums:
        """The sums of several batches of configurations as one (samples in the given
        order): the batches must share map, levels and operators."""
        first = parts[0]
        for part in parts[1:]:
            if (part.b, part.dim, part.first, part.sizes, part.even_names, part.odd_names) != \
                    (first.b, first.dim, first.first, first.sizes, first.even_names,
                     first.odd_names):
                raise InputError("level sums of different maps, lattices, levels or operators "
                                 "cannot be joined")

        def join(sums: list[tuple[np.ndarray | None, ...]]) -> tuple[np.ndarray | None, ...]:
            return tuple(None if level[0] is None else np.concatenate(level)
                         for level in zip(*sums, strict=True))

        return replace(first, even=join([p.even for p in parts]),
                       odd=join([p.odd for p in parts]))


@checked(levels=MCRG_LEVELS, first=Integer(1), seed=SEED)
def level_sums(configs: Any, rg_map: RGMap, *, levels: int | None = None, first: int = 1,
               seed: int = 0, even: tuple[str, ...] | None = None,
               odd: tuple[str, ...] | None = None) -> LevelSums:
    """The operator sums of ``configs`` and of their RG images at the levels the exponents
    of levels ``first``..``levels`` read (``first - 1``..``levels``); arguments as in
    :func:`mcrg`. The sums come back to the host."""
    dim = lattice_dimension(configs)
    default_even, default_odd = operator_sets(dim)
    even = default_even if even is None else tuple(even)
    odd = default_odd if odd is None else tuple(odd)
    L, b = configs.shape[1], rg_map.b
    if levels is None:
        levels = max_levels(L, b, 4)
    if not 1 <= levels <= max_levels(L, b, 1):
        raise InputError(f"levels must be in 1..{max_levels(L, b, 1)} for L = {L}, b = {b}; "
                         f"got {levels}")
    if first > levels:
        raise InputError(f"the first level must be in 1..{levels} (the levels), got {first}")
    lattices = rg_levels(configs, rg_map, levels, seed=seed)
    read = [k >= first - 1 for k in range(levels + 1)]
    return LevelSums(
        b, dim, first, tuple(int(c.shape[1]) for c in lattices), even, odd,
        tuple(to_host(operator_sums(c, even)) if r else None for c, r in zip(lattices, read,
                                                                             strict=True)),
        tuple(to_host(operator_sums(c, odd)) if r else None for c, r in zip(lattices, read,
                                                                            strict=True)))


def mcrg_exponents(sums: LevelSums, blocks: int | np.ndarray = DEFAULT_BLOCKS) -> MCRGResult:
    """y_t and y_h at levels ``sums.first``..``sums.levels`` from the operator sums, with
    jackknife errors over ``blocks`` (as in :func:`mcrg`)."""
    labels, nb = jackknife_labels(sums.n_samples, blocks)
    shape_t, shape_h = (sums.levels, len(sums.even_names)), (sums.levels, len(sums.odd_names))
    lam_t, y_t, e_t = (np.full(shape_t, np.nan) for _ in range(3))
    lam_h, y_h, e_h = (np.full(shape_h, np.nan) for _ in range(3))
    for k in range(sums.first, sums.levels + 1):
        m_even = n_fitting(sums.even_names, sums.sizes[k], sums.dim)
        m_odd = n_fitting(sums.odd_names, sums.sizes[k], sums.dim)
        lam_t[k - 1], y_t[k - 1], e_t[k - 1] = _exponents(sums.even[k], sums.even[k - 1], labels,
                                                          nb, m_even, sums.b, odd=False)
        lam_h[k - 1], y_h[k - 1], e_h[k - 1] = _exponents(sums.odd[k], sums.odd[k - 1], labels,
                                                          nb, m_odd, sums.b, odd=True)
    return MCRGResult(sums.b, sums.sizes[0], sums.n_samples, nb, sums.even_names,
                      sums.odd_names, lam_t, y_t, e_t, lam_h, y_h, e_h, sums.sizes, sums.first)


@checked(levels=MCRG_LEVELS, first=Integer(1), seed=SEED)
def mcrg(configs: Any, rg_map: RGMap, *, levels: int | None = None, first: int = 1,
         seed: int = 0, blocks: int | np.ndarray = DEFAULT_BLOCKS,
         even: tuple[str, ...] | None = None, odd: tuple[str, ...] | None = None
         ) -> MCRGResult:
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
    first : int
        The lowest level whose exponents are computed (rows below it are NaN, and the sums
        of the levels below ``first - 1`` are never made).
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
    jackknife_labels(configs.shape[0], blocks)  # bad blocks fail before any work
    return mcrg_exponents(level_sums(configs, rg_map, levels=levels, first=first, seed=seed,
                                     even=even, odd=odd), blocks)
