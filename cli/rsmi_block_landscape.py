"""``gpurg rsmi landscape`` without ``--chain``: the one-unit rules of 2x2 blocks of 2D Ising
(:mod:`gpurg.rg.block_landscape`), on the user's run file or on fresh samples at T_c."""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from gpurg.backend import get_backend
from gpurg.cli.common import LazyProgress, console, err_console
from gpurg.errors import InputError
from gpurg.models.ising_exact import T_C
from gpurg.rg.block_landscape import (
    BUFFERS,
    FIT_BLOCKS,
    BlockLandscape,
    block_landscape,
    write_block_landscape,
)
from gpurg.rsmi.files import load_spin_configurations
from gpurg.sampling import ising_configurations

MIN_SIZE = 8  # the coarse lattice must hold the fits' operators (span 2: L/2 >= 4)


def run_block_landscape(*, source: Path | None, coupling: float | None, buffer: int | None,
                        size: int, replicas: int, samples: int, grid: int, max_lambda: float,
                        fit_grid: int, positions: int, seed: int, device: str,
                        output: Path, figure: Path, figure_format: str) -> None:
    """The 2D mode of ``rsmi landscape`` (options checked by the command)."""
    if buffer is not None and buffer not in BUFFERS:
        allowed = " or ".join(map(str, BUFFERS))
        raise InputError(f"--buffer {buffer}: 2x2 Ising blocks allow {allowed} (the exact "
                         f"conditional enumerates block and buffer: at most 16 sites)")
    if coupling is not None and coupling <= 0:
        raise InputError(f"--coupling {coupling:g}: the 2D landscape needs a ferromagnet, K > 0")
    start = time.perf_counter()
    if source is not None:
        configs, attrs = load_spin_configurations(source, "the 2D landscape")
        # the exact conditional P(V|E) is that of the nearest-neighbour model in zero field
        model = attrs.get("model", "unknown")
        if model != "ising":
            raise InputError(f"{source}: the exact P(V|E) needs nearest-neighbour Ising "
                             f"configurations (model 'ising'), this file holds {model!r} ones")
        if float(attrs.get("h", 0.0)) != 0.0:
            raise InputError(f"{source}: field h = {float(attrs['h']):g}; the landscape's "
                             f"exact conditional is for h = 0")
        if coupling is None:
            T = float(attrs.get("T", math.nan))
            if not (math.isfinite(T) and T > 0):
                raise InputError(f"{source}: no temperature T in the file; pass -K (J/T of "
                                 f"its configurations)")
            coupling = float(attrs.get("J", 1.0)) / T
    else:
        if size < MIN_SIZE:
            raise InputError(f"--size {size}: the 2D landscape needs L >= {MIN_SIZE} (a 4 x 4 "
                             f"coarse lattice for the Hamiltonian fits)")
        if replicas * samples < FIT_BLOCKS:
            raise InputError(f"--replicas × --samples = {replicas * samples}: the Hamiltonian "
                             f"fits' jackknife needs at least {FIT_BLOCKS} configurations")
        coupling = 1.0 / T_C if coupling is None else coupling
        with console.status(f"[bold]sampling {replicas} x {samples} Ising configurations, "
                            f"L = {size}, T = {1 / coupling:.4f}…"):
            backend = get_backend(device)
            configs = backend.asnumpy(ising_configurations(
                size, 1.0 / coupling, replicas=replicas, samples=samples, seed=seed,
                device=backend))
    buffers = BUFFERS if buffer is None else (buffer,)
    columns = (TextColumn("[bold]coarse Hamiltonians"), BarColumn(),
               TextColumn("{task.completed}/{task.total} rules"), TimeElapsedColumn())
    with LazyProgress(*columns, console=err_console) as bar:
        task = bar.add_task("fits", total=None)
        land = block_landscape(configs, coupling, grid=grid, max_lambda=max_lambda,
                               fit_grid=fit_grid, buffers=buffers, positions=positions,
                               seed=seed, progress=lambda done, total: bar.update(
                                   task, completed=done, total=total))
    elapsed = time.perf_counter() - start
    settings = {"grid": grid, "max_lambda": max_lambda, "fit_grid": fit_grid,
                "seed": np.uint64(seed), "seconds": elapsed,
                "source": "" if source is None else str(Path(source).resolve())}
    write_block_landscape(output, land, settings)
    from gpurg.figures.optimal_rg import block_landscape_figure  # matplotlib only to draw

    block_landscape_figure(land, figure, format=figure_format)
    for table in block_tables(land):
        console.print(table)
    err_console.print(f"wrote {output} and {figure} ({elapsed:.1f} s)")


def _nearest(values: np.ndarray, x: float) -> int:
    return int(np.abs(values - x).argmin())


def _short(value: float, error: float, digits: int) -> str:
    """value(error) in the last digit's units, e.g. 0.4809(62); "—" for NaN."""
    if value == math.inf:  # ordered coarse spins: K' = ∞
        return "∞"
    if not math.isfinite(value):
        return "—"
    return f"{value:.{digits}f}({round(error * 10**digits)})"


RULES = (("decimation", 1.0, 0.0), ("block-spin", 1.0, 1.0), ("tie-break", 1.0, 0.75),
         ("3-spin", 0.0, 1.0), ("reversed", -1.0, 1.0))
"""The named rules of the plane, (λ1, λ2) in units of the grid's largest |λ|: decimation,
the block spin, majority whose ties the corner breaks, majority of the three other spins
(the corner ignored), the block spin with the corner reversed."""


def block_tables(land: BlockLandscape) -> tuple[Table, Table]:
    """The named rules (:data:`RULES`) at the grid's largest |λ|: I_Λ(H:E) and the share of
    I(V:E) kept at each buffer; the coarse Hamiltonian at the nearest fitted point (values
    as value(error) in the last digit)."""
    m = float(land.lambdas[-1])
    info = Table(title=f"2x2 Ising blocks, K = {land.K:.4f}, L = {land.L}: I(V:E) = "
                 + ", ".join(f"{v:.4f} nats (L_B = {b})" for b, v in
                             zip(land.buffers, land.mi_ve, strict=True)),
                 title_justify="left")
    ham = Table(title="coarse Hamiltonian (pseudo-likelihood, jackknife errors)",
                title_justify="left")
    for table, lam in ((info, "λ1, λ2"), (ham, "fitted λ1, λ2")):
        table.add_column("rule")
        table.add_column(lam, justify="right")
    for b in land.buffers:
        info.add_column(f"I(H:E) L_B={b}", justify="right")
        info.add_column("kept", justify="right")
    for name in ("K'_nn", "rangeness", "m-bodyness"):
        ham.add_column(name, justify="right")
    kept = land.info_kept()
    for name, a, b in RULES:
        i, j = _nearest(land.lambdas, a * m), _nearest(land.lambdas, b * m)
        cells = [name, f"{land.lambdas[i]:.3g}, {land.lambdas[j]:.3g}"]
        for k in range(len(land.buffers)):
            cells += [_short(land.mi[k, i, j], land.mi_err[k, i, j], 4),
                      f"{kept[k, i, j]:.3f}"]
        info.add_row(*cells)
        fi, fj = _nearest(land.fit_lambdas, a * m), _nearest(land.fit_lambdas, b * m)
        cells = [name, f"{land.fit_lambdas[fi]:.3g}, {land.fit_lambdas[fj]:.3g}"]
        for value, err in ((land.K2_1, land.K2_1_err), (land.rangeness, land.rangeness_err),
                           (land.mbodyness, land.mbodyness_err)):
            cells.append(_short(float(value[fi, fj]), float(err[fi, fj]), 3))
        ham.add_row(*cells)
    return info, ham
