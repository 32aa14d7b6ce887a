"""Tests of ``gpurg dimer sample`` and ``gpurg dimer convert``, run as subprocesses (see
test_cli.py for the helpers and the forked driver of the cheap bad-input cases)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import h5py
import numpy as np
import pytest

from gpurg.models.dimer_encodings import (
    bonds,
    parallel_plaquettes,
    to_image,
    validate_codes,
    winding_numbers,
)
from gpurg.models.dimer_exact import exact_reference
from gpurg.stats import summarize_dimer, summarize_profile

from .test_cli import (
    assert_estimate_table,
    assert_ok,
    bad_input_tests,
    describe,
    run_gpurg,
    table_rows,
)

SMALL = {"-L": 6, "-T": 1.0, "-V": -1.0, "--replicas": 4, "--sweeps": 20, "--thermalize": 5,
         "--every": 2, "--device": "cpu", "--seed": 3, "-o": "run.h5"}


def dimer_args(base: dict[str, object] = SMALL, **changes: object) -> list[str]:
    """``dimer sample`` arguments: ``base`` with options changed by name without dashes."""
    options = dict(base)
    for key, value in changes.items():
        flag = f"-{key}" if len(key) == 1 else f"--{key.replace('_', '-')}"
        if value is None:
            options.pop(flag, None)
        else:
            options[flag] = value
    args = ["dimer", "sample"]
    for flag, value in options.items():
        args += [flag, str(value)]
    return args


BAD_INPUT = [
    pytest.param(dimer_args(L=5), ("L", "5"), id="odd-L"),
    pytest.param(dimer_args(L=2), ("L", "2"), id="small-L"),
    pytest.param(dimer_args(T=0), ("T", "0"), id="T-zero"),
    pytest.param(dimer_args(T=-2), ("T", "-2"), id="T-negative"),
    pytest.param(dimer_args(T="nan"), ("T", "nan"), id="T-nan"),
    pytest.param(dimer_args(V="inf"), ("V", "inf"), id="V-infinite"),
    pytest.param(dimer_args(noise="loud"), ("loud", "correlated"), id="unknown-noise"),
    pytest.param(dimer_args(encoding="jpeg"), ("jpeg", "image"), id="unknown-encoding"),
    pytest.param(dimer_args(start="hot"), ("hot", "columnar"), id="unknown-start"),
    pytest.param(dimer_args(rule="metropolis"), ("metropolis", "heat-bath"), id="unknown-rule"),
    pytest.param(dimer_args(worms_per_sweep=0), ("0",), id="no-worms"),
    pytest.param(dimer_args(replicas=0), ("replicas", "0"), id="no-replicas"),
    pytest.param(dimer_args(every=50), ("every", "50"), id="every-over-sweeps"),
    pytest.param(dimer_args(o="nodir/run.h5"), ("nodir",), id="missing-directory"),
    pytest.param(dimer_args(o="run.npy"), ("run.npy",), id="wrong-suffix"),
    pytest.param(["dimer", "convert", "absent.h5", "out.npy"], ("absent.h5",),
                 id="convert-missing-source"),
    pytest.param(["dimer", "convert", "absent.h5", "out.txt"], ("out.txt",),
                 id="convert-bad-target"),
    pytest.param(["dimer", "convert", "absent.h5", "out.npy", "--to", "png"], ("png",),
                 id="convert-bad-format"),
    pytest.param(["bench", "dimer", "--device", "cpu", "--sizes", "7", "--seconds", "0.05"],
                 ("--sizes", "7"), id="bench-odd-size"),
    pytest.param(["bench", "dimer", "--device", "cpu", "--models", "warm"], ("warm", "free"),
                 id="bench-unknown-model"),
]


bad_results, test_bad_input_is_one_error_line = bad_input_tests(BAD_INPUT)


@pytest.fixture(scope="module")
def noisy_run(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    directory = tmp_path_factory.mktemp("noisy")
    return run_gpurg(dimer_args(noise="correlated"), directory), directory


DIMER_ROWS = {"energy per site e": "e", "N_∥ / L²": "n_par", "columnar order |C|²": "col2",
              "C_x": "cx", "C_y": "cy", "winding W_x² + W_y²": "w2", "W_x": "wx", "W_y": "wy",
              "mean worm length": "worm_length"}


def test_sample_prints_tables_with_exact_values(noisy_run: tuple) -> None:
    """Both printed tables against the library on the same input: the summary is
    ``summarize_dimer`` of the file's observables digit for digit, its exact column the 6x6
    enumeration (``exact_reference``; W_x, W_y exactly 0 by symmetry; none for C_x, C_y and
    the worm length) with the deviation of the file's estimate; each row r of the
    correlation table is ``summarize_profile`` of the file's C(r) minus 1/16 beside the exact
    value. Catches the along / across columns swapped, or the exact column of another V."""
    result, directory = noisy_run
    assert_ok(result)
    assert "wrote 10 measurements" in result.stderr
    with h5py.File(directory / "run.h5", "r") as f:
        obs = {k: v[()] for k, v in f["observables"].items()}
        L, V, T = int(f.attrs["L"]), float(f.attrs["V"]), float(f.attrs["T"])
    exact = exact_reference(L, V, T)
    exact_rows = {"e": exact["e"], "n_par": exact["n_par"], "col2": exact["col2"],
                  "w2": exact["wx2"] + exact["wy2"], "wx": 0.0, "wy": 0.0}
    assert_estimate_table(result.stdout, DIMER_ROWS, summarize_dimer(obs), exact_rows)
    rows = table_rows(result.stdout)
    profiles = [summarize_profile(obs[key]) for key in ("corr_long", "corr_trans")]
    for r in range(1, L // 2 + 1):
        want = []
        for i, (mean, error) in enumerate(profiles):
            want += [f"{mean[r] - 1 / 16:+.5f} ± {error[r]:.5f}",
                     f"{exact['corr'][i, r] - 1 / 16:+.5f}"]
        assert rows[str(r)] == want, (r, rows[str(r)], want)


def test_sample_file_layout(noisy_run: tuple) -> None:
    _, directory = noisy_run
    with h5py.File(directory / "run.h5", "r") as f:
        attrs = dict(f.attrs)
        codes = f["configs"][()]
        images = f["images"][()]
        obs = {k: v[()] for k, v in f["observables"].items()}
    assert attrs["model"] == "dimer" and attrs["L"] == 6 and attrs["V"] == -1.0
    assert attrs["noise"] == "correlated" and attrs["n_measurements"] == 10
    assert attrs["complete"] and attrs["worms_per_sweep"] >= 1
    assert codes.dtype == np.int8 and codes.shape == (10, 4, 6, 6)
    validate_codes(codes)
    assert images.dtype == np.uint8 and images.shape == (10, 4, 12, 12)
    # bond pixels are the configuration's dimers; each face copies its vertex pixel
    np.testing.assert_array_equal(images[..., 0::2, 1::2], bonds(codes)[..., 0, :, :])
    np.testing.assert_array_equal(images[..., 1::2, 0::2], bonds(codes)[..., 1, :, :])
    np.testing.assert_array_equal(images[..., 1::2, 1::2], images[..., 0::2, 0::2])
    # the vertex pixels are fair random bits: 1440 of them, sigma = 0.5 / sqrt(1440) = 0.013,
    # bound 5 sigma (was 0.3 - 0.7, 15 sigma)
    vertex = images[..., 0::2, 0::2]
    assert abs(vertex.mean() - 0.5) < 5 * 0.5 / np.sqrt(vertex.size), vertex.mean()
    # observables are those of the stored configurations
    np.testing.assert_array_equal(obs["n_par"] * 36, parallel_plaquettes(codes))
    np.testing.assert_array_equal(obs["wx"], winding_numbers(codes)[..., 0])
    assert obs["corr_long"].shape == (10, 4, 4)


def test_same_seed_same_file_on_cpu_and_numpy(tmp_path: Path) -> None:
    files = {}
    for device in ("cpu", "numpy"):
        out = tmp_path / f"{device}.h5"
        assert_ok(run_gpurg(dimer_args(device=device, o=out, noise="independent"), tmp_path))
        with h5py.File(out, "r") as f:
            files[device] = (f["configs"][()], f["images"][()], f["observables/e"][()])
    for a, b in zip(files["cpu"], files["numpy"], strict=True):
        np.testing.assert_array_equal(a, b)


def test_infinite_temperature_and_image_encoding(tmp_path: Path) -> None:
    result = run_gpurg(dimer_args(T="inf", encoding="image", L=8), tmp_path)
    assert_ok(result)
    with h5py.File(tmp_path / "run.h5", "r") as f:
        assert math.isinf(f.attrs["T"])
        codes, images = f["configs"][()], f["images"][()]
    np.testing.assert_array_equal(images, to_image(codes))  # clean: vertices and faces 0


def test_convert_round_trips_through_rsmi_ne(noisy_run: tuple, tmp_path: Path) -> None:
    _, directory = noisy_run
    source = directory / "run.h5"
    assert_ok(run_gpurg(["dimer", "convert", source, tmp_path / "a.npy"], tmp_path))
    rsmi = np.load(tmp_path / "a.npy")
    assert rsmi.dtype == np.float64 and rsmi.shape == (40, 12, 12)
    assert_ok(run_gpurg(["dimer", "convert", tmp_path / "a.npy", tmp_path / "b.h5"], tmp_path))
    assert_ok(run_gpurg(["dimer", "convert", tmp_path / "b.h5", tmp_path / "c.npy", "--to",
                         "codes"], tmp_path))
    with h5py.File(source, "r") as f:
        codes, images = f["configs"][()], f["images"][()]
    with h5py.File(tmp_path / "b.h5", "r") as f:
        np.testing.assert_array_equal(f["configs"][:, 0], codes.reshape(-1, 6, 6))
        np.testing.assert_array_equal(f["images"][:, 0], images.reshape(-1, 12, 12))
    np.testing.assert_array_equal(np.load(tmp_path / "c.npy"), codes.reshape(-1, 6, 6))
    np.testing.assert_array_equal(rsmi, images.reshape(-1, 12, 12))
    # asking for new noise redraws the decoration and keeps the dimers
    assert_ok(run_gpurg(["dimer", "convert", source, tmp_path / "d.npy", "--noise", "none"],
                        tmp_path))
    np.testing.assert_array_equal(np.load(tmp_path / "d.npy"),
                                  to_image(codes.reshape(-1, 6, 6)))


def test_convert_rejects_an_ising_run(tmp_path: Path) -> None:
    assert_ok(run_gpurg(["ising", "sample", "-L", "4", "--sweeps", "4", "--thermalize", "0",
                         "--device", "numpy", "-o", "ising.h5"], tmp_path))
    result = run_gpurg(["dimer", "convert", "ising.h5", "out.npy"], tmp_path)
    assert result.returncode == 2, describe(result)
    assert "not a dimer run" in result.stderr
    assert not (tmp_path / "out.npy").exists()


def test_dimer_help(tmp_path: Path) -> None:
    result = run_gpurg(["dimer", "sample", "--help"], tmp_path)
    assert_ok(result)
    assert "--interaction" in result.stdout and "--noise" in result.stdout


def test_bench_dimer_json(tmp_path: Path) -> None:
    result = run_gpurg(["bench", "dimer", "--device", "cpu", "--sizes", 8, "--replicas", 4,
                        "--seconds", 0.05, "--models", "free,interacting", "--json"], tmp_path)
    assert_ok(result)
    records = json.loads(result.stdout)
    assert [(r["model"], r["L"], r["replicas"]) for r in records] == [
        ("free", 8, 4), ("interacting", 8, 4)]
    assert all(r["steps_per_ns"] > 0 and r["steps"] > 0 for r in records)
