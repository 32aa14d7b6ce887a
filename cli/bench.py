"""``gpurg bench ...``: throughput benchmarks."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from gpurg.backend import get_backend
from gpurg.bench import (
    DEFAULT_REPLICAS,
    DIMER_MODELS,
    BenchResult,
    DimerBenchResult,
    bench_dimer_grid,
    bench_grid,
)
from gpurg.cli.common import console, err_console
from gpurg.errors import InputError
from gpurg.models.ising_rules import ALGORITHMS

app = typer.Typer(help="Benchmarks.", no_args_is_help=True)


def _ints(text: str | None, name: str) -> tuple[int, ...] | None:
    if text is None:
        return None
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise InputError(f"{name} must be comma-separated integers, got {text!r}") from None
    if not values or min(values) < 1:
        raise InputError(f"{name} must be positive integers, got {text!r}")
    return values


@app.command("ising")
def ising(
    device: str = typer.Option(
        "all", "--device", help="auto, cpu, gpu, numpy, or all (every backend available)."
    ),
    algorithms: str = typer.Option(",".join(ALGORITHMS), "--algorithms",
                                   help="Comma-separated algorithms."),
    sizes: str | None = typer.Option(None, "--sizes",
                                     help="Comma-separated L (default: per backend)."),
    replicas: str = typer.Option(",".join(map(str, DEFAULT_REPLICAS)), "--replicas",
                                 help="Comma-separated replica counts R."),
    seconds: float = typer.Option(0.5, "--seconds", help="Minimum timed seconds per point."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON records instead of a table."),
) -> None:
    """Spin updates per ns for each algorithm, backend, L and R (Ising at T_c)."""
    algos = tuple(algorithms.split(","))
    for a in algos:
        if a not in ALGORITHMS:
            raise InputError(f"unknown algorithm {a!r}; allowed: {', '.join(ALGORITHMS)}")
    size_list = _ints(sizes, "--sizes")
    replica_list = _ints(replicas, "--replicas")
    if not seconds > 0:
        raise InputError(f"--seconds must be > 0, got {seconds}")
    backends = _backends(device)
    results: list[BenchResult] = []
    for backend in backends:
        results += bench_grid(backend, algos, size_list, replica_list, min_seconds=seconds,
                              on_result=_report)
    if as_json:
        print(json.dumps([r.as_dict() for r in results], indent=1))
        return
    table = Table(title="Ising spin updates per ns (T = T_c)", title_justify="left")
    for col in ("backend", "device", "algorithm", "L", "R", "updates/ns"):
        table.add_column(col, justify="right" if col in ("L", "R", "updates/ns") else "left")
    for r in results:
        table.add_row(r.backend, r.device, r.algorithm, str(r.L), str(r.replicas),
                      f"{r.updates_per_ns:.3f}")
    console.print(table)


@app.command("dimer")
def dimer(
    device: str = typer.Option(
        "all", "--device", help="auto, cpu, gpu, numpy, or all (every backend available)."
    ),
    models: str = typer.Option(",".join(DIMER_MODELS), "--models",
                               help="free (T = inf) and/or interacting (V = -1, T = 0.65)."),
    sizes: str | None = typer.Option(None, "--sizes",
                                     help="Comma-separated L (default: 16, 64, 256)."),
    replicas: str | None = typer.Option(None, "--replicas",
                                        help="Comma-separated replica counts R (default: "
                                        "per backend)."),
    seconds: float = typer.Option(0.5, "--seconds", help="Minimum timed seconds per point."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON records instead of a table."),
) -> None:
    """Worm steps per ns for each model, backend, L and R (directed-loop dimer sampler)."""
    model_list = tuple(models.split(","))
    for m in model_list:
        if m not in DIMER_MODELS:
            raise InputError(f"unknown model {m!r}; allowed: {', '.join(DIMER_MODELS)}")
    size_list = _ints(sizes, "--sizes")
    replica_list = _ints(replicas, "--replicas")
    if size_list is not None and any(L % 2 or L < 4 for L in size_list):
        raise InputError(f"--sizes must be even and >= 4, got {sizes!r}")
    if not seconds > 0:
        raise InputError(f"--seconds must be > 0, got {seconds}")
    results: list[DimerBenchResult] = []
    for backend in _backends(device):
        results += bench_dimer_grid(backend, model_list, size_list, replica_list,
                                    min_seconds=seconds, on_result=_report_dimer)
    if as_json:
        print(json.dumps([r.as_dict() for r in results], indent=1))
        return
    table = Table(title="Dimer worm steps per ns", title_justify="left")
    for col in ("backend", "device", "model", "L", "R", "steps/ns"):
        table.add_column(col, justify="right" if col in ("L", "R", "steps/ns") else "left")
    for r in results:
        table.add_row(r.backend, r.device, r.model, str(r.L), str(r.replicas),
                      f"{r.steps_per_ns:.4f}")
    console.print(table)


def _report_dimer(r: DimerBenchResult) -> None:
    err_console.print(f"{r.backend:5s} {r.model:11s} L={r.L:<6d} R={r.replicas:<6d} "
                      f"{r.steps_per_ns:9.4f} steps/ns", highlight=False)


def _report(r: BenchResult) -> None:
    err_console.print(f"{r.backend:5s} {r.algorithm:13s} L={r.L:<6d} R={r.replicas:<5d} "
                      f"{r.updates_per_ns:9.3f} updates/ns", highlight=False)


def _backends(device: str) -> list:
    if device != "all":
        return [get_backend(device)]
    found = []
    for name in ("gpu", "cpu", "numpy"):
        try:
            backend = get_backend(name)
        except InputError:
            continue
        if backend.name == name:  # "cpu" falls back to numpy without a compiler
            found.append(backend)
    return found
