"""Pieces shared by the commands: consoles, the --device option, progress bars."""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager

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

from gpurg.backend import DEVICES
from gpurg.stats import Estimate

console = Console()
err_console = Console(stderr=True)

DeviceOption = typer.Option(
    "auto", "--device", help=f"Where to compute: {', '.join(DEVICES)}.", show_default=True
)


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


def print_error(message: str) -> None:
    """One line on stderr, never wrapped or styled."""
    print(f"error: {' '.join(message.split())}", file=sys.stderr)


def exact_cells(est: Estimate, exact: float | None) -> list[str]:
    """Table cells: the exact value and the estimate's deviation from it in standard errors."""
    if exact is None:
        return ["", ""]
    z = (est.value - exact) / est.error if est.error > 0 else math.nan
    return [f"{exact:.7g}", "" if math.isnan(z) else f"{z:+.1f}σ"]
