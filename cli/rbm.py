"""``gpurg rbm ...``: RBMs trained by likelihood (CD-k / PCD) on RSMI's visible blocks, the
baseline RSMI is compared with (issue 13)."""

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
    SeedOption,
    checked_option,
    console,
    err_console,
    figure_beside,
)
from gpurg.io.hdf5 import check_output_path
from gpurg.models.base import file_model
from gpurg.rsmi.files import load_configurations
from gpurg.rsmi.geometry import BLOCK, Geometry
from gpurg.rsmi.likelihood import (
    BATCH_SIZE,
    BLOCKS,
    CD_K,
    DEFAULTS,
    EPOCHS,
    LEARNING_RATE,
    N_HIDDEN,
    BlockRBM,
    train_block_rbm,
    write_block_rbm,
)

app = typer.Typer(help="RBMs trained by likelihood (CD-k, PCD) on RSMI's blocks V.",
                  no_args_is_help=True)


@app.command()
def train(
    source: Path = typer.Argument(..., help="A gpurg run file (Ising spins, or dimer images)."),
    block: int = checked_option(8, "--block", constraint=BLOCK,
                                help="Block side L_V (sites, or pixels for dimer images)."),
    hidden: int = checked_option(4, "--hidden", constraint=N_HIDDEN, help="Hidden units."),
    cd_k: int = checked_option(DEFAULTS["k"], "--cd-k", constraint=CD_K,
                               help="Gibbs steps per update (CD-k, or PCD-k)."),
    persistent: bool = typer.Option(False, "--persistent/--no-persistent",
                                    help="Persistent chains (PCD) instead of CD."),
    epochs: int = checked_option(DEFAULTS["epochs"], "--epochs", constraint=EPOCHS,
                                 help="Passes over the training blocks."),
    blocks: int = checked_option(DEFAULTS["blocks"], "--blocks", constraint=BLOCKS,
                                 help="Training blocks drawn from the file."),
    batch_size: int = checked_option(DEFAULTS["batch_size"], "--batch-size",
                                     constraint=BATCH_SIZE, help="Mini-batch size."),
    learning_rate: float = checked_option(DEFAULTS["learning_rate"], "--learning-rate",
                                          constraint=LEARNING_RATE, help="Step size."),
    seed: int = SeedOption,
    device: str = DeviceOption,
    output: Path = typer.Option(..., "--output", "-o", help="RBM file to write (.h5); its "
                                "figure goes beside it (rbm.png)."),
    figure_format: str = FigureFormatOption,
) -> None:
    """Train an RBM by CD-k or PCD on L_V x L_V blocks of a run file; print each unit's
    weight and, for dimer images, its share on the noise (vertex, face) and bond pixels;
    write the RBM and a figure of its weights."""
    check_output_path(output)
    figure = figure_beside(output, figure_format)
    backend = get_backend(device)
    configs, attrs = load_configurations(source)
    Geometry(block, 0, 1).check_fits(*configs.shape[-2:])
    kind = file_model(attrs)  # None for coarse-grained spins
    stride = 1 if kind is None else kind.block_stride
    roles = "site" if kind is None else kind.pixel_roles
    columns = (TextColumn("[bold]RBM"), BarColumn(), TextColumn("{task.completed}/{task.total}"
               " epochs"), TextColumn("log-likelihood {task.fields[ll]}"), TimeElapsedColumn())
    with LazyProgress(*columns, console=err_console) as bar:
        task = bar.add_task("train", total=epochs, ll="…")

        def progress(done: int, total: int, ll: float) -> None:
            bar.update(task, completed=done, total=total, ll=f"{ll:.4f} nats")

        result = train_block_rbm(configs, block, hidden, stride=stride, blocks=blocks, k=cd_k,
                                 persistent=persistent, epochs=epochs, batch_size=batch_size,
                                 learning_rate=learning_rate, seed=seed, device=backend,
                                 progress=progress)
    settings = {"source": str(Path(source).resolve()), "model": str(attrs.get("model", "")),
                "roles": roles}
    for key in ("L", "T", "V", "noise"):
        if key in attrs:
            settings[f"source_{key}"] = attrs[key]
    path = write_block_rbm(output, result, settings)
    from gpurg.figures import filter_figure  # matplotlib loads only to draw

    method = f"{'PCD' if persistent else 'CD'}-{cd_k}"
    filter_figure(result.weights, figure, roles=roles,
                  title=f"RBM ({method}) weights on {block}x{block} blocks of "
                  f"{Path(source).name}: {hidden} hidden unit{'s' * (hidden > 1)}")
    console.print(unit_table(result, roles, method))
    err_console.print(f"wrote {path} and {figure}")


def unit_table(result: BlockRBM, roles: str, method: str) -> Table:
    """Per unit: |W_j|, the hidden bias and, for dimer images, the shares of |W_j|^2 on the
    noise (vertex + face) pixels, on the bond pixels, and on the strongest vertex–face pair
    (:meth:`BlockRBM.analysis`; an odd block, which ends in half sites, has none)."""
    ll, base = result.log_likelihood, result.independent_log_likelihood
    head = f"RBM {method} · {result.n_hidden} hidden · block {result.block}"
    if not math.isnan(ll):
        head += (f" · test log-likelihood {ll:.4f} nats/block (independent pixels "
                 f"{base:.4f}, gain {ll - base:.4f})")
    table = Table(title=head, title_justify="left")
    for name in ("unit", "|W|", "hidden bias"):
        table.add_column(name, justify="right")
    norms = np.linalg.norm(result.weights.reshape(result.n_hidden, -1), axis=1)
    rows = [[str(j), f"{norms[j]:.3f}", f"{result.hidden_bias[j]:+.3f}"]
            for j in range(result.n_hidden)]
    if roles == "dimer" and result.block % 2 == 0:  # undefined for half sites
        shares = result.analysis(roles)
        for name in ("noise share", "bond share", "top pair share"):
            table.add_column(name, justify="right")
        for j, row in enumerate(rows):
            row += [_share(shares.noise_share[j]), _share(shares.bond_share[j]),
                    _share(shares.pair_share[j])]
    for row in rows:
        table.add_row(*row)
    return table


def _share(value: float) -> str:
    return f"{value:.3f}" if math.isfinite(value) else "—"
