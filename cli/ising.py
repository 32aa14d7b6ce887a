"""``gpurg ising ...``: sample the 2D Ising model, or the simple-cubic one with ``--dim 3``."""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path

import h5py
import typer
from rich.table import Table

from gpurg.cli.common import (
    CheckpointOption,
    DeviceOption,
    EveryOption,
    ReplicasOption,
    SeedOption,
    SweepsOption,
    checked_option,
    console,
    estimate_table,
    report_run,
    sweep_progress,
    thermalize_option,
)
from gpurg.cli.resume import resume_expectations
from gpurg.models.ising import COUPLING, FIELD, TEMPERATURE
from gpurg.models.ising_lattices import DIMENSION, ISING_LATTICES, ising_lattice, lattice_of
from gpurg.sampling import SampleRun, resume_run, sample_ising
from gpurg.validation import Integer

app = typer.Typer(help="The Ising model: 2D square or 3D simple cubic.", no_args_is_help=True)

# --dim -> the default --size (the default --temperature is the lattice's T_c)
_DEFAULT_SIZES = {2: 32, 3: 16}
# the options take the sides and temperatures of either model; the model's own rule for
# its dimension is checked after parsing
ANY_SIDE = Integer(2, optional=True)
ANY_TEMPERATURE = replace(TEMPERATURE, optional=True)

# Print order and labels of the summary table.
_ROWS = (
    ("e", "energy per site e"),
    ("abs_m", "|m|"),
    ("m2", "m²"),
    ("m4", "m⁴"),
    ("m", "m"),
    ("binder", "Binder U"),  # 1 - <m⁴>/3<m²>²
    ("c", "specific heat c"),  # N (<e²> - <e>²) / T²
    ("chi", "susceptibility χ"),  # N (<m²> - <|m|>²) / T
)


# option -> the run file's attribute it must match beside --resume
_RESUME_ATTRIBUTES = {"size": "L", "temperature": "T", "coupling": "J", "field": "h",
                      "replicas": "replicas", "sweeps": "sweeps", "thermalize": "thermalize",
                      "every": "every", "algorithm": "algorithm", "start": "start",
                      "seed": "seed", "configs": "store_configs", "layout": "spin_layout"}


@app.command()
def sample(
    ctx: typer.Context,
    # the side's rule of the dimension and the non-zero coupling are the model's checks,
    # after parsing; the messages of the options named by a symbol name it too
    # ("--size/-L must be ...")
    dim: int = typer.Option(2, "--dim", help="Dimension: 2 (square lattice, L x L) or 3 "
                            "(simple cubic, L x L x L).", callback=DIMENSION.callback("--dim")),
    size: int | None = typer.Option(
        None, "--size", "-L", help="Linear size L (even; >= 4 in 2D, >= 2 in 3D; default 32 "
        "in 2D, 16 in 3D).", callback=ANY_SIDE.callback("--size/-L")),
    temperature: float | None = typer.Option(
        None, "--temperature", "-T", help="Temperature (default: T_c of the dimension at "
        "J = 1: 2.269 in 2D, 4.5115 in 3D).",
        callback=ANY_TEMPERATURE.callback("--temperature/-T")),
    coupling: float = checked_option(1.0, "--coupling", constraint=COUPLING,
                                     help="Coupling J (either sign)."),
    field: float = checked_option(0.0, "--field", constraint=FIELD, help="Uniform field h."),
    replicas: int = ReplicasOption,
    sweeps: int = SweepsOption,
    thermalize: int = thermalize_option(200),
    every: int = EveryOption,
    algorithm: str = typer.Option(
        "swendsen-wang", "--algorithm", help="metropolis, heatbath or swendsen-wang."
    ),
    start: str = typer.Option("hot", "--start", help="hot (random) or cold (all +1)."),
    layout: str = typer.Option(
        "auto", "--layout", help="How the spins are held: auto (the fastest exact layout for "
        "the request), bits (bit-packed: replica-bits or row-bits), bytes, replica-bits or "
        "row-bits. The same Markov chain in each, with different random numbers."),
    device: str = DeviceOption,
    seed: int = SeedOption,
    checkpoint: float = CheckpointOption,
    output: Path | None = typer.Option(None, "--output", "-o", help="HDF5 file to write."),
    configs: bool = typer.Option(True, "--configs/--no-configs",
                                 help="Store the spins of every measurement."),
    resume: Path | None = typer.Option(
        None, "--resume", help="Continue this interrupted run file in place, with its own "
        "parameters (other options given must match them; --device may differ)."),
) -> None:
    """Sample the Ising model on an L x L torus (--dim 3: L x L x L) and report observables
    with errors."""
    if resume is not None and ctx.get_parameter_source("dim").name == "DEFAULT":
        dim = _dimension_of(resume)
    lattice = ising_lattice(dim)
    if resume is None:
        size = lattice.side.check("--size/-L", _DEFAULT_SIZES[dim] if size is None else size)
        model = lattice.model(size, lattice.T_c if temperature is None else temperature,
                              coupling, field)
        label = f"{lattice.title} L={size} T={model.T:g}"
    else:
        # --dim, when given, is checked through the model's name
        expect = resume_expectations(ctx, resume, {**_RESUME_ATTRIBUTES, "dim": "dim"},
                                     lattice.model)
        expect.pop("dim", None)
        label = f"{lattice.title} {resume.name}"
    with (sweep_progress(label) as update, warnings.catch_warnings(record=True) as caught):
        warnings.simplefilter("always", RuntimeWarning)
        if resume is None:
            run = sample_ising(model, replicas=replicas, algorithm=algorithm, start=start,
                               seed=seed, sweeps=sweeps, thermalize=thermalize, every=every,
                               device=device, output=output, store_configs=configs,
                               progress=update, checkpoint=checkpoint, layout=layout)
        else:
            run = resume_run(resume, device=device, expect=expect, progress=update,
                             checkpoint=checkpoint)
    console.print(summary_table(run))
    report_run(caught, run.output, run.n_measurements)


def _dimension_of(resume: Path) -> int:
    """The dimension of a run file's Ising model, 2 for any other file (the resumed run
    reports a file that is no Ising run)."""
    try:
        with h5py.File(resume, "r") as file:
            name = file.attrs.get("model")
    except OSError:  # missing or not HDF5: resume_run says so
        return 2
    return next((d for d, lattice in ISING_LATTICES.items() if lattice.model.name == name), 2)


def summary_table(run: SampleRun) -> Table:
    """Rich table of an Ising run's observables: value ± error and τ_int (in measurements);
    the exact column where an exact result is known (2D: 4x4 and 6x6 tori at any h, the
    Ferdinand-Fisher energy and specific heat at h = 0; 3D: the 2x2x2 torus)."""
    model = run.model
    lattice = lattice_of(model)
    title = (f"{lattice.title} L={model.L} T={model.T:g} J={model.J:g} h={model.h:g} · "
             f"{run.attrs['algorithm']} ({run.attrs.get('spin_layout', 'bytes')}) · "
             f"{run.observables['e'].shape[1]} replicas × {run.n_measurements} measurements · "
             f"{run.backend.name} ({run.backend.device_name}) · {run.seconds:.2f} s")
    exact = lattice.exact_reference(model.L, model.T, model.J, model.h)
    return estimate_table(title, _ROWS, run.summary, exact)
