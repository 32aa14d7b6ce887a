"""Exact mutual informations: the oracles the RSMI estimators are checked against
(science.md §3). All informations are in nats.

1D Ising chain (coupling K, zero field). The infinite chain is a Markov chain with uniform
stationary law and P(s_{i+1} = s_i) = (1 + tanh K) / 2, so the marginal of any segment is known
in closed form and small segments are enumerated exactly. The RSMI set-up of science.md: a block
V = (v1, v2), a buffer of L_B sites on each side (one by default), and E = (e_L, e_R), the
spins just beyond the buffers; by the Markov property the rest of the chain adds nothing.

2D Ising. Given its environment the law of the block and its buffer, W = V + B, is local:
P(W|E) ∝ exp(K sum_<ij in W> w_i w_j + K sum_<i in W, j in E> w_i e_j), so summing over all
2^|W| states (|W| = (L_V + 2 L_B)^2 <= 16: any block of up to 4 x 4 without a buffer, 2 x 2
with L_B = 1) gives P(V|E_n) and P_Λ(H|E_n) exactly for every E sample; the only noise left
is that of the E samples themselves.

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


def _mutual_information(joint: np.ndarray) -> Any:
    """I(A:B) in nats of joint probability tables P(a, b) on the last two axes: a float for
    one (a, b) table, an array over the leading axes otherwise.

    Summed as I = sum q ((1 + x) log1p(x) - x), q = P(a) P(b), x = P(a, b) / q - 1: every
    term is >= 0 and carries an error of order eps |x| q, so a small I (1e-4 nats at weak
    coupling) keeps its relative precision. H(A) + H(B) - H(A, B) loses eps ln|A||B| to
    cancellation: 1e-11 of such an I."""
    joint = np.asarray(joint, dtype=np.float64)
    q = joint.sum(axis=-1, keepdims=True) * joint.sum(axis=-2, keepdims=True)
    safe_q = np.where(q > 0, q, 1.0)
    x = joint / safe_q - 1.0
    term = np.where(joint > 0, (1.0 + x) * np.log1p(np.maximum(x, -1.0 + 1e-300)) - x, 1.0)
    value = (np.where(q > 0, q * term, 0.0)).sum(axis=(-2, -1))
    return float(value) if value.ndim == 0 else value


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


@checked(K=COUPLING, buffer=Integer(0))
def chain_block_environment(K: float, buffer: int = 1) -> np.ndarray:
    """P(V, E) of the RSMI chain set-up: float64 (4, 4), V index = bits (v1, v2),
    E index = bits (e_L, e_R) (bit = 1 for spin +1), the ``buffer`` sites on each side summed
    out. Summing a run of spins out of the Markov chain leaves a bond of strength
    tanh^(buffer + 1) K between v and e (P(same after n steps) = (1 + tanh^n K) / 2), so
    P(e_L, v1, v2, e_R) = 1/2 (1 + u e_L v1)/2 (1 + t v1 v2)/2 (1 + u v2 e_R)/2 with
    t = tanh K, u = t^(buffer + 1)."""
    t = math.tanh(K)
    u = t ** (buffer + 1)
    s = spin_states(2).astype(np.float64)  # row k: (bit 0, bit 1)
    v1, v2 = s[:, 0][:, None], s[:, 1][:, None]
    e_left, e_right = s[:, 0][None, :], s[:, 1][None, :]
    return (0.0625 * (1.0 + u * e_left * v1) * (1.0 + t * v1 * v2)
            * (1.0 + u * v2 * e_right))


@checked(K=COUPLING, buffer=Integer(0))
def chain_mutual_information(K: float, buffer: int = 1) -> float:
    """Exact I(V:E) in nats for the chain: V = (v1, v2), ``buffer`` sites on each side,
    E = (e_L, e_R)."""
    return _mutual_information(chain_block_environment(K, buffer))


def _rule_on_states(filters: Any, bias: Any, n_visible: int) -> np.ndarray:
    """P_Λ(H|V) for all 2^n_visible block states: float64 (2^n_visible, 2^n_h)."""
    # the rule is tiny: evaluate it on the host whatever the caller's arrays live on
    filters = to_host(filters).astype(np.float64)
    bias = to_host(bias).astype(np.float64)
    check_shape("filters", filters, (None, n_visible))
    check_shape("bias", bias, (filters.shape[0],))
    hidden_states(filters.shape[0])  # validates n_h
    return rule_probabilities(filters, bias, spin_states(n_visible))


@checked(K=COUPLING, buffer=Integer(0))
def chain_rule_information(K: float, filters: Any, bias: Any, buffer: int = 1) -> float:
    """Exact I_Λ(H:E) in nats for a rule on the chain's block V = (v1, v2).

    Parameters
    ----------
    filters : array_like
        float64 (n_h, 2). Decimation: [[λ, 0]] with λ large; majority rule with random
        tie-break: [[λ, λ]] (a tie gives P(h = ±1) = 1/2).
    bias : array_like
        float64 (n_h,).
    buffer : int
        Sites between the block and each environment spin (>= 0).
    """
    rule = _rule_on_states(filters, bias, 2)  # (4, 2^n_h)
    return _mutual_information(rule.T @ chain_block_environment(K, buffer))


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
# 2D Ising: the block and its buffer enumerated


def local_couplings(geometry: Geometry) -> tuple[np.ndarray, np.ndarray]:
    """The nearest-neighbour bonds that P(V, B|E) depends on.

    The Ising model is nearest-neighbour, so given E the block V and its buffer B, together
    the square W = [-L_B, L_V + L_B)^2, feel only the ring of E just outside W (the L_E = 1
    shell); the rest of E is independent of V given that ring (Markov property), so
    I(H:E) = I(H:ring) exactly, for every L_E.

    Returns
    -------
    (bonds, coupling)
        bonds: int64 (n_bonds, 2), index pairs (i, j), i < j, of the bonds inside W, sites of
        W numbered row-major over its square (open boundaries: W never wraps onto itself when
        the geometry fits). coupling: float64 (|W|, n_env), 1 where site i of W and
        environment site e are nearest neighbours.
    """
    side = geometry.block + 2 * geometry.buffer
    d = np.arange(-geometry.buffer, geometry.block + geometry.buffer)
    index_w = {(int(y), int(x)): i for i, (y, x) in enumerate(
        (y, x) for y in d for x in d)}
    index_e = {(int(y), int(x)): e for e, (y, x) in enumerate(geometry.env_offsets)}
    bonds = []
    coupling = np.zeros((side * side, geometry.n_env))
    for (y, x), i in index_w.items():
        for dy, dx in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            site = (y + dy, x + dx)
            if site in index_w:
                if index_w[site] > i:
                    bonds.append((i, index_w[site]))
            else:
                coupling[i, index_e[site]] = 1.0
    return np.asarray(bonds, dtype=np.int64).reshape(-1, 2), coupling


class _BlockConditional:
    """P(V|E_n) for chunks of environment samples, on the environment's array module
    (enumerating the block and its buffer, :func:`local_couplings`).

    With a buffer, E touches only buffer sites, so the weight of a state (v, b) of W factorises
    as A[v, b] exp(K h_n . b), A = exp(K (bonds inside W)) and h_n the field of E_n on the
    buffer: P(V = v|E_n) ∝ sum_b exp(K h_n . b) A[v, b], a product with a fixed matrix over the
    2^|B| buffer states instead of an exponential over all 2^|W| states of W.
    """

    def __init__(self, K: float, geometry: Geometry, E: Any, min_samples: int = MIN_BATCHES
                 ) -> None:
        # K is checked by the public functions' tables
        side = geometry.block + 2 * geometry.buffer
        if side * side > MAX_BLOCK_SITES:
            raise InputError(f"exact enumeration needs the block and its buffer to hold at "
                             f"most {MAX_BLOCK_SITES} sites, got {side * side} (L_V = "
                             f"{geometry.block}, L_B = {geometry.buffer})")
        if not hasattr(E, "shape"):
            raise InputError(f"E must be an array of shape (n, {geometry.n_env}), got "
                             f"{type(E).__name__}")
        check_shape("E", E, (None, geometry.n_env))
        if E.shape[0] < min_samples:
            raise InputError(f"need at least {min_samples} environment sample(s), got "
                             f"{E.shape[0]}")
        xp = array_module(E)
        bonds, coupling = local_couplings(geometry)
        offsets = geometry.visible_offsets + geometry.buffer
        visible = offsets[:, 0] * side + offsets[:, 1]  # the block's sites among W's
        buffer = np.setdiff1d(np.arange(side * side), visible)  # empty without a buffer
        v_states = spin_states(len(visible)).astype(np.float64)
        b_states = spin_states(len(buffer)).astype(np.float64)
        w = np.empty((len(v_states), len(b_states), side * side))  # every state (v, b) of W
        w[:, :, visible] = v_states[:, None, :]
        w[:, :, buffer] = b_states[None, :, :]
        intra = K * (w[..., bonds[:, 0]] * w[..., bonds[:, 1]]).sum(axis=-1)  # (2^n_v, 2^n_b)
        # E meets the buffer's sites (or the block's, without a buffer): its field on them
        touched = buffer if len(buffer) else visible
        t_states = b_states if len(buffer) else v_states
        self.xp = xp
        self.E = E
        self.n = int(E.shape[0])
        self.coupling_t = xp.asarray(coupling[touched].T)  # (n_env, n_touched)
        self.K_states_t = xp.asarray(K * t_states.T)  # (n_touched, 2^n_touched)
        # the block's own bonds: a factor on each state, or with a buffer the matrix
        # (2^n_b, 2^n_v) that sums over the buffer's states
        self.weights = xp.asarray(np.exp(intra - intra.max()).T if len(buffer)
                                  else np.exp(intra[:, 0] - intra.max()))
        self.chunk = max(1, _CHUNK_ELEMENTS // len(t_states))

    def chunks(self):
        for start in range(0, self.n, self.chunk):
            yield slice(start, min(start + self.chunk, self.n))

    def probabilities(self, rows: slice) -> Any:
        """float64 (rows, 2^n_v): P(V|E_n) for the samples in ``rows``."""
        xp = self.xp
        field = xp.asarray(self.E[rows], dtype=xp.float64) @ self.coupling_t
        logx = field @ self.K_states_t
        logx -= logx.max(axis=1, keepdims=True)
        x = xp.exp(logx)
        p = x @ self.weights if self.weights.ndim == 2 else x * self.weights[None, :]
        return p / p.sum(axis=1, keepdims=True)


@checked(K=COUPLING)
def ising_block_conditional(K: float, geometry: Geometry, E: Any) -> Any:
    """P(V|E_n) of the 2D Ising block given each environment sample (the buffer summed
    out).

    Parameters
    ----------
    K : float
        J / T.
    geometry : Geometry
        (L_V + 2 L_B)^2 <= 16 sites of block and buffer.
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
    """Exact I_Λ(H:E) in nats of a rule on 2D Ising data, up to E's noise.

    P(V|E_n) comes from enumerating all 2^|W| states of block and buffer, then
    P_Λ(H|E_n) = sum_V P_Λ(H|V) P(V|E_n), P_Λ(H) = mean_n P_Λ(H|E_n) and
    I = H(P_Λ(H)) - mean_n H(P_Λ(H|E_n)) (module docstring: estimate and batch error).

    Parameters
    ----------
    K : float
        J / T of the configurations E came from.
    geometry : Geometry
        (L_V + 2 L_B)^2 <= 16 sites of block and buffer.
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
    """Exact I(V:E) in nats for 2D Ising data, up to E's noise: the upper bound
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


@checked(K=COUPLING, n_batches=BATCHES)
def ising_rules_information(K: float, geometry: Geometry, filters: Any, E: Any, *,
                            n_batches: int = MIN_BATCHES) -> tuple[np.ndarray, np.ndarray]:
    """Exact I_Λ(H:E) in nats of many one-unit symmetric rules at once, up to E's noise:
    :func:`ising_local_information` for each row of ``filters`` (bias 0), with P(V|E_n)
    enumerated once for all of them (landscapes over filter space).

    Parameters
    ----------
    filters : array_like
        float64 (n_rules, n_v): rule r is P(h|V) = σ(2 h Σ_i filters[r, i] v_i).
    K, geometry, E, n_batches
        As :func:`ising_local_information`.

    Returns
    -------
    (values, errors) : float64 (n_rules,) each, in nats.
    """
    filters = to_host(filters).astype(np.float64)
    check_shape("filters", filters, (None, geometry.n_visible))
    cond = _BlockConditional(K, geometry, E)
    n_batches = _check_batches(n_batches, cond.n)
    xp = cond.xp
    # P(h = +1|V) of every rule on every block state: (2^n_v, n_rules);
    # σ(2a) = (1 + tanh a) / 2: no overflow for the large filters of deterministic maps
    up = xp.asarray(0.5 * (1.0 + np.tanh(spin_states(geometry.n_visible) @ filters.T)))
    if cond.n * up.shape[0] <= 8 * _CHUNK_ELEMENTS:  # small blocks: P(V|E) once, all rules
        p_v = xp.concatenate([cond.probabilities(rows) for rows in cond.chunks()])

        def p_up(rules: slice) -> Any:
            return p_v @ up[:, rules]
    else:  # P(V|E) of all samples would not fit (4 x 4 blocks): chunk by chunk per rule set
        def p_up(rules: slice) -> Any:
            return xp.concatenate([cond.probabilities(rows) @ up[:, rules]
                                   for rows in cond.chunks()])
    values, errors = np.empty(len(filters)), np.empty(len(filters))
    step = max(1, _CHUNK_ELEMENTS // cond.n)
    for start in range(0, len(filters), step):
        p = xp.clip(p_up(slice(start, start + step)), 0.0, 1.0)  # (n, chunk) P(h=+1|E_n)
        pbar = p.mean(axis=0)
        kl = _binary_kl(p, pbar[None, :], xp) + _binary_kl(1.0 - p, 1.0 - pbar[None, :], xp)
        means = xp.stack([b.mean(axis=0) for b in xp.array_split(kl, n_batches)])
        values[start:start + step] = to_host(kl.mean(axis=0))
        errors[start:start + step] = to_host(means.std(axis=0, ddof=1)) / math.sqrt(n_batches)
    return values, errors


def _binary_kl(p: Any, q: Any, xp: Any) -> Any:
    """p log(p / q) elementwise with 0 log 0 = 0 (q > 0 wherever p > 0)."""
    return xp.where(p > 0, p * xp.log(xp.where(p > 0, p, 1.0) / xp.where(q > 0, q, 1.0)), 0.0)
