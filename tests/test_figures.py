"""Figures (gpurg.figures): every function writes a file in each format that opens (PNG of the
promised size, SVG that parses and names its axes, PDF), the Figure it draws has labelled axes,
colour bars on heat maps and legends where promised; files are written atomically; and the
commands that draw write their figure beside their HDF5 file."""

from __future__ import annotations

import importlib
import math
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.image import imread

from gpurg.errors import InputError
from gpurg.figures import (
    FORMATS,
    collapse_figure,
    correlation_figure,
    exponents_figure,
    figure_path,
    filter_figure,
    flow_figure,
    mi_buffer_figure,
    mi_hidden_figure,
    mi_temperature_figure,
    pixel_roles,
    power_law_fit,
    save_figure,
    thermometer_figure,
)
from gpurg.figures.core import DPI, new_figure
from gpurg.io.hdf5 import OutputPathError
from gpurg.rg.collapse import Collapse
from gpurg.rg.flow import CouplingFlow
from gpurg.rg.mcrg import MCRGResult
from gpurg.rsmi.thermometer import Thermometer

from .test_cli import assert_ok, assert_one_error_line, describe, run_gpurg

MODULES = ("filters", "exponents", "information", "flows", "scaling", "dimers")


# ------------------------------------------------------------------------ plain results
def _flow() -> CouplingFlow:
    T = np.array([2.0, 2.27, 2.6])
    K = np.zeros((3, 3, 3))
    K[..., 0] = 0.44 + 0.2 * (2.27 - T)[:, None] * np.arange(3)
    K[..., 1] = 0.02 * np.arange(3)
    jack = np.repeat(K[:, :, None, :], 8, axis=2)
    return CouplingFlow(T, ("nn", "nnn", "plaquette"), K, np.full_like(K, 1e-3), jack,
                        np.array([16, 8, 4]))


def _mcrg() -> MCRGResult:
    y_t = np.array([[0.95, 1.0, 1.02], [0.97, 0.99, np.nan]])
    y_h = np.array([[1.87, 1.875], [1.876, 1.874]])
    return MCRGResult(2, 16, 128, 8, ("a", "b", "c"), ("d", "e"), y_t, y_t,
                      np.full((2, 3), 0.01), y_h, y_h, np.full((2, 2), 0.002), sizes=(16, 8, 4))


def _thermometer() -> Thermometer:
    return Thermometer(np.array([0.42, 0.44, 0.46]), np.array([0.30, 0.34, 0.38]),
                       np.full(3, 0.005), -0.54, 2.0, np.eye(2) * 1e-4, 0.5)


def _curves() -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    T = np.linspace(2.1, 2.4, 5)
    return {L: (T, 0.6 - (T - 2.27) * L / 20, np.full(5, 0.01)) for L in (8, 16)}


def _profiles() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    r = np.arange(9)
    c = 1 / 16 + (-1.0) ** r / (math.pi * np.maximum(r, 1)) ** 2
    return {"corr_long": (c, np.full(9, 1e-4)), "corr_trans": (0.9 * c, np.full(9, 1e-4))}


# name -> (draw(path), the axis labels' words in the SVG, heat map?, legend?)
CASES: dict[str, tuple[Callable[[Path], Path], tuple[str, ...], bool, bool]] = {
    "filter": (lambda p: filter_figure(np.random.default_rng(0).normal(size=(2, 2, 2)), p,
                                       mi=0.47, mi_err=0.01),
               ("site column", "filter weight"), True, False),
    "dimer filter": (lambda p: filter_figure(np.ones((2, 4, 4)), p, roles="dimer"),
                     ("pixel row", "bond to +x"), True, True),
    "exponents": (lambda p: exponents_figure({"rsmi": _mcrg(), "majority": _mcrg()}, p,
                                             filters=np.ones((1, 2, 2)), mi=0.47),
                  ("RG level", "exact"), True, True),
    "buffer": (lambda p: mi_buffer_figure(
        {"T_c": ([0, 1, 2, 4], [0.4, 0.3, 0.25, 0.2], [0.01] * 4)}, p),
        ("buffer width", "I(H:E) (nats)", "fit"), False, True),
    "hidden": (lambda p: mi_hidden_figure([1, 2, 3], [0.47, 0.48, 0.48], [0.01] * 3, p),
               ("hidden units", "ln 2"), False, True),
    "temperature": (lambda p: mi_temperature_figure([1.0, 2.27, 3.0], [0.69, 0.47, 0.1],
                                                    [0.01] * 3, p),
                    ("temperature T", "T_c"), False, True),
    "thermometer": (lambda p: thermometer_figure(_thermometer(), p,
                                                 reading=(0.33, 0.005, 0.435, 0.003)),
                    ("inverse temperature", "read: β"), False, True),
    "flow": (lambda p: flow_figure(_flow(), p, t_c=(2.27, 0.01)),
             ("K_nn", "starting temperature", "fixed point"), True, True),
    "collapse": (lambda p: collapse_figure(_curves(), Collapse(1.0, 0.1, 2.27, 0.01, 1.1), p),
                 ("Binder cumulant", "(T - T_c) L^(1/ν)"), False, True),
    "correlations": (lambda p: correlation_figure(_profiles(), p),
                     ("distance r", "free dimers"), False, True),
}


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[Figure]:
    """The Figure objects the figure functions save, in order."""
    figures: list[Figure] = []
    for name in MODULES:
        module = importlib.import_module(f"gpurg.figures.{name}")
        real = module.save_figure

        def record(fig: Figure, *args: object, _real: Callable = real, **kwargs: object):
            figures.append(fig)
            return _real(fig, *args, **kwargs)

        monkeypatch.setattr(module, "save_figure", record)
    return figures


def _is_colorbar(ax) -> bool:
    return ax.get_label() == "<colorbar>"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", list(CASES))
def test_each_figure_opens_in_each_format(name: str, fmt: str, tmp_path: Path,
                                          drawn: list[Figure]) -> None:
    draw, words, _, _ = CASES[name]
    path = draw(tmp_path / f"fig.{fmt}")
    assert path == tmp_path / f"fig.{fmt}" and path.stat().st_size > 0
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary left
    fig = drawn[-1]
    if fmt == "png":
        pixels = imread(path)
        width, height = fig.get_size_inches() * DPI
        assert pixels.shape[:2] == (round(height), round(width))
        assert pixels.std() > 0  # not a blank canvas
    elif fmt == "svg":
        text = path.read_text()
        ET.fromstring(text)  # parses as XML
        for word in words:  # text is drawn as glyphs, each string kept in a comment
            assert word in text, (name, word)
    else:
        assert path.read_bytes()[:5] == b"%PDF-"


@pytest.mark.parametrize("name", list(CASES))
def test_each_figure_is_labelled(name: str, tmp_path: Path, drawn: list[Figure]) -> None:
    draw, _, heat, legend = CASES[name]
    draw(tmp_path / "fig.png")
    fig = drawn[-1]
    panels = [ax for ax in fig.axes if not _is_colorbar(ax)]
    bars = [ax for ax in fig.axes if _is_colorbar(ax)]
    assert panels
    for ax in panels:
        assert ax.get_xlabel().strip() and ax.get_ylabel().strip(), (name, ax)
        assert ax.get_title().strip() or fig.get_suptitle().strip(), name
    for ax in bars:
        assert ax.get_ylabel().strip() or ax.get_xlabel().strip(), name  # the bar's label
    assert bool(bars) == heat, (name, bars)
    has_legend = any(ax.get_legend() is not None for ax in panels) or bool(fig.legends)
    assert has_legend == legend, name


def test_exact_values_and_fixed_point_are_drawn(tmp_path: Path, drawn: list[Figure]) -> None:
    """The reference lines are where the physics puts them: ν = 1 and y_h = 15/8 on the
    exponents; the flow's fixed point at the last level's couplings interpolated at T_c."""
    exponents_figure({"majority": _mcrg()}, tmp_path / "e.png")
    nu_ax, yh_ax = drawn[-1].axes
    for ax, value in ((nu_ax, 1.0), (yh_ax, 15 / 8)):
        flat = [line.get_ydata() for line in ax.get_lines()
                if line.get_linestyle() == "--"]
        assert any(np.allclose(y, value) for y in flat), (ax.get_title(), flat)
    flow_figure(_flow(), tmp_path / "f.png", t_c=(2.27, 0.01))
    plane = drawn[-1].axes[0]
    stars = [c.get_offsets()[0] for c in plane.collections
             if "fixed point" in str(c.get_label())]
    assert len(stars) == 1
    np.testing.assert_allclose(stars[0], [0.44, 0.04])  # K at level 2 from T = 2.27


def test_dimer_pixel_roles_follow_the_image_layout() -> None:
    """to_image: vertex (2y, 2x), +x bond (2y, 2x+1), +y bond (2y+1, 2x), face (odd, odd)."""
    roles = pixel_roles(4)
    assert roles.tolist() == [[0, 1, 0, 1], [2, 3, 2, 3], [0, 1, 0, 1], [2, 3, 2, 3]]


def test_power_law_fit_recovers_the_exponent() -> None:
    """The fit lives in gpurg.stats; gpurg.figures still offers it under its old name."""
    import gpurg.stats

    assert power_law_fit is gpurg.stats.power_law_fit
    x = np.array([1.0, 2.0, 4.0, 8.0])
    fit = power_law_fit(x, 0.3 * x**-1.16, np.full(4, 1e-3))
    assert fit.amplitude == pytest.approx(0.3) and fit.value == pytest.approx(1.16)
    assert 0 < fit.error < 0.02  # from the given errors (1e-3 on values near 0.1): about 0.008
    assert math.isnan(power_law_fit(x[:1], x[:1], x[:1]).value)


def test_saving_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure while writing leaves no file (not even a partial one); a bad path or suffix
    is refused before anything is written."""
    fig, _ = new_figure()
    target = tmp_path / "fig.png"

    def broken(self, fname, **kwargs):
        Path(fname).write_bytes(b"\x89PNG partial")
        raise RuntimeError("disk full")

    monkeypatch.setattr(Figure, "savefig", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        save_figure(fig, target)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    with pytest.raises(OutputPathError, match="does not exist"):
        save_figure(fig, tmp_path / "nodir" / "fig.png")
    with pytest.raises(InputError, match=r"must end in \.png or \.svg or \.pdf"):
        save_figure(fig, tmp_path / "fig.txt")
    with pytest.raises(InputError, match="unknown format 'gif'"):
        save_figure(fig, tmp_path / "fig.gif", "gif")
    assert list(tmp_path.iterdir()) == []
    assert figure_path("a/run.h5", "svg") == Path("a/run.svg")


def test_bad_results_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"\(n_hidden, block, block\)"):
        filter_figure(np.ones((2, 3)), tmp_path / "f.png")
    with pytest.raises(InputError, match="unknown roles 'potts'"):
        filter_figure(np.ones((1, 2, 2)), tmp_path / "f.png", roles="potts")
    with pytest.raises(InputError, match="unequal lengths"):
        mi_hidden_figure([1, 2], [0.4], [0.01], tmp_path / "h.png")
    with pytest.raises(InputError, match="corr_long or corr_trans"):
        correlation_figure({}, tmp_path / "c.png")
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------ the commands
def _svg_words(path: Path, *words: str) -> None:
    text = path.read_text()
    ET.fromstring(text)
    for word in words:
        assert word in text, (path, word)


def test_dimer_sample_draws_its_correlations(tmp_path: Path) -> None:
    result = run_gpurg(["dimer", "sample", "-L", 8, "-R", 4, "--sweeps", 10, "--device",
                        "numpy", "-o", "d.h5", "--figure-format", "svg"], tmp_path)
    assert_ok(result)
    assert f"wrote {Path('d.svg')}" in result.stderr, describe(result)
    _svg_words(tmp_path / "d.svg", "distance r", "free dimers", "across the dimers")


def test_rg_commands_draw_beside_their_files(tmp_path: Path) -> None:
    result = run_gpurg(["rg", "flow", "-L", 16, "--temperatures", "2.0,2.3,2.6", "-R", 8,
                        "--samples", 2, "--device", "numpy", "-o", "flow.h5",
                        "--figure-format", "pdf"], tmp_path)
    assert_ok(result)
    assert "wrote flow.h5 and flow.pdf" in result.stderr, describe(result)
    assert (tmp_path / "flow.pdf").read_bytes()[:5] == b"%PDF-"
    result = run_gpurg(["rg", "collapse", "--sizes", "4,8", "--temperatures", "2.1,2.27,2.4",
                        "-R", 8, "--sweeps", 10, "--device", "numpy", "-o", "col.h5",
                        "--figure-format", "svg"], tmp_path)
    assert_ok(result)
    _svg_words(tmp_path / "col.svg", "Binder cumulant", "L = 4", "L = 8")


def test_flow_output_suffix_and_format_must_agree(tmp_path: Path) -> None:
    result = run_gpurg(["rg", "flow", "-o", "flow.svg", "--figure-format", "pdf"], tmp_path)
    assert_one_error_line(result, tmp_path, ["--figure-format", "pdf", "flow.svg"])


def test_an_unwritable_figure_is_one_error_line(tmp_path: Path) -> None:
    """The figure's path is checked before any work: a folder in its place is refused."""
    (tmp_path / "d.png").mkdir()
    result = run_gpurg(["dimer", "sample", "-L", 4, "-R", 1, "--sweeps", 1, "--device",
                        "numpy", "-o", "d.h5"], tmp_path)
    assert result.returncode == 2, describe(result)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "d.png" in lines[0], (
        describe(result))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.png"]


def test_train_and_thermometer_draw(tmp_path: Path) -> None:
    assert_ok(run_gpurg(["ising", "sample", "-L", 8, "-R", 8, "--sweeps", 20, "--device",
                         "numpy", "-o", "run.h5"], tmp_path))
    result = run_gpurg(["rsmi", "train", "run.h5", "--epochs", 1, "--restarts", 1, "--pairs",
                        2000, "--device", "numpy", "-o", "filter.h5", "--figure-format",
                        "svg"], tmp_path)
    assert_ok(result)
    assert "wrote filter.h5 and filter.svg" in result.stderr, describe(result)
    _svg_words(tmp_path / "filter.svg", "filter weight", "hidden unit 0")
    result = run_gpurg(["rsmi", "thermometer", "--filter", "filter.h5", "-L", 8, "--betas",
                        "0.4,0.44,0.48", "-R", 8, "--sweeps", 20, "--pairs", 500, "--epochs",
                        1, "--device", "numpy", "--read", "run.h5", "-o", "thermo.h5"],
                       tmp_path)
    assert_ok(result)
    assert "wrote thermo.h5 and thermo.png" in result.stderr, describe(result)
    assert imread(tmp_path / "thermo.png").shape[2] in (3, 4)
