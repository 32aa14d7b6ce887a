"""Filter ensembles: one rule learned from each of several training seeds, and how far they
spread (``gpurg rsmi train --seeds N``; issue 16, item 3).

Member k of an ensemble of seed ``s`` is exactly the rule ``gpurg rsmi train --seed s+k``
learns on the same file: its (V, E) pairs are drawn with seed s + k
(:func:`gpurg.rsmi.pairs.file_pairs`) and it is trained with seed s + k
(:func:`gpurg.rsmi.training.train_rule`), so the spread covers both the pairs drawn and the
training's own randomness, and any member can be reproduced alone. Each member is a task of
:func:`gpurg.parallel.run_tasks`, a pure function of its seed, so the ensemble is the same
wherever and in whatever order the tasks run.

The filters are compared in the canonical labelling of
:meth:`gpurg.rsmi.rule.CoarseGrainingRule.canonical` (every unit oriented to positive total
weight, the units ordered), which removes the sign and order symmetry under which P(H|V)
and the MI are unchanged: ``distance[k]`` is the Euclidean norm of member k's canonical
filters and biases minus the ensemble's mean, ``spread`` their root mean square relative to
the mean filter's norm.

    ensemble = train_ensemble(configs, attrs, Geometry(2, 0, 2), seeds=8, seed=1)
    print(ensemble.mi_mean, ensemble.mi_std, ensemble.spread)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gpurg.backend import Backend, array_module, get_backend
from gpurg.errors import InputError
from gpurg.parallel import Engine, run_tasks
from gpurg.rsmi.geometry import Geometry
from gpurg.rsmi.pairs import file_pairs
from gpurg.rsmi.rule import MAX_HIDDEN
from gpurg.rsmi.training import TrainResult, train_rule
from gpurg.validation import SEED, Integer, checked

__all__ = ["ENSEMBLE", "FilterEnsemble", "train_ensemble", "write_ensemble"]

ENSEMBLE = Integer(1, 100_000)
"""Training seeds of a filter ensemble."""


@dataclass
class FilterEnsemble:
    """The rules learned from ``len(seeds)`` training seeds.

    Attributes
    ----------
    seeds : numpy.ndarray
        uint64 (N,): member k's seed, ``seed + k``.
    results : list of TrainResult
        Each member's training result (rule in the canonical labelling).
    """

    seeds: np.ndarray
    results: list[TrainResult]

    @property
    def mi(self) -> np.ndarray:
        """float64 (N,): each member's held-out I(H:E), nats."""
        return np.array([r.mi for r in self.results], dtype=np.float64)

    @property
    def mi_err(self) -> np.ndarray:
        """float64 (N,): each member's MI error, nats."""
        return np.array([r.mi_err for r in self.results], dtype=np.float64)

    @property
    def mi_mean(self) -> float:
        return float(self.mi.mean())

    @property
    def mi_std(self) -> float:
        """Standard deviation of the members' MI (ddof 1; 0 for one member)."""
        return float(self.mi.std(ddof=1)) if len(self.results) > 1 else 0.0

    @property
    def filters(self) -> np.ndarray:
        """float64 (N, n_h, n_v): the members' canonical filters."""
        return np.stack([r.rule.canonical().filters for r in self.results])

    @property
    def bias(self) -> np.ndarray:
        """float64 (N, n_h): the members' canonical biases."""
        return np.stack([r.rule.canonical().bias for r in self.results])

    @property
    def mean_filters(self) -> np.ndarray:
        """float64 (n_h, n_v): the mean canonical filter."""
        return self.filters.mean(axis=0)

    @property
    def distance(self) -> np.ndarray:
        """float64 (N,): |(λ_k, b_k) - mean| of each member's canonical filters and biases."""
        w = np.concatenate([self.filters, self.bias[..., None]], axis=2)
        return np.sqrt(((w - w.mean(axis=0)) ** 2).sum(axis=(1, 2)))

    @property
    def spread(self) -> float:
        """Root mean square of :attr:`distance` over the norm of the mean filter and bias."""
        w = np.concatenate([self.filters, self.bias[..., None]], axis=2).mean(axis=0)
        norm = float(np.sqrt((w**2).sum()))
        rms = float(np.sqrt((self.distance**2).mean()))
        return rms / norm if norm > 0 else float("inf") if rms > 0 else 0.0

    @property
    def best(self) -> int:
        """The member with the highest held-out MI (the first on a tie)."""
        return int(np.argmax(self.mi))


@checked(seeds=ENSEMBLE, n_hidden=Integer(1, MAX_HIDDEN), pairs=Integer(1), seed=SEED)
def train_ensemble(configs: Any, attrs: Mapping[str, Any], geometry: Geometry, *,
                   seeds: int, n_hidden: int = 1, pairs: int = 200_000, seed: int = 0,
                   device: str | Backend | None = None, engine: Engine | None = None,
                   progress: Callable[[int, int], None] | None = None,
                   **training: Any) -> FilterEnsemble:
    """Learn one rule per seed ``seed, seed + 1, ..., seed + seeds - 1`` (module notes).

    ``configs`` (n, Ly, Lx) (or (n, Lz, Ly, Lx) for a 3D geometry), NumPy or CuPy, with the
    run file's ``attrs``
    (:func:`gpurg.rsmi.files.load_configurations`); ``device`` where the members train
    (None: where ``configs`` live), resolved by each worker; ``engine`` runs the members
    (None: in this process, one after another); ``progress(done, total)`` after each member;
    ``training``: passed to :func:`gpurg.rsmi.training.train_rule` (epochs, restarts, ...).
    """
    if seed + seeds - 1 > SEED.high:
        raise InputError(f"seed + seeds - 1 must be < 2^64, got {seed} + {seeds} - 1")
    geometry.check_fits(*configs.shape[1:])
    if device is None:
        device = "gpu" if array_module(configs).__name__ == "cupy" else "numpy"
    name = get_backend(device).name  # refused here, before any task
    host = configs.get() if hasattr(configs, "get") else np.asarray(configs)
    points = [(host, dict(attrs), geometry, n_hidden, pairs, seed + k, name, training)
              for k in range(seeds)]
    results = run_tasks(Engine(workers=0) if engine is None else engine, _member, points,
                        progress=progress, names=[f"rsmi-seed{seed + k}" for k in range(seeds)])
    return FilterEnsemble(np.arange(seeds, dtype=np.uint64) + np.uint64(seed), results)


def _member(point: tuple) -> TrainResult:
    """One task of :func:`train_ensemble`: the rule learned with one seed."""
    configs, attrs, geometry, n_hidden, pairs, seed, device, training = point
    xp = get_backend(device).xp
    V, E, symmetric = file_pairs(xp.asarray(configs), attrs, geometry, positions=pairs,
                                 seed=seed)
    return train_rule(V, E, n_hidden, seed=seed, **{"symmetric": symmetric, **training})


def write_ensemble(path: str | Path, ensemble: FilterEnsemble) -> Path:
    """Add the group ``ensemble`` to the filter file at ``path`` (rewritten atomically):
    datasets ``seeds`` uint64 (N,), ``mi``, ``mi_err``, ``distance`` float64 (N,),
    ``filters`` float64 (N, n_h, n_v) and ``bias`` (N, n_h) (canonical labelling),
    ``mean_filters`` (n_h, n_v); attributes ``mi_mean``, ``mi_std``, ``spread``, ``best``
    (the member whose rule the file holds)."""
    import shutil

    import h5py

    from gpurg.io.hdf5 import atomic_output

    with atomic_output(path) as tmp:
        shutil.copyfile(path, tmp)
        with h5py.File(tmp, "a") as f:
            group = f.create_group("ensemble")
            for name in ("seeds", "mi", "mi_err", "distance", "filters", "bias",
                         "mean_filters"):
                group[name] = getattr(ensemble, name)
            group.attrs.update({"mi_mean": ensemble.mi_mean, "mi_std": ensemble.mi_std,
                                "spread": ensemble.spread, "best": ensemble.best})
    return Path(path)
