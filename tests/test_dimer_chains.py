"""Dimer worm chains: the compiled kernel (emulated on the CPU) against the NumPy twin, bit
for bit, and the properties a chain must have whatever the backend."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gpurg.backend import KernelFamily
from gpurg.errors import InputError
from gpurg.models.dimer import (
    _WORMS,
    STARTS,
    DimerModel,
    DimerSampler,
)
from gpurg.models.dimer_encodings import (
    columnar_state,
    parallel_plaquettes,
    staggered_state,
    validate_codes,
    winding_numbers,
)
from gpurg.models.dimer_numpy import worm_updates
from gpurg.models.dimer_rules import exit_thresholds

# the worm kernels built with the code paths a GPU compiles (see kernels/dimer.cu)
_DEVICE_PATHS = KernelFamily(_WORMS.source, _WORMS.signatures, long_threads=True,
                             host_defines=("GPURG_EMULATE_DEVICE",))

CASES = [  # (L, T, V, rule): free, aligning, repulsive, odd multiples of 2, heat-bath
    (4, math.inf, -1.0, "minimal-bounce"),
    (6, 0.8, -1.0, "minimal-bounce"),
    (8, 0.5, 1.0, "heat-bath"),
    (10, 1.3, -1.0, "minimal-bounce"),
    (6, 2.0, 0.7, "heat-bath"),
]


def _chain(device, L, T, V, rule, *, start="random", replicas=7, seed=11, sweeps=(2, 1, 3)):
    sampler = DimerSampler(DimerModel(L, T, V), replicas=replicas, start=start, seed=seed,
                           device=device, rule=rule)
    for n in sweeps:
        sampler.sweep(n)
    return sampler


@pytest.mark.parametrize(("L", "T", "V", "rule"), CASES)
def test_kernel_equals_numpy_bit_for_bit(cpu_kernels, L, T, V, rule) -> None:
    ref = _chain("numpy", L, T, V, rule)
    out = _chain("cpu", L, T, V, rule)
    assert ref.worms_per_sweep == out.worms_per_sweep
    np.testing.assert_array_equal(out.get_state(), ref.get_state())
    np.testing.assert_array_equal(out.worms, ref.worms)
    np.testing.assert_array_equal(out.steps, ref.steps)
    validate_codes(out.get_state())
    # the sweeps moved the chains
    assert not np.array_equal(out.get_state(), _chain("cpu", L, T, V, rule, sweeps=()).codes)


@pytest.mark.parametrize("start", STARTS)
def test_starts_agree_across_backends(cpu_kernels, start) -> None:
    ref = _chain("numpy", 8, 1.0, -1.0, "minimal-bounce", start=start, sweeps=(1,))
    out = _chain("cpu", 8, 1.0, -1.0, "minimal-bounce", start=start, sweeps=(1,))
    np.testing.assert_array_equal(out.get_state(), ref.get_state())


def test_reference_starts(cpu_kernels) -> None:
    model = DimerModel(8, 1.0, -1.0)
    col = DimerSampler(model, replicas=2, start="columnar", worms_per_sweep=1, device="cpu")
    stag = DimerSampler(model, replicas=2, start="staggered", worms_per_sweep=1, device="cpu")
    np.testing.assert_array_equal(col.get_state()[1], columnar_state(8))
    np.testing.assert_array_equal(stag.get_state()[0], staggered_state(8))
    assert (parallel_plaquettes(stag.get_state()) == 0).all()
    rand = DimerSampler(model, replicas=64, start="random", worms_per_sweep=1, device="cpu")
    codes = validate_codes(rand.get_state())
    # random starts differ between replicas and span several winding sectors
    assert len({c.tobytes() for c in codes}) == 64
    assert len({tuple(w) for w in winding_numbers(codes)}) > 1


def test_chain_does_not_depend_on_grouping_or_replica_count(cpu_kernels) -> None:
    a = _chain("cpu", 8, 0.9, -1.0, "minimal-bounce", sweeps=(6,), replicas=5)
    b = _chain("cpu", 8, 0.9, -1.0, "minimal-bounce", sweeps=(1, 2, 3), replicas=5)
    np.testing.assert_array_equal(a.get_state(), b.get_state())
    # with the worms per sweep fixed, replica r's chain is the same in a larger batch
    c = DimerSampler(DimerModel(8, 0.9, -1.0), replicas=9, start="random", seed=11,
                     worms_per_sweep=a.worms_per_sweep, device="cpu")
    d = DimerSampler(DimerModel(8, 0.9, -1.0), replicas=5, start="random", seed=11,
                     worms_per_sweep=a.worms_per_sweep, device="cpu")
    c.sweep(4)
    d.sweep(4)
    np.testing.assert_array_equal(c.get_state()[:5], d.get_state())


def test_seed_changes_the_chain(cpu_kernels) -> None:
    a = _chain("cpu", 8, math.inf, -1.0, "minimal-bounce", seed=1)
    b = _chain("cpu", 8, math.inf, -1.0, "minimal-bounce", seed=2)
    assert not np.array_equal(a.get_state(), b.get_state())


@pytest.mark.parametrize("L", [6, 12])
def test_every_worm_kernel_equals_numpy(cpu_kernels, L) -> None:
    """The GPU's one-worm-per-thread kernel and the host's four-worm one, each on its general
    table path and (at T = inf) on the path that skips the neighbours, against NumPy; the GPU
    kernel also with its GPU-only code paths (one Philox block at a time, selects)."""
    R, n_worms, key = 9, 40, (5, 6)  # R not a multiple of 4: the last thread has idle lanes
    start = DimerSampler(DimerModel(L), replicas=R, start="random", seed=3,
                         worms_per_sweep=1, device="cpu").get_state()
    for table, frees in ((exit_thresholds(-1.0, 0.9), (0,)),
                         (exit_thresholds(0.0, math.inf), (0, 1))):
        ref = (start.copy(), np.zeros(R, np.uint32), np.zeros(R, np.uint64))
        worm_updates(*ref, table, n_worms, 2**64 - 1, 4, key)
        for family, name, per_thread in ((_WORMS, "dimer_worms", 1),
                                         (_WORMS, "dimer_worms_x4", 4),
                                         (_DEVICE_PATHS, "dimer_worms", 1)):
            for free in frees:
                out = (start.copy(), np.zeros(R, np.uint32), np.zeros(R, np.uint64))
                family.launch(cpu_kernels, name, -(-R // per_thread), *out, table, L, R,
                              n_worms, 2**64 - 1, free, 4, *key)
                for a, b in zip(out, ref, strict=True):
                    np.testing.assert_array_equal(
                        a, b, err_msg=f"{name} free={free} {family.host_defines}")


def test_state_round_trip_continues_the_chain(cpu_kernels) -> None:
    a = _chain("cpu", 6, 0.7, -1.0, "minimal-bounce", sweeps=(5,))
    b = _chain("cpu", 6, 0.7, -1.0, "minimal-bounce", sweeps=(2,))
    c = DimerSampler(DimerModel(6, 0.7, -1.0), replicas=7, seed=11,
                     worms_per_sweep=b.worms_per_sweep, device="numpy")
    c.set_state(b.get_state(), 2, worms=b.worms, steps=b.steps)
    c.sweep(3)
    np.testing.assert_array_equal(c.get_state(), a.get_state())
    np.testing.assert_array_equal(c.worms, a.worms)


def test_measure_counts_worms_since_the_previous_measurement(cpu_kernels) -> None:
    s = DimerSampler(DimerModel(8), replicas=4, seed=2, worms_per_sweep=3, device="cpu")
    before = s.steps.copy()
    obs = list(s.run(4, every=2))
    assert len(obs) == 2
    for o in obs:
        np.testing.assert_array_equal(o["worms"], 6.0)
        assert (o["worm_steps"] >= 6).all()
        assert o["corr_long"].shape == o["corr_trans"].shape == (4, 5)
    np.testing.assert_array_equal(sum(o["worm_steps"] for o in obs), s.steps - before)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"L": 5}, "even"), ({"L": 2}, "even"), ({"L": 4, "T": 0.0}, "T must be a number > 0"),
    ({"L": 4, "T": -1.0}, "T must be a number > 0"),
    ({"L": 4, "T": math.nan}, "T must be a number > 0"),
    ({"L": 4, "V": math.inf}, "finite"), ({"L": 4.0}, "integer"),
])
def test_bad_models(kwargs, match) -> None:
    with pytest.raises(InputError, match=match):
        DimerModel(**kwargs)


@pytest.mark.parametrize(("kwargs", "match"), [
    # messages name the parameter, as gpurg.validation's constraints word them
    ({"start": "hot"}, "unknown start"), ({"rule": "metropolis"}, "unknown rule"),
    ({"replicas": 0}, "replicas"), ({"worms_per_sweep": 0}, "worms_per_sweep must be"),
    ({"seed": -1}, "seed"),
])
def test_bad_sampler_arguments(kwargs, match) -> None:
    with pytest.raises(InputError, match=match):
        DimerSampler(DimerModel(4), device="numpy", **kwargs)

