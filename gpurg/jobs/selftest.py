"""Checks that a backend computes what gpurg promises, runnable on any machine.

``gpurg selftest --device gpu`` runs them on a GPU: the device's Philox against the published
known answers, Ising (2D and 3D) and dimer chains identical bit for bit to the NumPy
reference, and short
statistical checks against the exact 4x4 Ising torus and the exact 6x6 dimer torus.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from gpurg.backend import Backend, get_backend
from gpurg.backend.philox import philox_blocks
from gpurg.models import ising3d
from gpurg.models.dimer import DimerModel, DimerSampler
from gpurg.models.dimer_exact import exact_reference as dimer_reference
from gpurg.models.ising import IsingModel, IsingSampler
from gpurg.models.ising_exact import T_C, energy_and_specific_heat
from gpurg.models.ising_rules import ALGORITHMS

# Random123's known-answer vectors for Philox4x32-10: (counter, key, output).
PHILOX_KNOWN_ANSWERS = (
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF, 0xFFFFFFFF),
     (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
)


@dataclass(frozen=True)
class Check:
    """Outcome of one self-test check."""

    name: str
    passed: bool
    detail: str


def run_selftest(backend: Backend | str = "auto") -> Iterator[Check]:
    """Yield the checks one by one (each takes well under a second on a GPU)."""
    backend = get_backend(backend)
    yield check_philox(backend)
    for algorithm in ALGORITHMS:
        yield check_identical_chain(backend, algorithm)
    for algorithm in ALGORITHMS:
        yield check_exact_energy(backend, algorithm)
    yield check_identical_worms(backend)
    yield check_dimer_energy(backend)


def check_philox(backend: Backend) -> Check:
    """The backend's Philox reproduces Random123's known answers (scalar and lockstep paths)."""
    bad = []
    for ctr, key, want in PHILOX_KNOWN_ANSWERS:
        counters = np.array([ctr] * 4, dtype=np.uint32)
        for lanes in (False, True):
            got = philox_blocks(backend, counters, key, lanes=lanes)
            if not np.array_equal(got, np.array([want] * 4, dtype=np.uint32)):
                bad.append(f"{ctr[0]:#x}{' (lanes)' if lanes else ''}")
    return Check("Philox4x32-10 known answers", not bad,
                 "3 vectors × 2 paths" if not bad else "wrong for " + ", ".join(bad))


def check_identical_chain(backend: Backend, algorithm: str) -> Check:
    """Chains on ``backend`` equal the NumPy reference spin for spin, on several square and
    cubic lattices (3D: L = 2, with its doubled neighbour pairs, 6 and 16), in every spin
    layout the algorithm and L allow."""
    reference = get_backend("numpy")
    mismatches, layouts = [], set()
    lattices = [(IsingModel, IsingSampler, L, 2.4, J, h) for L, J, h in (
        (6, 1.0, 0.2), (16, -1.0, 0.0), (40, 1.0, -0.1), (64, 1.0, 0.0))]
    lattices += [(ising3d.Ising3DModel, ising3d.Ising3DSampler, L, 4.5, J, h)
                 for L, J, h in ((2, 1.0, 0.2), (6, -1.0, 0.0), (16, 1.0, -0.1))]
    for kind, sampler_type, L, T, J, h in lattices:
        if algorithm == "swendsen-wang":
            h = 0.0
        model = kind(L, T, J, h)
        for layout in sampler_type.layouts_for(L, 3, algorithm):
            layouts.add(layout)
            states = []
            for b in (backend, reference):
                sampler = sampler_type(model, replicas=3, algorithm=algorithm, seed=2024,
                                       device=b, layout=layout)
                sampler.sweep(7)
                states.append(sampler.get_state())
            if not np.array_equal(*states):
                mismatches.append(f"L={L}{' (3D)' if model.dimension == 3 else ''} ({layout})")
    detail = (f"L = 6, 16, 40, 64; 3D L = 2, 6, 16; 7 sweeps × 3 replicas, "
              f"{', '.join(sorted(layouts))}"
              if not mismatches else "differs at " + ", ".join(mismatches))
    return Check(f"{algorithm}: identical to NumPy path", not mismatches, detail)


def check_exact_energy(backend: Backend, algorithm: str, sigmas: float = 5.0) -> Check:
    """Mean energy of the 4x4 torus at T_c within ``sigmas`` standard errors of the exact value.

    The error comes from 2048 independent replicas, each averaged over 200 sweeps.
    """
    model = IsingModel(4, T_C)
    sampler = IsingSampler(model, replicas=2048, algorithm=algorithm, seed=11, device=backend)
    sampler.sweep(100)
    per_replica = np.mean([m["e"] for m in sampler.run(200)], axis=0)
    exact, _ = energy_and_specific_heat(1.0 / T_C, 4)
    mean = per_replica.mean()
    err = per_replica.std(ddof=1) / np.sqrt(per_replica.size)
    z = (mean - exact) / err
    return Check(f"{algorithm}: 4x4 energy at T_c", abs(z) < sigmas,
                 f"{mean:.5f} ± {err:.5f} vs exact {exact:.6f} ({z:+.1f}σ, bound {sigmas}σ)")


def check_identical_worms(backend: Backend) -> Check:
    """Dimer worm chains on ``backend`` equal the NumPy reference, free and interacting."""
    mismatches = []
    for L, T, V, rule in ((4, float("inf"), -1.0, "minimal-bounce"), (6, 0.8, -1.0,
                          "minimal-bounce"), (10, 0.6, 1.0, "heat-bath")):
        states = []
        for b in (backend, get_backend("numpy")):
            sampler = DimerSampler(DimerModel(L, T, V), replicas=5, start="random", seed=2024,
                                   rule=rule, device=b)
            sampler.sweep(3)
            states.append(sampler.get_state())
        if not np.array_equal(*states):
            mismatches.append(f"L={L}")
    return Check("dimer worms: identical to NumPy path", not mismatches,
                 "L = 4, 6, 10, 3 sweeps × 5 replicas" if not mismatches else
                 "differs at " + ", ".join(mismatches))


def check_dimer_energy(backend: Backend, sigmas: float = 5.0) -> Check:
    """Density of parallel plaquettes of the 6x6 dimer torus (V = -1, T = 1) within
    ``sigmas`` standard errors of its enumeration over all 90,176 coverings."""
    sampler = DimerSampler(DimerModel(6, 1.0, -1.0), replicas=512, start="random", seed=11,
                           device=backend)
    sampler.thermalize(20)
    per_replica = np.mean([m["n_par"] for m in sampler.run(100)], axis=0)
    exact = dimer_reference(6, -1.0, 1.0)["n_par"]
    mean = per_replica.mean()
    err = per_replica.std(ddof=1) / np.sqrt(per_replica.size)
    z = (mean - exact) / err
    return Check("dimer worms: 6x6 parallel plaquettes", abs(z) < sigmas,
                 f"{mean:.5f} ± {err:.5f} vs exact {exact:.6f} ({z:+.1f}σ, bound {sigmas}σ)")
