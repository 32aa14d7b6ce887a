"""Pieces shared by the commands: consoles, the --device option, progress bars."""

from __future__ import annotations

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
from gpurg.errors import InputError

console = Console()
err_console = Console(stderr=True)

DeviceOption = typer.Option(
    "auto", "--device", help=f"Where to compute: {', '.join(DEVICES)}.", show_default=True
)


def check_choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    """Return ``value`` if allowed, else raise InputError naming the option and the choices."""
    if value not in allowed:
        raise InputError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    return value


@contextmanager
def sweep_progress(description: str) -> Iterator:
    """A Rich progress bar on stderr; yields ``update(done, total)``."""
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("sweeps"), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err_console, transient=False) as bar:
        task = bar.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update
