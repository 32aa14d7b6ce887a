"""The coupling flow on the simple cubic lattice: local fields of the 3D operators as energy
differences, the pseudo-likelihood recovering the coupling of sampled 3D Ising spins, and the
sampled flow being the flow of its samples."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from gpurg.backend.philox import independent_seed
from gpurg.errors import InputError
from gpurg.models.ising3d import Ising3DModel, Ising3DSampler
from gpurg.rg.flow import (
    NNN_WEIGHTS,
    CouplingFlow,
    coupling_flow,
    critical_temperature,
    local_fields,
    pseudo_likelihood_couplings,
    sampled_coupling_flow,
)
from gpurg.rg.maps import MajorityRule
from gpurg.rg.operators import EVEN_3D, ODD_3D, n_fitting, operator_sums
from gpurg.sampling import ising_configurations


@pytest.mark.parametrize("L", [4, 5])
def test_local_fields_are_energy_differences(L: int) -> None:
    """f_a(i) = (S_a(s) - S_a(s with s_i flipped)) / (2 s_i) for every 3D operator that fits
    L, at every site."""
    s = np.random.default_rng(L).choice(np.array([-1, 1], np.int8), size=(2, L, L, L))
    ops = EVEN_3D[:n_fitting(EVEN_3D, L, 3)] + ODD_3D[:n_fitting(ODD_3D, L, 3)]
    fields = local_fields(s, ops)
    assert fields.shape == (2, L, L, L, len(ops)) and fields.dtype == np.int8
    before = operator_sums(s, ops)
    for z, y, x in itertools.product(range(L), repeat=3):
        flipped = s.copy()
        flipped[:, z, y, x] *= -1
        diff = (before - operator_sums(flipped, ops)) / (2 * s[:, z, y, x, None])
        np.testing.assert_array_equal(fields[:, z, y, x], diff, err_msg=f"{z} {y} {x}")
    with pytest.raises(InputError, match="does not fit"):
        local_fields(s[:, :3, :3, :3], ("third",))


@pytest.fixture(scope="module")
def hot_spins() -> np.ndarray:
    """3D Ising spins at K = 0.15 (T = 6.67, well above T_c = 4.51, where Metropolis
    decorrelates in a few sweeps): 32 chains of 6^3, 4 snapshots 10 sweeps apart after 100."""
    model = Ising3DModel(6, 1 / 0.15)
    sampler = Ising3DSampler(model, replicas=32, algorithm="metropolis", seed=11,
                             device="numpy")
    sampler.sweep(100)
    snapshots = []
    for _ in range(4):
        sampler.sweep(10)
        snapshots.append(np.asarray(sampler.spins).copy())
    return np.concatenate(snapshots)


def test_pseudo_likelihood_recovers_the_coupling(hot_spins: np.ndarray) -> None:
    """The pseudo-likelihood is consistent: fitted with nn, nnn and plaquette, the samples of
    -H = K Σ_nn s_i s_j give K_nn = K and the others 0, each within 4 jackknife errors
    (replicas as groups: the snapshots of one chain are correlated)."""
    groups = np.tile(np.arange(32), 4)
    K, err = pseudo_likelihood_couplings(hot_spins, ("nn", "nnn", "plaquette"), groups=groups)
    assert np.all(np.abs(K - np.array([0.15, 0.0, 0.0])) < 4 * err), (K, err)


def test_flow_runs_on_cubic_lattices(hot_spins: np.ndarray) -> None:
    """Two temperatures' worth of the same spins through coupling_flow: the level-0 fit is
    the pseudo-likelihood's, the levels are 6^3 and 3^3 (majority b = 2)."""
    flow = coupling_flow({6.0: hot_spins, 7.0: hot_spins}, MajorityRule(2), 1, ("nn",),
                         seed=1)
    K, _ = pseudo_likelihood_couplings(hot_spins, ("nn",))
    np.testing.assert_array_equal(flow.K[0, 0], K)
    assert flow.sizes.tolist() == [6, 3] and flow.K.shape == (2, 2, 1)


def test_sampled_flow_in_3d_is_the_flow_of_its_samples() -> None:
    """sampled_coupling_flow(dim=3) samples the simple cubic model (Swendsen–Wang,
    ising_configurations(dim=3)) with the seeds its docstring names and fits the 3D
    operators: the same numbers as coupling_flow on those samples, bit for bit."""
    temps, seed = [5.0, 6.0, 7.0], 3
    flow = sampled_coupling_flow(6, temps, MajorityRule(2), 1, ("nn", "nnn"), replicas=8,
                                 samples=2, seed=seed, device="numpy", dim=3)
    configs = {T: ising_configurations(6, T, dim=3, replicas=8, samples=2,
                                       seed=independent_seed(seed, k), device="numpy")
               for k, T in enumerate(temps)}
    assert configs[5.0].shape == (16, 6, 6, 6)
    want = coupling_flow(configs, MajorityRule(2), 1, ("nn", "nnn"), seed=seed)
    np.testing.assert_array_equal(flow.K, want.K)
    np.testing.assert_array_equal(flow.K_err, want.K_err)
    assert flow.sizes.tolist() == [6, 3]


@pytest.mark.parametrize("dim", [2, 3])
def test_tracked_coupling_is_the_critical_line_of_the_dimension(dim: int) -> None:
    """At T0 the flow moves only along the nn-nnn critical line of its dimension (K_nn grows,
    K_nnn shrinks so that K_nn + w K_nnn stays put, w = 1 in 2D and K_c(sc) / K_c(fcc) in 3D);
    elsewhere that combination grows below T0 and shrinks above it. critical_temperature must
    find T0 and no other point; tracking K_nn + K_nnn in 3D would not (catches a 2D weight)."""
    w = NNN_WEIGHTS[dim]
    T = np.array([0.8, 0.9, 1.0, 1.1, 1.2])
    drift = 0.05 * (1.0 - T)  # the relevant direction: d(K_nn + w K_nnn) per level
    K = np.zeros((5, 3, 2))
    for level in range(3):
        K[:, level, 1] = 0.1 - 0.02 * level  # K_nnn flows down the critical line ...
        K[:, level, 0] = 0.3 + 0.02 * w * level + drift * level  # ... traded for K_nn
    jack = np.repeat(K[:, :, None, :], 8, axis=2)
    jack = jack + np.random.default_rng(dim).normal(0, 1e-6, jack.shape)
    flow = CouplingFlow(T, ("nn", "nnn"), K, np.full_like(K, 1e-3), jack, np.array([16, 8, 4]),
                        dim)
    tc, _ = critical_temperature(flow)
    assert tc == pytest.approx(1.0, abs=1e-6)
    if dim == 3:  # the 2D weight sees K_nn + K_nnn grow at T0: T_c far above it (1.47 here,
        # beyond the sampled range: no root)
        tc_2d, _ = critical_temperature(flow, combination={"nn": 1.0, "nnn": 1.0})
        assert not tc_2d < 1.1
