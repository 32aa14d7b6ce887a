"""Directed-loop transition probabilities of the dimer worm, as integer threshold tables.

The worm head sits on an unpaired site h that it entered along leg ``a`` (the direction of
the dimer just removed). It re-pairs h along an exit leg ``b``. The four candidate
configurations "h paired along b" differ only in the parallel plaquettes the dimer (h, h+b)
makes, n_b in {0, 1, 2}, so their weights are w_b = exp(-V n_b / T). Detailed balance of a
whole worm (the reverse worm retraces the path) holds when each vertex obeys the directed-loop
equations w_a P(a -> b) = w_b P(b -> a), sum_b P(a -> b) = 1 (Syljuåsen & Sandvik 2002;
Sandvik & Moessner 2006; Alet et al. 2006). Two solutions are offered:

``minimal-bounce``
    No bounce (b = a) unless the largest weight exceeds the sum of the others, and then only
    on the largest leg; at T = inf the head goes to each of the three other legs with 1/3.
``heat-bath``
    P(a -> b) = w_b / sum w, bounces included.

The weights depend on the pattern (n_0, n_1, n_2, n_3), index n_0 + 3 n_1 + 9 n_2 + 27 n_3.
Kernels and the NumPy path read the same table of cumulative integer thresholds, so they make
the same choice from the same 32-bit random word.
"""

from __future__ import annotations

import math

import numpy as np

from gpurg.errors import InputError

RULES = ("minimal-bounce", "heat-bath")
N_PATTERNS = 81  # 3^4 neighbour patterns (n_0, n_1, n_2, n_3), each n_b in {0, 1, 2}
# The largest |V| / T the 32-bit exit tables represent: a leg's weight is exp(-V n_b / T) with
# n_b in 0..2, so the rarest move of a pattern has probability >= e^(-2|V|/T) / 4 (four legs);
# below 2^-32 it would round to 0, and the chain would lose moves (not ergodic; a worm can
# then cycle without closing). e^(-2x) / 4 = 2^-32 at x = 15 ln 2.
MAX_V_OVER_T = 15 * math.log(2)
_MAX_EXPONENT = 600.0  # e^-600 ~ 1e-261: far below 2^-32, yet a normal float


def pattern_counts() -> np.ndarray:
    """int64 (81, 4): the parallel-plaquette counts n_b of each pattern index."""
    idx = np.arange(N_PATTERNS)
    return np.stack([(idx // 3**b) % 3 for b in range(4)], axis=1)


def leg_weights(V: float, T: float) -> np.ndarray:
    """float64 (81, 4): relative weights exp(-V n_b / T) of the four exit legs (1 at T = inf)."""
    if math.isinf(T):
        return np.ones((N_PATTERNS, 4))
    n = pattern_counts()
    # shifted by the pattern's smallest energy so that no weight overflows at low T, and
    # capped so that none underflows to 0 either: a leg the head can enter along needs w > 0
    # (P(a -> b) = flow / w_a), and weights below e^-600 round to the same thresholds anyway
    # V / T itself is clipped: it overflows for subnormal T, and past 1e300 every ratio is
    # capped anyway
    energy = np.clip(V / T, -1e300, 1e300) * n
    return np.exp(-np.minimum(energy - energy.min(axis=1, keepdims=True), _MAX_EXPONENT))


def _minimal_bounce(w: np.ndarray) -> np.ndarray:
    """Symmetric flow matrix A (4, 4), A >= 0, rows summing to w, least possible diagonal."""
    order = np.argsort(-w, kind="stable")
    w1, w2, w3, w4 = w[order]
    flow = np.zeros((4, 4))
    if w1 >= w2 + w3 + w4:  # the largest leg must bounce back what the others cannot take
        flow[0, 0] = w1 - (w2 + w3 + w4)
        flow[0, 1:] = flow[1:, 0] = (w2, w3, w4)
    else:
        # Symmetric, zero diagonal, rows summing to w: a two-parameter family. Sharing its slack
        # equally puts e/6 on the three smallest pairs; written without cancellations so that
        # the probabilities of legs with tiny weights (low T) stay accurate.
        e = min((w2 - w1) + w3 + w4, 2 * w4)
        d12 = ((w1 - w3) + (w2 - w4)) / 2
        d13 = ((w1 - w2) + (w3 - w4)) / 2
        d14 = ((w1 - w2) + (w4 - w3)) / 2
        small = e / 6
        pairs = {(0, 1): d12 + small, (0, 2): d13 + small, (2, 3): small, (1, 3): small,
                 (0, 3): max(d14, 0.0) + small, (1, 2): max(-d14, 0.0) + small}
        for (i, j), value in pairs.items():
            flow[i, j] = flow[j, i] = value
    out = np.empty_like(flow)
    out[np.ix_(order, order)] = flow
    return out


def exit_probabilities(V: float, T: float, rule: str = "minimal-bounce") -> np.ndarray:
    """float64 (81, 4, 4): P[pattern, a, b], the probability to exit along b after entering
    along a. Rows sum to 1 and w_a P[a, b] = w_b P[b, a]."""
    if rule not in RULES:
        raise InputError(f"unknown worm rule {rule!r}; allowed: {', '.join(RULES)}")
    weights = leg_weights(V, T)
    probs = np.empty((N_PATTERNS, 4, 4))
    for p, w in enumerate(weights):
        flow = np.outer(w, w) / w.sum() if rule == "heat-bath" else _minimal_bounce(w)
        probs[p] = flow / w[:, None]
    return probs


def exit_thresholds(V: float, T: float, rule: str = "minimal-bounce") -> np.ndarray:
    """uint64 (81, 4, 3): cumulative thresholds in [0, 2^32] of the exit choice.

    With a uniform 32-bit word u, the exit is b = #{k : u >= thr[pattern, a, k]}. A leg of
    probability zero gets an empty interval, so it is never taken.
    """
    probs = exit_probabilities(V, T, rule)
    cum = np.cumsum(probs[..., :3], axis=-1)
    thresholds = np.rint(np.clip(cum, 0.0, 1.0) * 2.0**32).astype(np.uint64)
    # legs after k all impossible: the interval of the last possible leg must reach 2^32
    rest_empty = np.flip(np.cumsum(np.flip(probs[..., 1:], -1), -1), -1) == 0
    thresholds[rest_empty] = 2**32
    return thresholds
