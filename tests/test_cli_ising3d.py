"""``gpurg ising sample --dim 3``: the simple-cubic model from the command line, its
defaults, its exact column, its errors and ``--resume``. Runs are tiny (L <= 4 but for the
default-size run, a few sweeps) on the host kernels or NumPy, whose chains are identical."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from gpurg.errors import Terminated
from gpurg.io.hdf5 import read_run
from gpurg.models.ising3d import Ising3DModel
from gpurg.models.ising3d_exact import T_C, exact_observables
from gpurg.models.ising_exact import T_C as T_C_2D
from gpurg.sampling import sample_ising
from gpurg.stats import summarize_ising

from .test_cli import assert_estimate_table, assert_ok, describe, run_forked, table_rows

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX fork and signals"),
    pytest.mark.filterwarnings("ignore::RuntimeWarning"),  # short series: tau_int warnings
]

SMALL = {"--dim": 3, "-L": 4, "-T": 4.0, "--field": 0.1, "--replicas": 4, "--sweeps": 12,
         "--thermalize": 4, "--every": 2, "--algorithm": "heatbath", "--seed": 3,
         "--device": "cpu", "--layout": "bytes"}
LABELS = {"energy per site e": "e", "|m|": "abs_m", "m²": "m2", "Binder U": "binder",
          "specific heat c": "c", "susceptibility χ": "chi"}


def _args(options: dict, *extra: object) -> list[object]:
    return ["ising", "sample", *[x for item in options.items() for x in item], *extra]


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[Path, list]:
    """The module's command lines, run once as forked children of one interpreter."""
    root = tmp_path_factory.mktemp("cli3d")
    cases = [
        _args(SMALL, "-o", "small.h5"),
        _args({"--dim": 3, "--replicas": 2, "--sweeps": 1, "--thermalize": 0,
               "--algorithm": "metropolis", "--device": "numpy"}, "-o", "defaults.h5"),
        _args({**SMALL, "-L": 2, "--replicas": 64, "--sweeps": 40}),
        ["ising", "sample", "--dim", "4"],
        ["ising", "sample", "--dim", "3", "-L", "3"],
        ["ising", "sample", "--dim", "3", "-L", "1292"],
        ["ising", "sample", "-L", "2"],
        ["ising", "sample", "--dim", "3", "--algorithm", "swendsen-wang", "--field", "0.5"],
    ]
    return root, run_forked([(args, root) for args in cases], root)


def test_sample_writes_the_3d_layout(runs) -> None:
    root, results = runs
    assert_ok(results[0])
    assert "3D Ising L=4 T=4" in results[0].stdout
    with h5py.File(root / "small.h5", "r") as f:
        attrs = dict(f.attrs)
        configs = f["configs"][()]
    assert attrs["model"] == "ising3d" and attrs["L"] == 4 and attrs["T"] == 4.0
    assert attrs["algorithm"] == "heatbath" and attrs["spin_layout"] == "bytes"
    assert configs.shape == (6, 4, 4, 4, 4) and configs.dtype == np.int8
    # the same chain as the library's (NumPy here, the host kernels there: bit for bit)
    run = sample_ising(Ising3DModel(4, 4.0, 1.0, 0.1), replicas=4, sweeps=12, thermalize=4,
                       every=2, algorithm="heatbath", seed=3, device="numpy", layout="bytes")
    assert np.array_equal(run.final_state, configs[-1])
    for name, values in read_run(root / "small.h5").observables.items():
        assert np.array_equal(values, run.observables[name]), name


def test_defaults_of_the_third_dimension(runs) -> None:
    """--dim 3 alone: L = 16 at the 3D T_c (the 2D defaults stay 32 and 2.269)."""
    root, results = runs
    assert_ok(results[1])
    with h5py.File(root / "defaults.h5", "r") as f:
        assert (f.attrs["L"], f.attrs["T"], f.attrs["J"], f.attrs["h"]) == (16, T_C, 1.0, 0.0)
        assert f["configs"].shape == (1, 2, 16, 16, 16)
    assert abs(T_C_2D - 2.269185314213022) < 1e-12


def test_the_two_cube_has_an_exact_column(runs) -> None:
    """On L = 2 every row has the enumeration's value beside it, and the estimates agree with
    it (the table's deviations within 5 sigma); on L = 4 there is no exact column."""
    root, results = runs
    assert_ok(results[2])
    run = sample_ising(Ising3DModel(2, 4.0, 1.0, 0.1), replicas=64, sweeps=40, thermalize=4,
                       every=2, algorithm="heatbath", seed=3, device="numpy", layout="bytes")
    summary = summarize_ising(run.observables, 8, 4.0)
    deviations = assert_estimate_table(results[2].stdout, LABELS, summary,
                                       exact_observables((2, 2, 2), 4.0, 1.0, 0.1))
    assert all(abs(z) < 5 for z in deviations), deviations
    assert all(len(cells) <= 2 or cells[2:] == ["", ""]
               for cells in table_rows(results[0].stdout).values())


@pytest.mark.parametrize(("index", "needle"), [
    (3, "--dim must be an integer in [2, 3], got 4"),
    (4, "--size/-L must be an even integer in [2, 1290], got 3"),
    (5, "--size/-L must be an even integer in [2, 1290], got 1292"),
    (6, "--size/-L must be an even integer in [4, 65536], got 2"),
    (7, "swendsen-wang needs field h = 0"),
])
def test_bad_input_is_one_line_and_exit_2(runs, index, needle) -> None:
    result = runs[1][index]
    assert result.returncode == 2, describe(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], describe(result)
    assert "Traceback" not in result.stderr


def _interrupted(path: Path) -> None:
    """A 3D run file stopped by SIGTERM after 2 of its 6 measurements."""
    def progress(done: int, total: int) -> None:
        if done == 4 + 2 * 2:
            os.kill(os.getpid(), signal.SIGTERM)

    with pytest.raises(Terminated):
        sample_ising(Ising3DModel(4, 4.0, 1.0, 0.1), replicas=4, sweeps=12, thermalize=4,
                     every=2, algorithm="heatbath", seed=3, device="numpy", layout="bytes",
                     output=path, progress=progress)


def test_resume_continues_a_3d_run(runs, tmp_path) -> None:
    """--resume, with or without --dim 3, ends in the file the uninterrupted run wrote;
    --dim 2 refuses a 3D file in one line."""
    root, _ = runs
    for name in ("plain.h5", "dim.h5", "wrong.h5"):
        _interrupted(tmp_path / name)
    results = run_forked([
        (["ising", "sample", "--resume", "plain.h5", "--device", "cpu"], tmp_path),
        (["ising", "sample", "--dim", "3", "--resume", "dim.h5"], tmp_path),
        (["ising", "sample", "--dim", "2", "--resume", "wrong.h5"], tmp_path),
    ], tmp_path)
    full = read_run(root / "small.h5")
    for result, name in zip(results[:2], ("plain.h5", "dim.h5"), strict=True):
        assert_ok(result)
        assert "3D Ising L=4" in result.stdout
        resumed = read_run(tmp_path / name)
        assert resumed.attrs["complete"] and resumed.attrs["n_measurements"] == 6
        for key, values in full.observables.items():
            assert np.array_equal(values, resumed.observables[key]), key
        assert np.array_equal(full.array("configs"), resumed.array("configs"))
    assert results[2].returncode == 2, describe(results[2])
    assert "model = ising3d, not ising" in results[2].stderr
