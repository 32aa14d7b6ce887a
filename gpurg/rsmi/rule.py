"""The coarse-graining rule P_Λ(H|V): independent ±1 hidden units reading linear filters.

    P_Λ(H|V) = prod_j 1 / (1 + exp(-2 h_j (sum_i λ_ji v_i + b_j)))

Hidden configurations are indexed k = 0 .. 2^n_h - 1 with h_j = +1 when bit j of k is set and
-1 otherwise (:func:`hidden_states`); every sum over H in gpurg runs over this list exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gpurg.backend.device import array_module
from gpurg.errors import InputError

MAX_HIDDEN = 8  # sums over H are exact: 2^n_h terms


def hidden_states(n_hidden: int) -> np.ndarray:
    """All hidden configurations: int8 (2^n_hidden, n_hidden), row k has h_j = +1 iff bit j
    of k is set, else -1."""
    if not 1 <= n_hidden <= MAX_HIDDEN:
        raise InputError(f"hidden units must be between 1 and {MAX_HIDDEN}, got {n_hidden}")
    k = np.arange(2**n_hidden)[:, None]
    return np.where((k >> np.arange(n_hidden)) & 1, 1, -1).astype(np.int8)


def log_sigmoid(x: Any) -> Any:
    """log(1 / (1 + exp(-x))), stable for large |x|."""
    xp = array_module(x)
    return -xp.logaddexp(0.0, -x)


def activations(filters: Any, bias: Any, visible: Any) -> Any:
    """a_j = sum_i λ_ji v_i + b_j: float64 (n, n_h) for visible (n, n_v), filters (n_h, n_v),
    bias (n_h,)."""
    xp = array_module(filters)
    return xp.asarray(visible, dtype=xp.float64) @ filters.T + bias


def rule_log_probabilities(filters: Any, bias: Any, visible: Any) -> Any:
    """log P_Λ(H|V) for every hidden configuration: float64 (n, 2^n_h)."""
    xp = array_module(filters)
    a = activations(filters, bias, visible)  # (n, n_h)
    h = xp.asarray(hidden_states(filters.shape[0]), dtype=xp.float64)  # (2^n_h, n_h)
    return log_sigmoid(2.0 * a[:, None, :] * h[None, :, :]).sum(axis=-1)


def rule_probabilities(filters: Any, bias: Any, visible: Any) -> Any:
    """P_Λ(H|V) for every hidden configuration: float64 (n, 2^n_h), rows sum to 1."""
    xp = array_module(filters)
    return xp.exp(rule_log_probabilities(filters, bias, visible))


@dataclass
class CoarseGrainingRule:
    """A learned or given rule: filters λ, float64 (n_h, n_v), and biases b, float64 (n_h,).

    For a block of L_V x L_V sites the visible index is i = y L_V + x (row-major).
    """

    filters: np.ndarray
    bias: np.ndarray

    def __post_init__(self) -> None:
        self.filters = np.asarray(self.filters, dtype=np.float64)
        self.bias = np.asarray(self.bias, dtype=np.float64)
        if self.filters.ndim != 2 or self.bias.shape != (self.filters.shape[0],):
            raise InputError(f"filters must be (n_h, n_v) and bias (n_h,), got "
                             f"{self.filters.shape} and {self.bias.shape}")
        hidden_states(self.filters.shape[0])  # validates n_h

    @property
    def n_hidden(self) -> int:
        return self.filters.shape[0]

    @property
    def n_visible(self) -> int:
        return self.filters.shape[1]

    def probabilities(self, visible: Any) -> Any:
        """P_Λ(H|V): float64 (n, 2^n_h) for visible (n, n_v), on the visible's backend."""
        xp = array_module(visible)
        return rule_probabilities(xp.asarray(self.filters), xp.asarray(self.bias), visible)
