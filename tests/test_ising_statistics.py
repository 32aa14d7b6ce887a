"""Samplers against exact results: every algorithm, on the kernels (emulated on the CPU) and
on the NumPy path. Errors come from independent replicas; bounds are stated in sigmas."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import chi2

from gpurg.models.ising import OBSERVABLES, IsingModel, IsingSampler
from gpurg.models.ising_exact import (
    T_C,
    boltzmann_probabilities,
    energy_and_specific_heat,
    exact_observables,
    state_index,
)
from gpurg.models.ising_rules import ALGORITHMS
from gpurg.stats import pooled_chi_square, summarize_ising

SIGMAS = 5.0  # every comparison: |estimate - exact| < 5 standard errors

# (L, T, J, h): T_c, an ordered and a disordered point, and a ferromagnet and two
# antiferromagnets in a field (there <m>, the one observable odd in h, is far from 0).
CASES = [(4, T_C, 1.0, 0.0), (6, T_C, 1.0, 0.0), (6, 1.8, 1.0, 0.0), (4, 3.5, 1.0, 0.0),
         (4, 2.0, -1.0, 0.3), (4, 2.5, 1.0, 0.1), (6, 3.0, -1.0, 0.5)]
KEYS = ("e", "m", "abs_m", "m2", "m4", "binder", "c", "chi")
# every algorithm in every layout it runs in (the bit-packed layouts only do local updates)
LAYOUTS = [(a, layout) for a in ALGORITHMS
           for layout in (("bytes",) if a == "swendsen-wang" else ("bytes", "bits"))]


def _sample(model, algorithm, device, replicas, sweeps, thermalize, seed, layout="auto"):
    sampler = IsingSampler(model, replicas=replicas, algorithm=algorithm, seed=seed,
                           device=device, layout=layout)
    rows = list(sampler.run(sweeps, thermalize=thermalize))
    return {k: np.array([r[k] for r in rows]) for k in OBSERVABLES}


def _assert_matches_exact(obs, model, exact, keys):
    """Every key within SIGMAS standard errors of its exact value; the message lists all."""
    summary = summarize_ising(obs, model.n_sites, model.T)
    z = {key: (summary[key].value - exact[key]) / summary[key].error for key in keys}
    bad = [f"{key}: {summary[key]} vs exact {exact[key]:.6f} ({z[key]:+.1f} sigma)"
           for key in keys if not abs(z[key]) < SIGMAS]
    assert not bad, f"L={model.L} T={model.T:.4f} J={model.J} h={model.h}: " + "; ".join(bad)


def _cases(algorithm):
    return [c for c in CASES if not (algorithm == "swendsen-wang" and c[3] != 0)]


@pytest.mark.parametrize("algorithm, layout", LAYOUTS)
def test_kernels_match_exact_small_tori(cpu_kernels, algorithm, layout) -> None:
    """Every observable, <m> included, within 5 sigma of the exact 4x4 / 6x6 value (density
    of states, any J and h). <m> at h != 0 for J > 0 and J < 0 catches a wrong sign of m
    (measured as -m: -195 sigma in the J < 0 case, while the former keys all passed) and of
    the field in the updates (h -> -h: m at -194 sigma, e only at +5.3 sigma)."""
    for i, (L, T, J, h) in enumerate(_cases(algorithm)):
        model = IsingModel(L, T, J, h)
        obs = _sample(model, algorithm, cpu_kernels, 512, 400, 200, seed=100 + i,
                      layout=layout)
        _assert_matches_exact(obs, model, exact_observables(L, T, J, h), KEYS)


@pytest.mark.parametrize("algorithm, layout", LAYOUTS)
def test_numpy_path_matches_exact_small_tori(numpy_backend, algorithm, layout) -> None:
    cases = _cases(algorithm)
    for i, (L, T, J, h) in enumerate(cases[::2] + [c for c in cases[1::2] if c[3] != 0]):
        model = IsingModel(L, T, J, h)
        obs = _sample(model, algorithm, numpy_backend, 128, 200, 100, seed=200 + i,
                      layout=layout)
        _assert_matches_exact(obs, model, exact_observables(L, T, J, h),
                              ("e", "m", "abs_m", "m2", "m4", "binder"))


@pytest.mark.parametrize("device", ["cpu", "numpy"])
def test_swendsen_wang_antiferromagnet_matches_exact(request, device) -> None:
    """Swendsen-Wang with J < 0 (bonds between anti-aligned neighbours) on the 4x4 and 6x6
    tori at h = 0, every observable within 5 sigma of the exact value. Catches clusters
    built as for J > 0 (the sign of J ignored: e = +1.76 against -1.76, > 1000 sigma)."""
    backend = request.getfixturevalue("cpu_kernels" if device == "cpu" else "numpy_backend")
    cases = [(4, 2.0, -1.0), (6, T_C, -1.0)] if device == "cpu" else [(6, 1.8, -1.0)]
    for i, (L, T, J) in enumerate(cases):
        model = IsingModel(L, T, J, 0.0)
        obs = _sample(model, "swendsen-wang", backend, 256, 300, 50, seed=300 + i)
        _assert_matches_exact(obs, model, exact_observables(L, T, J, 0.0), KEYS)


@pytest.mark.slow
def test_swendsen_wang_energy_and_specific_heat_at_tc_L16(cpu_kernels) -> None:
    model = IsingModel(16, T_C)
    obs = _sample(model, "swendsen-wang", cpu_kernels, 64, 1500, 200, seed=7)
    u, c = energy_and_specific_heat(1 / T_C, 16)  # Ferdinand-Fisher
    _assert_matches_exact(obs, model, {"e": u, "c": c}, ("e", "c"))


@pytest.mark.parametrize("algorithm, layout", LAYOUTS)
def test_stationary_distribution_is_boltzmann(cpu_kernels, algorithm, layout) -> None:
    """Detailed balance, checked whole: the states of 200,000 independent 4x4 chains against
    the exact Boltzmann weights of all 2^16 states (pooled chi-square, p > 1e-4)."""
    T, J, h = 2.6, 1.0, (0.0 if algorithm == "swendsen-wang" else 0.15)
    sampler = IsingSampler(IsingModel(4, T, J, h), replicas=200_000, algorithm=algorithm,
                           seed=31, device=cpu_kernels, layout=layout)
    sampler.sweep(60)
    counts = np.bincount(state_index(sampler.get_state()), minlength=2**16)
    expected = boltzmann_probabilities(4, T, J, h) * counts.sum()
    stat, dof = pooled_chi_square(counts, expected)
    p = chi2.sf(stat, dof)
    assert p > 1e-4, f"chi2 = {stat:.1f} for {dof} dof (p = {p:.2g})"


def test_chi2_detects_a_wrong_temperature(cpu_kernels) -> None:
    """The detailed-balance test has power: chains at T = 2.6 fail against weights at 2.75."""
    sampler = IsingSampler(IsingModel(4, 2.6), replicas=200_000, seed=31, device=cpu_kernels)
    sampler.sweep(60)
    counts = np.bincount(state_index(sampler.get_state()), minlength=2**16)
    stat, dof = pooled_chi_square(counts, boltzmann_probabilities(4, 2.75) * counts.sum())
    assert chi2.sf(stat, dof) < 1e-6
