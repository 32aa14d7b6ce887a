"""``gpurg rsmi ...``: learn coarse-graining rules by mutual information, and apply them."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import typer
from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from gpurg.backend import Backend, get_backend
from gpurg.cli.common import (
    DeviceOption,
    FigureFormatOption,
    LazyProgress,
    SchedulerOption,
    SeedOption,
    WorkersOption,
    checked_option,
    console,
    err_console,
    figure_beside,
    grid_engine,
    write_results,
)
from gpurg.cli.rsmi_analysis import analyze, print_analysis
from gpurg.cli.rsmi_landscape import landscape
from gpurg.cli.rsmi_options import (
    BatchSizeOption,
    BlockOption,
    EnvOption,
    EpochsOption,
    EstimatorOption,
    HiddenOption,
)
from gpurg.cli.rsmi_scan import scan
from gpurg.errors import InputError
from gpurg.io.hdf5 import RunWriter, check_output_path
from gpurg.models.base import REPLICAS
from gpurg.models.ising import SIDE, observables_from_sums
from gpurg.models.ising3d import SIDE as SIDE_3D
from gpurg.models.ising3d_exact import T_C as T_C_3D
from gpurg.models.ising_exact import T_C as T_C_2D
from gpurg.models.ising_layouts import spin_sums
from gpurg.rsmi.coarse import MODES, coarse_grain
from gpurg.rsmi.ensemble import ENSEMBLE, FilterEnsemble, train_ensemble, write_ensemble
from gpurg.rsmi.estimators import (
    HYPER_PARAMETERS,
    LEARNING_RATE,
    WEIGHT_DECAY,
    WIDTH,
)
from gpurg.rsmi.files import filter_roles, load_configurations, read_filter, write_filter
from gpurg.rsmi.geometry import BUFFER, DIMENSIONS, Geometry
from gpurg.rsmi.pairs import file_layout, file_pairs
from gpurg.rsmi.thermometer import calibrate_thermometer, rule_information
from gpurg.rsmi.training import RESTARTS, TrainResult, check_pairs, train_rule
from gpurg.validation import Choice, Integer

app = typer.Typer(help="RSMI: coarse-graining rules that maximise I(H:E).",
                  no_args_is_help=True)


@app.command()
def train(
    source: Path = typer.Argument(..., help="A gpurg run file (Ising spins, 2D or 3D, or "
                                  "dimer images)."),
    block: int = BlockOption,
    buffer: int = checked_option(0, "--buffer", constraint=BUFFER,
                                 help="Buffer width L_B."),
    env: int = EnvOption,
    hidden: int = HiddenOption,
    estimator: str = EstimatorOption,
    epochs: int = EpochsOption,
    pairs: int = checked_option(200_000, "--pairs", constraint=Integer(1),
                                help="(V, E) pairs drawn from the file."),
    restarts: int = checked_option(RESTARTS, "--restarts", constraint=Integer(1),
                                   help="Random initialisations."),
    batch_size: int = BatchSizeOption,
    learning_rate: float = checked_option(LEARNING_RATE, "--learning-rate",
                                          constraint=HYPER_PARAMETERS["learning_rate"],
                                          help="Initial Adam step."),
    weight_decay: float = checked_option(WEIGHT_DECAY, "--weight-decay",
                                         constraint=HYPER_PARAMETERS["weight_decay"],
                                         help="L2 penalty on the filters while training."),
    width: int = checked_option(WIDTH, "--width", constraint=HYPER_PARAMETERS["width"],
                                help="Hidden units of the estimator's model (the "
                                "predictor q(H|E), or the RBM)."),
    seed: int = SeedOption,
    device: str = DeviceOption,
    output: Path = typer.Option(..., "--output", "-o", help="Filter file to write (.h5); its "
                                "figure goes beside it (filter.png)."),
    figure_format: str = FigureFormatOption,
    seeds: int = checked_option(1, "--seeds", constraint=ENSEMBLE,
                                help="Training seeds of a filter ensemble: --seed, --seed + "
                                "1, ...; the file holds the best and the ensemble's spread."),
    workers: int | None = WorkersOption,
    scheduler: str | None = SchedulerOption,
) -> None:
    """Learn P_Λ(H|V) maximising I(H:E); print the MI ± error and the filters; draw them.

    With --seeds N > 1, a filter ensemble: member k is the rule `rsmi train --seed S+k`
    learns (its pairs and training seeded with S + k), one task each on Dask (--workers,
    --scheduler; without either, an embedded cluster of one worker per core, or this process
    when the members train on one GPU; the same filters on every engine). The table adds
    each member's MI and distance from the mean filter (canonical signs and order); the file
    holds the best member's rule and the whole ensemble (group ensemble).

    On a 3D run (simple cubic, configs (n, R, L, L, L)) the block, buffer and environment
    are cubes and cubic shells of those sides, and the filter file records dim = 3."""
    geometry = Geometry(block, buffer, env)
    check_output_path(output)
    figure = figure_beside(output, figure_format)
    check_pairs(pairs)  # before the file is read: the library's limit, not a copy of it
    backend = get_backend(device)
    configs, attrs = load_configurations(source, dims=DIMENSIONS, purpose="rsmi train")
    geometry = dataclasses.replace(geometry, dim=configs.ndim - 1)
    ensemble = None
    if seeds > 1:
        symmetric = file_layout(attrs)[1]
        engine = grid_engine(workers, scheduler, seeds, backend)
        with LazyProgress(TextColumn(f"[bold]RSMI ensemble ({engine.describe()})"),
                          BarColumn(), TextColumn("{task.completed}/{task.total} seeds"),
                          TimeElapsedColumn(), console=err_console) as bar:
            task = bar.add_task("train", total=seeds)
            ensemble = train_ensemble(
                configs, attrs, geometry, seeds=seeds, n_hidden=hidden, pairs=pairs,
                seed=seed, device=backend, engine=engine,
                progress=lambda done, total: bar.update(task, completed=done),
                estimator=estimator, epochs=epochs, batch_size=batch_size,
                learning_rate=learning_rate, restarts=restarts, weight_decay=weight_decay,
                width=width)
        result = ensemble.results[ensemble.best]
    else:
        result, symmetric = _train_one(configs, attrs, geometry, backend, hidden=hidden,
                                       estimator=estimator, epochs=epochs, pairs=pairs,
                                       restarts=restarts, batch_size=batch_size,
                                       learning_rate=learning_rate, weight_decay=weight_decay,
                                       width=width, seed=seed)
    settings = {"source": str(Path(source).resolve()), "model": str(attrs.get("model", "")),
                "seed": np.uint64(seed), "pairs": pairs, "epochs": epochs,
                "restarts": restarts, "weight_decay": weight_decay, "width": width,
                "symmetric": symmetric}
    for key in ("L", "T", "J", "h", "V"):
        if key in attrs:
            settings[f"source_{key}"] = attrs[key]
    if result.notes:
        settings["notes"] = " ".join(result.notes)
    if ensemble is not None:
        settings.update({"seed": ensemble.seeds[ensemble.best], "ensemble_first_seed":
                         np.uint64(seed), "ensemble_seeds": seeds})
    path = write_filter(output, result, geometry, settings)
    if ensemble is not None:
        write_ensemble(path, ensemble)
    from gpurg.figures import filter_figure  # matplotlib loads only to draw

    rule = result.rule.canonical()  # as the file holds it
    filter_figure(rule.filters.reshape(rule.n_hidden, *(geometry.block,) * geometry.dim), figure,
                  roles=filter_roles(attrs), mi=result.mi, mi_err=result.mi_err,
                  title=f"RSMI filters of {Path(source).name}: block {geometry.block}, buffer "
                  f"{geometry.buffer}, env {geometry.env}, {result.estimator}")
    console.print(filter_table(result, geometry))
    if ensemble is not None:
        console.print(ensemble_table(ensemble))
    analysis = read_filter(path).analysis
    if analysis is not None:
        print_analysis(analysis, f"what the filter reads ({path.name})")
    for note in result.notes:
        err_console.print(f"note: {note}", style="yellow", highlight=False)
    err_console.print(f"wrote {path} and {figure}")


def _train_one(configs: np.ndarray, attrs: dict, geometry: Geometry, backend: Backend, *,
               hidden: int, estimator: str, epochs: int, pairs: int, restarts: int,
               batch_size: int, learning_rate: float, weight_decay: float, width: int,
               seed: int) -> tuple[TrainResult, bool]:
    """One filter, trained in this process with a bar over its epochs (rsmi train)."""
    V, E, symmetric = file_pairs(backend.xp.asarray(configs), attrs, geometry,
                                 positions=pairs, seed=seed)
    columns = (TextColumn("[bold]RSMI"), BarColumn(), TextColumn("{task.completed}/{task.total}"
               " epochs"), TextColumn("MI {task.fields[mi]}"), TimeElapsedColumn())
    with LazyProgress(*columns, console=err_console) as bar:
        task = bar.add_task("train", total=epochs * restarts, mi="…")

        def progress(done: int, total: int, mi: float) -> None:
            bar.update(task, completed=done, total=total, mi=f"{mi:.4f} nats")

        result = train_rule(V, E, hidden, estimator=estimator, symmetric=symmetric,
                            epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                            restarts=restarts, weight_decay=weight_decay, width=width, seed=seed,
                            progress=progress)
    return result, symmetric


def ensemble_table(ensemble: FilterEnsemble) -> Table:
    """Each member's seed, MI ± error and distance from the mean filter (canonical signs and
    order), under the MI's mean ± standard deviation and the filters' relative spread."""
    table = Table(title=(f"filter ensemble · {len(ensemble.seeds)} seeds · I(H:E) = "
                         f"{ensemble.mi_mean:.4f} ± {ensemble.mi_std:.4f} nats (mean ± std) · "
                         f"filter spread {ensemble.spread:.4f} (rms distance / |mean|)"),
                  title_justify="left")
    for col in ("seed", "I(H:E) [nats]", "distance from mean", ""):
        table.add_column(col, justify="right")
    for k, (s, mi, err, d) in enumerate(zip(ensemble.seeds, ensemble.mi, ensemble.mi_err,
                                            ensemble.distance, strict=True)):
        table.add_row(str(s), f"{mi:.4f} ± {err:.4f}", f"{d:.4f}",
                      "best (in the file)" if k == ensemble.best else "")
    return table


def filter_table(result: TrainResult, geometry: Geometry) -> Table:
    """The MI with its error and restarts' spread, and each unit's filter as a grid."""
    spread = float(np.std(result.restarts)) if len(result.restarts) > 1 else 0.0
    table = Table(title=(f"I(H:E) = {result.mi:.4f} ± {result.mi_err:.4f} nats · "
                         f"{result.estimator} · block {geometry.block}, buffer "
                         f"{geometry.buffer}, env {geometry.env} · restarts "
                         f"{np.array2string(result.restarts, precision=4)} "
                         f"(spread {spread:.4f})"), title_justify="left")
    table.add_column("unit", justify="right")
    table.add_column("bias", justify="right")
    b = geometry.block
    table.add_column("filter (rows of the block)" if geometry.dim == 2 else
                     "filter (rows of each z-slice of the block)")
    for j, (row, bias) in enumerate(zip(result.rule.filters, result.rule.bias, strict=True)):
        # in 3D the slices (b rows of b each) follow each other, a blank line between them
        slices = [row[z * b * b:(z + 1) * b * b] for z in range(b ** (geometry.dim - 2))]
        grid = "\n\n".join("\n".join(" ".join(f"{w:+.3f}" for w in part[y * b:(y + 1) * b])
                                      for y in range(b)) for part in slices)
        table.add_row(str(j), f"{bias:+.3f}", grid)
    return table


@app.command("coarse-grain")
def coarse_grain_command(
    source: Path = typer.Argument(..., help="A gpurg run file to coarse-grain (2D or 3D, as "
                                  "the filter)."),
    filter_path: Path = typer.Option(..., "--filter", help="Filter file from rsmi train."),
    steps: int = checked_option(1, "--steps", constraint=Integer(1),
                                help="RG steps, reusing the filter."),
    mode: str = checked_option("sample", "--mode", constraint=Choice(MODES),
                               help="sample H from P(H|V), or max."),
    seed: int = SeedOption,
    device: str = DeviceOption,
    output: Path = typer.Option(..., "--output", "-o", help="Run file to write (.h5)."),
) -> None:
    """Apply a filter with stride L_V for one or more RG steps; writes a run file of the
    coarse spins (level recorded) in the sampler's layout. A 3D filter coarse-grains 3D runs
    (b x b x b cubes), a 2D one 2D runs."""
    check_output_path(output)
    flt = read_filter(filter_path)
    if flt.rule.n_hidden != 1:
        raise InputError(f"coarse-graining to a lattice needs one hidden unit per block, the "
                         f"filter has {flt.rule.n_hidden}")
    backend = get_backend(device)
    configs, attrs = load_configurations(source, dims=DIMENSIONS, purpose="rsmi coarse-grain")
    dim = configs.ndim - 1
    if dim != flt.geometry.dim:
        raise InputError(f"{filter_path} is a {flt.geometry.dim}D filter and {source} a {dim}D "
                         f"run: a filter coarse-grains lattices of its own dimension")
    n_meas = int(attrs.get("n_measurements", configs.shape[0]))
    replicas = configs.shape[0] // max(n_meas, 1)
    L = configs.shape[-1]
    b = flt.geometry.block
    if L % b**steps:
        raise InputError(f"{steps} steps of block {b} do not tile the "
                         f"{' x '.join([str(L)] * dim)} lattice")
    x = backend.xp.asarray(configs)
    for level in range(steps):
        x = coarse_grain(x, flt.rule, b, mode=mode, seed=seed, level=level,
                         device=backend)[:, 0]
    coarse = backend.asnumpy(x).reshape(n_meas, replicas, *x.shape[1:])
    level = int(attrs.get("level", 0)) + steps
    out_attrs = {"model": "coarse-grained", "source_model": str(attrs.get("model", "")),
                 "L": coarse.shape[-1], "level": level, "block": b, "steps": steps,
                 "mode": mode, "seed": np.uint64(seed), "replicas": replicas,
                 "source": str(Path(source).resolve()),
                 "filter": str(Path(filter_path).resolve())}
    for key in ("T", "J", "h", "V"):
        if key in attrs:
            out_attrs[key] = attrs[key]
    names = ("e", "m", "abs_m", "m2", "m4")
    n_sites = math.prod(coarse.shape[2:])
    with RunWriter(output, out_attrs, names, coarse.shape[1:]) as writer:
        for row in coarse:  # the observables at J = 1, h = 0, in any dimension
            writer.append(observables_from_sums(*spin_sums(row), n_sites, 1.0, 0.0), row)
    sides = " x ".join([str(coarse.shape[-1])] * dim)
    err_console.print(f"wrote {n_meas} measurements of {replicas} coarse {sides} lattices "
                      f"(level {level}) to {output}")



_THERMOMETER_BETAS = {2: (0.42, 0.43, 0.44, 0.45, 0.46), 3: (0.21, 0.215, 0.22, 0.225, 0.23)}
"""The thermometer's default β per lattice dimension: about ±5% around β_c (2D: Onsager's
0.4407; 3D: K_c = 0.2217, Ferrenberg, Xu & Landau 2018)."""


@app.command()
def thermometer(
    filter_path: Path = typer.Option(..., "--filter", help="Filter file from rsmi train."),
    size: int | None = checked_option(None, "--size", "-L",
                                      constraint=dataclasses.replace(SIDE, optional=True),
                                      help="Ising lattice size for calibration [default: 32 "
                                      "for a 2D filter, 16 for a 3D one]."),
    betas: str | None = typer.Option(None, "--betas", help="Comma-separated inverse "
                                     "temperatures (J = 1) [default: 0.42,0.43,0.44,0.45,0.46 "
                                     "for a 2D filter (β_c = 0.4407), 0.21,0.215,0.22,0.225,"
                                     "0.23 for a 3D one (β_c = 0.2217)]."),
    read: Path | None = typer.Option(None, "--read", help="A run file (e.g. coarse-grained) "
                                     "whose effective β to read off."),
    replicas: int = checked_option(64, "--replicas", "-R", constraint=REPLICAS,
                                   help="Chains per β."),
    sweeps: int = checked_option(200, "--sweeps", constraint=Integer(1),
                                 help="Sweeps per β (a sample every 10)."),
    pairs: int = checked_option(100_000, "--pairs", constraint=Integer(1),
                                help="(V, E) pairs per MI estimate."),
    epochs: int = checked_option(10, "--epochs", constraint=HYPER_PARAMETERS["epochs"],
                                 help="Predictor training epochs per estimate."),
    seed: int = SeedOption,
    device: str = DeviceOption,
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the calibration "
                                       "(.h5) and its figure beside it (MI against β)."),
    figure_format: str = FigureFormatOption,
    workers: int | None = WorkersOption,
    scheduler: str | None = SchedulerOption,
) -> None:
    """Calibrate MI(β) of a fixed filter on Ising samples near β_c, fit a line, and read the
    effective β of another sample from its MI. A 3D filter calibrates on the simple cubic
    Ising model and reads 3D runs.

    Each β is a task on Dask (--workers, --scheduler); without either, an embedded cluster
    of one worker per core, or this process when the points run on one GPU. The numbers are
    the same on every engine (each β's seed is a function of the seed and its place among
    the sorted β)."""
    try:
        beta_list = None if betas is None else [float(b) for b in betas.split(",")]
    except ValueError:
        raise InputError(f"--betas must be comma-separated numbers, got {betas!r}") from None
    figure = None
    if output is not None:
        check_output_path(output)
        figure = figure_beside(output, figure_format)
    flt = read_filter(filter_path)
    dim = flt.geometry.dim  # it calibrates on the Ising model of its filter's lattice
    size = {2: 32, 3: 16}[dim] if size is None else size
    if dim == 3:  # the simple cubic model's sides (the option's own check is the 2D model's)
        SIDE_3D.check("--size", size)
    beta_list = list(_THERMOMETER_BETAS[dim]) if beta_list is None else beta_list
    backend = get_backend(device)
    configs = None
    if read is not None:
        configs, _ = load_configurations(read, dims=DIMENSIONS, purpose="rsmi thermometer")
        if configs.ndim - 1 != dim:
            raise InputError(f"{filter_path} is a {dim}D filter and {read} a "
                             f"{configs.ndim - 1}D run: a filter reads lattices of its own "
                             f"dimension")
        flt.geometry.check_fits(*configs.shape[1:])
    with LazyProgress(TextColumn("[bold]thermometer"), BarColumn(),
                      TextColumn("{task.completed}/{task.total} β"), TimeElapsedColumn(),
                      console=err_console) as bar:
        task = bar.add_task("calibrate", total=len(beta_list))
        thermo = calibrate_thermometer(
            flt.rule, flt.geometry, size, beta_list, replicas=replicas, sweeps=sweeps,
            pairs=pairs, epochs=epochs, seed=seed, device=backend,
            progress=lambda done, total: bar.update(task, completed=done),
            engine=grid_engine(workers, scheduler, len(beta_list), backend))
    table = Table(title=(f"MI thermometer · L={size} · MI = {thermo.intercept:.4f} + "
                         f"{thermo.slope:.4f} β (χ² = {thermo.chi2:.1f}, "
                         f"{len(thermo.betas) - 2} dof)"), title_justify="left")
    table.add_column("β", justify="right")
    table.add_column("I(H:E) [nats]", justify="right")
    for beta, mi, err in zip(thermo.betas, thermo.mi, thermo.mi_err, strict=True):
        table.add_row(f"{beta:.4f}", f"{mi:.4f} ± {err:.4f}")
    console.print(table)
    reading = None
    if configs is not None:
        mi, err = rule_information(backend.xp.asarray(configs), flt.rule, flt.geometry,
                                   pairs=pairs, epochs=epochs, seed=seed)
        beta, beta_err = thermo.read(mi, err)
        reading = (mi, err, beta, beta_err)
        console.print(f"{read}: I(H:E) = {mi:.4f} ± {err:.4f} nats → effective β = "
                      f"{beta:.4f} ± {beta_err:.4f} (T = {1 / beta:.4f})")
        low, high = float(thermo.betas.min()), float(thermo.betas.max())
        if not low - beta_err <= beta <= high + beta_err:
            err_console.print(f"note: β = {beta:.4f} lies outside the calibrated range "
                              f"[{low:g}, {high:g}]: the line is extrapolated, calibrate "
                              f"with --betas around it", style="yellow", highlight=False)
    if output is not None:
        from gpurg.figures import thermometer_figure  # matplotlib loads only to draw

        attrs = {"intercept": thermo.intercept, "slope": thermo.slope, "chi2": thermo.chi2,
                 "L": size, "dim": dim, "filter": str(Path(filter_path).resolve())}
        if reading is not None:
            attrs.update({"read": str(Path(read).resolve()), "read_mi": reading[0],
                          "read_mi_err": reading[1], "read_beta": reading[2],
                          "read_beta_err": reading[3]})
        write_results(output, {"betas": thermo.betas, "mi": thermo.mi, "mi_err": thermo.mi_err,
                               "covariance": thermo.covariance}, attrs)
        thermometer_figure(thermo, figure, reading=reading,
                           beta_c=1 / (T_C_3D if dim == 3 else T_C_2D),
                           title=f"MI thermometer of {Path(filter_path).name}, L = {size}"
                           f"{' (simple cubic)' if dim == 3 else ''}")
        err_console.print(f"wrote {output} and {figure}")


app.command("analyze")(analyze)
app.command("scan")(scan)
app.command("landscape")(landscape)
