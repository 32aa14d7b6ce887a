"""``gpurg rsmi train``, ``rsmi coarse-grain`` and ``rg exponents`` on 3D run files, against the
library on the same input, and the 2D-only commands and 3D bad input refused in one line
(forked children of one interpreter, helpers in test_cli.py; ``rsmi scan`` and ``rsmi
analyze`` in 3D: test_rsmi_scan3d.py, test_rsmi_analysis3d.py).

The run files are written here, not sampled: short-range correlated ±1 spins (the sign of a
Gaussian field summed over each site and its 6 neighbours) in the layout of the 3D sampler's
files (model ising3d, configs (n_measurements, R, L, L, L)), so these tests check the
commands' plumbing in 3D whatever the sampler's state."""

from __future__ import annotations

import re
from pathlib import Path

import h5py
import numpy as np
import pytest

from gpurg.io.hdf5 import RunWriter, read_run
from gpurg.models.ising import observables_from_sums
from gpurg.models.ising3d_exact import BOOTSTRAP, T_C
from gpurg.models.ising_layouts import spin_sums
from gpurg.rg.maps import make_map
from gpurg.rg.mcrg import mcrg
from gpurg.rg.operators import EVEN_3D, ODD_3D
from gpurg.rsmi.coarse import coarse_grain
from gpurg.rsmi.files import load_configurations, read_filter, write_filter
from gpurg.rsmi.geometry import Geometry, extract_pairs
from gpurg.rsmi.rule import CoarseGrainingRule
from gpurg.rsmi.training import TrainResult, train_rule

from .test_cli import assert_ok, describe, run_forked

L, R, N_MEAS = 8, 8, 4
TRAIN = ["--block", "2", "--buffer", "1", "--env", "1", "--epochs", "2", "--pairs", "4000",
         "--restarts", "1", "--seed", "3", "--device", "numpy"]


def correlated_spins(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """int8 ±1: the sign of a Gaussian field summed over each site and its 2d neighbours."""
    g = np.random.default_rng(seed).normal(size=shape)
    axes = range(1, len(shape))
    field = g + sum(np.roll(g, s, axis=a) for a in axes for s in (1, -1))
    return np.where(field > 0, 1, -1).astype(np.int8)


def write_run(path: Path, model: str, dim: int, seed: int) -> np.ndarray:
    """A run file of N_MEAS x R lattices of side L; returns its configs as written."""
    configs = correlated_spins((N_MEAS * R,) + (L,) * dim, seed).reshape(N_MEAS, R,
                                                                          *(L,) * dim)
    attrs = {"model": model, "L": L, "T": T_C, "J": 1.0, "h": 0.0, "replicas": R}
    with RunWriter(path, attrs, ("e", "m", "abs_m", "m2", "m4"), configs.shape[1:]) as w:
        for row in configs:
            w.append(observables_from_sums(*spin_sums(row), L**dim, 1.0, 0.0), row)
    return configs


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    """The files (a 3D and a 2D run, a 2D filter) and every command's result, all run in one
    batch of forked children."""
    d = tmp_path_factory.mktemp("cli3d")
    write_run(d / "cubic.h5", "ising3d", 3, seed=1)
    write_run(d / "square.h5", "ising", 2, seed=2)
    flat = TrainResult(CoarseGrainingRule(np.ones((1, 4)), np.zeros(1)), 0.1, 0.01,
                       np.zeros(1), np.zeros(1))
    write_filter(d / "flat.h5", flat, Geometry(2, 0, 1), {})
    cases = [
        ["rsmi", "train", "cubic.h5", *TRAIN, "-o", "f3.h5"],
        ["rsmi", "coarse-grain", "cubic.h5", "--filter", "f3.h5", "--mode", "max", "-o",
         "coarse.h5"],
        ["rg", "exponents", "cubic.h5", "--rule", "majority", "--seed", "5"],
        ["rg", "exponents", "cubic.h5", "--rule", "rsmi:f3.h5", "--operators", "3"],
        # refused in one line
        ["rsmi", "coarse-grain", "cubic.h5", "--filter", "flat.h5", "-o", "x.h5"],
        ["rsmi", "coarse-grain", "square.h5", "--filter", "f3.h5", "-o", "x.h5"],
        ["rg", "exponents", "square.h5", "--rule", "rsmi:f3.h5"],
        ["rg", "hamiltonian", "cubic.h5"],
        ["rsmi", "scan", "cubic.h5", "--buffers", "0,3", "--block", "2", "--env", "1", "-o",
         "s.h5"],
        ["rsmi", "thermometer", "--filter", "f3.h5", "--read", "square.h5"],
        ["rsmi", "analyze", "cubic.h5"],
        ["rg", "flow", "--rule", "rsmi:f3.h5", "-L", "8"],
        ["rg", "flow", "--dim", "3", "--rule", "rsmi:flat.h5"],
        ["rg", "flow", "--dim", "3", "-L", "7"],
    ]
    # the batch runs in order: the filter exists before the commands that read it
    return d, run_forked([(args, d) for args in cases], d)


def test_train_learns_a_cubic_filter(runs: tuple[Path, list]) -> None:
    """The printed MI and filter are train_rule's on the pairs of the 3D geometry (cubes of
    side 2, buffer 1, environment 1: 8 and 152 sites) with the same seed; the file records
    dim = 3 and the filter as (1, 2, 2, 2)."""
    d, results = runs
    assert_ok(results[0])
    configs, _ = load_configurations(d / "cubic.h5", dims=(3,))
    assert configs.shape == (N_MEAS * R, L, L, L)
    V, E = extract_pairs(configs, Geometry(2, 1, 1, dim=3), positions=4000, seed=3)
    assert V.shape == (4000, 8) and E.shape == (4000, 152)
    lib = train_rule(V, E, 1, symmetric=True, epochs=2, restarts=1, seed=3)
    out = results[0].stdout
    assert f"I(H:E) = {lib.mi:.4f} ± {lib.mi_err:.4f} nats" in out, describe(results[0])
    rows = "\n".join(line for line in out.splitlines() if line.startswith("│"))
    printed = re.findall(r"[+-]\d+\.\d{3}", rows)  # the bias, then the two z-slices
    assert printed == [f"{x:+.3f}" for x in (*lib.rule.bias, *lib.rule.filters[0])]
    flt = read_filter(d / "f3.h5")
    assert flt.geometry == Geometry(2, 1, 1, dim=3) and flt.attrs["dim"] == 3
    np.testing.assert_array_equal(flt.rule.filters, lib.rule.canonical().filters)
    with h5py.File(d / "f3.h5", "r") as f:
        assert f["filter"].shape == (1, 2, 2, 2)
    assert (d / "f3.png").read_bytes()[:4] == b"\x89PNG"


def test_coarse_grain_writes_cubic_lattices(runs: tuple[Path, list]) -> None:
    d, results = runs
    assert_ok(results[1])
    run = read_run(d / "coarse.h5")
    assert run.attrs["L"] == 4 and run.attrs["level"] == 1
    configs, _ = load_configurations(d / "cubic.h5", dims=(3,))
    rule = read_filter(d / "f3.h5").rule
    want = coarse_grain(configs, rule, 2, mode="max", seed=0)[:, 0].reshape(N_MEAS, R, 4, 4, 4)
    np.testing.assert_array_equal(run.configs(), want)
    np.testing.assert_array_equal(run.observables["m"], want.mean(axis=(2, 3, 4)))
    assert "coarse 4 x 4 x 4 lattices" in results[1].stderr


def _level_row(stdout: str) -> list[str]:
    """The cells of the summary table's level-1 row."""
    for line in stdout.splitlines():
        cells = [c.strip() for c in line.strip("│┃").split("│")]
        if len(cells) == 5 and cells[0] == "1":
            return cells
    raise AssertionError(stdout)


@pytest.mark.parametrize(("index", "rule", "seed", "operators"),
                         [(2, "majority", 5, None), (3, "rsmi:f3.h5", 0, 3)])
def test_exponents_take_the_3d_operator_sets(runs: tuple[Path, list], index: int, rule: str,
                                             seed: int, operators: int | None) -> None:
    """The level-1 row is mcrg's on the same spins, map, seed and jackknife blocks (the
    replicas), with the 3D operator sets (the first 3 with --operators 3); the reference row
    is the bootstrap's."""
    d, results = runs
    assert_ok(results[index])
    configs, _ = load_configurations(d / "cubic.h5", dims=(3,))
    rg_map = make_map(rule.replace("f3.h5", str(d / "f3.h5")))
    even, odd = ((None, None) if operators is None
                 else (EVEN_3D[:operators], ODD_3D[:operators]))
    result = mcrg(configs, rg_map, seed=seed, blocks=np.tile(np.arange(R), N_MEAS), even=even,
                  odd=odd)
    assert result.even == (EVEN_3D if operators is None else EVEN_3D[:operators])
    yh, yh_err = result.exponent("h", 1)
    yt, yt_err = result.exponent("t", 1)
    out = results[index].stdout
    assert _level_row(out)[3:] == [f"{yt:.3f} ± {yt_err:.3f}", f"{yh:.4f} ± {yh_err:.4f}"]
    assert "3D" in out and "bootstrap" in out and f"{BOOTSTRAP['yh']:.4f}" in out


@pytest.mark.parametrize(("index", "words"), [
    (4, ("2D filter", "3D run")),
    (5, ("3D filter", "2D run")),
    (6, ("learned on 3D lattices",)),
    (7, ("3D lattice", "effective Hamiltonian", "2D lattices only")),
    (8, ("spans 10", "8 x 8 x 8")),
    (9, ("3D filter", "2D run")),
    (10, ("cubic.h5", "filter")),
    (11, ("rg flow", "2D Ising model", "3D filter")),
    (12, ("3D Ising model", "2D filter")),
    (13, ("--size/-L", "7")),
])
def test_2d_only_paths_refuse_3d_in_one_line(runs: tuple[Path, list], index: int,
                                             words: tuple[str, ...]) -> None:
    """Exit 2, one ``error:`` line naming ``words``, no traceback, no output file."""
    d, results = runs
    result = results[index]
    assert result.returncode == 2 and "Traceback" not in result.stdout + result.stderr, (
        describe(result))
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), describe(result)
    assert all(word in lines[0] for word in words), (words, lines[0])
    assert not (d / "x.h5").exists() and not (d / "s.h5").exists()
