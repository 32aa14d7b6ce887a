"""Labelling conventions leave the physics alone: a unit's sign and the order of the units are
conventions of a coarse-graining rule, and exponents, coarse configurations and I(H:E) must not
depend on them (issue 9: the learned rule's y_h was NaN for half of the training seeds)."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import permutations
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gpurg.models.ising_exact import T_C
from gpurg.rg import MajorityRule, mcrg
from gpurg.rg.maps import RGMap, RsmiRule, make_map
from gpurg.rsmi.exact import ising_local_information
from gpurg.rsmi.files import read_filter, write_filter
from gpurg.rsmi.geometry import Geometry, extract_pairs
from gpurg.rsmi.rule import CoarseGrainingRule, hidden_states
from gpurg.rsmi.training import TrainResult
from gpurg.sampling import ising_configurations

K_C = 1 / T_C
REPLICAS, SNAPSHOTS = 32, 8


@pytest.fixture(scope="module")
def critical() -> np.ndarray:
    """int8 (256, 32, 32) Swendsen-Wang snapshots at T_c, snapshot-major."""
    return ising_configurations(32, T_C, replicas=REPLICAS, thermalize=40, samples=SNAPSHOTS,
                                every=3, seed=21, device="cpu")


@dataclass(frozen=True)
class Flipped(RGMap):
    """Another map with the coarse spins' sign convention flipped at the levels in ``flip``:
    level k's lattice is exactly minus that of ``inner`` where k - 1 is in ``flip`` (the
    input is turned back first, since majority's tie coins are not odd in the input)."""

    inner: RGMap
    flip: tuple[int, ...]

    @property
    def b(self) -> int:  # type: ignore[override]
        return self.inner.b

    def _apply(self, configs: Any, *, seed: int, level: int) -> Any:
        plain = -configs if level - 1 in self.flip else configs
        out = self.inner(plain, seed=seed, level=level)
        return -out if level in self.flip else out


@pytest.mark.parametrize("flip", [(0, 1, 2), (1,), (0, 2)])
def test_mcrg_exponents_do_not_depend_on_the_coarse_spins_sign(critical, flip) -> None:
    """Catches an odd sector read by the largest real part: flipping the coarse spins at a
    level turns T_odd into -T_odd, λ_h < 0 and y_h = NaN (as on the old code)."""
    blocks = np.tile(np.arange(REPLICAS), SNAPSHOTS)
    plain = mcrg(critical, MajorityRule(2), seed=3, blocks=blocks)
    flipped = mcrg(critical, Flipped(MajorityRule(2), flip), seed=3, blocks=blocks)
    ok = ~np.isnan(plain.y_h)
    assert ok[:, 0].all() and np.isfinite(flipped.y_h[ok]).all()
    for a, b in ((plain.y_t, flipped.y_t), (plain.y_t_err, flipped.y_t_err),
                 (plain.y_h, flipped.y_h), (plain.y_h_err, flipped.y_h_err)):
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-12, equal_nan=True)


def test_a_filter_and_its_negative_are_one_map(critical, tmp_path: Path) -> None:
    """A learned filter and its negative, in memory and through filter files, give the same
    coarse configurations bit for bit and identical exponents. Catches a map or a filter file
    that keeps the sign training happened to end in."""
    w = np.array([[0.95, 0.91, 0.92, 0.78]])
    plus = CoarseGrainingRule(w, np.zeros(1))
    minus = CoarseGrainingRule(-w, np.zeros(1))
    a, b = RsmiRule(plus, 2), RsmiRule(minus, 2)
    np.testing.assert_array_equal(a(critical, seed=4, level=1), b(critical, seed=4, level=1))
    for rule, name in ((plus, "plus.h5"), (minus, "minus.h5")):
        write_filter(tmp_path / name, TrainResult(rule, 0.4, 0.01, np.zeros(1), np.zeros(1)),
                     Geometry(2, 2, 2), {})
        np.testing.assert_array_equal(read_filter(tmp_path / name).rule.filters, w)
    blocks = np.tile(np.arange(REPLICAS), SNAPSHOTS)
    results = [mcrg(critical, make_map(f"rsmi:{tmp_path / name}"), seed=2, blocks=blocks)
               for name in ("plus.h5", "minus.h5")]
    np.testing.assert_array_equal(results[0].y_h, results[1].y_h)
    np.testing.assert_array_equal(results[0].y_t, results[1].y_t)
    assert np.isfinite(results[0].y_h[:, 0]).all()


def relabelled(rule: CoarseGrainingRule, signs: np.ndarray, order: np.ndarray
               ) -> CoarseGrainingRule:
    return CoarseGrainingRule(rule.filters[order] * signs[:, None], rule.bias[order] * signs)


def test_canonical_labelling_is_one_representative() -> None:
    """Every one of the 2^n n! labellings of a rule has the same canonical form, bit for bit;
    canonical units have positive total weight (the largest weight positive when the sum is
    zero) and decreasing norms; and P(H|V) is the same distribution with H relabelled.
    Catches an orientation or order that depends on the labelling it starts from."""
    rng = np.random.default_rng(5)
    filters = rng.normal(size=(3, 4))
    filters[1] = [0.5, -0.5, 0.25, -0.25]  # sums to zero: a staggered filter
    rule = CoarseGrainingRule(filters, rng.normal(size=3))
    canonical = rule.canonical()
    totals = canonical.filters.sum(axis=1)
    zero = np.isclose(totals, 0)
    assert zero.sum() == 1 and (totals[~zero] > 0).all()
    assert canonical.filters[zero][0, 0] == 0.5
    assert (np.diff(np.linalg.norm(canonical.filters, axis=1)) <= 0).all()
    np.testing.assert_array_equal(canonical.canonical().filters, canonical.filters)
    v = np.where(rng.random((50, 4)) < 0.5, 1, -1)
    h = hidden_states(3)
    index = {tuple(row): k for k, row in enumerate(h)}
    p_canonical = canonical.probabilities(v)
    for order in permutations(range(3)):
        for bits in range(8):
            signs = np.where((bits >> np.arange(3)) & 1, -1.0, 1.0)
            # unit i of `other` is canonical unit order[i] times signs[i]
            other = relabelled(canonical, signs, np.array(order))
            again = other.canonical()
            np.testing.assert_array_equal(again.filters, canonical.filters)
            np.testing.assert_array_equal(again.bias, canonical.bias)
            # H of `other` is H' of the canonical rule with H'[order[i]] = signs[i] H[i]
            columns = []
            for row in h:
                mapped = np.empty(3, np.int64)
                mapped[list(order)] = signs * row
                columns.append(index[tuple(mapped)])
            np.testing.assert_allclose(other.probabilities(v), p_canonical[:, columns],
                                       rtol=1e-12)


def test_exact_information_is_the_same_for_every_labelling(critical) -> None:
    """I(H:E) of a two-unit rule, exact in P(V|E) at buffer 0, for the rule and for relabelled
    copies: equal to rounding. Catches an estimator that depends on a unit's sign or order."""
    geometry = Geometry(2, 0, 2)
    _, E = extract_pairs(critical, geometry, positions=4000, seed=1)
    rule = CoarseGrainingRule(np.array([[1.0, 0.8, 0.9, 1.1], [0.4, -0.3, 0.2, -0.5]]),
                              np.zeros(2))
    ref = ising_local_information(K_C, geometry, rule.filters, rule.bias, E)
    for signs, order in (([-1.0, 1.0], [0, 1]), ([1.0, -1.0], [1, 0]), ([-1.0, -1.0], [1, 0])):
        other = relabelled(rule, np.array(signs), np.array(order))
        got = ising_local_information(K_C, geometry, other.filters, other.bias, E)
        np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(ref, dtype=float),
                                   rtol=1e-10)
