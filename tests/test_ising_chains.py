"""The kernels (run on the CPU through the emulation layer) and the NumPy path produce the
same chains bit for bit, and a chain depends only on its parameters and seed (on the square
lattice; the tests that hold in every dimension run over ISING_LATTICES)."""

from __future__ import annotations

import numpy as np
import pytest

from gpurg.errors import InputError
from gpurg.models import ising
from gpurg.models.ising import CHECKERBOARD_TILES, IsingModel, IsingSampler
from gpurg.models.ising_lattices import ISING_LATTICES
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


# a small lattice and a temperature near T_c of each dimension (ISING_LATTICES)
NEAR_TC = {2: (16, 2.27), 3: (8, 4.5)}


@pytest.mark.parametrize("dim", sorted(ISING_LATTICES))
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_chain_is_a_function_of_the_seed(cpu_kernels, dim, algorithm) -> None:
    lattice, (L, T) = ISING_LATTICES[dim], NEAR_TC[dim]

    def chain(seed: int, *sweeps: int) -> np.ndarray:
        sampler = lattice.sampler(lattice.model(L, T), replicas=4, algorithm=algorithm,
                                  seed=seed, device=cpu_kernels)
        for n in sweeps:
            sampler.sweep(n)
        return sampler.get_state()

    one = chain(5, 7)
    assert np.array_equal(one, chain(5, 3, 4))
    assert not np.array_equal(one, chain(6, 7))
    # replicas are independent streams: no two replicas share a configuration
    assert len({row.tobytes() for row in one.reshape(4, -1)}) == 4


@pytest.mark.parametrize("dim, layout, L, counts", [(2, "bytes", 8, (2, 9)),
                                                     (2, "replica-bits", 8, (2, 33, 70)),
                                                     (2, "row-bits", 64, (1, 3)),
                                                     (3, "bytes", 6, (2, 9)),
                                                     (3, "replica-bits", 6, (2, 33, 70))])
def test_replica_does_not_depend_on_replica_count(cpu_kernels, dim, layout, L, counts) -> None:
    """In a given layout, replica r's chain is the same whatever the number of replicas (in
    "replica-bits" whether its word is full or not, 32- or 64-bit); the automatic choice of
    layout depends on R, so a fixed layout is what makes runs of different R comparable."""
    lattice = ISING_LATTICES[dim]
    states = []
    for R in counts:
        sampler = lattice.sampler(lattice.model(L, NEAR_TC[dim][1]), replicas=R, seed=3,
                                  device=cpu_kernels, layout=layout)
        sampler.sweep(5)
        states.append(sampler.get_state())
    for state in states[1:]:
        assert np.array_equal(states[0], state[:counts[0]])


@pytest.mark.parametrize("dim, L, T, h", [(2, 10, 2.0, 0.0), (3, 6, 4.0, 0.1)])
def test_state_roundtrip_continues_the_chain(cpu_kernels, numpy_backend, dim, L, T,
                                             h) -> None:
    lattice = ISING_LATTICES[dim]
    model = lattice.model(L, T, 1.0, h)
    a = lattice.sampler(model, replicas=2, seed=8, device=cpu_kernels)
    a.sweep(4)
    b = lattice.sampler(model, replicas=2, seed=8, device=numpy_backend)
    b.set_state(a.get_state(), sweeps_done=a.sweeps_done)
    a.sweep(3)
    b.sweep(3)
    assert np.array_equal(a.get_state(), b.get_state())
    with pytest.raises(InputError, match="shape"):  # a lattice of one dimension less
        b.set_state(np.ones((2, *model.shape[1:]), np.int8))


@pytest.mark.parametrize("dim", sorted(ISING_LATTICES))
def test_cold_start_and_zero_temperature_limit(cpu_kernels, dim) -> None:
    lattice = ISING_LATTICES[dim]
    s = lattice.sampler(lattice.model(8, 0.05), replicas=2, start="cold", device=cpu_kernels)
    s.sweep(10)
    # a flip costs dE = 4d: accepted with p = e^-(4d / 0.05) = 0
    assert (s.get_state() == 1).all()
    assert np.array_equal(s.measure()["e"], [-dim, -dim])  # d bonds per site


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
