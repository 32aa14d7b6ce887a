"""The dimer worm kernel on a CUDA GPU against the NumPy path and the host kernels, bit for
bit (skipped without a GPU; ``benchmarks/gpu_check.sh`` runs it with the benchmarks)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gpurg.backend import get_backend
from gpurg.models.dimer import DimerModel, DimerSampler
from gpurg.models.dimer_exact import ExactDimer, enumerate_coverings

pytestmark = pytest.mark.gpu


@pytest.fixture(scope="module")
def gpu():
    return get_backend("gpu")


def _state(device, L, T, V, rule, start, replicas, sweeps, seed=21):
    sampler = DimerSampler(DimerModel(L, T, V), replicas=replicas, start=start, seed=seed,
                           rule=rule, device=device)
    sampler.sweep(sweeps)
    return (sampler.get_state(), sampler.backend.asnumpy(sampler.worms),
            sampler.backend.asnumpy(sampler.steps), sampler.worms_per_sweep)


@pytest.mark.parametrize(("L", "T", "V", "rule", "start"), [
    (4, math.inf, -1.0, "minimal-bounce", "random"),
    (6, 0.8, -1.0, "minimal-bounce", "columnar"),
    (8, 0.6, 1.0, "heat-bath", "staggered"),
    (10, 1.2, -0.5, "minimal-bounce", "random"),
])
def test_gpu_worms_equal_numpy(gpu, L, T, V, rule, start) -> None:
    got = _state(gpu, L, T, V, rule, start, replicas=37, sweeps=4)
    want = _state("numpy", L, T, V, rule, start, replicas=37, sweeps=4)
    for a, b in zip(got, want, strict=True):
        assert np.array_equal(a, b)


@pytest.mark.parametrize(("L", "T"), [(64, math.inf), (64, 0.65), (256, math.inf)])
def test_gpu_worms_equal_cpu_kernels(gpu, L, T) -> None:
    got = _state(gpu, L, T, -1.0, "minimal-bounce", "random", replicas=300, sweeps=3)
    want = _state("cpu", L, T, -1.0, "minimal-bounce", "random", replicas=300, sweeps=3)
    for a, b in zip(got, want, strict=True):
        assert np.array_equal(a, b)


def test_gpu_samples_the_4x4_boltzmann_weights(gpu) -> None:
    from scipy.stats import chi2

    coverings = enumerate_coverings(4)
    codes = _state(gpu, 4, 0.8, -1.0, "minimal-bounce", "random", replicas=100_000,
                   sweeps=60)[0]
    index = {c.tobytes(): i for i, c in enumerate(coverings)}
    counts = np.bincount([index[c.tobytes()] for c in codes], minlength=len(coverings))
    expected = counts.sum() * ExactDimer(coverings).probabilities(-1.0, 0.8)
    keep = expected >= 5
    stat = ((counts[keep] - expected[keep]) ** 2 / expected[keep]).sum()
    assert chi2.sf(stat, keep.sum() - 1) > 1e-6


def test_gpu_dimer_run_file_equals_numpy(gpu, tmp_path) -> None:
    from gpurg.io.hdf5 import read_run
    from gpurg.sampling import sample_dimer

    runs = {}
    for device in (gpu, "numpy"):
        name = tmp_path / f"{getattr(device, 'name', device)}.h5"
        sample_dimer(DimerModel(8, 1.0, -1.0), replicas=4, seed=3, sweeps=20, thermalize=5,
                     every=2, device=device, output=name, noise="correlated")
        runs[name.stem] = read_run(name)
    for key, values in runs["gpu"].observables.items():
        assert np.array_equal(values, runs["numpy"].observables[key]), key
    assert np.array_equal(runs["gpu"].configs(), runs["numpy"].configs())
    assert np.array_equal(runs["gpu"].array("images"), runs["numpy"].array("images"))
