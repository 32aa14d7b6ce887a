"""``gpurg rsmi scan``: I(H:E) against the buffer width, with power-law and exponential fits
(registered on the ``rsmi`` group by cli/rsmi.py)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import typer
from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from gpurg.backend import get_backend
from gpurg.cli.common import (
    DeviceOption,
    FigureFormatOption,
    LazyProgress,
    SchedulerOption,
    SeedOption,
    WorkersOption,
    checked_option,
    console,
    err_console,
    figure_beside,
    grid_engine,
    parse_list,
)
from gpurg.cli.rsmi_options import (
    BatchSizeOption,
    BlockOption,
    EnvOption,
    EpochsOption,
    EstimatorOption,
    HiddenOption,
)
from gpurg.io.hdf5 import check_output_path
from gpurg.rsmi.files import load_configurations
from gpurg.rsmi.geometry import BUFFER, DIMENSIONS
from gpurg.rsmi.scan import SIGNIFICANCE, BufferScan, block_label, scan_buffers, write_scan
from gpurg.rsmi.training import RESTARTS, check_pairs
from gpurg.stats import DecayFit
from gpurg.validation import Integer


def scan(
    source: Path = typer.Argument(..., help="A gpurg run file (Ising spins, 2D or 3D, or "
                                  "dimer images)."),
    buffers: str = typer.Option("0,1,2,4", "--buffers",
                                help="Comma-separated buffer widths L_B to scan (>= 0)."),
    block: int = BlockOption,
    env: int = EnvOption,
    hidden: int = HiddenOption,
    estimator: str = EstimatorOption,
    epochs: int = EpochsOption,
    pairs: int = checked_option(200_000, "--pairs", constraint=Integer(1),
                                help="(V, E) pairs drawn from the file at each buffer."),
    restarts: int = checked_option(RESTARTS, "--restarts", constraint=Integer(1),
                                   help="Random initialisations at each buffer."),
    batch_size: int = BatchSizeOption,
    seed: int = SeedOption,
    device: str = DeviceOption,
    output: Path = typer.Option(..., "--output", "-o", help="Scan file to write (.h5); its "
                                "figure goes beside it (scan.png)."),
    figure_format: str = FigureFormatOption,
    workers: int | None = WorkersOption,
    scheduler: str | None = SchedulerOption,
) -> None:
    """Learn a rule at each buffer width L_B; print I(H:E) ± error against L_B and the fits
    MI ∝ L_B^-υ and MI ∝ exp(-L_B/ξ) (points with MI < 2σ left out); write and draw them.

    Each buffer is a task on Dask (--workers, --scheduler); without either, an embedded
    cluster of one worker per core, or this process when the points run on one GPU. The
    numbers are the same on every engine (each buffer's pairs are drawn with a seed of the
    seed and L_B, and its training uses the seed).

    On a 3D run (simple cubic, configs (n, R, L, L, L)) the block, buffer and environment
    are cubes and cubic shells of those sides, and the scan file records dim = 3."""
    values = parse_list(buffers, "--buffers", BUFFER)
    check_output_path(output)
    figure = figure_beside(output, figure_format)
    check_pairs(pairs)  # before the file is read
    backend = get_backend(device)
    configs, attrs = load_configurations(source, dims=DIMENSIONS, purpose="rsmi scan")
    engine = grid_engine(workers, scheduler, len(values), backend)
    unit = "epochs" if engine.in_process else f"buffers ({engine.describe()})"
    columns = (TextColumn("[bold]RSMI scan"), BarColumn(), TextColumn(
        f"{{task.completed}}/{{task.total}} {unit}"), TextColumn("MI {task.fields[mi]}"),
        TimeElapsedColumn())
    with LazyProgress(*columns, console=err_console) as bar:
        task = bar.add_task("scan", total=None, mi="…")

        def progress(done: int, total: int, mi: float) -> None:
            bar.update(task, completed=done, total=total, mi=f"{mi:.4f} nats")

        result = scan_buffers(backend.xp.asarray(configs), attrs, block=block, env=env,
                              buffers=values, n_hidden=hidden, pairs=pairs, seed=seed,
                              progress=progress, estimator=estimator, epochs=epochs,
                              restarts=restarts, batch_size=batch_size, engine=engine)
    settings = {"source": str(Path(source).resolve()), "model": str(attrs.get("model", "")),
                "seed": np.uint64(seed), "pairs": pairs, "epochs": epochs,
                "restarts": restarts, "estimator": estimator, "batch_size": batch_size}
    for key in ("L", "T", "J", "h", "V"):
        if key in attrs:
            settings[f"source_{key}"] = attrs[key]
    write_scan(output, result, settings)
    from gpurg.figures import buffer_scan_figure  # matplotlib loads only to draw

    buffer_scan_figure(result, figure, format=figure_format,
                       title=f"MI against the buffer, {Path(source).name}:\nblock "
                       f"{block_label(result)}, env {env}, {hidden} unit(s)")
    console.print(scan_table(result))
    for line in fit_lines(result):
        console.print(line, highlight=False)
    err_console.print(f"wrote {output} and {figure}")


def scan_table(result: BufferScan) -> Table:
    """L_B, I(H:E) ± error, and whether the point entered the fits."""
    table = Table(title=f"I(H:E) against the buffer · block {block_label(result)}, env "
                  f"{result.env}, {result.n_hidden} unit(s)", title_justify="left")
    table.add_column("L_B", justify="right")
    table.add_column("I(H:E) [nats]", justify="right")
    table.add_column("fitted", justify="center")
    for b, mi, err, used in zip(result.buffer, result.mi, result.mi_err, result.used,
                                strict=True):
        table.add_row(str(b), f"{mi:.4f} ± {err:.4f}",
                      "yes" if used else f"no (< {SIGNIFICANCE:g}σ)")
    return table


def _fit_line(fit: DecayFit, law: str, name: str, better: bool) -> str:
    if not math.isfinite(fit.value):
        return f"{law}: too few points with MI >= {SIGNIFICANCE:g}σ to fit ({fit.n_points})"
    chi2 = "n/a" if fit.dof == 0 else f"{fit.chi2:.2f}/{fit.dof} = {fit.chi2_dof:.2f}"
    return (f"{law}: {name} = {fit.value:.4f} ± {fit.error:.4f} (A = {fit.amplitude:.4g}, "
            f"{fit.n_points} points, χ²/dof {chi2}){' ← better' if better else ''}")


def fit_lines(result: BufferScan) -> list[str]:
    """One line per fit: its value ± error, amplitude, points and χ²/dof."""
    return [_fit_line(result.power, "power law MI = A L_B^-υ", "υ",
                      result.better == "power"),
            _fit_line(result.exponential, "exponential MI = A exp(-L_B/ξ)", "ξ",
                      result.better == "exponential")]
