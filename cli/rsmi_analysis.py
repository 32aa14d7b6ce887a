"""``gpurg rsmi analyze``: what a learned filter is, printed and stored in its file."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from gpurg.cli.common import console, err_console
from gpurg.rsmi.analysis import FilterAnalysis
from gpurg.rsmi.files import add_analysis


def analyze(
    filter_path: Path = typer.Argument(..., metavar="FILTER",
                                       help="A filter file from rsmi train (.h5)."),
) -> None:
    """Decompose each unit of a filter (dimer images: weight on noise and bond pixels, the
    staggered E_x/E_y and columnar/plaquette patterns, the angle between the units' field
    components; spins, on square or cubic blocks: block-spin and staggered content, signs,
    shares by reflection parity, boundary weighting); print the table and write the numbers
    into the file's ``analysis`` group (the file is rewritten atomically)."""
    print_analysis(add_analysis(filter_path), filter_path.name)
    err_console.print(f"wrote the analysis into {filter_path}")


def print_analysis(analysis: FilterAnalysis, name: str) -> None:
    """The analysis as a table (one row per unit) and the units' pair angles."""
    what = "dimer-image pixels" if analysis.roles == "dimer" else "sites"
    table = Table(title=(f"{name}: {analysis.n_hidden} unit"
                         f"{'s' * (analysis.n_hidden > 1)} on "
                         f"{' x '.join([str(analysis.block)] * analysis.dim)} {what}"),
                  title_justify="left", caption=analysis.table_caption(), caption_justify="left")
    for column in analysis.table_columns():
        table.add_column(column, justify="right")
    for row in analysis.table_rows():
        table.add_row(*row)
    console.print(table)
    for line in analysis.pair_lines():
        console.print(line, highlight=False)
