"""Sampling runs: a sampler, a measurement schedule, an HDF5 file and error bars, in one call.

These are the library functions behind ``gpurg ising sample`` and ``gpurg dimer sample``;
they are just as usable from a notebook::

    from gpurg.models.ising import IsingModel
    from gpurg.sampling import sample_ising
    run = sample_ising(IsingModel(L=32, T=2.269), replicas=64, sweeps=1000, device="auto")
    print(run.summary["binder"])
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

import gpurg
from gpurg.backend import Backend
from gpurg.errors import InputError
from gpurg.io.hdf5 import (
    RunWriter,
    check_output_path,
    read_run,
    read_state,
)
from gpurg.models.base import (
    MODELS,
    Model,
    Output,
    Sampler,
    check_schedule,
    model_from_attrs,
    sampler_class,
)
from gpurg.models.dimer import ENCODINGS, DimerImages, DimerModel, DimerSampler
from gpurg.models.ising import IsingModel
from gpurg.models.ising3d import Ising3DModel
from gpurg.models.ising_lattices import ISING_LATTICES, ising_lattice
from gpurg.signals import RunSignals, run_signals
from gpurg.stats import Estimate, summarize_profile
from gpurg.validation import Flag, Integer, Real, checked

__all__ = ["CHECKPOINT", "CHECKPOINT_SECONDS", "ENCODINGS", "SampleRun",
           "ising_batches", "ising_configurations", "resume_run", "run_to_resume", "sample",
           "sample_dimer", "sample_ising"]

Progress = Callable[[int, int], None]  # (sweeps done, total sweeps)

# Seconds between checkpoints of a run file by default: a killed run loses at most this much
CHECKPOINT_SECONDS = 60.0
CHECKPOINT = Real(0, optional=True)
SWEEPS = Integer(0)  # sweeps of a run after thermalization, and of its thermalization
EVERY = Integer(1)
# a run's schedule, checked alike by sample and its wrappers
_SCHEDULE = {"sweeps": SWEEPS, "thermalize": SWEEPS, "every": EVERY,
             "store_configs": Flag(), "checkpoint": CHECKPOINT}


@dataclass
class SampleRun:
    """Result of :func:`sample` (and :func:`sample_ising`, :func:`sample_dimer`,
    :func:`resume_run`).

    Attributes
    ----------
    observables : dict of str to numpy.ndarray
        float64, shape (n_measurements, R, *shape) each, the names and shapes of
        ``model.observables()`` (Ising: "e", "m", "abs_m", "m2", "m4"; dimers: see
        :meth:`~gpurg.models.dimer.DimerSampler.measure`).
    summary : dict of str to Estimate
        ``model.summarize(observables)``: means with errors and autocorrelation times (Ising:
        plus "binder", "c" and "chi"; dimers: plus "worm_length").
    profiles : dict of str to (numpy.ndarray, numpy.ndarray)
        For each observable with values per replica that are arrays (dimers: "corr_long",
        "corr_trans", C(r) for r = 0 .. L/2): mean and error of each component, float64.
    model : Model
        The model sampled.
    attrs : dict
        The sampler's own attributes at the end of the run (Ising: "algorithm"; dimers:
        "rule" and "worms_per_sweep", as calibrated after thermalization).
    backend : Backend
    seconds : float
        Wall time of this call's thermalization and sampling.
    output : Path or None
        The HDF5 file written, if any.
    final_state : numpy.ndarray
        The configurations at the end, (R, *model.shape) (Ising spins int8, dimer site codes
        int8), to continue a chain.
    """

    observables: dict[str, np.ndarray]
    summary: dict[str, Estimate]
    profiles: dict[str, tuple[np.ndarray, np.ndarray]]
    model: Model
    attrs: dict[str, Any]
    backend: Backend
    seconds: float
    output: Path | None
    final_state: np.ndarray = field(repr=False)

    @property
    def n_measurements(self) -> int:
        return len(self.observables[next(iter(self.observables))])


@checked(**_SCHEDULE)
def sample(
    sampler: Sampler,
    *,
    sweeps: int = 1000,
    thermalize: int = 0,
    every: int = 1,
    output: str | Path | None = None,
    store_configs: bool = True,
    outputs: Sequence[Output] = (),
    progress: Progress | None = None,
    checkpoint: float | None = CHECKPOINT_SECONDS,
) -> SampleRun:
    """Thermalize ``sampler``, measure it and (optionally) write an HDF5 file of the run.

    Every argument is validated before any file is created. On KeyboardInterrupt the file
    keeps the measurements completed so far (attribute ``complete`` = False) and the
    interrupt propagates; if none was completed, no file is left. SIGTERM during the run
    raises :class:`~gpurg.errors.Terminated`, a KeyboardInterrupt, to the same effect (the
    previous handler is restored after the run). The file's ``state`` group holds the
    sampler's state after its last measurement, from which :func:`resume_run` continues.

    Parameters
    ----------
    sampler : Sampler
        A fresh sampler of any registered model (``sweeps_done`` = 0).
    sweeps : int
        Sampling sweeps after thermalization; a measurement every ``every`` sweeps.
    thermalize : int
        Sweeps discarded first (then ``sampler.end_thermalization()``).
    output : path, optional
        HDF5 file to write (``.h5`` or ``.hdf5``): root attributes from the model, the
        sampler, the schedule and ``outputs``; datasets ``configs`` (R, *model.shape) per
        measurement, ``observables/<name>``, each output's dataset, and ``state``.
    store_configs : bool
        Write the configurations of every measurement (dataset ``configs``).
    outputs : sequence of Output
        Further datasets made at each measurement (e.g.
        :class:`~gpurg.models.dimer.DimerImages`).
    progress : callable, optional
        Called as ``progress(sweeps_done, total_sweeps)`` after each block of sweeps.
    checkpoint : float or None
        Seconds between checkpoints of the file (:meth:`~gpurg.io.hdf5.RunWriter.checkpoint`:
        the file at ``output`` is brought up to date as an interrupted run, so that a run
        killed outright, by SIGKILL or a lost node, keeps what its last checkpoint held and
        :func:`resume_run` continues it); None for none.
    """
    check_schedule(sweeps, thermalize, every)
    if output is not None:
        check_output_path(output)
    if sampler.sweeps_done:
        raise InputError(f"sampler must be fresh (sweeps_done = 0), got sweeps_done = "
                         f"{sampler.sweeps_done}; resume_run continues a run file")
    t0 = time.perf_counter()
    writer = None
    if output is not None:
        specs = {o.name: o.spec(sampler) for o in outputs}
        configs = (sampler.replicas, *sampler.model.shape) if store_configs else None
        writer = RunWriter(output, _attrs(sampler, sweeps, thermalize, every, outputs),
                           sampler.model.observables(), configs,
                           {k: v for k, v in specs.items() if v is not None} or None,
                           checkpoint=checkpoint)
    return _run(sampler, sweeps, thermalize, every, writer, store_configs, outputs, progress,
                t0)


@checked(**_SCHEDULE)
def sample_ising(
    model: IsingModel | Ising3DModel,
    *,
    replicas: int = 1,
    algorithm: str = "metropolis",
    start: str = "hot",
    seed: int = 0,
    sweeps: int = 1000,
    thermalize: int = 0,
    every: int = 1,
    device: str | Backend = "auto",
    output: str | Path | None = None,
    store_configs: bool = True,
    progress: Progress | None = None,
    checkpoint: float | None = CHECKPOINT_SECONDS,
    layout: str = "auto",
) -> SampleRun:
    """:func:`sample` of a new :class:`~gpurg.models.ising.IsingSampler`, or
    :class:`~gpurg.models.ising3d.Ising3DSampler` for a 3D model (the model's sampler).

    Parameters
    ----------
    model : IsingModel or Ising3DModel
    replicas, algorithm, start, seed, device, layout
        As for the model's sampler.
    sweeps, thermalize, every, output, store_configs, progress, checkpoint
        As for :func:`sample`.
    """
    check_schedule(sweeps, thermalize, every)  # before the sampler's set-up
    kinds = tuple(lattice.model for lattice in ISING_LATTICES.values())
    if not isinstance(model, kinds):
        raise InputError(f"model must be an Ising model ({', '.join(k.__name__ for k in kinds)}),"
                         f" got {type(model).__name__}")
    sampler = sampler_class(model)(model, replicas=replicas, algorithm=algorithm, start=start,
                                   seed=seed, device=device, layout=layout)
    return sample(sampler, sweeps=sweeps, thermalize=thermalize, every=every, output=output,
                  store_configs=store_configs, progress=progress, checkpoint=checkpoint)


@checked(**_SCHEDULE)
def sample_dimer(
    model: DimerModel,
    *,
    replicas: int = 1,
    start: str = "random",
    rule: str = "minimal-bounce",
    worms_per_sweep: int | None = None,
    seed: int = 0,
    sweeps: int = 1000,
    thermalize: int = 0,
    every: int = 1,
    device: str | Backend = "auto",
    output: str | Path | None = None,
    store_configs: bool = True,
    encoding: str = "codes",
    noise: str = "none",
    progress: Progress | None = None,
    checkpoint: float | None = CHECKPOINT_SECONDS,
) -> SampleRun:
    """:func:`sample` of a new :class:`~gpurg.models.dimer.DimerSampler` (calibrated before
    this call's timer starts).

    With ``encoding="image"`` or a ``noise`` other than "none" the file also holds
    ``images``, uint8 (n_measurements, R, 2L, 2L): the RSMI image encoding of each
    measurement, its noise drawn from the seed and the measurement's index
    (:class:`~gpurg.models.dimer.DimerImages`); the file's attributes record both.

    Parameters
    ----------
    model : DimerModel
    replicas, start, rule, worms_per_sweep, seed, device
        As for :class:`~gpurg.models.dimer.DimerSampler`.
    sweeps, thermalize, every, output, store_configs, progress, checkpoint
        As for :func:`sample`.
    encoding : {"codes", "image"}
    noise : {"none", "correlated", "independent"}
        Decoration of the image's vertex and face pixels (see
        :func:`gpurg.models.dimer_encodings.to_image`).
    """
    check_schedule(sweeps, thermalize, every)  # before the sampler's calibration
    images = DimerImages(encoding, noise)
    if output is not None:
        check_output_path(output)
    sampler = DimerSampler(model, replicas=replicas, start=start, seed=seed, device=device,
                           rule=rule, worms_per_sweep=worms_per_sweep)
    return sample(sampler, sweeps=sweeps, thermalize=thermalize, every=every, output=output,
                  store_configs=store_configs, outputs=[images], progress=progress,
                  checkpoint=checkpoint)


def _run(sampler: Sampler, sweeps: int, thermalize: int, every: int,
         writer: RunWriter | None, store_configs: bool, outputs: Sequence[Output],
         progress: Progress | None, t0: float,
         previous: Mapping[str, np.ndarray] | None = None) -> SampleRun:
    """Sample (after ``previous``'s rows, float64 (n, R, ...) each, when resuming) and
    summarise."""
    written = [o for o in outputs if o.spec(sampler) is not None]

    def row(index: int) -> tuple[np.ndarray | None, dict[str, np.ndarray] | None,
                                 Callable[[], dict[str, Any]]]:
        arrays = {o.name: o(sampler, index) for o in written} or None
        # the state is the configurations of this measurement: the configs row when stored
        # (already on the host), else a device copy taken to the host only if the file is
        # closed after this row
        configs = sampler.get_state() if store_configs else sampler.configs.copy()
        return (configs if store_configs else None), arrays, sampler.saved_state(configs)

    done = 0 if previous is None else len(previous[next(iter(previous))])
    rows = _sample(sampler, sweeps, thermalize, every, writer, progress, row, done)
    shapes = sampler.model.observables()
    observables = {k: _stack(previous, k, rows) for k in shapes}
    return SampleRun(
        observables=observables,
        summary=sampler.model.summarize(observables),
        profiles={k: summarize_profile(observables[k]) for k, shape in shapes.items() if shape},
        model=sampler.model,
        attrs=sampler.attrs(),
        backend=sampler.backend,
        seconds=time.perf_counter() - t0,
        output=None if writer is None else writer.path,
        final_state=sampler.get_state(),
    )


def _stack(previous: Mapping[str, np.ndarray] | None, name: str,
           rows: list[dict[str, np.ndarray]]) -> np.ndarray:
    """Observable ``name`` of the file's earlier rows and the new ones, float64 (n, R, ...)."""
    new = [r[name] for r in rows]
    if previous is None:
        return np.array(new)
    return np.concatenate([previous[name], np.array(new).reshape(-1, *previous[name].shape[1:])])


# (measurement index) -> configurations, further arrays, and the state after the measurement
RowData = Callable[[int], tuple[np.ndarray | None, dict[str, np.ndarray] | None,
                                Callable[[], dict[str, Any]]]]


def _sample(sampler: Sampler, sweeps: int, thermalize: int, every: int,
            writer: RunWriter | None, progress: Progress | None,
            row: RowData, done: int = 0) -> list[dict[str, np.ndarray]]:
    """Thermalize, then measure; each measurement goes to ``writer`` with the configurations,
    arrays and state ``row(index)`` returns. With ``done`` > 0 the sampler continues a run
    that has that many measurements (thermalization skipped). RunWriter's exit keeps finished
    measurements on Ctrl-C and SIGTERM and removes the file otherwise."""
    total = thermalize + (sweeps // every) * every
    rows: list[dict[str, np.ndarray]] = []
    with run_signals() as signals, _closing(writer, signals):
        if not done:
            _thermalize(sampler, thermalize, progress, total)
            if thermalize:
                sampler.end_thermalization()
        remaining = sweeps // every - done
        for obs in sampler.run(remaining * every, every=every) if remaining else ():
            # a row and its state are written whole, or not at all
            with signals.atomic():
                if writer is not None:
                    configs, arrays, state = row(done + len(rows))
                    writer.append(obs, configs, arrays, state)
                rows.append(obs)
            if progress is not None:
                progress(sampler.sweeps_done, total)
    return rows


@contextlib.contextmanager
def _closing(writer: RunWriter | None, signals: RunSignals) -> Iterator[None]:
    """The writer's context, its exit shielded from signals: an interrupt while it closes
    the file would otherwise abort it and lose the run."""
    if writer is None:
        yield
        return
    try:
        yield
    except BaseException as exc:
        with signals.atomic():
            writer.__exit__(type(exc), exc, exc.__traceback__)
        raise
    with signals.atomic():
        writer.__exit__(None, None, None)


def _thermalize(sampler: Sampler, n: int, progress: Progress | None, total: int) -> None:
    block = max(1, n // 100)  # report progress about a hundred times
    while sampler.sweeps_done < n:
        sampler.sweep(min(block, n - sampler.sweeps_done))
        if progress is not None:
            progress(sampler.sweeps_done, total)


def _attrs(sampler: Sampler, sweeps: int, thermalize: int, every: int,
           outputs: Sequence[Output]) -> dict[str, Any]:
    """Root attributes of a new run file: the model's, the sampler's, the schedule, the
    outputs' settings."""
    return {
        **sampler.model.attrs(), **sampler.attrs(),
        "replicas": sampler.replicas, "seed": np.uint64(sampler.seed),
        "sweeps": sweeps, "thermalize": thermalize, "every": every, "start": sampler.start,
        "backend": sampler.backend.name, "device": sampler.backend.device_name,
        "gpurg_version": gpurg.__version__,
        **{k: v for o in outputs for k, v in o.attrs().items()},
    }


def resume_run(path: str | Path, *, device: str | Backend = "auto",
               expect: Mapping[str, Any] | None = None,
               progress: Progress | None = None,
               checkpoint: float | None = CHECKPOINT_SECONDS) -> SampleRun:
    """Continue an interrupted run file (``complete`` = False) to its planned sweeps.

    The model, schedule, seed and outputs are read from the file, and the sampler restarts
    from the state saved after the file's last measurement (the ``state`` group). Since every
    random decision is keyed by the seed and the chain's own counters, the finished file
    holds the same configurations, observables and images, bit for bit, as a run that was
    never interrupted (on any device). The file is rewritten atomically: until the
    continued run ends (or is interrupted again, which keeps the new measurements too) the
    old file stays as it was.

    Parameters
    ----------
    path : path
        A run file written by :func:`sample` (or its wrappers) or this function.
    device
        Where to continue; need not be where the run began.
    expect : mapping, optional
        Root attributes the run must have (e.g. ``{"model": "ising", "L": 32}``), and
        ``store_configs`` (bool) for whether it holds configurations; a mismatch is an
        InputError naming it. The CLI passes the options given beside ``--resume``.
    progress : callable, optional
        As for :func:`sample_ising`, counted from the start of the run.
    checkpoint : float or None
        As for :func:`sample`: checkpoints replace the file as the run goes on.

    Returns
    -------
    SampleRun
        With the observables of all measurements, the file's earlier ones included
        (``seconds`` counts only this call).

    Raises
    ------
    InputError
        If the file is missing, not a run file, complete, saved without a state (written by
        a gpurg older than resumable runs), or not as ``expect`` says.
    """
    t0 = time.perf_counter()
    path = Path(path)
    attrs, arrays, state = run_to_resume(path)
    for name, value in (expect or {}).items():
        have = "configs" in arrays if name == "store_configs" else attrs.get(name)
        if have != value:
            raise InputError(f"{path}: the run has {name} = {have}, not {value} (options "
                             f"given with --resume must match the run file)")
    previous = read_run(path).observables
    sweeps, thermalize, every = attrs["sweeps"], attrs["thermalize"], attrs["every"]
    n = attrs["n_measurements"]
    if state["sweeps_done"] != thermalize + n * every:
        raise InputError(f"{path}: saved state is at sweep {state['sweeps_done']}, not after "
                         f"measurement {n} (sweep {thermalize + n * every})")
    store_configs = "configs" in arrays
    model = model_from_attrs(attrs)
    kind = sampler_class(model)
    sampler = kind(model, replicas=attrs["replicas"], start=attrs["start"], seed=attrs["seed"],
                   device=device, **kind.options_from_attrs(attrs, state))
    sampler.restore(arrays, state)
    outputs = kind.outputs_from_attrs(attrs, arrays)
    writer = RunWriter.reopen(path, checkpoint=checkpoint)
    return _run(sampler, sweeps, thermalize, every, writer, store_configs, outputs, progress,
                t0, previous)


def run_to_resume(path: Path) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Check that ``path`` is an interrupted run that can be continued.

    Returns
    -------
    attrs : dict
        The file's root attributes.
    arrays : dict
        The saved state's arrays (:meth:`Sampler.saved_state`: Ising ``spins`` int8
        (R, L, L); dimers ``codes`` int8 (R, L, L), ``worms`` uint32 (R,), ``steps`` uint64
        (R,)), plus the names of the file's root datasets ("configs", "images") mapped to
        None.
    state : dict
        The saved state's attributes: ``n_measurements``, ``sweeps_done`` and the sampler's
        own (:meth:`Sampler.state_attrs`; dimers: ``worms_per_sweep``).
    """
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    check_output_path(path)  # it is rewritten in place
    try:
        with h5py.File(path, "r") as file:
            datasets = dict.fromkeys(k for k, v in file.items() if isinstance(v, h5py.Dataset))
    except OSError as exc:
        raise InputError(f"{path}: not a readable HDF5 file ({exc})") from exc
    try:
        run = read_run(path)
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"{path}: not a gpurg run file ({exc})") from exc
    attrs = run.attrs
    if attrs.get("model") not in MODELS or "sweeps" not in attrs:
        raise InputError(f"{path}: not a sampling run of a gpurg sampler (models: "
                         f"{', '.join(MODELS)})")
    if attrs.get("complete"):
        raise InputError(f"{path}: the run is complete ({attrs['n_measurements']} "
                         f"measurements); nothing to resume")
    saved = read_state(path)
    if saved is None or saved[1].get("n_measurements") != attrs["n_measurements"]:
        raise InputError(f"{path}: no saved sampler state after its last measurement (written "
                         f"before runs could be resumed?); it cannot be resumed")
    return attrs, {**datasets, **saved[0]}, saved[1]


def ising_configurations(L: int, T: float, *, dim: int = 2, replicas: int = 64,
                         thermalize: int = 50, samples: int = 10, every: int = 5, seed: int = 0,
                         device: str | Backend = "auto"):
    """Swendsen–Wang Ising configurations for learning and testing rules (J = 1, h = 0):
    ``samples`` snapshots of ``replicas`` chains, ``every`` sweeps apart after ``thermalize``,
    of the Ising model of dimension ``dim`` (:mod:`gpurg.models.ising_lattices`: 2, the
    square lattice; 3, the simple cubic one).

    Returns int8 (samples * replicas, L, ..., L) (``dim`` lattice axes) on the backend's
    device (snapshot-major).
    """
    batches = ising_batches(L, T, dim=dim, replicas=replicas, thermalize=thermalize,
                            samples=samples, batch=samples, every=every, seed=seed,
                            device=device)
    return next(batches)


def ising_batches(L: int, T: float, *, dim: int = 2, replicas: int = 64, thermalize: int = 50,
                  samples: int = 10, batch: int = 10, every: int = 5, seed: int = 0,
                  device: str | Backend = "auto") -> Iterator[Any]:
    """:func:`ising_configurations` a ``batch`` of snapshots at a time, for more data than
    memory holds: yields int8 (k * replicas, L, ..., L) with k = ``batch`` (the last batch
    the rest of ``samples``); the chains go on from batch to batch, so the batches joined
    are ising_configurations(...) bit for bit."""
    lattice = ising_lattice(dim)
    sampler = lattice.sampler(lattice.model(L, T), replicas=replicas, algorithm="swendsen-wang",
                              seed=seed, device=device)
    sampler.sweep(thermalize)
    for start in range(0, samples, batch):
        snapshots = []
        for _ in range(min(batch, samples - start)):
            sampler.sweep(every)
            snapshots.append(sampler.spins.copy())
        yield sampler.backend.xp.concatenate(snapshots)


def dimer_images(L: int, T: float = float("inf"), *, V: float = -1.0, replicas: int = 64,
                 thermalize: int = 50, samples: int = 50, every: int = 10,
                 noise: str = "correlated", seed: int = 0, device: str | Backend = "auto"):
    """Dimer images for learning and testing rules, as :func:`ising_configurations` gives
    spins: ``samples`` snapshots of ``replicas`` worm chains (the L x L torus at temperature T,
    interaction V), ``every`` sweeps apart after ``thermalize``, each encoded as the RSMI image
    with ``noise`` ("none", "correlated", "independent"; :class:`DimerImages`, measurement i
    drawing noise counter i, as a run file's images).

    Returns uint8 (samples * replicas, 2L, 2L) on the backend's device (snapshot-major).
    """
    images = DimerImages("image", noise)
    sampler = DimerSampler(DimerModel(L, T, V), replicas=replicas, start="random", seed=seed,
                           device=device)
    sampler.thermalize(thermalize)
    snapshots = []
    for i in range(samples):
        sampler.sweep(every)
        snapshots.append(images(sampler, i))
    return sampler.backend.xp.asarray(np.concatenate(snapshots))
