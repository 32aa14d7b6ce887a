"""The coarse Hamiltonian of the 1D Ising chain under a one-unit RSMI rule, exactly and by the
cumulant expansion of Lenggenhager et al., PRX 10, 011037 (2020) (science.md §6).

Set-up. The chain has coupling K on every bond; blocks of two spins (v1, v2) are each read by
one hidden unit, P(h|v) = σ(2h (λ1 v1 + λ2 v2)) (no bias). The coarse Hamiltonian is
K'[H] = ln P(H) written in products of coarse spins, K'[H] = Σ_S K'_S Π_{i∈S} h_i; on ±1
variables the expansion is unique, and K'_S = 2^-N Σ_H ln P(H) Π_{i∈S} h_i (Walsh
coefficients). The couplings returned are those of the sets :data:`SETS` (consecutive blocks
0, 1, 2, 3): ``K2_1`` nearest pair {0, 1}, ``K2_2`` next-nearest pair {0, 2}, ``K4`` the four
consecutive spins {0, 1, 2, 3}; by the Z2 symmetry every odd coupling vanishes.

Transfer matrices. With a = the previous block's v2 and c = this block's v2,

    Q(h)[a, c] = Σ_{v1} e^{t K a v1} q(v1, c | h),   q(v | h) = e^{K v1 v2} P(h|v) / n(h),

n(h) = Σ_v e^{K v1 v2} P(h|v): q is the law of a block given its own h with the inter-block
bonds (K_1, strength t K) switched off. On a ring of N blocks

    P(H) ∝ Π_b n(h_b) · G_H(t = 1),   G_H(t) = Tr Π_b Q(h_b)(t) = <e^{t K_1}>_{Λ,0}[H],

so ln P(H) = Σ_b ln n(h_b) + ln G_H(1) + const; the first sum only carries single-site
terms (zero by symmetry), every even coupling comes from ln G.

Exact (:func:`chain_couplings`). ln G_H(1) for all 2^N H (a ring cut in two halves: the
products of each half for all its 2^(N/2) configurations, then one batched matrix product
gives every trace), its Walsh coefficients, and N grown by 2 until no coupling changes by
more than rtol (relative to the largest coupling of the point) + atol. The ring's
finite-size error decays as r^N, r the ratio of the two Lyapunov exponents of the random
product (at λ -> 0 r = tanh^2 K; at decimation the blocks decouple given H and N = 6 is
exact): at K = 0.1 N = 8-10 suffices, at K = 1 and small λ the default cap of 24 blocks
leaves changes of order 1e-6 (reported per point, :class:`ChainCouplings`).

Cumulant expansion (:func:`chain_cumulant_couplings`). ln G_H(t) = Σ_k t^k C_k / k!, the
cumulants C_k of K_1 in the product law of the blocks given H, expanded to order n by
truncated power-series arithmetic in the transfer matrices (exact per H), summed at t = 1.
Blocks are independent given H, so C_k is a sum over connected arcs of at most k bonds; on a
ring of N >= n + 4 blocks no arc of n bonds reaches a set of :data:`SETS` the other way
round, so the truncated couplings are those of the infinite chain, with no finite-size
error. As n grows they converge to the exact ones (the series in t converges for |t K| up
to the first complex zero of G, at least |t K| < π/2 for one bond).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from gpurg.errors import InputError
from gpurg.rsmi.exact import COUPLING
from gpurg.validation import Integer, Real, checked

SETS = {"K2_1": (0, 1), "K2_2": (0, 2), "K4": (0, 1, 2, 3)}
MIN_RING = 6  # blocks: a ring of 6 separates the sets of SETS from their images
MAX_RING = 24  # 2^24 coarse configurations per point: 128 MiB of float64
RTOL = 1e-10
ATOL = 1e-14
MAX_ORDER = 16  # cumulant order: a ring of order + 4 blocks, 2^(order + 4) configurations
_CHUNK = 1 << 22  # (points x configurations) held at once


@dataclass(frozen=True)
class ChainCouplings:
    """Coarse couplings at a set of rule points (λ1, λ2), broadcast to a common shape.

    Attributes
    ----------
    K2_1, K2_2, K4 : numpy.ndarray
        float64: the Walsh coefficients of ln P(H) on the sets of :data:`SETS`.
    ring : numpy.ndarray
        int64: blocks N of the ring the values come from (exact: where they converged or the
        cap; cumulant: order + 4).
    change : numpy.ndarray
        float64: largest change of a coupling between the rings of N - 2 and N blocks (the
        exact method's error estimate; 0 for the cumulant expansion, whose values have no
        finite-size error at their order).
    converged : numpy.ndarray
        bool: change within rtol · max|K'| + atol.
    """

    K2_1: np.ndarray
    K2_2: np.ndarray
    K4: np.ndarray
    ring: np.ndarray
    change: np.ndarray
    converged: np.ndarray


def _log_sigmoid(x: np.ndarray) -> np.ndarray:
    return -np.logaddexp(0.0, -x)


def _block_laws(K: float, lam1: np.ndarray, lam2: np.ndarray) -> np.ndarray:
    """q(v1, c | h): float64 (P, h, v1, c), h, v1, c indexed 0 -> -1, 1 -> +1; each (p, h)
    slice sums to 1."""
    s = np.array([-1.0, 1.0])
    h, v1, c = s[:, None, None], s[None, :, None], s[None, None, :]
    x = 2.0 * h * (lam1[:, None, None, None] * v1 + lam2[:, None, None, None] * c)
    log_w = K * v1 * c + _log_sigmoid(x)  # (P, h, v1, c)
    log_w = log_w - log_w.max(axis=(2, 3), keepdims=True)
    w = np.exp(log_w)
    return w / w.sum(axis=(2, 3), keepdims=True)


def _series_blocks(K: float, q: np.ndarray, order: int) -> np.ndarray:
    """Q(h)(t) as a power series in t: float64 (P, h, order + 1, a, c),
    Q^(k)[a, c] = Σ_{v1} (K a v1)^k / k! q(v1, c | h)."""
    s = np.array([-1.0, 1.0])
    av = s[:, None] * s[None, :]  # (a, v1)
    k = np.arange(order + 1)
    coef = (K ** k / np.array([math.factorial(int(j)) for j in k]))[:, None, None] \
        * av[None] ** k[:, None, None]  # (k, a, v1)
    return np.einsum("kav,phvc->phkac", coef, q)


def _half_products(blocks: np.ndarray, n: int) -> np.ndarray:
    """Products Q(h_0) .. Q(h_{n-1}) of power series for all 2^n configurations:
    (P, 2^n, order + 1, 2, 2), configuration k with h_j = +1 iff bit j of k is set."""
    prod = blocks  # (P, 2, m, 2, 2): configurations of one block
    m = blocks.shape[2]
    for _ in range(n - 1):
        new = []
        for h in range(2):
            right = blocks[:, h]  # (P, m, 2, 2)
            out = np.zeros_like(prod)
            for k in range(m):
                # coefficient k of the product: Σ_j prod^(j) right^(k - j)
                out[:, :, k] = np.einsum("pnjab,pjbc->pnac", prod[:, :, :k + 1],
                                         right[:, k::-1])
            new.append(out)
        prod = np.concatenate(new, axis=1)  # the new block is the highest bit
    return prod


def _first_half(n_ring: int) -> int:
    """Blocks of a ring's first half: every set of SETS (blocks 0 .. 3) lies in it."""
    return max(4, (n_ring + 1) // 2)


def _ring_log_traces(blocks: np.ndarray, n_ring: int) -> np.ndarray:
    """ln G_H(t) as a truncated power series for every H of a ring of n_ring blocks:
    float64 (P, 2^n1, 2^n2, order + 1), n1 = :func:`_first_half` the first (lower) blocks."""
    n1 = _first_half(n_ring)
    n2 = n_ring - n1
    left = _half_products(blocks, n1)  # (P, 2^n1, m, 2, 2)
    right = _half_products(blocks, n2)
    m = blocks.shape[2]
    P = blocks.shape[0]
    # Tr(A B) = Σ_ac A[a, c] B[c, a]: flatten A's (a, c) and B transposed's
    A = left.reshape(P, left.shape[1], m, 4)
    B = right.transpose(0, 1, 2, 4, 3).reshape(P, right.shape[1], m, 4)
    G = np.empty((P, left.shape[1], right.shape[1], m))
    for k in range(m):
        a = A[:, :, :k + 1].reshape(P, A.shape[1], -1)  # (P, n1, (k+1) 4)
        b = B[:, :, k::-1].reshape(P, B.shape[1], -1)
        G[..., k] = a @ b.transpose(0, 2, 1)
    # logarithm of the series: l_0 = ln g_0, l_k = (g_k - Σ_{j<k} (j/k) l_j g_{k-j}) / g_0
    L = np.empty_like(G)
    g0 = G[..., 0]
    L[..., 0] = np.log(g0)
    for k in range(1, m):
        acc = G[..., k].copy()
        for j in range(1, k):
            acc -= (j / k) * L[..., j] * G[..., k - j]
        L[..., k] = acc / g0
    return L


def _walsh(log_p: np.ndarray, n1: int) -> dict[str, np.ndarray]:
    """Walsh coefficients of the sets of SETS from ln P (P, 2^n1, 2^n2): every set lies in
    the first n1 blocks."""
    f = log_p.mean(axis=2)  # (P, 2^n1): the other half averaged out
    f = f - f.mean(axis=1, keepdims=True)
    k = np.arange(2**n1)
    out = {}
    for name, sites in SETS.items():
        chi = np.ones(2**n1)
        for j in sites:
            chi = chi * np.where((k >> j) & 1, 1.0, -1.0)
        out[name] = f @ chi / 2**n1
    return out


def _ring_couplings(K: float, lam1: np.ndarray, lam2: np.ndarray, n_ring: int,
                    order: int | None) -> dict[str, np.ndarray]:
    """Couplings on a ring of n_ring blocks: exact (order None) or the cumulant expansion
    to ``order`` (the sum of the series' coefficients 1 .. order)."""
    q = _block_laws(K, lam1, lam2)
    if order is None:
        # t = 1 exactly: a series of one term, Q divided by cosh K to keep ln G of order one
        s = np.array([-1.0, 1.0])
        inter = np.exp(K * s[:, None] * s[None, :]) / math.cosh(K)  # (a, v1)
        blocks = np.einsum("av,phvc->phac", inter, q)[:, :, None]
        log_g = _ring_log_traces(blocks, n_ring)[..., 0]
    else:
        log_g = _ring_log_traces(_series_blocks(K, q, order), n_ring)[..., 1:].sum(axis=-1)
    return _walsh(log_g, _first_half(n_ring))


def _points(lam1: Any, lam2: Any) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    l1, l2 = np.broadcast_arrays(np.asarray(lam1, dtype=np.float64),
                                 np.asarray(lam2, dtype=np.float64))
    if not (np.isfinite(l1).all() and np.isfinite(l2).all()):
        raise InputError("the filters λ1, λ2 must be finite")
    return l1.ravel(), l2.ravel(), l1.shape


@checked(K=COUPLING, max_ring=Integer(MIN_RING, MAX_RING), rtol=Real(0), atol=Real(0))
def chain_couplings(K: float, lam1: Any, lam2: Any, *, max_ring: int = MAX_RING,
                    rtol: float = RTOL, atol: float = ATOL) -> ChainCouplings:
    """Exact coarse couplings of the infinite chain for the rules (λ1, λ2) (module notes):
    rings of N = 6, 8, ... blocks, each point until its couplings change by at most
    rtol · max|K'| + atol, or N = ``max_ring``.

    Parameters
    ----------
    K : float
        The chain's coupling.
    lam1, lam2 : array_like
        Filters of the unit on v1 and v2, broadcast together (any shape).
    max_ring : int
        Largest ring (6 .. 24 blocks).
    rtol, atol : float
        Convergence test on the change between rings of N - 2 and N blocks.
    """
    l1, l2, shape = _points(lam1, lam2)
    n = l1.size
    values = {name: np.zeros(n) for name in SETS}
    ring = np.full(n, MIN_RING, dtype=np.int64)
    change = np.full(n, np.inf)
    active = np.arange(n)
    previous = None
    for n_ring in range(MIN_RING, max_ring + 1, 2):
        if active.size == 0:
            break
        chunk = max(1, _CHUNK >> n_ring)
        new = {name: np.empty(active.size) for name in SETS}
        for start in range(0, active.size, chunk):
            idx = active[start:start + chunk]
            part = _ring_couplings(K, l1[idx], l2[idx], n_ring, None)
            for name in SETS:
                new[name][start:start + chunk] = part[name]
        for name in SETS:
            values[name][active] = new[name]
        ring[active] = n_ring
        if previous is not None:
            delta = np.max([np.abs(new[name] - previous[name]) for name in SETS], axis=0)
            scale = np.max([np.abs(new[name]) for name in SETS], axis=0)
            change[active] = delta
            done = delta <= rtol * scale + atol
            keep = ~done
            active = active[keep]
            new = {name: v[keep] for name, v in new.items()}
        previous = new
    scale = np.max([np.abs(values[name]) for name in SETS], axis=0)
    converged = change <= rtol * scale + atol
    return ChainCouplings(*(values[name].reshape(shape) for name in SETS),
                          ring.reshape(shape), change.reshape(shape),
                          converged.reshape(shape))


@checked(K=COUPLING, order=Integer(1, MAX_ORDER))
def chain_cumulant_couplings(K: float, lam1: Any, lam2: Any, order: int) -> ChainCouplings:
    """Coarse couplings of the infinite chain from the cumulant expansion to ``order``
    (module notes): exact at every order for the truncated series (no finite-size error),
    converging to :func:`chain_couplings` as the order grows.

    Parameters
    ----------
    K : float
        The chain's coupling.
    lam1, lam2 : array_like
        Filters of the unit on v1 and v2, broadcast together.
    order : int
        Highest cumulant C_k kept (1 .. 16); the ring has order + 4 blocks.
    """
    l1, l2, shape = _points(lam1, lam2)
    n_ring = max(order + 4, MIN_RING)
    n = l1.size
    values = {name: np.empty(n) for name in SETS}
    chunk = max(1, _CHUNK // ((order + 1) << n_ring))
    for start in range(0, n, chunk):
        part = _ring_couplings(K, l1[start:start + chunk], l2[start:start + chunk], n_ring,
                               order)
        for name in SETS:
            values[name][start:start + chunk] = part[name]
    return ChainCouplings(*(values[name].reshape(shape) for name in SETS),
                          np.full(shape, n_ring, dtype=np.int64), np.zeros(shape),
                          np.ones(shape, dtype=bool))
