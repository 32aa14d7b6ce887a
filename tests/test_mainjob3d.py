"""The main job in 3D, ``gpurg run ising --dim 3``: its pipeline, file, figure and CLI on a
small lattice. Its accuracy on the defaults (L = 32, several minutes) is a benchmark
(benchmarks/long_ising_job.py --dim 3; figures in benchmarks/RESULTS.md), not a unit test."""

from __future__ import annotations

import math
from pathlib import Path

import h5py
import numpy as np
import pytest

from gpurg.jobs.mainjob import SETTINGS, JobResult, run_ising, write_job
from gpurg.models.ising3d_exact import BOOTSTRAP, T_C

from .test_cli import assert_ok, assert_one_error_line, run_gpurg

SMALL = dict(dim=3, L=16, samples=4, replicas=8, pairs=4000, level=1, seed=5, device="cpu")


@pytest.fixture(scope="module")
def small_job() -> JobResult:
    return run_ising(**SMALL)


def test_small_3d_job(small_job: JobResult) -> None:
    """Every stage runs in 3D: a 2x2x2 filter of one sign (the block spin, canonical
    orientation), MCRG on 16 -> 8 -> 4 for both rules, finite exponents at level 1 in a
    physical range (ν between the mean-field 1/2 and the 2D value 1; y_h between 2 and d = 3)."""
    job = small_job
    assert job.dim == 3 and job.n_samples == 32 and job.L == 16
    assert job.filter.rule.filters.shape == (1, 8)
    assert (job.filter.rule.filters > 0).all(), job.filter.rule.filters
    for name in ("rsmi", "majority"):
        result, e = job.mcrg[name], job.exponents[name]
        assert result.sizes == (16, 8, 4)
        assert e.level == 1 and e.operators >= 5
        assert 0.5 < e.nu < 1.0 and 2.0 < e.yh < 3.0, (name, e)
        assert np.isfinite([e.nu_err, e.yh_err]).all() and e.nu_err > 0 and e.yh_err > 0


def test_3d_job_file_and_figure(small_job: JobResult, tmp_path: Path) -> None:
    h5, png = write_job(tmp_path / "run3.h5", small_job)
    with h5py.File(h5, "r") as f:
        assert f.attrs["dim"] == 3 and f.attrs["T"] == T_C and f.attrs["L"] == 16
        assert f["filter"].shape == (1, 2, 2, 2)
        np.testing.assert_array_equal(f["filter"][0].ravel(), small_job.filter.rule.filters[0])
        assert 0 < f["filter"].attrs["mi"] <= math.log(2)
        for name in ("rsmi", "majority"):
            attrs = f[f"exponents/{name}"].attrs
            assert attrs["nu"] == small_job.exponents[name].nu and attrs["levels"] == 1
            assert f[f"exponents/{name}/y_t"].shape[0] == 2  # the levels 16 -> 8 -> 4
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_3d_settings() -> None:
    """The 3D job samples at the 3D T_c and reports beside the bootstrap values; its default
    level fits its default lattice (L / 2^level >= 4)."""
    s = SETTINGS[3]
    assert s.lattice.T_c == T_C and s.geometry.dim == 3
    assert s.lattice.reference == {"nu": BOOTSTRAP["nu"], "yh": BOOTSTRAP["yh"]}
    assert s.size // 2**s.level >= 4
    assert SETTINGS[2].geometry.dim == 2


def test_small_3d_job_from_the_command_line(small_job: JobResult, tmp_path: Path) -> None:
    """`gpurg run ising --dim 3` passes every option on: its table and file hold the numbers
    of ``run_ising`` with the same arguments, and name the bootstrap reference."""
    result = run_gpurg(["run", "ising", "--dim", 3, "-L", 16, "--samples", 4, "-R", 8,
                        "--pairs", 4000, "--level", 1, "--seed", 5, "--device", "cpu",
                        "-o", "job.h5"], tmp_path)
    assert_ok(result)
    assert "3D Ising" in result.stdout and "bootstrap" in result.stdout
    rows = {cells[0]: cells[1:] for cells in
            (line.replace("│", " ").split() for line in result.stdout.splitlines())
            if cells and cells[0] in ("rsmi", "majority")}
    with h5py.File(tmp_path / "job.h5", "r") as f:
        for name, e in small_job.exponents.items():
            level, nu, _, nu_err, yh, _, yh_err = rows[name]
            assert (level, nu, nu_err) == (str(e.level), f"{e.nu:.3f}", f"{e.nu_err:.3f}")
            assert (yh, yh_err) == (f"{e.yh:.4f}", f"{e.yh_err:.4f}")
            assert f[f"exponents/{name}"].attrs["yh"] == e.yh
    assert (tmp_path / "job.png").exists()


@pytest.mark.parametrize(("args", "named"), [(["--dim", 4], ("--dim", "4")),
                                             (["--dim", 3, "--level", 4], ("level", "4")),
                                             (["--dim", 3, "-L", 24], ("24",))])
def test_bad_3d_job_input(tmp_path: Path, args: list, named: tuple[str, ...]) -> None:
    """One line naming the bad value, exit 2, no file: a dimension without a model, a level
    the lattice cannot reach (32 / 2^4 = 2 is below the 4 sites MCRG needs), L not a
    multiple of 16."""
    result = run_gpurg(["run", "ising", *args, "--samples", 2, "-R", 8, "--pairs", 100,
                        "--device", "numpy", "-o", "job.h5"], tmp_path)
    assert_one_error_line(result, tmp_path, named)
