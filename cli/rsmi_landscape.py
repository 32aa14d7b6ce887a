"""``gpurg rsmi landscape``: the RSMI landscape over the filters of one hidden unit.
``--chain``: the 1D Ising chain's (λ1, λ2) plane (information kept, coarse couplings,
rangeness, m-bodyness; exact), with a training run's path through it and that of gradient
ascent on the exact I_Λ(H:E); without it, 2x2 blocks of 2D Ising
(:mod:`gpurg.cli.rsmi_block_landscape`). Registered on the ``rsmi`` group by cli/rsmi.py."""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import typer
from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from gpurg.cli.common import (
    DeviceOption,
    FigureFormatOption,
    LazyProgress,
    SeedOption,
    checked_option,
    console,
    err_console,
    figure_beside,
)
from gpurg.cli.rsmi_block_landscape import run_block_landscape
from gpurg.errors import InputError
from gpurg.io.hdf5 import check_output_path
from gpurg.models.ising import SIDE
from gpurg.rg.block_landscape import FIT_GRID, POSITIONS
from gpurg.rg.landscape import (
    GRID,
    MAX_LAMBDA,
    ORDER,
    PATH_EPOCHS,
    PATH_PAIRS,
    ChainLandscape,
    chain_exact_path,
    chain_landscape,
    chain_point,
    chain_training_path,
    write_landscape,
)
from gpurg.rsmi.exact import chain_mutual_information
from gpurg.validation import Integer, Real

MIN_INFORMATION = 1e-13  # nats: I(V:E) ~ K^(2 L_B + 2) at weak coupling
_CHAIN_ONLY = {"order", "train", "pairs", "epochs"}
_BLOCK_ONLY = {"source", "size", "replicas", "samples", "fit_grid", "positions", "device"}
FAR = 1000.0  # the table's saturated rules, λ = (1000, 0) and (1000, 1000)


def landscape(
    ctx: typer.Context,
    source: Path | None = typer.Argument(None, help="2D: a run file of Ising configurations "
                                         "(default: fresh samples, see --size)."),
    chain: bool = typer.Option(False, "--chain", help="The 1D Ising chain, blocks of two "
                               "spins, exactly (without it: 2x2 blocks of 2D Ising)."),
    coupling: float | None = checked_option(
        None, "--coupling", "-K", constraint=Real(optional=True),
        help="K = J/T (chain: default 0.1; 2D: the file's 1/T, or K_c for fresh samples)."),
    buffer: int | None = checked_option(None, "--buffer", constraint=Integer(0, optional=True),
                                        help="Buffer width L_B (chain: default 1, any >= 0; "
                                        "2D: 0 or 1, default both)."),
    grid: int = checked_option(41, "--grid", constraint=GRID,
                               help="Grid points in each filter λ1, λ2."),
    max_lambda: float = checked_option(3.0, "--max-lambda", constraint=MAX_LAMBDA,
                                       help="The grid spans [-max, max] in λ1 and λ2."),
    order: int = checked_option(None, "--order", constraint=ORDER,
                                help="Couplings from the cumulant expansion to this order "
                                "(default: exact)."),
    train: bool = typer.Option(True, "--train/--no-train", help="Draw the path of a "
                               "training run (one symmetric unit, variational estimator)."),
    pairs: int = checked_option(PATH_PAIRS, "--pairs", constraint=Integer(64),
                                help="Exact chain pairs (V, E) the training run uses."),
    epochs: int = checked_option(PATH_EPOCHS, "--epochs", constraint=Integer(1),
                                 help="Epochs of the training run (one point each)."),
    size: int = checked_option(32, "--size", "-L", constraint=SIDE,
                               help="2D: side of the fresh Ising samples."),
    replicas: int = checked_option(32, "--replicas", "-R", constraint=Integer(1),
                                   help="2D: Swendsen–Wang chains of the fresh samples."),
    samples: int = checked_option(8, "--samples", constraint=Integer(1),
                                  help="2D: snapshots per chain."),
    fit_grid: int = checked_option(9, "--fit-grid", constraint=FIT_GRID,
                                   help="2D: grid points in λ1, λ2 of the Hamiltonian fits."),
    positions: int = checked_option(60_000, "--positions", constraint=POSITIONS,
                                    help="2D: environment samples per buffer."),
    device: str = DeviceOption,
    seed: int = SeedOption,
    output: Path = typer.Option(..., "--output", "-o", help="Landscape file to write (.h5); "
                                "its figure goes beside it (land.png)."),
    figure_format: str = FigureFormatOption,
) -> None:
    """Map information kept, K'_2(1), rangeness and m-bodyness over the (λ1, λ2) grid, exactly;
    print them at decimation and majority; write the maps and draw them with the decimation
    and majority lines, the training path and the path of gradient ascent on the exact
    I_Λ(H:E) (always: it takes a tenth of a second)."""
    given = {name for name in ctx.params
             if ctx.get_parameter_source(name).name not in ("DEFAULT", "DEFAULT_MAP")}
    other = given & (_BLOCK_ONLY if chain else _CHAIN_ONLY)
    if other:
        flag = sorted(other)[0].replace("_", "-")
        raise InputError(f"--{flag}: an option of the {'2D' if chain else '--chain'} "
                         f"landscape only")
    check_output_path(output)
    figure = figure_beside(output, figure_format)
    if not chain:
        run_block_landscape(source=source, coupling=coupling, buffer=buffer, size=size,
                            replicas=replicas, samples=samples, grid=grid,
                            max_lambda=max_lambda, fit_grid=fit_grid, positions=positions,
                            seed=seed, device=device, output=output, figure=figure,
                            figure_format=figure_format)
        return
    coupling = 0.1 if coupling is None else coupling
    buffer = 1 if buffer is None else buffer
    mi_ve = chain_mutual_information(coupling, buffer=buffer)
    if not mi_ve > MIN_INFORMATION:  # information kept is a ratio to I(V:E)
        raise InputError(f"--coupling {coupling:g} with --buffer {buffer}: I(V:E) = "
                         f"{mi_ve:.3g} nats, too little for shares of it to be resolved in "
                         f"double precision; allowed: K and L_B with I(V:E) > "
                         f"{MIN_INFORMATION:g} nats (at L_B = 1: |K| >= 0.001)")
    start = time.perf_counter()
    land = chain_landscape(coupling, buffer, grid, max_lambda, order)
    land.exact_path = chain_exact_path(coupling, buffer, seed=seed)
    if train:
        columns = (TextColumn("[bold]training path"), BarColumn(), TextColumn(
            "{task.completed}/{task.total} epochs"), TextColumn("MI {task.fields[mi]}"),
            TimeElapsedColumn())
        with LazyProgress(*columns, console=err_console) as bar:
            task = bar.add_task("path", total=None, mi="…")

            def progress(done: int, total: int, mi: float) -> None:
                bar.update(task, completed=done, total=total, mi=f"{mi:.3g} nats")

            land.path = chain_training_path(coupling, buffer, pairs=pairs, epochs=epochs,
                                            seed=seed, progress=progress)
    elapsed = time.perf_counter() - start
    settings = {"grid": grid, "max_lambda": max_lambda, "seed": np.uint64(seed),
                "pairs": pairs if train else 0, "epochs": epochs if train else 0,
                "exact_steps": len(land.exact_path.lam) - 1, "seconds": elapsed}
    write_landscape(output, land, settings)
    from gpurg.figures import landscape_figure  # matplotlib loads only to draw

    landscape_figure(land, figure, format=figure_format)
    console.print(landscape_table(land))
    for line in summary_lines(land):
        console.print(line, highlight=False)
    err_console.print(f"wrote {output} and {figure} ({elapsed:.1f} s)")


def _cell(value: float, digits: int = 4) -> str:
    return "—" if not math.isfinite(value) else f"{value:.{digits}g}"


def landscape_table(land: ChainLandscape) -> Table:
    """Information kept and the coarse couplings at decimation, majority and a few points."""
    m = float(land.lam[-1])
    rows = [("decimation", m, 0.0), ("majority", m, m), ("mixed", m, m / 2),
            ("anti-majority", m, -m), ("saturated dec.", FAR, 0.0), ("saturated maj.", FAR, FAR)]
    table = Table(title=f"1D chain K = {land.K:g}, L_B = {land.buffer}: "
                  f"I(V:E) = {land.mi_ve:.4g} nats", title_justify="left")
    for name in ("rule", "λ1", "λ2", "kept", "K'_2(1)", "rangeness", "m-bodyness"):
        table.add_column(name, justify="left" if name == "rule" else "right")
    for name, a, b in rows:
        p = chain_point(land.K, a, b, land.buffer, land.order)
        table.add_row(name, f"{a:g}", f"{b:g}", f"{p['info_kept']:.4f}", _cell(p["K2_1"]),
                      _cell(p["rangeness"], 3), _cell(p["mbodyness"], 3))
    return table


def summary_lines(land: ChainLandscape) -> list[str]:
    """The grid's best rule, the rings used, and where the training run and the exact ascent
    ended."""
    i, j = np.unravel_index(np.nanargmax(land.info_kept), land.info_kept.shape)
    lines = [f"most information kept on the grid: {land.info_kept[i, j]:.4f} at "
             f"λ = ({land.lam[i]:.3g}, {land.lam[j]:.3g})"]
    if land.order is None:
        lines.append(f"exact couplings from rings of {land.ring.min()}-{land.ring.max()} "
                     f"blocks; largest change between the last two rings "
                     f"{np.nanmax(land.change):.2g}")
    else:
        lines.append(f"couplings from the cumulant expansion to order {land.order}")
    if land.path is not None:
        end = land.path.lam[-1]
        lines.append(f"training path: {len(land.path.lam)} epochs, ended at λ = "
                     f"({end[0]:.3g}, {end[1]:.3g}), keeping {land.path.info_kept[-1]:.4f} "
                     f"of I(V:E) (exact; held-out estimate {land.path.mi[-1]:.3g} nats)")
    if land.exact_path is not None:
        end = land.exact_path.lam[-1]
        lines.append(f"gradient ascent on the exact I_Λ(H:E): {len(land.exact_path.lam) - 1} "
                     f"steps, ended at λ = ({end[0]:.3g}, {end[1]:.3g}), keeping "
                     f"{land.exact_path.info_kept[-1]:.4f} of I(V:E)")
    return lines
