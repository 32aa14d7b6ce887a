"""The 1D chain's RSMI landscape (issue 14, parts 1-2): P(V, E) at any buffer, the coarse
couplings of a one-unit rule exactly (rings) and by the cumulant expansion, each against an
independent enumeration of all spins, and the PRX facts (science.md §3, §6)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from gpurg.rg.chain import (
    SETS,
    _ring_couplings,
    chain_couplings,
    chain_cumulant_couplings,
)
from gpurg.rg.landscape import (
    _information_gradient,
    chain_exact_path,
    chain_exact_start,
    chain_landscape,
    chain_pairs,
    chain_point,
    chain_training_path,
    read_landscape,
    write_landscape,
)
from gpurg.rsmi.exact import (
    chain_block_environment,
    chain_mutual_information,
    chain_rule_information,
    chain_segment_probabilities,
    spin_states,
)

# science.md §3 (L_B = 1): K, decimation share, majority share, as printed
TABLE = [(0.1, "0.5050", "0.302"), (0.4407, "0.584", "0.498"), (1.0, "0.760", "0.740")]


def half_unit(printed: str) -> float:
    return 0.5 * 10.0 ** -len(printed.partition(".")[2])


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


# ---------------------------------------------------------------------------------------------
# P(V, E) at any buffer


@pytest.mark.parametrize("buffer", [0, 1, 2, 3])
@pytest.mark.parametrize("K", [0.1, 0.7, -0.4])
def test_block_environment_sums_the_buffers_out_of_an_enumerated_segment(K, buffer) -> None:
    n = 2 * buffer + 4  # e_L, buffer, v1, v2, buffer, e_R
    p = chain_segment_probabilities(K, n)
    s = spin_states(n)
    want = np.zeros((4, 4))
    v_index = (s[:, buffer + 1] > 0) + 2 * (s[:, buffer + 2] > 0)
    e_index = (s[:, 0] > 0) + 2 * (s[:, n - 1] > 0)
    np.add.at(want, (v_index, e_index), p)
    assert chain_block_environment(K, buffer) == pytest.approx(want, rel=1e-13, abs=1e-17)


def test_information_falls_with_the_buffer() -> None:
    for K in (0.1, 0.4407, 1.0):
        mi = [chain_mutual_information(K, b) for b in range(5)]
        assert all(a > b > 0 for a, b in itertools.pairwise(mi))
        assert chain_mutual_information(K) == mi[1]  # the default is one buffer site
        # a unit never keeps more than the block has
        for b in range(5):
            assert chain_rule_information(K, [[1.3, 0.4]], [0.0], b) < mi[b]


# ---------------------------------------------------------------------------------------------
# coarse couplings against all spins of a ring


def brute_ring_couplings(K: float, lam1: float, lam2: float, n_blocks: int) -> dict:
    """Walsh coefficients of ln P(H) on a ring of n_blocks blocks: all 4^n_blocks spin
    configurations summed, nothing shared with gpurg.rg.chain."""
    n = 2 * n_blocks
    s = spin_states(n).astype(np.float64)
    log_w = K * (s * np.roll(s, -1, axis=1)).sum(axis=1)  # ring bonds
    h = spin_states(n_blocks).astype(np.float64)  # (2^N, N)
    field = lam1 * s[:, 0::2] + lam2 * s[:, 1::2]  # (4^N, N)
    rule = np.ones((len(s), len(h)))
    for b in range(n_blocks):
        rule *= sigmoid(2.0 * field[:, b][:, None] * h[:, b][None, :])
    log_p = np.log(np.exp(log_w - log_w.max()) @ rule)
    return {name: float(np.mean(log_p * np.prod(h[:, list(sites)], axis=1)))
            for name, sites in SETS.items()}


@pytest.mark.parametrize("K, lam", [(0.4407, (1.3, -0.4)), (1.0, (0.7, 2.1)),
                                    (-0.6, (2.0, 2.0)), (0.3, (0.0, 1.5))])
def test_ring_couplings_match_all_spins_summed(K, lam) -> None:
    got = _ring_couplings(K, np.array([lam[0]]), np.array([lam[1]]), 6, None)
    want = brute_ring_couplings(K, *lam, 6)
    for name in SETS:
        assert got[name][0] == pytest.approx(want[name], rel=1e-10, abs=1e-14), name


def test_converged_couplings_stand_on_longer_rings() -> None:
    # a ring of odd length (its halves unequal) against all spins, then the converged values
    # against a ring 4 blocks longer than the one they stopped at
    K = 0.1
    lam1, lam2 = np.array([1.0, 2.0]), np.array([-0.5, 2.0])
    for k in range(2):
        got = _ring_couplings(K, lam1[k:k + 1], lam2[k:k + 1], 7, None)
        want = brute_ring_couplings(K, lam1[k], lam2[k], 7)
        for name in SETS:
            assert got[name][0] == pytest.approx(want[name], rel=1e-10, abs=1e-15), name
    conv = chain_couplings(K, lam1, lam2)
    assert conv.converged.all() and (conv.ring <= 14).all()
    for k in range(2):
        longer = _ring_couplings(K, lam1[k:k + 1], lam2[k:k + 1], int(conv.ring[k]) + 4, None)
        for name in SETS:
            assert getattr(conv, name)[k] == pytest.approx(longer[name][0], rel=1e-11,
                                                           abs=1e-15), name


def test_decimation_axis() -> None:
    """On the decimation axes K'_2(1) -> atanh(tanh^2 K) and rangeness, m-bodyness -> 0."""
    for K in (0.1, 0.4407, 1.0):
        exact = chain_couplings(K, [1000.0, 0.0, -1000.0], [0.0, 1000.0, 0.0])
        assert exact.K2_1 == pytest.approx(math.atanh(math.tanh(K) ** 2), rel=1e-12)
        assert np.abs(exact.K2_2).max() < 1e-14 and np.abs(exact.K4).max() < 1e-14
        lam = np.array([1.0, 2.0, 4.0, 30.0])  # the last at the rounding floor
        on_axis = chain_couplings(K, lam, 0.0, max_ring=20)
        rangeness = np.abs(on_axis.K2_2 / on_axis.K2_1)
        mbodyness = np.abs(on_axis.K4 / on_axis.K2_1)
        assert (np.diff(rangeness[:3]) < 0).all() and rangeness[-1] < 1e-12
        assert (np.diff(mbodyness[:3]) < 0).all() and mbodyness[-1] < 1e-12
        assert np.abs(on_axis.K2_1 - math.atanh(math.tanh(K) ** 2))[-1] < 1e-10


def test_cumulant_first_order_and_convergence_to_exact() -> None:
    K = 0.4407
    lam1, lam2 = np.array([1.3, 2.0, 0.6]), np.array([-0.4, 2.0, 0.1])
    # order 1: C_1 = K <v2>_h <v1'>_h' on each bond, so K'_2(1) = K m1 m2 with m_i = <v_i>
    # of a lone block given h = +1 (its four states summed here), and no longer couplings
    first = chain_cumulant_couplings(K, lam1, lam2, 1)
    for k in range(3):
        w = {(a, b): math.exp(K * a * b) * sigmoid(2.0 * (lam1[k] * a + lam2[k] * b))
             for a, b in itertools.product((-1, 1), repeat=2)}
        z = sum(w.values())
        m1 = sum(a * x for (a, _), x in w.items()) / z
        m2 = sum(b * x for (_, b), x in w.items()) / z
        assert first.K2_1[k] == pytest.approx(K * m1 * m2, rel=1e-12)
    assert np.abs(first.K2_2).max() < 1e-15 and np.abs(first.K4).max() < 1e-15
    exact = chain_couplings(K, lam1, lam2)
    errors = []
    for order in (2, 4, 6, 9):
        c = chain_cumulant_couplings(K, lam1, lam2, order)
        errors.append(max(np.abs(getattr(c, n) - getattr(exact, n)).max() for n in SETS))
    assert all(a > b for a, b in itertools.pairwise(errors)), errors
    assert errors[-1] < 2e-6, errors


# ---------------------------------------------------------------------------------------------
# the landscape: PRX's facts


@pytest.mark.parametrize("K, dec, maj", TABLE)
def test_saturated_rules_reproduce_the_science_table(K, dec, maj) -> None:
    assert abs(chain_point(K, 1000.0, 0.0)["info_kept"] - float(dec)) <= half_unit(dec)
    assert abs(chain_point(K, 1000.0, 1000.0)["info_kept"] - float(maj)) <= half_unit(maj)


def test_decimation_keeps_most_and_majority_least_on_the_quadrant() -> None:
    """Along the arc λ = r (cos θ, sin θ), θ in [0, π/2]: the least at majority, the most at
    decimation (at r = 3 within 1% of it, some degrees off the axis)."""
    theta = np.linspace(0.0, math.pi / 2, 31)
    for K in (0.1, 0.4407, 1.0):
        for radius in (3.0, 1000.0):
            kept = [chain_point(K, radius * math.cos(t), radius * math.sin(t))["info_kept"]
                    for t in theta]
            assert int(np.argmin(kept)) == 15  # λ1 = λ2
            if radius == 1000.0:
                assert max(kept[0], kept[-1]) >= max(kept) - 1e-12
            else:  # a soft unit gains a little by reading the other spin a little
                assert 0.0 <= max(kept) - kept[0] < 0.01 * kept[0]


def test_landscape_saturates_in_lambda() -> None:
    for K in (0.1, 0.4407, 1.0):
        for lam in ((1.0, 0.0), (1.0, 1.0)):  # (3, 1.5) is soft, (1000, 500) decimation
            near = chain_point(K, 3 * lam[0], 3 * lam[1])
            far = chain_point(K, 1000 * lam[0], 1000 * lam[1])
            assert near["info_kept"] == pytest.approx(far["info_kept"], rel=0.015)
            assert near["K2_1"] == pytest.approx(far["K2_1"], rel=0.03)


def test_couplings_and_information_are_symmetric() -> None:
    """h -> -h maps (λ1, λ2) to (-λ1, -λ2); reversing the chain maps it to (λ2, λ1): on
    every ring (here all of 10 blocks: no tolerance stops them earlier)."""
    rng = np.random.default_rng(3)
    lam1, lam2 = rng.normal(scale=1.5, size=(2, 6))
    one = chain_couplings(0.7, lam1, lam2, max_ring=10, rtol=0.0, atol=0.0)
    assert (one.ring == 10).all()
    for a, b in ((-lam1, -lam2), (lam2, lam1), (-lam2, -lam1)):
        other = chain_couplings(0.7, a, b, max_ring=10, rtol=0.0, atol=0.0)
        for name in SETS:
            assert getattr(other, name) == pytest.approx(getattr(one, name), rel=1e-12,
                                                         abs=1e-15), name
        for k in range(6):
            assert chain_rule_information(0.7, [[a[k], b[k]]], [0.0], 2) == pytest.approx(
                chain_rule_information(0.7, [[lam1[k], lam2[k]]], [0.0], 2), rel=1e-12)


def test_landscape_grid_and_file(tmp_path) -> None:
    land = chain_landscape(0.4407, buffer=2, grid=9, max_lambda=2.0)
    assert land.lam[0] == -2.0 and land.lam[-1] == 2.0 and land.lam[4] == 0.0
    np.testing.assert_array_equal(land.lam, -land.lam[::-1])
    assert np.abs(land.mi - land.mi[::-1, ::-1]).max() <= 1e-12 * land.mi.max()
    # index [i, j] is (λ1, λ2) = (lam[i], lam[j])
    assert land.K2_1[8, 6] == pytest.approx(float(chain_couplings(0.4407, 2.0, 1.0).K2_1))
    assert land.mi[8, 6] == pytest.approx(chain_rule_information(0.4407, [[2.0, 1.0]], [0.0],
                                                                 2), rel=1e-12)
    assert np.isnan(land.rangeness[4, 4]) and np.isnan(land.mbodyness[4, 4])
    assert np.isfinite(land.rangeness).sum() == 80
    cumulant = chain_landscape(0.4407, buffer=2, grid=9, max_lambda=2.0, order=6)
    assert np.abs(cumulant.K2_1 - land.K2_1).max() < 1e-3
    write_landscape(tmp_path / "land.h5", land)
    back = read_landscape(tmp_path / "land.h5")
    assert back.order is None and back.path is None and back.buffer == 2
    for name in ("lam", "mi", "K2_1", "rangeness", "ring"):
        np.testing.assert_array_equal(getattr(back, name), getattr(land, name))


def test_chain_pairs_have_the_buffer_geometry() -> None:
    V, E = chain_pairs(0.4407, 2, 5000, seed=3)
    assert V.shape == E.shape == (5000, 2)
    # the empirical P(V, E) against the exact one (16 cells of ~300 pairs each)
    idx_v = (V[:, 0] > 0) + 2 * (V[:, 1] > 0)
    idx_e = (E[:, 0] > 0) + 2 * (E[:, 1] > 0)
    counts = np.zeros((4, 4))
    np.add.at(counts, (idx_v, idx_e), 1.0)
    expected = 5000 * chain_block_environment(0.4407, 2)
    assert (np.abs(counts - expected) < 5 * np.sqrt(expected) + 5).all()


def test_training_path_is_recorded_and_deterministic() -> None:
    one = chain_training_path(1.0, 1, pairs=4000, epochs=3, seed=5)
    two = chain_training_path(1.0, 1, pairs=4000, epochs=3, seed=5)
    assert one.lam.shape == (3, 2) and one.mi.shape == one.info_kept.shape == (3,)
    np.testing.assert_array_equal(one.lam, two.lam)
    assert (one.info_kept > 0.3).all()  # at K = 1 the unit reads the block from epoch 1


def _angle_from_axis(lam: np.ndarray) -> float:
    """Degrees between (λ1, λ2) and the nearer decimation axis."""
    return math.degrees(math.atan2(np.abs(lam).min(), np.abs(lam).max()))


@pytest.mark.parametrize("K, floor", [(0.1, 0.49), (1.0, 0.74)])
def test_exact_ascent_climbs_to_decimation(K, floor) -> None:
    path = chain_exact_path(K, 1, seed=0)
    assert path.lam.shape == (1001, 2) and path.mi.shape == path.info_kept.shape == (1001,)
    for k in (0, 500, 1000):
        assert path.mi[k] == pytest.approx(chain_rule_information(K, [path.lam[k]], [0.0], 1),
                                           rel=1e-12)
    # Adam's steps (<= 0.1) are small against the landscape's curvature: every step climbs.
    # Tolerance 1e-12 of I(V:E): the rounding of the MI sum (gpurg.rsmi.exact), far below
    # the smallest climb measured (4e-12 nats of 1e-4 at K = 0.1 late in the decay)
    assert np.diff(path.mi).min() >= -1e-12 * chain_mutual_information(K, 1)
    # decimation at λ = 3 keeps 0.4999 (K = 0.1) and 0.7506 (K = 1); the ascent passes it
    end = path.lam[-1]
    assert path.info_kept[-1] > floor and np.abs(end).max() > 3.0
    # the rule it ends at is decimation of one spin: h = that spin with P > 0.99 for every
    # block state (σ(2 (|λ_big| - |λ_small|)))
    assert 1.0 / (1.0 + math.exp(-2.0 * (np.abs(end).max() - np.abs(end).min()))) > 0.99
    # and it has climbed onto the ridge: the best angle at its radius |λ| is 1.3 deg from the
    # axis at K = 0.1 but 12 deg at K = 1 (the ridge reaches the axis only as |λ| -> ∞)
    radius = float(np.hypot(*end))
    theta = np.radians(np.linspace(0.0, 45.0, 451))
    ridge = math.degrees(theta[np.argmax([chain_rule_information(
        K, [[radius * math.cos(t), radius * math.sin(t)]], [0.0], 1) for t in theta])])
    assert abs(_angle_from_axis(end) - ridge) < 5.0
    if K == 0.1:
        assert _angle_from_axis(end) < 2.0


def test_exact_ascent_start_gradient_and_seed() -> None:
    # the start: the exact canonical direction (majority) plus 10% jitter, unit variance
    table = chain_block_environment(1.0, 1)
    s = spin_states(2).astype(np.float64)
    c_vv = s.T @ (table.sum(axis=1)[:, None] * s)
    start = chain_exact_start(1.0, 1, seed=4)
    assert start @ c_vv @ start == pytest.approx(1.0, rel=1e-12)
    assert abs(start[0] - start[1]) < 0.3 * np.abs(start).max()
    # the analytic gradient against central differences
    lam, h = np.array([0.7, -1.3]), 1e-6
    value, grad = _information_gradient(table, lam)
    fd = [(chain_rule_information(1.0, [lam + h * e], [0.0], 1)
           - chain_rule_information(1.0, [lam - h * e], [0.0], 1)) / (2 * h) for e in np.eye(2)]
    np.testing.assert_allclose(grad, fd, rtol=1e-6)
    one = chain_exact_path(1.0, 1, steps=50, seed=4)
    np.testing.assert_array_equal(one.lam, chain_exact_path(1.0, 1, steps=50, seed=4).lam)
    np.testing.assert_array_equal(one.lam[0], start)
    assert not np.array_equal(one.lam, chain_exact_path(1.0, 1, steps=50, seed=5).lam)
