"""MI against the buffer: how fast the information a block keeps about its environment decays
with the buffer width L_B, and whether it decays as a power law (critical: Ising at T_c,
dimers at T = ∞) or exponentially (a finite correlation length: the Ising paramagnet).

The library function behind ``gpurg rsmi scan``::

    configs, attrs = load_configurations("dimers.h5")
    scan = scan_buffers(configs, attrs, block=8, env=4, buffers=(0, 1, 2, 4, 6, 8),
                        n_hidden=2, pairs=100_000, seed=1)
    print(scan.exponent, scan.exponent_err, scan.decay_length, scan.better)
    write_scan("scan.h5", scan)

Configurations of the simple cubic lattice (n, L, L, L) are scanned the same way one
dimension up: cubic blocks of side L_V, cubic buffer and environment shells
(:class:`gpurg.rsmi.geometry.Geometry` with ``dim`` = 3).

At each buffer a rule is learned afresh by :func:`gpurg.rsmi.training.train_rule` (its
defaults, plus what the caller passes) on (V, E) pairs drawn from the file's configurations
as ``gpurg rsmi train`` draws them (:func:`gpurg.rsmi.pairs.file_pairs`: the model's block
stride and symmetry); each buffer's pairs come from an independent seed, so that the points'
errors are independent, as the fits assume.

Fits (:func:`gpurg.stats.power_law_fit`, :func:`gpurg.stats.exponential_fit`, weighted on
log MI): a point whose MI is consistent with zero (MI < 2 σ) has no logarithm worth fitting
(the estimate can be 0 or negative, and near 0 its log is dominated by noise), so it is left
out of both fits and marked in ``used``; the power law also leaves out L_B = 0 (no place on
log L_B), the exponential keeps it. ``better`` names the law with the smaller χ²/dof when
both fits have a degree of freedom, else ``""`` (undetermined).

A scan file (HDF5, written atomically) holds the datasets ``buffer`` int64 (k,), ``mi``,
``mi_err`` float64 (k,) (nats), ``used`` bool (k,), ``filters`` float64 (k, n_h, L_V, L_V)
((k, n_h, L_V, L_V, L_V) on the simple cubic lattice, indexed [point, unit, z, y, x]),
``bias`` float64 (k, n_h), and root attributes ``exponent``, ``exponent_err``,
``exponent_chi2``, ``exponent_dof``, ``power_amplitude``, ``decay_length``,
``decay_length_err`` (in lattice units of the configurations: sites, or image pixels),
``decay_length_chi2``, ``decay_length_dof``, ``exponential_amplitude``, ``better``,
``block``, ``env``, ``n_hidden``, ``dim`` (2 or 3; files written before it existed are 2D),
``format`` = "gpurg-buffer-scan", and the caller's settings. Its picture:
:func:`gpurg.figures.buffer_scan_figure`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from gpurg.backend import array_module, get_backend
from gpurg.backend.philox import independent_seed
from gpurg.errors import InputError
from gpurg.io.hdf5 import atomic_output, open_results
from gpurg.parallel import Engine, run_tasks
from gpurg.rsmi.geometry import BUFFER, Geometry
from gpurg.rsmi.pairs import file_pairs
from gpurg.rsmi.rule import CoarseGrainingRule
from gpurg.rsmi.training import TrainResult, train_rule
from gpurg.stats import DecayFit, exponential_fit, power_law_fit
from gpurg.validation import SEED, Integer

__all__ = ["SCAN_FORMAT", "SIGNIFICANCE", "BufferScan", "block_label", "fit_decay",
           "read_scan", "scan_buffers", "write_scan"]

SCAN_FORMAT = "gpurg-buffer-scan"
SIGNIFICANCE = 2.0
"""A point enters the fits only if MI >= SIGNIFICANCE x its error (else it is consistent
with zero and its logarithm is noise)."""

Progress = Callable[[int, int, float], None]  # (epochs done, epochs of the scan, MI now)


@dataclass
class BufferScan:
    """I(H:E) against the buffer width, with power-law and exponential fits.

    Attributes
    ----------
    buffer : numpy.ndarray
        int64 (k,): L_B in lattice entries (sites, or pixels of dimer images), increasing.
    mi, mi_err : numpy.ndarray
        float64 (k,): held-out I(H:E) in nats and its standard error at each buffer.
    used : numpy.ndarray
        bool (k,): the points with MI >= :data:`SIGNIFICANCE` σ (the fits' points; the power
        law uses those with L_B >= 1 among them).
    power, exponential : DecayFit
        MI = A L_B^-υ and MI = A exp(-L_B / ξ) (:class:`gpurg.stats.DecayFit`).
    better : str
        "power" or "exponential" (smaller χ²/dof), "" when either fit lacks a dof.
    rules : list of CoarseGrainingRule
        The learned rule at each buffer (canonical labelling).
    block, env, n_hidden : int
        The geometry's L_V and L_E, and the hidden units.
    dim : int
        The lattice dimension: 2, or 3 (cubic blocks and shells of the simple cubic lattice).
    """

    buffer: np.ndarray
    mi: np.ndarray
    mi_err: np.ndarray
    used: np.ndarray
    power: DecayFit
    exponential: DecayFit
    better: str
    block: int
    env: int
    n_hidden: int
    rules: list[CoarseGrainingRule] = field(default_factory=list)
    dim: int = 2

    @property
    def exponent(self) -> float:
        """υ of MI ∝ L_B^-υ."""
        return self.power.value

    @property
    def exponent_err(self) -> float:
        """υ's one-sigma error."""
        return self.power.error

    @property
    def decay_length(self) -> float:
        """ξ of MI ∝ exp(-L_B / ξ), in lattice entries."""
        return self.exponential.value

    @property
    def decay_length_err(self) -> float:
        """ξ's one-sigma error."""
        return self.exponential.error


def block_label(scan: BufferScan) -> str:
    """The scan's block as text: "2" on the square lattice (the 2D titles as they were),
    "2x2x2" on the simple cubic one."""
    return str(scan.block) if scan.dim == 2 else "x".join([str(scan.block)] * scan.dim)


def fit_decay(buffer: np.ndarray, mi: np.ndarray, mi_err: np.ndarray
              ) -> tuple[np.ndarray, DecayFit, DecayFit, str]:
    """(used, power, exponential, better) for the points (L_B, MI ± err), float (k,): the
    fits of the module notes (points with MI < 2 σ left out; the power law without L_B = 0)."""
    b, y, e = (np.asarray(a, dtype=np.float64) for a in (buffer, mi, mi_err))
    used = np.isfinite(y) & (y > 0) & (y >= SIGNIFICANCE * e)
    positive = used & (b > 0)
    power = power_law_fit(b[positive], y[positive], e[positive])
    expo = exponential_fit(b[used], y[used], e[used])
    better = ""
    if power.dof > 0 and expo.dof > 0 and math.isfinite(power.chi2) and math.isfinite(expo.chi2):
        better = "power" if power.chi2_dof <= expo.chi2_dof else "exponential"
    return used, power, expo, better


def scan_buffers(configs: Any, attrs: Mapping[str, Any], *, block: int, env: int,
                 buffers: Sequence[int], n_hidden: int = 1, pairs: int = 200_000,
                 seed: int = 0, progress: Progress | None = None,
                 engine: Engine | None = None, **training: Any) -> BufferScan:
    """Learn a rule at each buffer width and fit the decay of its I(H:E).

    Parameters
    ----------
    configs : array
        (n, Ly, Lx) configurations, or (n, Lz, Ly, Lx) of the simple cubic lattice (the
        dimension of the geometry), NumPy or CuPy (the work runs where they live), as
        :func:`gpurg.rsmi.files.load_configurations` gives them.
    attrs : mapping
        The run file's root attributes (they say the model: the block stride, and whether
        the biases stay 0); ``{"model": "ising"}`` for Ising spins made in memory.
    block, env : int
        L_V and L_E (lattice entries: sites, or pixels for dimer images).
    buffers : sequence of int
        The L_B to scan, distinct, >= 0; every V+B+E square (cube) must fit the lattice.
    n_hidden : int
        Hidden units of each rule.
    pairs : int
        (V, E) pairs drawn at each buffer (independent draws: seed ``independent_seed(seed,
        L_B)``).
    seed : int
        Fixes the draws and the training at every buffer.
    progress : callable, optional
        In this process, ``progress(epochs done, epochs of the whole scan, MI of the
        epoch)``; on a cluster, ``progress(buffers done, buffers, MI of the buffer done)``.
    engine : Engine, optional
        Where the buffers' tasks run (:func:`gpurg.parallel.run_tasks`; None: in this
        process, one after another). Each buffer is a pure function of L_B and ``seed``
        (the seeds above), so the scan is the same on every engine; a worker gets the
        configurations on the host and moves them to the device they live on here.
    **training
        Passed to :func:`gpurg.rsmi.training.train_rule` (epochs, restarts, estimator, ...).

    Returns
    -------
    BufferScan
        Points in increasing L_B, with the fits.
    """
    # checked by hand, not by a @checked table: train_rule checks the rest, per buffer
    n_hidden, pairs, seed = (c.check(name, v) for c, name, v in (
        (Integer(1), "n_hidden", n_hidden), (Integer(1), "pairs", pairs), (SEED, "seed", seed)))
    values = sorted({BUFFER.check("buffer", b) for b in buffers})
    if not values or len(values) != len(list(buffers)):
        raise InputError(f"buffers must be distinct and non-empty, got {list(buffers)}")
    dim = getattr(configs, "ndim", 0) - 1  # Geometry refuses what is neither 2D nor 3D
    geometries = [Geometry(block, b, env, dim) for b in values]
    for g in geometries:  # all before any training
        g.check_fits(*configs.shape[1:])
    engine = Engine(workers=0) if engine is None else engine
    gpu = array_module(configs).__name__ == "cupy"
    host = configs if engine.in_process else (configs.get() if gpu else np.asarray(configs))
    points = []
    for i, g in enumerate(geometries):
        report = None
        if progress is not None and engine.in_process:  # per epoch: callbacks stay here
            def report(done: int, total: int, mi: float, i: int = i) -> None:
                progress(i * total + done, len(geometries) * total, mi)
        points.append((host, dict(attrs), g, n_hidden, pairs, independent_seed(seed, g.buffer),
                       seed, "gpu" if gpu else "numpy", training, report))
    done = 0

    def finished(_: int, result: TrainResult) -> None:
        nonlocal done
        done += 1
        if progress is not None and not engine.in_process:
            progress(done, len(points), result.mi)

    results: list[TrainResult] = run_tasks(engine, _buffer_point, points, on_result=finished,
                                           names=[f"scan-buffer{b}" for b in values])
    buffer = np.asarray(values, dtype=np.int64)
    mi = np.array([r.mi for r in results], dtype=np.float64)
    mi_err = np.array([r.mi_err for r in results], dtype=np.float64)
    used, power, expo, better = fit_decay(buffer, mi, mi_err)
    return BufferScan(buffer, mi, mi_err, used, power, expo, better, int(block), int(env),
                      int(n_hidden), [r.rule for r in results], dim)


def _buffer_point(point: tuple) -> TrainResult:
    """One task of :func:`scan_buffers`: the rule learned at one buffer width."""
    configs, attrs, geometry, n_hidden, pairs, pair_seed, seed, device, training, report = point
    xp = get_backend(device).xp
    V, E, symmetric = file_pairs(xp.asarray(configs), attrs, geometry, positions=pairs,
                                 seed=pair_seed)
    settings = {"symmetric": symmetric, **training}  # the caller's word wins
    return train_rule(V, E, n_hidden, seed=seed, progress=report, **settings)


def write_scan(path: str | Path, scan: BufferScan, attrs: Mapping[str, Any] | None = None
               ) -> Path:
    """Write a scan file (module notes) atomically; ``attrs``: settings to record beside
    the results. Returns the path."""
    with atomic_output(path) as tmp, h5py.File(tmp, "w") as f:
        f["buffer"] = scan.buffer
        f["mi"] = scan.mi
        f["mi_err"] = scan.mi_err
        f["used"] = scan.used
        if scan.rules:
            f["filters"] = np.stack([r.filters for r in scan.rules]).reshape(
                len(scan.rules), scan.n_hidden, *(scan.block,) * scan.dim)
            f["bias"] = np.stack([r.bias for r in scan.rules])
        f.attrs.update({
            **(attrs or {}), "format": SCAN_FORMAT, "format_version": 1,
            "block": scan.block, "env": scan.env, "n_hidden": scan.n_hidden, "dim": scan.dim,
            "exponent": scan.power.value, "exponent_err": scan.power.error,
            "exponent_chi2": scan.power.chi2, "exponent_dof": scan.power.dof,
            "power_amplitude": scan.power.amplitude,
            "decay_length": scan.exponential.value,
            "decay_length_err": scan.exponential.error,
            "decay_length_chi2": scan.exponential.chi2,
            "decay_length_dof": scan.exponential.dof,
            "exponential_amplitude": scan.exponential.amplitude, "better": scan.better,
        })
    return Path(path)


def read_scan(path: str | Path) -> BufferScan:
    """Read a scan file written by :func:`write_scan` (the fits as written); InputError if
    it is not one."""
    with open_results(path, SCAN_FORMAT, "buffer-scan") as (f, a):
        data = {k: f[k][()] for k in f}
    used = data["used"].astype(bool)
    power = DecayFit("power", float(a["power_amplitude"]), float(a["exponent"]),
                     float(a["exponent_err"]), float(a["exponent_chi2"]),
                     int(a["exponent_dof"]), int((used & (data["buffer"] > 0)).sum()))
    expo = DecayFit("exponential", float(a["exponential_amplitude"]),
                    float(a["decay_length"]), float(a["decay_length_err"]),
                    float(a["decay_length_chi2"]), int(a["decay_length_dof"]),
                    int(used.sum()))
    dim = int(a.get("dim", 2))  # files written before 3D scans are 2D
    rules = []
    if "filters" in data:
        n_h = data["filters"].shape[1]
        rules = [CoarseGrainingRule(w.reshape(n_h, -1), bias)
                 for w, bias in zip(data["filters"], data["bias"], strict=True)]
    return BufferScan(data["buffer"].astype(np.int64), data["mi"], data["mi_err"], used,
                      power, expo, str(a["better"]), int(a["block"]), int(a["env"]),
                      int(a["n_hidden"]), rules, dim)
