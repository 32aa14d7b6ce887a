"""Configurations checked at the door: deliberately corrupted run files and .npy arrays end
in one error line naming the first bad value and where it is, and leave no output behind;
the valid files they were made from still pass (subprocesses; helpers in test_cli.py)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from gpurg.errors import InputError
from gpurg.io.validate import ISING_SPINS, check_values

from .test_cli import assert_ok, bad_input_tests, describe, run_forked

# The corrupted files lie in this folder of the session's base temporary directory; each
# bad-input case runs in a fresh folder beside it (tmp_path_factory.mktemp), so they are
# named relative to that.
FILES = "validation-files"
HERE = f"../{FILES}"
ISING = ["ising", "sample", "-L", 8, "-T", 2.5, "--replicas", 8, "--sweeps", 20, "--every",
         10, "--device", "cpu"]
DIMER = ["dimer", "sample", "-L", 8, "-T", "inf", "--replicas", 8, "--sweeps", 20, "--every",
         10, "--noise", "correlated", "--device", "cpu"]
# Small settings, so that a command which wrongly accepts a bad file still ends soon.
TRAIN = ["--epochs", 1, "--pairs", 2000, "--restarts", 1, "--device", "cpu"]
THERMOMETER = ["-L", 8, "--betas", "0.40,0.48", "--replicas", 4, "--sweeps", 10, "--pairs",
               1000, "--epochs", 1, "--device", "cpu"]


def corrupt(source: Path, target: str, change: Callable[[h5py.File], None]) -> None:
    """Copy the run file ``source`` to ``target`` beside it and apply ``change`` to the copy."""
    shutil.copy(source, source.parent / target)
    with h5py.File(source.parent / target, "r+") as f:
        change(f)


def assign(name: str, index: Any, value: int) -> Callable[[h5py.File], None]:
    def change(f: h5py.File) -> None:
        f[name][index] = value
    return change


def set_attr(key: str, value: object) -> Callable[[h5py.File], None]:
    def change(f: h5py.File) -> None:
        f.attrs[key] = value
    return change


def replace(name: str, make: Callable[[np.ndarray], np.ndarray]) -> Callable[[h5py.File], None]:
    def change(f: h5py.File) -> None:
        data = make(f[name][()])
        del f[name]
        f[name] = data
    return change


@pytest.fixture(scope="module", autouse=True)
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real sampler runs of each kind, a filter trained on the Ising one, a coarse-grained
    run, and corrupted copies; made before the bad-input cases run (autouse)."""
    directory = tmp_path_factory.getbasetemp() / FILES
    directory.mkdir()
    made = run_forked([
        ([*ISING, "-o", "i.h5"], directory),
        ([*DIMER, "-o", "d.h5"], directory),
        (["rsmi", "train", "i.h5", *TRAIN, "-o", "filter.h5"], directory),
        (["rsmi", "coarse-grain", "i.h5", "--filter", "filter.h5", "--device", "cpu", "-o",
          "c.h5"], directory),
        (["dimer", "convert", "d.h5", "rsmi.npy"], directory),
        (["dimer", "convert", "d.h5", "codes.npy", "--to", "codes"], directory),
    ], tmp_path_factory.mktemp("logs"))
    for result in made:
        assert_ok(result)
    ising, dimer, coarse = directory / "i.h5", directory / "d.h5", directory / "c.h5"
    corrupt(ising, "i3.h5", assign("configs", (1, 0, 5, 2), 3))
    corrupt(ising, "i0.h5", assign("configs", ..., 0))
    corrupt(ising, "iL.h5", set_attr("L", 16))
    corrupt(ising, "iR.h5", set_attr("replicas", 4))
    corrupt(ising, "iN.h5", set_attr("n_measurements", 5))
    corrupt(ising, "potts.h5", set_attr("model", "potts"))
    corrupt(ising, "float.h5", replace("configs", lambda c: c.astype(np.float64)))
    corrupt(coarse, "c0.h5", assign("configs", (1, 3, 2, 1), 0))
    corrupt(dimer, "d5.h5", assign("configs", (1, 2, 3, 4), 5))
    corrupt(dimer, "d2.h5", assign("images", (1, 6, 9, 4), 2))
    corrupt(dimer, "d0.h5", assign("images", ..., 0))
    corrupt(dimer, "dL.h5", replace("images", lambda im: im[..., ::2, ::2]))
    images = np.load(directory / "rsmi.npy")  # RSMI-NE's float64 0/1 images
    images[2, 5, 7] = 2.0
    np.save(directory / "pixel2.npy", images)
    codes = np.load(directory / "codes.npy")
    codes[3, 6, 1] = 5
    np.save(directory / "code5.npy", codes)
    return directory


# (arguments, words the error line must contain): the file, the first bad value with its
# index in the dataset (or the attribute and the shape it contradicts), and the rule
BAD_INPUT = [
    pytest.param(["rsmi", "train", f"{HERE}/i3.h5", *TRAIN, "-o", "f.h5"],
                 ("i3.h5", "configs[1, 0, 5, 2] = 3", "Ising spins must be -1 or +1"),
                 id="ising-spin-3"),
    pytest.param(["rsmi", "train", f"{HERE}/i0.h5", *TRAIN, "-o", "f.h5"],
                 ("i0.h5", "configs[0, 0, 0, 0] = 0", "Ising spins must be -1 or +1"),
                 id="ising-all-zeros"),
    pytest.param(["rsmi", "train", f"{HERE}/iL.h5", *TRAIN, "-o", "f.h5"],
                 ("iL.h5", "attribute L = 16 but configs are 8 x 8"), id="train-wrong-L"),
    pytest.param(["rg", "exponents", f"{HERE}/iL.h5", "--device", "cpu"],
                 ("iL.h5", "attribute L = 16 but configs are 8 x 8"), id="exponents-wrong-L"),
    pytest.param(["rg", "exponents", f"{HERE}/i3.h5", "--device", "cpu"],
                 ("i3.h5", "configs[1, 0, 5, 2] = 3"), id="exponents-spin-3"),
    pytest.param(["rsmi", "train", f"{HERE}/iR.h5", *TRAIN, "-o", "f.h5"],
                 ("iR.h5", "attribute replicas = 4 but configs hold 8 replicas"),
                 id="wrong-replicas"),
    pytest.param(["rsmi", "coarse-grain", f"{HERE}/iN.h5", "--filter", f"{HERE}/filter.h5",
                  "--device", "cpu", "-o", "c.h5"],
                 ("iN.h5", "attribute n_measurements = 5 but configs hold 2 measurements"),
                 id="wrong-n-measurements"),
    pytest.param(["rsmi", "train", f"{HERE}/potts.h5", *TRAIN, "-o", "f.h5"],
                 ("potts.h5", "model 'potts' unknown", "ising"), id="unknown-model"),
    pytest.param(["rsmi", "train", f"{HERE}/float.h5", *TRAIN, "-o", "f.h5"],
                 ("float.h5", "configs has dtype float64", "integers"), id="float-configs"),
    pytest.param(["rsmi", "thermometer", "--filter", f"{HERE}/filter.h5", "--read",
                  f"{HERE}/c0.h5", *THERMOMETER],
                 ("c0.h5", "configs[1, 3, 2, 1] = 0", "coarse-grained spins must be -1 or +1"),
                 id="coarse-spin-0"),
    pytest.param(["dimer", "convert", f"{HERE}/d5.h5", "out.npy"],
                 ("d5.h5", "configs[1, 2, 3, 4] = 5", "dimer site codes must be 0..3"),
                 id="dimer-code-5"),
    pytest.param(["dimer", "convert", f"{HERE}/d2.h5", "out.h5"],
                 ("d2.h5", "images[1, 6, 9, 4] = 2", "dimer image pixels must be 0 or 1"),
                 id="convert-image-pixel-2"),
    pytest.param(["rsmi", "train", f"{HERE}/d2.h5", *TRAIN, "-o", "f.h5"],
                 ("d2.h5", "images[1, 6, 9, 4] = 2", "dimer image pixels must be 0 or 1"),
                 id="train-image-pixel-2"),
    pytest.param(["rsmi", "train", f"{HERE}/d0.h5", *TRAIN, "-o", "f.h5"],
                 ("d0.h5", "images", "site (y=0, x=0) of configuration 0 is covered by 0"),
                 id="train-image-all-zeros"),
    pytest.param(["rsmi", "train", f"{HERE}/dL.h5", *TRAIN, "-o", "f.h5"],
                 ("dL.h5", "attribute L = 8 but images are 8 x 8", "2L x 2L"),
                 id="image-wrong-side"),
    pytest.param(["dimer", "convert", f"{HERE}/pixel2.npy", "out.h5"],
                 ("pixel2.npy[2, 5, 7] = 2", "dimer image pixels must be 0 or 1"),
                 id="npy-pixel-2"),
    pytest.param(["dimer", "convert", f"{HERE}/code5.npy", "out.npy", "--to", "image"],
                 ("code5.npy[3, 6, 1] = 5", "dimer site codes must be 0..3"), id="npy-code-5"),
]


bad_results, test_bad_input_is_one_error_line = bad_input_tests(BAD_INPUT)


# (arguments run in the files' folder, the file each writes): every reader on valid input
VALID = [
    pytest.param(["rsmi", "train", "i.h5", *TRAIN, "-o", "ok-i.h5"], "ok-i.h5", id="train"),
    pytest.param(["rsmi", "train", "d.h5", *TRAIN, "-o", "ok-d.h5"], "ok-d.h5",
                 id="train-dimer-images"),
    pytest.param(["rsmi", "coarse-grain", "c.h5", "--filter", "filter.h5", "--device", "cpu",
                  "-o", "ok-c.h5"], "ok-c.h5", id="coarse-grain-coarse-grained"),
    pytest.param(["rg", "exponents", "i.h5", "--device", "cpu"], None, id="exponents"),
    pytest.param(["dimer", "convert", "d.h5", "ok.npy"], "ok.npy", id="convert-run"),
    pytest.param(["dimer", "convert", "rsmi.npy", "ok-rsmi.h5"], "ok-rsmi.h5",
                 id="convert-rsmi-ne"),
    pytest.param(["dimer", "convert", "codes.npy", "ok-codes.h5"], "ok-codes.h5",
                 id="convert-codes"),
]


@pytest.fixture(scope="module")
def valid_results(files: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    results = run_forked([(p.values[0], files) for p in VALID], tmp_path_factory.mktemp("logs"))
    return {p.id: result for p, result in zip(VALID, results, strict=True)}


@pytest.mark.parametrize(("args", "written"), VALID)
def test_valid_files_still_pass(request: pytest.FixtureRequest, valid_results: dict,
                                files: Path, args: list, written: str | None) -> None:
    result = valid_results[request.node.callspec.id]
    assert_ok(result)
    assert written is None or (files / written).is_file(), describe(result)


def test_check_values_reads_datasets_in_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The index of the first bad value counts the rows of earlier blocks."""
    monkeypatch.setattr("gpurg.validation._BLOCK_VALUES", 2 * 4 * 4)
    spins = np.ones((7, 4, 4), dtype=np.int8)
    check_values(spins, ISING_SPINS, "s")
    spins[5, 3, 1], spins[6, 0, 0] = 0, 2
    with pytest.raises(InputError, match=r"^s\[5, 3, 1\] = 0; Ising spins must be -1 or \+1$"):
        check_values(spins, ISING_SPINS, "s")
    with pytest.raises(InputError, match=r"^s\[0, 0\] = nan;"):
        check_values(np.full((2, 2), np.nan), ISING_SPINS, "s")
