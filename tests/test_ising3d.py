"""The simple-cubic Ising sampler: the kernels (run on the CPU through the emulation layer)
and the NumPy path produce the same chains bit for bit, on cubes and on boxes. What holds in
every dimension (a chain is a function of its seed, replicas do not depend on their number,
state round trips, cold starts) is tested over ISING_LATTICES in tests/test_ising_chains.py."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from gpurg.backend.philox import STREAM_HOT_START, philox4x32, seed_to_key
from gpurg.errors import InputError
from gpurg.models import ising3d
from gpurg.models.base import model_from_attrs, sampler_class
from gpurg.models.ising3d import (
    CHECKERBOARD_TILES,
    UPDATES,
    Ising3DModel,
    Ising3DSampler,
    checkerboard_sweeps,
    hot_start,
)
from gpurg.models.ising_rules import LOCAL_ALGORITHMS, flip_thresholds, probability_threshold

SIZES = (2, 4, 6, 8, 10, 16)


def _pair(model, algorithm, cpu, numpy, **kw):
    return [Ising3DSampler(model, algorithm=algorithm, device=b, **kw) for b in (cpu, numpy)]


def _assert_same_chain(a, b, sweeps=3) -> None:
    assert np.array_equal(a.get_state(), b.get_state())
    for _ in range(sweeps):
        a.sweep(2)
        b.sweep(2)
        assert np.array_equal(a.get_state(), b.get_state())
    for key, value in a.measure().items():
        assert np.array_equal(value, b.measure()[key]), key


@pytest.mark.parametrize("L", SIZES)
@pytest.mark.parametrize("algorithm", UPDATES)
def test_identical_chains(cpu_kernels, numpy_backend, algorithm, L) -> None:
    """Every algorithm of the sampler, Swendsen-Wang (another module's update) included."""
    h = 0.0 if algorithm == "swendsen-wang" else 0.15
    a, b = _pair(Ising3DModel(L, 4.5, 1.0, h), algorithm, cpu_kernels, numpy_backend,
                 replicas=3, seed=99)
    _assert_same_chain(a, b)


@pytest.mark.parametrize("algorithm", LOCAL_ALGORITHMS)
@pytest.mark.parametrize(("L", "J", "T", "h", "start"), [
    (2, -1.0, 3.0, 0.4, "hot"), (6, -1.0, 3.0, 0.0, "hot"), (4, 1.0, 2.0, -0.3, "cold"),
    (10, 0.7, 9.0, 0.2, "cold")])
def test_identical_chains_other_couplings(cpu_kernels, numpy_backend, algorithm, L, J, T, h,
                                          start) -> None:
    a, b = _pair(Ising3DModel(L, T, J, h), algorithm, cpu_kernels, numpy_backend, replicas=5,
                 seed=2**64 - 1, start=start)
    _assert_same_chain(a, b, sweeps=2)


@pytest.mark.parametrize("shape", [(4, 2, 2), (2, 2, 4), (2, 4, 6), (6, 2, 10), (4, 6, 16),
                                   (2, 8, 24)])
def test_boxes_identical_on_both_paths(cpu_kernels, numpy_backend, shape) -> None:
    """The box-level functions take any even box (rows of fewer than 8 sites, rows that end
    inside a group, planes of 2 rows) and give the same spins on both paths."""
    key = seed_to_key(17)
    thresholds = flip_thresholds("heatbath", 3.0, 1.0, 0.25, neighbours=6)
    states = []
    for backend in (cpu_kernels, numpy_backend):
        spins = hot_start(backend, shape, 4, key)
        assert spins.shape == (4, *shape) and spins.dtype == np.int8
        states.append(backend.asnumpy(spins).copy())
        checkerboard_sweeps(backend, spins, backend.xp.asarray(thresholds), 5, 3, key)
        states.append(backend.asnumpy(spins))
    assert np.array_equal(states[0], states[2])
    assert np.array_equal(states[1], states[3])
    assert not np.array_equal(states[0], states[1])


def test_hot_start_follows_the_documented_words(numpy_backend) -> None:
    """Site (z, y, x) of replica r is +1 iff bit x mod 2 of word (x mod 8) // 2 of the
    Philox block (q G + x // 8, r, 0, HOT_START), q = z Ly + y, G = ceil(Lx / 8)."""
    shape, key = (2, 4, 10), seed_to_key(5)
    spins = hot_start(numpy_backend, shape, 2, key)
    G = 2
    for r, z, y, x in itertools.product(range(2), range(2), range(4), range(10)):
        q = z * 4 + y
        word = philox4x32((q * G + x // 8, r, 0, STREAM_HOT_START), key)[(x % 8) // 2]
        assert spins[r, z, y, x] == (1 if (int(word) >> (x % 2)) & 1 else -1)


@pytest.mark.parametrize("tile", CHECKERBOARD_TILES)
def test_every_checkerboard_tile_kernel(cpu_kernels, numpy_backend, tile, monkeypatch) -> None:
    """Each ising3d_checkerboard_<S>x<ROWS> kernel gives the reference chain, including rows
    that are not a whole number of tiles."""
    seg, rows = tile
    monkeypatch.setattr(ising3d, "checkerboard_tile",
                        lambda Ly, Lx, gpu: (seg, rows if Ly % rows == 0 else 2))
    for L in (2, 6, 8, 12, 40):
        replicas = 1 if L == 40 else 2
        a, b = _pair(Ising3DModel(L, 4.0, 1.0, 0.1), "metropolis", cpu_kernels,
                     numpy_backend, replicas=replicas, seed=12)
        a.sweep(2)
        b.sweep(2)
        assert np.array_equal(a.get_state(), b.get_state()), L


def test_thresholds_of_six_neighbours() -> None:
    met = flip_thresholds("metropolis", 4.0, 1.0, 0.0, neighbours=6)
    assert met.shape == (14,)
    # s = +1 with 6 aligned neighbours (index 13): dE = 12, p = e^-3
    assert met[13] == met[0] == probability_threshold(np.exp(-3.0))
    assert met[6] == met[7] == 2**32  # s = -1 among +1s and s = +1 among -1s: dE = -12
    hb = flip_thresholds("heatbath", 4.0, 1.0, 0.3, neighbours=6)
    # s = +1 (index 7 + n_plus) with n_plus = 4: nn = 2, dE = 2 (2 + 0.3)
    assert hb[11] == probability_threshold(1 / (1 + np.exp(2 * 2.3 / 4.0)))
    assert np.array_equal(flip_thresholds("heatbath", 2.0, 1.0, 0.1),
                          flip_thresholds("heatbath", 2.0, 1.0, 0.1, neighbours=4))


def test_model_checks_and_registry() -> None:
    model = Ising3DModel(4, 4.5, -1.0, 0.2)
    assert model.shape == (4, 4, 4) and model.n_sites == 64 and model.dimension == 3
    assert model_from_attrs(model.attrs()) == model
    assert sampler_class(model) is Ising3DSampler
    assert Ising3DModel.is_symmetric({"h": 0.0}) and not model.symmetric
    for bad in ({"L": 3}, {"L": 0}, {"L": 1292}, {"T": 0.0}, {"J": 0.0}):
        with pytest.raises(InputError):
            Ising3DModel(**{"L": 4, "T": 4.5, **bad})
    with pytest.raises(InputError, match="replicas"):
        Ising3DSampler(Ising3DModel(1290, 4.5), replicas=2, device="numpy")
    with pytest.raises(InputError, match="h = 0"):
        Ising3DSampler(model, algorithm="swendsen-wang", device="numpy")
    with pytest.raises(InputError, match="layout"):
        Ising3DSampler(model, layout="row-bits", device="numpy")


def test_run_file_attributes_rebuild_the_sampler(numpy_backend) -> None:
    sampler = Ising3DSampler(Ising3DModel(4, 4.5), algorithm="heatbath", device=numpy_backend)
    attrs = {**sampler.model.attrs(), **sampler.attrs()}
    assert attrs["algorithm"] == "heatbath" and attrs["spin_layout"] == "bytes"
    assert Ising3DSampler.options_from_attrs(attrs, {}) == {"algorithm": "heatbath",
                                                            "layout": "bytes"}
