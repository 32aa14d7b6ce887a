"""``gpurg rsmi landscape`` without ``--chain`` (2x2 blocks of 2D Ising): on fresh samples and
on a run file, the file it writes equals the library's landscape, the figure, the table, and
bad input as one error line."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from gpurg.models.ising_exact import T_C
from gpurg.rg.block_landscape import block_landscape, read_block_landscape
from gpurg.rsmi.files import load_configurations

from .test_cli import assert_ok, bad_input_tests, run_gpurg, table_rows

SMALL = ["--grid", "5", "--max-lambda", "2", "--fit-grid", "3", "--positions", "2000"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("land2d")
    assert_ok(run_gpurg(["ising", "sample", "-L", 16, "-R", 16, "--sweeps", 20, "--every", 5,
                         "--thermalize", 50, "--device", "cpu", "-o", "tc.h5"], directory))
    return directory


def test_landscape_of_a_run_file(runs: Path) -> None:
    result = run_gpurg(["rsmi", "landscape", "tc.h5", *SMALL, "--seed", "4", "-o", "l.h5"],
                       runs)
    assert_ok(result)
    assert (runs / "l.png").stat().st_size > 0
    configs, attrs = load_configurations(runs / "tc.h5")
    want = block_landscape(configs, 1.0 / attrs["T"], grid=5, max_lambda=2.0, fit_grid=3,
                           positions=2000, seed=4)
    back = read_block_landscape(runs / "l.h5")
    for name in ("lambdas", "mi", "mi_err", "mi_ve", "K2_1", "rangeness", "mbodyness"):
        np.testing.assert_array_equal(getattr(back, name), getattr(want, name), err_msg=name)
    with h5py.File(runs / "l.h5", "r") as f:
        assert f["mi"].shape == (2, 5, 5) and f["K2_1"].shape == (3, 3)
        assert f.attrs["source"] == str((runs / "tc.h5").resolve())
    information, hamiltonian = result.stdout.split("coarse Hamiltonian")
    rows = table_rows(information)
    assert rows["decimation"][:2] == ["2, 0", f"{want.mi[0, 4, 2]:.4f}("
                                      f"{round(want.mi_err[0, 4, 2] * 1e4)})"], rows
    rows = table_rows(hamiltonian)  # fit grid (-2, 0, 2): decimation's point is [2, 1]
    assert rows["decimation"][:2] == ["2, 0", f"{want.K2_1[2, 1]:.3f}("
                                      f"{round(want.K2_1_err[2, 1] * 1e3)})"], rows


def test_coarse_grained_spins_are_refused(runs: Path) -> None:
    """The exact P(V|E) is that of nearest-neighbour Ising spins at K: coarse-grained spins
    (whose Hamiltonian is another) are refused in one line, not read at the file's 1/T."""
    import shutil

    shutil.copy(runs / "tc.h5", runs / "coarse.h5")
    with h5py.File(runs / "coarse.h5", "a") as f:
        f.attrs["model"] = "coarse-grained"
        f.attrs["level"] = 1
    result = run_gpurg(["rsmi", "landscape", "coarse.h5", "-o", "c.h5"], runs)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "'coarse-grained'" in lines[0], lines
    assert not list(runs.glob("c.*"))


def test_fresh_samples_at_tc_and_one_buffer(tmp_path: Path) -> None:
    result = run_gpurg(["rsmi", "landscape", *SMALL, "-L", "16", "-R", "8", "--samples", "4",
                        "--buffer", "1", "--device", "cpu", "-o", "l.h5", "--figure-format",
                        "svg"], tmp_path)
    assert_ok(result)
    assert (tmp_path / "l.svg").is_file()
    back = read_block_landscape(tmp_path / "l.h5")
    assert back.buffers.tolist() == [1] and back.L == 16 and back.samples == 32
    assert back.K == pytest.approx(1.0 / T_C, rel=1e-15)


bad_results, test_bad_input_is_one_error_line = bad_input_tests([
    pytest.param(["rsmi", "landscape", "--buffer", "2", "-o", "x.h5"], ("--buffer", "0 or 1"),
                 id="2d-buffer"),
    pytest.param(["rsmi", "landscape", "-K", "-0.3", "-o", "x.h5"], ("--coupling",),
                 id="2d-antiferromagnet"),
    pytest.param(["rsmi", "landscape", "--chain", "--fit-grid", "5", "-o", "x.h5"],
                 ("--fit-grid", "2D"), id="2d-option-in-chain"),
    pytest.param(["rsmi", "landscape", "no-such.h5", "-o", "x.h5"], ("no-such.h5",),
                 id="missing-source"),
    pytest.param(["rsmi", "landscape", "--fit-grid", "2", "-o", "x.h5"], ("--fit-grid",),
                 id="fit-grid"),
    pytest.param(["rsmi", "landscape", "--positions", "3", "-o", "x.h5"], ("--positions",),
                 id="positions"),
    pytest.param(["rsmi", "landscape", "-L", "6", "-o", "x.h5"], ("--size 6", "L >= 8"),
                 id="2d-size"),
    pytest.param(["rsmi", "landscape", "-R", "4", "--samples", "2", "-o", "x.h5"],
                 ("--replicas", "16"), id="2d-too-few-configurations"),
    pytest.param(["rsmi", "landscape", "--chain", "-K", "0", "-o", "x.h5"],
                 ("--coupling 0", "I(V:E)"), id="chain-without-information"),
    pytest.param(["rsmi", "landscape", "--chain", "-K", "1e-9", "-o", "x.h5"],
                 ("--coupling 1e-09", "double precision"), id="chain-information-underflows"),
])
