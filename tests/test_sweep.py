"""Sweeps on Dask (gpurg.jobs.sweep, ``gpurg sweep``; issue 16): the same file, bit for bit, in
this process, on one worker, on two, with a worker killed mid-sweep, and after an interrupted
sweep is run again; each point equal to a plain ``sample_ising`` of it with its documented seed.

Runs are tiny (Ising L = 8, a few sweeps, the NumPy backend in the library tests, the CPU
kernels through the CLI). Starting a cluster costs a few seconds, so the embedded clusters of
1 and 2 workers start once each (module fixtures) and the tests of killed workers and resumes
share one LocalCluster of 2 workers, reached through its address like an external cluster.
"""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from gpurg.errors import InputError
from gpurg.jobs.sweep import (
    PointTask,
    dimer_grid,
    ising_grid,
    point_name,
    run_point,
    run_sweep,
    shard_folder,
)
from gpurg.models.dimer import DimerModel
from gpurg.models.ising import IsingModel
from gpurg.parallel import Engine, point_seed
from gpurg.sampling import sample_dimer, sample_ising

from .test_cli import (
    ENV,
    assert_ok,
    bad_input_tests,
    gpurg_cmd,
    hidden_files,
    run_gpurg,
)

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX process groups"),
    pytest.mark.filterwarnings("ignore::RuntimeWarning"),  # short series: tau_int warnings
    pytest.mark.filterwarnings("ignore:Port 8787 is already in use"),  # another cluster's
]

GRID = {"L": [8], "T": [2.2, 2.6], "seeds": 2}  # 4 points
RUN = {"replicas": 2, "sweeps": 12, "thermalize": 4, "every": 2, "seed": 9, "device": "numpy",
       "algorithm": "metropolis"}


def points() -> list[dict[str, Any]]:
    return ising_grid(GRID["L"], GRID["T"], seeds=GRID["seeds"])


def sweep(output: Path, engine: Engine, **kwargs: Any) -> Path:
    run_sweep("ising", points(), output, engine=engine, **RUN, **kwargs)
    return output


def groups(path: Path) -> dict[str, dict[str, np.ndarray]]:
    """Every dataset of every group (configs, observables/*, state/*) of a sweep file."""
    out: dict[str, dict[str, np.ndarray]] = {}
    with h5py.File(path, "r") as f:
        for name, group in f.items():
            data: dict[str, np.ndarray] = {}
            group.visititems(lambda key, item, d=data: d.__setitem__(key, item[()])
                             if isinstance(item, h5py.Dataset) else None)
            out[name] = data
    return out


def assert_same_sweep(a: Path, b: Path) -> None:
    ga, gb = groups(a), groups(b)
    assert list(ga) == list(gb) and len(ga) == 4
    for name in ga:
        assert ga[name].keys() == gb[name].keys()
        for key in ga[name]:
            assert np.array_equal(ga[name][key], gb[name][key]), (name, key)


# ----------------------------------------------------------------------------- the grid
def test_grid_order_names_and_seeds() -> None:
    grid = points()
    assert [point_name(p) for p in grid] == [
        "L8_T2.2_J1.0_h0.0_s0", "L8_T2.2_J1.0_h0.0_s1", "L8_T2.6_J1.0_h0.0_s0",
        "L8_T2.6_J1.0_h0.0_s1"]
    # normalised: an int J and a float J are the same point with the same seed
    assert ising_grid([8], [2], J=[1])[0] == {"L": 8, "T": 2.0, "J": 1.0, "h": 0.0,
                                              "seed_index": 0}
    assert point_seed(9, L=8, T=2.2, J=1.0, h=0.0, seed_index=0) == point_seed(9, **grid[0])
    assert len({point_seed(9, **p) for p in grid}) == 4
    assert point_name(dimer_grid([4], [float("inf")], V=[-1])[0]) == "L4_Tinf_V-1.0_s0"
    with pytest.raises(InputError, match="L must be an even integer"):
        ising_grid([8, 7], [2.2])
    with pytest.raises(InputError, match="repeats a point"):
        ising_grid([8], [2.2, 2.2])
    with pytest.raises(InputError, match="coupling J must be non-zero"):
        ising_grid([8], [2.2], J=[0])
    with pytest.raises(InputError, match="must have the keys L, T, J, h, seed_index"):
        run_sweep("ising", [{"L": 8, "T": 2.2}], Path("never.h5"), engine=Engine(workers=0))


# ---------------------------------------------------------------- the same on every engine
@pytest.fixture(scope="module")
def in_process(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sweep(tmp_path_factory.mktemp("w0") / "sweep.h5", Engine(workers=0))


@pytest.fixture(scope="module", params=[1, 2], ids=["workers1", "workers2"])
def on_workers(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
               ) -> Path:
    return sweep(tmp_path_factory.mktemp(f"w{request.param}") / "sweep.h5",
                 Engine(workers=request.param))


def test_in_process_file_is_each_point_run_alone(in_process: Path, tmp_path: Path) -> None:
    """Each group is the run file of ``sample_ising`` at the point with its documented seed:
    same datasets, same bits, same attributes (beside the time it was written)."""
    assert not shard_folder(in_process).exists()
    assert hidden_files(in_process.parent) == []
    sweep_groups = groups(in_process)
    for p in points():
        alone = tmp_path / f"{point_name(p)}.h5"
        sample_ising(IsingModel(p["L"], p["T"], p["J"], p["h"]), seed=point_seed(9, **p),
                     output=alone, replicas=2, sweeps=12, thermalize=4, every=2,
                     device="numpy", algorithm="metropolis")
        with h5py.File(alone, "r") as f:
            single = {key: item[()] for key, item in _datasets(f)}
            attrs = dict(f.attrs)
        group = sweep_groups[point_name(p)]
        assert single.keys() == group.keys()
        for key in single:
            assert np.array_equal(single[key], group[key]), key
        with h5py.File(in_process, "r") as f:
            merged = dict(f[point_name(p)].attrs)
        assert merged.pop("seed_index") == p["seed_index"]
        for key in ("created",):
            attrs.pop(key), merged.pop(key)
        assert merged.keys() == attrs.keys()
        assert all(np.array_equal(merged[k], attrs[k]) for k in attrs)
    with h5py.File(in_process, "r") as f:
        assert f.attrs["format"] == "sweep" and f.attrs["seed"] == 9
        assert list(f.attrs["points"]) == [point_name(p) for p in points()]


def _datasets(f: h5py.File) -> list[tuple[str, h5py.Dataset]]:
    found: list[tuple[str, h5py.Dataset]] = []
    f.visititems(lambda k, v: found.append((k, v)) if isinstance(v, h5py.Dataset) else None)
    return found


def test_workers_give_the_same_file(in_process: Path, on_workers: Path) -> None:
    assert_same_sweep(in_process, on_workers)
    assert not shard_folder(on_workers).exists()


def test_a_dimer_sweep_is_each_point_run_alone(tmp_path: Path) -> None:
    """Dimer points (T = inf and 2, calibrated worms, noisy images) in this process: each
    group's datasets are sample_dimer's with the point's seed."""
    grid = dimer_grid([4], [float("inf"), 2.0])
    run = {"replicas": 2, "sweeps": 6, "thermalize": 2, "every": 2, "device": "numpy",
           "noise": "correlated"}
    result = run_sweep("dimer", grid, tmp_path / "d.h5", seed=5, engine=Engine(workers=0),
                       **run)
    assert [p.name for p in result.points] == ["L4_Tinf_V-1.0_s0", "L4_T2.0_V-1.0_s0"]
    swept = groups(tmp_path / "d.h5")
    for p in grid:
        alone = tmp_path / f"{point_name(p)}.h5"
        sample_dimer(DimerModel(p["L"], p["T"], p["V"]), seed=point_seed(5, **p), output=alone,
                     **run)
        with h5py.File(alone, "r") as f:
            single = {key: item[()] for key, item in _datasets(f)}
        assert single.keys() == swept[point_name(p)].keys() and "images" in single
        for key in single:
            assert np.array_equal(single[key], swept[point_name(p)][key]), key


# ------------------------------------------------------- killed workers, interrupted sweeps
@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A LocalCluster of two single-threaded worker processes, used by its address."""
    import cloudpickle
    from distributed import LocalCluster

    # The tasks below are functions of this test module, which Dask pickles by reference: the
    # workers must import it, so the repository root goes on their path (an installed gpurg
    # does not put it there, and a worker that cannot unpickle a task never answers). Spawned
    # processes start from this process's sys.path.
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    root = str(Path(__file__).resolve().parents[1])
    before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (root, before) if p)
    added = root not in sys.path
    if added:
        sys.path.append(root)
    try:
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None,
                          scheduler_kwargs={"dashboard": False,
                                            "dashboard_address": ":0"}) as local:
            yield local.scheduler_address
    finally:
        if added:
            sys.path.remove(root)
        if before is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = before
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


def dying_task(task: PointTask, marker: str) -> bytes:
    """``run_point``, except that the first task to get here kills its worker process."""
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return run_point(task)
    os._exit(1)


def test_a_killed_worker_changes_nothing(in_process: Path, cluster: str,
                                         tmp_path: Path) -> None:
    marker = tmp_path / "died"
    output = sweep(tmp_path / "sweep.h5", Engine(scheduler=cluster),
                   task=functools.partial(dying_task, marker=str(marker)))
    assert marker.exists()  # a worker did die
    assert_same_sweep(in_process, output)


class Stop(KeyboardInterrupt):
    pass


def stop_after(n: int):  # noqa: ANN201
    def progress(done: int, total: int) -> None:
        if done >= n:
            raise Stop
    return progress


def test_an_interrupted_sweep_resumes(in_process: Path, cluster: str, tmp_path: Path) -> None:
    """Interrupted after 2 points on the cluster: the 2 shards stay and no file appears; run
    again (here in this process, counting its tasks), only the 2 missing points run, the
    finished shards are not rewritten, and the file is the uninterrupted sweep's."""
    output = tmp_path / "sweep.h5"
    with pytest.raises(Stop):
        sweep(output, Engine(scheduler=cluster), progress=stop_after(2))
    shards = sorted(shard_folder(output).iterdir())
    assert len(shards) == 2 and not output.exists()
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    mtimes = {p.name: p.stat().st_mtime_ns for p in shards}
    ran: list[str] = []

    def counting(task: PointTask) -> bytes:
        ran.append(task.name)
        assert all(p.stat().st_mtime_ns == mtimes[p.name] for p in shards)  # not rewritten
        return run_point(task)

    seen: list[tuple[int, int]] = []
    sweep(output, Engine(workers=0), task=counting,
          progress=lambda done, total: seen.append((done, total)))
    assert sorted(ran) == sorted({point_name(p) for p in points()} - {p.stem for p in shards})
    assert seen == [(2, 4), (3, 4), (4, 4)]
    assert_same_sweep(in_process, output)
    assert not shard_folder(output).exists()


def test_a_shard_of_other_parameters_is_run_again(tmp_path: Path) -> None:
    output = tmp_path / "sweep.h5"
    with pytest.raises(Stop):
        sweep(output, Engine(workers=0), progress=stop_after(1))
    ran: list[str] = []

    def counting(task: PointTask) -> bytes:
        ran.append(task.name)
        return run_point(task)

    # more sweeps: the shard's run is not this sweep's point
    run_sweep("ising", points(), output, engine=Engine(workers=0), task=counting,
              **{**RUN, "sweeps": 14})
    assert len(ran) == 4


# ------------------------------------------------------------------------------------ CLI
def test_cli_interrupted_sweep_exits_130_and_resumes(tmp_path: Path) -> None:
    """Ctrl-C (SIGINT) once the first point's shard is written: exit 130, the shard kept, no
    file; the same command again runs the rest and writes the file."""
    args = [*CLI_SWEEP[:CLI_SWEEP.index("--sweeps")], "--sweeps", "4000", "--every", "1000",
            "--thermalize", "0", "--algorithm", "metropolis", "--device", "cpu", "-L", "16",
            "--workers", "0", "-o", "sweep.h5"]
    process = subprocess.Popen(gpurg_cmd(args), cwd=tmp_path, env=ENV, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    shards = shard_folder(tmp_path / "sweep.h5")

    def finished() -> list[str]:  # not the hidden temporary file of a shard being written
        return [p.name for p in shards.glob("*.h5") if not p.name.startswith(".")]

    deadline = time.monotonic() + 60
    while not (shards.is_dir() and finished()) and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, (out, err)
    assert "Traceback" not in out + err, err
    done = finished()
    assert 1 <= len(done) < 4 and not (tmp_path / "sweep.h5").exists()
    assert hidden_files(shards) == []
    result = run_gpurg(args, tmp_path)
    assert_ok(result)
    assert f"({len(done)} from shards)" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep.h5"]


CLI_SWEEP = ["sweep", "ising", "-L", "8", "-T", "2.2,2.6", "--seeds", "2", "--replicas", "2",
             "--sweeps", "12", "--thermalize", "4", "--every", "2", "--algorithm",
             "metropolis", "--seed", "9", "--device", "cpu"]


def test_cli_sweep_on_two_workers(tmp_path: Path) -> None:
    result = run_gpurg([*CLI_SWEEP, "--workers", "2", "-o", "sweep.h5"], tmp_path)
    assert_ok(result)
    output = tmp_path / "sweep.h5"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep.h5"]
    rows = [line for line in result.stdout.splitlines() if line.startswith("│ 8 ")]
    assert len(rows) == 4 and all("±" in row for row in rows), result.stdout
    assert "local cluster, 2 workers" in result.stdout
    assert f"wrote 4 points to {output.name}" in result.stderr
    # a point of the file is sample_ising's run of it, on the same kernels
    p = points()[3]
    alone = tmp_path / "alone.h5"
    sample_ising(IsingModel(8, 2.6), seed=point_seed(9, **p), output=alone, replicas=2,
                 sweeps=12, thermalize=4, every=2, device="cpu", algorithm="metropolis")
    with h5py.File(alone, "r") as a, h5py.File(output, "r") as s:
        assert np.array_equal(a["configs"][()], s[point_name(p)]["configs"][()])
        assert np.array_equal(a["observables/e"][()], s[point_name(p)]["observables/e"][()])


BAD_INPUT = [
    pytest.param([*CLI_SWEEP, "-T", "2.2,x", "-o", "s.h5"], ("--temperature/-T", "'x'"),
                 id="bad-temperature"),
    pytest.param([*CLI_SWEEP, "-L", "8,7", "-o", "s.h5"], ("--size/-L", "7"), id="odd-size"),
    pytest.param([*CLI_SWEEP, "--coupling", "1,0", "-o", "s.h5"], ("coupling", "0"),
                 id="zero-coupling"),
    pytest.param([*CLI_SWEEP, "--seeds", "0", "-o", "s.h5"], ("--seeds", "0"), id="no-seeds"),
    pytest.param([*CLI_SWEEP, "--workers", "-1", "-o", "s.h5"], ("--workers", "-1"),
                 id="negative-workers"),
    pytest.param([*CLI_SWEEP, "--workers", "2", "--scheduler", "tcp://127.0.0.1:1", "-o",
                  "s.h5"], ("--workers", "--scheduler"), id="workers-and-scheduler"),
    pytest.param([*CLI_SWEEP, "--scheduler", "tcp://127.0.0.1:1", "-o", "s.h5"],
                 ("tcp://127.0.0.1:1",), id="unreachable-scheduler"),
    pytest.param([*CLI_SWEEP, "--algorithm", "magic", "-o", "s.h5"], ("algorithm", "magic"),
                 id="bad-algorithm"),
    pytest.param([*CLI_SWEEP, "-o", "s.txt"], ("s.txt", ".h5"), id="bad-output"),
    pytest.param(CLI_SWEEP, ("--output",), id="no-output"),
    pytest.param(["sweep", "dimer", "-L", "4", "-T", "0.05", "-V", "-1", "-o", "d.h5"],
                 ("T = 0.05", "too low"), id="dimer-too-cold"),
    pytest.param(["sweep", "dimer", "-V", "a", "-o", "d.h5"], ("--interaction/-V", "'a'"),
                 id="dimer-bad-interaction"),
]

bad_results, test_bad_input_is_one_error_line = bad_input_tests(BAD_INPUT)
