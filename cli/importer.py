"""``gpurg import``: configurations from another program into an ordinary run file."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from gpurg.cli.common import checked_option, console
from gpurg.io.importers import IMPORT_MODELS, LAYOUTS, VALUES, import_configurations
from gpurg.validation import Choice, Real

_DESCRIBE = {"pm1": "Ising spins ±1", "01": "Ising spins 0/1 (stored as 2x - 1)",
             "codes": "dimer site codes 0..3", "image": "dimer images 0/1, 2L x 2L"}


def import_(
    source: str = typer.Argument(..., help="FILE.npy, FILE.npz, FILE.h5 (or FILE.h5:/path), "
                                 "or a text file (.txt/.dat/.csv: one L*L configuration per "
                                 "line, RSMI-NE's Ising format)."),
    model: str = checked_option(..., "--model", "-m", constraint=Choice(IMPORT_MODELS),
                                help="ising or dimer."),
    output: Path = typer.Option(..., "--output", "-o", help="The run file to write (.h5)."),
    temperature: float | None = checked_option(
        None, "--temperature", "-T", constraint=Real(0, low_open=True, inf=True, optional=True),
        help="Temperature (default: from an RSMI-NE dimer file's name, else inf for dimers; "
        "required for Ising data)."),
    coupling: float | None = checked_option(
        None, "--coupling", "-J", constraint=Real(optional=True),
        help="Ising coupling J (non-zero; default 1)."),
    field: float | None = checked_option(
        None, "--field", constraint=Real(optional=True), help="Ising field h (default 0)."),
    interaction: float | None = checked_option(
        None, "--interaction", "-V", constraint=Real(optional=True),
        help="Dimer interaction V per parallel plaquette (default -1)."),
    dataset: str | None = typer.Option(
        None, "--dataset", help="The array inside an .npz (its name) or HDF5 file (its path)."),
    values: str | None = checked_option(
        None, "--values", constraint=Choice(VALUES, optional=True),
        help="The source's values: pm1 or 01 (Ising), codes or image (dimers); default: "
        "detected."),
    layout: str | None = checked_option(
        None, "--layout", constraint=Choice(LAYOUTS, optional=True),
        help="Axes of the source: N,L,L; n,R,L,L (measurements, replicas); R,n,L,L; or N,L*L "
        "(flattened rows). Default: from the number of dimensions (text: N,L*L)."),
) -> None:
    """Import configurations (your own simulation's, RSMI-NE's) as a run file that every
    gpurg command reads."""
    result = import_configurations(source, model=model, output=output, T=temperature,
                                   J=coupling, h=field, V=interaction, dataset=dataset,
                                   layout=layout, values=values)
    table = Table(title=f"imported {result.source}", title_justify="left", show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    attrs = result.attrs
    parameters = ", ".join(f"{k} = {attrs[k]:g}" for k in ("T", "J", "h", "V") if k in attrs)
    table.add_row("model", f"{result.model} ({parameters})")
    table.add_row("lattice", f"L = {result.L}")
    table.add_row("samples", f"{result.n_measurements * result.replicas} "
                  f"({result.n_measurements} measurements x {result.replicas} "
                  f"replica{'' if result.replicas == 1 else 's'}, "
                  f"read as {result.layout})")
    table.add_row("values", f"{_DESCRIBE[result.values]} "
                  f"({'detected' if result.detected else 'given'})")
    table.add_row("written", str(result.path))
    console.print(table)
