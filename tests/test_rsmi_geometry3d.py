"""RSMI on the simple cubic lattice: the 3D V / B / E geometry, pair extraction, b x b x b
tiles, coarse-graining, filter files and the learned rule as an RG map, each against a
brute-force loop or a hand count."""

from __future__ import annotations

import itertools
from pathlib import Path

import h5py
import numpy as np
import pytest

from gpurg.errors import InputError
from gpurg.rg.maps import RsmiRule, make_map
from gpurg.rsmi.coarse import coarse_grain, tiles
from gpurg.rsmi.files import read_filter, write_filter
from gpurg.rsmi.geometry import Geometry, extract_pairs, lattice_origins
from gpurg.rsmi.rule import CoarseGrainingRule
from gpurg.rsmi.training import TrainResult


def spins(n: int, L: int, seed: int) -> np.ndarray:
    """int8 (n, L, L, L) random ±1 configurations."""
    return np.random.default_rng(seed).choice(np.array([-1, 1], np.int8), (n, L, L, L))


def labelled(n: int, L: int) -> np.ndarray:
    """int32 (n, L, L, L) holding each site's row-major index (z L + y) L + x plus 1000 per
    sample: every extracted value names its sample and site."""
    return (np.arange(L**3).reshape(L, L, L)[None]
            + 1000 * np.arange(n)[:, None, None, None]).astype(np.int32)


def chebyshev_shell(offset: tuple[int, ...], block: int) -> int:
    """Chebyshev distance of a site at ``offset`` from the block [0, block)^d (0 inside)."""
    return max(max(-o, o - (block - 1), 0) for o in offset)


def test_counts_and_offsets() -> None:
    g = Geometry(2, 1, 1, dim=3)
    assert g.span == 6 and g.n_visible == 8 and g.n_env == 6**3 - 4**3 == 152
    v, e = g.visible_offsets, g.env_offsets
    assert v.dtype == e.dtype == np.int64 and v.shape == (8, 3) and e.shape == (152, 3)
    # row-major (z, y, x): visible index (dz b + dy) b + dx
    assert v.tolist() == [list(t) for t in itertools.product(range(2), repeat=3)]
    expected_env = [t for t in itertools.product(range(-2, 4), repeat=3)
                    if chebyshev_shell(t, 2) == 2]  # buffer 1, env 1: shell 2 only
    assert e.tolist() == [list(t) for t in expected_env]
    for block, buffer, env in [(1, 0, 1), (2, 0, 2), (3, 2, 1)]:
        g = Geometry(block, buffer, env, dim=3)
        inner = block + 2 * buffer
        assert g.n_visible == block**3 == len(g.visible_offsets)
        assert g.n_env == g.span**3 - inner**3 == len(g.env_offsets)
        shells = [chebyshev_shell(tuple(o), block) for o in g.env_offsets.tolist()]
        assert min(shells) == buffer + 1 and max(shells) == buffer + env
        assert len({tuple(o) for o in g.env_offsets.tolist()}) == g.n_env
    # the 2D geometry is the one it always was
    assert Geometry(2, 1, 1) == Geometry(2, 1, 1, dim=2) and Geometry(2, 1, 1).n_env == 20


@pytest.mark.parametrize("dim", [1, 4, 2.0, True, "3"])
def test_bad_dimension(dim) -> None:
    with pytest.raises(InputError, match="dimension"):
        Geometry(2, 0, 1, dim=dim)


def test_pairs_against_a_loop() -> None:
    """Every V and E entry of every origin of every sample is the site the geometry names,
    on a 7^3 torus (odd, so that a wrong axis order or modulus shows) with wrap-around."""
    L, n = 7, 2
    g = Geometry(2, 1, 1, dim=3)
    configs = labelled(n, L)
    V, E = extract_pairs(configs, g)
    assert V.shape == (n * L**3, 8) and E.shape == (n * L**3, 152) and V.dtype == np.int32
    k = 0
    for s in range(n):
        for z, y, x in itertools.product(range(L), repeat=3):
            for table, offsets in ((V, g.visible_offsets), (E, g.env_offsets)):
                want = [1000 * s + ((z + dz) % L * L + (y + dy) % L) * L + (x + dx) % L
                        for dz, dy, dx in offsets.tolist()]
                assert table[k].tolist() == want
            k += 1


def test_stride_random_positions_and_dimension_errors() -> None:
    L = 8
    g = Geometry(2, 0, 1, dim=3)
    configs = labelled(3, L)
    V, _ = extract_pairs(configs, g, stride=2)
    assert V.shape == (3 * 64, 8)
    # the b x b x b blocks of one sample tile it: every site once
    assert np.array_equal(np.sort(V[:64].ravel()), np.arange(L**3))
    assert lattice_origins((4, 2, 6), 2).tolist() == [
        [z, y, x] for z in (0, 2) for y in (0,) for x in (0, 2, 4)]
    V_all, E_all = extract_pairs(configs, g)
    for count in (300, 40_000):  # 40,000: three chunks of the gather
        Vr, Er = extract_pairs(configs, g, positions=count, seed=5)
        sample, site = np.divmod(Vr[:, 0].astype(np.int64), 1000)
        index = sample * L**3 + site  # the first visible site is the origin
        assert np.array_equal(Vr, V_all[index]) and np.array_equal(Er, E_all[index])
        assert np.all(np.diff(index) >= 0)
    with pytest.raises(InputError, match=r"\(n, Lz, Ly, Lx\) for a 3D geometry"):
        extract_pairs(configs[:, 0], g)
    with pytest.raises(InputError, match=r"\(n, Ly, Lx\) for a 2D geometry"):
        extract_pairs(configs, Geometry(2, 0, 1))
    with pytest.raises(InputError, match="spans 6"):
        extract_pairs(labelled(1, 5), Geometry(2, 1, 1, dim=3))
    with pytest.raises(InputError, match="3D geometry does not apply to a 2D lattice"):
        g.check_fits(8, 8)


def test_tiles_and_coarse_grain_against_a_loop() -> None:
    b, L = 2, 6
    configs = spins(3, L, seed=11)
    t = tiles(configs, b)
    assert t.shape == (3, 3, 3, 3, 8) and t.dtype == np.int8
    for s, Z, Y, X in itertools.product(range(3), range(3), range(3), range(3)):
        want = [configs[s, b * Z + dz, b * Y + dy, b * X + dx]
                for dz, dy, dx in itertools.product(range(b), repeat=3)]
        assert t[s, Z, Y, X].tolist() == want
    with pytest.raises(InputError, match="does not tile"):
        tiles(spins(1, 5, seed=1), 2)
    # a two-unit rule, "max": each unit is the sign of its filter's activation on the tile
    rng = np.random.default_rng(4)
    rule = CoarseGrainingRule(rng.normal(size=(2, 8)), np.zeros(2))
    h = coarse_grain(configs, rule, b, mode="max", seed=3)
    assert h.shape == (3, 2, 3, 3, 3) and h.dtype == np.int8
    want = np.sign(np.einsum("szyxi,ji->sjzyx", t.astype(np.float64), rule.filters))
    np.testing.assert_array_equal(h, want)
    with pytest.raises(InputError, match="reads 8 sites"):
        coarse_grain(configs[:, 0], rule, b)  # a 3D filter on 2D configurations


def test_filter_file_round_trip_in_3d(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    rule = CoarseGrainingRule(rng.normal(size=(2, 27)), rng.normal(size=2))
    result = TrainResult(rule, 0.25, 0.01, rng.normal(size=3), rng.normal(size=2))
    g = Geometry(3, 1, 2, dim=3)
    write_filter(tmp_path / "f.h5", result, g, {"model": "ising3d"})
    back = read_filter(tmp_path / "f.h5")
    assert back.geometry == g and back.attrs["dim"] == 3
    assert back.analysis is not None and back.analysis.dim == 3  # 3D files carry it too
    np.testing.assert_array_equal(back.rule.filters, rule.canonical().filters)
    with h5py.File(tmp_path / "f.h5", "r") as f:
        image = f["filter"][()]
    assert image.shape == (2, 3, 3, 3)
    z, y, x = 1, 2, 0  # the file's [unit, z, y, x] is the rule's visible index (z b + y) b + x
    assert image[0, z, y, x] == back.rule.filters[0, (z * 3 + y) * 3 + x]
    with pytest.raises(InputError, match="reads 27 sites"):
        write_filter(tmp_path / "g.h5", result, Geometry(3, 1, 2), {})
    # a file without the attribute (written before 3D filters) is 2D
    flat = TrainResult(CoarseGrainingRule(np.ones((1, 4)), np.zeros(1)), 0.1, 0.01,
                       np.zeros(1), np.zeros(1))
    write_filter(tmp_path / "old.h5", flat, Geometry(2, 0, 1), {})
    with h5py.File(tmp_path / "old.h5", "a") as f:
        del f.attrs["dim"]
    assert read_filter(tmp_path / "old.h5").geometry == Geometry(2, 0, 1)


def test_rsmi_rule_in_3d_and_its_negative(tmp_path: Path) -> None:
    """A filter and its negative are one map (canonical orientation): the same coarse
    configurations bit for bit, in both modes; the rule read from a 3D filter file is 3D and
    refuses 2D configurations, and a 2D rule refuses 3D ones."""
    w = np.random.default_rng(7).normal(size=(1, 8)) + 0.5
    configs = spins(4, 8, seed=12)
    coarse = {}
    for mode in ("max", "sample"):
        plus = RsmiRule(CoarseGrainingRule(w, np.zeros(1)), 2, mode, dim=3)
        minus = RsmiRule(CoarseGrainingRule(-w, np.zeros(1)), 2, mode, dim=3)
        a, b = plus(configs, seed=5, level=1), minus(configs, seed=5, level=1)
        assert a.shape == (4, 4, 4, 4) and a.dtype == np.int8
        np.testing.assert_array_equal(a, b)
        coarse[mode] = a
    result = TrainResult(CoarseGrainingRule(w, np.zeros(1)), 0.1, 0.01, np.zeros(1),
                         np.zeros(1))
    write_filter(tmp_path / "f.h5", result, Geometry(2, 0, 1, dim=3), {})
    rule = make_map(f"rsmi:{tmp_path / 'f.h5'}")
    assert rule.dim == 3 and rule.b == 2
    np.testing.assert_array_equal(rule(configs, seed=5, level=1), coarse["max"])
    with pytest.raises(InputError, match="learned on 3D lattices"):
        rule(configs[:, 0])
    flat = RsmiRule(CoarseGrainingRule(np.ones((1, 4)), np.zeros(1)), 2)
    with pytest.raises(InputError, match="learned on 2D lattices"):
        flat(configs)
    with pytest.raises(InputError, match="reads 4 sites"):
        RsmiRule(CoarseGrainingRule(np.ones((1, 4)), np.zeros(1)), 2, dim=3)


@pytest.mark.gpu
def test_cupy_pairs_and_tiles_equal_numpy_in_3d() -> None:
    import cupy

    g = Geometry(2, 1, 1, dim=3)
    configs = spins(3, 7, seed=8)
    for kwargs in [{}, {"stride": 2}, {"positions": 300, "seed": 9}]:
        V, E = extract_pairs(configs, g, **kwargs)
        Vg, Eg = extract_pairs(cupy.asarray(configs), g, **kwargs)
        assert isinstance(Vg, cupy.ndarray) and Vg.dtype == np.int8
        assert np.array_equal(Vg.get(), V) and np.array_equal(Eg.get(), E)
    cubes = spins(2, 6, seed=9)
    assert np.array_equal(tiles(cupy.asarray(cubes), 2).get(), tiles(cubes, 2))
