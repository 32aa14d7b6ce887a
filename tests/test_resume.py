"""Runs that survive: SIGTERM keeps the finished measurements, and ``--resume`` continues an
interrupted run file to the same bits as a run that was never interrupted.

Runs are tiny (L = 8 Ising, L = 4 dimers, a few sweeps) on the NumPy backend: chains are the
same on every backend, so what is checked here holds for the kernels too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import h5py
import pytest

from gpurg.cli.main import main
from gpurg.errors import InputError, Terminated
from gpurg.io.hdf5 import read_run, read_state
from gpurg.models.dimer import DimerModel
from gpurg.models.ising import IsingModel
from gpurg.sampling import resume_run, run_to_resume, sample_dimer, sample_ising

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals"),
    pytest.mark.filterwarnings("ignore::RuntimeWarning"),  # short series: tau_int warnings
]

ISING = {"replicas": 2, "sweeps": 12, "thermalize": 3, "every": 2, "seed": 7,
         "device": "numpy"}
DIMER = {"replicas": 2, "sweeps": 8, "thermalize": 2, "every": 2, "seed": 5,
         "device": "numpy", "start": "random", "noise": "correlated"}


class SentinelTerm(Exception):
    """Raised by the SIGTERM handler the tests install around a run: seen only if the run
    did not install its own (and would otherwise kill pytest)."""


@pytest.fixture
def sentinel_sigterm() -> Iterator[Callable[..., None]]:
    def handler(signum: int, frame: object) -> None:
        raise SentinelTerm

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield handler
    finally:
        signal.signal(signal.SIGTERM, previous)


def sigterm_at(sweep: int) -> Callable[[int, int], None]:
    """A progress callback that sends this process SIGTERM once ``sweep`` sweeps are done."""
    def progress(done: int, total: int) -> None:
        if done == sweep:
            os.kill(os.getpid(), signal.SIGTERM)
    return progress


def sample(kind: str, output: Path, **kwargs: Any) -> None:
    if kind == "dimer":
        sample_dimer(DimerModel(4, 2.0), output=output, **DIMER, **kwargs)
    else:  # "algorithm" or "algorithm/layout"
        algorithm, _, layout = kind.partition("/")
        sample_ising(IsingModel(8, 2.4), algorithm=algorithm, output=output,
                     layout=layout or "auto", **ISING, **kwargs)


def assert_same_run(a: Path, b: Path) -> None:
    """Configurations, images, observables and saved state equal bit for bit."""
    run_a, run_b = read_run(a), read_run(b)
    assert run_b.attrs["complete"]
    assert run_a.attrs["n_measurements"] == run_b.attrs["n_measurements"]
    assert run_a.observables.keys() == run_b.observables.keys()
    for name, values in run_a.observables.items():
        assert values.tobytes() == run_b.observables[name].tobytes(), name
    assert run_a.arrays == run_b.arrays
    for name in ("configs", *run_a.arrays):
        assert run_a.array(name).tobytes() == run_b.array(name).tobytes(), name
    (arrays_a, attrs_a), (arrays_b, attrs_b) = read_state(a), read_state(b)
    assert attrs_a == attrs_b
    for name, value in arrays_a.items():
        assert value.tobytes() == arrays_b[name].tobytes(), name
    ignored = ("created", "complete")
    assert ({k: v for k, v in run_a.attrs.items() if k not in ignored}
            == {k: v for k, v in run_b.attrs.items() if k not in ignored})


# ------------------------------------------------------------------------------- library
@pytest.mark.parametrize("kind", ["metropolis", "heatbath", "swendsen-wang", "dimer",
                                  "heatbath/replica-bits"])
def test_sigterm_then_resume_is_bit_identical(kind: str, tmp_path: Path,
                                              sentinel_sigterm: Callable[..., None]) -> None:
    full, part = tmp_path / "full.h5", tmp_path / "part.h5"
    sample(kind, full)
    params = DIMER if kind == "dimer" else ISING
    thermalize, every = params["thermalize"], params["every"]
    with pytest.raises(Terminated):
        sample(kind, part, progress=sigterm_at(thermalize + 2 * every))
    assert signal.getsignal(signal.SIGTERM) is sentinel_sigterm, "handler not restored"
    run = read_run(part)
    assert not run.attrs["complete"] and run.attrs["n_measurements"] == 2
    if "/" in kind:  # the layout is the file's, and resuming keeps it
        assert run.attrs["spin_layout"] == kind.partition("/")[2]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full.h5", "part.h5"]

    # interrupted again while resuming: the new measurements are kept too
    with pytest.raises(Terminated):
        resume_run(part, progress=sigterm_at(thermalize + 3 * every))
    assert read_run(part).attrs["n_measurements"] == 3
    resumed = resume_run(part)
    assert_same_run(full, part)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full.h5", "part.h5"]
    with h5py.File(full, "r") as f:
        for name, values in resumed.observables.items():
            assert values.tobytes() == f["observables"][name][()].tobytes(), name
        assert resumed.final_state.tobytes() == f["configs"][-1].tobytes()


def test_resume_refuses_complete_and_conflicting(tmp_path: Path) -> None:
    full = tmp_path / "full.h5"
    sample("metropolis", full)
    with pytest.raises(InputError, match="complete"):
        resume_run(full)
    part = tmp_path / "part.h5"
    with pytest.raises(KeyboardInterrupt):
        sample("metropolis", part, progress=lambda done, total: done == 5 and _interrupt())
    before = part.read_bytes()
    with pytest.raises(InputError, match="L = 8, not 16"):
        resume_run(part, expect={"L": 16})
    assert part.read_bytes() == before


def _interrupt() -> None:
    raise KeyboardInterrupt


# ----------------------------------------------------------------------------------- CLI
ISING_ARGS = ["ising", "sample", "-L", 8, "-T", 2.4, "--algorithm", "heatbath", "--replicas", 2,
              "--sweeps", 12, "--thermalize", 3, "--every", 2, "--seed", 7, "--device", "numpy"]
DIMER_ARGS = ["dimer", "sample", "-L", 4, "-T", 2.0, "--replicas", 2, "--sweeps", 8,
              "--thermalize", 2, "--every", 2, "--seed", 5, "--device", "numpy",
              "--noise", "correlated"]


def gpurg(args: list[Any]) -> int:
    """Run ``gpurg ARGS`` in this process; its exit code."""
    with pytest.raises(SystemExit) as exit_info:
        main([str(a) for a in args])
    return exit_info.value.code


@pytest.mark.parametrize("args", [ISING_ARGS, DIMER_ARGS], ids=["ising", "dimer"])
def test_cli_resume_is_bit_identical(args: list[Any], tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    full, part = tmp_path / "full.h5", tmp_path / "part.h5"
    assert gpurg([*args, "-o", full]) == 0
    kind = args[0]
    first = (DIMER if kind == "dimer" else ISING)["thermalize"] + 2  # sweep of measurement 1
    # a file cut after its first measurement, as Ctrl-C or SIGTERM leaves it
    with pytest.raises(KeyboardInterrupt):
        sample("dimer" if kind == "dimer" else "heatbath", part,
               progress=lambda done, total: done == first and _interrupt())
    assert read_run(part).attrs["n_measurements"] == 1
    capsys.readouterr()
    # options beside --resume must match the file; --device is free
    assert gpurg([kind, "sample", "--resume", part, "-L", 16]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "not 16" in err, err
    assert gpurg([kind, "sample", "--resume", part, "-o", tmp_path / "other.h5"]) == 2
    assert capsys.readouterr().err.count("error: ") == 1
    assert read_run(part).attrs["n_measurements"] == 1
    assert gpurg([*args, "--resume", part]) == 0
    assert_same_run(full, part)
    capsys.readouterr()
    assert gpurg([kind, "sample", "--resume", part]) == 2
    assert "complete" in capsys.readouterr().err
    other = "ising" if kind == "dimer" else "dimer"
    assert gpurg([other, "sample", "--resume", part]) == 2


def test_cli_sigterm_leaves_valid_resumable_file(tmp_path: Path) -> None:
    """A subprocess killed by SIGTERM exits 143 and leaves its finished measurements, with
    complete=False and a state after the last of them, equal to a library run that long."""
    args = ["ising", "sample", "-L", 8, "-T", 2.4, "--replicas", 2, "--sweeps", 1_000_000,
            "--thermalize", 0, "--algorithm", "metropolis", "--device", "numpy", "-o", "run.h5"]
    proc = subprocess.Popen([sys.executable, "-c", "from gpurg.cli.main import main; main()",
                             *map(str, args)], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not any(p.name.startswith(".run.tmp-") for p in tmp_path.iterdir()):
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(1.0)  # the handler is in place and rows are written within milliseconds
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 143, err
    assert "Traceback" not in err and "terminated" in err
    assert [p.name for p in tmp_path.iterdir()] == ["run.h5"], "temporary file left behind"
    attrs, arrays, state = run_to_resume(tmp_path / "run.h5")
    n = attrs["n_measurements"]
    assert not attrs["complete"] and n >= 1 and state["sweeps_done"] == n
    same = sample_ising(IsingModel(8, 2.4), replicas=2, sweeps=n, algorithm="metropolis",
                        device="numpy", output=tmp_path / "same.h5")
    run = read_run(tmp_path / "run.h5")
    for name, values in same.observables.items():
        assert values.tobytes() == run.observables[name].tobytes(), name
    assert run.configs().tobytes() == read_run(tmp_path / "same.h5").configs().tobytes()
    assert arrays["spins"].tobytes() == same.final_state.tobytes()


def test_cli_sigkill_keeps_the_last_checkpoint_which_resumes_bit_identical(
        tmp_path: Path) -> None:
    """SIGKILL reaches no handler: what survives is the last checkpoint (--checkpoint 0: one
    after every measurement), a valid interrupted run at the output path, which --resume
    finishes to the same bits as a run that was never killed."""
    args = ["ising", "sample", "-L", 8, "-T", 2.4, "--replicas", 2, "--sweeps", 2000,
            "--every", 20, "--thermalize", 0, "--algorithm", "metropolis", "--seed", 3,
            "--device", "numpy"]
    proc = subprocess.Popen([sys.executable, "-c", "from gpurg.cli.main import main; main()",
                             *map(str, args), "--checkpoint", "0", "-o", "run.h5"],
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    try:
        deadline = time.monotonic() + 120
        while not (tmp_path / "run.h5").exists():
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
            time.sleep(0.02)
        time.sleep(0.3)  # a few more checkpoints
        proc.kill()
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    attrs, _, state = run_to_resume(tmp_path / "run.h5")
    n = attrs["n_measurements"]
    assert not attrs["complete"] and 1 <= n < 100 and state["sweeps_done"] == 20 * n
    assert gpurg([*args, "-o", tmp_path / "full.h5"]) == 0
    assert gpurg([*args, "--resume", tmp_path / "run.h5"]) == 0
    assert_same_run(tmp_path / "full.h5", tmp_path / "run.h5")
    leftovers = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("."))
    assert len(leftovers) <= 1, leftovers  # at most the killed run's temporary file


def test_checkpoints_bring_the_output_up_to_date(tmp_path: Path) -> None:
    """A checkpoint leaves a readable interrupted run with the state after its last row
    (interval 0: the first comes after row 1, later ones at least 20 copy times apart);
    without checkpoints nothing appears before the close; both end as the same file."""
    path = tmp_path / "run.h5"
    rows: list[int] = []

    def progress(done: int, total: int) -> None:
        if path.exists():
            rows.append(read_run(path).attrs["n_measurements"])

    sample("heatbath", path, checkpoint=0.0, progress=progress)
    assert rows[0] == 1 and rows == sorted(rows) and rows[-1] < 6, rows
    assert read_run(path).attrs["complete"]
    sample("heatbath", tmp_path / "none.h5", checkpoint=None,
           progress=lambda done, total: (tmp_path / "none.h5").exists() and 1 / 0)
    assert_same_run(tmp_path / "none.h5", path)
