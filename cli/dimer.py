"""``gpurg dimer ...``: sample the classical dimer model, convert between encodings."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import typer
from rich.table import Table

from gpurg.cli.common import (
    CheckpointOption,
    DeviceOption,
    EveryOption,
    FigureFormatOption,
    ReplicasOption,
    SeedOption,
    SweepsOption,
    checked_option,
    console,
    err_console,
    estimate_table,
    figure_beside,
    report_run,
    sweep_progress,
    thermalize_option,
)
from gpurg.cli.resume import resume_expectations
from gpurg.errors import InputError
from gpurg.io.hdf5 import RunWriter, check_output_path, read_run
from gpurg.io.rsmi_ne import save_npy
from gpurg.io.validate import DIMER_CODES, DIMER_PIXELS, check_values, located, read_checked
from gpurg.models.dimer import INTERACTION, SIDE, TEMPERATURE, DimerModel
from gpurg.models.dimer_encodings import (
    NOISES,
    from_rsmi_ne,
    to_image,
    validate_codes,
)
from gpurg.models.dimer_exact import exact_reference
from gpurg.sampling import SampleRun, resume_run, sample_dimer
from gpurg.validation import Integer

app = typer.Typer(help="The classical dimer model (close-packed, square torus).",
                  no_args_is_help=True)

# Print order and labels of the summary table.
_ROWS = (
    ("e", "energy per site e"),  # V N_par / L²
    ("n_par", "N_∥ / L²"),
    ("col2", "columnar order |C|²"),
    ("cx", "C_x"),
    ("cy", "C_y"),
    ("w2", "winding W_x² + W_y²"),
    ("wx", "W_x"),
    ("wy", "W_y"),
    ("worm_length", "mean worm length"),
)
_MAX_CORRELATION_ROWS = 8
_CONVERT_FORMATS = ("rsmi-ne", "codes", "image")


# option -> the run file's attribute it must match beside --resume
_RESUME_ATTRIBUTES = {"size": "L", "temperature": "T", "interaction": "V", "replicas": "replicas",
                      "sweeps": "sweeps", "thermalize": "thermalize", "every": "every",
                      "start": "start", "rule": "rule", "worms_per_sweep": "worms_per_sweep",
                      "seed": "seed", "noise": "noise", "encoding": "encoding",
                      "configs": "store_configs"}


@app.command()
def sample(
    ctx: typer.Context,
    # evenness and the lowest temperature for V are the model's checks, after parsing; the
    # messages of the options named by a symbol name it too ("--size/-L must be ...")
    size: int = typer.Option(16, "--size", "-L", help="Linear size L (even, >= 4).",
                             callback=SIDE.callback("--size/-L")),
    temperature: float = typer.Option(
        math.inf, "--temperature", "-T", help="Temperature, or inf (all coverings equal).",
        callback=TEMPERATURE.callback("--temperature/-T")),
    interaction: float = typer.Option(
        -1.0, "--interaction", "-V", help="Energy V per plaquette of two parallel dimers.",
        callback=INTERACTION.callback("--interaction/-V")),
    replicas: int = ReplicasOption,
    sweeps: int = SweepsOption,
    thermalize: int = thermalize_option(100),
    every: int = EveryOption,
    start: str = typer.Option("random", "--start", help="columnar, staggered or random."),
    rule: str = typer.Option("minimal-bounce", "--rule",
                             help="Directed-loop solution: minimal-bounce or heat-bath."),
    worms_per_sweep: int | None = checked_option(
        None, "--worms-per-sweep", constraint=Integer(1, optional=True),
        help="Worms per sweep (default: calibrated to L²/2 steps)."),
    device: str = DeviceOption,
    seed: int = SeedOption,
    checkpoint: float = CheckpointOption,
    output: Path | None = typer.Option(None, "--output", "-o", help="HDF5 file to write; the "
                                       "correlations' figure goes beside it (run.png)."),
    figure_format: str = FigureFormatOption,
    noise: str = typer.Option(
        "none", "--noise", help="Image decoration: none, correlated or independent (implies "
        "--encoding image)."
    ),
    encoding: str = typer.Option("codes", "--encoding",
                                 help="codes, or image: also store 2L x 2L images."),
    configs: bool = typer.Option(True, "--configs/--no-configs",
                                 help="Store the site codes of every measurement."),
    resume: Path | None = typer.Option(
        None, "--resume", help="Continue this interrupted run file in place, with its own "
        "parameters (other options given must match them; --device may differ)."),
) -> None:
    """Sample close-packed dimers on an L x L torus with directed-loop worms and report
    observables with errors."""
    if resume is None:
        model = DimerModel(size, temperature, interaction)
    else:
        expect = resume_expectations(ctx, resume, _RESUME_ATTRIBUTES, DimerModel)
    target = output if resume is None else resume
    figure = None if target is None else figure_beside(target, figure_format)
    label = f"dimers L={size} T={temperature:g}" if resume is None else f"dimers {resume.name}"
    with (sweep_progress(label) as update, warnings.catch_warnings(record=True) as caught):
        warnings.simplefilter("always", RuntimeWarning)
        if resume is None:
            run = sample_dimer(model, replicas=replicas, start=start, rule=rule,
                               worms_per_sweep=worms_per_sweep, seed=seed, sweeps=sweeps,
                               thermalize=thermalize, every=every, device=device,
                               output=output, store_configs=configs, encoding=encoding,
                               noise=noise, progress=update, checkpoint=checkpoint)
        else:
            run = resume_run(resume, device=device, expect=expect, progress=update,
                             checkpoint=checkpoint)
    console.print(summary_table(run))
    console.print(correlation_table(run))
    report_run(caught, run.output, run.n_measurements)
    if figure is not None and run.output is not None and run.n_measurements:
        from gpurg.figures import correlation_figure  # matplotlib loads only to draw

        model = run.model
        correlation_figure(run.profiles, figure, free=math.isinf(model.T) or model.V == 0,
                           title=f"dimer–dimer correlations, L = {model.L}, T = {model.T:g}, "
                           f"V = {model.V:g}")
        err_console.print(f"wrote {figure}")


def summary_table(run: SampleRun) -> Table:
    """Rich table of a dimer run's observables: value ± error, τ_int, and exact values where
    an enumeration of the torus gives them (L = 4, 6)."""
    model = run.model
    title = (f"dimers L={model.L} T={model.T:g} V={model.V:g} · {run.attrs['rule']}, "
             f"{run.attrs['worms_per_sweep']} worms/sweep · "
             f"{run.observables['e'].shape[1]} replicas × "
             f"{run.n_measurements} measurements · {run.backend.name} "
             f"({run.backend.device_name}) · {run.seconds:.2f} s")
    exact = exact_reference(model.L, model.V, model.T) if model.L in (4, 6) else {}
    if exact:
        exact = {**exact, "w2": exact["wx2"] + exact["wy2"], "wx": 0.0, "wy": 0.0}
    return estimate_table(title, _ROWS, run.summary, exact)


def correlation_table(run: SampleRun) -> Table:
    """Connected dimer-dimer correlations C(r) - 1/16 along and across the dimers, with the
    exact values where an enumeration gives them (L = 4, 6)."""
    model = run.model
    table = Table(title="dimer-dimer correlations <n(0) n(r)> - 1/16", title_justify="left")
    table.add_column("r", justify="right")
    exact = exact_reference(model.L, model.V, model.T)["corr"] if model.L in (4, 6) else None
    for name in ("along", "across"):
        table.add_column(name, justify="right")
        if exact is not None:
            table.add_column("exact", justify="right")
    for r in range(1, min(model.L // 2, _MAX_CORRELATION_ROWS) + 1):
        row = [str(r)]
        for i, key in enumerate(("corr_long", "corr_trans")):
            mean, error = run.profiles[key]
            # NaN: one measurement of too few replicas, as noted under the summary
            err = "n/a" if np.isnan(error[r]) else f"{error[r]:.5f}"
            row.append(f"{mean[r] - 1 / 16:+.5f} ± {err}")
            if exact is not None:
                row.append(f"{exact[i, r] - 1 / 16:+.5f}")
        table.add_row(*row)
    return table


@app.command()
def convert(
    source: Path = typer.Argument(..., help="A gpurg .h5 run file, or an .npy array of site "
                                  "codes (N, L, L) or of images (N, 2L, 2L) such as RSMI-NE's."),
    target: Path = typer.Argument(..., help="The file to write: .npy or .h5."),
    to: str = typer.Option("rsmi-ne", "--to", help="Array written to an .npy target: "
                           "rsmi-ne (float64 0/1 images), codes (int8) or image (uint8)."),
    noise: str | None = typer.Option(
        None, "--noise", help="Redraw the vertex/face decoration of the images: none, "
        "correlated or independent (default: keep the source's images, else none)."),
    seed: int = SeedOption,
) -> None:
    """Convert dimer coverings between site codes, 2L x 2L images and RSMI-NE's layout."""
    if to not in _CONVERT_FORMATS:
        raise InputError(f"unknown format {to!r}; allowed: {', '.join(_CONVERT_FORMATS)}")
    if noise is not None and noise not in NOISES:
        raise InputError(f"unknown noise {noise!r}; allowed: {', '.join(NOISES)}")
    suffix = target.suffix.lower()
    if suffix not in (".npy", ".h5", ".hdf5"):
        raise InputError(f"{target}: target must end in .npy, .h5 or .hdf5")
    check_output_path(target, None)
    codes, images = _read_coverings(source)
    if images is None or noise is not None:
        images = to_image(codes, noise=noise or "none", key=seed)
    n, L = codes.shape[0], codes.shape[-1]
    if suffix == ".npy":
        # RSMI-NE reads float64 0/1 images (see gpurg.models.dimer_encodings.to_rsmi_ne)
        array = {"rsmi-ne": images.astype(np.float64), "codes": codes, "image": images}[to]
        save_npy(target, array)
    else:
        attrs = {"model": DimerModel.name, "L": L, "replicas": 1, "source": str(source.resolve())}
        with RunWriter(target, attrs, (), (1, L, L),
                       {"images": (np.uint8, (1, 2 * L, 2 * L))}) as writer:
            for i in range(n):
                writer.append({}, codes[i : i + 1], {"images": images[i : i + 1]})
    err_console.print(f"wrote {n} coverings of L={L} to {target}")


def _read_coverings(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    """Coverings of a run file or an .npy array: int8 codes (N, L, L) and, when the source
    holds images, uint8 images (N, 2L, 2L) with their vertex and face pixels."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if path.suffix.lower() in (".h5", ".hdf5"):
        try:
            run = read_run(path)
        except (OSError, ValueError) as exc:
            raise InputError(f"{path}: not a gpurg run file ({exc})") from exc
        if run.attrs.get("model") != DimerModel.name or not run.has_configs:
            raise InputError(f"{path}: not a dimer run with stored configurations")
        codes = read_checked(run, "configs")
        L = codes.shape[-1]
        with located(f"{path}: configs"):
            validate_codes(codes)
        images = read_checked(run, "images") if "images" in run.arrays else None
        return (codes.reshape(-1, L, L),
                None if images is None else images.reshape(-1, 2 * L, 2 * L))
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable .npy array ({exc})") from exc
    if array.ndim == 4 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim != 3 or array.shape[1] != array.shape[2]:
        raise InputError(f"{path}: expected an array of shape (N, L, L) or (N, 2L, 2L), "
                         f"got {array.shape}")
    if np.issubdtype(array.dtype, np.integer) and array.size and array.max() > 1:
        check_values(array, DIMER_CODES, str(path))
        with located(str(path)):
            return validate_codes(array), None
    check_values(array, DIMER_PIXELS, str(path))
    with located(str(path)):
        codes = from_rsmi_ne(array)
    return codes, array.astype(np.uint8)
