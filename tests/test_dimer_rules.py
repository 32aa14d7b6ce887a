"""The directed-loop tables of the dimer worm (gpurg/models/dimer_rules.py), checked directly:
leg weights against exp(-V n_b / T) from the pattern index, the directed-loop equations
w_a P(a -> b) = w_b P(b -> a), normalisation, and each rule's own definition (heat-bath
P = w_b / sum w; minimal-bounce: the least bounce weight possible, max(0, 2 w_max - sum w),
all of it on the largest leg). Tolerances are a few units of float64 rounding."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gpurg.errors import InputError
from gpurg.models.dimer import DimerModel
from gpurg.models.dimer_rules import (
    MAX_V_OVER_T,
    N_PATTERNS,
    RULES,
    exit_probabilities,
    exit_thresholds,
    leg_weights,
)

RTOL = 1e-13  # a few ulps: the tables go through w -> flow -> flow / w
# attractive and repulsive V, hot and cold (down to weights of e^-30), and T = inf
POINTS = [(-1.0, math.inf), (-1.0, 2.0), (-1.0, 0.65), (1.0, 0.8), (1.5, 0.1), (-0.7, 0.05),
          (2.0, 7.0)]


def _counts() -> np.ndarray:
    """n_b of pattern p, independently of the module: p = n_0 + 3 n_1 + 9 n_2 + 27 n_3."""
    out = np.zeros((N_PATTERNS, 4), dtype=np.int64)
    for p in range(N_PATTERNS):
        rest = p
        for b in range(4):
            out[p, b], rest = rest % 3, rest // 3
    return out


@pytest.mark.parametrize(("V", "T"), POINTS)
def test_leg_weights_are_boltzmann_ratios(V, T) -> None:
    """w_b / w_a = exp(-V (n_b - n_a) / T) for every pattern and pair of legs, the largest
    weight of a pattern is 1 when T is finite (no overflow) and every weight is 1 at T = inf.
    Catches a flipped sign of V or a wrong base of the pattern index."""
    w = leg_weights(V, T)
    assert w.shape == (N_PATTERNS, 4) and (w > 0).all()
    if math.isinf(T):
        assert (w == 1.0).all()
        return
    n = _counts()
    np.testing.assert_allclose(w.max(axis=1), 1.0, rtol=0, atol=0)
    for a in range(4):
        for b in range(4):
            want = np.exp(-V * (n[:, b] - n[:, a]) / T)
            np.testing.assert_allclose(w[:, b] / w[:, a], want, rtol=RTOL, atol=0)


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize(("V", "T"), POINTS)
def test_directed_loop_equations(rule, V, T) -> None:
    """Every pattern: P >= 0, rows sum to 1, and w_a P(a -> b) = w_b P(b -> a) (detailed
    balance of the worm) to float64 rounding. Catches a minimal-bounce flow whose rows do not
    sum to the weights (e / 5 for e / 6, or 1.01 x the share of one pair)."""
    P = exit_probabilities(V, T, rule)
    w = leg_weights(V, T)
    assert P.shape == (N_PATTERNS, 4, 4)
    assert (P >= 0).all()
    np.testing.assert_allclose(P.sum(axis=2), 1.0, rtol=0, atol=1e-15)  # 4 ulps
    flow = w[:, :, None] * P
    np.testing.assert_allclose(flow, np.swapaxes(flow, 1, 2), rtol=RTOL,
                               atol=RTOL * w.min() * 1e-30)


@pytest.mark.parametrize(("V", "T"), POINTS)
def test_heat_bath_is_proportional_to_the_weights(V, T) -> None:
    """Heat-bath: P(a -> b) = w_b / sum w whatever the entrance a (bounce included)."""
    P = exit_probabilities(V, T, "heat-bath")
    w = leg_weights(V, T)
    want = np.broadcast_to((w / w.sum(axis=1, keepdims=True))[:, None, :], P.shape)
    np.testing.assert_allclose(P, want, rtol=RTOL, atol=0)


@pytest.mark.parametrize(("V", "T"), POINTS)
def test_minimal_bounce_bounces_least(V, T) -> None:
    """Minimal bounce: the total bounce flow sum_a w_a P(a -> a) is max(0, 2 w_max - sum w),
    the least any solution of the directed-loop equations can have (Syljuåsen & Sandvik
    2002), and it sits on the largest leg only; at T = inf every move is 1/3 exactly, with
    no bounce. Catches the bounce put on the second-largest leg (which the directed-loop
    equations also reject) and the variants of the test above."""
    P = exit_probabilities(V, T, "minimal-bounce")
    w = leg_weights(V, T)
    diag = np.diagonal(P, axis1=1, axis2=2)  # (81, 4)
    bounce = (w * diag).sum(axis=1)
    excess = np.maximum(0.0, 2 * w.max(axis=1) - w.sum(axis=1))
    np.testing.assert_allclose(bounce, excess, rtol=RTOL, atol=RTOL * w.min() * 1e-30)
    largest = w == w.max(axis=1, keepdims=True)
    assert (diag[~largest] == 0).all()
    if math.isinf(T):
        off = ~np.eye(4, dtype=bool)
        assert (P[:, off] == 1 / 3).all() and (diag == 0).all()


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize(("V", "T"), POINTS[:4])
def test_thresholds_encode_the_probabilities(rule, V, T) -> None:
    """The kernels' integer table: each exit's interval of 32-bit words has length
    round(P 2^32) up to one word of rounding, and an exit of probability 0 gets no word."""
    P = exit_probabilities(V, T, rule)
    thr = exit_thresholds(V, T, rule).astype(np.int64)
    edges = np.concatenate([np.zeros(thr.shape[:-1] + (1,), np.int64), thr,
                            np.full(thr.shape[:-1] + (1,), 2**32, np.int64)], axis=-1)
    lengths = np.diff(edges, axis=-1)
    assert (lengths >= 0).all()
    assert (np.abs(lengths - P * 2.0**32) <= 1.0).all()
    assert (lengths[P == 0] == 0).all()


def test_temperatures_the_exit_tables_cannot_resolve_are_refused() -> None:
    """At |V|/T = MAX_V_OVER_T every heat-bath move still has a threshold interval of its own
    (probability >= 2^-32: 4/3 of it measured for the rarest); beyond it the model refuses
    T, naming it. Catches T = 1e-300 with V = -1/3, whose worms cycled without closing."""
    T = 1.0 / MAX_V_OVER_T
    thresholds = exit_thresholds(-1.0, T, "heat-bath").astype(np.int64)
    widths = np.diff(np.concatenate([np.zeros((*thresholds.shape[:2], 1), np.int64),
                                     thresholds, np.full((*thresholds.shape[:2], 1), 2**32)],
                                    axis=-1), axis=-1)
    assert widths.min() >= 1
    DimerModel(8, T, -1.0)
    DimerModel(8, 1e-300, 0.0)  # no interaction: any T
    for V, T in ((-1 / 3, 1e-300), (-1.0, 0.99 / MAX_V_OVER_T), (2.0, 0.1)):
        with pytest.raises(InputError, match=r"temperature T = .* too low"):
            DimerModel(8, T, V)
