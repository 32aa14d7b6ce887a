"""Tests of the exact 2D Ising oracles against reference numbers and brute-force enumeration."""

import itertools
import math

import numpy as np
import pytest

from gpurg.models import ising_exact as ie
from gpurg.models.ising3d_exact import exact_observables as exact_observables_3d

# Energy and specific heat per spin of the L x L torus at K_c (science.md, section 4).
CRITICAL_TABLE = [
    (4, -1.565624, 0.783267),
    (8, -1.491589, 1.145559),
    (16, -1.453065, 1.498705),
    (32, -1.433658, 1.846768),
    (64, -1.423938, 2.192211),
    (128, -1.419076, 2.536331),
]
OBSERVABLE_KEYS = ("e", "e2", "m", "abs_m", "m2", "m4", "binder", "c", "chi", "chi_m2")


def brute_force_log_z(K: float, M: int, N: int) -> float:
    """ln Z of the M-column, N-row torus by summing over all 2^(MN) states."""
    bits = (np.arange(2 ** (M * N))[:, None] >> np.arange(M * N)) & 1
    spins = (2 * bits - 1).reshape(-1, N, M)
    bonds = np.sum(spins * (np.roll(spins, 1, axis=1) + np.roll(spins, 1, axis=2)), axis=(1, 2))
    return float(np.log(np.sum(np.exp(K * bonds))))


def brute_force_observables(L: int, T: float, J: float, h: float) -> dict[str, float]:
    """The averages of exact_observables, from enumerate_states and boltzmann_probabilities."""
    states = ie.enumerate_states(L).astype(np.float64)
    p = ie.boltzmann_probabilities(L, T, J, h)
    n_sites = L * L
    bonds = np.sum(states * (np.roll(states, 1, axis=1) + np.roll(states, 1, axis=2)), axis=(1, 2))
    m = states.sum(axis=(1, 2)) / n_sites
    e = (-J * bonds - h * m * n_sites) / n_sites
    avg = {
        "e": p @ e,
        "e2": p @ e**2,
        "m": p @ m,
        "abs_m": p @ np.abs(m),
        "m2": p @ m**2,
        "m4": p @ m**4,
    }
    avg["binder"] = 1.0 - avg["m4"] / (3.0 * avg["m2"] ** 2)
    avg["c"] = n_sites * (avg["e2"] - avg["e"] ** 2) / T**2
    avg["chi"] = n_sites * (avg["m2"] - avg["abs_m"] ** 2) / T
    avg["chi_m2"] = n_sites * avg["m2"] / T
    return avg


def test_constants():
    assert ie.K_C == pytest.approx(0.4406867935, abs=1e-10)
    assert ie.T_C == pytest.approx(2.2691853142, abs=1e-9)
    assert ie.BINDER_CRITICAL == 0.61069


def test_partition_function_4x4_at_critical_point():
    assert math.exp(ie.log_partition_function(ie.K_C, 4, 4)) == pytest.approx(5_509_120, rel=1e-9)


@pytest.mark.parametrize(("M", "N"), [(2, 2), (3, 4), (4, 3), (2, 5), (3, 5)])
@pytest.mark.parametrize("K", [0.15, ie.K_C, 0.9])
def test_partition_function_matches_enumeration(M, N, K):
    assert ie.log_partition_function(K, M, N) == pytest.approx(
        brute_force_log_z(K, M, N), rel=1e-12
    )


@pytest.mark.parametrize("K", [0.05, 0.3, 2.0])
def test_partition_function_large_torus_is_finite(K):
    log_z = ie.log_partition_function(K, 128, 128)
    # Bounds from the 2N-bond sum: Z lies between 2^N e^(-2NK) and 2^N e^(2NK).
    n_sites = 128 * 128
    assert n_sites * (math.log(2.0) - 2 * K) < log_z < n_sites * (math.log(2.0) + 2 * K)


@pytest.mark.parametrize(("L", "u_ref", "c_ref"), CRITICAL_TABLE)
def test_critical_energy_and_specific_heat_table(L, u_ref, c_ref):
    u, c = ie.energy_and_specific_heat(ie.K_C, L)
    assert u == pytest.approx(u_ref, abs=5e-7)
    assert c == pytest.approx(c_ref, abs=5e-7)


@pytest.mark.parametrize("K", [0.2, ie.K_C - 1e-7, 0.6])
def test_derivatives_match_finite_differences(K):
    step = 1e-4
    log_z = [ie.log_partition_function(K + k * step, 8, 8) for k in (-2, -1, 0, 1, 2)]
    first = (log_z[0] - 8 * log_z[1] + 8 * log_z[3] - log_z[4]) / (12 * step)
    second = (-log_z[0] + 16 * log_z[1] - 30 * log_z[2] + 16 * log_z[3] - log_z[4]) / (12 * step**2)
    u, c = ie.energy_and_specific_heat(K, 8)
    assert u == pytest.approx(-first / 64, rel=1e-8)
    assert c == pytest.approx(K**2 * second / 64, rel=1e-5)


@pytest.mark.parametrize("L", [2, 4, 6])
def test_density_of_states_totals_and_symmetry(L):
    e_values, m_values, g = ie.density_of_states(L)
    n_sites = L * L
    assert g.dtype == np.int64
    assert g.shape == (e_values.size, m_values.size) == (2 * n_sites + 1, n_sites + 1)
    assert int(g.sum()) == 2**n_sites
    np.testing.assert_array_equal(g, g[:, ::-1])
    assert g[-1, 0] == g[-1, -1] == 1  # the two ground states, E_b = 2N
    assert g[-3].sum() == 0  # one flipped spin breaks four bonds, so E_b = 2N - 4 is missing


def test_density_of_states_matches_enumeration():
    e_values, m_values, g = ie.density_of_states(4)
    states = ie.enumerate_states(4).astype(np.int64)
    bonds = np.sum(states * (np.roll(states, 1, axis=1) + np.roll(states, 1, axis=2)), axis=(1, 2))
    magnetisation = states.sum(axis=(1, 2))
    counts = np.zeros_like(g)
    np.add.at(
        counts, (np.searchsorted(e_values, bonds), np.searchsorted(m_values, magnetisation)), 1
    )
    np.testing.assert_array_equal(counts, g)


def test_density_of_states_rejects_unsupported_sizes():
    for L in (3, 8):
        with pytest.raises(ValueError):
            ie.density_of_states(L)


@pytest.mark.parametrize(("L", "K"), itertools.product([4, 6], [0.2, ie.K_C, 0.7]))
def test_observables_agree_with_kaufman(L, K):
    obs = ie.exact_observables(L, 1.0 / K)
    u, c = ie.energy_and_specific_heat(K, L)
    assert obs["e"] == pytest.approx(u, abs=1e-10)
    assert obs["c"] == pytest.approx(c, abs=1e-10)
    assert obs["m"] == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize(("J", "h"), [(-1.0, 0.3), (1.0, 0.3), (-1.0, 0.0)])
def test_observables_match_enumeration(J, h):
    obs = ie.exact_observables(4, 2.0, J=J, h=h)
    expected = brute_force_observables(4, 2.0, J, h)
    assert set(obs) == set(OBSERVABLE_KEYS)
    for key in OBSERVABLE_KEYS:
        assert obs[key] == pytest.approx(expected[key], rel=1e-10, abs=1e-12), key


@pytest.mark.parametrize("L", [4, 6])
@pytest.mark.parametrize("T", [1.5, ie.T_C, 4.0])
def test_antiferromagnet_has_the_same_energy_statistics(L, T):
    ferro = ie.exact_observables(L, T, J=1.0)
    antiferro = ie.exact_observables(L, T, J=-1.0)
    for key in ("e", "e2", "c"):
        assert antiferro[key] == pytest.approx(ferro[key], rel=1e-12), key
    assert antiferro["m2"] < ferro["m2"]


def test_observables_survive_large_coupling_over_temperature():
    obs = ie.exact_observables(6, 0.01)
    assert obs["e"] == pytest.approx(-2.0, abs=1e-12)
    assert obs["abs_m"] == pytest.approx(1.0, abs=1e-12)
    assert obs["binder"] == pytest.approx(2.0 / 3.0, abs=1e-12)
    assert obs["c"] == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("T", [0.01, 1e-300])
def test_antiferromagnet_ground_state_has_no_binder_cumulant(T):
    """The Néel state has m = 0, so <m^2> = 0 and U = 1 - <m^4> / 3<m^2>^2 is undefined:
    NaN, not a ZeroDivisionError (hypothesis found ``gpurg ising sample -L 4 --coupling -1
    -T 1e-300`` ending in one), in 2D and 3D alike."""
    for obs in (ie.exact_observables(4, T, J=-1.0), exact_observables_3d((2, 2, 2), T, J=-1.0)):
        assert obs["m2"] == 0.0 and math.isnan(obs["binder"])
        assert obs["abs_m"] == 0.0 and math.isfinite(obs["e"])


def test_field_polarises_the_magnetisation():
    assert ie.exact_observables(4, 3.0, h=0.5)["m"] > 0.1
    assert ie.exact_observables(4, 3.0, h=-0.5)["m"] < -0.1


def test_state_index_round_trip_and_ordering():
    states = ie.enumerate_states(4)
    assert states.dtype == np.int8 and states.shape == (2**16, 4, 4)
    np.testing.assert_array_equal(ie.state_index(states), np.arange(2**16))
    assert states[1, 0, 0] == 1 and states[1, 0, 1] == -1  # bit 0 is site (y, x) = (0, 0)
    assert states[1 << 5, 1, 1] == 1  # bit y * L + x
    assert ie.state_index(states[[7, 123]].reshape(2, 1, 4, 4)).shape == (2, 1)


def test_boltzmann_probabilities_normalised_and_symmetric():
    p = ie.boltzmann_probabilities(4, ie.T_C)
    assert p.shape == (2**16,) and p.dtype == np.float64
    assert p.sum() == pytest.approx(1.0, rel=1e-14)
    # A global spin flip complements the index bits and leaves the zero-field weight unchanged.
    np.testing.assert_allclose(p, p[::-1], rtol=1e-12)
    assert p.argmax() in (0, 2**16 - 1)


@pytest.mark.parametrize("K", [0.3, 0.6])
def test_onsager_energy_matches_large_torus_away_from_critical_point(K):
    u, _ = ie.energy_and_specific_heat(K, 64)
    assert ie.onsager_energy(K) == pytest.approx(u, abs=1e-10)


def test_finite_size_energy_approaches_onsager_at_critical_point():
    u_inf = ie.onsager_energy(ie.K_C)
    assert u_inf == pytest.approx(-math.sqrt(2.0), abs=1e-12)
    assert ie.onsager_energy(ie.K_C * (1 + 1e-9)) == pytest.approx(-math.sqrt(2.0), abs=1e-6)
    deviations = [ie.energy_and_specific_heat(ie.K_C, L)[0] - u_inf for L, _, _ in CRITICAL_TABLE]
    assert all(d < 0 for d in deviations)
    assert all(abs(b) < abs(a) for a, b in itertools.pairwise(deviations))
    # Leading finite-size correction at T_c is proportional to 1 / L.
    assert deviations[-2] / deviations[-1] == pytest.approx(2.0, rel=1e-3)
    assert abs(deviations[-1]) < 5e-3


def test_spontaneous_magnetization_limits():
    assert ie.spontaneous_magnetization(0.3) == 0.0
    assert ie.spontaneous_magnetization(ie.K_C) == 0.0
    # Low-temperature series m = 1 - 2u^2 - 8u^3 - 34u^4 + O(u^5), u = exp(-4K).
    K = 2.5
    u = math.exp(-4 * K)
    assert ie.spontaneous_magnetization(K) == pytest.approx(
        1 - 2 * u**2 - 8 * u**3 - 34 * u**4, abs=1e-18
    )
    # Onset with beta = 1/8: m ~ (K - K_c)^(1/8).
    small, smaller = (ie.spontaneous_magnetization(ie.K_C + d) for d in (1e-6, 1e-10))
    assert math.log(small / smaller) / math.log(1e4) == pytest.approx(0.125, rel=1e-4)


def test_correlation_length():
    K = 0.3
    assert ie.correlation_length(K) == pytest.approx(1.0 / (-math.log(math.tanh(K)) - 2 * K))
    assert ie.correlation_length(ie.K_C - 1e-6) > 1e5
    with pytest.raises(ValueError):
        ie.correlation_length(0.5)


def test_rejects_invalid_arguments():
    with pytest.raises(ValueError):
        ie.log_partition_function(0.0, 4, 4)
    with pytest.raises(ValueError):
        ie.log_partition_function(0.3, 1, 4)
    with pytest.raises(ValueError):
        ie.exact_observables(4, 0.0)
    with pytest.raises(ValueError):
        ie.enumerate_states(5)


def test_exact_reference_picks_what_is_known() -> None:
    exact_reference = ie.exact_reference
    small = exact_reference(4, 2.0, -1.0, 0.3)
    assert small == ie.exact_observables(4, 2.0, -1.0, 0.3)
    big = exact_reference(32, ie.T_C)
    assert set(big) == {"e", "c"}
    assert big["e"] == pytest.approx(-1.433658, abs=5e-7)
    assert big["c"] == pytest.approx(1.846768, abs=5e-7)
    # an antiferromagnet on an even torus has the ferromagnet's energy and specific heat
    assert exact_reference(16, 1.7, -2.0) == pytest.approx(exact_reference(16, 1.7, 2.0))
    assert exact_reference(16, 2.0, 1.0, 0.1) == {}
