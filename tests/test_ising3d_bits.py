"""The replica-bits layout of the simple-cubic Ising model (issue 17): the six-neighbour
semantics of gpurg.models.ising_bits_numpy against a direct lane-by-lane rule, the kernels of
kernels/ising3d_bits.cu against that twin bit for bit on the cpu backend, packing, spin sums,
and the 2x2x2 chain against the exact Boltzmann distribution."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import chi2

from gpurg.backend import get_backend
from gpurg.backend.philox import STREAM_BIT_UPDATE, philox4x32
from gpurg.models.ising3d import Bytes3D
from gpurg.models.ising3d_bits import ReplicaBits3D
from gpurg.models.ising3d_exact import T_C, boltzmann_probabilities, state_index
from gpurg.models.ising_bits_numpy import (
    aligned_neighbour_count,
    bits_halfsweep,
    pack,
    rule_table,
    unpack,
)
from gpurg.models.ising_numpy import hot_start
from gpurg.models.ising_rules import flip_thresholds
from gpurg.stats import pooled_chi_square

KEY = (0x1234, 0xABCD)


def _thresholds(algorithm: str, T: float, J: float, h: float) -> np.ndarray:
    return flip_thresholds(algorithm, T, J, h, neighbours=6)


def _random_spins(R: int, L: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).choice(np.array([-1, 1], np.int8), size=(R, L, L, L))


def test_bit_sliced_count_of_six_neighbours_is_the_direct_count() -> None:
    spins = _random_spins(70, 4, 1)
    a0, a1, a2 = (unpack(a, 70) > 0 for a in aligned_neighbour_count(pack(spins)))
    direct = sum((spins == np.roll(spins, shift, axis)).astype(int)
                 for axis in (1, 2, 3) for shift in (1, -1))
    assert (a0 + 2 * a1 + 4 * a2 == direct).all()
    assert direct.max() == 6  # every count 0..6 occurs
    assert set(np.unique(direct)) == set(range(7))


def test_rule_table_of_fourteen_thresholds() -> None:
    """Metropolis at h = 0: three random classes (a = 4, 5, 6, either spin) and the sure
    lanes as the rest; heat-bath at h = 0: seven; a field splits the spins (fourteen). The
    masks of random class i start at 3 + 14, the other classes' at 3 + 6 * 14."""
    table = rule_table(_thresholds("metropolis", T_C, 1.0, 0.0))
    assert table.shape == (157,) and list(table[:3]) == [3, 0, 1]
    full = 2**32 - 1
    assert list(table[17:22]) == [0, 0, full, 0, full]  # a = 4, any spin
    assert list(table[27:32]) == [0, full, full, 0, full]  # a = 6
    assert list(rule_table(_thresholds("heatbath", T_C, 1.0, 0.0))[:3]) == [7, 0, 0]
    assert rule_table(_thresholds("heatbath", T_C, 1.0, 0.1))[0] == 14
    with pytest.raises(ValueError, match="14"):
        rule_table(np.zeros(12, dtype=np.uint64))


def _direct_halfsweep(spins, thresholds, color, step, key) -> np.ndarray:
    """Lane by lane, eagerly: u assembled from all 32 planes of the Philox blocks (site
    (z L + y) L + x, 8 g + b), flip iff u < thresholds[7 (s > 0) + n_plus]."""
    R, L = spins.shape[:2]
    G = -(-R // 32)
    z, y, x = np.indices((L, L, L))
    blocks = philox4x32((((z * L + y) * L + x)[None, ..., None],
                         8 * np.arange(G)[:, None, None, None, None] + np.arange(8), step,
                         STREAM_BIT_UPDATE), key)  # (G, L, L, L, 8, 4)
    planes = blocks.reshape(G, L, L, L, 32).astype(np.uint64)
    lane = np.arange(32, dtype=np.uint64)
    bits = (planes[:, None] >> lane[None, :, None, None, None, None]) & np.uint64(1)
    u = (bits << (np.uint64(31) - np.arange(32, dtype=np.uint64))).sum(-1, dtype=np.uint64)
    u = u.reshape(32 * G, L, L, L)[:R]
    s = spins.astype(np.int32)
    n_plus = sum((np.roll(s, shift, axis) > 0).astype(int)
                 for axis in (1, 2, 3) for shift in (1, -1))
    flip = (u < thresholds[7 * (s > 0) + n_plus]) & (((x + y + z) & 1) == color)
    out = spins.copy()
    out[flip] *= -1
    return out


@pytest.mark.parametrize("algorithm, T, J, h", [("metropolis", T_C, 1.0, 0.0),
                                                ("metropolis", 3.0, -1.0, 0.4),
                                                ("heatbath", 5.0, 1.0, -0.3)])
def test_lazy_halfsweep_is_u_below_threshold(algorithm, T, J, h) -> None:
    """The lazy half-sweep on the cube equals the one that draws all 32 planes and the direct
    rule flip iff u < t, lane by lane, with the documented Philox addressing."""
    thresholds = _thresholds(algorithm, T, J, h)
    spins = _random_spins(45, 4, 2)
    for color, step in ((0, 6), (1, 7)):
        lazy, eager = pack(spins), pack(spins)
        count = bits_halfsweep(lazy, thresholds, color, step, KEY, replicas=45)
        full = bits_halfsweep(eager, thresholds, color, step, KEY, replicas=45, lazy=False)
        assert (lazy == eager).all() and count.pairs == 2 * 32
        assert count.planes < full.planes == 32 * full.pairs
        assert (unpack(lazy, 45) == _direct_halfsweep(spins, thresholds, color, step,
                                                      KEY)).all()
        spins = unpack(lazy, 45)


CASES = [  # L, R, algorithm, T, J, h: Metropolis at h = 0 has 3 random classes, heat-bath at
    # h = 0 has 7, and a field makes every class its own (up to 14)
    (2, 3, "metropolis", T_C, 1.0, 0.0),
    (4, 32, "heatbath", T_C, 1.0, 0.0),
    (4, 33, "metropolis", 3.0, -1.0, 0.4),
    (6, 64, "heatbath", 5.0, -1.0, -0.3),
    (8, 70, "metropolis", 4.0, 1.0, 0.25),
    (2, 70, "heatbath", 0.2, 1.0, 0.5),  # thresholds of 0 and 2^32: sure and never classes
    (6, 3, "metropolis", 1.0, 1.0, 7.0),  # a field beyond 6|J|: classes that never flip
]


def _chain(device: str, L, R, algorithm, T, J, h, seed, per_launch: bool | None = None):
    """Five sweeps (two calls) of the layout on ``device`` from random spins."""
    backend = get_backend(device)
    layout = ReplicaBits3D(L, R, backend)
    if per_launch is not None:
        layout._sweeps_per_launch = lambda gpu: per_launch
    state = layout.pack(backend.xp.asarray(_random_spins(R, L, seed)))
    rule = layout.rule(_thresholds(algorithm, T, J, h))
    layout.sweeps(state, rule, 0, 2, (seed, 3))
    layout.sweeps(state, rule, 2, 3, (seed, 3))  # sweeps continue where they stopped
    return backend.asnumpy(layout.unpack(state)), layout.spin_sums(state), state


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"L{c[0]}R{c[1]}-{c[2]}-h{c[5]}")
def test_kernels_equal_the_numpy_twin(case, cpu_kernels) -> None:
    """Both launch modes (a launch per half-sweep, many sweeps per launch), 32- and 64-bit
    words, part-filled words: the same spins and the same spin sums as the twin, whose sums
    are the byte layout's of the same spins."""
    spins, sums, _ = _chain("numpy", *case, seed=case[1])
    for per_launch in (False, True):
        cpu_spins, cpu_sums, _ = _chain("cpu", *case, seed=case[1], per_launch=per_launch)
        assert (cpu_spins == spins).all()
        assert all((a == b).all() for a, b in zip(cpu_sums, sums, strict=True))
    byte_sums = Bytes3D(case[0], case[1], get_backend("numpy")).spin_sums(spins)
    assert all((a == b).all() for a, b in zip(sums, byte_sums, strict=True))


@pytest.mark.gpu
@pytest.mark.parametrize("case", CASES[1:5], ids=lambda c: f"L{c[0]}R{c[1]}-{c[2]}-h{c[5]}")
def test_gpu_kernels_equal_the_numpy_twin(case) -> None:
    """On a GPU the many-sweeps kernel runs real blocks that share each half-sweep's runs
    out among their threads and wait at __syncthreads: both launch modes equal the twin."""
    spins, sums, _ = _chain("numpy", *case, seed=case[1])
    for per_launch in (False, True):
        gpu_spins, gpu_sums, _ = _chain("gpu", *case, seed=case[1], per_launch=per_launch)
        assert (gpu_spins == spins).all()
        assert all((a == b).all() for a, b in zip(gpu_sums, sums, strict=True))


def test_words_hold_replicas_and_unused_lanes_stay_zero(cpu_kernels) -> None:
    """Replica 64 q + l is bit l of word q (uint32 words up to 32 replicas); pack and unpack
    are inverse; lanes past R are 0 and stay 0 through the kernels' sweeps."""
    rng = np.random.default_rng(4)
    for R, dtype, words in ((3, np.uint32, 1), (32, np.uint32, 1), (33, np.uint64, 1),
                            (130, np.uint64, 3)):
        spins = rng.choice(np.array([-1, 1], np.int8), size=(R, 4, 4, 4))
        layout = ReplicaBits3D(4, R, get_backend("numpy"))
        state = layout.pack(spins)
        assert state.dtype == dtype and state.shape == (words, 4, 4, 4)
        q, lane = divmod(R - 1, layout.bits)
        assert (((state[q] >> dtype(lane)) & dtype(1)) == (spins[R - 1] > 0)).all()
        assert (layout.unpack(state) == spins).all()
    _, _, state = _chain("cpu", 4, 70, "heatbath", T_C, 1.0, 0.0, seed=5)
    assert (state[-1] >> np.uint64(70 - 64) == 0).all()


def _states_after(T: float, J: float, h: float, algorithm: str) -> np.ndarray:
    """Counts of the 2^8 states of 100,000 independent 2x2x2 chains after 40 sweeps from a
    hot start, on the cpu kernels."""
    R, key = 100_000, (7, 8)
    layout = ReplicaBits3D(2, R, get_backend("cpu"))
    state = layout.pack(hot_start((2, 2, 2), R, key))
    layout.sweeps(state, layout.rule(_thresholds(algorithm, T, J, h)), 0, 40, key)
    return np.bincount(state_index(layout.unpack(state)), minlength=2**8)


@pytest.mark.parametrize("algorithm, T, J, h", [("metropolis", 5.0, 1.0, 0.2),
                                                ("heatbath", 6.0, -1.0, -0.3)])
def test_stationary_distribution_is_boltzmann(algorithm, T, J, h, cpu_kernels) -> None:
    """The 2^8 states of the chains against the exact weights (pooled chi-square,
    p > 1e-4); with the weights of a temperature 10% off the same counts fail (p < 1e-6):
    the test has power."""
    counts = _states_after(T, J, h, algorithm)
    stat, dof = pooled_chi_square(counts, boltzmann_probabilities((2, 2, 2), T, J, h)
                                  * counts.sum())
    p = chi2.sf(stat, dof)
    assert p > 1e-4, f"chi2 = {stat:.1f} for {dof} dof (p = {p:.2g})"
    wrong = boltzmann_probabilities((2, 2, 2), 1.1 * T, J, h) * counts.sum()
    assert chi2.sf(*pooled_chi_square(counts, wrong)) < 1e-6
