"""The main job, ``gpurg run ising``: its accuracy on the defaults, its file and its CLI."""

from __future__ import annotations

from pathlib import Path

import h5py
import pytest

from gpurg.errors import InputError
from gpurg.mainjob import run_ising, write_job

from .test_cli import assert_ok, assert_one_error_line, run_gpurg


@pytest.fixture(scope="module")
def default_job():
    return run_ising(device="cpu")


def test_default_job_gives_nu_within_5_percent(default_job) -> None:
    """The issue's bar for the default CPU run: ν within 5% of 1 (majority rule and the
    learned RSMI rule), y_h near 15/8."""
    for name in ("majority", "rsmi"):
        e = default_job.exponents[name]
        assert abs(e.nu - 1.0) < 0.05, (name, e)
        assert abs(e.yh - 15 / 8) < 0.02, (name, e)
    w = default_job.filter.rule.filters[0]
    assert abs(w).max() / abs(w).min() <= 1.2  # the uniform block spin
    assert set(default_job.seconds) == {"sampling", "learning", "mcrg"}


def test_job_file_layout(default_job, tmp_path: Path) -> None:
    h5, png = write_job(tmp_path / "run.h5", default_job)
    with h5py.File(h5, "r") as f:
        for name in ("rsmi", "majority"):
            attrs = dict(f[f"exponents/{name}"].attrs)
            assert {"nu", "nu_err", "yh", "yh_err", "levels", "operators"} <= set(attrs)
            assert attrs["levels"] == 2 and attrs["operators"] >= 7
        assert f["filter"].shape == (1, 2, 2) and 0 < f["filter"].attrs["mi"] < 0.7
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_small_job_from_the_command_line(tmp_path: Path) -> None:
    result = run_gpurg(["run", "ising", "-L", 32, "--samples", 4, "-R", 16, "--device",
                        "cpu", "-o", "job.h5"], tmp_path)
    assert_ok(result)
    assert "majority" in result.stdout and "exact" in result.stdout
    assert (tmp_path / "job.h5").exists() and (tmp_path / "job.png").exists()


def test_bad_job_input(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="multiple of 16"):
        run_ising(L=24, device="numpy")
    result = run_gpurg(["run", "ising", "-L", 20, "-o", "job.h5"], tmp_path)
    assert_one_error_line(result, tmp_path, ("20",))
