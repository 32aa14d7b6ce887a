"""``gpurg rg ...``: exponents and coupling flows from any coarse-graining rule."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import typer
from rich.table import Table

from gpurg.backend import get_backend
from gpurg.cli.common import (
    DeviceOption,
    FigureFormatOption,
    SchedulerOption,
    SeedOption,
    WorkersOption,
    checked_option,
    console,
    err_console,
    figure_beside,
    grid_engine,
    parse_list,
    write_results,
)
from gpurg.cli.rg_options import ModeOption, RuleOption
from gpurg.errors import InputError
from gpurg.figures.formats import FORMATS
from gpurg.io.hdf5 import check_output_path
from gpurg.models.ising import TEMPERATURE
from gpurg.models.ising_lattices import ising_lattice
from gpurg.rg.collapse import binder_curves, collapse_nu
from gpurg.rg.flow import FLOW_BLOCKS, critical_temperature, sampled_coupling_flow
from gpurg.rg.maps import make_map
from gpurg.rg.mcrg import MCRG_LEVELS, mcrg
from gpurg.rg.operators import DIM, DIMENSIONS, operator_sets
from gpurg.rsmi.files import load_spin_configurations
from gpurg.validation import Integer

app = typer.Typer(help="RG flows and critical exponents.", no_args_is_help=True)

_FLOW_BLOCKS = 16  # jackknife blocks of rg flow, given enough samples
# even operators used by exponents: at most the longest even set (each dimension's is cut to
# its own length)
_SETS = {d: operator_sets(d) for d in DIMENSIONS}
_OPERATORS = Integer(1, max(len(even) for even, _ in _SETS.values()), optional=True)
# what the commands pass on to the Ising sampler, which checks the rest (L even, <= 65536)
_COUNT = Integer(1)
_FLOW_LEVELS = Integer(2, text="an integer >= 2 (T_c compares levels 1 and 2)")
# rg flow's --dim -> the default --size and --temperatures (the 3D ones are the 2D ones'
# spread around T_c); the side's rule and the known T_c are the lattice's
_FLOW_DEFAULTS = {2: (64, "2.05,2.15,2.22,2.27,2.32,2.40,2.50"),
                  3: (16, "4.10,4.29,4.42,4.51,4.60,4.74,4.96")}


@app.command()
def exponents(
    source: Path = typer.Argument(..., help="A run file of independent ±1 configurations "
                                  "(e.g. Ising at T_c), 2D or 3D."),
    rule: str = RuleOption,
    mode: str = ModeOption,
    levels: int | None = checked_option(None, "--levels", constraint=MCRG_LEVELS,
                                        help="RG levels (default: down to 4 x 4)."),
    operators: int | None = checked_option(None, "--operators", constraint=_OPERATORS,
                                           help="Even operators used (the first m of the "
                                           "lattice's set; odd: as many, at most all)."),
    seed: int = SeedOption,
    device: str = DeviceOption,
) -> None:
    """Monte Carlo RG: y_t (ν = 1/y_t) and y_h at every level, with jackknife errors, and the
    convergence table over levels and operators. Square-lattice runs use the 2D operator sets,
    simple cubic ones (3D) the 3D sets (gpurg.rg.operators); the last row gives the exact
    (2D) or conformal-bootstrap (3D) exponents."""
    rg_map = make_map(rule, mode)
    backend = get_backend(device)
    configs, attrs = load_spin_configurations(source, "MCRG", dims=DIMENSIONS)
    dim = configs.ndim - 1
    n_meas = int(attrs.get("n_measurements", 1)) or 1
    replicas = configs.shape[0] // n_meas
    blocks = np.tile(np.arange(replicas), n_meas) if replicas >= 8 else 16
    all_even, all_odd = _SETS[dim]
    even = all_even if operators is None else all_even[:operators]
    odd = all_odd if operators is None else all_odd[:min(operators, len(all_odd))]
    result = mcrg(backend.xp.asarray(configs), rg_map, levels=levels, seed=seed, blocks=blocks,
                  even=even, odd=odd)
    table = Table(title=f"MCRG · {rule} · {dim}D · L={result.L} · {result.n_samples} samples "
                  f"· {result.n_blocks} jackknife blocks", title_justify="left")
    for col in ("level", "L", "ν", "y_t", "y_h"):
        table.add_column(col, justify="right")
    for level in range(1, result.n_levels + 1):
        nu, nu_err = result.nu(level)
        yt, yt_err = result.exponent("t", level)
        yh, yh_err = result.exponent("h", level)
        table.add_row(str(level), str(result.sizes[level]), f"{nu:.3f} ± {nu_err:.3f}",
                      f"{yt:.3f} ± {yt_err:.3f}", f"{yh:.4f} ± {yh_err:.4f}")
    lattice = ising_lattice(dim)  # the exponents beside which MCRG's are printed
    nu, y_h = lattice.reference["nu"], lattice.reference["yh"]
    table.add_row(lattice.reference_name, "", f"{nu:.3f}", f"{1 / nu:.3f}", f"{y_h:.4f}")
    console.print(table)
    console.print(result.table(), highlight=False)


@app.command()
def flow(
    ctx: typer.Context,
    rule: str = RuleOption,
    mode: str = ModeOption,
    dim: int = checked_option(2, "--dim", constraint=DIM, help="Dimension of the sampled "
                              "Ising model: 2 (square) or 3 (simple cubic)."),
    size: int | None = checked_option(None, "--size", "-L", constraint=Integer(2, optional=True),
                                      help="Ising lattice size (default 64 in 2D, 16 in 3D)."),
    temperatures: str | None = typer.Option(
        None, "--temperatures", help="Comma-separated starting temperatures (J = 1; default "
        "2.05,2.15,2.22,2.27,2.32,2.40,2.50 in 2D, 4.10,4.29,4.42,4.51,4.60,4.74,4.96 in 3D)."),
    levels: int = checked_option(2, "--levels", constraint=_FLOW_LEVELS, help="RG levels."),
    replicas: int = checked_option(64, "--replicas", "-R", constraint=_COUNT,
                                   help="Chains per temperature."),
    samples: int = checked_option(16, "--samples", constraint=_COUNT,
                                  help="Snapshots per chain."),
    seed: int = SeedOption,
    device: str = DeviceOption,
    output: Path = typer.Option(Path("flow.png"), "--output", "-o", help="The flow's figure "
                                "(.png, .svg, .pdf: its format), or a .h5 file of the couplings "
                                "with the figure beside it."),
    figure_format: str = FigureFormatOption,
    workers: int | None = WorkersOption,
    scheduler: str | None = SchedulerOption,
) -> None:
    """Coupling flow: sample Ising at each starting T, coarse-grain, fit the couplings by
    pseudo-likelihood at every level, locate T_c at the unstable fixed point, draw the flow.

    Each starting T is a task on Dask (--workers, --scheduler); without either, an embedded
    cluster of one worker per core, or this process when the points run on one GPU. The
    numbers are the same on every engine (each T's seeds are functions of the seed and its
    place among the sorted temperatures)."""
    suffix = output.suffix.lower().lstrip(".")
    if suffix in FORMATS:  # -o names the figure itself: its suffix is the format
        given = ctx.get_parameter_source("figure_format").name != "DEFAULT"
        if given and figure_format != suffix:
            raise InputError(f"--figure-format {figure_format} disagrees with --output "
                             f"{output}; allowed: the output's own suffix, {suffix}")
        check_output_path(output, (f".{suffix}",))
        data, figure = None, output
    else:
        check_output_path(output)
        data, figure = output, figure_beside(output, figure_format)
    lattice = ising_lattice(dim)
    default_size, default_temperatures = _FLOW_DEFAULTS[dim]
    size = lattice.side.check("--size/-L", default_size if size is None else size)
    temperatures = default_temperatures if temperatures is None else temperatures
    rg_map = make_map(rule, mode)
    if getattr(rg_map, "dim", dim) != dim:  # an RSMI filter of the other dimension
        raise InputError(f"rg flow samples the {dim}D Ising model (--dim {dim}); --rule {rule} "
                         f"is a {rg_map.dim}D filter")
    temps = sorted(parse_list(temperatures, "--temperatures", TEMPERATURE))
    if len(temps) < 3:
        raise InputError(f"--temperatures needs at least 3 temperatures, got {temperatures!r}")
    # jackknife blocks of samples: 16 where there are enough, never fewer than coupling_flow's
    # FLOW_BLOCKS, refused in terms of the options the user sets
    n_samples = replicas * samples
    if n_samples < FLOW_BLOCKS.low:
        raise InputError(f"--replicas × --samples must be >= {FLOW_BLOCKS.low} (one sample "
                         f"per jackknife block), got {replicas} × {samples} = {n_samples}")
    backend = get_backend(device)
    engine = grid_engine(workers, scheduler, len(set(temps)), backend)
    with console.status(f"[bold]sampling and fitting ({engine.describe()})…"):
        result = sampled_coupling_flow(size, temps, rg_map, levels, replicas=replicas,
                                       samples=samples, seed=seed, device=backend,
                                       blocks=min(_FLOW_BLOCKS, n_samples), engine=engine,
                                       dim=dim)
    tc, tc_err = critical_temperature(result)
    table = Table(title=f"coupling flow · {rule} · {dim}D · L={size}", title_justify="left")
    table.add_column("T", justify="right")
    for level in range(levels + 1):
        table.add_column(f"K_nn, level {level}", justify="right")
    for i, T in enumerate(result.temperatures):
        table.add_row(f"{T:.3f}", *(f"{result.K[i, k, 0]:.4f} ± {result.K_err[i, k, 0]:.4f}"
                                    for k in range(levels + 1)))
    console.print(table)
    console.print(f"T_c from the flow = {tc:.4f} ± {tc_err:.4f} ({lattice.T_c_source} "
                  f"{lattice.T_c:.4f})")
    from gpurg.figures import flow_figure  # matplotlib loads only to draw

    if data is not None:
        write_results(data, {"temperatures": result.temperatures, "K": result.K,
                             "K_err": result.K_err, "sizes": result.sizes},
                      {"operators": list(result.operators), "rule": rule, "L": size,
                       "dim": dim, "t_c": tc, "t_c_err": tc_err})
    flow_figure(result, figure, t_c=(tc, tc_err), reference=(lattice.T_c, lattice.T_c_source),
                title=f"coupling flow of {rule}, {dim}D, L = {size}")
    err_console.print(f"wrote {figure}" if data is None else f"wrote {data} and {figure}")


@app.command()
def collapse(
    sizes: str = typer.Option("8,16,32", "--sizes", help="Comma-separated lattice sizes."),
    temperatures: str = typer.Option("2.18,2.21,2.24,2.27,2.30,2.33,2.36", "--temperatures",
                                     help="Comma-separated temperatures near T_c (J = 1)."),
    replicas: int = checked_option(32, "--replicas", "-R", constraint=_COUNT,
                                   help="Chains per (L, T)."),
    sweeps: int = checked_option(200, "--sweeps", constraint=_COUNT, help="Sweeps per (L, T)."),
    seed: int = SeedOption,
    device: str = DeviceOption,
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the Binder curves "
                                       "and the collapse (.h5) and their figure beside it."),
    figure_format: str = FigureFormatOption,
    workers: int | None = WorkersOption,
    scheduler: str | None = SchedulerOption,
) -> None:
    """ν and T_c from the finite-size collapse of the Binder cumulant (for comparison with
    the RG estimates).

    Each (L, T) is a task on Dask (--workers, --scheduler); without either, an embedded
    cluster of one worker per core, or this process when the points run on one GPU. The
    numbers are the same on every engine (each point's seed is a function of the seed and
    its place in the grid)."""
    size_list = parse_list(sizes, "--sizes", ising_lattice(2).side)
    temps = parse_list(temperatures, "--temperatures", TEMPERATURE)
    if len(size_list) < 2 or len(temps) < 3:
        raise InputError("need at least 2 sizes and 3 temperatures")
    if output is not None:
        check_output_path(output)
        figure = figure_beside(output, figure_format)
    engine = grid_engine(workers, scheduler, len(size_list) * len(temps), device)
    with console.status(f"[bold]sampling ({engine.describe()})…"):
        curves = binder_curves(size_list, temps, replicas=replicas, sweeps=sweeps, seed=seed,
                               device=device, engine=engine)
    result = collapse_nu(curves, seed=seed)
    console.print(f"finite-size collapse of U(T, L), L = {sizes}: ν = {result.nu:.3f} ± "
                  f"{result.nu_err:.3f}, T_c = {result.t_c:.4f} ± {result.t_c_err:.4f} "
                  f"(exact 1 and {ising_lattice(2).T_c:.4f}); quality S = {result.quality:.2f}")
    if output is not None:
        from gpurg.figures import collapse_figure  # matplotlib loads only to draw

        data = {}
        for L, (T, U, dU) in curves.items():
            data.update({f"L{L}/T": T, f"L{L}/U": U, f"L{L}/U_err": dU})
        write_results(output, data, {"sizes": list(size_list), "nu": result.nu,
                                     "nu_err": result.nu_err, "t_c": result.t_c,
                                     "t_c_err": result.t_c_err, "quality": result.quality})
        collapse_figure(curves, result, figure)
        err_console.print(f"wrote {output} and {figure}")


from gpurg.cli.rg_hamiltonian import hamiltonian  # noqa: E402  (its own module; no cycle)

app.command()(hamiltonian)
