"""The main job: critical exponents of the 2D Ising model from a learned RSMI rule and from the
majority rule, in one call (``gpurg run ising``).

Sample at T_c (Swendsen–Wang), learn the one-unit 2x2 RSMI filter, run Monte Carlo RG with the
RSMI rule and with majority rule (b = 2), and report ν and y_h with jackknife errors beside the
exact ν = 1 and y_h = 15/8::

    result = run_ising(L=64, device="auto", seed=0)
    print(result.exponents["majority"])
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from gpurg.backend import Backend, get_backend
from gpurg.io.hdf5 import atomic_output, check_output_path
from gpurg.models.ising_exact import EXPONENTS, T_C
from gpurg.rg.maps import MajorityRule, RsmiRule
from gpurg.rg.mcrg import MCRGResult, mcrg
from gpurg.rsmi.geometry import Geometry, extract_pairs
from gpurg.rsmi.training import TrainResult, train_rule
from gpurg.sampling import ising_configurations
from gpurg.validation import SEED, Integer, checked

EXACT = EXPONENTS  # ν = 1, y_h = 15/8, beside which the job reports
GEOMETRY = Geometry(2, 2, 2)  # block 2, buffer 2, environment 2: the RSMI setting of the job
# Snapshots per chain: 64 x 128 configurations put the error of ν near 1%, so that the 5% the
# job promises is at least 4 standard errors on every seed (32 left it at 2-2.5).
DEFAULT_SAMPLES = 128
Stage = Callable[[str], None]  # called with the name of each stage as it starts

# the rules of the job's parameters, shared with ``gpurg run ising``
SIZE = Integer(16, multiple=16)
"""The lattice side L (two RG steps of b = 2 and the 2x2 filter's geometry fit it)."""
SAMPLES = Integer(2)
"""Snapshots per chain."""
REPLICAS = Integer(8)
"""Chains: at least 8, the jackknife's independent blocks."""
LEVEL = Integer(1)
"""The MCRG level reported (at most what L allows, checked by MCRG)."""


@dataclass(frozen=True)
class Exponents:
    """ν and y_h of one rule at one MCRG level, with jackknife errors."""

    nu: float
    nu_err: float
    yh: float
    yh_err: float
    level: int
    operators: int


@dataclass
class JobResult:
    """What :func:`run_ising` found, and where the time went (seconds per stage)."""

    L: int
    n_samples: int
    filter: TrainResult
    exponents: dict[str, Exponents]
    mcrg: dict[str, MCRGResult] = field(repr=False)
    seconds: dict[str, float]
    backend: Backend


def stage_timer(backend: Backend, seconds: dict[str, float], stage: Stage | None
                ) -> Callable[[str, Callable[[], Any]], Any]:
    """``timed(name, work)``: announce the stage ``name`` (``stage(name)``), run ``work()``,
    wait for the device, record the wall time in ``seconds[name]`` and return the result;
    the stages of every main job."""

    def timed(name: str, work: Callable[[], Any]) -> Any:
        if stage is not None:
            stage(name)
        t0 = time.perf_counter()
        out = work()
        backend.synchronize()
        seconds[name] = time.perf_counter() - t0
        return out

    return timed


@checked(L=SIZE, samples=SAMPLES, replicas=REPLICAS, pairs=Integer(1), epochs=Integer(1),
         level=LEVEL, seed=SEED)
def run_ising(*, L: int = 64, samples: int = DEFAULT_SAMPLES, replicas: int = 64,
              pairs: int = 100_000, epochs: int = 20, level: int = 2, seed: int = 0,
              device: str | Backend = "auto", stage: Stage | None = None) -> JobResult:
    """Run the main job; ``samples`` snapshots of ``replicas`` Swendsen–Wang chains at T_c
    (5 sweeps apart) make the data, and MCRG reports the exponents at ``level``. The learned
    filter acts through its most probable H (:class:`RsmiRule`'s default mode)."""
    backend = get_backend(device)
    seconds: dict[str, float] = {}
    timed = stage_timer(backend, seconds, stage)
    configs = timed("sampling", lambda: ising_configurations(
        L, T_C, replicas=replicas, thermalize=100, samples=samples, every=5, seed=seed,
        device=backend))
    learned = timed("learning", lambda: train_rule(
        *extract_pairs(configs, GEOMETRY, positions=pairs, seed=seed), 1, symmetric=True,
        epochs=epochs, restarts=1, seed=seed))
    # snapshot-major data: the replica is the independent unit of the jackknife
    blocks = np.tile(np.arange(replicas), samples)
    maps = {"rsmi": RsmiRule(learned.rule, 2), "majority": MajorityRule(2)}
    results = timed("mcrg", lambda: {name: mcrg(configs, rg_map, seed=seed, blocks=blocks)
                                      for name, rg_map in maps.items()})
    exponents = {}
    for name, result in results.items():
        nu, nu_err = result.nu(level)
        yh, yh_err = result.exponent("h", level)
        operators = int(np.count_nonzero(~np.isnan(result.y_t[level - 1])))
        exponents[name] = Exponents(nu, nu_err, yh, yh_err, level, operators)
    return JobResult(L, samples * replicas, learned, exponents, results, seconds, backend)


def write_job(path: str | Path, result: JobResult, *,
              figure_format: str = "png") -> tuple[Path, Path]:
    """``run.h5`` (group ``exponents/<rule>`` with ``nu``, ``nu_err``, ``yh``, ``yh_err``,
    ``levels``, ``operators``; the filter and its MI) and its figure beside it, same stem
    (:func:`report_figure`; ``figure_format`` png, svg or pdf). Returns both paths."""
    from gpurg.figures import figure_path  # matplotlib loads when a figure is drawn

    check_output_path(path)
    figure = figure_path(path, figure_format)
    with atomic_output(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs.update({"job": "ising", "L": result.L, "T": T_C, "samples": result.n_samples,
                        "backend": result.backend.name, "device": result.backend.device_name,
                        **{f"seconds_{k}": v for k, v in result.seconds.items()}})
        f["filter"] = result.filter.rule.filters.reshape(1, 2, 2)
        f["filter"].attrs.update({"mi": result.filter.mi, "mi_err": result.filter.mi_err,
                                  "block": 2, "buffer": GEOMETRY.buffer, "env": GEOMETRY.env})
        for name, e in result.exponents.items():
            group = f.create_group(f"exponents/{name}")
            group.attrs.update({"nu": e.nu, "nu_err": e.nu_err, "yh": e.yh,
                                "yh_err": e.yh_err, "levels": e.level,
                                "operators": e.operators})
            group["y_t"] = result.mcrg[name].y_t
            group["y_t_err"] = result.mcrg[name].y_t_err
            group["y_h"] = result.mcrg[name].y_h
            group["y_h_err"] = result.mcrg[name].y_h_err
    report_figure(result, figure)
    return Path(path), figure


def report_figure(result: JobResult, path: str | Path, *, format: str | None = None) -> Path:
    """The job's figure: the learned filter (heat map, colour bar, its I(H:E)), then ν and
    y_h against the MCRG level for each rule with jackknife error bars and the exact values
    (:func:`gpurg.figures.exponents_figure`). Format by the suffix of ``path`` or
    ``format``; returns the path written."""
    from gpurg.figures import exponents_figure

    f = result.filter
    return exponents_figure(result.mcrg, path, format=format,
                            filters=f.rule.filters.reshape(f.rule.n_hidden, 2, 2),
                            mi=f.mi, mi_err=f.mi_err,
                            title=f"2D Ising at T_c, L = {result.L}, {result.n_samples} "
                            f"samples: RSMI rule and majority rule (b = 2)")
