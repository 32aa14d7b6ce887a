"""The RBM estimator of Koch-Janusz & Ringel (2018) (science.md §3): an RBM models P(V, E), the
rule maximises A_Λ.

Stage I trains a restricted Boltzmann machine by contrastive divergence on the concatenated
pairs (V, E) (visible units 0 .. n_v - 1 are the block, the rest the environment). Its free
energy gives the block's conditional law exactly by enumerating the 2^n_v block states
(n_v <= 16): with x(V', E) = V' W_V + E W_E + b,

    log P(V'|E) = a_V.V' + sum_j log sum_h exp(h x_j(V', E)) - log(normaliser over V').

Stage II maximises by gradient ascent (Adam) over the filters λ (n_h, n_v) and biases b (n_h,)

    A_Λ = E_{(V,E)} [ sum_H P_Λ(H|V) log P_Λ(H|E) ] + H(P_Λ(H)),
    P_Λ(H|E) = sum_V' P_Λ(H|V') P(V'|E),   P_Λ(H) = E_V[ P_Λ(H|V) ],

which equals E[ sum_H P_Λ(H|V) log(P_Λ(H|E) / P_Λ(H)) ] and is I_Λ(H:E) when the RBM's
P(V|E) is the true one (otherwise a Barber–Agakov lower bound of it). Every sum over V' and H
is exact, so the gradient is analytic: with R[s, H] = P_Λ(H|V'_s), Q[n, s] = P(V'_s|E_n),
M = Q R and P̄ = c R (c: the empirical law of the blocks),

    dA/dR[s, H] = <[V_n = s] log M[n, H] + Q[n, s] R[V_n, H] / M[n, H]>_n - c_s log P̄[H]

(the constants from differentiating the entropy drop out because sum_H R[s, H] = 1), and
dR[s, H]/da_j = R[s, H] 2 h_j sigmoid(-2 h_j a_j), a = λ V'_s + b. Mini-batches estimate the
first term; P̄ and the entropy use all training pairs.

The MI is reported on held-out pairs (not used in either stage): the mean of the per-pair
values sum_H P_Λ(H|V_n) log(P_Λ(H|E_n) / P̄(H)), P̄ from the held-out blocks, in nats, with the
standard error of the means of contiguous batches (pairs of one configuration are
correlated; :func:`gpurg.rsmi.geometry.extract_pairs` gives them sample-major).

Its bias is stage I's: with the RBM's P(V|E) in place of the true one, the held-out A_Λ falls
below I_Λ(H:E) by E_E[KL(P_Λ(H|E) || P_Λ,RBM(H|E))] >= 0, while the same average with the
exact conditional matches I_Λ(H:E) within its noise. Measured on 2D Ising at T_c (2x2 block,
buffer 0, one unit, exact conditional from :mod:`gpurg.rsmi.exact`): with 150,000 training
pairs and 32 RBM hidden units (``gpurg rsmi train`` defaults) the gap is 0.0003-0.0005 nats
(0.1%); with 30,000 pairs and 16 units it is 0.010 nats (2%), halved by 60 epochs of stage I
or CD-5.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gpurg.backend import Backend, array_module
from gpurg.errors import InputError
from gpurg.rbm import RBM, fit_rbm, unit_states
from gpurg.rbm import conditionals as cond
from gpurg.rbm.model import log_hidden_sum
from gpurg.rsmi.rule import CoarseGrainingRule, hidden_states, rule_probabilities
from gpurg.validation import SEED, Choice, Flag, Integer, Real, checked

MAX_BLOCK = 16  # P(V|E) sums over the 2^n_v block states exactly
MIN_BATCHES = 16
CHUNK_ELEMENTS = 1 << 22  # pairs x block states x RBM hidden units held at once
_TINY = 1e-300  # floor under probabilities that go into a logarithm
Progress = Callable[[int, int, float], None]  # (epoch, epochs, training A_Λ of the epoch)


@dataclass
class RBMEstimate:
    """A rule trained with the RBM estimator, and its mutual information with E.

    Attributes
    ----------
    rule : CoarseGrainingRule
        The learned filters and biases (host arrays).
    mi, mi_err : float
        Held-out A_Λ in nats and its batch-means standard error.
    rbm : RBM
        The stage-I model of P(V, E) (block units first).
    history : numpy.ndarray
        float64 (epochs,): mean mini-batch A_Λ of every epoch of stage II.
    """

    rule: CoarseGrainingRule
    mi: float
    mi_err: float
    rbm: RBM
    history: np.ndarray = field(default_factory=lambda: np.zeros(0))


def block_index(V: Any, units: str = "pm1") -> Any:
    """Index of each block state in :func:`gpurg.rbm.unit_states` order: int64 (n,) for V
    (n, n_v); bit j is set iff v_j is on."""
    xp = array_module(V)
    on = cond.unit_values(units)[1]
    bits = xp.asarray(1 << np.arange(V.shape[1]), dtype=xp.int64)
    return ((V == on).astype(xp.int64) * bits).sum(axis=1)


def conditional_log_probabilities(rbm: RBM, E: Any, n_block: int) -> Any:
    """log P(V'|E_n) for every block state V' from an RBM over (V, E).

    Parameters
    ----------
    rbm : RBM
        Visible units 0 .. n_block - 1 model the block, the rest the environment.
    E : array
        (n, n_visible - n_block) environment values.
    n_block : int
        Block units n_v, 1 .. :data:`MAX_BLOCK`.

    Returns
    -------
    array
        float64 (n, 2^n_block) on the RBM's backend, block states in
        :func:`gpurg.rbm.unit_states` order; each row's exp sums to 1.
    """
    if not 1 <= n_block <= MAX_BLOCK or n_block >= rbm.n_visible:
        raise InputError(f"the block must have 1 to {MAX_BLOCK} units and leave an "
                         f"environment in the RBM's {rbm.n_visible}, got {n_block}")
    xp = rbm.xp
    E = cond.to_backend(E, rbm.backend, np.float64)
    if E.ndim != 2 or E.shape[1] != rbm.n_visible - n_block:
        raise InputError(f"E must have shape (n, {rbm.n_visible - n_block}), got {E.shape}")
    states = xp.asarray(unit_states(n_block, rbm.visible_units), dtype=xp.float64)
    state_fields = states @ rbm.W[:n_block]  # (S, n_h)
    state_bias = states @ rbm.a[:n_block]  # (S,)
    env_fields = E @ rbm.W[n_block:] + rbm.b  # (n, n_h); a_E.E cancels in the conditional
    out = xp.empty((E.shape[0], states.shape[0]))
    step = max(1, CHUNK_ELEMENTS // (states.shape[0] * rbm.n_hidden))
    for start in range(0, E.shape[0], step):
        x = env_fields[start:start + step, None, :] + state_fields[None, :, :]
        logits = state_bias + log_hidden_sum(x, rbm.hidden_units).sum(axis=2)
        peak = logits.max(axis=1, keepdims=True)
        norm = peak + xp.log(xp.exp(logits - peak).sum(axis=1, keepdims=True))
        out[start:start + step] = logits - norm
    return out


def objective_and_gradient(filters: Any, bias: Any, states: Any, log_q: Any, index: Any,
                           block_law: Any) -> tuple[float, Any, Any]:
    """A_Λ on a mini-batch and its gradient.

    Parameters
    ----------
    filters, bias : array
        float64 (n_h, n_v) and (n_h,): the rule.
    states : array
        float64 (S, n_v), S = 2^n_v: every block state (:func:`gpurg.rbm.unit_states`).
    log_q : array
        float64 (n, S): log P(V'|E_n) of the batch's environments.
    index : array
        int64 (n,): the batch's blocks as indices into ``states``.
    block_law : array
        float64 (S,): the empirical law c of all training blocks, for P̄ = c R.

    Returns
    -------
    (float, array, array)
        A_Λ in nats (the batch's mean of sum_H P_Λ(H|V_n) log P_Λ(H|E_n), plus H(P̄)), and
        dA/dλ (n_h, n_v) and dA/db (n_h,).
    """
    xp = array_module(filters)
    R = rule_probabilities(filters, bias, states)  # (S, 2^n_h)
    Q = xp.exp(log_q)
    M = xp.maximum(Q @ R, _TINY)
    p_bar = xp.maximum(block_law @ R, _TINY)
    log_M, log_p_bar = xp.log(M), xp.log(p_bar)
    R_n = R[index]
    n, S = index.shape[0], states.shape[0]
    value = float((R_n * log_M).sum(axis=1).mean() - (p_bar * log_p_bar).sum())
    # dA/dR: the batch term through R[V_n] (a scatter by block index) and through M
    scatter = xp.stack([xp.bincount(index, weights=log_M[:, k], minlength=S)
                        for k in range(R.shape[1])], axis=1)
    G = (scatter + Q.T @ (R_n / M)) / n - block_law[:, None] * log_p_bar[None, :]
    # dR/da_j = R 2 h_j sigmoid(-2 h_j a_j), split by the sign of h_j
    GR = G * R
    h = xp.asarray(hidden_states(filters.shape[0]), dtype=xp.float64)
    a = states @ filters.T + bias  # (S, n_h)
    d_a = 2.0 * ((GR @ (h > 0)) * cond.sigmoid(-2.0 * a) - (GR @ (h < 0)) * cond.sigmoid(2.0 * a))
    return value, d_a.T @ states, d_a.sum(axis=0)


def fit_joint_rbm(V: Any, E: Any, n_hidden: int = 16, *, units: str = "pm1", seed: int = 0,
                  device: str | Backend | None = None, **options: Any) -> RBM:
    """Stage I: an RBM over the concatenated (V, E), block units first, trained by
    :func:`gpurg.rbm.fit_rbm` (``options``: epochs, batch_size, k, persistent, learning_rate,
    momentum, weight_decay, anneal, init_scale, callback)."""
    V, E = check_pairs(V, E, units, cond.resolve_backend(V, device))
    return fit_rbm(_joint(V, E), n_hidden, visible_units=units, hidden_units="pm1", seed=seed,
                   device=device, **options)


@checked(batches=Integer(MIN_BATCHES))
def rule_information(rbm: RBM, filters: Any, bias: Any, V: Any, E: Any, *,
                     batches: int = MIN_BATCHES) -> tuple[float, float]:
    """A_Λ of a given rule on pairs (V, E), with P(V|E) from ``rbm``: (MI in nats, batch-means
    standard error over ``batches`` contiguous batches of pairs)."""
    V, E = check_pairs(V, E, rbm.visible_units, rbm.backend)
    if V.shape[1] + E.shape[1] != rbm.n_visible:
        raise InputError(f"the RBM has {rbm.n_visible} visible units, the pairs "
                         f"{V.shape[1]} + {E.shape[1]}")
    xp = rbm.xp
    filters = cond.to_backend(filters, rbm.backend, np.float64)
    bias = cond.to_backend(bias, rbm.backend, np.float64)
    if filters.shape[1:] != (V.shape[1],) or bias.shape != filters.shape[:1]:
        raise InputError(f"filters must be (n_h, {V.shape[1]}) and bias (n_h,), got "
                         f"{filters.shape} and {bias.shape}")
    hidden_states(filters.shape[0])  # validates n_h
    n = V.shape[0]
    _check_batches(batches, n)
    states = xp.asarray(unit_states(V.shape[1], rbm.visible_units), dtype=xp.float64)
    index = block_index(V, rbm.visible_units)
    R = rule_probabilities(filters, bias, states)
    counts = xp.bincount(index, minlength=states.shape[0])
    log_p_bar = xp.log(xp.maximum((counts / n) @ R, _TINY))
    values = xp.empty(n)
    step = max(1, CHUNK_ELEMENTS // states.shape[0])
    for start in range(0, n, step):
        rows = slice(start, start + step)
        M = xp.exp(conditional_log_probabilities(rbm, E[rows], V.shape[1])) @ R
        values[rows] = (R[index[rows]] * (xp.log(xp.maximum(M, _TINY)) - log_p_bar)).sum(axis=1)
    edges = np.linspace(0, n, batches + 1).astype(int)
    means = np.array([float(values[lo:hi].mean())
                      for lo, hi in zip(edges[:-1], edges[1:], strict=True)])
    return float(values.mean()), float(means.std(ddof=1) / math.sqrt(batches))


@checked(units=Choice(("pm1", "01")), rbm_hidden=Integer(1), symmetric=Flag(),
         epochs=Integer(1), batch_size=Integer(1), learning_rate=Real(0, low_open=True),
         weight_decay=Real(0), held_out=Real(0, 1, low_open=True, high_open=True),
         batches=Integer(MIN_BATCHES), seed=SEED)
def train_rule_rbm(V: Any, E: Any, n_hidden: int = 1, *, units: str = "pm1",
                   rbm_hidden: int = 16, rbm_options: dict[str, Any] | None = None,
                   symmetric: bool = False, epochs: int = 30, batch_size: int = 256,
                   learning_rate: float = 0.05, weight_decay: float = 0.0,
                   held_out: float = 0.25, batches: int = MIN_BATCHES, seed: int = 0,
                   device: str | Backend | None = None,
                   progress: Progress | None = None) -> RBMEstimate:
    """One run of the RBM estimator (stages I and II) on its own split of the pairs, with the
    RBM kept: the function its accuracy was measured with (this module's notes, the tests).
    ``gpurg.rsmi.training.train_rule(..., estimator="rbm")`` is the same estimator under the
    training driver (restarts, early stopping, the split of every estimator).

    Parameters
    ----------
    V, E : array
        Blocks (n, n_v), n_v <= 16, and environments (n, n_e): values of ``units`` (±1 spins
        or 0/1 pixels), NumPy or CuPy.
    n_hidden : int
        Hidden units of the rule (1 .. 8).
    units : {"pm1", "01"}
    rbm_hidden : int
        Hidden units of the stage-I RBM.
    rbm_options : dict, optional
        Options of :func:`gpurg.rbm.fit_rbm` for stage I (default
        :data:`gpurg.rsmi.estimators.rbm.RBM_OPTIONS`: 20 epochs, batches of 64, CD-1,
        learning rate 0.05 annealed to 0).
    symmetric : bool
        Keep the rule's biases at zero (Z2-symmetric systems).
    epochs, batch_size, learning_rate : int, int, float
        Stage II: passes over the training pairs (all of them: no early stopping), mini-batch
        size, and Adam's initial step, which decays geometrically to 1% of it over the epochs.
    weight_decay : float
        Penalty (weight_decay / 2) |λ|^2 on the filters in stage II (the reported MI is
        without it).
    held_out : float
        Fraction of the pairs kept out of both stages for the reported MI; they keep their
        given order (the error's batches must be contiguous).
    batches : int
        Contiguous batches of held-out pairs for the standard error (>= 16).
    seed : int
        Fixes the split, the RBM's training and the rule's initialisation and mini-batches:
        ``default_rng(seed)`` draws the split, then the initial filters and the mini-batch
        orders; the RBM is trained with ``seed``.
    device : {"auto", "cpu", "gpu", "numpy"}, Backend or None
        None: the GPU for CuPy arrays, else the compiled CPU kernels.
    progress : callable, optional
        ``progress(epoch, epochs, A)`` after every epoch of stage II (A: its mean training
        objective).

    Returns
    -------
    RBMEstimate
        The rule in training's labelling, the held-out MI, the RBM and the history.
    """
    from gpurg.rsmi.estimators.rbm import RBMEstimator
    from gpurg.rsmi.training import train_restart

    hidden_states(n_hidden)  # validates n_hidden, in the words of every rule
    estimator = RBMEstimator(n_hidden, units=units, rbm_options=rbm_options, batches=batches,
                             device=device, symmetric=symmetric, epochs=epochs,
                             batch_size=batch_size, learning_rate=learning_rate,
                             weight_decay=weight_decay, width=rbm_hidden, patience=None)
    V, E = estimator.prepare(V, E, None)
    xp = array_module(V)
    n = V.shape[0]
    n_test = int(round(held_out * n))
    _check_batches(batches, n_test)
    rng = np.random.default_rng(seed)
    order = xp.asarray(rng.permutation(n))
    test, train = xp.sort(order[:n_test]), order[n_test:]
    history = train_restart(estimator, V[train], E[train], V[test], E[test], rng, seed,
                            progress=progress)
    mi, mi_err = estimator.evaluate(V[test], E[test])
    return RBMEstimate(estimator.rule_, mi, mi_err, estimator.rbm_, history)


def _joint(V: Any, E: Any) -> Any:
    """The RBM's visible states: int8 (n, n_v + n_e), block first."""
    xp = array_module(V)
    return xp.ascontiguousarray(xp.concatenate([V, E], axis=1))


def check_pairs(V: Any, E: Any, units: str, backend: Backend) -> tuple[Any, Any]:
    """V and E as int8 unit values on ``backend``, shapes (n, n_v <= 16) and (n, n_e)."""
    V = cond.as_units(V, backend, units, "blocks V")
    E = cond.as_units(E, backend, units, "environments E")
    if V.ndim != 2 or E.ndim != 2 or V.shape[0] != E.shape[0] or V.shape[0] < 1:
        raise InputError(f"V and E must be (n, n_v) and (n, n_e) with n >= 1, got {V.shape} "
                         f"and {E.shape}")
    if not 1 <= V.shape[1] <= MAX_BLOCK:
        raise InputError(f"blocks must have 1 to {MAX_BLOCK} units (P(V|E) sums over 2^n_v "
                         f"states), got {V.shape[1]}")
    return V, E


def _check_batches(batches: int, n: int) -> None:
    if n < 2 * batches:
        raise InputError(f"too few held-out pairs ({n}) for {batches} batches of >= 2")
