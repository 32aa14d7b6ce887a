"""MI on the simple cubic lattice (issue 17): against the buffer (``scan_buffers`` and ``gpurg
rsmi scan`` on 3D run files, the scan file's 3D filters and their figure) and against β (the
MI thermometer of a 3D filter, calibrated on the simple cubic model).

The run file is written, not sampled (:func:`tests.test_cli_3d.write_run`: short-range
correlated ±1 spins on the 8 x 8 x 8 torus in the 3D sampler's layout), so these tests check
the scan's plumbing in 3D in a few seconds; the physics (I(H:E) against L_B at K_c) is
measured on Swendsen–Wang data outside CI."""

from __future__ import annotations

import re
from pathlib import Path

import h5py
import numpy as np
import pytest

from gpurg.backend.philox import independent_seed
from gpurg.errors import InputError
from gpurg.rsmi.files import load_configurations, write_filter
from gpurg.rsmi.geometry import DIMENSIONS, Geometry
from gpurg.rsmi.rule import CoarseGrainingRule
from gpurg.rsmi.scan import BufferScan, fit_decay, read_scan, scan_buffers, write_scan
from gpurg.rsmi.thermometer import calibrate_thermometer, rule_information
from gpurg.rsmi.training import TrainResult
from gpurg.sampling import ising_configurations

from .test_cli import assert_ok, describe, run_forked
from .test_cli_3d import write_run

QUICK = {"pairs": 2000, "seed": 7, "epochs": 2, "restarts": 1, "batch_size": 256}
SCAN = ["rsmi", "scan", "cubic.h5", "--buffers", "1,0", "--block", "2", "--env", "1",
        "--pairs", "2000", "--seed", "7", "--epochs", "2", "--restarts", "1", "--batch-size",
        "256", "--device", "cpu", "--workers", "0"]
BLOCK_SPIN = CoarseGrainingRule(np.ones((1, 8)), np.zeros(1))  # the 2x2x2 block spin
THERMOMETER = {"replicas": 4, "sweeps": 20, "pairs": 2000, "epochs": 2, "seed": 3}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    """The 3D run file and the commands' results, in one batch of forked children."""
    d = tmp_path_factory.mktemp("scan3d")
    write_run(d / "cubic.h5", "ising3d", 3, seed=4)
    write_filter(d / "f3.h5", TrainResult(BLOCK_SPIN, 0.1, 0.01, np.zeros(1), np.zeros(1)),
                 Geometry(2, 0, 1, dim=3), {})
    (d / "bad").mkdir()
    cases = [([*SCAN, "-o", "s.h5"], d),
             # bad input: the L_B = 3 cube spans 2 + 2 (3 + 1) = 10 sites > 8
             (["rsmi", "scan", "../cubic.h5", "--buffers", "0,3", "--block", "2", "--env", "1",
               "--device", "cpu", "-o", "s.h5"], d / "bad"),
             (["rsmi", "thermometer", "--filter", "f3.h5", "-L", "4", "--betas", "0.24,0.2",
               "--read", "cubic.h5", "-R", "4", "--sweeps", "20", "--pairs", "2000",
               "--epochs", "2", "--seed", "3", "--device", "cpu", "--workers", "0", "-o",
               "t.h5"], d)]
    return d, run_forked(cases, d)


def test_cli_scan_of_a_cubic_run_is_the_library_scan(runs: tuple[Path, list]) -> None:
    """The printed points and the file's MI, fits and filters are scan_buffers' on the same
    configurations and seed; the file records dim = 3 and the filters as cubes (k, n_h, 2, 2,
    2); the figure is written beside it."""
    d, results = runs
    assert_ok(results[0])
    configs, attrs = load_configurations(d / "cubic.h5", dims=DIMENSIONS)
    assert configs.shape[1:] == (8, 8, 8)
    lib = scan_buffers(configs, attrs, block=2, env=1, buffers=(0, 1), **QUICK)
    assert lib.dim == 3 and [r.n_visible for r in lib.rules] == [8, 8]
    back = read_scan(d / "s.h5")
    assert back.dim == 3 and back.buffer.tolist() == [0, 1]
    np.testing.assert_array_equal(back.mi, lib.mi)
    np.testing.assert_array_equal(back.mi_err, lib.mi_err)
    assert back.exponential.value == lib.exponential.value or (
        np.isnan(back.exponential.value) and np.isnan(lib.exponential.value))
    for got, want in zip(back.rules, lib.rules, strict=True):
        np.testing.assert_array_equal(got.filters, want.filters)
    with h5py.File(d / "s.h5") as f:
        assert f["filters"].shape == (2, 1, 2, 2, 2) and f.attrs["dim"] == 3
        assert f.attrs["model"] == "ising3d"
    out = results[0].stdout
    assert "2x2x2" in out, describe(results[0])
    for b, mi, err in zip(lib.buffer, lib.mi, lib.mi_err, strict=True):
        assert re.search(rf"│\s+{b} │\s+{mi:.4f} ± {err:.4f}", out), describe(results[0])
    assert (d / "s.png").read_bytes()[:4] == b"\x89PNG"


def test_cli_scan_refuses_a_cube_larger_than_the_lattice(runs: tuple[Path, list]) -> None:
    d, results = runs
    result = results[1]
    assert result.returncode == 2 and "Traceback" not in result.stdout + result.stderr, (
        describe(result))
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), describe(result)
    assert "spans 10" in lines[0] and "8 x 8 x 8" in lines[0], lines[0]
    assert list((d / "bad").iterdir()) == []


def test_scan_refuses_before_training() -> None:
    """A cube larger than the lattice, and configurations of neither dimension (a geometry is
    2D or 3D), are refused before any rule is learned."""
    spins = np.ones((2, 8, 8, 8), dtype=np.int8)
    with pytest.raises(InputError, match=r"spans 10 sites, more than the 8 x 8 x 8"):
        scan_buffers(spins, {"model": "ising3d"}, block=2, env=1, buffers=(0, 3), **QUICK)
    with pytest.raises(InputError, match="lattice dimension"):
        scan_buffers(np.ones((2, 4, 4, 4, 4), dtype=np.int8), {}, block=2, env=1,
                     buffers=(0,), **QUICK)


def test_cubic_scan_file_round_trip(tmp_path: Path) -> None:
    """A 3D scan's filters go to the file as cubes and come back as the rules' (n_h, 8)."""
    b = np.array([0, 1, 2])
    mi = 0.2 * (1.0 + b) ** -1.0
    used, power, expo, better = fit_decay(b, mi, 0.01 * mi)
    rng = np.random.default_rng(3)
    rules = [CoarseGrainingRule(rng.normal(size=(2, 8)), np.zeros(2)) for _ in b]
    scan = BufferScan(b, mi, 0.01 * mi, used, power, expo, better, 2, 1, 2, rules, dim=3)
    back = read_scan(write_scan(tmp_path / "s.h5", scan))
    assert back.dim == 3 and (back.block, back.env, back.n_hidden) == (2, 1, 2)
    for got, want in zip(back.rules, rules, strict=True):
        np.testing.assert_array_equal(got.filters, want.filters)
    with h5py.File(tmp_path / "s.h5") as f:
        np.testing.assert_array_equal(f["filters"][1, 0], rules[1].filters[0].reshape(2, 2, 2))


def test_thermometer_of_a_cubic_filter(runs: tuple[Path, list]) -> None:
    """A 3D filter calibrates on the simple cubic model: each β's MI is the rule's on
    ising_configurations(dim=3) with that β's seed, as the command prints it; the effective
    β it reads from the 3D run file is rule_information's on that file; the file records dim
    3 and the figure is written."""
    d, results = runs
    assert_ok(results[2])
    geometry = Geometry(2, 0, 1, dim=3)
    thermo = calibrate_thermometer(BLOCK_SPIN, geometry, 4, [0.2, 0.24], device="cpu",
                                   **THERMOMETER)
    for i, beta in enumerate((0.2, 0.24)):
        configs = ising_configurations(4, 1 / beta, dim=3, replicas=4, thermalize=100,
                                       samples=2, every=10, seed=independent_seed(3, i),
                                       device="cpu")
        assert configs.shape == (8, 4, 4, 4)
        mi = rule_information(configs, BLOCK_SPIN, geometry, pairs=2000, epochs=2, seed=3)
        assert (thermo.mi[i], thermo.mi_err[i]) == mi
        assert f"{mi[0]:.4f} ± {mi[1]:.4f}" in results[2].stdout, describe(results[2])
    configs, _ = load_configurations(d / "cubic.h5", dims=DIMENSIONS)
    mi, err = rule_information(configs, BLOCK_SPIN, geometry, pairs=2000, epochs=2, seed=3)
    beta, beta_err = thermo.read(mi, err)
    assert f"effective β = {beta:.4f} ± {beta_err:.4f}" in results[2].stdout
    with h5py.File(d / "t.h5") as f:
        assert f.attrs["dim"] == 3 and f.attrs["L"] == 4
        np.testing.assert_array_equal(f["mi"][()], thermo.mi)
    assert (d / "t.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(InputError, match="3D geometry does not apply to a 2D lattice"):
        rule_information(configs[:, 0], BLOCK_SPIN, geometry)  # 2D configurations
