"""Tests of ``gpurg rg exponents`` and ``gpurg rg flow`` (subprocesses; helpers in test_cli.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .test_cli import assert_ok, assert_one_error_line, run_gpurg


@pytest.fixture(scope="module")
def critical_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("tc")
    assert_ok(run_gpurg(["ising", "sample", "-L", 16, "-R", 16, "--sweeps", 40, "--every", 5,
                         "--thermalize", 50, "--device", "cpu", "-o", "tc.h5"], directory))
    return directory / "tc.h5"


def test_exponents_table(critical_file: Path, tmp_path: Path) -> None:
    result = run_gpurg(["rg", "exponents", critical_file, "--rule", "majority", "--operators",
                        3, "--device", "cpu"], tmp_path)
    assert_ok(result)
    assert "y_h" in result.stdout and "exact" in result.stdout and "MCRG b=2" in result.stdout


def test_flow_writes_a_diagram(tmp_path: Path) -> None:
    result = run_gpurg(["rg", "flow", "-L", 16, "--replicas", 16, "--samples", 2,
                        "--temperatures", "2.0,2.27,2.6", "--levels", 2, "--device", "cpu",
                        "-o", "flow.png"], tmp_path)
    assert_ok(result)
    assert "T_c from the flow" in result.stdout
    assert (tmp_path / "flow.png").read_bytes()[:4] == b"\x89PNG"


def test_bad_input(critical_file: Path, tmp_path: Path) -> None:
    result = run_gpurg(["rg", "exponents", critical_file, "--rule", "bogus"], tmp_path)
    assert_one_error_line(result, tmp_path, ("bogus",))
    result = run_gpurg(["rg", "flow", "--levels", 1], tmp_path)
    assert_one_error_line(result, tmp_path, ("levels", "1"))


def test_collapse_command(tmp_path: Path) -> None:
    result = run_gpurg(["rg", "collapse", "--sizes", "8,12", "--temperatures", "2.1,2.27,2.4",
                        "--replicas", 8, "--sweeps", 20, "--device", "cpu"], tmp_path)
    assert_ok(result)
    assert "ν =" in result.stdout and "T_c =" in result.stdout
