"""Grids of sampling runs on Dask (``gpurg sweep ising``, ``gpurg sweep dimer``; issue 16).

A sweep is the product of the model's parameter lists and ``seeds`` seed indices: Ising
points ``{"L", "T", "J", "h", "seed_index"}``, dimer points ``{"L", "T", "V", "seed_index"}``
(:func:`ising_grid`, :func:`dimer_grid`). Every point is one run of
:func:`~gpurg.sampling.sample_ising` / :func:`~gpurg.sampling.sample_dimer` with the sweep's
schedule and the point's own seed::

    point_seed(seed, **point)   # e.g. point_seed(9, L=16, T=2.2, J=1.0, h=0.0, seed_index=0)

(:func:`gpurg.parallel.point_seed`: SHA-256 of the sorted JSON of the sweep seed and the point,
L an int, the other parameters floats), so a point's configurations depend on the sweep's seed
and its own parameters only: not on the grid around it, the order the points run in, or the
worker that runs them. The same point run alone, ``sample_ising(IsingModel(L, T, J, h),
seed=point_seed(...), ...)``, gives the same chain bit for bit.

Where the points run is a :class:`~gpurg.parallel.Engine`. Each task (:func:`run_point`) gets
the point's parameters, samples into a temporary file on its worker and returns the file's
bytes: parameters go out, HDF5 comes back, no shared filesystem is needed. The process that
called :func:`run_sweep` writes each result as it arrives, atomically, as a shard
``<output>.shards/<point name>.h5``; when every point is done it merges the shards into
``output`` (one group per point, named by :func:`point_name`, holding the datasets and
attributes of a ``sample`` run file, plus the attribute ``seed_index``), atomically, and
removes the shard folder. An interrupted sweep (Ctrl-C, SIGTERM, a lost machine) keeps its
shards; run again with the same arguments it skips every point whose shard is complete and
matches, and runs the rest.

::

    from gpurg.jobs.sweep import ising_grid, run_sweep
    from gpurg.parallel import Engine
    result = run_sweep("ising", ising_grid([16, 32], [2.2, 2.269, 2.35], seeds=2),
                       "sweep.h5", replicas=8, sweeps=400, thermalize=50, every=20, seed=9,
                       engine=Engine(workers=2))
    for point in result.points:
        print(point.name, point.summary["binder"].format())
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import h5py
import numpy as np

import gpurg
from gpurg.backend import DEVICES
from gpurg.errors import InputError
from gpurg.io.hdf5 import atomic_output, check_output_path, read_run
from gpurg.models.base import REPLICAS, Model, check_schedule
from gpurg.models.dimer import STARTS as DIMER_STARTS
from gpurg.models.dimer import DimerImages, DimerModel
from gpurg.models.dimer_rules import RULES
from gpurg.models.ising import LAYOUT_REQUESTS, UPDATES, IsingModel, choose_layout
from gpurg.models.ising import STARTS as ISING_STARTS
from gpurg.parallel import Engine, point_seed, run_tasks
from gpurg.sampling import EVERY, SWEEPS, sample_dimer, sample_ising
from gpurg.signals import run_signals
from gpurg.stats import Estimate
from gpurg.validation import SEED, Choice, Flag, Integer, checked

__all__ = ["KINDS", "SEEDS", "PointResult", "PointTask", "SweepResult", "dimer_grid",
           "ising_grid", "point_name", "run_point", "run_sweep", "shard_folder"]

KINDS = ("ising", "dimer")
SEEDS = Integer(1)
"""Seed indices of a sweep: each point of the parameter grid runs this many times."""
FORMAT = "sweep"
# the parameters of a point, in name order, by model
_PARAMETERS = {"ising": ("L", "T", "J", "h"), "dimer": ("L", "T", "V")}
_MODELS: dict[str, type[Model]] = {"ising": IsingModel, "dimer": DimerModel}
# the run options each model takes beside the schedule, with their defaults
_OPTIONS = {"ising": {"algorithm": "metropolis", "start": "hot", "layout": "auto"},
            "dimer": {"start": "random", "rule": "minimal-bounce", "worms_per_sweep": None,
                      "encoding": "codes", "noise": "none"}}

Progress = Callable[[int, int], None]  # (points done, points in the grid)


# ------------------------------------------------------------------------------ the grid
def _grid(kind: str, axes: Mapping[str, Sequence[Any]], seeds: int) -> list[dict[str, Any]]:
    """The product of ``axes`` (in the model's parameter order) and seed indices 0..seeds-1,
    each point checked by the model (so bad values fail before any work) and normalised
    (L an int, the others floats: the point's seed is that of its JSON)."""
    names = _PARAMETERS[kind]
    for name in names:
        if len(axes[name]) == 0:
            raise InputError(f"{name} must have at least one value")
    points = []
    for values in itertools.product(*(axes[n] for n in names)):
        model = _MODELS[kind](*values)
        for index in range(seeds):
            points.append({**{n: getattr(model, n) for n in names}, "seed_index": index})
    if len({point_name(p) for p in points}) != len(points):
        raise InputError("the grid repeats a point: give each value once")
    return points


@checked(seeds=SEEDS)
def ising_grid(L: Sequence[int], T: Sequence[float], J: Sequence[float] = (1.0,),
               h: Sequence[float] = (0.0,), seeds: int = 1) -> list[dict[str, Any]]:
    """The points of an Ising sweep: every (L, T, J, h) of the lists, ``seeds`` times
    (``seed_index`` 0..seeds-1), L varying slowest and the seed index fastest. Each value is
    checked by :class:`~gpurg.models.ising.IsingModel`."""
    return _grid("ising", {"L": L, "T": T, "J": J, "h": h}, seeds)


@checked(seeds=SEEDS)
def dimer_grid(L: Sequence[int], T: Sequence[float], V: Sequence[float] = (-1.0,),
               seeds: int = 1) -> list[dict[str, Any]]:
    """The points of a dimer sweep: every (L, T, V) of the lists (T may be ``math.inf``),
    ``seeds`` times, as :func:`ising_grid`; checked by
    :class:`~gpurg.models.dimer.DimerModel`."""
    return _grid("dimer", {"L": L, "T": T, "V": V}, seeds)


def point_name(point: Mapping[str, Any]) -> str:
    """The point's name: its group in the sweep file, its shard's file name, its task's key,
    e.g. ``L16_T2.269_J1.0_h0.0_s0`` (floats as Python's repr, so distinct points have
    distinct names)."""
    parts = [f"{k}{point[k]!r}" for k in point if k != "seed_index"]
    return "_".join([*parts, f"s{point['seed_index']}"])


def shard_folder(output: str | os.PathLike[str]) -> Path:
    """Where a sweep writing ``output`` keeps its finished points until the merge:
    ``<output>.shards``."""
    output = Path(output)
    return output.with_name(output.name + ".shards")


# ------------------------------------------------------------------------------- a task
@dataclass(frozen=True)
class PointTask:
    """What a worker needs to run one point: everything is in here (no shared files).

    Attributes
    ----------
    kind : {"ising", "dimer"}
    point : dict
        The point's parameters and ``seed_index`` (:func:`ising_grid`, :func:`dimer_grid`).
    seed : int
        The point's seed, ``point_seed(sweep seed, **point)``.
    run : dict
        The keyword arguments of ``sample_ising`` / ``sample_dimer`` besides the model, the
        seed and the output: replicas, sweeps, thermalize, every, device, store_configs and the
        model's options (Ising: algorithm, start, layout; dimers: start, rule,
        worms_per_sweep, encoding, noise).
    """

    kind: str
    point: dict[str, Any]
    seed: int
    run: dict[str, Any]

    @property
    def name(self) -> str:
        return point_name(self.point)

    def model(self) -> Model:
        return _MODELS[self.kind](*(self.point[n] for n in _PARAMETERS[self.kind]))

    def expected_attrs(self) -> dict[str, Any]:
        """Root attributes the point's run file must have (to reuse a shard)."""
        run = self.run
        attrs = {**self.model().attrs(), "replicas": run["replicas"], "seed": self.seed,
                 "sweeps": run["sweeps"], "thermalize": run["thermalize"],
                 "every": run["every"], "start": run["start"], "complete": True}
        if self.kind == "ising":
            attrs["algorithm"] = run["algorithm"]
            attrs["spin_layout"] = choose_layout(self.point["L"], run["replicas"],
                                                 run["algorithm"], run["layout"])
        else:
            attrs.update(rule=run["rule"], encoding=run["encoding"], noise=run["noise"])
            if run["worms_per_sweep"] is not None:
                attrs["worms_per_sweep"] = run["worms_per_sweep"]
        return attrs


def run_point(task: PointTask) -> bytes:
    """Run one point (a task on a worker): sample into a temporary file there and return the
    file's bytes, a complete run file of ``sample_ising`` / ``sample_dimer``. A pure function
    of ``task``: run anywhere, any number of times, the file holds the same configurations and
    observables."""
    with tempfile.TemporaryDirectory(prefix="gpurg-point-") as folder:
        path = Path(folder) / "point.h5"
        run = dict(task.run)
        with warnings.catch_warnings():
            # the summary of the run is made again where the shard is read
            warnings.simplefilter("ignore", RuntimeWarning)
            sample = sample_ising if task.kind == "ising" else sample_dimer
            sample(task.model(), seed=task.seed, output=path, checkpoint=None, **run)
        return path.read_bytes()


# ---------------------------------------------------------------------------- the sweep
@dataclass(frozen=True)
class PointResult:
    """One point of a finished sweep.

    Attributes
    ----------
    name : str
        :func:`point_name`: its group in the output file.
    point : dict
        Its parameters and ``seed_index``.
    seed : int
        Its seed (``point_seed(sweep seed, **point)``).
    summary : dict of str to Estimate
        ``model.summarize`` of its observables: means with errors (Ising: e, m, abs_m, m2, m4,
        binder, c, chi; dimers: e, n_par, col2, w2, ..., worm_length).
    reused : bool
        Whether its shard came from an earlier, interrupted run of the sweep.
    """

    name: str
    point: dict[str, Any]
    seed: int
    summary: dict[str, Estimate]
    reused: bool


@dataclass(frozen=True)
class SweepResult:
    """What :func:`run_sweep` returns: the points in grid order, the file, the time taken."""

    kind: str
    points: list[PointResult]
    output: Path
    seconds: float
    engine: str = field(default="")

    @property
    def ran(self) -> int:
        """Points run by this call (the others were reused from shards)."""
        return sum(not p.reused for p in self.points)


def _normalised(kind: str, point: Mapping[str, Any]) -> dict[str, Any]:
    """A point as the grid functions make it (the model's parameters in order, checked, L an
    int and the others floats, then ``seed_index``): its name and seed depend on that form."""
    keys = (*_PARAMETERS[kind], "seed_index")
    if set(point) != set(keys):
        raise InputError(f"each point of a {kind} sweep must have the keys {', '.join(keys)}, got "
                         f"{', '.join(map(str, point))}")
    model = _MODELS[kind](*(point[n] for n in _PARAMETERS[kind]))
    return {**{n: getattr(model, n) for n in _PARAMETERS[kind]},
            "seed_index": Integer(0).check("seed_index", point["seed_index"])}


def _check_run(kind: str, points: Sequence[Mapping[str, Any]], run: dict[str, Any]) -> None:
    """Everything a task would refuse, refused here, before any file or cluster."""
    check_schedule(run["sweeps"], run["thermalize"], run["every"])
    Choice(DEVICES).check("device", run["device"])
    models = {point_name(p): _MODELS[kind](*(p[n] for n in _PARAMETERS[kind])) for p in points}
    if kind == "ising":
        Choice(tuple(UPDATES)).check("algorithm", run["algorithm"])
        Choice(ISING_STARTS).check("start", run["start"])
        Choice(LAYOUT_REQUESTS).check("layout", run["layout"])
        for model in models.values():
            UPDATES[run["algorithm"]].check(model)
            choose_layout(model.L, run["replicas"], run["algorithm"], run["layout"])
    else:
        Choice(DIMER_STARTS).check("start", run["start"])
        Choice(RULES).check("rule", run["rule"])
        Integer(1, optional=True).check("worms_per_sweep", run["worms_per_sweep"])
        DimerImages(run["encoding"], run["noise"])
    for model in models.values():
        if run["replicas"] * model.n_sites >= 2**31:
            raise InputError(f"replicas * n_sites must be < 2^31, got {run['replicas']} * "
                             f"{model.n_sites}")


def _shard_is_done(path: Path, task: PointTask, store_configs: bool) -> bool:
    """Whether ``path`` holds the finished run of ``task`` (complete, same parameters)."""
    if not path.is_file():
        return False
    try:
        attrs = read_run(path).attrs
        with h5py.File(path, "r") as file:
            has_configs = "configs" in file
    except (OSError, ValueError, KeyError):
        return False
    expected = task.expected_attrs()
    return has_configs == store_configs and all(attrs.get(k) == v for k, v in expected.items())


def _summary(kind: str, path: Path) -> dict[str, Estimate]:
    run = read_run(path)
    return _MODELS[kind].from_attrs(run.attrs).summarize(run.observables)


@checked(replicas=REPLICAS, sweeps=SWEEPS, thermalize=SWEEPS, every=EVERY, seed=SEED,
         store_configs=Flag())
def run_sweep(kind: str, points: Sequence[Mapping[str, Any]], output: str | os.PathLike[str],
              *, replicas: int = 1, sweeps: int = 1000, thermalize: int = 0, every: int = 1,
              seed: int = 0, device: str = "auto", store_configs: bool = True,
              engine: Engine | None = None, progress: Progress | None = None,
              task: Callable[[PointTask], bytes] = run_point,
              **options: Any) -> SweepResult:
    """Run every point of a grid on ``engine`` and merge the runs into ``output``.

    Parameters
    ----------
    kind : {"ising", "dimer"}
    points : sequence of dict
        :func:`ising_grid` / :func:`dimer_grid` (each point's parameters and ``seed_index``).
    output : path
        The sweep's HDF5 file (.h5/.hdf5); its shards live in ``<output>.shards`` until the
        merge.
    replicas, sweeps, thermalize, every, device, store_configs
        Of every point's run, as for :func:`~gpurg.sampling.sample_ising` (``device``: where
        each worker computes; "auto" takes a worker's GPU when it has one).
    seed : int
        The sweep's seed; point p runs with ``point_seed(seed, **p)``.
    engine : Engine, optional
        Where the points run (:class:`~gpurg.parallel.Engine`; None: an embedded cluster
        sized to this machine).
    progress : callable, optional
        ``progress(points done, points)``: first with the points reused from shards, then after
        each point's shard is written.
    task : callable
        The function run for each point (:func:`run_point`; a test may wrap it).
    **options
        The model's run options: Ising ``algorithm`` ("metropolis"), ``start`` ("hot"),
        ``layout`` ("auto"); dimers ``start`` ("random"), ``rule`` ("minimal-bounce"),
        ``worms_per_sweep`` (None: calibrated), ``encoding`` ("codes"), ``noise`` ("none").

    Returns
    -------
    SweepResult
        Each point's summary, in the order of ``points``.

    The merged file holds a group per point (:func:`point_name`) with the datasets and
    attributes of its run file (and ``seed_index``); its root attributes are ``format`` =
    "sweep", ``model``, ``seed`` (the sweep's), ``points`` (the group names in grid order), the
    schedule and options, ``gpurg_version`` and ``created``. On KeyboardInterrupt (and
    SIGTERM, as :class:`~gpurg.errors.Terminated`) the shards written so far are kept and no
    merged file is written; calling again with the same arguments resumes.
    """
    t0 = time.perf_counter()
    Choice(KINDS).check("kind", kind)
    unknown = set(options) - set(_OPTIONS[kind])
    if unknown:
        raise InputError(f"unknown option {sorted(unknown)[0]!r} of a {kind} sweep; allowed: "
                         f"{', '.join(_OPTIONS[kind])}")
    run = {"replicas": replicas, "sweeps": sweeps, "thermalize": thermalize, "every": every,
           "device": device, "store_configs": store_configs, **_OPTIONS[kind], **options}
    points = [_normalised(kind, p) for p in points]
    if not points:
        raise InputError("the sweep has no points")
    names = [point_name(p) for p in points]
    if len(set(names)) != len(names):
        raise InputError("the grid repeats a point: give each value once")
    _check_run(kind, points, run)
    output = check_output_path(output)
    shards = shard_folder(output)
    if shards.exists() and not shards.is_dir():
        raise InputError(f"{shards}: exists and is not a folder (the sweep's shards go there)")
    tasks = [PointTask(kind, p, point_seed(seed, **p), run) for p in points]
    paths = [shards / f"{n}.h5" for n in names]
    done = [_shard_is_done(path, t, store_configs) for path, t in zip(paths, tasks, strict=True)]
    todo = [i for i, d in enumerate(done) if not d]
    reused = list(done)
    count = sum(done)
    if progress is not None:
        progress(count, len(points))

    with run_signals() as signals:
        def on_result(j: int, data: bytes) -> None:
            nonlocal count
            i = todo[j]
            shards.mkdir(exist_ok=True)  # at the first result: bad input leaves no folder
            with signals.atomic(), atomic_output(paths[i]) as tmp:
                tmp.write_bytes(data)
            done[i] = True
            count += 1
            if progress is not None:
                progress(count, len(points))

        if todo:
            run_tasks(engine, task, [tasks[i] for i in todo], on_result=on_result,
                      names=[names[i] for i in todo], keep=False)
        results = [PointResult(n, p, t.seed, _summary(kind, path), r)
                   for n, p, t, path, r in zip(names, points, tasks, paths, reused, strict=True)]
        with signals.atomic():
            _merge(output, kind, tasks, paths, seed, run)
            shutil.rmtree(shards, ignore_errors=True)
    return SweepResult(kind, results, output, time.perf_counter() - t0,
                       (engine or Engine()).describe() if todo else "")


def _merge(output: Path, kind: str, tasks: Sequence[PointTask], paths: Sequence[Path],
           seed: int, run: Mapping[str, Any]) -> None:
    """The shards as one file, a group per point, written atomically."""
    with atomic_output(output) as tmp, h5py.File(tmp, "w") as merged:
        for t, path in zip(tasks, paths, strict=True):
            with h5py.File(path, "r") as shard:
                group = merged.create_group(t.name)
                for key in shard:
                    shard.copy(shard[key], group, name=key)
                group.attrs.update(shard.attrs)
                group.attrs["seed_index"] = t.point["seed_index"]
        merged.attrs.update({
            "format": FORMAT, "model": kind, "seed": np.uint64(seed),
            "points": [t.name for t in tasks], "seeds": max(t.point["seed_index"]
                                                            for t in tasks) + 1,
            **{k: ("none" if v is None else v) for k, v in run.items()},
            "gpurg_version": gpurg.__version__,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        })

