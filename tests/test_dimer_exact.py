"""Tests of the exact dimer oracles: Kasteleyn counts, transfer matrix, enumeration, averages."""

import math

import numpy as np
import pytest
from scipy.integrate import quad

from gpurg.errors import InputError
from gpurg.models import dimer_exact as de
from gpurg.models.dimer_encodings import columnar_state, parallel_plaquettes, winding_numbers

# science.md section 5
KNOWN_COUNTS = [((4, 4), 272), ((4, 6), 3108), ((6, 4), 3108), ((6, 6), 90176),
                ((8, 8), 311853312)]
DX = np.array([1, 0, -1, 0])
DY = np.array([0, 1, 0, -1])


def brute_force_coverings(M: int, L: int) -> set[bytes]:
    """All coverings of the M-row, L-column torus as code bytes, by backtracking.

    The first free site (row-major) is paired with each free neighbour in turn; its partner is
    fixed by the covering, so every covering is produced once.
    """
    codes = np.full((M, L), -1, dtype=np.int8)
    found: set[bytes] = set()

    def fill(start: int) -> None:
        while start < M * L and codes.flat[start] >= 0:
            start += 1
        if start == M * L:
            found.add(codes.tobytes())
            return
        y, x = divmod(start, L)
        for d in range(4):
            py, px = (y + DY[d]) % M, (x + DX[d]) % L
            if codes[py, px] < 0 and (py, px) != (y, x):
                codes[y, x], codes[py, px] = d, (d + 2) % 4
                fill(start + 1)
                codes[y, x] = codes[py, px] = -1

    fill(0)
    return found


def partner_points_back(codes: np.ndarray) -> np.ndarray:
    """bool (n,): every site's partner points back (works for M != L)."""
    _, M, L = codes.shape
    y, x = np.indices((M, L))
    c = codes.astype(np.int64)
    partner = np.take_along_axis(
        codes.reshape(len(codes), -1),
        (((y + DY[c]) % M) * L + (x + DX[c]) % L).reshape(len(codes), -1), axis=1)
    return np.all(partner.reshape(c.shape) == (c + 2) % 4, axis=(1, 2))


def windings_rect(codes: np.ndarray) -> np.ndarray:
    """(W_x, W_y) for coverings of any M x L torus, from the definitions (int64 (n, 2))."""
    _, M, L = codes.shape
    wx = ((codes[:, :, 0] == 0) * (1 - 2 * (np.arange(M) % 2))).sum(axis=1)
    wy = ((codes[:, 0, :] == 1) * (1 - 2 * (np.arange(L) % 2))).sum(axis=1)
    return np.stack([wx, wy], axis=1)


# ---------------------------------------------------------------------------------------------
# counts


@pytest.mark.parametrize(("shape", "count"), KNOWN_COUNTS)
def test_kasteleyn_known_counts(shape: tuple[int, int], count: int) -> None:
    assert de.kasteleyn_count(*shape) == count
    assert isinstance(de.kasteleyn_count(*shape), int)
    assert de.kasteleyn_log_count(*shape) == pytest.approx(math.log(count), rel=1e-13)


def test_exact_kasteleyn_matches_literal_formula_and_is_symmetric() -> None:
    for M in range(2, 26, 2):
        for N in range(2, 26, 4):
            exact = de.kasteleyn_count(M, N)
            assert exact == de.kasteleyn_count(N, M)
            assert math.log(exact) == pytest.approx(de.kasteleyn_log_count(M, N), rel=1e-13)
    # 12 x 12 is beyond float64's exact integers; the exact count still ends in the right digits
    assert de.kasteleyn_count(10, 10) == 11203604497408
    assert de.kasteleyn_count(12, 12) == 4161957566985310208


@pytest.mark.parametrize(("L", "M"), [(2, 2), (2, 8), (8, 2), (4, 4), (4, 6), (6, 4), (6, 6),
                                       (4, 10), (6, 8), (8, 8)])
def test_transfer_matrix_matches_kasteleyn(L: int, M: int) -> None:
    assert de.count_by_transfer_matrix(L, M) == de.kasteleyn_count(M, L)


def test_free_energy_approaches_catalan_over_pi() -> None:
    g = de.catalan_free_energy()
    catalan, _ = quad(lambda t: math.atan(t) / t, 0.0, 1.0, epsabs=1e-13)
    assert g == pytest.approx(catalan / math.pi, rel=1e-13)
    assert g == pytest.approx(0.291561, abs=1e-6)
    excess = [de.kasteleyn_log_count(L, L) / L**2 - g for L in (8, 16, 32, 64, 128)]
    assert all(a > b > 0 for a, b in zip(excess[:-1], excess[1:], strict=True))
    assert excess[-1] < 6e-5
    # the correction is O(1/L^2) (a universal O(1) term in ln Z): L^2 * excess converges
    scaled = [e * L**2 for e, L in zip(excess, (8, 16, 32, 64, 128), strict=True)]
    assert abs(scaled[-1] - scaled[-2]) < 1e-3 < abs(scaled[0] - scaled[-1])
    assert math.log(de.kasteleyn_count(16, 16)) / 256 - g == pytest.approx(excess[1], abs=1e-12)


def test_bad_sides_are_rejected() -> None:
    for bad in [(3, 4), (4, 0), (4, -2), (4.0, 4), (True, 4)]:
        with pytest.raises(InputError, match="torus side"):
            de.kasteleyn_count(*bad)
        with pytest.raises(InputError, match="torus side"):
            de.kasteleyn_log_count(*bad)
    with pytest.raises(InputError, match="torus side"):
        de.count_by_transfer_matrix(4, 5)
    with pytest.raises(InputError, match="min"):
        de.winding_sector_counts(12, 12)
    with pytest.raises(InputError, match="311853312 coverings"):
        de.enumerate_coverings(8)


# ---------------------------------------------------------------------------------------------
# winding sectors


def test_winding_sectors_sum_rule_and_symmetry() -> None:
    for L, M in [(4, 4), (6, 6), (8, 8), (4, 6), (6, 4), (2, 4)]:
        counts = de.winding_sector_counts(L, M)
        assert sum(counts.values()) == de.kasteleyn_count(M, L)
        for (wx, wy), c in counts.items():
            assert counts[(-wx, wy)] == counts[(wx, -wy)] == c
            if L == M:
                assert counts[(wy, wx)] == c
            assert abs(wx) <= M // 2 and abs(wy) <= L // 2
    # transposing the torus swaps the winding numbers
    wide, tall = de.winding_sector_counts(6, 4), de.winding_sector_counts(4, 6)
    assert wide == {(wy, wx): c for (wx, wy), c in tall.items()}


def test_extreme_winding_sectors_hold_only_the_staggered_states() -> None:
    # W_x = L/2 forces bx = 1 on every A site of every column: one covering per sector
    for L in (4, 6, 8):
        counts = de.winding_sector_counts(L)
        for key in [(L // 2, 0), (-L // 2, 0), (0, L // 2), (0, -L // 2)]:
            assert counts[key] == 1
        assert max(abs(wx) + abs(wy) for wx, wy in counts) == L // 2
    assert de.winding_sector_counts(4)[(0, 0)] == 132  # 272 - 4 * 32 - 4 * 2 - 4 * 1


# ---------------------------------------------------------------------------------------------
# enumeration


@pytest.mark.parametrize(("L", "M"), [(4, 4), (4, 6), (6, 4), (6, 6), (2, 2), (2, 6), (8, 4)])
def test_enumeration_is_complete_valid_and_distinct(L: int, M: int) -> None:
    codes = de.enumerate_coverings(L, M)
    assert codes.dtype == np.int8 and codes.shape == (de.kasteleyn_count(M, L), M, L)
    assert not codes.flags.writeable
    assert partner_points_back(codes).all()
    assert len(np.unique(codes.reshape(len(codes), -1), axis=0)) == len(codes)
    # the same winding sectors as the transfer matrix that never stores coverings
    sectors, counts = np.unique(windings_rect(codes), axis=0, return_counts=True)
    assert {(int(a), int(b)): int(c) for (a, b), c in zip(sectors, counts, strict=True)} == \
        de.winding_sector_counts(L, M)


@pytest.mark.parametrize(("M", "L"), [(4, 4), (4, 6), (6, 4), (2, 4)])
def test_enumeration_equals_brute_force(M: int, L: int) -> None:
    codes = de.enumerate_coverings(L, M)
    assert {c.tobytes() for c in codes} == brute_force_coverings(M, L)


def test_enumeration_is_deterministic_and_square_default() -> None:
    first = de.enumerate_coverings(4)
    again = de._enumerate.__wrapped__(4, 4)  # bypass the cache
    assert np.array_equal(first, again)
    assert np.array_equal(first, de.enumerate_coverings(4, 4))


def test_parallel_plaquette_histogram_by_hand() -> None:
    codes = de.enumerate_coverings(4)
    n_par = parallel_plaquettes(codes)
    values, counts = np.unique(n_par, return_counts=True)
    assert counts.sum() == 272
    # at most L^2 / 2 = 8 parallel plaquettes, reached only by the 4 columnar states
    assert values.max() == 8 and counts[-1] == 4
    # all-horizontal coverings: each row independently offset 0 or 1 (2^4 = 16); a pair of
    # neighbouring rows with equal offsets holds L/2 = 2 parallel plaquettes, so of the 16
    # cyclic offset patterns 2 give N_par = 8, 12 give 4 and 2 (alternating) give 0
    horizontal = np.all((codes == 0) | (codes == 2), axis=(1, 2))
    assert horizontal.sum() == 16
    hv, hc = np.unique(n_par[horizontal], return_counts=True)
    assert hv.tolist() == [0, 4, 8] and hc.tolist() == [2, 12, 2]
    # W_x of an all-horizontal covering: sum_y (-1)^y [row y has its dimer on (y,0)-(y,1)]
    offsets = (codes[horizontal][:, :, 0] == 2).astype(int)
    expected = ((1 - offsets) * np.array([1, -1, 1, -1])).sum(axis=1)
    assert np.array_equal(winding_numbers(codes[horizontal])[:, 0], expected)


# ---------------------------------------------------------------------------------------------
# Boltzmann averages


@pytest.fixture(scope="module")
def exact4() -> de.ExactDimer:
    return de.ExactDimer(de.enumerate_coverings(4))


def test_probabilities_and_validation(exact4: de.ExactDimer) -> None:
    p = exact4.probabilities(-1.0, 0.7)
    assert p.shape == (272,) and p.sum() == pytest.approx(1.0, abs=1e-14)
    boltzmann = np.exp(exact4.n_par / 0.7)
    np.testing.assert_allclose(p, boltzmann / boltzmann.sum(), rtol=1e-12)
    for bad_t in [0.0, -1.0, math.nan, -math.inf, "1"]:
        with pytest.raises(InputError, match="T must be"):
            exact4.probabilities(1.0, bad_t)
    for bad_v in [math.inf, math.nan, None]:
        with pytest.raises(InputError, match="V must be"):
            exact4.probabilities(bad_v, 1.0)
    with pytest.raises(InputError, match="exact_reference supports"):
        de.exact_reference(8, 1.0, 1.0)
    with pytest.raises(InputError):
        de.ExactDimer(np.zeros((2, 4, 4), dtype=np.int8))  # not a covering
    with pytest.raises(InputError):
        de.ExactDimer(np.zeros((0, 4, 4), dtype=np.int8))


@pytest.mark.parametrize("L", [4, 6])
def test_infinite_temperature_equals_zero_interaction(L: int) -> None:
    free = de.exact_reference(L, 2.0, math.inf)
    zero = de.exact_reference(L, 0.0, 1.3)
    tiny = de.exact_reference(L, 1e-9, 1.0)  # goes through the Boltzmann weights
    for key in ("n_par", "col2", "wx2", "wy2"):
        assert free[key] == zero[key]
        assert tiny[key] == pytest.approx(free[key], rel=1e-7)
    np.testing.assert_array_equal(free["corr"], zero["corr"])
    assert free["winding_probabilities"] == zero["winding_probabilities"]
    assert free["e"] == 2.0 * free["n_par"] and zero["e"] == 0.0 and free["c"] == 0.0
    # at T = inf the sector probabilities are the transfer-matrix counts over the total
    counts = de.winding_sector_counts(L)
    total = sum(counts.values())
    assert free["winding_probabilities"] == pytest.approx({k: c / total for k, c in counts.items()},
                                                          rel=1e-12)


@pytest.mark.parametrize(("L", "V", "T"), [(4, -1.0, 0.6), (4, 1.0, 2.0), (6, -1.0, 0.65),
                                           (6, 1.0, math.inf)])
def test_winding_symmetries_and_moments(L: int, V: float, T: float) -> None:
    ref = de.exact_reference(L, V, T)
    assert set(ref) == {"n_par", "e", "c", "col2", "wx2", "wy2", "winding_probabilities", "corr"}
    probs = ref["winding_probabilities"]
    assert sum(probs.values()) == pytest.approx(1.0, abs=1e-12)
    for (wx, wy), p in probs.items():
        assert probs[(wy, wx)] == pytest.approx(p, rel=1e-9, abs=1e-300)
        assert probs[(-wx, wy)] == pytest.approx(p, rel=1e-9, abs=1e-300)
    assert ref["wx2"] == pytest.approx(sum(p * wx**2 for (wx, _), p in probs.items()), rel=1e-12)
    assert ref["wy2"] == pytest.approx(ref["wx2"], rel=1e-9)
    assert ref["e"] == V * ref["n_par"]
    assert ref["corr"].shape == (2, L // 2 + 1)
    np.testing.assert_allclose(ref["corr"][:, 0], 0.25, rtol=1e-12)
    assert ref["corr"][0, 1] == 0.0
    # the transverse r = 1 correlation counts parallel plaquettes: N_par / (2 L^2)
    assert ref["corr"][1, 1] == pytest.approx(ref["n_par"] / 2, rel=1e-12)


def test_low_temperature_limits() -> None:
    for L in (4, 6):
        model = de._reference_model(L)
        horizontal = columnar_state(L)
        states = [horizontal, np.roll(horizontal, 1, axis=1)]
        states += [s.T ^ 1 for s in states]  # transposed: code 0 <-> 1, 2 <-> 3
        columnar = np.zeros(len(model.codes), dtype=bool)
        for state in states:
            match = np.all(model.codes == state, axis=(1, 2))
            assert match.sum() == 1
            columnar |= match
        assert np.array_equal(columnar, model.n_par == L * L // 2)
        cold = model.probabilities(-1.0, 0.05)
        assert cold[columnar].sum() == pytest.approx(1.0, abs=1e-12)
        assert np.allclose(cold[columnar], 0.25)
        ref = de.exact_reference(L, -1.0, 0.05)
        assert ref["col2"] == pytest.approx(1.0, abs=1e-12)
        assert ref["n_par"] == pytest.approx(0.5, abs=1e-12)
        assert ref["winding_probabilities"][(0, 0)] == pytest.approx(1.0, abs=1e-12)
        # repulsion: all the weight goes to the coverings with no parallel plaquette
        hot = model.probabilities(1.0, 0.02)
        assert hot[model.n_par == 0].sum() == pytest.approx(1.0, abs=1e-12)
        assert de.exact_reference(L, 1.0, 0.02)["n_par"] == pytest.approx(0.0, abs=1e-12)
    state = columnar_state(4)
    assert de.ExactDimer(state[None]).columnar_order_squared(-1.0, 1.0) == 1.0


def test_specific_heat_is_the_temperature_derivative_of_the_energy() -> None:
    for L, V, T in [(4, -1.0, 0.7), (6, 1.0, 1.5)]:
        h = 1e-4 * T
        slope = (de.exact_reference(L, V, T + h)["e"] - de.exact_reference(L, V, T - h)["e"]) / (
            2 * h)
        assert de.exact_reference(L, V, T)["c"] == pytest.approx(slope, rel=1e-6)
        assert de.exact_reference(L, V, T)["c"] > 0


def test_bond_correlations_sum_rules(exact4: de.ExactDimer) -> None:
    for V, T in [(0.0, math.inf), (-1.0, 0.6), (1.0, 1.0)]:
        nn = exact4.bond_correlations(V, T)
        assert nn.shape == (2, 4, 4, 2, 4, 4)
        single = np.diagonal(nn.reshape(32, 32))
        # every bond is occupied with probability 1/4 (translation and rotation symmetry)
        np.testing.assert_allclose(single, 0.25, rtol=1e-12)
        np.testing.assert_allclose(nn, np.swapaxes(nn.reshape(32, 32), 0, 1).reshape(nn.shape))
        # each site has exactly one dimer: sum over its four bonds of <n_b n_b'> = <n_b'>
        at_site = nn[0] + np.roll(nn[0], 1, axis=1) + nn[1] + np.roll(nn[1], 1, axis=0)
        np.testing.assert_allclose(at_site, np.broadcast_to(single.reshape(2, 4, 4),
                                                            (4, 4, 2, 4, 4)), atol=1e-14)
        # two bonds sharing a site are never both occupied
        assert nn[0, 0, 0, 0, 0, 1] == 0.0 and nn[0, 0, 0, 1, 0, 0] == 0.0
