"""The real kernels on a CUDA GPU against the NumPy path (skipped without a GPU).

Run on a GPU machine with ``pytest -m gpu`` (or ``benchmarks/gpu_check.sh``, which also runs
the benchmarks).
"""

from __future__ import annotations

import numpy as np
import pytest

from gpurg.backend import get_backend
from gpurg.backend.philox import philox4x32, philox_blocks
from gpurg.jobs.selftest import run_selftest
from gpurg.models.ising import IsingModel, IsingSampler
from gpurg.models.ising_exact import T_C
from gpurg.models.ising_rules import ALGORITHMS

pytestmark = pytest.mark.gpu


@pytest.fixture(scope="module")
def gpu():
    return get_backend("gpu")


def test_selftest_passes_on_gpu(gpu) -> None:
    failures = [f"{c.name}: {c.detail}" for c in run_selftest(gpu) if not c.passed]
    assert not failures


@pytest.mark.parametrize("lanes", [False, True])
def test_philox_on_gpu_equals_numpy(gpu, lanes) -> None:
    rng = np.random.default_rng(1)
    counters = rng.integers(0, 2**32, size=(1 << 16, 4), dtype=np.uint64).astype(np.uint32)
    want = philox4x32(tuple(counters.T), (123, 456))
    assert np.array_equal(philox_blocks(gpu, counters, (123, 456), lanes=lanes), want)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("layout", ["auto", "bytes"])
@pytest.mark.parametrize(("L", "T", "replicas"), [(6, T_C, 64), (34, 1.5, 8), (256, T_C, 4),
                                                  (1000, 4.0, 2), (1024, T_C, 2)])
def test_gpu_chain_equals_numpy(gpu, algorithm, layout, L, T, replicas) -> None:
    """auto: replica-bits at (6, 64) and (34, 8), row-bits at (256, 4) and (1024, 2), bytes
    at (1000, 2) and for Swendsen-Wang."""
    h = 0.0 if algorithm == "swendsen-wang" else 0.05
    model = IsingModel(L, T, 1.0, h)
    states = []
    for device in (gpu, "numpy"):
        sampler = IsingSampler(model, replicas=replicas, algorithm=algorithm, seed=77,
                               device=device, layout=layout)
        sampler.sweep(5)
        states.append(sampler.get_state())
    assert np.array_equal(*states)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("layout", ["auto", "bytes"])
def test_gpu_chain_equals_cpu_kernels_large(gpu, algorithm, layout) -> None:
    model = IsingModel(2048, T_C)
    states = []
    for device in (gpu, "cpu"):
        sampler = IsingSampler(model, replicas=2, algorithm=algorithm, seed=5, device=device,
                               layout=layout)
        sampler.sweep(4)
        states.append(sampler.get_state())
    assert np.array_equal(*states)


@pytest.mark.parametrize(("L", "replicas"), [(64, 256), (36, 70), (512, 96)])
def test_gpu_replica_bits_equal_cpu_kernels(gpu, L, replicas) -> None:
    """Replica-bits on the GPU (2 sites of 64-bit words per thread; many sweeps per launch
    for small lattices, a launch per half-sweep for large) against the host's 4-site kernels,
    with a measurement between the launches."""
    model = IsingModel(L, T_C, 1.0, 0.0)
    states, sums = [], []
    for device in (gpu, "cpu"):
        sampler = IsingSampler(model, replicas=replicas, algorithm="heatbath", seed=12,
                               device=device, layout="replica-bits")
        sampler.sweep(70)
        sums.append(sampler.measure())
        sampler.sweep(3)
        states.append(sampler.get_state())
    assert np.array_equal(*states)
    assert all(np.array_equal(sums[0][k], sums[1][k]) for k in sums[0])


def test_gpu_swendsen_wang_many_sweeps_low_temperature(gpu) -> None:
    """Percolating clusters stress the concurrent union-find; compare 30 sweeps exactly."""
    model = IsingModel(128, 1.2)
    states = []
    for device in (gpu, "cpu"):
        sampler = IsingSampler(model, replicas=16, algorithm="swendsen-wang", seed=9,
                               device=device)
        sampler.sweep(30)
        states.append(sampler.get_state())
    assert np.array_equal(*states)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_gpu_run_file_equals_numpy_run_file(gpu, algorithm, tmp_path) -> None:
    """The whole sampling run on the GPU (measurements, HDF5 file) equals the NumPy run."""
    from gpurg.io.hdf5 import read_run
    from gpurg.sampling import sample_ising

    runs = {}
    for device in (gpu, "numpy"):
        name = tmp_path / f"{getattr(device, 'name', device)}.h5"
        sample_ising(IsingModel(16, 2.3), replicas=4, algorithm=algorithm, seed=3, sweeps=20,
                     thermalize=5, every=2, device=device, output=name)
        runs[name.stem] = read_run(name)
    for key, values in runs["gpu"].observables.items():
        assert np.array_equal(values, runs["numpy"].observables[key]), key
    assert np.array_equal(runs["gpu"].configs(), runs["numpy"].configs())
