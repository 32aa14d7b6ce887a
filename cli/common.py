"""Pieces shared by the commands: consoles, the --device option, progress bars."""

from __future__ import annotations

import importlib.util
import math
import os
import sys
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from gpurg.backend import DEVICES, get_backend
from gpurg.errors import InputError
from gpurg.figures.formats import FIGURE_FORMAT, FORMATS, figure_path
from gpurg.io.hdf5 import check_output_path
from gpurg.models.base import REPLICAS
from gpurg.parallel import WORKERS, Engine
from gpurg.sampling import CHECKPOINT, CHECKPOINT_SECONDS, EVERY, SWEEPS
from gpurg.stats import Estimate
from gpurg.validation import SEED, Constraint

console = Console()
err_console = Console(stderr=True)

DeviceOption = typer.Option(
    "auto", "--device", help=f"Where to compute: {', '.join(DEVICES)}.", show_default=True
)
# every --seed: checked as it is parsed, whether or not the command's path uses it
SeedOption = typer.Option(0, "--seed", help="Random seed in [0, 2^64).",
                          callback=SEED.callback("--seed"))


def checked_option(default: object, *names: str, constraint: Constraint, help: str,
                   **kwargs: object) -> object:
    """A Typer option whose parsed value is checked by ``constraint`` under its first name
    (``--epochs must be an integer >= 1, got 0``): the library's rule, in one place.
    The generated bad-input tests (tests/test_constraints.py) find it by its callback."""
    return typer.Option(default, *names, help=help, callback=constraint.callback(names[0]),
                        **kwargs)


# every command that draws: its figure's format (the figure lies beside the command's HDF5
# file, same stem; gpurg.figures draws it)
FigureFormatOption = checked_option(
    "png", "--figure-format", constraint=FIGURE_FORMAT,
    help=f"Format of the figure written beside the output file: {', '.join(FORMATS)}.")


def figure_beside(output: Path, figure_format: str) -> Path:
    """Where a command's figure goes: beside ``output`` with its stem (``run.h5`` →
    ``run.png``), checked writable before any work (an ``error:`` line, exit 2, if not)."""
    path = figure_path(output, figure_format)
    check_output_path(path, (f".{figure_format}",))
    return path


def write_results(path: Path, datasets: Mapping[str, object],
                  attrs: Mapping[str, object]) -> Path:
    """A small HDF5 file of a command's numbers (the data behind its figure): each dataset
    at its name, ``attrs`` on the root; written atomically."""
    import h5py

    from gpurg.io.hdf5 import atomic_output

    with atomic_output(path) as tmp, h5py.File(tmp, "w") as f:
        for name, value in datasets.items():
            f[name] = value
        f.attrs.update(attrs)
    return Path(path)


def parse_list(text: str, option: str, constraint: Constraint) -> tuple:
    """The comma-separated values of a list option (``--sizes 256,1024``), each checked and
    normalised by ``constraint`` (the rule of one element); InputError ``--sizes must be
    comma-separated values, each an integer >= 1; got 0 in '16,0'``. An item reads as an int,
    else a float, else stays text (which a number's constraint refuses)."""
    values = []
    for item in text.split(","):
        value = _number(item.strip())
        try:
            values.append(constraint.check(option, value))
        except InputError:
            raise InputError(f"{option} must be comma-separated values, each "
                             f"{constraint.describe()}; got {value!r} in {text!r}") from None
    return tuple(values)


def _number(text: str) -> int | float | str:
    for parse in (int, float):
        try:
            return parse(text)
        except ValueError:
            pass
    return text


# the schedule of every sample command, by the library's rules
ReplicasOption = checked_option(16, "--replicas", "-R", constraint=REPLICAS,
                                help="Independent chains.")
SweepsOption = checked_option(1000, "--sweeps", constraint=SWEEPS,
                              help="Sampling sweeps after thermalization.")
EveryOption = checked_option(1, "--every", constraint=EVERY, help="Measure every k sweeps.")
# where a grid's points run (gpurg.parallel): every grid-shaped command takes both
WorkersOption = checked_option(
    None, "--workers", constraint=replace(WORKERS, optional=True),  # None: not given
    help="Worker processes of the embedded Dask cluster (default: one per core, or per GPU "
    "with dask-cuda, unless the description says otherwise); 0 runs the points in this "
    "process.")
SchedulerOption = typer.Option(
    None, "--scheduler", help="Address of an existing Dask scheduler (tcp://host:8786) to run "
    "the points on, instead of an embedded cluster.")


def engine_from(workers: int | None, scheduler: str | None) -> Engine:
    """The :class:`gpurg.parallel.Engine` of the --workers and --scheduler options."""
    return Engine(workers=workers, scheduler=scheduler)


def grid_engine(workers: int | None, scheduler: str | None, points: int,
                device: object = "auto") -> Engine:
    """The engine of a grid-shaped command (rg flow, rg collapse, rsmi thermometer, rsmi
    scan, rsmi train --seeds): the options' when either is given; without them, this process
    when the grid has one point, the machine one core, or the points run on a GPU (worker
    processes sharing one GPU gain nothing; with dask-cuda and several GPUs, one worker per
    GPU), else an embedded cluster of one worker per core. The results are the same on every
    engine; only the time differs (an embedded cluster takes about 2 s to start)."""
    if workers is not None or scheduler is not None:
        return engine_from(workers, scheduler)
    if points <= 1 or (os.cpu_count() or 1) <= 1:
        return Engine(workers=0)
    backend = get_backend(device)
    if backend.name == "gpu":
        several = backend.xp.cuda.runtime.getDeviceCount() > 1
        return Engine() if several and importlib.util.find_spec("dask_cuda") else Engine(
            workers=0)
    return Engine()


def thermalize_option(default: int) -> object:
    """The --thermalize option of a sample command, with the model's usual default."""
    return checked_option(default, "--thermalize", constraint=SWEEPS,
                          help="Sweeps discarded first.")


# every sample command's --checkpoint: the library's default and rule
CheckpointOption = checked_option(
    CHECKPOINT_SECONDS, "--checkpoint", constraint=CHECKPOINT,
    help="Seconds between checkpoints of the output file: a run killed outright (SIGKILL, a "
    "lost node) keeps its last checkpoint, which --resume continues.")


@contextmanager
def sweep_progress(description: str) -> Iterator:
    """A Rich progress bar on stderr; yields ``update(done, total)``.

    The bar appears at the first update, so input rejected before any work prints nothing
    but its error line.
    """
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("sweeps"), TimeElapsedColumn(), TimeRemainingColumn())
    bar = Progress(*columns, console=err_console, transient=False)
    task = bar.add_task(description, total=None)

    def update(done: int, total: int) -> None:
        if not bar.live.is_started:
            bar.start()
        bar.update(task, completed=done, total=total)

    try:
        yield update
    finally:
        if bar.live.is_started:
            bar.stop()


class LazyProgress(Progress):
    """A Rich progress display that appears at its first update, not when entered: input
    rejected before any work then prints nothing but its error line."""

    def __enter__(self) -> LazyProgress:
        return self

    def update(self, *args: object, **kwargs: object) -> None:
        if not self.live.is_started:
            self.start()
        super().update(*args, **kwargs)

    def stop(self) -> None:
        # Progress.stop prints a newline on a non-terminal even if nothing was shown
        if self.live.is_started:
            super().stop()


def print_error(message: str) -> None:
    """One line on stderr, never wrapped or styled."""
    print(f"error: {' '.join(message.split())}", file=sys.stderr)


def exact_cells(est: Estimate, exact: float | None) -> list[str]:
    """Table cells: the exact value and the estimate's deviation from it in standard errors."""
    if exact is None or not math.isfinite(exact):  # e.g. N <m^2> / T as T -> 0
        return ["", ""]
    z = (est.value - exact) / est.error if est.error > 0 else math.nan
    return [f"{exact:.7g}", "" if math.isnan(z) else f"{z:+.1f}σ"]


def estimate_table(title: str, rows: Sequence[tuple[str, str]], summary: Mapping[str, Estimate],
                   exact: Mapping[str, float] | None) -> Table:
    """Rich table of estimates: value ± error, τ_int (in measurements) and, when ``exact``
    values are given, each one beside its estimate with the deviation in standard errors.

    ``rows`` are (key in ``summary``, label) in print order.
    """
    table = Table(title=title, title_justify="left")
    table.add_column("observable")
    table.add_column("value ± error", justify="right")
    table.add_column("τ_int", justify="right")
    if exact:
        table.add_column("exact", justify="right")
        table.add_column("deviation", justify="right")
    for key, label in rows:
        est = summary[key]
        tau = "" if math.isnan(est.tau_int) else f"{est.tau_int:.2f}"
        row = [label, est.format(), tau]
        if exact:
            row += exact_cells(est, exact.get(key))
        table.add_row(*row)
    return table


def report_run(caught: Sequence[warnings.WarningMessage], output: Path | None,
               n_measurements: int) -> None:
    """Each distinct warning of a run once, as a note, and where its file went."""
    for note in dict.fromkeys(str(w.message) for w in caught):
        err_console.print(f"note: {note}", style="yellow", highlight=False)
    if output is not None:
        err_console.print(f"wrote {n_measurements} measurements to {output}")
