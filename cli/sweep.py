"""``gpurg sweep ...``: grids of sampling runs on Dask, one file per sweep (gpurg.jobs.sweep)."""

from __future__ import annotations

import warnings
from pathlib import Path

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from gpurg.cli.common import (
    DeviceOption,
    EveryOption,
    LazyProgress,
    ReplicasOption,
    SchedulerOption,
    SeedOption,
    SweepsOption,
    WorkersOption,
    checked_option,
    console,
    engine_from,
    err_console,
    grid_engine,
    parse_list,
    thermalize_option,
)
from gpurg.jobs.sweep import SEEDS, SweepResult, dimer_grid, ising_grid, run_sweep
from gpurg.models import dimer, ising
from gpurg.models.ising_exact import T_C
from gpurg.validation import Integer

app = typer.Typer(help="Grids of sampling runs (sizes, temperatures, couplings, seeds) on "
                  "Dask: this machine's cores by default, or any cluster.", no_args_is_help=True)

# summary columns: (observable, header)
_ISING_COLUMNS = (("e", "e"), ("abs_m", "|m|"), ("binder", "Binder U"))
_DIMER_COLUMNS = (("e", "e"), ("col2", "|C|²"), ("w2", "W²"), ("worm_length", "worm length"))

SeedsOption = checked_option(1, "--seeds", constraint=SEEDS,
                             help="Runs of each parameter point, seed indices 0..N-1.")
OutputOption = typer.Option(..., "--output", "-o", help="HDF5 file of the sweep: a group per "
                            "point; finished points wait in <output>.shards until the merge.")


def _run(kind: str, points: list[dict], output: Path, workers: int | None,
         scheduler: str | None, **kwargs: object) -> SweepResult:
    """Run the sweep with a progress bar over points; notes for the runs' warnings."""
    engine = grid_engine(workers, scheduler, len(points), kwargs["device"])
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("points"), TimeElapsedColumn(), TimeRemainingColumn())
    with (LazyProgress(*columns, console=err_console) as bar,
          warnings.catch_warnings(record=True) as caught):
        warnings.simplefilter("always", RuntimeWarning)
        task = bar.add_task(f"{kind} sweep", total=len(points))

        def progress(done: int, total: int) -> None:
            if done:  # the bar appears with the first point: bad input shows only its error
                bar.update(task, completed=done, total=total)

        try:
            result = run_sweep(kind, points, output, engine=engine, progress=progress,
                               **kwargs)
        finally:
            bar.stop()
    # the runs' statistical notes (not Dask's), one line: short series warn at many points
    notes = list(dict.fromkeys(str(w.message) for w in caught
                               if issubclass(w.category, RuntimeWarning)))
    if notes:
        more = f" (and {len(notes) - 1} more like it)" if len(notes) > 1 else ""
        err_console.print(f"note: {notes[0]}{more}", style="yellow", highlight=False)
    return result


def _table(result: SweepResult, columns: tuple[tuple[str, str], ...]) -> Table:
    first = result.points[0].point
    names = [k for k in first if k != "seed_index"]
    reused = len(result.points) - result.ran
    where = result.engine or "no points run"
    table = Table(title=f"{result.kind} sweep · {len(result.points)} points ({reused} from "
                  f"shards) · {where} · {result.seconds:.2f} s", title_justify="left")
    for name in (*names, "seed"):
        table.add_column(name, justify="right")
    for _, header in columns:
        table.add_column(header, justify="right")
    for p in result.points:
        table.add_row(*(f"{p.point[n]:g}" for n in names), str(p.point["seed_index"]),
                      *(p.summary[key].format() for key, _ in columns))
    return table


@app.command("ising")
def ising_sweep(
    size: str = typer.Option("32", "--size", "-L", help="Linear sizes, comma-separated "
                             "(each even, >= 4)."),
    temperature: str = typer.Option(repr(T_C), "--temperature", "-T",
                                    help="Temperatures, comma-separated (default: T_c, J = 1)."),
    coupling: str = typer.Option("1", "--coupling", help="Couplings J, comma-separated."),
    field: str = typer.Option("0", "--field", help="Fields h, comma-separated."),
    seeds: int = SeedsOption,
    replicas: int = ReplicasOption,
    sweeps: int = SweepsOption,
    thermalize: int = thermalize_option(200),
    every: int = EveryOption,
    algorithm: str = typer.Option("swendsen-wang", "--algorithm",
                                  help="metropolis, heatbath or swendsen-wang."),
    start: str = typer.Option("hot", "--start", help="hot (random) or cold (all +1)."),
    layout: str = typer.Option("auto", "--layout", help="Spin layout, as for ising sample."),
    device: str = DeviceOption,
    seed: int = SeedOption,
    workers: int | None = WorkersOption,
    scheduler: str | None = SchedulerOption,
    output: Path = OutputOption,
    configs: bool = typer.Option(True, "--configs/--no-configs",
                                 help="Store the spins of every measurement."),
) -> None:
    """Sample the 2D Ising model at every point of a grid: L x T x J x h x seeds.

    Each point is a task on Dask with its own seed; one HDF5 file, a summary table."""
    engine_from(workers, scheduler)  # both options given: refused before any work
    points = ising_grid(parse_list(size, "--size/-L", ising.SIDE),
                        parse_list(temperature, "--temperature/-T", ising.TEMPERATURE),
                        parse_list(coupling, "--coupling", ising.COUPLING),
                        parse_list(field, "--field", ising.FIELD), seeds=seeds)
    result = _run("ising", points, output, workers, scheduler, replicas=replicas,
                  sweeps=sweeps, thermalize=thermalize, every=every, seed=seed, device=device,
                  store_configs=configs, algorithm=algorithm, start=start, layout=layout)
    console.print(_table(result, _ISING_COLUMNS))
    err_console.print(f"wrote {len(result.points)} points to {result.output}")


@app.command("dimer")
def dimer_sweep(
    size: str = typer.Option("16", "--size", "-L", help="Linear sizes, comma-separated "
                             "(each even, >= 4)."),
    temperature: str = typer.Option("inf", "--temperature", "-T",
                                    help="Temperatures, comma-separated (inf: all coverings "
                                    "equal)."),
    interaction: str = typer.Option("-1", "--interaction", "-V",
                                    help="Interactions V, comma-separated."),
    seeds: int = SeedsOption,
    replicas: int = ReplicasOption,
    sweeps: int = SweepsOption,
    thermalize: int = thermalize_option(100),
    every: int = EveryOption,
    start: str = typer.Option("random", "--start", help="columnar, staggered or random."),
    rule: str = typer.Option("minimal-bounce", "--rule",
                             help="Directed-loop solution: minimal-bounce or heat-bath."),
    worms_per_sweep: int | None = checked_option(
        None, "--worms-per-sweep", constraint=Integer(1, optional=True),
        help="Worms per sweep (default: calibrated to L²/2 steps)."),
    noise: str = typer.Option("none", "--noise", help="Image decoration: none, correlated or "
                              "independent (implies --encoding image)."),
    encoding: str = typer.Option("codes", "--encoding",
                                 help="codes, or image: also store 2L x 2L images."),
    device: str = DeviceOption,
    seed: int = SeedOption,
    workers: int | None = WorkersOption,
    scheduler: str | None = SchedulerOption,
    output: Path = OutputOption,
    configs: bool = typer.Option(True, "--configs/--no-configs",
                                 help="Store the site codes of every measurement."),
) -> None:
    """Sample close-packed dimers at every point of a grid: L x T x V x seeds.

    Each point is a task on Dask with its own seed; one HDF5 file, a summary table."""
    engine_from(workers, scheduler)
    points = dimer_grid(parse_list(size, "--size/-L", dimer.SIDE),
                        parse_list(temperature, "--temperature/-T", dimer.TEMPERATURE),
                        parse_list(interaction, "--interaction/-V", dimer.INTERACTION),
                        seeds=seeds)
    result = _run("dimer", points, output, workers, scheduler, replicas=replicas,
                  sweeps=sweeps, thermalize=thermalize, every=every, seed=seed, device=device,
                  store_configs=configs, start=start, rule=rule,
                  worms_per_sweep=worms_per_sweep, encoding=encoding, noise=noise)
    console.print(_table(result, _DIMER_COLUMNS))
    err_console.print(f"wrote {len(result.points)} points to {result.output}")

