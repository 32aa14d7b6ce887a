"""``gpurg run ising`` and ``gpurg run dimer``: the main jobs, on their defaults."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
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
from gpurg.jobs import dimerjob
from gpurg.jobs.dimerjob import DimerJobResult, run_dimer, write_dimer_job
from gpurg.jobs.mainjob import (
    BATCHES,
    DIMENSION,
    LEVEL,
    REPLICAS,
    SAMPLES,
    SETTINGS,
    SIZE,
    JobResult,
    Stage,
    run_ising,
    write_job,
)
from gpurg.jobs.mainjob import (
    PAIRS as ISING_PAIRS,
)

app = typer.Typer(help="Whole jobs: sample, learn, coarse-grain, report.", no_args_is_help=True)
DIMER_SIZE, DIMER_SAMPLES, DIMER_REPLICAS, PAIRS = (dimerjob.SIZE, dimerjob.SAMPLES,
                                                   dimerjob.REPLICAS, dimerjob.PAIRS)


@app.command()
def ising(
    dim: int = checked_option(2, "--dim", constraint=DIMENSION,
                              help="Dimension: 2 (square lattice) or 3 (simple cubic)."),
    size: int | None = checked_option(
        None, "--size", "-L", constraint=SIZE,
        help=f"Lattice size (a multiple of 16; default {SETTINGS[2].size} in 2D, "
        f"{SETTINGS[3].size} in 3D)."),
    samples: int | None = checked_option(
        None, "--samples", constraint=SAMPLES,
        help=f"Snapshots per chain, 5 sweeps apart (default {SETTINGS[2].samples} in 2D, "
        f"{SETTINGS[3].samples} in 3D)."),
    replicas: int = checked_option(64, "--replicas", "-R", constraint=REPLICAS,
                                   help="Independent chains."),
    pairs: int = checked_option(100_000, "--pairs", constraint=ISING_PAIRS,
                                help="(V, E) pairs the filter learns from."),
    level: int | None = checked_option(
        None, "--level", constraint=LEVEL,
        help=f"MCRG level reported (default {SETTINGS[2].level} in 2D, {SETTINGS[3].level} "
        f"in 3D)."),
    batches: int = checked_option(
        1, "--batches", constraint=BATCHES,
        help="Sample and coarse-grain the snapshots in this many batches, holding one at a "
        "time (for large 3D lattices); the filter learns from the first."),
    device: str = DeviceOption,
    seed: int = SeedOption,
    output: Path = typer.Option(Path("run.h5"), "--output", "-o", help="Report file (.h5); "
                                "its figure goes beside it (run.png)."),
    figure_format: str = FigureFormatOption,
) -> None:
    """Ising at T_c (2D, or 3D with --dim 3): learn the RSMI filter, then ν and y_h by Monte
    Carlo RG with the RSMI rule and with majority rule, beside the exact values (2D) or the
    conformal bootstrap's (3D)."""
    result = _run_staged(output, figure_format, lambda stage: run_ising(
        dim=dim, L=size, samples=samples, replicas=replicas, pairs=pairs, level=level,
        batches=batches, seed=seed, device=device, stage=stage))
    console.print(report_table(result))
    paths = write_job(output, result, figure_format=figure_format)
    err_console.print(f"wrote {paths[0]} and {paths[1]}")


T = TypeVar("T")


def _run_staged(output: Path, figure_format: str, job: Callable[[Stage], T]) -> T:
    """Check the output and figure paths before any work, then run ``job(stage)`` with each
    stage's name shown on a status line: the part both main jobs share."""
    check_output_path(output)
    figure_beside(output, figure_format)
    with console.status("") as status:
        return job(lambda name: status.update(f"[bold]{name}…"))


def report_table(result: JobResult) -> Table:
    """The filter with its MI, and ν and y_h per rule beside the exact (2D) or bootstrap
    (3D) values."""
    f, setting = result.filter, result.setting
    b, lattice = setting.geometry.block, setting.lattice
    weights = np.array2string(f.rule.filters[0].reshape((b,) * setting.dim), precision=3,
                              sign="+", separator=" ").replace("\n", "")
    times = ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items())
    table = Table(title=(f"{lattice.title} at T_c · L={result.L} · {result.n_samples} samples · "
                         f"{result.backend.name} ({result.backend.device_name}) · {times}\n"
                         f"RSMI filter {weights}, "
                         f"I(H:E) = {f.mi:.4f} ± {f.mi_err:.4f} nats"), title_justify="left")
    table.add_column("rule")
    table.add_column("level", justify="right")
    table.add_column("ν", justify="right")
    table.add_column("y_h", justify="right")
    for name, e in result.exponents.items():
        table.add_row(name, str(e.level), f"{e.nu:.3f} ± {e.nu_err:.3f}",
                      f"{e.yh:.4f} ± {e.yh_err:.4f}")
    ref = lattice.reference
    table.add_row(lattice.reference_name, "", f"{ref['nu']:.3f}", f"{ref['yh']:.4f}")
    return table


@app.command()
def dimer(
    size: int = checked_option(32, "--size", "-L", constraint=DIMER_SIZE,
                               help="Lattice side L (sites; images are 2L x 2L pixels)."),
    samples: int = checked_option(50, "--samples", constraint=DIMER_SAMPLES,
                                  help="Snapshots per chain (10 sweeps apart)."),
    replicas: int = checked_option(64, "--replicas", "-R", constraint=DIMER_REPLICAS,
                                   help="Independent worm chains."),
    pairs: int = checked_option(100_000, "--pairs", constraint=PAIRS,
                                help="(V, E) pairs per rule."),
    device: str = DeviceOption,
    seed: int = SeedOption,
    output: Path = typer.Option(Path("run.h5"), "--output", "-o", help="Report file (.h5); "
                                "its figure goes beside it (run.png)."),
    figure_format: str = FigureFormatOption,
) -> None:
    """Noisy dimers at T = ∞: RSMI rules with 1, 2 and 4 units (what their filters read),
    a CD-trained RBM on the same blocks, and the decay of I(H:E) with the buffer."""
    result = _run_staged(output, figure_format, lambda stage: run_dimer(
        L=size, samples=samples, replicas=replicas, pairs=pairs, seed=seed, device=device,
        stage=stage))
    console.print(dimer_table(result))
    s = result.scan
    console.print(f"I(H:E) against the buffer L_B = {', '.join(map(str, s.buffer))} pixels "
                  f"(2 units): {', '.join(f'{m:.4f}' for m in s.mi)} nats; power law "
                  f"υ = {s.exponent:.3f} ± {s.exponent_err:.3f} (χ²/dof "
                  f"{s.power.chi2_dof:.2g}), exponential ξ = {s.decay_length:.2f} ± "
                  f"{s.decay_length_err:.2f} (χ²/dof {s.exponential.chi2_dof:.2g})",
                  highlight=False)
    for n, r in result.rules.items():
        for note in r.notes:
            err_console.print(f"note: h{n}: {note}", style="yellow", highlight=False)
    paths = write_dimer_job(output, result, figure_format=figure_format)
    err_console.print(f"wrote {paths[0]} and {paths[1]}")


def dimer_table(result: DimerJobResult) -> Table:
    """One row per unit of every RSMI rule and of the CD RBM: its MI (RSMI), what it reads
    (shares of |λ|² on noise pixels, in the field plane, in the columnar plane, on the
    largest vertex–face pair), and each rule's angle between its units' field components."""
    times = ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items())
    table = Table(title=(f"Noisy dimers at T = ∞ · L={result.L} · {result.n_samples} images · "
                         f"{result.backend.name} ({result.backend.device_name}) · {times}"),
                  title_justify="left",
                  caption="noise: share of |λ|² on vertex and face pixels; E, C: shares in "
                  "the (E_x, E_y) and (C_x, C_y) planes; pair: largest share on one "
                  "vertex–face pair; E angle: between the first two units' field "
                  "components (90°: both components)", caption_justify="left")
    for name in ("rule", "I(H:E) [nats]", "unit", "noise", "E", "C", "pair", "E angle"):
        table.add_column(name, justify="left" if name == "rule" else "right")
    rows = [(f"RSMI h{n}", f"{r.mi:.4f} ± {r.mi_err:.4f}", result.analyses[n])
            for n, r in result.rules.items()]
    rows.append((f"CD-1 RBM ({result.kl.n_hidden} units)", "—", result.kl_analysis))
    for label, mi, a in rows:
        for j in range(a.n_hidden):
            first = j == 0
            table.add_row(label if first else "", mi if first else "", str(j),
                          f"{a.noise_share[j]:.3f}", f"{a.field_share[j]:.3f}",
                          f"{a.order_share[j]:.3f}", f"{a.pair_share[j]:.3f}",
                          f"{a.field_angle:.1f}°" if first and a.n_hidden > 1 else "")
    return table
