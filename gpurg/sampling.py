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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import gpurg
from gpurg.backend import Backend
from gpurg.errors import InputError
from gpurg.io.hdf5 import RunWriter, check_output_path
from gpurg.models import dimer
from gpurg.models.dimer import DimerModel, DimerSampler
from gpurg.models.dimer_encodings import NOISES, to_image
from gpurg.models.ising import OBSERVABLES, IsingModel, IsingSampler, check_schedule
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
    interrupt propagates; if none was completed, no file is left.

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
    rows = _sample(sampler, sweeps, thermalize, every, writer, progress,
                   lambda _: (sampler.get_state() if store_configs else None, None))
    observables = {k: np.array([r[k] for r in rows]) for k in OBSERVABLES}
    return IsingRun(
        observables=observables,
        summary=summarize_ising(observables, model.n_sites, model.T),
        backend=sampler.backend,
        seconds=time.perf_counter() - t0,
        output=None if output is None else Path(output),
        final_state=sampler.get_state(),
    )


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

    def row(index: int) -> tuple[np.ndarray | None, dict[str, np.ndarray] | None]:
        arrays = None
        if images:
            image = to_image(sampler.codes, noise=noise, key=sampler.key, counter=index)
            arrays = {"images": sampler.backend.asnumpy(image)}
        return (sampler.get_state() if store_configs else None), arrays

    rows = _sample(sampler, sweeps, thermalize, every, writer, progress, row)
    observables = {k: np.array([r[k] for r in rows]) for k in shapes}
    return DimerRun(
        observables=observables,
        summary=summarize_dimer(observables),
        correlations={k: summarize_profile(observables[k]) for k in dimer.CORRELATIONS},
        backend=sampler.backend,
        seconds=time.perf_counter() - t0,
        output=None if output is None else Path(output),
        final_state=sampler.get_state(),
        worms_per_sweep=sampler.worms_per_sweep,
    )


Sampler = IsingSampler | DimerSampler
RowData = Callable[[int], tuple[np.ndarray | None, dict[str, np.ndarray] | None]]


def _sample(sampler: Sampler, sweeps: int, thermalize: int, every: int,
            writer: RunWriter | None, progress: Progress | None,
            row: RowData) -> list[dict[str, np.ndarray]]:
    """Thermalize, then measure; each measurement goes to ``writer`` with the configurations
    and arrays ``row(index)`` returns. RunWriter's exit keeps finished measurements on Ctrl-C
    and removes the file otherwise."""
    total = thermalize + (sweeps // every) * every
    rows: list[dict[str, np.ndarray]] = []
    with writer if writer is not None else contextlib.nullcontext():
        _thermalize(sampler, thermalize, progress, total)
        if isinstance(sampler, DimerSampler) and thermalize:
            sampler.end_thermalization()
        for obs in sampler.run(sweeps, every=every):
            if writer is not None:
                configs, arrays = row(len(rows))
                writer.append(obs, configs, arrays)
            rows.append(obs)
            if progress is not None:
                progress(sampler.sweeps_done, total)
    return rows


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
