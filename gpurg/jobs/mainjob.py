"""The main job: critical exponents of the Ising model, on the square lattice or the simple
cubic one, from a learned RSMI rule and from the majority rule, in one call (``gpurg run
ising [--dim 3]``).

Sample at T_c (Swendsen–Wang), learn the one-unit RSMI filter on 2^d blocks, run Monte Carlo
RG with the RSMI rule and with majority rule (b = 2), and report ν and y_h with jackknife
errors beside the reference values: exact in 2D (ν = 1, y_h = 15/8; Onsager 1944), the
conformal bootstrap's in 3D (ν = 0.629971(4), y_h = 2.481851(1); Kos, Poland, Simmons-Duffin &
Vichi 2016, Simmons-Duffin 2017)::

    result = run_ising(L=64, device="auto", seed=0)
    print(result.exponents["majority"])
    result3 = run_ising(dim=3, seed=0)  # L = 32, MCRG level 3
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
from gpurg.backend.philox import independent_seed
from gpurg.errors import InputError
from gpurg.io.hdf5 import atomic_output, check_output_path
from gpurg.models.ising_lattices import DIMENSION, IsingLattice, ising_lattice
from gpurg.rg.maps import MajorityRule, RsmiRule
from gpurg.rg.mcrg import LevelSums, MCRGResult, level_sums, max_levels, mcrg_exponents
from gpurg.rsmi.geometry import Geometry, extract_pairs
from gpurg.rsmi.training import TrainResult, train_rule
from gpurg.sampling import ising_batches
from gpurg.validation import SEED, Integer, checked

EXACT = ising_lattice(2).reference  # ν = 1, y_h = 15/8, beside which the 2D job reports
Stage = Callable[[str], None]  # called with the name of each stage as it starts


@dataclass(frozen=True)
class Setting:
    """What the main job does in one dimension: its lattice (where it samples, T_c, and the
    exponents it reports beside its own) and its defaults.

    Attributes
    ----------
    lattice : IsingLattice
        The model of the dimension (:mod:`gpurg.models.ising_lattices`).
    size : int
        The default L.
    level : int
        The default MCRG level reported.
    samples : int
        The default snapshots per chain.
    geometry : Geometry
        The RSMI geometry of the learned filter (block 2: the b = 2 rule).
    """

    lattice: IsingLattice
    size: int
    level: int
    samples: int
    geometry: Geometry

    @property
    def dim(self) -> int:
        return self.lattice.dim


SETTINGS = {
    # 2D: 64 x 128 configurations put the error of ν near 1%, so that the 5% the job promises
    # is at least 4 standard errors on every seed (32 left it at 2-2.5)
    2: Setting(ising_lattice(2), 64, 2, 128, Geometry(2, 2, 2)),
    # 3D: level 3 (32 -> 4) because MCRG with b = 2 approaches the fixed point slowly in 3D
    # (the leading irrelevant exponent is only -0.83): on L = 32, ν is 10% high at level 1,
    # 4% at level 2 and 2% at level 3 (benchmarks/RESULTS.md)
    3: Setting(ising_lattice(3), 32, 3, 64, Geometry(2, 2, 2, dim=3)),
}
DEFAULT_SAMPLES = SETTINGS[2].samples

# the rules of the job's parameters, shared with ``gpurg run ising``
SIZE = Integer(16, multiple=16, optional=True)
"""The lattice side L (two RG steps of b = 2 and the filter's geometry fit it); None: the
dimension's default."""
SAMPLES = Integer(2, optional=True)
"""Snapshots per chain; None: the dimension's default."""
REPLICAS = Integer(8)
"""Chains: at least 8, the jackknife's independent blocks."""
PAIRS = Integer(1)
"""(V, E) pairs the filter learns from."""
BATCHES = Integer(1)
"""Batches the snapshots are sampled and coarse-grained in (at most the snapshots per
chain)."""
LEVEL = Integer(1, optional=True)
"""The MCRG level reported (at most what L allows, checked by MCRG); None: the dimension's
default."""


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
    dim: int = 2

    @property
    def setting(self) -> Setting:
        return SETTINGS[self.dim]


def stage_timer(backend: Backend, seconds: dict[str, float], stage: Stage | None
                ) -> Callable[[str, Callable[[], Any]], Any]:
    """``timed(name, work, detail="")``: announce the stage (``stage(name + detail)``), run
    ``work()``, wait for the device, add the wall time to ``seconds[name]`` (a stage done in
    batches sums them) and return the result; the stages of every main job."""

    def timed(name: str, work: Callable[[], Any], detail: str = "") -> Any:
        if stage is not None:
            stage(name + detail)
        t0 = time.perf_counter()
        out = work()
        backend.synchronize()
        seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - t0
        return out

    return timed


@checked(dim=DIMENSION, L=SIZE, samples=SAMPLES, replicas=REPLICAS, pairs=PAIRS,
         epochs=Integer(1), level=LEVEL, first_level=Integer(1), batches=BATCHES, seed=SEED)
def run_ising(*, dim: int = 2, L: int | None = None, samples: int | None = None,
              replicas: int = 64, pairs: int = 100_000, epochs: int = 20,
              level: int | None = None, first_level: int = 1, batches: int = 1, seed: int = 0,
              device: str | Backend = "auto", stage: Stage | None = None) -> JobResult:
    """Run the main job in ``dim`` dimensions; ``samples`` snapshots of ``replicas``
    Swendsen–Wang chains at T_c (5 sweeps apart) make the data, and MCRG reports the exponents
    at ``level``. L, samples and level default to the dimension's :data:`SETTINGS` (2D: L =
    64, 128 samples, level 2; 3D: L = 32, 64 samples, level 3). The learned filter acts
    through its most probable H (:class:`RsmiRule`'s default mode).

    For more configurations than memory holds, ``batches`` > 1 samples the snapshots in that
    many batches, the chains going on from one to the next, and keeps only each batch's
    operator sums (:class:`gpurg.rg.mcrg.LevelSums`); the filter learns from the first batch,
    and the maps' coins of batch i > 0 come from ``independent_seed(seed, i)`` (batch 0 uses
    ``seed``, so one batch is the plain job). MCRG computes levels ``first_level`` (<=
    ``level``) and up; the levels below it cost the most (each is 2^d times the next)."""
    setting = SETTINGS[dim]
    L = setting.size if L is None else L
    samples = setting.samples if samples is None else samples
    level = setting.level if level is None else level
    top = max_levels(L, 2, 4)  # MCRG's levels: down to a lattice of 4 (see mcrg)
    if level > top:  # before any work: the run would end in this error
        raise InputError(f"level must be in 1..{top} for L = {L} (b = 2, down to L = 4), got "
                         f"{level}")
    if first_level > level:
        raise InputError(f"first level must be in 1..{level} (the level reported), got "
                         f"{first_level}")
    if batches > samples:
        raise InputError(f"batches must be in 1..{samples} (the snapshots per chain), got "
                         f"{batches}")
    backend = get_backend(device)
    seconds: dict[str, float] = {}
    timed = stage_timer(backend, seconds, stage)
    per_batch = -(-samples // batches)
    n_batches = -(-samples // per_batch)
    data = ising_batches(L, setting.lattice.T_c, dim=dim, replicas=replicas, thermalize=100,
                         samples=samples, batch=per_batch, every=5, seed=seed, device=backend)

    def batch(i: int) -> str:
        return f" (batch {i + 1} of {n_batches})" if n_batches > 1 else ""

    configs = timed("sampling", lambda: next(data), batch(0))
    learned = timed("learning", lambda: train_rule(
        *extract_pairs(configs, setting.geometry, positions=pairs, seed=seed), 1,
        symmetric=True, epochs=epochs, restarts=1, seed=seed))
    maps = {"rsmi": RsmiRule(learned.rule, 2, dim=dim), "majority": MajorityRule(2)}
    sums: dict[str, list[LevelSums]] = {name: [] for name in maps}
    for i in range(n_batches):
        if i:
            configs = timed("sampling", lambda: next(data), batch(i))
        coins = seed if i == 0 else independent_seed(seed, i)
        for name, rg_map in maps.items():
            sums[name].append(timed("mcrg", lambda c=configs, m=rg_map, s=coins: level_sums(
                c, m, first=first_level, seed=s), batch(i)))
    # snapshot-major data: the replica is the independent unit of the jackknife
    blocks = np.tile(np.arange(replicas), samples)
    results = timed("mcrg", lambda: {name: mcrg_exponents(LevelSums.concatenate(parts), blocks)
                                      for name, parts in sums.items()})
    exponents = {}
    for name, result in results.items():
        nu, nu_err = result.nu(level)
        yh, yh_err = result.exponent("h", level)
        operators = int(np.count_nonzero(~np.isnan(result.y_t[level - 1])))
        exponents[name] = Exponents(nu, nu_err, yh, yh_err, level, operators)
    return JobResult(L, samples * replicas, learned, exponents, results, seconds, backend, dim)


def write_job(path: str | Path, result: JobResult, *,
              figure_format: str = "png") -> tuple[Path, Path]:
    """``run.h5`` (group ``exponents/<rule>`` with ``nu``, ``nu_err``, ``yh``, ``yh_err``,
    ``levels``, ``operators``; the filter (1, 2, 2) or (1, 2, 2, 2) and its MI) and its
    figure beside it, same stem (:func:`report_figure`; ``figure_format`` png, svg or pdf).
    Returns both paths."""
    from gpurg.figures import figure_path  # matplotlib loads when a figure is drawn

    check_output_path(path)
    figure = figure_path(path, figure_format)
    setting = result.setting
    with atomic_output(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs.update({"job": "ising", "dim": result.dim, "L": result.L,
                        "T": setting.lattice.T_c,
                        "samples": result.n_samples, "backend": result.backend.name,
                        "device": result.backend.device_name,
                        **{f"seconds_{k}": v for k, v in result.seconds.items()}})
        g = setting.geometry
        f["filter"] = result.filter.rule.filters.reshape(1, *(g.block,) * result.dim)
        f["filter"].attrs.update({"mi": result.filter.mi, "mi_err": result.filter.mi_err,
                                  "block": g.block, "buffer": g.buffer, "env": g.env})
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
    """The job's figure: the learned filter (heat map, colour bar, its I(H:E); in 3D its
    z-slices side by side), then ν and y_h against the MCRG level for each rule with jackknife
    error bars and the reference values (:func:`gpurg.figures.exponents_figure`). Format by
    the suffix of ``path`` or ``format``; returns the path written."""
    from gpurg.figures import exponents_figure

    f, s = result.filter, result.setting
    b, lattice = s.geometry.block, s.lattice
    return exponents_figure(result.mcrg, path, format=format,
                            filters=f.rule.filters.reshape(f.rule.n_hidden, *(b,) * s.dim),
                            mi=f.mi, mi_err=f.mi_err, exact=lattice.reference,
                            reference=f"{lattice.reference_name}, {lattice.title}",
                            title=f"{lattice.title} at T_c, L = {result.L}, {result.n_samples} "
                            f"samples: RSMI rule and majority rule (b = 2)")
