"""Sampling runs: a sampler, a measurement schedule, an HDF5 file and error bars, in one call.

This is the library function behind ``gpurg ising sample``; it is just as usable from a
notebook::

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
from gpurg.io.hdf5 import RunWriter, check_output_path
from gpurg.models.ising import OBSERVABLES, IsingModel, IsingSampler, check_schedule
from gpurg.stats import Estimate, summarize_ising

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
    total = thermalize + (sweeps // every) * every
    rows: list[dict[str, np.ndarray]] = []
    t0 = time.perf_counter()
    # RunWriter's exit keeps finished measurements on Ctrl-C and removes the file otherwise
    with (RunWriter(output, _attrs(sampler, sweeps, thermalize, every), OBSERVABLES,
                    (replicas, model.L, model.L) if store_configs else None)
          if output is not None else contextlib.nullcontext()) as writer:
        _thermalize(sampler, thermalize, progress, total)
        for obs in sampler.run(sweeps, every=every):
            rows.append(obs)
            if writer is not None:
                writer.append(obs, sampler.get_state() if store_configs else None)
            if progress is not None:
                progress(sampler.sweeps_done, total)
    observables = {k: np.array([r[k] for r in rows]) for k in OBSERVABLES}
    return IsingRun(
        observables=observables,
        summary=summarize_ising(observables, model.n_sites, model.T),
        backend=sampler.backend,
        seconds=time.perf_counter() - t0,
        output=None if output is None else Path(output),
        final_state=sampler.get_state(),
    )


def _thermalize(sampler: IsingSampler, n: int, progress: Progress | None, total: int) -> None:
    block = max(1, n // 100)  # report progress about a hundred times
    while sampler.sweeps_done < n:
        sampler.sweep(min(block, n - sampler.sweeps_done))
        if progress is not None:
            progress(sampler.sweeps_done, total)


def _attrs(sampler: IsingSampler, sweeps: int, thermalize: int, every: int) -> dict:
    m = sampler.model
    return {
        "model": "ising", "L": m.L, "T": m.T, "J": m.J, "h": m.h,
        "replicas": sampler.replicas, "algorithm": sampler.algorithm,
        "seed": np.uint64(sampler.seed),
        "sweeps": sweeps, "thermalize": thermalize, "every": every, "start": sampler.start,
        "backend": sampler.backend.name, "device": sampler.backend.device_name,
        "gpurg_version": gpurg.__version__,
    }
