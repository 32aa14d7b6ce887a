"""``gpurg info`` and ``gpurg selftest``."""

from __future__ import annotations

import typer
from rich.table import Table

from gpurg.backend import get_backend
from gpurg.backend.report import environment_report
from gpurg.cli.common import DeviceOption, console
from gpurg.jobs.selftest import run_selftest


def info() -> None:
    """Show the gpurg version, the backend that 'auto' picks and why, GPU and toolchains."""
    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    for label, value in environment_report():
        table.add_row(label, value)
    console.print(table)


def selftest(device: str = DeviceOption) -> None:
    """Check a backend: Philox known answers, chains equal to the NumPy path, exact 4x4 results."""
    backend = get_backend(device)
    table = Table(title=f"selftest on {backend.name} ({backend.device_name})", title_justify="left")
    table.add_column("check")
    table.add_column("result")
    table.add_column("detail")
    failed = 0
    for check in run_selftest(backend):
        failed += not check.passed
        table.add_row(check.name, "[green]pass" if check.passed else "[red]FAIL", check.detail)
    console.print(table)
    if failed:
        raise typer.Exit(1)
