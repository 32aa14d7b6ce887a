"""The Ising results of RSMI, reproduced on small but real runs (science.md §2): how the learned
I(H:E) depends on the number of hidden units, the temperature and the buffer.

Larger versions of these runs: ``python examples/ising_rsmi_results.py``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from gpurg.models.ising_exact import T_C
from gpurg.rsmi.geometry import Geometry, extract_pairs
from gpurg.rsmi.training import train_rule
from gpurg.sampling import ising_configurations

SIGMAS = 4.0


def _samples(T: float) -> np.ndarray:
    return ising_configurations(32, T, samples=8, seed=1, device="cpu")


def _learned_mi(configs: np.ndarray, buffer: int, n_hidden: int = 1) -> tuple[float, float]:
    V, E = extract_pairs(configs, Geometry(2, buffer, 2), positions=60_000, seed=1)
    result = train_rule(V, E, n_hidden, symmetric=True, epochs=15, restarts=1, seed=1)
    return result.mi, result.mi_err


@pytest.fixture(scope="module")
def critical() -> np.ndarray:
    return _samples(T_C)


def test_information_saturates_with_the_hidden_units(critical) -> None:
    """At T_c with a buffer, one unit holds most of I(H:E): a second adds under 15% of it
    (measured: 0.354, 0.381, 0.386 nats for 1, 2, 3 units), a third nothing significant."""
    (one, e1), (two, e2), (three, e3) = (_learned_mi(critical, 2, n) for n in (1, 2, 3))
    assert two - one <= 0.15 * one, (one, two)
    assert abs(three - two) <= SIGMAS * math.hypot(e2, e3), (two, three)


def test_information_tends_to_ln2_in_the_ordered_phase(critical) -> None:
    """Deep below T_c a block's sign is the whole story: I(H:E) -> ln 2 (one unit)."""
    cold, _ = _learned_mi(_samples(1.0), 0)
    warm, _ = _learned_mi(critical, 0)
    assert cold > 0.95 * math.log(2), cold
    assert warm < cold


def test_buffer_dependence_fast_in_the_paramagnet_slow_at_tc(critical) -> None:
    """I(H:E) against L_B: at T_c it keeps most of its value (power-law correlations), at
    T = 4 it collapses within a few lattice spacings (correlation length below one)."""
    hot = _samples(4.0)
    at_tc = [_learned_mi(critical, b)[0] for b in (0, 2)]
    in_paramagnet = [_learned_mi(hot, b)[0] for b in (0, 2)]
    assert at_tc[1] / at_tc[0] > 0.5, at_tc
    assert in_paramagnet[1] / in_paramagnet[0] < 0.05, in_paramagnet
