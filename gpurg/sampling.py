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
from collections.abc import Callable, Iterator, Mapping
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
from gpurg.models import dimer
from gpurg.models.dimer import DimerModel, DimerSampler
from gpurg.models.dimer_encodings import NOISES, to_image
from gpurg.models.ising import OBSERVABLES, IsingModel, IsingSampler, check_schedule
from gpurg.signals import RunSignals, run_signals
from gpurg.stats import Estimate, summarize_dimer, summarize_ising, summarize_profile

Progress = Callable[[int, int], None]  # (sweeps done, total sweeps)


@dataclass
class IsingRun:
    """Result of :func:`sample_ising`.

    Attributes
    ----------
    observables : dict of str to numpy.ndarray
        float64, shape (n_measurements, R) each: "e", "m", "abs_m", "m2", "m4".
    summary : dict of str to Estimate
        Means with errors and autocorrelation times, plus "binder", "c" and "chi".
    backend : Backend
    seconds : float
        Wall time of thermalization and sampling.
    output : Path or None
        The HDF5 file written, if any.
    final_state : numpy.ndarray
        int8 (R, L, L): the spins at the end, to continue a chain.
    """

    observables: dict[str, np.ndarray]
    summary: dict[str, Estimate]
    backend: Backend
    seconds: float
    output: Path | None
    final_state: np.ndarray = field(repr=False)

    @property
    def n_measurements(self) -> int:
        return len(self.observables["e"])


def sample_ising(
    model: IsingModel,
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
) -> IsingRun:
    """Thermalize, sample and (optionally) write an HDF5 file of the run.

    Every argument is validated before any file is created. On KeyboardInterrupt the file
    keeps the measurements completed so far (attribute ``complete`` = False) and the
    interrupt propagates; if none was completed, no file is left. SIGTERM during the run
    raises :class:`~gpurg.errors.Terminated`, a KeyboardInterrupt, to the same effect (the
    previous handler is restored after the run). The file's ``state`` group holds the
    sampler's state after its last measurement, from which :func:`resume_run` continues.

    Parameters
    ----------
    model : IsingModel
    replicas, algorithm, start, seed, device
        As for :class:`~gpurg.models.ising.IsingSampler`.
    sweeps : int
        Sampling sweeps after thermalization; a measurement every ``every`` sweeps.
    thermalize : int
        Sweeps discarded first.
    output : path, optional
        HDF5 file to write (``.h5`` or ``.hdf5``).
    store_configs : bool
        Write the spins of every measurement (dataset ``configs``).
    progress : callable, optional
        Called as ``progress(sweeps_done, total_sweeps)`` after each block of sweeps.
    """
    check_schedule(sweeps, thermalize, every)
    if output is not None:
        check_output_path(output)
    sampler = IsingSampler(model, replicas=replicas, algorithm=algorithm, start=start,
                           seed=seed, device=device)
    t0 = time.perf_counter()
    writer = None if output is None else RunWriter(
        output, _attrs(sampler, sweeps, thermalize, every), OBSERVABLES,
        (replicas, model.L, model.L) if store_configs else None)
    return _run_ising(sampler, sweeps, thermalize, every, writer, store_configs, progress, t0)


def _run_ising(sampler: IsingSampler, sweeps: int, thermalize: int, every: int,
               writer: RunWriter | None, store_configs: bool, progress: Progress | None,
               t0: float, previous: Mapping[str, np.ndarray] | None = None) -> IsingRun:
    """Sample (after ``previous``'s rows, float64 (n, R) each, when resuming) and summarise."""

    def row(index: int) -> tuple[np.ndarray | None, None, Callable[[], dict[str, Any]]]:
        # the state is the spins of this measurement: the configs row when stored (already
        # on the host), else a device copy taken to the host only if the file is closed
        spins = sampler.get_state() if store_configs else sampler.spins.copy()
        done = sampler.sweeps_done
        return (spins if store_configs else None), None, lambda: {
            "spins": sampler.backend.asnumpy(spins), "sweeps_done": done}

    done = 0 if previous is None else len(previous["e"])
    rows = _sample(sampler, sweeps, thermalize, every, writer, progress, row, done)
    observables = {k: _stack(previous, k, rows) for k in OBSERVABLES}
    return IsingRun(
        observables=observables,
        summary=summarize_ising(observables, sampler.model.n_sites, sampler.model.T),
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


@dataclass
class DimerRun:
    """Result of :func:`sample_dimer`.

    Attributes
    ----------
    observables : dict of str to numpy.ndarray
        float64, shape (n_measurements, R) each (see
        :meth:`~gpurg.models.dimer.DimerSampler.measure`), and (n_measurements, R, L/2 + 1)
        for "corr_long" and "corr_trans".
    summary : dict of str to Estimate
        Means with errors (:func:`gpurg.stats.summarize_dimer`), "worm_length" included.
    correlations : dict of str to (numpy.ndarray, numpy.ndarray)
        "corr_long", "corr_trans": mean and error of C(r), r = 0 .. L/2, float64 (L/2 + 1,).
    backend : Backend
    seconds : float
        Wall time of calibration, thermalization and sampling.
    output : Path or None
    final_state : numpy.ndarray
        int8 (R, L, L) site codes at the end.
    worms_per_sweep : int
    """

    observables: dict[str, np.ndarray]
    summary: dict[str, Estimate]
    correlations: dict[str, tuple[np.ndarray, np.ndarray]]
    backend: Backend
    seconds: float
    output: Path | None
    final_state: np.ndarray = field(repr=False)
    worms_per_sweep: int = 0

    @property
    def n_measurements(self) -> int:
        return len(self.observables["e"])


ENCODINGS = ("codes", "image")


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
) -> DimerRun:
    """Calibrate, thermalize, sample the dimer model and (optionally) write an HDF5 file.

    As :func:`sample_ising` for validation, interrupts and the file's layout (``configs``
    holds int8 site codes). With ``encoding="image"`` or a ``noise`` other than "none" the
    file also holds ``images``, uint8 (n_measurements, R, 2L, 2L): the RSMI image encoding
    of each measurement, its noise drawn from the seed and the measurement's index.

    Parameters
    ----------
    model : DimerModel
    replicas, start, rule, worms_per_sweep, seed, device
        As for :class:`~gpurg.models.dimer.DimerSampler`.
    sweeps, thermalize, every, output, store_configs, progress
        As for :func:`sample_ising`.
    encoding : {"codes", "image"}
    noise : {"none", "correlated", "independent"}
        Decoration of the image's vertex and face pixels (see
        :func:`gpurg.models.dimer_encodings.to_image`).
    """
    check_schedule(sweeps, thermalize, every)
    if encoding not in ENCODINGS:
        raise InputError(f"unknown encoding {encoding!r}; allowed: {', '.join(ENCODINGS)}")
    if noise not in NOISES:
        raise InputError(f"unknown noise {noise!r}; allowed: {', '.join(NOISES)}")
    if output is not None:
        check_output_path(output)
    t0 = time.perf_counter()
    sampler = DimerSampler(model, replicas=replicas, start=start, seed=seed, device=device,
                           rule=rule, worms_per_sweep=worms_per_sweep)
    L = model.L
    images = encoding == "image" or noise != "none"
    shapes = {**dict.fromkeys(dimer.OBSERVABLES, ()),
              **dict.fromkeys(dimer.CORRELATIONS, (L // 2 + 1,))}
    writer = None if output is None else RunWriter(
        output, {**_attrs(sampler, sweeps, thermalize, every), "noise": noise,
                 "encoding": encoding}, shapes,
        (replicas, L, L) if store_configs else None,
        {"images": (np.uint8, (replicas, 2 * L, 2 * L))} if images else None)
    return _run_dimer(sampler, sweeps, thermalize, every, writer, store_configs,
                      noise if images else None, progress, t0)


def _run_dimer(sampler: DimerSampler, sweeps: int, thermalize: int, every: int,
               writer: RunWriter | None, store_configs: bool, noise: str | None,
               progress: Progress | None, t0: float,
               previous: Mapping[str, np.ndarray] | None = None) -> DimerRun:
    """Sample (after ``previous``'s rows when resuming; images with ``noise`` unless None)
    and summarise."""
    backend = sampler.backend

    def row(index: int) -> tuple[np.ndarray | None, dict[str, np.ndarray] | None,
                                 Callable[[], dict[str, Any]]]:
        arrays = None
        if noise is not None:  # drawn by the measurement's index: the same after a resume
            image = to_image(sampler.codes, noise=noise, key=sampler.key, counter=index)
            arrays = {"images": backend.asnumpy(image)}
        codes = sampler.get_state() if store_configs else sampler.codes.copy()
        # the worm counters number the worms' random streams; the steps carry the worm
        # length statistics, and worms_per_sweep was calibrated on the thermalization
        worms, steps = backend.asnumpy(sampler.worms).copy(), backend.asnumpy(sampler.steps).copy()
        done, per_sweep = sampler.sweeps_done, sampler.worms_per_sweep
        return (codes if store_configs else None), arrays, lambda: {
            "codes": backend.asnumpy(codes), "worms": worms, "steps": steps,
            "sweeps_done": done, "worms_per_sweep": per_sweep}

    done = 0 if previous is None else len(previous["e"])
    rows = _sample(sampler, sweeps, thermalize, every, writer, progress, row, done)
    names = (*dimer.OBSERVABLES, *dimer.CORRELATIONS)
    observables = {k: _stack(previous, k, rows) for k in names}
    return DimerRun(
        observables=observables,
        summary=summarize_dimer(observables),
        correlations={k: summarize_profile(observables[k]) for k in dimer.CORRELATIONS},
        backend=backend,
        seconds=time.perf_counter() - t0,
        output=None if writer is None else writer.path,
        final_state=sampler.get_state(),
        worms_per_sweep=sampler.worms_per_sweep,
    )


Sampler = IsingSampler | DimerSampler
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
            if isinstance(sampler, DimerSampler) and thermalize:
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


def _attrs(sampler: Sampler, sweeps: int, thermalize: int, every: int) -> dict:
    m = sampler.model
    if isinstance(m, IsingModel):
        model = {"model": "ising", "L": m.L, "T": m.T, "J": m.J, "h": m.h,
                 "algorithm": sampler.algorithm}
    else:
        model = {"model": "dimer", "L": m.L, "T": m.T, "V": m.V, "rule": sampler.rule,
                 "worms_per_sweep": sampler.worms_per_sweep}
    return {
        **model,
        "replicas": sampler.replicas, "seed": np.uint64(sampler.seed),
        "sweeps": sweeps, "thermalize": thermalize, "every": every, "start": sampler.start,
        "backend": sampler.backend.name, "device": sampler.backend.device_name,
        "gpurg_version": gpurg.__version__,
    }


def resume_run(path: str | Path, *, device: str | Backend = "auto",
               expect: Mapping[str, Any] | None = None,
               progress: Progress | None = None) -> IsingRun | DimerRun:
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
        A run file written by :func:`sample_ising`, :func:`sample_dimer` or this function.
    device
        Where to continue; need not be where the run began.
    expect : mapping, optional
        Root attributes the run must have (e.g. ``{"model": "ising", "L": 32}``), and
        ``store_configs`` (bool) for whether it holds configurations; a mismatch is an
        InputError naming it. The CLI passes the options given beside ``--resume``.
    progress : callable, optional
        As for :func:`sample_ising`, counted from the start of the run.

    Returns
    -------
    IsingRun or DimerRun
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
    if attrs["model"] == "ising":
        sampler = IsingSampler(IsingModel(attrs["L"], attrs["T"], attrs["J"], attrs["h"]),
                               replicas=attrs["replicas"], algorithm=attrs["algorithm"],
                               start=attrs["start"], seed=attrs["seed"], device=device)
        sampler.set_state(arrays["spins"], state["sweeps_done"])
        writer = RunWriter.reopen(path)
        return _run_ising(sampler, sweeps, thermalize, every, writer, store_configs, progress,
                          t0, previous)
    # the calibrated worms per sweep comes from the state, so the sampler skips calibrating
    dimers = DimerSampler(DimerModel(attrs["L"], attrs["T"], attrs["V"]),
                          replicas=attrs["replicas"], start=attrs["start"], seed=attrs["seed"],
                          device=device, rule=attrs["rule"],
                          worms_per_sweep=state["worms_per_sweep"])
    dimers.set_state(arrays["codes"], state["sweeps_done"], worms=arrays["worms"],
                     steps=arrays["steps"])
    noise = attrs["noise"] if "images" in arrays else None
    writer = RunWriter.reopen(path)
    return _run_dimer(dimers, sweeps, thermalize, every, writer, store_configs, noise, progress,
                      t0, previous)


def run_to_resume(path: Path) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Check that ``path`` is an interrupted run that can be continued.

    Returns
    -------
    attrs : dict
        The file's root attributes.
    arrays : dict
        The saved state's arrays (``spins`` int8 (R, L, L); or ``codes`` int8 (R, L, L),
        ``worms`` uint32 (R,), ``steps`` uint64 (R,)), plus the names of the file's root
        datasets ("configs", "images") mapped to None.
    state : dict
        The saved state's attributes: ``n_measurements``, ``sweeps_done`` and, for dimers,
        ``worms_per_sweep``.
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
    if attrs.get("model") not in ("ising", "dimer") or "sweeps" not in attrs:
        raise InputError(f"{path}: not a sampling run of gpurg ising/dimer sample")
    if attrs.get("complete"):
        raise InputError(f"{path}: the run is complete ({attrs['n_measurements']} "
                         f"measurements); nothing to resume")
    saved = read_state(path)
    if saved is None or saved[1].get("n_measurements") != attrs["n_measurements"]:
        raise InputError(f"{path}: no saved sampler state after its last measurement (written "
                         f"before runs could be resumed?); it cannot be resumed")
    return attrs, {**datasets, **saved[0]}, saved[1]


def ising_configurations(L: int, T: float, *, replicas: int = 64, thermalize: int = 50,
                         samples: int = 10, every: int = 5, seed: int = 0,
                         device: str | Backend = "auto"):
    """Swendsen–Wang Ising configurations for learning and testing rules (J = 1, h = 0):
    ``samples`` snapshots of ``replicas`` chains, ``every`` sweeps apart after ``thermalize``.

    Returns int8 (samples * replicas, L, L) on the backend's device (snapshot-major).
    """
    sampler = IsingSampler(IsingModel(L, T), replicas=replicas, algorithm="swendsen-wang",
                           seed=seed, device=device)
    sampler.sweep(thermalize)
    snapshots = []
    for _ in range(samples):
        sampler.sweep(every)
        snapshots.append(sampler.spins.copy())
    return sampler.backend.xp.concatenate(snapshots)
