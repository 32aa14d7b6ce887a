"""Exact mutual informations: the oracles the RSMI estimators are checked against
(science.md §3). All informations are in nats.

1D Ising chain (coupling K, zero field). The infinite chain is a Markov chain with uniform
stationary law and P(s_{i+1} = s_i) = (1 + tanh K) / 2, so the marginal of any segment is known
in closed form and small segments are enumerated exactly. The RSMI set-up of science.md: a block
V = (v1, v2), a one-site buffer on each side (b_L, b_R), and E = (e_L, e_R), the spins just
beyond the buffers; by the Markov property the rest of the chain adds nothing.

2D Ising with no buffer (L_B = 0). Given its environment the block's law is local:
P(V|E) ∝ exp(K sum_<ij in V> v_i v_j + K sum_<i in V, j in E> v_i e_j), so summing over all
2^|V| block states gives P_Λ(H|E_n) exactly for every E sample; the only noise left is that of
the E samples themselves.

Estimates and errors (2D): with p_n = P(X|E_n) for X = H or V and p̄ = mean_n p_n (the
estimate of P(X)),

    I = H(p̄) - mean_n H(p_n) = mean_n KL(p_n || p̄),

the mean of a per-sample quantity. The error is the batch-means standard error of that mean:
the n samples, in their given order, are split into ``n_batches`` (>= 16) contiguous batches
(np.array_split) and err = std(batch means, ddof=1) / sqrt(n_batches). Holding p̄ fixed costs
nothing to first order, because p̄ minimises mean_n sum_X p_n(X) log(1 / q(X)) over q.
Contiguous batches absorb the correlations between the pairs of one configuration (and of
successive Monte Carlo configurations) when pairs come sample-major from
:func:`gpurg.rsmi.geometry.extract_pairs`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from gpurg.backend.device import array_module
from gpurg.backend.philox import STREAM_CHAIN_SAMPLES, philox4x32, seed_to_key
from gpurg.errors import InputError
from gpurg.rsmi.geometry import Geometry
from gpurg.rsmi.rule import hidden_states, rule_probabilities
from gpurg.validation import SEED, Integer, Real, check_shape, checked, to_host

MAX_BLOCK_SITES = 16  # 2^16 block states summed exactly per environment sample
MIN_BATCHES = 16
MAX_CHAIN_BLOCKS = 8  # chain_coarse_distribution enumerates 4^n_blocks spin states
# Purpose word of the Philox counter for sample_chain (geometry's random positions use 8).
_CHUNK_ELEMENTS = 1 << 22  # samples x block states held at once (32 MiB of float64)

COUPLING = Real()  # K = J / T: any finite number (negative: antiferromagnetic)
BATCHES = Integer(MIN_BATCHES)


def spin_states(n: int) -> np.ndarray:
    """All ±1 configurations of n spins: int8 (2^n, n), row k has s_j = +1 iff bit j of k is
    set (the :func:`gpurg.rsmi.rule.hidden_states` convention)."""
    k = np.arange(2**n)[:, None]
    return np.where((k >> np.arange(n)) & 1, 1, -1).astype(np.int8)


def _entropy(p: np.ndarray, axis: Any = None) -> Any:
    """Shannon entropy in nats, with 0 log 0 = 0."""
    safe = np.where(p > 0, p, 1.0)
    return -(p * np.log(safe)).sum(axis=axis)


def _mutual_information(joint: np.ndarray) -> float:
    """I(A:B) in nats of a 2D joint probability table P(a, b)."""
    return float(_entropy(joint.sum(axis=1)) + _entropy(joint.sum(axis=0)) - _entropy(joint))


# ---------------------------------------------------------------------------------------------
# 1D chain


@checked(K=COUPLING, n_spins=Integer(1))
def chain_segment_probabilities(K: float, n_spins: int) -> np.ndarray:
    """Exact law of n consecutive spins of the infinite zero-field Ising chain.

    Returns
    -------
    numpy.ndarray
        float64 (2^n_spins,), indexed like :func:`spin_states`:
        P(s) = 1/2 prod_i (1 + tanh K s_i s_{i+1}) / 2.
    """
    t = math.tanh(K)
    s = spin_states(n_spins).astype(np.float64)
    return 0.5 * np.prod(0.5 * (1.0 + t * s[:, 1:] * s[:, :-1]), axis=1)


def _chain_block_environment(K: float) -> np.ndarray:
    """P(V, E) of the RSMI chain set-up: float64 (4, 4), V index = bits (v1, v2),
    E index = bits (e_L, e_R) (bit = 1 for spin +1), buffers summed out."""
    p = chain_segment_probabilities(K, 6).reshape((2,) * 6)
    # C order: axis 0 is the highest bit, i.e. site 5 = e_R; sites 0..5 = e_L b_L v1 v2 b_R e_R
    p = p.transpose(5, 4, 3, 2, 1, 0)  # axes now sites 0..5
    pve = p.sum(axis=(1, 4))  # (e_L, v1, v2, e_R)
    # index = bit0 + 2 bit1: reshape wants the high bit first
    return pve.transpose(2, 1, 3, 0).reshape(4, 4)


@checked(K=COUPLING)
def chain_mutual_information(K: float) -> float:
    """Exact I(V:E) in nats for the chain: V = (v1, v2), one-site buffers, E = (e_L, e_R)."""
    return _mutual_information(_chain_block_environment(K))


def _rule_on_states(filters: Any, bias: Any, n_visible: int) -> np.ndarray:
    """P_Λ(H|V) for all 2^n_visible block states: float64 (2^n_visible, 2^n_h)."""
    # the rule is tiny: evaluate it on the host whatever the caller's arrays live on
    filters = to_host(filters).astype(np.float64)
    bias = to_host(bias).astype(np.float64)
    check_shape("filters", filters, (None, n_visible))
    check_shape("bias", bias, (filters.shape[0],))
    hidden_states(filters.shape[0])  # validates n_h
    return rule_probabilities(filters, bias, spin_states(n_visible))


@checked(K=COUPLING)
def chain_rule_information(K: float, filters: Any, bias: Any) -> float:
    """Exact I_Λ(H:E) in nats for a rule on the chain's block V = (v1, v2).

    Parameters
    ----------
    filters : array_like
        float64 (n_h, 2). Decimation: [[λ, 0]] with λ large; majority rule with random
        tie-break: [[λ, λ]] (a tie gives P(h = ±1) = 1/2).
    bias : array_like
        float64 (n_h,).
    """
    rule = _rule_on_states(filters, bias, 2)  # (4, 2^n_h)
    return _mutual_information(rule.T @ _chain_block_environment(K))


@checked(K=COUPLING, n_blocks=Integer(1, MAX_CHAIN_BLOCKS))
def chain_coarse_distribution(K: float, filters: Any, bias: Any, n_blocks: int) -> np.ndarray:
    """Exact joint law of the coarse variables of n_blocks adjacent blocks of the chain.

    Block b holds spins (2b, 2b+1) of a segment of the infinite chain (visible index
    0 = the left spin), and each block is coarse-grained by the same rule.

    Returns
    -------
    numpy.ndarray
        float64 of shape (2^n_h,) * n_blocks: axis b is block b's hidden configuration in
        :func:`gpurg.rsmi.rule.hidden_states` order. Its logarithm gives the coarse couplings,
        e.g. tanh K' = tanh^2 K for decimation.
    """
    rule = _rule_on_states(filters, bias, 2)
    # C order puts the last block's two bits first; reverse so that axis b is block b
    p = chain_segment_probabilities(K, 2 * n_blocks).reshape((4,) * n_blocks)
    p = p.transpose(tuple(range(n_blocks))[::-1])
    for _ in range(n_blocks):
        # contracting axis 0 appends the hidden axis last: after n_blocks steps, order is kept
        p = np.tensordot(p, rule, axes=([0], [0]))
    return p


# n_chains and ceil(length / 4) are Philox counter words: each < 2^32
@checked(K=COUPLING, n_chains=Integer(1, 2**32 - 1), length=Integer(1, 4 * (2**32 - 1)),
         seed=SEED)
def sample_chain(K: float, n_chains: int, length: int, seed: int = 0) -> np.ndarray:
    """Exact, independent samples of ``length`` consecutive spins of the zero-field chain.

    The first spin is uniform and each bond is aligned with probability (1 + tanh K) / 2,
    decided by 32-bit Philox words: site j of chain i reads word j % 4 of the block with
    counter (i, j // 4, 0, STREAM_CHAIN_SAMPLES) and key ``seed_to_key(seed)``; site 0 is +1
    when the word is < 2^31, bond (j-1, j) is aligned when it is below round(p 2^32), so the
    probabilities are exact to 2^-33.

    Returns
    -------
    numpy.ndarray
        int8 (n_chains, length) of ±1.
    """
    t = math.tanh(K)
    n_words = -(-length // 4)
    words = philox4x32((np.arange(n_chains, dtype=np.uint64)[:, None],
                        np.arange(n_words, dtype=np.uint64)[None, :], 0, STREAM_CHAIN_SAMPLES),
                       seed_to_key(seed)).reshape(n_chains, 4 * n_words)[:, :length]
    threshold = min(round(0.5 * (1.0 + t) * 2**32), 2**32)
    steps = np.where(words.astype(np.uint64) < np.uint64(threshold), 1, -1).astype(np.int8)
    steps[:, 0] = np.where(words[:, 0] < np.uint32(2**31), 1, -1)
    return np.cumprod(steps, axis=1, dtype=np.int8)


# ---------------------------------------------------------------------------------------------
# 2D Ising, no buffer


def local_couplings(geometry: Geometry) -> tuple[np.ndarray, np.ndarray]:
    """The nearest-neighbour bonds that P(V|E) depends on when L_B = 0.

    Returns
    -------
    (bonds, coupling)
        bonds: int64 (n_bonds, 2), visible index pairs (i, j), i < j, of the bonds inside the
        block (open boundaries: the block never wraps onto itself when the geometry fits).
        coupling: float64 (n_visible, n_env), 1 where visible site i and environment site e
        are nearest neighbours (only the L_E = 1 ring around the block appears).
    """
    if geometry.buffer != 0:
        raise InputError(f"the exact Ising conditional needs buffer L_B = 0, got "
                         f"{geometry.buffer}")
    vis = geometry.visible_offsets
    index_v = {(int(y), int(x)): i for i, (y, x) in enumerate(vis)}
    index_e = {(int(y), int(x)): e for e, (y, x) in enumerate(geometry.env_offsets)}
    bonds = []
    coupling = np.zeros((geometry.n_visible, geometry.n_env))
    for i, (y, x) in enumerate(vis):
        for dy, dx in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            site = (int(y) + dy, int(x) + dx)
            if site in index_v:
                if index_v[site] > i:
                    bonds.append((i, index_v[site]))
            else:
                coupling[i, index_e[site]] = 1.0
    return np.asarray(bonds, dtype=np.int64).reshape(-1, 2), coupling


class _BlockConditional:
    """P(V|E_n) for chunks of environment samples, on the environment's array module."""

    def __init__(self, K: float, geometry: Geometry, E: Any, min_samples: int = MIN_BATCHES
                 ) -> None:
        # K is checked by the public functions' tables
        if geometry.n_visible > MAX_BLOCK_SITES:
            raise InputError(f"exact enumeration needs a block of at most {MAX_BLOCK_SITES} "
                             f"sites, got {geometry.n_visible}")
        if not hasattr(E, "shape"):
            raise InputError(f"E must be an array of shape (n, {geometry.n_env}), got "
                             f"{type(E).__name__}")
        check_shape("E", E, (None, geometry.n_env))
        if E.shape[0] < min_samples:
            raise InputError(f"need at least {min_samples} environment sample(s), got "
                             f"{E.shape[0]}")
        xp = array_module(E)
        bonds, coupling = local_couplings(geometry)
        states = spin_states(geometry.n_visible).astype(np.float64)
        intra = (states[:, bonds[:, 0]] * states[:, bonds[:, 1]]).sum(axis=1)
        self.xp = xp
        self.E = E
        self.n = int(E.shape[0])
        self.states = states
        self.K_intra = xp.asarray(K * intra)
        self.K_states_t = xp.asarray(K * states.T)  # (n_v, 2^n_v)
        self.coupling_t = xp.asarray(coupling.T)  # (n_env, n_v)
        self.chunk = max(1, _CHUNK_ELEMENTS // len(states))

    def chunks(self):
        for start in range(0, self.n, self.chunk):
            yield slice(start, min(start + self.chunk, self.n))

    def probabilities(self, rows: slice) -> Any:
        """float64 (rows, 2^n_v): P(V|E_n) for the samples in ``rows``."""
        xp = self.xp
        field = xp.asarray(self.E[rows], dtype=xp.float64) @ self.coupling_t  # (c, n_v)
        logw = self.K_intra[None, :] + field @ self.K_states_t
        logw -= logw.max(axis=1, keepdims=True)
        w = xp.exp(logw)
        return w / w.sum(axis=1, keepdims=True)


@checked(K=COUPLING)
def ising_block_conditional(K: float, geometry: Geometry, E: Any) -> Any:
    """P(V|E_n) of the 2D Ising block given each environment sample (buffer 0).

    Parameters
    ----------
    K : float
        J / T.
    geometry : Geometry
        Buffer 0, at most 16 block sites.
    E : array
        (n, n_env) of ±1, NumPy or CuPy.

    Returns
    -------
    array
        float64 (n, 2^n_visible) on E's array module, rows summing to 1; column k is the block
        state ``spin_states(n_visible)[k]`` (visible index i = dy L_V + dx).
    """
    cond = _BlockConditional(K, geometry, E, min_samples=1)
    return cond.xp.concatenate([cond.probabilities(rows) for rows in cond.chunks()])


def _kl_rows(p: Any, pbar: Any) -> Any:
    """KL(p_n || pbar) in nats for each row of p (0 log 0 = 0)."""
    xp = array_module(p)
    ratio = xp.where(p > 0, p / pbar[None, :], 1.0)
    return (p * xp.log(ratio)).sum(axis=1)


def _batch_estimate(values: Any, n_batches: int) -> tuple[float, float]:
    """Mean of per-sample values and its batch-means standard error (contiguous batches)."""
    v = to_host(values).astype(np.float64, copy=False)
    means = np.array([b.mean() for b in np.array_split(v, n_batches)])
    return float(v.mean()), float(means.std(ddof=1) / math.sqrt(n_batches))


def _check_batches(n_batches: int, n: int) -> int:
    """n_batches (already >= MIN_BATCHES by the tables) against the n samples."""
    if n_batches > n:
        raise InputError(f"n_batches ({n_batches}) exceeds the number of samples ({n})")
    return n_batches


@checked(K=COUPLING, n_batches=BATCHES)
def ising_local_information(K: float, geometry: Geometry, filters: Any, bias: Any, E: Any, *,
                            n_batches: int = MIN_BATCHES) -> tuple[float, float]:
    """Exact I_Λ(H:E) in nats of a rule on 2D Ising data with no buffer, up to E's noise.

    P(V|E_n) comes from enumerating all 2^|V| block states, then
    P_Λ(H|E_n) = sum_V P_Λ(H|V) P(V|E_n), P_Λ(H) = mean_n P_Λ(H|E_n) and
    I = H(P_Λ(H)) - mean_n H(P_Λ(H|E_n)) (module docstring: estimate and batch error).

    Parameters
    ----------
    K : float
        J / T of the configurations E came from.
    geometry : Geometry
        With buffer 0 and at most 16 block sites.
    filters, bias : array_like
        float64 (n_h, n_v) and (n_h,), n_v = geometry.n_visible (row-major block).
    E : array
        Environment samples (n, n_env) of ±1, any numeric dtype, NumPy or CuPy, as returned by
        :func:`gpurg.rsmi.geometry.extract_pairs`; n >= n_batches.
    n_batches : int
        Contiguous batches for the error (>= 16).

    Returns
    -------
    (value, error) : floats, in nats.
    """
    cond = _BlockConditional(K, geometry, E)
    n_batches = _check_batches(n_batches, cond.n)
    xp = cond.xp
    rule = xp.asarray(_rule_on_states(filters, bias, geometry.n_visible))  # (2^n_v, 2^n_h)
    p_h = xp.concatenate([cond.probabilities(rows) @ rule for rows in cond.chunks()])
    return _batch_estimate(_kl_rows(p_h, p_h.mean(axis=0)), n_batches)


@checked(K=COUPLING, n_batches=BATCHES)
def ising_block_information(K: float, geometry: Geometry, E: Any, *,
                            n_batches: int = MIN_BATCHES) -> tuple[float, float]:
    """Exact I(V:E) in nats for 2D Ising data with no buffer, up to E's noise: the upper bound
    of every rule's I_Λ(H:E). With the same E samples the bound holds sample by sample
    (data processing for each KL(P(·|E_n) || P(·))), not only on average.

    Parameters and returns as :func:`ising_local_information`, without the rule.
    """
    cond = _BlockConditional(K, geometry, E)
    n_batches = _check_batches(n_batches, cond.n)
    xp = cond.xp
    # two passes: P(V) is needed before the per-sample KL, and all P(V|E_n) at once may not fit
    pbar = sum(cond.probabilities(rows).sum(axis=0) for rows in cond.chunks()) / cond.n
    kl = xp.concatenate([_kl_rows(cond.probabilities(rows), pbar) for rows in cond.chunks()])
    return _batch_estimate(kl, n_batches)
