"""Tests of ``gpurg rbm train`` (subprocesses; helpers in test_cli.py)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from gpurg.rsmi.files import load_configurations
from gpurg.rsmi.likelihood import read_block_rbm, train_block_rbm, write_block_rbm

from .test_cli import assert_ok, assert_one_error_line, bad_input_tests, run_gpurg


@pytest.fixture(scope="module")
def dimer_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Noisy dimer images of an 8 x 8 lattice (16 x 16 pixels), 80 configurations."""
    directory = tmp_path_factory.mktemp("dimers")
    assert_ok(run_gpurg(["dimer", "sample", "-L", 8, "-T", "inf", "-R", 8, "--sweeps", 40,
                         "--thermalize", 10, "--every", 4, "--noise", "correlated", "--seed", 3,
                         "--device", "cpu", "-o", "run.h5"], directory))
    return directory / "run.h5"


def test_train_writes_the_library_result_table_and_figure(dimer_file: Path,
                                                          tmp_path: Path) -> None:
    """The file holds what train_block_rbm computes on the same configurations with the
    model's stride (2 for dimer images) and seed, bit for bit; the printed table gives each
    unit's noise share as the library's analysis computes it; the figure lies beside the file. A CLI
    that drew blocks with stride 1 or another seed would fail the equality."""
    result = run_gpurg(["rbm", "train", dimer_file, "--block", 8, "--hidden", 2, "--blocks",
                        3000, "--epochs", 3, "--seed", 4, "--device", "cpu", "-o", "rbm.h5"],
                       tmp_path)
    assert_ok(result)
    assert (tmp_path / "rbm.png").stat().st_size > 0
    back = read_block_rbm(tmp_path / "rbm.h5")
    configs, _ = load_configurations(dimer_file)
    lib = train_block_rbm(configs, 8, 2, stride=2, blocks=3000, epochs=3, seed=4,
                          device="cpu")
    np.testing.assert_array_equal(back.weights, lib.weights)
    np.testing.assert_array_equal(back.hidden_bias, lib.hidden_bias)
    assert back.settings["roles"] == "dimer" and back.settings["k"] == 1
    assert not back.settings["persistent"]
    assert "noise share" in result.stdout and "CD-1" in result.stdout
    shares = lib.analysis("dimer")
    for j in range(2):
        row = re.search(rf"│\s+{j} │([^\n]*)", result.stdout)
        assert row is not None, result.stdout
        assert f"{shares.noise_share[j]:.3f}" in row.group(1)
        assert f"{shares.pair_share[j]:.3f}" in row.group(1)
    assert f"{lib.log_likelihood:.4f}" in result.stdout


def test_persistent_and_k_reach_the_library(dimer_file: Path, tmp_path: Path) -> None:
    result = run_gpurg(["rbm", "train", dimer_file, "--block", 4, "--hidden", 1, "--blocks",
                        500, "--epochs", 1, "--persistent", "--cd-k", 2, "--device", "cpu",
                        "--figure-format", "svg", "-o", "p.h5"], tmp_path)
    assert_ok(result)
    back = read_block_rbm(tmp_path / "p.h5")
    assert back.settings["persistent"] and back.settings["k"] == 2
    assert back.weights.shape == (1, 4, 4) and (tmp_path / "p.svg").exists()
    assert "PCD-2" in result.stdout


def test_block_larger_than_the_lattice(dimer_file: Path, tmp_path: Path) -> None:
    result = run_gpurg(["rbm", "train", dimer_file, "--block", 16, "-o", "r.h5"], tmp_path)
    assert_one_error_line(result, tmp_path, ("18", "16 x 16"))


def test_an_rbm_file_is_not_a_run_file(tmp_path: Path) -> None:
    images = np.zeros((2, 8, 8), np.uint8)
    fit = train_block_rbm(images, 4, 1, stride=2, blocks=10, epochs=1)
    write_block_rbm(tmp_path / "a.h5", fit)
    out = tmp_path / "again"
    out.mkdir()
    result = run_gpurg(["rbm", "train", tmp_path / "a.h5", "-o", "b.h5"], out)
    assert_one_error_line(result, out, ("a.h5",))


def test_the_table_has_shares_where_the_analysis_is_defined() -> None:
    """Dimer blocks of even side get the noise, bond and pair shares of BlockRBM.analysis
    (a zero unit's are "—"); an odd side ends in half sites and gets none; spins none."""
    from rich.console import Console

    from gpurg.cli.rbm import unit_table
    from gpurg.rsmi.likelihood import BlockRBM

    def shown(weights: np.ndarray, roles: str) -> str:
        n, b = weights.shape[:2]
        fit = BlockRBM(weights, np.zeros((b, b)), np.zeros(n), "01")
        console = Console(width=200, record=True)
        console.print(unit_table(fit, roles, "CD-1"))
        return console.export_text()

    w = np.zeros((2, 4, 4))
    w[0, 0, 0] = w[0, 1, 1] = 1.0  # one vertex-face pair
    even = shown(w, "dimer")
    assert "top pair share" in even and "1.000" in even and "—" in even
    assert "noise share" not in shown(np.ones((1, 3, 3)), "dimer")
    assert "noise share" not in shown(w, "site")


BAD_INPUT = [
    pytest.param(["rbm", "train", "absent.h5", "-o", "r.h5"], ("absent.h5",), id="no-file"),
    pytest.param(["rbm", "train", "absent.h5", "--hidden", 0, "-o", "r.h5"], ("--hidden",),
                 id="zero-hidden"),
    pytest.param(["rbm", "train", "absent.h5", "--block", 0, "-o", "r.h5"], ("--block",),
                 id="zero-block"),
    pytest.param(["rbm", "train", "absent.h5", "--cd-k", 0, "-o", "r.h5"], ("--cd-k",),
                 id="zero-k"),
    pytest.param(["rbm", "train", "absent.h5", "--epochs", 0, "-o", "r.h5"], ("--epochs",),
                 id="zero-epochs"),
    pytest.param(["rbm", "train", "absent.h5", "--learning-rate", 0, "-o", "r.h5"],
                 ("--learning-rate",), id="zero-rate"),
    pytest.param(["rbm", "train", "absent.h5", "--blocks", 2.5, "-o", "r.h5"], ("--blocks",),
                 id="fractional-blocks"),
    pytest.param(["rbm", "train", "absent.h5", "-o", "r.txt"], ("r.txt",), id="bad-output"),
    pytest.param(["rbm", "train", "absent.h5"], ("--output",), id="no-output"),
]

bad_results, test_bad_input_is_one_error_line = bad_input_tests(BAD_INPUT)
