"""Symmetries of RSMI: coarse-graining commutes with the lattice's translations by a block and
with its rotations and reflections (the filter rotated and reflected with it), and the
variational MI estimate of a fixed rule does not depend on how its units are labelled."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gpurg.rsmi.coarse import coarse_grain
from gpurg.rsmi.exact import chain_rule_information, sample_chain
from gpurg.rsmi.rule import CoarseGrainingRule
from gpurg.rsmi.training import train_rule

SIGMAS = 4.0

# Generic weights (square roots of distinct primes, linearly independent over the rationals):
# no sum of ±weights and bias vanishes, so mode "max" has no ties and no random draw (ties are
# drawn by Philox words keyed by the tile's position, which no symmetry preserves).
_ROOTS = np.sqrt([2.0, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37])
FILTERS_2 = np.array([[1, -1, 1, 1], [1, 1, -1, 1]]) * _ROOTS[:8].reshape(2, 4) / 5
FILTERS_3 = np.array([[1, -1, 1, 1, 1, -1, 1, 1, -1]]) * _ROOTS[:9] / 5
BIASES = _ROOTS[10:] / 50


def _spins(n: int, L: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.choice(np.array([-1, 1], np.int8), size=(n, L, L))


def _no_ties(rule: CoarseGrainingRule, block: int) -> None:
    """Guard of the test's premise: no block state has a vanishing activation."""
    states = np.array(np.meshgrid(*[[-1.0, 1.0]] * block**2)).reshape(block**2, -1).T
    assert np.abs(states @ rule.filters.T + rule.bias).min() > 1e-3


def dihedral(x: np.ndarray, k: int, flip: bool) -> np.ndarray:
    """The lattice symmetry (rotation by k quarter turns, then an optional mirror) on the last
    two axes."""
    y = np.rot90(x, k, axes=(-2, -1))
    return y[..., ::-1] if flip else y


def transformed_rule(rule: CoarseGrainingRule, block: int, k: int, flip: bool
                     ) -> CoarseGrainingRule:
    """The filter seen on the transformed lattice: each unit's block image transformed alike."""
    images = rule.filters.reshape(rule.n_hidden, block, block)
    return CoarseGrainingRule(np.ascontiguousarray(dihedral(images, k, flip)).reshape(
        rule.n_hidden, -1), rule.bias)


@pytest.mark.parametrize("block, filters", [(2, FILTERS_2), (3, FILTERS_3)])
def test_coarse_graining_commutes_with_translations_by_a_block(block, filters) -> None:
    """Shifting the lattice by (b dy, b dx) shifts the coarse lattice by (dy, dx), bit for bit
    (mode "max", no ties), for every shift of the coarse torus; a shift that is not a multiple
    of b gives a different coarse lattice (the check sees the tiling). Catches tiles that are
    not contiguous b x b blocks (checked on a broken copy: tiles of sites L/b apart)."""
    rule = CoarseGrainingRule(filters, BIASES[:len(filters)])
    _no_ties(rule, block)
    L = 4 * block
    spins = _spins(6, L, seed=1)
    coarse = coarse_grain(spins, rule, block, mode="max", device="numpy")
    for dy in range(4):
        for dx in range(4):
            shifted = np.roll(spins, (block * dy, block * dx), axis=(1, 2))
            np.testing.assert_array_equal(
                coarse_grain(shifted, rule, block, mode="max", device="numpy"),
                np.roll(coarse, (dy, dx), axis=(2, 3)), err_msg=f"shift {(dy, dx)}")
    off_grid = coarse_grain(np.roll(spins, 1, axis=2), rule, block, mode="max", device="numpy")
    assert not any(np.array_equal(off_grid, np.roll(coarse, s, axis=3)) for s in range(4))


@pytest.mark.parametrize("block, filters", [(2, FILTERS_2), (3, FILTERS_3)])
def test_coarse_graining_commutes_with_rotations_and_reflections(block, filters) -> None:
    """For all 8 symmetries g of the square: coarse-graining g(lattice) with g(filter) gives
    g(coarse lattice), bit for bit (mode "max", no ties); the probabilities of mode "sample"
    are transformed alike. The untransformed filter on a rotated lattice gives another
    coarse lattice (the filters are not symmetric), so the check sees the filter's orientation.
    Catches a visible index that is not row-major y b + x within a tile, i.e. a filter
    applied transposed against the lattice (checked on a broken copy: x b + y)."""
    from gpurg.rsmi.coarse import tiles

    rule = CoarseGrainingRule(filters, np.zeros(len(filters)))
    _no_ties(rule, block)
    L = 4 * block
    spins = _spins(5, L, seed=2)
    coarse = coarse_grain(spins, rule, block, mode="max", device="numpy")
    prob = rule.probabilities(tiles(spins, block).reshape(-1, block**2))
    prob = prob.reshape(5, 4, 4, -1)
    for k in range(4):
        for flip in (False, True):
            g_rule = transformed_rule(rule, block, k, flip)
            g_spins = np.ascontiguousarray(dihedral(spins, k, flip))
            np.testing.assert_array_equal(
                coarse_grain(g_spins, g_rule, block, mode="max", device="numpy"),
                dihedral(coarse, k, flip), err_msg=f"k={k} flip={flip}")
            g_prob = g_rule.probabilities(tiles(g_spins, block).reshape(-1, block**2))
            np.testing.assert_allclose(g_prob.reshape(5, 4, 4, -1),
                                       dihedral(prob.transpose(0, 3, 1, 2), k, flip)
                                       .transpose(0, 2, 3, 1), rtol=1e-13, atol=0)
            if (k, flip) != (0, False):
                plain = coarse_grain(g_spins, rule, block, mode="max", device="numpy")
                assert not np.array_equal(plain, dihedral(coarse, k, flip))


def _chain_pairs(K: float, n_chains: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(V, E) of the 1D chain: V two neighbours, E the spins two sites beyond them."""
    s = sample_chain(K, n_chains, 40, seed)
    i = np.arange(3, 40 - 4)
    V = np.stack([s[:, i], s[:, i + 1]], axis=-1).reshape(-1, 2)
    E = np.stack([s[:, i - 2], s[:, i + 3]], axis=-1).reshape(-1, 2)
    return V, E


@pytest.mark.slow
def test_variational_estimate_does_not_depend_on_the_labelling_of_the_units() -> None:
    """A fixed two-unit rule with biases on the 1D chain (K = 1), and the same rule with a
    unit's sign flipped (λ_j, b_j -> -λ_j, -b_j), both flipped, the units swapped, and swapped
    and flipped: P_Λ(H|V) is the same distribution with H relabelled, so I_Λ(H:E) is the same
    (exactly: ``chain_rule_information`` agrees to rounding). The estimates share the pairs and
    the held-out split (one seed), so the pairs' noise cancels between labellings; what
    remains is the predictor's training noise, measured by the spread of 6 restarts (random
    predictor initialisations) of each labelling. The restarts' means must agree within 4σ
    of that spread (a predictor's initial weights are exchangeable over the H states, so
    every labelling has the same distribution of results). Also checks each mean against the
    exact value within 4 of the held-out error, from below (Barber-Agakov: the bound is below
    I_Λ up to noise).

    Catches, by the restarts' comparison alone (checked on broken copies with the exact
    checks disabled, which catch them too): P(h_j = -1|V) computed with an activation of the
    wrong scale (sigmoid(-a) instead of sigmoid(-2a): flipping a unit then moves the mean by
    0.07, 77σ); all units reading the first unit's activation (swapping the units then moves
    it by 0.045, 770σ)."""
    K = 1.0
    V, E = _chain_pairs(K, 400, seed=2)
    filters, bias = np.array([[2.0, 0.3], [0.4, -1.5]]), np.array([0.3, -0.2])
    exact = chain_rule_information(K, filters, bias)
    means, spreads = [], []
    for signs, order in [((1, 1), (0, 1)), ((-1, 1), (0, 1)), ((-1, -1), (0, 1)),
                         ((1, 1), (1, 0)), ((1, -1), (1, 0))]:
        s, o = np.array(signs, dtype=np.float64), list(order)
        rule = CoarseGrainingRule(filters[o] * s[:, None], bias[o] * s)
        assert chain_rule_information(K, rule.filters, rule.bias) == pytest.approx(exact,
                                                                                   rel=1e-12)
        result = train_rule(V, E, rule=rule, epochs=6, restarts=6, width=8, batch_size=128,
                            learning_rate=0.03, seed=4)
        means.append(result.restarts.mean())
        spreads.append(result.restarts.std(ddof=1) / math.sqrt(len(result.restarts)))
        assert -SIGMAS * result.mi_err <= exact - means[-1] <= SIGMAS * result.mi_err, (
            signs, order, means[-1], result.mi_err, exact)
    for mean, spread in zip(means[1:], spreads[1:], strict=True):
        assert abs(mean - means[0]) <= SIGMAS * math.hypot(spread, spreads[0]), (means, spreads)
