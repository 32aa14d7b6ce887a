"""The variational MI estimator: the rule Λ and a predictor q(H|E) trained jointly.

For any q, I_Λ(H:E) >= H(H) - E_{(V,E)}[ sum_H P_Λ(H|V) (-log q(H|E)) ] (Barber & Agakov),
with equality when q is the true P_Λ(H|E). H is discrete and small, so every sum over H is
exact and the gradients are analytic: no relaxation of the hidden units (science.md §3).

The predictor is a one-hidden-layer network: logits z(E) = W2 tanh(W1 E + c1) + c2 over the
2^n_h hidden configurations, q(H|E) = softmax(z). All arrays live on one backend (NumPy or
CuPy); shapes: V (n, n_v), E (n, n_e), float64.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from gpurg.backend.device import array_module
from gpurg.rsmi.rule import CoarseGrainingRule, hidden_states, rule_log_probabilities


@dataclass
class Parameters:
    """Everything the variational estimator trains, as a dict-like bundle of arrays.

    filters (n_h, n_v) and bias (n_h,) define the rule; w1 (n_e, width), c1 (width,),
    w2 (width, 2^n_h), c2 (2^n_h,) the predictor.
    """

    filters: Any
    bias: Any
    w1: Any
    c1: Any
    w2: Any
    c2: Any

    NAMES = ("filters", "bias", "w1", "c1", "w2", "c2")

    def arrays(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.NAMES}

    def copy(self) -> Parameters:
        return Parameters(**{k: v.copy() for k, v in self.arrays().items()})

    # the mapping protocol of gpurg.optim.Adam: (name, array) pairs, read and replaced by name
    def items(self) -> Any:
        return self.arrays().items()

    def __getitem__(self, name: str) -> Any:
        return getattr(self, name)

    def __setitem__(self, name: str, value: Any) -> None:
        setattr(self, name, value)


def initial_parameters(rule: CoarseGrainingRule, n_env: int, width: int,
                       rng: np.random.Generator, xp: Any) -> Parameters:
    """The rule's filters and biases (the driver's start, or a fixed rule), and a predictor
    scaled so that its first layer starts in tanh's linear range."""
    n_states = 2**rule.n_hidden
    arrays = {
        "filters": rule.filters,
        "bias": rule.bias,
        "w1": rng.normal(0.0, 1.0 / math.sqrt(n_env), (n_env, width)),
        "c1": np.zeros(width),
        "w2": rng.normal(0.0, 1.0 / math.sqrt(width), (width, n_states)),
        "c2": np.zeros(n_states),
    }
    return Parameters(**{k: xp.asarray(v) for k, v in arrays.items()})


def _log_softmax(z: Any) -> Any:
    xp = array_module(z)
    z = z - z.max(axis=1, keepdims=True)
    return z - xp.log(xp.exp(z).sum(axis=1, keepdims=True))


def _entropy(p: Any) -> Any:
    xp = array_module(p)
    return -(xp.where(p > 0, p * xp.log(xp.where(p > 0, p, 1.0)), 0.0)).sum()


def bound_terms(params: Parameters, V: Any, E: Any) -> tuple[Any, Any, Any]:
    """P_Λ(H|V) (n, 2^n_h), log q(H|E) (n, 2^n_h) and the predictor's hidden layer (n, width)."""
    log_p = rule_log_probabilities(params.filters, params.bias, V)
    hidden = array_module(E).tanh(E @ params.w1 + params.c1)
    log_q = _log_softmax(hidden @ params.w2 + params.c2)
    return array_module(log_p).exp(log_p), log_q, hidden


def mutual_information_bound(params: Parameters, V: Any, E: Any) -> float:
    """H(H) - E[cross-entropy]: the variational lower bound of I_Λ(H:E) in nats."""
    p, log_q, _ = bound_terms(params, V, E)
    return float(_entropy(p.mean(axis=0)) + (p * log_q).sum(axis=1).mean())


def bound_with_error(params: Parameters, V: Any, E: Any, batches: int = 16
                     ) -> tuple[float, float]:
    """The bound on (V, E) (float64 (n, n_v) and (n, n_e)) and its standard error, in nats.

    The bound is the mean of per-pair values f_n = sum_H P(H|V_n) (log q(H|E_n) - log P̄(H))
    with P̄ = mean_n P(H|V_n) of all n pairs (their mean is H(P̄) + mean cross-entropy term);
    the error is the standard error of the means of f_n over ``batches`` contiguous batches.
    Contiguous: held-out pairs are independent only in blocks (neighbouring block positions of
    one configuration are correlated), so they must come in sample-major order. P̄ is held
    fixed rather than recomputed per batch: that costs nothing to first order (P̄ minimises
    the cross-entropy mean_n sum_H P(H|V_n) log(1 / r(H)) over r), while the entropy of a
    batch's own marginal swings with the magnetisation of its few configurations (at T_c,
    batches of two configurations of 16^2 spins) and inflated the error 1.7x
    (tests/test_rsmi_training.py).
    """
    xp = array_module(V)
    n = V.shape[0]
    batches = max(2, min(batches, n))
    p, log_q, _ = bound_terms(params, V, E)
    log_p_bar = xp.log(xp.maximum(p.mean(axis=0), 1e-300))  # P̄ = 0 only where every p is 0
    values = (p * (log_q - log_p_bar)).sum(axis=1)
    edges = np.linspace(0, n, batches + 1).astype(int)
    means = np.array([float(values[a:b].mean())
                      for a, b in zip(edges[:-1], edges[1:], strict=True)])
    return mutual_information_bound(params, V, E), float(np.std(means, ddof=1)
                                                          / math.sqrt(batches))


def bound_gradients(params: Parameters, V: Any, E: Any, symmetric: bool
                    ) -> tuple[float, dict[str, Any]]:
    """The bound J on a mini-batch and dJ/d(parameter) for every parameter (ascent direction).

    J = H(P̄) + (1/n) sum_n sum_H P(H|V_n) log q(H|E_n), P̄ = mean_n P(H|V_n). For the rule,
    dJ/dP(H|V_n) = (log q(H|E_n) - log P̄(H)) / n (the constant from H's derivative drops out
    because sum_H P(H|V) = 1), and dP(H|V)/da_j = P(H|V) 2 h_j sigmoid(-2 h_j a_j).
    """
    xp = array_module(V)
    n = V.shape[0]
    p, log_q, hidden = bound_terms(params, V, E)
    p_bar = p.mean(axis=0)
    value = float(_entropy(p_bar) + (p * log_q).sum(axis=1).mean())
    log_p_bar = xp.log(xp.maximum(p_bar, 1e-300))
    g = (log_q - log_p_bar) * p / n  # (n, 2^n_h): dJ/dP(H|V_n) times P(H|V_n)
    h = xp.asarray(hidden_states(params.filters.shape[0]), dtype=xp.float64)  # (S, n_h)
    a = V @ params.filters.T + params.bias  # (n, n_h)
    # sum_H g(H) 2 h_j sigmoid(-2 h_j a_j): sigmoid(-2 h a) = (1 - tanh(h a)) / 2
    sig = 0.5 * (1.0 - h[None, :, :] * xp.tanh(a)[:, None, :])  # (n, S, n_h)
    d_a = (g[:, :, None] * 2.0 * h[None, :, :] * sig).sum(axis=1)  # (n, n_h)
    grads = {
        "filters": d_a.T @ V,
        "bias": xp.zeros_like(params.bias) if symmetric else d_a.sum(axis=0),
    }
    # predictor: dJ/dz_H(n) = (P(H|V_n) - q(H|E_n)) / n (softmax cross-entropy)
    d_z = (p - xp.exp(log_q)) / n
    grads["w2"] = hidden.T @ d_z
    grads["c2"] = d_z.sum(axis=0)
    d_hidden = (d_z @ params.w2.T) * (1.0 - hidden**2)
    grads["w1"] = E.T @ d_hidden
    grads["c1"] = d_hidden.sum(axis=0)
    return value, grads
