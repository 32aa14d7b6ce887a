"""RG maps (gpurg.rg.maps) and Ising operator sums (gpurg.rg.operators)."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from gpurg.errors import InputError
from gpurg.rg.maps import (
    MAPS,
    STREAM_MAJORITY,
    Decimation,
    MajorityRule,
    RGMap,
    RsmiRule,
    make_map,
    tie_coins,
)
from gpurg.rg.operators import EVEN, ODD, n_fitting, operator_sums, span
from gpurg.rsmi.rule import CoarseGrainingRule


def random_spins(n: int, L: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.where(rng.random((n, L, L)) < 0.5, 1, -1).astype(np.int8)


# ---------------------------------------------------------------- maps


@pytest.mark.parametrize("rg_map, L, Lc", [(MajorityRule(2), 8, 4), (MajorityRule(3), 9, 3),
                                           (Decimation(2), 8, 4), (Decimation(3), 12, 4)])
def test_shapes_and_dtype(rg_map, L, Lc):
    out = rg_map(random_spins(5, L), seed=1, level=0)
    assert out.shape == (5, Lc, Lc) and out.dtype == np.int8
    assert set(np.unique(out)) <= {-1, 1}


def test_majority_b2_exact_values():
    # blocks with sums +4, +2, -2, -4 (no ties): signs +, +, -, -
    c = np.array([[[1, 1, 1, 1], [1, 1, -1, 1], [-1, -1, -1, -1], [1, -1, -1, -1]]],
                 dtype=np.int8)
    assert MajorityRule(2)(c).tolist() == [[[1, 1], [-1, -1]]]


def test_majority_b3_exact_values():
    c = -np.ones((1, 6, 6), dtype=np.int8)
    c[0, :3, :3] = [[1, 1, 1], [1, 1, -1], [-1, -1, -1]]  # sum +1
    c[0, 3:, 3:] = [[1, 1, 1], [1, -1, 1], [-1, 1, -1]]  # sum +3
    c[0, :3, 3:] = [[1, 1, 1], [1, -1, -1], [-1, -1, -1]]  # sum -1
    assert MajorityRule(3)(c).tolist() == [[[1, -1], [-1, 1]]]


def test_decimation_exact_values():
    c = random_spins(3, 12, seed=4)
    assert np.array_equal(Decimation(2)(c), c[:, ::2, ::2])
    assert np.array_equal(Decimation(3)(c), c[:, ::3, ::3])
    assert Decimation(2)(c).flags.c_contiguous


def test_majority_ties_random_fair_and_reproducible():
    # every 2x2 block of a striped lattice sums to 0: all coarse spins are coin flips
    c = np.tile(np.array([1, -1], dtype=np.int8), (400, 16, 8))
    a = MajorityRule(2)(c, seed=7, level=2)
    assert np.array_equal(a, MajorityRule(2)(c, seed=7, level=2))
    assert not np.array_equal(a, MajorityRule(2)(c, seed=7, level=3))
    assert not np.array_equal(a, MajorityRule(2)(c, seed=8, level=2))
    p = (a == 1).mean()  # 400 * 64 = 25600 coins: sigma of p is 0.0031
    assert abs(p - 0.5) < 0.015
    # the layout: counter (coarse site, sample, level, 11)
    sample, y, x = np.nonzero(np.ones_like(a, dtype=bool))
    expect = tie_coins(a.shape, sample, y * 8 + x, 7, 2).reshape(a.shape)
    assert np.array_equal(a, expect) and STREAM_MAJORITY == 11


def test_majority_ties_only_where_tied():
    c = random_spins(200, 8, seed=2)
    s = c.reshape(200, 4, 2, 4, 2).sum(axis=(2, 4))
    a, b = MajorityRule(2)(c, seed=1), MajorityRule(2)(c, seed=2)
    assert np.array_equal(a[s != 0], np.sign(s[s != 0]))
    assert not np.array_equal(a[s == 0], b[s == 0])


@pytest.mark.parametrize("rg_map", [MajorityRule(2), MajorityRule(3), Decimation(2)])
def test_b_not_dividing_L(rg_map):
    with pytest.raises(InputError):
        rg_map(random_spins(2, 10 if rg_map.b == 3 else 9))


def test_bad_inputs():
    with pytest.raises(InputError):
        MajorityRule(1)
    with pytest.raises(InputError):
        Decimation(2)(np.ones((2, 4, 6), dtype=np.int8))
    with pytest.raises(InputError):  # no lattice axis ((4, 4) is four 1D chains now)
        MajorityRule(2)(np.ones(4, dtype=np.int8))
    with pytest.raises(InputError):
        make_map("median")
    with pytest.raises(InputError):
        make_map("majority:x")
    with pytest.raises(InputError):
        make_map("rsmi:/nonexistent/filter.h5")


def test_rsmi_rule_max_mode_is_majority():
    # a uniform strong filter in "max" mode takes the sign of the block sum: majority for b=3
    rule = CoarseGrainingRule(np.ones((1, 9)), np.zeros(1))
    c = random_spins(20, 9, seed=3)
    rsmi = RsmiRule(rule, 3, mode="max")
    assert rsmi.b == 3
    out = rsmi(c, seed=0, level=0)
    assert out.shape == (20, 3, 3) and out.dtype == np.int8
    assert np.array_equal(out, MajorityRule(3)(c))
    with pytest.raises(InputError):
        RsmiRule(CoarseGrainingRule(np.ones((2, 9)), np.zeros(2)), 3)
    with pytest.raises(InputError):
        RsmiRule(rule, 2)


def test_make_map_specs(tmp_path):
    assert make_map("majority") == MajorityRule(2)
    assert make_map("majority:3") == MajorityRule(3)
    assert make_map("decimation") == Decimation(2)
    assert make_map("Decimation:4") == Decimation(4)
    path = tmp_path / "f.h5"
    with h5py.File(path, "w") as f:
        f["filter"] = np.ones((1, 2, 2))
        f["bias"] = np.zeros(1)
        f.attrs.update({"format": "gpurg-filter", "block": 2, "buffer": 1, "env": 2})
    m = make_map(f"rsmi:{path}")
    assert isinstance(m, RsmiRule) and m.b == 2
    assert np.array_equal(m.rule.filters, np.ones((1, 4)))


# ---------------------------------------------------------------- operators

# Independent hand-written definitions: for each operator, a function of (s, y, x) giving the
# terms attached to site (y, x); the brute-force sum loops over all sites.
def _brute(s: np.ndarray) -> dict[str, float]:
    L = s.shape[0]

    def v(y, x):
        return int(s[y % L, x % L])

    terms = {
        "nn": lambda y, x: v(y, x) * (v(y, x + 1) + v(y + 1, x)),
        "nnn": lambda y, x: v(y, x) * (v(y + 1, x + 1) + v(y + 1, x - 1)),
        "plaquette": lambda y, x: v(y, x) * v(y, x + 1) * v(y + 1, x) * v(y + 1, x + 1),
        "third": lambda y, x: v(y, x) * (v(y, x + 2) + v(y + 2, x)),
        "knight": lambda y, x: v(y, x) * (v(y + 1, x + 2) + v(y + 2, x + 1)
                                          + v(y + 1, x - 2) + v(y + 2, x - 1)),
        "diag2": lambda y, x: v(y, x) * (v(y + 2, x + 2) + v(y + 2, x - 2)),
        "diamond": lambda y, x: v(y - 1, x) * v(y + 1, x) * v(y, x - 1) * v(y, x + 1),
        "fourth": lambda y, x: v(y, x) * (v(y, x + 3) + v(y + 3, x)),
        "m": lambda y, x: v(y, x),
        "triangle": lambda y, x: sum(v(y, x) * v(y, x + 1) * v(y + 1, x) * v(y + 1, x + 1)
                                     * v(y + dy, x + dx) for dy in (0, 1) for dx in (0, 1)),
        "row3": lambda y, x: v(y, x) * (v(y, x - 1) * v(y, x + 1) + v(y - 1, x) * v(y + 1, x)),
        "diag3": lambda y, x: v(y, x) * (v(y - 1, x - 1) * v(y + 1, x + 1)
                                         + v(y - 1, x + 1) * v(y + 1, x - 1)),
        "cross5": lambda y, x: v(y, x) * v(y - 1, x) * v(y + 1, x) * v(y, x - 1) * v(y, x + 1),
    }
    return {k: float(sum(f(y, x) for y in range(L) for x in range(L))) for k, f in terms.items()}


@pytest.mark.parametrize("L", [4, 5, 7])
def test_operators_against_brute_force(L):
    c = random_spins(4, L, seed=L)
    got = operator_sums(c, EVEN + ODD)
    assert got.dtype == np.float64 and got.shape == (4, len(EVEN) + len(ODD))
    for i in range(4):
        brute = _brute(c[i])
        assert got[i].tolist() == [brute[k] for k in EVEN + ODD]


def test_operator_sets_and_symmetry():
    assert len(EVEN) >= 7 and len(ODD) >= 4
    c = random_spins(6, 8, seed=9)
    assert np.array_equal(operator_sums(-c, EVEN), operator_sums(c, EVEN))
    assert np.array_equal(operator_sums(-c, ODD), -operator_sums(c, ODD))
    # the ground state: one term per bond / cluster
    ones = operator_sums(np.ones((1, 8, 8), dtype=np.int8), ("nn", "knight", "m", "triangle"))
    assert ones.tolist() == [[128.0, 256.0, 64.0, 256.0]]
    assert span("m") == 0 and span("nn") == 1 and span("fourth") == 3
    assert n_fitting(EVEN, 4) == len(EVEN) - 1 and n_fitting(EVEN, 8) == len(EVEN)
    with pytest.raises(InputError):
        operator_sums(c, ("nope",))


def test_maps_work_in_one_and_three_dimensions():
    rng = np.random.default_rng(3)
    chains = rng.choice(np.array([-1, 1], np.int8), (5, 12))
    cubes = rng.choice(np.array([-1, 1], np.int8), (3, 6, 6, 6))
    # odd b: no ties, the majority of a block is the sign of its sum
    maj = MajorityRule(3)(cubes)
    sums = cubes.reshape(3, 2, 3, 2, 3, 2, 3).sum(axis=(2, 4, 6))
    np.testing.assert_array_equal(maj, np.sign(sums))
    assert maj.shape == (3, 2, 2, 2) and maj.dtype == np.int8
    np.testing.assert_array_equal(MajorityRule(3)(chains), np.sign(chains.reshape(5, 4, 3).sum(2)))
    # decimation keeps the corner of each block
    np.testing.assert_array_equal(Decimation(2)(cubes), cubes[:, ::2, ::2, ::2])
    np.testing.assert_array_equal(Decimation(3)(chains), chains[:, ::3])
    # even b: ties get coins, ±1 and reproducible
    even = MajorityRule(2)(cubes, seed=1)
    assert set(np.unique(even)) <= {-1, 1}
    np.testing.assert_array_equal(even, MajorityRule(2)(cubes, seed=1))
    with pytest.raises(InputError, match="equal sides"):
        Decimation(2)(np.ones((2, 4, 4, 6), dtype=np.int8))


def test_a_new_map_is_one_class_that_make_map_finds():
    """An RGMap subclass with a ``spec`` registers itself: make_map, and with it every
    command's --rule, knows it without a list to edit."""

    class Corner(RGMap):  # the bottom-right spin of each block
        spec = "test-corner"

        def __init__(self, b: int = 2) -> None:
            self.b = b

        def _apply(self, configs, *, seed, level):
            return configs[:, self.b - 1::self.b, self.b - 1::self.b]

    try:
        assert MAPS["test-corner"] is Corner
        m = make_map("test-corner:3")
        c = random_spins(4, 9, seed=1)
        assert isinstance(m, Corner) and np.array_equal(m(c), c[:, 2::3, 2::3])
        with pytest.raises(InputError, match=r"allowed: .*test-corner\[:B\]"):
            make_map("nope")
        with pytest.raises(ValueError, match="already registered"):
            type("Other", (Corner,), {"spec": "test-corner"})
    finally:
        MAPS.remove("test-corner")
    assert "test-corner" not in MAPS
