"""Filter analysis (gpurg.rsmi.analysis, ``gpurg rsmi analyze``): exact templates give exact
shares and angles, the numbers do not depend on a unit's sign or on the lattice's x <-> y
reflection, they go into filter files, and the command prints them and adds them to old
files."""

from __future__ import annotations

import math
from pathlib import Path

import h5py
import numpy as np
import pytest

from gpurg.cli.main import main
from gpurg.errors import InputError
from gpurg.models.dimer_encodings import (
    IMAGE_TEMPLATES,
    bonds,
    columnar_state,
    electric_field,
    image_pixel_roles,
    image_templates,
    staggered_state,
    to_image,
)
from gpurg.rsmi.analysis import analyze_rule
from gpurg.rsmi.files import add_analysis, read_filter, write_filter
from gpurg.rsmi.geometry import Geometry
from gpurg.rsmi.rule import CoarseGrainingRule
from gpurg.rsmi.training import TrainResult


def _rule(*filters: np.ndarray) -> CoarseGrainingRule:
    w = np.stack([np.asarray(f, dtype=np.float64).ravel() for f in filters])
    return CoarseGrainingRule(w, np.zeros(len(w)))


def _template(name: str, block: int = 8) -> np.ndarray:
    return image_templates(block)[IMAGE_TEMPLATES.index(name)]


def _noise_filter(block: int, seed: int = 0) -> np.ndarray:
    roles = image_pixel_roles(block)
    w = np.random.default_rng(seed).normal(size=(block, block))
    return np.where((roles == 0) | (roles == 3), w, 0.0)


@pytest.mark.parametrize("block", [4, 6, 8])
def test_a_field_template_is_all_field(block: int) -> None:
    """A pure E_x filter: all of |λ|² on bonds and in the field plane, none on noise pixels;
    cosine 1 with E_x, 0 with E_y. Blocks of odd and even site counts (6: E and C overlap)."""
    a = analyze_rule(_rule(_template("E_x", block), _template("E_y", block)), block, "dimer")
    np.testing.assert_allclose(a.field_share, [1.0, 1.0], atol=1e-12)
    np.testing.assert_allclose(a.noise_share, [0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(a.bond_share, [1.0, 1.0], atol=1e-12)
    np.testing.assert_allclose(a.coefficients[:, :2], np.eye(2), atol=1e-12)
    assert a.field_angle == pytest.approx(90.0) and a.field_span == pytest.approx(1.0)
    assert a.unit_angle == pytest.approx(90.0)
    if block // 2 % 2 == 0:  # E and C orthogonal
        np.testing.assert_allclose(a.order_share, [0.0, 0.0], atol=1e-12)


def test_one_field_direction_twice_is_collinear() -> None:
    """(E_x + E_y, -(E_x + E_y)): both units read the same field component: the projections
    are at 180° (a unit's sign is a convention, so 0° and 180° are alike), span 0."""
    d = _template("E_x") + _template("E_y")
    a = analyze_rule(_rule(d, -d), 8, "dimer")
    assert min(a.field_angle, 180.0 - a.field_angle) == pytest.approx(0.0, abs=1e-6)
    assert a.field_span == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(a.field_share, [1.0, 1.0], atol=1e-12)


def test_a_noise_filter_is_all_noise() -> None:
    a = analyze_rule(_rule(_noise_filter(8)), 8, "dimer")
    np.testing.assert_allclose(a.noise_share, [1.0], atol=1e-12)
    np.testing.assert_allclose([a.bond_share[0], a.field_share[0], a.order_share[0]], 0.0,
                               atol=1e-12)
    assert math.isnan(a.field_angle)  # one unit: no pair


def test_columnar_and_plaquette_directions() -> None:
    """C_x and C_y point at 0° in the order-parameter plane (columnar), P_+ and P_- at 45°
    (plaquette); each is all in that plane."""
    a = analyze_rule(_rule(*(_template(n) for n in ("C_x", "C_y", "P_+", "P_-"))), 8, "dimer")
    np.testing.assert_allclose(a.order_share, 1.0, atol=1e-12)
    np.testing.assert_allclose(a.field_share, 0.0, atol=1e-12)
    np.testing.assert_allclose(a.order_angle, [0.0, 0.0, 45.0, 45.0], atol=1e-9)
    assert a.order_pair_angle == pytest.approx(90.0)


def test_templates_are_the_encodings_observables() -> None:
    """template . image = the block's sum of the observable, up to a constant: E_x and E_y
    are sums of :func:`electric_field` over the block's sites; C_x, C_y the columnar
    pattern of :func:`columnar_order`. Checked on coverings that differ in every pattern."""
    L, b = 8, 8
    m = b // 2
    y, x = np.indices((L, L))
    vertical_columnar = np.where(y % 2 == 0, 1, 3).astype(np.int8)
    vertical_staggered = np.where((x + y) % 2 == 0, 1, 3).astype(np.int8)
    for codes in (columnar_state(L), staggered_state(L), vertical_columnar,
                  vertical_staggered):
        img = to_image(codes)[:b, :b].astype(np.float64)
        e = electric_field(codes)[:, :m, :m]
        n = bonds(codes)[:, :m, :m].astype(np.float64)
        sign = (-1.0) ** np.arange(m)
        t = image_templates(b)
        # unnormalised: templates have norm m; the constant is -1/4 sum of s over the block: 0
        assert (t[0] * img).sum() * m == pytest.approx(e[0].sum())
        assert (t[1] * img).sum() * m == pytest.approx(e[1].sum())
        assert (t[2] * img).sum() * m == pytest.approx((n[0] * sign[None, :]).sum())
        assert (t[3] * img).sum() * m == pytest.approx((n[1] * sign[:, None]).sum())


def _random_dimer_filters(block: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(2, block, block))


def test_shares_do_not_depend_on_sign_or_reflection() -> None:
    """A filter and its negative give the same shares and the same (E_x, E_y) angle up to
    180° - angle; the reflection x <-> y (the transpose of a block that starts on a vertex
    maps +x bond pixels onto +y bond pixels, vertices and faces onto themselves) keeps
    every share and swaps the E_x and E_y cosines (the sublattice sign is symmetric)."""
    w = _random_dimer_filters(8, 3)
    a = analyze_rule(_rule(*w), 8, "dimer")
    neg = analyze_rule(_rule(-w[0], w[1]), 8, "dimer")
    ref = analyze_rule(_rule(*np.swapaxes(w, 1, 2)), 8, "dimer")
    for other in (neg, ref):
        for name in ("noise_share", "bond_share", "pair_share", "field_share", "order_share",
                     "norm"):
            np.testing.assert_allclose(getattr(other, name), getattr(a, name), rtol=1e-12)
    assert neg.field_angle == pytest.approx(180.0 - a.field_angle)
    assert neg.field_span == pytest.approx(a.field_span)
    # E_x <-> E_y, C_x <-> C_y; P_+ = (C_x + C_y)/sqrt(2) stays, P_- changes sign
    np.testing.assert_allclose(ref.coefficients[:, [1, 0, 3, 2, 4, 5]],
                               a.coefficients * [1, 1, 1, 1, 1, -1], rtol=1e-12)
    np.testing.assert_allclose(ref.boundary_weighting, a.boundary_weighting, rtol=1e-12)
    assert ref.field_angle == pytest.approx(a.field_angle)


def test_pair_share_finds_one_vertex_face_pair() -> None:
    """pair_share: the largest share of |λ|² on one vertex (2y, 2x) + face (2y+1, 2x+1)
    pair. One such pair gives 1, two bonds 0, the uniform filter 2 of 16 pixels; a vertex
    with a face that is not its own (2y+1, 2x-1) gives 1/2; the number does not depend on
    the unit's sign; a zero filter is NaN like every share; spins have none."""
    w = np.zeros((4, 4, 4))
    w[0, 2, 2], w[0, 3, 3] = 1.0, -1.0  # one vertex-face pair
    w[1, 0, 1], w[1, 1, 0] = 2.0, -2.0  # two bonds
    w[2] = 1.0  # uniform: 8 of 16 pixels are vertex or face
    w[3, 0, 2], w[3, 1, 1] = 1.0, 1.0  # vertex (0, 2) and the face of vertex (0, 0)
    a = analyze_rule(_rule(*w), 4, "dimer")
    np.testing.assert_allclose(a.pair_share, [1.0, 0.0, 2 / 16, 0.5])
    np.testing.assert_allclose(a.noise_share, [1.0, 0.0, 0.5, 1.0])
    np.testing.assert_allclose(a.norm, [math.sqrt(2), math.sqrt(8), 4.0, math.sqrt(2)])
    np.testing.assert_array_equal(analyze_rule(_rule(*-w), 4, "dimer").pair_share,
                                  a.pair_share)
    zero = analyze_rule(_rule(np.zeros((4, 4))), 4, "dimer")
    assert np.isnan(zero.pair_share).all() and np.isnan(zero.noise_share).all()
    assert analyze_rule(_rule(w[0]), 4, "site").pair_share is None
    random = analyze_rule(_rule(*_random_dimer_filters(8, 1)), 8, "dimer")
    # 16 pairs: the largest holds at least their mean, 1/16 of the noise share
    assert np.all(random.pair_share < 0.5)
    assert np.all(random.pair_share >= random.noise_share / 16)


def test_filters_of_any_number_of_units() -> None:
    """An array is read as filters: the same numbers as the rule of those filters, and more
    units than a coarse-graining rule holds (the weights of a likelihood-trained RBM)."""
    w = np.random.default_rng(2).normal(size=(12, 64))
    many = analyze_rule(w, 8, "dimer")
    few = analyze_rule(_rule(*w[:2]), 8, "dimer")
    assert many.n_hidden == 12
    for name in ("noise_share", "pair_share", "field_share", "coefficients"):
        np.testing.assert_array_equal(getattr(many, name)[:2], getattr(few, name))
    assert many.field_angle == few.field_angle
    with pytest.raises(InputError, match="filters must be"):
        analyze_rule(np.zeros(64), 8, "dimer")
    with pytest.raises(InputError, match="filters must be"):
        analyze_rule(np.zeros((0, 64)), 8, "dimer")


def test_ising_block_spin_and_boundary() -> None:
    """The uniform filter is a block spin (content 1, all signs alike, no edge weighting); a
    filter heavier on the block's edge has edge/in > 1; a staggered one half its signs
    alike and block-spin content 0; blocks of 2 have no interior (NaN)."""
    b = 4
    edge = np.ones((b, b))
    edge[1:-1, 1:-1] = 0.5
    stagger = (-1.0) ** np.add.outer(np.arange(b), np.arange(b))
    a = analyze_rule(_rule(np.ones((b, b)), -2 * edge, stagger), b, "site")
    np.testing.assert_allclose(a.block_spin[0], 1.0)
    np.testing.assert_allclose(a.block_spin[2], 0.0, atol=1e-12)
    np.testing.assert_allclose(a.sign_consistency, [1.0, 1.0, 0.5])
    np.testing.assert_allclose(a.boundary_weighting, [1.0, 2.0, 1.0])
    assert a.unit_angle == pytest.approx(math.degrees(math.acos(-28 / (4 * math.sqrt(52)))))
    assert a.noise_share is None and a.coefficients is None and math.isnan(a.field_angle)
    small = analyze_rule(_rule(np.ones((2, 2))), 2, "site")
    assert np.isnan(small.boundary_weighting).all() and small.block_spin[0] == 1.0


def test_bad_input() -> None:
    rule = _rule(np.ones((3, 3)))
    with pytest.raises(InputError, match="unknown roles 'potts'"):
        analyze_rule(rule, 3, "potts")
    with pytest.raises(InputError, match="even block"):
        analyze_rule(rule, 3, "dimer")
    with pytest.raises(InputError, match="visible entries"):
        analyze_rule(rule, 4, "site")


def _result(w: np.ndarray) -> TrainResult:
    rule = CoarseGrainingRule(w.reshape(len(w), -1), np.zeros(len(w)))
    return TrainResult(rule, 0.2, 0.01, np.zeros(3), np.zeros(1))


def test_filter_files_carry_the_analysis(tmp_path: Path) -> None:
    """write_filter stores the analysis of the canonical rule with the roles of the file's
    model; read_filter gives it back equal to a fresh analysis."""
    w = _random_dimer_filters(8, 5)
    path = write_filter(tmp_path / "f.h5", _result(w), Geometry(8, 2, 4), {"model": "dimer"})
    back = read_filter(path)
    fresh = analyze_rule(back.rule, 8, "dimer")
    assert back.analysis is not None and back.analysis.roles == "dimer"
    assert back.analysis.templates == IMAGE_TEMPLATES
    for name in ("field_share", "noise_share", "pair_share", "coefficients", "order_angle"):
        np.testing.assert_array_equal(getattr(back.analysis, name), getattr(fresh, name))
    assert back.analysis.field_angle == fresh.field_angle
    spins = read_filter(write_filter(tmp_path / "s.h5", _result(np.ones((1, 2, 2))),
                                     Geometry(2, 0, 2), {}))
    assert spins.analysis.roles == "site" and spins.analysis.block_spin[0] == 1.0


def _old_file(path: Path) -> Path:
    """A dimer filter file as written before the analysis existed."""
    write_filter(path, _result(np.stack([_template("E_x"), _template("E_y")])),
                 Geometry(8, 2, 4), {"model": "dimer", "seed": np.uint64(2**63 + 1)})
    with h5py.File(path, "a") as f:
        del f["analysis"]
    return path


def test_analyze_command_adds_the_analysis(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    path = _old_file(tmp_path / "old.h5")
    assert read_filter(path).analysis is None
    with h5py.File(path, "r") as f:
        before = {k: f[k][()] for k in f}, dict(f.attrs)
    with pytest.raises(SystemExit) as done:
        main(["rsmi", "analyze", str(path)])
    assert done.value.code in (0, None)
    out = capsys.readouterr().out
    assert "noise" in out and "edge/in" in out and "90.0°" in out and "span 1.000" in out
    lines = [line for line in out.splitlines() if line.startswith("│")]
    assert len(lines) == 2  # one row per unit
    back = read_filter(path)
    np.testing.assert_allclose(back.analysis.field_share, [1.0, 1.0])
    with h5py.File(path, "r") as f:  # everything else as it was, types included
        for k, v in before[0].items():
            np.testing.assert_array_equal(f[k][()], v)
        assert dict(f.attrs).keys() == before[1].keys()
        assert f.attrs["seed"].dtype == np.uint64 and f.attrs["seed"] == 2**63 + 1
    # a second run replaces the group
    add_analysis(path)
    assert read_filter(path).analysis.field_span == pytest.approx(1.0)


@pytest.mark.parametrize("kind", ["missing", "not-hdf5", "not-filter", "odd-dimer"])
def test_analyze_command_bad_input(kind: str, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "x.h5"
    if kind == "not-hdf5":
        path.write_text("hello")
    elif kind == "not-filter":
        with h5py.File(path, "w") as f:
            f["configs"] = np.zeros(3)
    elif kind == "odd-dimer":
        write_filter(path, _result(np.ones((1, 3, 3))), Geometry(3, 1, 2), {"model": "dimer"})
        assert read_filter(path).analysis is None  # written without it
    with pytest.raises(SystemExit) as done:
        main(["rsmi", "analyze", str(path)])
    assert done.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "x.h5" in err[0], err
