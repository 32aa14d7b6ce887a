"""The replica-bits kernels (kernels/ising_bits.cu) against their NumPy twin, bit for bit, on
the cpu backend: both launch modes (a launch per half-sweep; many sweeps per launch, a block
per word), 32- and 64-bit words, partly filled words, every kind of threshold table."""

from __future__ import annotations

import numpy as np
import pytest

from gpurg.backend import get_backend
from gpurg.models.ising_bits import ReplicaBits
from gpurg.models.ising_exact import T_C
from gpurg.models.ising_layouts import spin_sums
from gpurg.models.ising_numpy import hot_start
from gpurg.models.ising_rules import flip_thresholds

CASES = [  # L, R, algorithm, T, J, h: Metropolis at h = 0 has 2 random classes, heat-bath at
    # h = 0 has 5, and a field makes every class its own (up to 10)
    (4, 1, "metropolis", T_C, 1.0, 0.0),
    (6, 45, "heatbath", T_C, 1.0, 0.0),
    (8, 64, "metropolis", 2.0, -1.0, 0.3),
    (10, 77, "heatbath", 2.5, 1.0, 0.2),
    (12, 130, "metropolis", 1.5, 1.0, 0.0),
    (6, 32, "heatbath", 3.0, -1.0, -0.4),
    (8, 40, "heatbath", 0.15, 1.0, 0.3),  # thresholds of 0 and 2^32: sure and never classes
    (6, 70, "metropolis", 0.9, 1.0, 2.5),  # a field beyond 2|J|: some classes never flip
]


def test_rule_table_lists_the_classes_compactly() -> None:
    """Metropolis at h = 0: two random classes (a = 3, 4, either spin) and the sure lanes as
    the rest; heat-bath at h = 0: five; a field splits the spins (ten); a threshold of 2^32
    or 0 sorts a class out of the random ones."""
    from gpurg.models.ising_bits_numpy import rule_table
    table = rule_table(flip_thresholds("metropolis", T_C, 1.0, 0.0))
    assert list(table[:3]) == [2, 0, 1]
    assert list(table[13:18]) == [2**32 - 1, 2**32 - 1, 0, 0, 2**32 - 1]  # a = 3, any spin
    assert list(table[18:23]) == [0, 0, 2**32 - 1, 0, 2**32 - 1]  # a = 4
    assert list(rule_table(flip_thresholds("heatbath", T_C, 1.0, 0.0))[:3]) == [5, 0, 0]
    assert rule_table(flip_thresholds("heatbath", 2.0, 1.0, 0.1))[0] == 10
    low = rule_table(flip_thresholds("heatbath", 0.15, 1.0, 0.3))
    assert low[0] + low[1] <= 10 and low[0] < 10


def _chain(device: str, L, R, algorithm, T, J, h, seed, per_launch: bool | None = None):
    backend = get_backend(device)
    layout = ReplicaBits(L, R, backend)
    if per_launch is not None:
        layout._sweeps_per_launch = lambda gpu: per_launch
    state = layout.pack(hot_start((L, L), R, (seed, 3)))
    rule = layout.rule(flip_thresholds(algorithm, T, J, h))
    layout.sweeps(state, rule, 0, 2, (seed, 3))
    layout.sweeps(state, rule, 2, 3, (seed, 3))  # sweeps continue where they stopped
    return layout.unpack(state), layout.spin_sums(state), state


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"L{c[0]}R{c[1]}-{c[2]}-h{c[5]}")
@pytest.mark.parametrize("seed", [0, 1])
def test_kernels_equal_the_numpy_twin(case, seed, cpu_kernels) -> None:
    spins, sums, _ = _chain("numpy", *case, seed)
    for per_launch in (False, True):
        cpu_spins, cpu_sums, _ = _chain("cpu", *case, seed, per_launch=per_launch)
        assert (cpu_spins == spins).all()
        assert all((a == b).all() for a, b in zip(cpu_sums, sums, strict=True))
    assert all((a == b).all() for a, b in zip(sums, spin_sums(spins), strict=True))
    assert set(np.unique(spins)) <= {-1, 1}


def test_words_hold_replicas_as_documented() -> None:
    """Replica 64 q + l is bit l of word q (two groups of 32 per uint64 word); lanes past R
    stay 0; pack and unpack are inverse."""
    rng = np.random.default_rng(4)
    backend = get_backend("numpy")
    for R, dtype, words in ((5, np.uint32, 1), (32, np.uint32, 1), (33, np.uint64, 1),
                            (130, np.uint64, 3)):
        spins = rng.choice(np.array([-1, 1], np.int8), size=(R, 6, 6))
        layout = ReplicaBits(6, R, backend)
        state = layout.pack(spins)
        assert state.dtype == dtype and state.shape == (words, 6, 6)
        r = R - 1
        q, lane = divmod(r, layout.bits)
        assert (((state[q] >> dtype(lane)) & dtype(1)) == (spins[r] > 0)).all()
        assert (state[-1] >> dtype(R - layout.bits * (words - 1)) == 0).all() \
            if R % layout.bits else True
        assert (layout.unpack(state) == spins).all()


def test_unused_lanes_stay_zero_and_never_flip(cpu_kernels) -> None:
    _, _, state = _chain("cpu", 8, 70, "heatbath", T_C, 1.0, 0.0, 2)
    assert (state[-1] >> np.uint64(70 - 64) == 0).all()
