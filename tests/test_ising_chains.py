"""The kernels (run on the CPU through the emulation layer) and the NumPy path produce the
same chains bit for bit, and a chain depends only on its parameters and seed."""

from __future__ import annotations

import numpy as np
import pytest

from gpurg.models import ising
from gpurg.models.ising import CHECKERBOARD_TILES, IsingModel, IsingSampler
from gpurg.models.ising_rules import ALGORITHMS, flip_thresholds, probability_threshold

SIZES = (4, 6, 8, 10, 12, 16, 22, 32, 40, 64, 72)


def _pair(model, algorithm, cpu, numpy, **kw):
    return [IsingSampler(model, algorithm=algorithm, device=b, **kw) for b in (cpu, numpy)]


@pytest.mark.parametrize("L", SIZES)
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_identical_chains(cpu_kernels, numpy_backend, algorithm, L) -> None:
    h = 0.0 if algorithm == "swendsen-wang" else 0.15
    a, b = _pair(IsingModel(L, 2.3, 1.0, h), algorithm, cpu_kernels, numpy_backend,
                 replicas=3, seed=99)
    assert np.array_equal(a.get_state(), b.get_state())
    for _ in range(3):
        a.sweep(2)
        b.sweep(2)
        assert np.array_equal(a.get_state(), b.get_state())
    for key, value in a.measure().items():
        assert np.array_equal(value, b.measure()[key]), key


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize(("J", "T", "start"), [(-1.0, 1.5, "hot"), (1.0, 1.0, "cold"),
                                              (0.7, 9.0, "hot")])
def test_identical_chains_other_couplings(cpu_kernels, numpy_backend, algorithm, J, T,
                                          start) -> None:
    a, b = _pair(IsingModel(12, T, J), algorithm, cpu_kernels, numpy_backend, replicas=5,
                 seed=2**64 - 1, start=start)
    a.sweep(10)
    b.sweep(10)
    assert np.array_equal(a.get_state(), b.get_state())


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_chain_is_a_function_of_the_seed(cpu_kernels, algorithm) -> None:
    model = IsingModel(16, 2.27)
    one = IsingSampler(model, replicas=4, algorithm=algorithm, seed=5, device=cpu_kernels)
    one.sweep(7)
    split = IsingSampler(model, replicas=4, algorithm=algorithm, seed=5, device=cpu_kernels)
    split.sweep(3)
    split.sweep(4)
    other = IsingSampler(model, replicas=4, algorithm=algorithm, seed=6, device=cpu_kernels)
    other.sweep(7)
    assert np.array_equal(one.get_state(), split.get_state())
    assert not np.array_equal(one.get_state(), other.get_state())
    # replicas are independent streams: no two replicas share a configuration
    s = one.get_state().reshape(4, -1)
    assert len({row.tobytes() for row in s}) == 4


@pytest.mark.parametrize("layout, L, counts", [("bytes", 8, (2, 9)),
                                                ("replica-bits", 8, (2, 33, 70)),
                                                ("row-bits", 64, (1, 3))])
def test_replica_does_not_depend_on_replica_count(cpu_kernels, layout, L, counts) -> None:
    """In a given layout, replica r's chain is the same whatever the number of replicas (in
    "replica-bits" whether its word is full or not, 32- or 64-bit); the automatic choice of
    layout depends on R, so a fixed layout is what makes runs of different R comparable."""
    model = IsingModel(L, 2.27)
    states = []
    for R in counts:
        sampler = IsingSampler(model, replicas=R, seed=3, device=cpu_kernels, layout=layout)
        sampler.sweep(5)
        states.append(sampler.get_state())
    for state in states[1:]:
        assert np.array_equal(states[0], state[:counts[0]])


def test_state_roundtrip_continues_the_chain(cpu_kernels, numpy_backend) -> None:
    model = IsingModel(10, 2.0)
    a = IsingSampler(model, replicas=2, seed=8, device=cpu_kernels)
    a.sweep(4)
    b = IsingSampler(model, replicas=2, seed=8, device=numpy_backend)
    b.set_state(a.get_state(), sweeps_done=a.sweeps_done)
    a.sweep(3)
    b.sweep(3)
    assert np.array_equal(a.get_state(), b.get_state())


def test_cold_start_and_zero_temperature_limit(cpu_kernels) -> None:
    s = IsingSampler(IsingModel(8, 0.05), replicas=2, start="cold", device=cpu_kernels)
    s.sweep(20)
    assert (s.get_state() == 1).all()  # flips cost dE = 8: accepted with p = e^-160 = 0


def test_thresholds() -> None:
    assert probability_threshold(1.0) == 2**32
    assert probability_threshold(0.0) == 0
    assert probability_threshold(0.5) == 2**31
    met = flip_thresholds("metropolis", 2.0, 1.0, 0.0)
    # s = +1 with 4 aligned neighbours (index 9): dE = 8, p = e^-4
    assert met[9] == probability_threshold(np.exp(-4.0))
    assert met[0] == met[9]  # s = -1 among -1s and s = +1 among +1s: the same dE = 8
    assert met[4] == met[5] == 2**32  # s = -1 among +1s and s = +1 among -1s: dE = -8
    hb = flip_thresholds("heatbath", 2.0, 1.0, 0.3)
    # heat-bath: flip probability 1 / (1 + exp(dE/T)), dE = 2 s (J nn + h)
    assert hb[7] == probability_threshold(1 / (1 + np.exp(2 * (0 + 0.3) / 2.0)))


@pytest.mark.parametrize("tile", CHECKERBOARD_TILES)
def test_every_checkerboard_tile_kernel(cpu_kernels, numpy_backend, tile, monkeypatch) -> None:
    """Each ising_checkerboard_<S>x<ROWS> kernel (the GPU's choice and the CPU's) gives the
    reference chain, including lattices whose rows are not a whole number of tiles."""
    seg, rows = tile
    monkeypatch.setattr(ising, "checkerboard_tile",
                        lambda L, gpu: (seg, rows if L % rows == 0 else 2))
    for L in (4, 6, 12, 24, 40, 72):
        a, b = _pair(IsingModel(L, 2.3, 1.0, 0.1), "metropolis", cpu_kernels, numpy_backend,
                     replicas=3, seed=12)
        a.sweep(3)
        b.sweep(3)
        assert np.array_equal(a.get_state(), b.get_state()), L
