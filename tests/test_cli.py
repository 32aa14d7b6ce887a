"""Tests of the ``gpurg`` command line, run as a subprocess of this interpreter.

Every run is small (L <= 16, a few dozen sweeps) and uses ``--device cpu`` (host-compiled
kernels) or ``--device numpy``. Each fresh subprocess costs about a second of interpreter
and import start-up, so runs shared by several tests are made once per module, and the
many cheap invocations (bad input, help) are forked from one interpreter instead.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import h5py
import numpy as np
import pytest

import gpurg
from gpurg.backend.device import probe_gpu
from gpurg.models.ising import IsingModel
from gpurg.models.ising_exact import (
    T_C,
    energy_and_specific_heat,
    exact_observables,
    exact_reference,
)
from gpurg.sampling import sample_ising
from gpurg.stats import summarize_ising

CLI = (sys.executable, "-c", "from gpurg.cli.main import main; main()")
# A fixed terminal width: error lines must stay single lines at the common default.
ENV = {**os.environ, "COLUMNS": "80"}
TIMEOUT_S = 120
OBSERVABLES = ("e", "m", "abs_m", "m2", "m4")

# A small run whose 16 measurements of 4 replicas are cheap on every backend.
SMALL = {
    "-L": 8, "-T": 2.5, "--replicas": 4, "--sweeps": 32, "--thermalize": 10, "--every": 2,
    "--algorithm": "metropolis", "--device": "cpu", "--seed": 3, "-o": "run.h5",
}
# The run of requirement 2: 50 sweeps measured every 5 -> 10 measurements.
VALID = {**SMALL, "--sweeps": 50, "--every": 5}


# ----------------------------------------------------------------------------- helpers
def gpurg_cmd(args: Sequence[object]) -> list[str]:
    return [*CLI, *map(str, args)]


def run_gpurg(args: Sequence[object], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``gpurg ARGS`` in ``cwd`` and capture its output."""
    return subprocess.run(gpurg_cmd(args), cwd=cwd, env=ENV, capture_output=True, text=True,
                          timeout=TIMEOUT_S, check=False)


# Runs cheap invocations (bad input, help) from one interpreter that has imported gpurg
# once, each as a forked child with its own working directory, stdout, stderr and exit
# status, like a fresh process (an uncaught exception prints a traceback and exits 1) but
# without a second of imports each. argv[1]: JSON list of [args, cwd, log path prefix].
FORK_DRIVER = """
import json, os, sys, traceback
from gpurg.cli.main import main

def child(args, cwd, log):
    os.chdir(cwd)
    for fd, suffix in ((1, ".out"), (2, ".err")):
        f = os.open(log + suffix, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(f, fd)
        os.close(f)
    sys.argv = ["gpurg", *args]
    code = 0
    try:
        main()
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)

spec, parallel = json.loads(sys.argv[1]), int(sys.argv[2])
if parallel > 1:  # children side by side: one OpenMP thread each (read when a kernel loads)
    os.environ["OMP_NUM_THREADS"] = "1"
codes, running = [None] * len(spec), {}


def reap():
    pid, status = os.wait()
    codes[running.pop(pid)] = os.waitstatus_to_exitcode(status)


for i, (args, cwd, log) in enumerate(spec):
    if len(running) == parallel:
        reap()
    pid = os.fork()
    if pid == 0:
        child(args, cwd, log)
    running[pid] = i
while running:
    reap()
print(json.dumps(codes))
"""


def run_forked(cases: Sequence[tuple[Sequence[object], Path]], logs: Path, parallel: int = 1
               ) -> list[subprocess.CompletedProcess[str]]:
    """Run ``gpurg ARGS`` in ``cwd`` for each (ARGS, cwd) of ``cases``, as forked children of
    one interpreter (see FORK_DRIVER), in order, ``parallel`` at a time (only for cases that
    neither read what another writes nor share a directory); ``logs`` holds their stdout and
    stderr."""
    if not hasattr(os, "fork"):
        return [run_gpurg(args, cwd) for args, cwd in cases]
    spec = [([str(a) for a in args], str(cwd), str(logs / f"{i}")) for i, (args, cwd)
            in enumerate(cases)]
    driver = subprocess.run([sys.executable, "-c", FORK_DRIVER, json.dumps(spec),
                             str(parallel)], env=ENV,
                            cwd=logs, capture_output=True, text=True, timeout=TIMEOUT_S,
                            check=False)
    assert driver.returncode == 0, describe(driver)
    codes = json.loads(driver.stdout)
    return [subprocess.CompletedProcess(gpurg_cmd(args), code,
                                        Path(f"{log}.out").read_text(encoding="utf-8"),
                                        Path(f"{log}.err").read_text(encoding="utf-8"))
            for (args, _, log), code in zip(spec, codes, strict=True)]


def sample_args(base: dict[str, object], **changes: object) -> list[str]:
    """``ising sample`` arguments: ``base`` updated by ``changes``, given by option name without
    dashes (``L=5``, ``device="numpy"``, ``o="x.h5"``); extra flags go in ``flags``."""
    flags = changes.pop("flags", ())
    options = dict(base)
    for key, value in changes.items():
        flag = f"-{key}" if len(key) == 1 else f"--{key.replace('_', '-')}"
        options[flag] = value
    args = ["ising", "sample"]
    for flag, value in options.items():
        args += [flag, str(value)]
    return [*args, *flags]


def describe(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"


def table_rows(text: str) -> dict[str, list[str]]:
    """Rows of the rich tables printed in ``text``: first cell -> the other cells, stripped
    (rows whose first cell wraps onto a second line are not used by the tests)."""
    rows = {}
    for line in text.splitlines():
        if line.startswith("│"):
            cells = [c.strip() for c in line.strip("│").split("│")]
            if cells[0]:
                rows[cells[0]] = cells[1:]
    return rows


def assert_estimate_table(text: str, labels: dict[str, str], summary: dict,
                          exact: dict[str, float]) -> list[float]:
    """The printed summary table against the library's numbers on the same input: every
    ``label``'s "value ± error" is ``summary[key].format()`` character for character, and
    where ``exact`` has the key, the exact column is that value to 7 digits and the deviation
    column is (value - exact) / error of ``summary[key]`` to 0.1 sigma; the other rows leave
    both empty. Returns the deviations, recomputed."""
    rows = table_rows(text)
    deviations = []
    for label, key in labels.items():
        assert label in rows, (label, text)
        cells = rows[label]
        est = summary[key]
        assert cells[0] == est.format(), (label, cells, est)
        if key in exact:
            z = (est.value - exact[key]) / est.error if est.error > 0 else math.nan
            printed = "" if math.isnan(z) else f"{z:+.1f}σ"
            assert cells[2:4] == [f"{exact[key]:.7g}", printed], (label, cells, z)
            deviations.append(z)
        else:
            assert cells[2:] in ([], ["", ""]), (label, cells)
    return deviations


def assert_ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, describe(result)
    assert "Traceback" not in result.stdout + result.stderr, describe(result)


def hidden_files(directory: Path) -> list[Path]:
    return [p for p in directory.iterdir() if p.name.startswith(".")]


def read_h5(path: Path) -> tuple[dict, dict[str, np.ndarray], np.ndarray | None]:
    """Root attributes, observables and configs (None if absent) of a run file."""
    with h5py.File(path, "r") as f:
        attrs = dict(f.attrs)
        observables = {name: dset[()] for name, dset in f["observables"].items()}
        configs = f["configs"][()] if "configs" in f else None
    return attrs, observables, configs


def torus_energy(configs: np.ndarray, coupling: float) -> np.ndarray:
    """Energy per site -J sum_<ij> s_i s_j / N of (..., L, L) spins on the torus, h = 0."""
    s = configs.astype(np.int64)
    bonds = s * (np.roll(s, -1, axis=-1) + np.roll(s, -1, axis=-2))
    return -coupling * bonds.sum(axis=(-2, -1)) / (s.shape[-1] * s.shape[-2])


def wait_for(condition: Callable[[], bool], proc: subprocess.Popen, timeout: float) -> None:
    """Poll ``condition`` until true; fail if ``proc`` exits or ``timeout`` passes first."""
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"gpurg exited early with {proc.returncode}:\n{out}\n{err}")
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(0.05)


def interrupt_run(args: Sequence[object], cwd: Path, delay: float = 1.5
                  ) -> tuple[int, str, str]:
    """Start ``gpurg ARGS``, wait for its temporary output file, then ``delay`` seconds,
    send SIGINT and return (exit code, stdout, stderr)."""
    proc = subprocess.Popen(gpurg_cmd(args), cwd=cwd, env=ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: bool(hidden_files(cwd)), proc, timeout=TIMEOUT_S)
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, out, err


# ------------------------------------------------------------------------- bad input
BAD = {**SMALL, "--replicas": 1, "--sweeps": 20, "--every": 1}

# (arguments, words the error line must contain (case-sensitive))
BAD_INPUT = [
    pytest.param(sample_args(BAD, L=5), ("L", "5"), id="odd-L"),
    pytest.param(sample_args(BAD, L=2), ("L", "2"), id="small-L"),
    pytest.param(sample_args(BAD, T=0), ("T", "0"), id="T-zero"),
    pytest.param(sample_args(BAD, T=-1), ("T", "-1"), id="T-negative"),
    pytest.param(sample_args(BAD, T="abc"), ("temperature",), id="T-not-a-number"),
    pytest.param(sample_args(BAD, T="nan"), ("T", "nan"), id="T-nan"),
    pytest.param(sample_args(BAD, replicas=0), ("replicas", "0"), id="no-replicas"),
    pytest.param(sample_args(BAD, sweeps=-5), ("sweeps", "-5"), id="negative-sweeps"),
    pytest.param(sample_args(BAD, every=21), ("every", "21"), id="every-over-sweeps"),
    pytest.param(sample_args(BAD, algorithm="wolff"), ("wolff",), id="unknown-algorithm"),
    pytest.param(sample_args(BAD, algorithm="swendsen-wang", field=0.5),
                 ("swendsen-wang", "0.5"), id="swendsen-wang-with-field"),
    pytest.param(sample_args(BAD, start="lukewarm"), ("lukewarm",), id="unknown-start"),
    pytest.param(sample_args(BAD, layout="bit"), ("layout", "bit"), id="unknown-layout"),
    pytest.param(sample_args(BAD, algorithm="swendsen-wang", layout="bits"),
                 ("bits", "swendsen-wang"), id="swendsen-wang-in-bits"),
    pytest.param(sample_args(BAD, layout="row-bits"), ("row-bits", "L = 8"),
                 id="row-bits-L-not-multiple-of-64"),
    pytest.param(sample_args(BAD, device="tpu"), ("tpu",), id="unknown-device"),
    pytest.param(sample_args(BAD, o="nodir/run.h5"), ("nodir",), id="missing-directory"),
    pytest.param(sample_args(BAD, o="run.txt"), ("run.txt",), id="wrong-suffix"),
    pytest.param(sample_args(BAD, device="gpu"), ("gpu",), id="no-gpu",
                 marks=pytest.mark.skipif(probe_gpu()[0] is not None, reason="a GPU is usable")),
    pytest.param(["frobnicate"], ("frobnicate",), id="unknown-subcommand"),
    pytest.param(["bench", "ising", "--device", "cpu", "--sizes", "a,b", "--replicas", "1",
                  "--seconds", "0.05", "--algorithms", "metropolis"],
                 ("--sizes", "a,b"), id="bench-bad-sizes"),
    pytest.param(["bench", "ising", "--device", "cpu", "--sizes", "8", "--replicas", "1",
                  "--seconds", "0.05", "--layouts", "bytes,nibbles"],
                 ("layout", "nibbles"), id="bench-unknown-layout"),
]


def run_bad_inputs(cases: Sequence, tmp_path_factory: pytest.TempPathFactory
                   ) -> dict[str, tuple]:
    """Run every ``pytest.param(args, words, id=...)`` of ``cases``, each in its own empty
    directory: case id -> (result, directory)."""
    runs = {p.id: (p.values[0], tmp_path_factory.mktemp(p.id)) for p in cases}
    results = run_forked(list(runs.values()), tmp_path_factory.mktemp("logs"))
    return {case: (result, runs[case][1]) for case, result in zip(runs, results, strict=True)}


def assert_one_error_line(result: subprocess.CompletedProcess[str], directory: Path,
                          words: Sequence[str]) -> None:
    """Bad input: exit 2, one ``error:`` line naming ``words``, no traceback, no files."""
    assert result.returncode == 2, describe(result)
    assert "Traceback" not in result.stdout + result.stderr, describe(result)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, describe(result)
    assert lines[0].startswith("error:"), describe(result)
    for word in words:
        assert word in lines[0], f"{word!r} not named in {lines[0]!r}"
    assert list(directory.iterdir()) == [], "bad input left files behind"


def bad_input_tests(cases: Sequence) -> tuple[Callable, Callable]:
    """A module's bad-input check: the fixture running all ``cases`` (``pytest.param(args,
    words, id=...)``) in forked children, and the test asserting one error line per case.
    Assign them as ``bad_results, test_bad_input_is_one_error_line = bad_input_tests(...)``."""

    @pytest.fixture(scope="module")
    def bad_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple]:
        return run_bad_inputs(cases, tmp_path_factory)

    @pytest.mark.parametrize(("args", "words"), cases)
    def test_bad_input_is_one_error_line(request: pytest.FixtureRequest, bad_results: dict,
                                         args: list[str], words: tuple[str, ...]) -> None:
        assert_one_error_line(*bad_results[request.node.callspec.id], words)

    return bad_results, test_bad_input_is_one_error_line


bad_results, test_bad_input_is_one_error_line = bad_input_tests(BAD_INPUT)


# ------------------------------------------------------------------------- valid runs
@pytest.fixture(scope="module")
def valid_run(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    directory = tmp_path_factory.mktemp("valid")
    return run_gpurg(sample_args(VALID), directory), directory / "run.h5"


ISING_ROWS = {"energy per site e": "e", "|m|": "abs_m", "m²": "m2", "m⁴": "m4", "m": "m",
              "Binder U": "binder", "specific heat c": "c", "susceptibility χ": "chi"}


def test_valid_run_exits_0_and_prints_table(valid_run: tuple) -> None:
    """The printed table is the library's summary of the file's observables, digit for digit,
    and its exact column (L = 8: Ferdinand-Fisher e and c) the library's exact values with
    the deviations of the file's estimates. Catches a row that prints another observable's
    estimate, or a deviation computed with the wrong sign."""
    result, path = valid_run
    assert_ok(result)
    assert path.is_file()
    assert hidden_files(path.parent) == []
    attrs, obs, _ = read_h5(path)
    summary = summarize_ising(obs, attrs["L"] ** 2, attrs["T"])
    exact = exact_reference(attrs["L"], attrs["T"], attrs["J"], attrs["h"])
    assert set(exact) == {"e", "c"}
    assert_estimate_table(result.stdout, ISING_ROWS, summary, exact)


def test_coupling_and_field_match_the_library_and_the_exact_4x4(tmp_path: Path) -> None:
    """``--coupling -1 --field 0.3`` (an antiferromagnet in a field, L = 4): the file holds
    J = -1 and h = 0.3, its observables are those of ``sample_ising`` with the same arguments
    bit for bit, e is -J sum s s / N - h m of its spins, and the printed table is the
    library's summary with the exact 4x4 values (all eight observables, density of states)
    and deviations, each within 5 sigma. Catches the option not reaching the model (the
    file then records J = 1) and a deviation column of the wrong sign."""
    args = {"-L": 4, "-T": 2.0, "--coupling": -1.0, "--field": 0.3, "--replicas": 32,
            "--sweeps": 300, "--thermalize": 50, "--every": 1, "--algorithm": "metropolis",
            "--device": "cpu", "--seed": 5, "-o": "run.h5"}
    result = run_gpurg(sample_args(args), tmp_path)
    assert_ok(result)
    attrs, obs, configs = read_h5(tmp_path / "run.h5")
    assert (attrs["J"], attrs["h"]) == (-1.0, 0.3)
    model = IsingModel(4, 2.0, -1.0, 0.3)
    run = sample_ising(model, replicas=32, algorithm="metropolis", seed=5, sweeps=300,
                       thermalize=50, device="cpu", store_configs=False)
    for name in OBSERVABLES:
        assert np.array_equal(obs[name], run.observables[name]), name
    m = configs.astype(np.float64).mean(axis=(-2, -1))
    np.testing.assert_allclose(obs["e"], torus_energy(configs, -1.0) - 0.3 * m, rtol=0,
                               atol=1e-12)
    summary = summarize_ising(obs, 16, 2.0)
    deviations = assert_estimate_table(result.stdout, ISING_ROWS, summary,
                                       exact_observables(4, 2.0, -1.0, 0.3))
    assert len(deviations) == len(ISING_ROWS)
    assert max(map(abs, deviations)) < 5.0, deviations


def test_valid_run_file_layout(valid_run: tuple) -> None:
    result, path = valid_run
    assert_ok(result)
    with h5py.File(path, "r") as f:
        configs = f["configs"]
        assert configs.dtype == np.int8 and configs.shape == (10, 4, 8, 8)
        assert configs.chunks is not None and configs.compression == "gzip"
        assert set(np.unique(configs[()])) == {-1, 1}
        assert set(f["observables"]) == set(OBSERVABLES)
        for name in OBSERVABLES:
            dset = f["observables"][name]
            assert dset.dtype == np.float64 and dset.shape == (10, 4), name


def test_valid_run_attributes(valid_run: tuple, cpu_kernels) -> None:
    result, path = valid_run
    assert_ok(result)
    attrs, _, _ = read_h5(path)
    expected = {
        "model": "ising", "L": 8, "T": 2.5, "J": 1.0, "h": 0.0, "algorithm": "metropolis",
        "seed": 3, "sweeps": 50, "thermalize": 10, "every": 5, "start": "hot",
        "backend": cpu_kernels.name, "device": cpu_kernels.device_name,
        "gpurg_version": gpurg.__version__, "complete": True, "n_measurements": 10,
    }
    assert {key: attrs.get(key) for key in expected} == expected
    assert datetime.fromisoformat(attrs["created"]).tzinfo is not None


def test_valid_run_observables_match_configs(valid_run: tuple) -> None:
    result, path = valid_run
    assert_ok(result)
    attrs, obs, configs = read_h5(path)
    np.testing.assert_allclose(obs["e"], torus_energy(configs, attrs["J"]), rtol=0, atol=1e-12)
    m = configs.astype(np.float64).mean(axis=(-2, -1))
    np.testing.assert_allclose(obs["m"], m, rtol=0, atol=1e-12)
    np.testing.assert_allclose(obs["abs_m"], np.abs(m), rtol=0, atol=1e-12)
    np.testing.assert_allclose(obs["m2"], m**2, rtol=0, atol=1e-12)
    np.testing.assert_allclose(obs["m4"], m**4, rtol=0, atol=1e-12)


def test_no_configs_writes_no_configs_dataset(tmp_path: Path) -> None:
    result = run_gpurg(sample_args(SMALL, flags=["--no-configs"]), tmp_path)
    assert_ok(result)
    attrs, obs, configs = read_h5(tmp_path / "run.h5")
    assert configs is None
    assert attrs["n_measurements"] == 16 and attrs["complete"]
    assert {name: a.shape for name, a in obs.items()} == {name: (16, 4) for name in OBSERVABLES}


# ---------------------------------------------------------------------- reproducibility
@pytest.fixture(scope="module")
def sample_file(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """``sample_file(algorithm, device, seed)``: the file of a SMALL run, made once."""
    made: dict[tuple, Path] = {}

    def make(algorithm: str, device: str, seed: int) -> Path:
        key = (algorithm, device, seed)
        if key not in made:
            directory = tmp_path_factory.mktemp(f"{algorithm}-{device}-{seed}")
            result = run_gpurg(sample_args(SMALL, algorithm=algorithm, device=device,
                                           seed=seed), directory)
            assert_ok(result)
            made[key] = directory / "run.h5"
        return made[key]

    return make


@pytest.mark.parametrize("algorithm", ["metropolis", "heatbath", "swendsen-wang"])
def test_same_seed_same_result_on_cpu_and_numpy(sample_file: Callable[..., Path],
                                                algorithm: str, cpu_kernels) -> None:
    cpu_attrs, cpu_obs, cpu_configs = read_h5(sample_file(algorithm, "cpu", 3))
    np_attrs, np_obs, np_configs = read_h5(sample_file(algorithm, "numpy", 3))
    assert (cpu_attrs["backend"], np_attrs["backend"]) == (cpu_kernels.name, "numpy")
    assert set(cpu_obs) == set(np_obs) == set(OBSERVABLES)
    for name in OBSERVABLES:
        assert np.array_equal(cpu_obs[name], np_obs[name]), name
    assert np.array_equal(cpu_configs, np_configs)


def test_different_seed_different_configs(sample_file: Callable[..., Path]) -> None:
    _, _, configs_3 = read_h5(sample_file("metropolis", "cpu", 3))
    _, _, configs_4 = read_h5(sample_file("metropolis", "cpu", 4))
    assert configs_3.shape == configs_4.shape
    assert not np.array_equal(configs_3, configs_4)


# ----------------------------------------------------------------------------- Ctrl-C
LONG = ["ising", "sample", "-L", 16, "--sweeps", 1_000_000, "--every", 1, "--device", "numpy",
        "-o", "run.h5"]
needs_sigint = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


@needs_sigint
def test_ctrl_c_keeps_finished_measurements(tmp_path: Path) -> None:
    code, out, err = interrupt_run([*LONG, "--thermalize", 0], tmp_path)
    assert code == 130, err
    assert "Traceback" not in out + err, err
    assert [p.name for p in tmp_path.iterdir()] == ["run.h5"], "temporary file left behind"
    with h5py.File(tmp_path / "run.h5", "r") as f:
        n = int(f.attrs["n_measurements"])
        assert not f.attrs["complete"]
        assert n >= 1
        datasets = [f["configs"], *f["observables"].values()]
        assert len(datasets) == 1 + len(OBSERVABLES)
        for dset in datasets:
            assert dset.shape[0] == n, dset.name


@needs_sigint
def test_ctrl_c_before_any_measurement_leaves_no_file(tmp_path: Path) -> None:
    code, out, err = interrupt_run([*LONG, "--thermalize", 10_000_000], tmp_path)
    assert code == 130, err
    assert "Traceback" not in out + err, err
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ other commands
def test_info_names_auto_choice(tmp_path: Path) -> None:
    result = run_gpurg(["info"], tmp_path)
    assert_ok(result)
    assert "auto picks" in result.stdout


SELFTEST_CHECKS = 9


def assert_selftest_passed(result: subprocess.CompletedProcess[str]) -> None:
    """Exit 0, nine checks each "pass", and the 4x4 energy rows quote the exact Ferdinand-Fisher
    value with a deviation that agrees with their own mean and error."""
    assert_ok(result)
    rows = table_rows(result.stdout)
    results = [cells[0] for cells in rows.values() if cells and cells[0] in ("pass", "FAIL")]
    assert results == ["pass"] * SELFTEST_CHECKS, describe(result)
    exact = f"{energy_and_specific_heat(1 / T_C, 4)[0]:.6f}"
    energy_rows = [cells[1] for name, cells in rows.items() if "4x4 energy" in name]
    assert len(energy_rows) == 3, describe(result)
    for detail in energy_rows:
        mean, _, err, _, _, value, z = detail.replace("(", "").replace("σ,", "").split()[:7]
        assert value == exact, detail
        assert abs(float(z) - (float(mean) - float(value)) / float(err)) <= 0.1, detail


def test_selftest_passes_on_cpu(tmp_path: Path) -> None:
    result = subprocess.run(gpurg_cmd(["selftest", "--device", "cpu"]), cwd=tmp_path,
                            env={**ENV, "COLUMNS": "200"}, capture_output=True, text=True,
                            timeout=TIMEOUT_S, check=False)
    assert_selftest_passed(result)


@pytest.mark.slow
def test_selftest_passes_on_numpy(tmp_path: Path) -> None:
    """``selftest --device numpy``: the same nine checks on the NumPy path (the identity
    checks compare it with itself; the exact-value checks are real)."""
    result = subprocess.run(gpurg_cmd(["selftest", "--device", "numpy"]), cwd=tmp_path,
                            env={**ENV, "COLUMNS": "200"}, capture_output=True, text=True,
                            timeout=TIMEOUT_S, check=False)
    assert_selftest_passed(result)


def test_selftest_failure_exits_1_naming_the_check(monkeypatch, capsys) -> None:
    """A failing check: exit 1, its row says FAIL with what went wrong, the others pass.
    The real Philox check runs against a corrupted known answer; the expensive checks are
    replaced by passing stand-ins, so this costs well under a second."""
    import gpurg.jobs.selftest as selftest
    from gpurg.cli.main import main

    (ctr, key, want), *rest = selftest.PHILOX_KNOWN_ANSWERS
    monkeypatch.setattr(selftest, "PHILOX_KNOWN_ANSWERS",
                        ((ctr, key, (want[0] ^ 1, *want[1:])), *rest))
    for name in ("check_identical_chain", "check_exact_energy", "check_identical_worms",
                 "check_dimer_energy"):
        monkeypatch.setattr(selftest, name,
                            lambda *a, name=name: selftest.Check(f"{name}{a[1:]}", True, "ok"))
    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit) as exit_info:
        main(["selftest", "--device", "numpy"])
    assert exit_info.value.code == 1
    rows = table_rows(capsys.readouterr().out)
    assert rows["Philox4x32-10 known answers"][:2] == ["FAIL", "wrong for 0x0, 0x0 (lanes)"]
    assert sum(cells[0] == "pass" for cells in rows.values()) == SELFTEST_CHECKS - 1, rows


@pytest.mark.parametrize("dim", [2, 3])
def test_bench_json(tmp_path: Path, dim: int) -> None:
    result = run_gpurg(["bench", "ising", "--device", "cpu", "--sizes", 8, "--replicas", 1,
                        "--seconds", 0.05, "--algorithms", "metropolis", "--json",
                        "--dim", dim], tmp_path)
    assert_ok(result)
    records = json.loads(result.stdout)
    # every layout that applies: bytes and replica-bits (row-bits needs L % 64 == 0, and the
    # square lattice)
    assert [r["layout"] for r in records] == ["bytes", "replica-bits"]
    for record in records:
        assert (record["algorithm"], record["L"], record["replicas"], record["dim"]) == (
            "metropolis", 8, 1, dim)
        assert record["updates_per_ns"] > 0


HELP = {"gpurg": ["--help"], "ising-sample": ["ising", "sample", "--help"], "no-arguments": []}


@pytest.fixture(scope="module")
def help_results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    cwd = tmp_path_factory.mktemp("help")
    results = run_forked([(args, cwd) for args in HELP.values()], tmp_path_factory.mktemp("logs"))
    return dict(zip(HELP, results, strict=True))


@pytest.mark.parametrize("case", HELP)
def test_help(help_results: dict, case: str) -> None:
    """``--help``, and a bare ``gpurg`` (cli/main.py promises help and exit 0 for it)."""
    result = help_results[case]
    assert_ok(result)
    assert "Usage" in result.stdout
    assert ("--temperature" in result.stdout) == (case == "ising-sample"), describe(result)
