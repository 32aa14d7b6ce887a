"""Tests of ``gpurg rsmi train`` and ``gpurg rsmi coarse-grain`` (subprocesses; helpers in
test_cli.py)."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from gpurg.io.hdf5 import read_run

from .test_cli import assert_ok, assert_one_error_line, bad_input_tests, describe, run_gpurg


@pytest.fixture(scope="module")
def ising_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("ising")
    assert_ok(run_gpurg(["ising", "sample", "-L", 16, "-R", 16, "--sweeps", 40, "--every", 4,
                         "--thermalize", 20, "--device", "cpu", "-o", "run.h5"], directory))
    return directory / "run.h5"


@pytest.fixture(scope="module")
def trained(ising_file: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple:
    directory = tmp_path_factory.mktemp("filter")
    result = run_gpurg(["rsmi", "train", ising_file, "--block", 2, "--env", 2, "--hidden", 1,
                        "--epochs", 5, "--pairs", 20000, "--restarts", 2, "--device", "cpu",
                        "--seed", 4, "-o", "filter.h5"], directory)
    return result, directory


def test_train_prints_mi_and_writes_filter_and_png(trained: tuple, ising_file: Path) -> None:
    result, directory = trained
    assert_ok(result)
    assert "I(H:E) =" in result.stdout and "nats" in result.stdout, describe(result)
    with h5py.File(directory / "filter.h5", "r") as f:
        assert f["filter"].shape == (1, 2, 2) and f["bias"].shape == (1,)
        assert 0 < f.attrs["mi"] < np.log(2) and f.attrs["mi_err"] > 0
        assert (f.attrs["block"], f.attrs["buffer"], f.attrs["env"]) == (2, 0, 2)
        assert f.attrs["estimator"] == "variational"
        assert f.attrs["source"] == str(ising_file.resolve())
        assert len(f["mi_history"]) >= 1 and f["restarts_mi"].shape == (2,)
    assert (directory / "filter.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_coarse_grain_writes_a_run_file(trained: tuple, ising_file: Path,
                                        tmp_path: Path) -> None:
    _, directory = trained
    result = run_gpurg(["rsmi", "coarse-grain", ising_file, "--filter", directory / "filter.h5",
                        "--steps", 2, "--mode", "max", "--device", "cpu", "-o", "coarse.h5"],
                       tmp_path)
    assert_ok(result)
    run = read_run(tmp_path / "coarse.h5")
    assert run.attrs["level"] == 2 and run.attrs["L"] == 4
    assert run.configs().shape == (10, 16, 4, 4)
    assert set(np.unique(run.configs())) <= {-1, 1}
    assert run.observables["m"].shape == (10, 16)


BAD_INPUT = [
    pytest.param(["rsmi", "train", "absent.h5", "-o", "f.h5"], ("absent.h5",), id="no-file"),
    pytest.param(["rsmi", "train", "absent.h5", "--block", 0, "-o", "f.h5"], ("0",),
                 id="zero-block"),
    pytest.param(["rsmi", "train", "absent.h5", "--hidden", 1, "-o", "f.txt"], ("f.txt",),
                 id="bad-output"),
    pytest.param(["rsmi", "coarse-grain", "absent.h5", "--filter", "nofilter.h5", "-o", "c.h5"],
                 ("nofilter.h5",), id="no-filter"),
    pytest.param(["rsmi", "coarse-grain", "absent.h5", "--filter", "f.h5", "--mode", "mean",
                  "-o", "c.h5"], ("mean",), id="bad-mode"),
]


bad_results, test_bad_input_is_one_error_line = bad_input_tests(BAD_INPUT)


def test_block_larger_than_the_lattice(ising_file: Path, tmp_path: Path) -> None:
    result = run_gpurg(["rsmi", "train", ising_file, "--block", 20, "-o", "f.h5"], tmp_path)
    assert_one_error_line(result, tmp_path, ("20",))


def test_a_run_file_is_not_a_filter(ising_file: Path, tmp_path: Path) -> None:
    result = run_gpurg(["rsmi", "coarse-grain", ising_file, "--filter", ising_file, "-o",
                        "c.h5"], tmp_path)
    assert_one_error_line(result, tmp_path, ("not a gpurg filter",))


def test_thermometer_reads_a_run(trained: tuple, ising_file: Path, tmp_path: Path) -> None:
    _, directory = trained
    result = run_gpurg(["rsmi", "thermometer", "--filter", directory / "filter.h5", "-L", 8,
                        "--betas", "0.40,0.44,0.48", "--read", ising_file, "--replicas", 8,
                        "--sweeps", 20, "--pairs", 4000, "--epochs", 2, "--device", "cpu"],
                       tmp_path)
    assert_ok(result)
    assert "effective β" in result.stdout and "MI thermometer" in result.stdout


def test_bench_rsmi_json(tmp_path: Path) -> None:
    import json

    result = run_gpurg(["bench", "rsmi", "--device", "numpy", "--pairs", 20000, "--json"],
                       tmp_path)
    assert_ok(result)
    (record,) = json.loads(result.stdout)
    assert 0 < record["seconds_to_1pct"] <= record["seconds_total"]
    assert 0.3 < record["mi"] < np.log(2)


def test_dimer_images_train_on_vertex_aligned_blocks(tmp_path: Path) -> None:
    """On clean dimer images only bond pixels carry information: the weights of vertex and
    face pixels (0 everywhere) get no gradient and decay, and blocks start on vertices (an odd
    start would hand the units the block's position parity)."""
    assert_ok(run_gpurg(["dimer", "sample", "-L", 8, "-R", 16, "--sweeps", 40, "--every", 4,
                         "--encoding", "image", "--device", "cpu", "-o", "d.h5"], tmp_path))
    result = run_gpurg(["rsmi", "train", "d.h5", "--block", 4, "--buffer", 2, "--env", 2,
                        "--hidden", 2, "--epochs", 12, "--pairs", 8000, "--restarts", 1,
                        "--device", "cpu", "-o", "f.h5"], tmp_path)
    assert_ok(result)
    with h5py.File(tmp_path / "f.h5", "r") as f:
        w = f["filter"][()]
        mi = f.attrs["mi"]
    idle = max(np.abs(w[:, 0::2, 0::2]).max(), np.abs(w[:, 1::2, 1::2]).max())
    bonds = max(np.abs(w[:, 0::2, 1::2]).max(), np.abs(w[:, 1::2, 0::2]).max())
    assert idle < 0.1 * bonds, w
    assert mi < 0.5  # far from ln 2: no position parity to read


def test_train_with_the_rbm_estimator(ising_file: Path, tmp_path: Path) -> None:
    result = run_gpurg(["rsmi", "train", ising_file, "--block", 2, "--env", 1,
                        "--estimator", "rbm", "--epochs", 3, "--pairs", 6000, "--restarts", 1,
                        "--device", "cpu", "-o", "f.h5"], tmp_path)
    assert_ok(result)
    with h5py.File(tmp_path / "f.h5", "r") as f:
        assert f.attrs["estimator"] == "rbm"
        assert 0 < f.attrs["mi"] < np.log(2)


def test_bench_rbm_json(tmp_path: Path) -> None:
    import json

    result = run_gpurg(["bench", "rbm", "--device", "cpu", "--seconds", 0.05, "--json"],
                       tmp_path)
    assert_ok(result)
    (record,) = json.loads(result.stdout)
    assert record["samples_per_ns"] > 0 and record["calls"] >= 1
