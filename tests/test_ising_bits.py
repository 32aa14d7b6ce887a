"""The bit-packed Ising semantics (gpurg.models.ising_bits_numpy): layout, bit-sliced counts,
lazy decisions equal to u < t, and the chains against exact results (issue 15)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import chi2

from gpurg.backend.philox import STREAM_BIT_UPDATE, philox4x32
from gpurg.models.ising_bits_numpy import (
    aligned_neighbour_count,
    bits_halfsweep,
    bits_sweep,
    decide,
    pack,
    unpack,
)
from gpurg.models.ising_exact import (
    T_C,
    boltzmann_probabilities,
    energy_and_specific_heat,
    state_index,
)
from gpurg.models.ising_numpy import hot_start
from gpurg.models.ising_rules import flip_thresholds
from gpurg.stats import pooled_chi_square

KEY = (0x1234, 0xABCD)


def _random_spins(R: int, L: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).choice(np.array([-1, 1], np.int8), size=(R, L, L))


@pytest.mark.parametrize("R", [1, 32, 45, 96])
def test_pack_unpack_round_trip(R) -> None:
    spins = _random_spins(R, 5, R)
    words = pack(spins)
    assert words.dtype == np.uint32 and words.shape == (-(-R // 32), 5, 5)
    assert (unpack(words, R) == spins).all()
    assert (words[-1] >> np.uint32(R - 32 * (words.shape[0] - 1)) == 0).all() if R % 32 else True
    assert ((words[0] >> np.uint32(3)) & 1 == (spins[3] > 0)).all() if R > 3 else True


def test_bit_sliced_neighbour_count_is_the_direct_count() -> None:
    spins = _random_spins(70, 6, 1)
    a0, a1, a2 = (unpack(a, 70) > 0 for a in aligned_neighbour_count(pack(spins)))
    direct = sum((spins == np.roll(spins, shift, axis)).astype(int)
                 for shift, axis in ((1, 1), (-1, 1), (1, 2), (-1, 2)))
    assert (a0 + 2 * a1 + 4 * a2 == direct).all()


def _direct_halfsweep(spins, thresholds, color, step, key) -> np.ndarray:
    """Lane by lane, eagerly: u assembled from all 32 planes, flip iff u < t (byte rule)."""
    R, L, _ = spins.shape
    G = -(-R // 32)
    y, x = np.indices((L, L))
    blocks = philox4x32(((y * L + x)[None, :, :, None], 8 * np.arange(G)[:, None, None, None]
                         + np.arange(8), step, STREAM_BIT_UPDATE), key)  # (G, L, L, 8, 4)
    planes = blocks.reshape(G, L, L, 32).astype(np.uint64)
    lane = np.arange(32, dtype=np.uint64)
    bits = (planes[:, None] >> lane[None, :, None, None, None]) & np.uint64(1)  # (G,32,L,L,32)
    u = (bits << (np.uint64(31) - np.arange(32, dtype=np.uint64))).sum(-1, dtype=np.uint64)
    u = u.reshape(32 * G, L, L)[:R]
    s = spins.astype(np.int32)
    nn = np.roll(s, 1, 1) + np.roll(s, -1, 1) + np.roll(s, 1, 2) + np.roll(s, -1, 2)
    flip = (u < thresholds[5 * (s > 0) + (nn + 4) // 2]) & (((x + y) & 1) == color)
    out = spins.copy()
    out[flip] *= -1
    return out


@pytest.mark.parametrize("algorithm, T, J, h", [("metropolis", T_C, 1.0, 0.0),
                                                ("metropolis", 2.0, -1.0, 0.3),
                                                ("heatbath", 2.5, 1.0, 0.15)])
def test_lazy_halfsweep_is_eager_and_is_u_below_threshold(algorithm, T, J, h) -> None:
    """The lazy half-sweep equals the one that draws all 32 planes, bit for bit, and equals
    flip iff u < t with each lane's u assembled from the planes, lane by lane."""
    thresholds = flip_thresholds(algorithm, T, J, h)
    spins = _random_spins(77, 6, 2)
    for color, step in ((0, 10), (1, 11)):
        lazy, eager = pack(spins), pack(spins)
        count = bits_halfsweep(lazy, thresholds, color, step, KEY, replicas=77)
        full = bits_halfsweep(eager, thresholds, color, step, KEY, replicas=77, lazy=False)
        assert (lazy == eager).all()
        assert count.pairs == full.pairs == 3 * 18 and full.planes == 32 * full.pairs
        assert count.planes < full.planes and count.blocks <= full.blocks
        assert (unpack(lazy, 77) == _direct_halfsweep(spins, thresholds, color, step, KEY)).all()
        assert (lazy[-1] >> np.uint32(77 - 64) == 0).all()  # unused lanes stay 0
        spins = unpack(lazy, 77)


def test_decide_at_threshold_edges() -> None:
    """Thresholds 1, 2^31, 2^32 - 1 and u equal to t: flip iff u < t, lazily or not."""
    rng = np.random.default_rng(3)
    N = 4000
    blocks = rng.integers(0, 2**32, size=(8, N, 4), dtype=np.uint64).astype(np.uint32)
    blocks[:, :10] = 0  # pairs whose u are all 0: every lane with t >= 1 flips
    u_planes = blocks.transpose(1, 0, 2).reshape(N, 32).astype(np.uint64)
    lanes = np.arange(32, dtype=np.uint64)
    u = ((u_planes[:, None, :] >> lanes[None, :, None]) & np.uint64(1)) \
        << (np.uint64(31) - np.arange(32, dtype=np.uint64))
    u = u.sum(-1, dtype=np.uint64)  # (N, 32 lanes)
    thresholds = [1, 2**31, 2**32 - 1, int(u[11, 5]), 12345]
    cls = rng.integers(0, 6, size=(N, 32))  # class 5: no decision needed
    cls[11, 5] = 3  # lane 5 of pair 11 has u = t exactly: no flip
    masks = np.array([((cls == c).astype(np.uint64) << lanes).sum(-1) for c in range(5)],
                     dtype=np.uint32)
    need = np.bitwise_or.reduce(masks, axis=0)
    draw = lambda b, idx: blocks[b, idx]  # noqa: E731
    flip, count = decide(need, masks, thresholds, draw)
    eager, _ = decide(need, masks, thresholds, draw, lazy=False)
    t = np.array(thresholds + [0], dtype=np.uint64)[cls]
    expected = (((u < t) & (cls < 5)).astype(np.uint64) << lanes).sum(-1)
    assert (flip == expected).all() and (eager == flip).all()
    assert not (flip[11] >> 5) & 1
    assert count.planes < 32 * N


def _states_after(R, T, J, h, algorithm, sweeps, seed):
    thresholds = flip_thresholds(algorithm, T, J, h)
    key = (seed, 77)
    words = pack(hot_start((4, 4), R, key))
    for sweep in range(sweeps):
        bits_sweep(words, thresholds, sweep, key, replicas=R)
    return np.bincount(state_index(unpack(words, R)), minlength=2**16)


@pytest.mark.parametrize("algorithm, T, J, h", [("metropolis", 2.6, 1.0, 0.15),
                                                ("heatbath", T_C, 1.0, 0.0)])
def test_stationary_distribution_is_boltzmann(algorithm, T, J, h) -> None:
    """The 2^16 states of 100,000 independent 4x4 chains after 60 sweeps against the exact
    Boltzmann weights (pooled chi-square, p > 1e-4)."""
    counts = _states_after(100_000, T, J, h, algorithm, 60, seed=5)
    stat, dof = pooled_chi_square(counts, boltzmann_probabilities(4, T, J, h) * counts.sum())
    p = chi2.sf(stat, dof)
    assert p > 1e-4, f"chi2 = {stat:.1f} for {dof} dof (p = {p:.2g})"


def test_chi2_detects_a_wrong_temperature() -> None:
    """The test has power: chains at T = 2.6 fail against the weights at 2.75."""
    counts = _states_after(100_000, 2.6, 1.0, 0.0, "metropolis", 60, seed=5)
    stat, dof = pooled_chi_square(counts, boltzmann_probabilities(4, 2.75) * counts.sum())
    assert chi2.sf(stat, dof) < 1e-6


def test_energy_at_tc_L8_matches_kaufman() -> None:
    """Mean energy per spin of 256 replicas (8 groups) at T_c, L = 8, within 4 sigma of the
    exact value; the error from the spread of the replicas' time averages."""
    L, R, key = 8, 256, (11, 12)
    thresholds = flip_thresholds("metropolis", T_C, 1.0, 0.0)
    words = pack(hot_start((L, L), R, key))
    energies = []
    for sweep in range(900):
        bits_sweep(words, thresholds, sweep, key)
        if sweep >= 200:
            s = unpack(words, R).astype(np.int32)
            energies.append(-(s * (np.roll(s, 1, 1) + np.roll(s, 1, 2))).sum(axis=(1, 2)))
    per_replica = np.mean(energies, axis=0) / L**2
    mean, error = per_replica.mean(), per_replica.std(ddof=1) / np.sqrt(R)
    exact = energy_and_specific_heat(1 / T_C, L)[0]
    assert abs(mean - exact) < 4 * error, f"{mean:.5f} ± {error:.5f} vs exact {exact:.5f}"
