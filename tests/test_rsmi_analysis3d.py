"""Filter analysis on the simple cubic lattice (issue 17): what a filter of a cubic block
reads (block spin, staggered pattern, signs, shares by reflection parity, boundary
weighting), the same numbers for a filter and its negative and for its images under the
cube's 48 symmetries, 3D filter files carrying the analysis, and ``gpurg rsmi analyze`` on
them."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import h5py
import numpy as np
import pytest

from gpurg.cli.main import main
from gpurg.errors import InputError
from gpurg.rsmi.analysis import FilterAnalysis, analyze_rule
from gpurg.rsmi.files import add_analysis, read_filter, write_filter
from gpurg.rsmi.geometry import Geometry
from gpurg.rsmi.rule import CoarseGrainingRule
from gpurg.rsmi.training import TrainResult

PER_UNIT = ("norm", "block_spin", "staggered", "sign_consistency", "parity_shares",
            "boundary_weighting")


def _walsh(b: int, a: tuple[int, int, int]) -> np.ndarray:
    """(-1)^(a . (z, y, x)) on the b^3 block, flattened in visible order."""
    z, y, x = np.indices((b, b, b))
    return ((-1.0) ** (a[0] * z + a[1] * y + a[2] * x)).ravel()


def test_walsh_patterns_of_the_2x2x2_block() -> None:
    """On a 2x2x2 block the patterns (-1)^(a.x) are the parity components: the uniform
    filter is all block spin (every sign alike), the staggered one all staggered (half the
    signs), a gradient along one axis all "1 odd", along two axes all "2 odd"; every share
    of |λ|² sums to 1 over the parities; blocks of side 2 have no interior (NaN)."""
    patterns = [(0, 0, 0), (1, 1, 1), (0, 0, 1), (1, 0, 0), (0, 1, 1), (1, 0, 1)]
    a = analyze_rule(np.stack([3.0 * _walsh(2, p) for p in patterns]), 2, "site", 3)
    assert a.dim == 3 and a.block == 2 and a.n_hidden == 6
    np.testing.assert_allclose(a.block_spin, [1, 0, 0, 0, 0, 0], atol=1e-12)
    np.testing.assert_allclose(a.staggered, [0, 1, 0, 0, 0, 0], atol=1e-12)
    np.testing.assert_allclose(a.sign_consistency, [1, 0.5, 0.5, 0.5, 0.5, 0.5])
    np.testing.assert_allclose(a.parity_shares, np.eye(4)[[0, 3, 1, 1, 2, 2]], atol=1e-12)
    np.testing.assert_allclose(a.norm, 3 * math.sqrt(8))
    assert np.isnan(a.boundary_weighting).all()
    assert a.unit_angle == pytest.approx(90.0)  # distinct Walsh patterns are orthogonal


def test_a_cube_heavy_on_its_faces() -> None:
    """Side 3: the 26 boundary sites weigh 2, the centre 1: edge/in = 2, all block spin
    plus nothing odd, signs all alike; the staggered share is (Σ (-1)^(x+y+z) w)² / (27 |w|²)
    with the centre's sign -1 against the 8 corners'."""
    w = np.full((3, 3, 3), 2.0)
    w[1, 1, 1] = 1.0
    a = analyze_rule(w.reshape(1, -1), 3, "site", 3)
    np.testing.assert_allclose(a.boundary_weighting, [2.0])
    np.testing.assert_allclose(a.sign_consistency, [1.0])
    np.testing.assert_allclose(a.parity_shares, [[1.0, 0.0, 0.0, 0.0]], atol=1e-12)
    stagger = _walsh(3, (1, 1, 1))
    norm2 = (w**2).sum()
    np.testing.assert_allclose(a.block_spin, [w.sum() ** 2 / (27 * norm2)])
    np.testing.assert_allclose(a.staggered, [(stagger @ w.ravel()) ** 2 / (27 * norm2)])


def _cube_symmetries() -> list:
    """The 48 maps of the cube: a permutation of the axes (z, y, x), then reflections."""
    maps = []
    for perm in itertools.permutations(range(3)):
        for flips in itertools.product((False, True), repeat=3):
            def act(c: np.ndarray, perm: tuple = perm, flips: tuple = flips) -> np.ndarray:
                out = np.transpose(c, (0, *(1 + p for p in perm)))
                return np.flip(out, [1 + k for k in range(3) if flips[k]]) if any(flips) \
                    else out
            maps.append(act)
    return maps


@pytest.mark.parametrize("block", [2, 3, 4])
def test_sign_and_cube_symmetries_leave_the_analysis(block: int) -> None:
    """Random filters of two units: a unit's negative gives the same numbers (a unit's sign
    is a convention) with the units' angle θ -> 180° - θ; each of the cube's 48 symmetries
    gives the same shares, signs, boundary weighting and angle. The parity shares sum to 1
    (the components are orthogonal and complete)."""
    w = np.random.default_rng(block).normal(size=(2, block, block, block))
    a = analyze_rule(w.reshape(2, -1), block, "site", 3)
    np.testing.assert_allclose(a.parity_shares.sum(axis=1), 1.0, rtol=1e-12)
    negative = analyze_rule(np.stack([-w[0], w[1]]).reshape(2, -1), block, "site", 3)
    for name in PER_UNIT:
        np.testing.assert_allclose(getattr(negative, name), getattr(a, name), rtol=1e-12)
    assert negative.unit_angle == pytest.approx(180.0 - a.unit_angle)
    for act in _cube_symmetries():
        image = analyze_rule(act(w).reshape(2, -1), block, "site", 3)
        for name in PER_UNIT:
            np.testing.assert_allclose(getattr(image, name), getattr(a, name), rtol=1e-10)
        assert image.unit_angle == pytest.approx(a.unit_angle)


def test_bad_input() -> None:
    with pytest.raises(InputError, match="a 2 x 2 x 2 block has 8"):
        analyze_rule(np.ones((1, 4)), 2, "site", 3)
    with pytest.raises(InputError, match="dimer images are 2D"):
        analyze_rule(np.ones((1, 64)), 4, "dimer", 3)
    with pytest.raises(InputError, match="lattice dimension"):
        analyze_rule(np.ones((1, 16)), 2, "site", 4)


def _result(w: np.ndarray) -> TrainResult:
    rule = CoarseGrainingRule(w.reshape(len(w), -1), np.zeros(len(w)))
    return TrainResult(rule, 0.2, 0.01, np.zeros(3), np.zeros(1))


def test_cubic_filter_files_carry_the_analysis(tmp_path: Path) -> None:
    """write_filter stores the analysis of a 3D filter (dim 3 recorded); read back, it equals
    a fresh analysis of the canonical rule."""
    w = np.random.default_rng(8).normal(size=(2, 2, 2, 2))
    flt = read_filter(write_filter(tmp_path / "f.h5", _result(w), Geometry(2, 1, 2, dim=3),
                                   {"model": "ising3d"}))
    fresh = analyze_rule(flt.rule, 2, "site", 3)
    assert flt.analysis is not None and flt.analysis.dim == 3
    for name in PER_UNIT:
        np.testing.assert_array_equal(getattr(flt.analysis, name), getattr(fresh, name))
    assert FilterAnalysis.from_attributes(fresh.attributes()).dim == 3


def test_analyze_command_on_a_cubic_filter(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """``rsmi analyze`` on a 3D filter file without the analysis (as written before it
    existed): a row per unit naming the 2 x 2 x 2 block, the parity columns up to "3 odd",
    and the group added to the file."""
    uniform, dipole = np.ones(8), _walsh(2, (0, 0, 1))
    path = write_filter(tmp_path / "f.h5", _result(np.stack([uniform, 0.5 * dipole])),
                        Geometry(2, 1, 2, dim=3), {"model": "ising3d"})
    with h5py.File(path, "a") as f:
        del f["analysis"]
    with pytest.raises(SystemExit) as done:
        main(["rsmi", "analyze", str(path)])
    assert done.value.code in (0, None)
    out = capsys.readouterr().out
    assert "2 units on 2 x 2 x 2 sites" in out and "3 odd" in out
    rows = [[c.strip() for c in line.strip("│").split("│")] for line in out.splitlines()
            if line.startswith("│")]
    assert rows[0][2:9] == ["1.000", "0.000", "1.000", "1.000", "0.000", "0.000", "0.000"]
    assert rows[1][2:9] == ["0.000", "0.000", "0.500", "0.000", "1.000", "0.000", "0.000"]
    back = read_filter(path).analysis
    np.testing.assert_allclose(back.parity_shares, np.eye(4)[[0, 1]], atol=1e-12)
    assert add_analysis(path).dim == 3


def test_analyze_command_refuses_a_filter_that_is_not_a_cube(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_filter(tmp_path / "x.h5", _result(np.ones((1, 8))), Geometry(2, 1, 2, dim=3),
                        {})
    with h5py.File(path, "a") as f:  # a 3D file whose filter is a 2 x 4 x 1 box
        del f["filter"]
        f["filter"] = np.ones((1, 2, 4, 1))
    with pytest.raises(SystemExit) as done:
        main(["rsmi", "analyze", str(path)])
    assert done.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "x.h5" in err[0], err
    assert "3D filter file" in err[0]
