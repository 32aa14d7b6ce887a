"""Philox4x32-10: published known answers, and the kernels' copy equals the NumPy one."""

from __future__ import annotations

from types import SimpleNamespace

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


def test_independent_seeds_of_neighbouring_studies_share_no_run(monkeypatch) -> None:
    """Runs of a study are seeded by independent_seed(seed, index): neighbouring base seeds
    share no run (``seed + index`` gave study s + 1 all but one of study s's runs), and the
    RBM estimator's restarts are seeded that way. Catches ``seed + restart`` in train_rule."""
    seeds = {(s, i): independent_seed(s, i) for s in range(4) for i in range(4)}
    assert len(set(seeds.values())) == len(seeds)
    assert all(0 <= v < 2**64 for v in seeds.values())
    assert independent_seed(3, 1) == independent_seed(3, 1)

    import gpurg.rsmi.rbm_estimator as rbm_estimator
    from gpurg.rsmi.rule import CoarseGrainingRule
    from gpurg.rsmi.training import train_rule

    used: list[int] = []

    def fake_fit(V, E, n_hidden, *, seed, **kwargs):
        used.append(seed)
        return SimpleNamespace(rule=CoarseGrainingRule(np.ones((1, 4)), np.zeros(1)), mi=0.1,
                               mi_err=0.01, history=np.zeros(1))

    monkeypatch.setattr(rbm_estimator, "train_rule_rbm", fake_fit)
    V = np.ones((256, 4))
    for base in (0, 1):
        train_rule(V, V, 1, estimator="rbm", restarts=3, seed=base)
    assert len(set(used)) == 6, used
