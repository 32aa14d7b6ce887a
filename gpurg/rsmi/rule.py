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

    For a block of L_V x L_V sites the visible index is i = y L_V + x (row-major); for a
    cubic block of L_V x L_V x L_V sites, i = (z L_V + y) L_V + x.
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

    def canonical(self) -> CoarseGrainingRule:
        """The same rule in its canonical labelling: every unit oriented, the units ordered.

        The sign of a unit (h_j -> -h_j with λ_j -> -λ_j, b_j -> -b_j) and the order of the
        units are conventions: P_Λ(H|V), I(H:E) and every exponent of the coarse spins are the
        same for all 2^n_h n_h! labellings. Canonical form:

        * orientation: the unit's total weight Σ_i λ_ji is positive (the coarse spin follows
          the block's magnetisation, as majority rule does); a unit whose weights sum to zero
          within rounding (a staggered dimer filter) makes its largest weight positive, the
          first in visible order on a tie;
        * order: by decreasing |λ_j|, then lexicographically by the oriented weights and bias,
          so that permuted copies of one rule give the same arrays bit for bit.

        Returns a new rule; ``self`` is unchanged.
        """
        filters, bias = self.filters.copy(), self.bias.copy()
        total = filters.sum(axis=1)
        scale = np.abs(filters).sum(axis=1)
        largest = filters[np.arange(len(filters)), np.abs(filters).argmax(axis=1)]
        # a sum below rounding level is no orientation: fall back to the largest weight
        sign = np.where(np.abs(total) > 1e-9 * scale, np.sign(total), np.sign(largest))
        sign[sign == 0] = 1.0
        # + 0.0 turns the -0.0 of a flipped zero into 0.0 (it would print as "-0.000")
        filters = filters * sign[:, None] + 0.0
        bias = bias * sign + 0.0
        norms = np.sqrt((filters**2).sum(axis=1))
        # np.lexsort sorts by its last key first: -norm, then each weight, then the bias
        order = np.lexsort((bias, *filters.T[::-1], -norms))
        return CoarseGrainingRule(filters[order], bias[order])

    def probabilities(self, visible: Any) -> Any:
        """P_Λ(H|V): float64 (n, 2^n_h) for visible (n, n_v), on the visible's backend."""
        xp = array_module(visible)
        return rule_probabilities(xp.asarray(self.filters), xp.asarray(self.bias), visible)
