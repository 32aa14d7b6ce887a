"""``gpurg ising ...``: sample the 2D Ising model."""

from __future__ import annotations

import warnings
from pathlib import Path

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
from gpurg.models.ising import COUPLING, FIELD, SIDE, TEMPERATURE, IsingModel
from gpurg.models.ising_exact import exact_reference
from gpurg.sampling import SampleRun, resume_run, sample_ising

app = typer.Typer(help="The 2D Ising model.", no_args_is_help=True)

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
    # evenness and the non-zero coupling are the model's checks, after parsing; the
    # messages of the options named by a symbol name it too ("--size/-L must be ...")
    size: int = typer.Option(32, "--size", "-L", help="Linear size L (even, >= 4).",
                             callback=SIDE.callback("--size/-L")),
    temperature: float = typer.Option(
        2.269185314213022, "--temperature", "-T", help="Temperature (default: T_c, J = 1).",
        callback=TEMPERATURE.callback("--temperature/-T")),
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
    """Sample the 2D Ising model on an L x L torus and report observables with errors."""
    if resume is None:
        model = IsingModel(size, temperature, coupling, field)
    else:
        expect = resume_expectations(ctx, resume, _RESUME_ATTRIBUTES, IsingModel)
    label = f"Ising L={size} T={temperature:g}" if resume is None else f"Ising {resume.name}"
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


def summary_table(run: SampleRun) -> Table:
    """Rich table of an Ising run's observables: value ± error and τ_int (in measurements)."""
    model = run.model
    title = (f"Ising L={model.L} T={model.T:g} J={model.J:g} h={model.h:g} · "
             f"{run.attrs['algorithm']} ({run.attrs.get('spin_layout', 'bytes')}) · "
             f"{run.observables['e'].shape[1]} replicas × {run.n_measurements} measurements · "
             f"{run.backend.name} ({run.backend.device_name}) · {run.seconds:.2f} s")
    exact = exact_reference(model.L, model.T, model.J, model.h)
    return estimate_table(title, _ROWS, run.summary, exact)
