"""Philox4x32-10: published known answers, and the kernels' copy equals the NumPy one."""

from __future__ import annotations

import numpy as np
import pytest

from gpurg.backend.philox import independent_seed, philox4x32, philox_blocks, seed_to_key
from gpurg.errors import InputError
from gpurg.jobs.selftest import PHILOX_KNOWN_ANSWERS


@pytest.mark.parametrize(("ctr", "key", "want"), PHILOX_KNOWN_ANSWERS)
def test_numpy_known_answers(ctr, key, want) -> None:
    assert tuple(int(v) for v in philox4x32(ctr, key)) == want


@pytest.mark.parametrize("lanes", [False, True])
@pytest.mark.parametrize(("ctr", "key", "want"), PHILOX_KNOWN_ANSWERS)
def test_kernel_known_answers(cpu_kernels, ctr, key, want, lanes) -> None:
    out = philox_blocks(cpu_kernels, np.array([ctr] * 8, dtype=np.uint32), key, lanes=lanes)
    assert (out == np.array(want, dtype=np.uint32)).all()


@pytest.mark.parametrize("lanes", [False, True])
def test_kernel_equals_numpy_on_random_counters(cpu_kernels, lanes) -> None:
    rng = np.random.default_rng(5)
    counters = rng.integers(0, 2**32, size=(4096, 4), dtype=np.uint64).astype(np.uint32)
    key = (int(rng.integers(2**32)), int(rng.integers(2**32)))
    want = philox4x32(tuple(counters.T), key)
    assert np.array_equal(philox_blocks(cpu_kernels, counters, key, lanes=lanes), want)


def test_outputs_are_uniform() -> None:
    words = philox4x32((np.arange(1 << 16), 0, 0, 0), (1, 2)).ravel()
    counts = np.bincount(words >> 28, minlength=16)  # 16 bins of the top 4 bits
    expected = words.size / 16
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < 50  # 15 degrees of freedom: P(chi2 > 50) ~ 1e-5


def test_seed_to_key() -> None:
    assert seed_to_key(0) == (0, 0)
    assert seed_to_key(2**64 - 1) == (2**32 - 1, 2**32 - 1)
    assert seed_to_key(0x1234_5678_9ABC_DEF0) == (0x9ABC_DEF0, 0x1234_5678)
    for bad in (-1, 2**64):
        with pytest.raises(InputError, match="seed"):
            seed_to_key(bad)


def test_independent_seeds_of_neighbouring_studies_share_no_run() -> None:
    """Runs of a study are seeded by independent_seed(seed, index): neighbouring base seeds
    share no run (``seed + index`` gave study s + 1 all but one of study s's runs). The
    restarts of every MI estimator are seeded that way:
    tests/test_rsmi_training.py::test_runs_with_seeds_0_and_1_share_no_restart."""
    seeds = {(s, i): independent_seed(s, i) for s in range(4) for i in range(4)}
    assert len(set(seeds.values())) == len(seeds)
    assert all(0 <= v < 2**64 for v in seeds.values())
    assert independent_seed(3, 1) == independent_seed(3, 1)
