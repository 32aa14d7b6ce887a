"""``gpurg run ising``: the main job, on its defaults."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from gpurg.cli.common import (
    DeviceOption,
    FigureFormatOption,
    SeedOption,
    checked_option,
    console,
    err_console,
    figure_beside,
)
from gpurg.io.hdf5 import check_output_path
from gpurg.jobs.mainjob import (
    DEFAULT_SAMPLES,
    EXACT,
    LEVEL,
    REPLICAS,
    SAMPLES,
    SIZE,
    JobResult,
    run_ising,
    write_job,
)

app = typer.Typer(help="Whole jobs: sample, learn, coarse-grain, report.", no_args_is_help=True)


@app.command()
def ising(
    size: int = checked_option(64, "--size", "-L", constraint=SIZE,
                               help="Lattice size (a multiple of 16)."),
    samples: int = checked_option(DEFAULT_SAMPLES, "--samples", constraint=SAMPLES,
                                  help="Snapshots per chain (5 sweeps apart)."),
    replicas: int = checked_option(64, "--replicas", "-R", constraint=REPLICAS,
                                   help="Independent chains."),
    level: int = checked_option(2, "--level", constraint=LEVEL, help="MCRG level reported."),
    device: str = DeviceOption,
    seed: int = SeedOption,
    output: Path = typer.Option(Path("run.h5"), "--output", "-o", help="Report file (.h5); "
                                "its figure goes beside it (run.png)."),
    figure_format: str = FigureFormatOption,
) -> None:
    """2D Ising at T_c: learn the RSMI filter, then ν and y_h by Monte Carlo RG with the
    RSMI rule and with majority rule, beside the exact values."""
    check_output_path(output)
    figure_beside(output, figure_format)
    with console.status("") as status:
        result = run_ising(L=size, samples=samples, replicas=replicas, level=level,
                           seed=seed, device=device,
                           stage=lambda name: status.update(f"[bold]{name}…"))
    console.print(report_table(result))
    paths = write_job(output, result, figure_format=figure_format)
    err_console.print(f"wrote {paths[0]} and {paths[1]}")


def report_table(result: JobResult) -> Table:
    """The filter with its MI, and ν and y_h per rule beside the exact values."""
    f = result.filter
    w = f.rule.filters[0]
    times = ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items())
    table = Table(title=(f"2D Ising at T_c · L={result.L} · {result.n_samples} samples · "
                         f"{result.backend.name} ({result.backend.device_name}) · {times}\n"
                         f"RSMI filter [[{w[0]:+.3f} {w[1]:+.3f}] [{w[2]:+.3f} {w[3]:+.3f}]], "
                         f"I(H:E) = {f.mi:.4f} ± {f.mi_err:.4f} nats"), title_justify="left")
    table.add_column("rule")
    table.add_column("level", justify="right")
    table.add_column("ν", justify="right")
    table.add_column("y_h", justify="right")
    for name, e in result.exponents.items():
        table.add_row(name, str(e.level), f"{e.nu:.3f} ± {e.nu_err:.3f}",
                      f"{e.yh:.4f} ± {e.yh_err:.4f}")
    table.add_row("exact", "", f"{EXACT['nu']:.3f}", f"{EXACT['yh']:.4f}")
    return table
