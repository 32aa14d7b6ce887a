"""The simple-cubic Ising oracles (gpurg.models.ising3d_exact) against brute force and the
literature, and the 3D samplers against them: chi-square over every state of the 2x2x2 and
4x2x2 tori, the high-temperature series, the lattice's symmetries. Errors come from
independent replicas; bounds are stated in sigmas or as p-values fixed in advance. The
samplers run the byte layout of kernels/ising3d.cu (the bit-packed one has its own tests)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.stats import chi2

from gpurg.backend.philox import seed_to_key
from gpurg.errors import InputError
from gpurg.models import ising3d_exact as ie3
from gpurg.models.ising3d import Ising3DModel, Ising3DSampler, checkerboard_sweeps, hot_start
from gpurg.models.ising_rules import LOCAL_ALGORITHMS, flip_thresholds
from gpurg.stats import pooled_chi_square

P_MIN = 1e-4  # a chi-square test fails below this p-value (fixed before any run)
SIGMAS = 4.0  # a Monte Carlo mean fails beyond this many standard errors


def _brute_energy(state: np.ndarray, J: float, h: float) -> float:
    """H of one (Lz, Ly, Lx) state by an explicit loop over the 3 N bond terms."""
    Lz, Ly, Lx = state.shape
    bonds = 0
    for z, y, x in itertools.product(range(Lz), range(Ly), range(Lx)):
        s = int(state[z, y, x])
        bonds += s * (state[(z + 1) % Lz, y, x] + state[z, (y + 1) % Ly, x]
                      + state[z, y, (x + 1) % Lx])
    return -J * bonds - h * int(state.sum())


# ------------------------------------------------------------------------------ constants
def test_constants() -> None:
    assert ie3.K_C == 0.221654626 and ie3.K_C_ERROR == 5e-9
    assert ie3.T_C == pytest.approx(4.5115232, abs=1e-7)
    assert ie3.BOOTSTRAP["nu"] == 0.629971 and ie3.BOOTSTRAP["eta"] == 0.0362978
    assert ie3.BOOTSTRAP["yh"] == pytest.approx(2.481851, abs=1e-6)
    assert set(ie3.BOOTSTRAP_ERRORS) == set(ie3.BOOTSTRAP)


# ---------------------------------------------------------------------------- enumeration
@pytest.mark.parametrize("shape", [(2, 2, 2), (4, 2, 2), (2, 4, 2), (2, 2, 4)])
def test_state_index_inverts_enumeration(shape) -> None:
    states = ie3.enumerate_states(shape)
    assert states.shape == (2 ** math.prod(shape), *shape) and states.dtype == np.int8
    assert np.array_equal(ie3.state_index(states), np.arange(2 ** math.prod(shape)))


@pytest.mark.parametrize("shape", [(4, 4, 2), (3, 2, 2), (2, 2), (0, 2, 2)])
def test_boxes_that_cannot_be_enumerated_are_refused(shape) -> None:
    with pytest.raises(InputError, match="shape"):
        ie3.enumerate_states(shape)


@pytest.mark.parametrize(("shape", "T", "J", "h"), [((2, 2, 2), 4.5, 1.0, 0.0),
                                                    ((4, 2, 2), 3.0, -1.0, 0.4),
                                                    ((2, 4, 2), 2.0, 0.5, -0.2)])
def test_exact_observables_match_brute_force(shape, T, J, h) -> None:
    """Every average from an independent sum: the energy by an explicit loop over the bond
    terms (on a side of 2 each pair twice), the weights exp(-H / T) normalised here."""
    states = ie3.enumerate_states(shape)
    rng = np.random.default_rng(0)
    picks = rng.choice(len(states), 64, replace=False) if len(states) > 256 else \
        np.arange(len(states))
    energy = np.array([_brute_energy(states[k], J, h) for k in picks])
    p = ie3.boltzmann_probabilities(shape, T, J, h)
    # ratios of probabilities are Boltzmann factors of the energy differences
    assert np.allclose(np.log(p[picks] / p[picks[0]]), -(energy - energy[0]) / T, atol=1e-9)
    n = math.prod(shape)
    all_energy = -J * sum(states.astype(np.int64) * np.roll(states, -1, a)
                          for a in (1, 2, 3)).sum(axis=(1, 2, 3)) - h * states.sum(
        axis=(1, 2, 3))
    assert np.array_equal(all_energy[picks], energy)
    weights = np.exp(-(all_energy - all_energy.min()) / T)
    weights /= weights.sum()
    e, m = all_energy / n, states.sum(axis=(1, 2, 3)) / n
    exact = ie3.exact_observables(shape, T, J, h)
    assert exact["e"] == pytest.approx(weights @ e, rel=1e-12)
    assert exact["m"] == pytest.approx(weights @ m, abs=1e-12)
    assert exact["m4"] == pytest.approx(weights @ m**4, rel=1e-12)
    assert exact["c"] == pytest.approx(n * (weights @ e**2 - (weights @ e) ** 2) / T**2,
                                       rel=1e-9)
    assert exact["chi"] == pytest.approx(n * (weights @ m**2 - (weights @ np.abs(m)) ** 2) / T,
                                         rel=1e-9)


def test_two_cube_ground_state_counts_each_pair_twice() -> None:
    """All spins up on the 2x2x2 torus: 3 N = 24 bond terms (12 pairs, each twice)."""
    ground = ie3.exact_observables((2, 2, 2), 0.01)
    assert ground["e"] == pytest.approx(-3.0) and ground["abs_m"] == pytest.approx(1.0)
    assert ie3.exact_reference(2, 4.5) == ie3.exact_observables((2, 2, 2), 4.5)
    assert ie3.exact_reference(4, 4.5) == {}


# --------------------------------------------------------------------- the lattice's symmetries
def _cube_symmetries(configs: np.ndarray):
    """The 48 rotations and reflections of cubes (..., L, L, L): axis permutations times
    axis reversals."""
    for perm in itertools.permutations((-3, -2, -1)):
        moved = np.moveaxis(configs, (-3, -2, -1), perm)
        for flips in itertools.product((False, True), repeat=3):
            axes = tuple(a for a, f in zip((-3, -2, -1), flips, strict=True) if f)
            yield np.flip(moved, axes) if axes else moved


@pytest.mark.parametrize("L", [2, 4, 6])
def test_observables_are_invariant_under_the_cube_group_and_translations(L) -> None:
    model = Ising3DModel(L, 4.5, -0.7, 0.3)
    configs = np.random.default_rng(L).choice(np.array([-1, 1], np.int8), (5, L, L, L))
    reference = model.measure(configs)
    images = list(_cube_symmetries(configs)) + [np.roll(configs, (1, 2, 3), (1, 2, 3))]
    assert len(images) == 49
    for image in images:
        got = model.measure(np.ascontiguousarray(image))
        for key, value in reference.items():
            assert np.allclose(got[key], value, rtol=0, atol=1e-12), key


def test_exact_box_distribution_is_invariant_under_its_symmetries() -> None:
    """On the 4x2x2 box the reflections of each axis and the y <-> x swap map states to
    states of the same probability."""
    shape, p = (4, 2, 2), ie3.boltzmann_probabilities((4, 2, 2), 3.0, 1.0, 0.2)
    states = ie3.enumerate_states(shape)
    for image in (np.flip(states, 1), np.flip(states, 2), np.flip(states, 3),
                  np.swapaxes(states, 2, 3), np.roll(states, 1, 1)):
        assert np.allclose(p[ie3.state_index(image)], p, rtol=1e-12, atol=0)


# --------------------------------------------------------------------- high-temperature series
def _self_avoiding_walks(n: int) -> int:
    """Number of n-step self-avoiding walks from the origin of the simple cubic lattice."""
    steps = [(1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1)]

    def extend(site, visited, left):
        if left == 0:
            return 1
        total = 0
        for step in steps:
            nxt = (site[0] + step[0], site[1] + step[1], site[2] + step[2])
            if nxt not in visited:
                visited.add(nxt)
                total += extend(nxt, visited, left - 1)
                visited.remove(nxt)
        return total

    return extend((0, 0, 0), {(0, 0, 0)}, n)


def test_series_coefficients_through_order_4_are_walk_counts() -> None:
    """Below order 5 no loop enters sum_j <s_0 s_j> (a loop of 4 bonds and one bond to
    reach it), so a_n is the number of self-avoiding walks: 1, 6, 30, 150, 726."""
    assert [_self_avoiding_walks(n) for n in range(5)] == list(ie3.SUSCEPTIBILITY_SERIES[:5])


def _squares_at(site: tuple[int, int, int]) -> list[frozenset]:
    """The 12 unit squares (plaquettes) of the simple cubic lattice with a corner at
    ``site``, each as its set of 4 corners."""
    found = set()
    for a, b in itertools.combinations(range(3), 2):
        for da, db in itertools.product((-1, 0), repeat=2):
            corner = list(site)
            corner[a] += da
            corner[b] += db
            corners = []
            for ea, eb in itertools.product((0, 1), repeat=2):
                c = list(corner)
                c[a] += ea
                c[b] += eb
                corners.append(tuple(c))
            found.add(frozenset(corners))
    return list(found)


def test_series_coefficient_of_order_5_from_its_graphs() -> None:
    """a_5 = c_5 + T - 6 S: the order-5 graphs with odd vertices {0, j} are the 5-step walks
    (c_5) and the tadpoles T (a square with one bond hanging from a corner, 0 at either odd
    end); dividing by Z = 1 + (squares) w^4 + ... removes, for each of the 6 one-bond paths,
    the squares S that touch it (those vertex-disjoint from it cancel against Z)."""
    origin = (0, 0, 0)
    steps = [tuple(int(i == a) * s for i in range(3)) for a in range(3) for s in (1, -1)]
    at_origin = _squares_at(origin)
    tadpoles = 0
    for step in steps:
        v = step
        # 0 the tail's end: a square at v avoiding 0; 0 a corner: a tail from 0 off its square
        tadpoles += sum(origin not in q for q in _squares_at(v))
        tadpoles += sum(v not in q for q in at_origin)
    touching = len(set(at_origin) | set(_squares_at(steps[0])))
    assert (len(at_origin), tadpoles, touching) == (12, 96, 20)
    assert _self_avoiding_walks(5) + tadpoles - 6 * touching == ie3.SUSCEPTIBILITY_SERIES[5]


def test_series_function() -> None:
    assert ie3.susceptibility_series(0.0) == 1.0
    w = math.tanh(0.1)
    assert ie3.susceptibility_series(0.1, 2) == pytest.approx(1 + 6 * w + 30 * w**2)
    with pytest.raises(InputError, match="order"):
        ie3.susceptibility_series(0.1, 7, L=6)


def test_susceptibility_matches_the_series_at_high_temperature(cpu_kernels) -> None:
    """N <m^2> = sum_j <s_0 s_j> on the 8^3 torus at K = 0.1 (w = 0.0997) against the series
    through w^7 (exact there: windings enter at order 8); the omitted terms, about
    a_8 w^8 / (1 - 4.7 w) = 0.007 with the literature's a_8 = 375174, are below a fifth of the
    error. Each replica's time average is one independent sample."""
    K, L = 0.1, 8
    sampler = Ising3DSampler(Ising3DModel(L, 1 / K), replicas=128, seed=41,
                             algorithm="heatbath", device=cpu_kernels, layout="bytes")
    sampler.sweep(20)
    per_replica = np.mean([L**3 * m["m2"] for m in sampler.run(150)], axis=0)
    mean = per_replica.mean()
    error = per_replica.std(ddof=1) / math.sqrt(per_replica.size)
    series = ie3.susceptibility_series(K, L=L)
    assert abs(mean - series) < SIGMAS * error, f"{mean:.4f} ± {error:.4f} vs {series:.4f}"
    assert error < 0.05  # the comparison resolves the terms through w^3 (0.15 at K = 0.1)


# ----------------------------------------------------------------------- chi-square over states
@pytest.mark.parametrize("algorithm", LOCAL_ALGORITHMS)
@pytest.mark.parametrize(("T", "J", "h"), [(ie3.T_C, 1.0, 0.0), (6.0, 1.0, 0.3),
                                           (3.0, -1.0, 0.5)])
def test_two_cube_stationary_distribution_is_boltzmann(cpu_kernels, algorithm, T, J, h) -> None:
    """The states of 20,000 independent 2x2x2 chains (the model at L = 2, each neighbour pair
    twice in H and in the update) against the exact weights of all 256 states."""
    sampler = Ising3DSampler(Ising3DModel(2, T, J, h), replicas=20_000, algorithm=algorithm,
                             seed=31, device=cpu_kernels, layout="bytes")
    sampler.sweep(50)
    counts = np.bincount(ie3.state_index(sampler.get_state()), minlength=256)
    stat, dof = pooled_chi_square(counts, ie3.boltzmann_probabilities((2, 2, 2), T, J, h)
                                  * counts.sum())
    p = chi2.sf(stat, dof)
    assert p > P_MIN, f"chi2 = {stat:.1f} for {dof} dof (p = {p:.2g})"


def test_two_cube_chi_square_has_power(cpu_kernels) -> None:
    """The same test rejects chains at T = 6 against weights at T = 6.5, and against the
    weights of a model that counts each neighbour pair of the 2-cube once (J halved)."""
    sampler = Ising3DSampler(Ising3DModel(2, 6.0), replicas=20_000, seed=31,
                             device=cpu_kernels, layout="bytes")
    sampler.sweep(50)
    counts = np.bincount(ie3.state_index(sampler.get_state()), minlength=256)
    for T, J in ((6.5, 1.0), (6.0, 0.5)):
        expected = ie3.boltzmann_probabilities((2, 2, 2), T, J) * counts.sum()
        assert chi2.sf(*pooled_chi_square(counts, expected)) < 1e-6, (T, J)


@pytest.mark.parametrize(("algorithm", "T", "J", "h"), [("metropolis", 5.0, 1.0, 0.2),
                                                        ("heatbath", 3.5, -1.0, 0.3)])
def test_box_stationary_distribution_is_boltzmann(cpu_kernels, algorithm, T, J, h) -> None:
    """40,000 independent chains of the 4x2x2 box (axes z, y, x), swept by the box-level
    functions the sampler uses, against the exact weights of all 65,536 states."""
    shape, key = (4, 2, 2), seed_to_key(77)
    spins = hot_start(cpu_kernels, shape, 40_000, key)
    thresholds = flip_thresholds(algorithm, T, J, h, neighbours=6)
    checkerboard_sweeps(cpu_kernels, spins, thresholds, 0, 50, key)
    counts = np.bincount(ie3.state_index(spins), minlength=2**16)
    stat, dof = pooled_chi_square(counts, ie3.boltzmann_probabilities(shape, T, J, h)
                                  * counts.sum())
    p = chi2.sf(stat, dof)
    assert p > P_MIN, f"chi2 = {stat:.1f} for {dof} dof (p = {p:.2g})"
