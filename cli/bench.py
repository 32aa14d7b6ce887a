"""``gpurg bench ...``: throughput benchmarks."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import typer
from rich.table import Table

from gpurg.backend import get_backend
from gpurg.cli.common import checked_option, console, err_console, parse_list
from gpurg.errors import InputError
from gpurg.jobs.bench import (
    DEFAULT_REPLICAS,
    DIMENSION,
    DIMER_MODELS,
    MIN_SECONDS,
    REPLICAS,
    RSMI_PAIRS,
    SIZE,
    BenchResult,
    DimerBenchResult,
    bench_dimer_grid,
    bench_grid,
    bench_rbm,
    bench_rsmi,
    check_grid,
)
from gpurg.models.ising_lattices import ising_lattice
from gpurg.models.ising_rules import ALGORITHMS

app = typer.Typer(help="Benchmarks.", no_args_is_help=True)


def _grid(sizes: str | None, replicas: str | None) -> tuple[tuple[int, ...] | None,
                                                             tuple[int, ...] | None]:
    """The L and R lists of ``--sizes`` and ``--replicas`` (None: the backend's defaults),
    checked by the benchmarks' rules before anything is timed."""
    size_list = None if sizes is None else parse_list(sizes, "--sizes", SIZE)
    replica_list = None if replicas is None else parse_list(replicas, "--replicas", REPLICAS)
    check_grid(size_list or (), replica_list or (), names=("--sizes", "--replicas"))
    return size_list, replica_list


# options shared by the benchmark commands
_DEVICE = typer.Option(
    "all", "--device", help="auto, cpu, gpu, numpy, or all (every backend available)."
)
_SECONDS = checked_option(0.5, "--seconds", constraint=MIN_SECONDS,
                          help="Minimum timed seconds per point.")
_JSON = typer.Option(False, "--json", help="Print JSON records instead of a table.")


def _names(text: str, allowed: tuple[str, ...], what: str) -> tuple[str, ...]:
    names = tuple(text.split(","))
    for name in names:
        if name not in allowed:
            raise InputError(f"unknown {what} {name!r}; allowed: {', '.join(allowed)}")
    return names


@app.command("ising")
def ising(
    device: str = _DEVICE,
    algorithms: str = typer.Option(",".join(ALGORITHMS), "--algorithms",
                                   help="Comma-separated algorithms."),
    sizes: str | None = typer.Option(None, "--sizes",
                                     help="Comma-separated L (default: per backend)."),
    replicas: str = typer.Option(",".join(map(str, DEFAULT_REPLICAS)), "--replicas",
                                 help="Comma-separated replica counts R."),
    layouts: str | None = typer.Option(None, "--layouts",
                                       help="Comma-separated spin layouts (each where the "
                                       "algorithm and L allow it), or auto: the sampler's "
                                       "own choice (default: every layout of the lattice)."),
    dim: int = checked_option(2, "--dim", constraint=DIMENSION,
                              help="Lattice: 2 (L x L square torus) or 3 (L x L x L simple "
                              "cubic); the default sizes follow it."),
    seconds: float = _SECONDS,
    as_json: bool = _JSON,
) -> None:
    """Spin updates per ns for each algorithm, layout, backend, L and R (Ising at T_c)."""
    algos = _names(algorithms, ALGORITHMS, "algorithm")
    all_layouts = tuple(ising_lattice(dim).layouts)
    layout_list = (all_layouts if layouts is None
                   else _names(layouts, ("auto", *all_layouts), "layout"))
    size_list, replica_list = _grid(sizes, replicas)
    results: list[BenchResult] = []
    for backend in _backends(device):
        results += bench_grid(backend, algos, size_list, replica_list, min_seconds=seconds,
                              on_result=_report, layouts=layout_list, dim=dim)
    _print_results(results, as_json, f"Ising spin updates per ns ({dim}D, T = T_c)",
                   ("algorithm (layout)", "updates/ns"),
                   lambda r: (f"{r.algorithm} ({r.layout})", f"{r.updates_per_ns:.3f}"))


@app.command("dimer")
def dimer(
    device: str = _DEVICE,
    models: str = typer.Option(",".join(DIMER_MODELS), "--models",
                               help="free (T = inf) and/or interacting (V = -1, T = 0.65)."),
    sizes: str | None = typer.Option(None, "--sizes",
                                     help="Comma-separated L (default: 16, 64, 256)."),
    replicas: str | None = typer.Option(None, "--replicas",
                                        help="Comma-separated replica counts R (default: "
                                        "per backend)."),
    seconds: float = _SECONDS,
    as_json: bool = _JSON,
) -> None:
    """Worm steps per ns for each model, backend, L and R (directed-loop dimer sampler)."""
    model_list = _names(models, tuple(DIMER_MODELS), "model")
    size_list, replica_list = _grid(sizes, replicas)
    results: list[DimerBenchResult] = []
    for backend in _backends(device):
        results += bench_dimer_grid(backend, model_list, size_list, replica_list,
                                    min_seconds=seconds, on_result=_report_dimer)
    _print_results(results, as_json, "Dimer worm steps per ns", ("model", "steps/ns"),
                   lambda r: (r.model, f"{r.steps_per_ns:.4f}"))


@app.command("rsmi")
def rsmi(
    device: str = _DEVICE,
    pairs: int = checked_option(100_000, "--pairs", constraint=RSMI_PAIRS,
                                help="(V, E) pairs to train on."),
    as_json: bool = _JSON,
) -> None:
    """Seconds to learn the 2x2 Ising filter (one unit, T_c) to within 1% of its converged MI."""
    results = []
    for backend in _backends(device):
        results.append(bench_rsmi(backend, pairs=pairs))
        r = results[-1]
        err_console.print(f"{r.backend:5s} {r.seconds_to_1pct:8.2f} s to 1% "
                          f"(MI {r.mi:.4f}, {r.seconds_total:.2f} s in all)", highlight=False)
    if as_json:
        print(json.dumps([r.as_dict() for r in results], indent=1))
        return
    table = Table(title="RSMI: 2x2 Ising filter to within 1% of its MI", title_justify="left")
    for col in ("backend", "device", "pairs", "seconds to 1%", "seconds in all", "MI"):
        table.add_column(col, justify="left" if col in ("backend", "device") else "right")
    for r in results:
        table.add_row(r.backend, r.device, str(r.pairs), f"{r.seconds_to_1pct:.2f}",
                      f"{r.seconds_total:.2f}", f"{r.mi:.4f}")
    console.print(table)


@app.command("rbm")
def rbm(
    device: str = _DEVICE,
    seconds: float = _SECONDS,
    as_json: bool = _JSON,
) -> None:
    """Hidden units drawn from P(h|v) per ns: 16 RBMs x 4096 chains, 64 visible, 64 hidden."""
    results = [bench_rbm(backend, min_seconds=seconds) for backend in _backends(device)]
    if as_json:
        print(json.dumps([r.as_dict() for r in results], indent=1))
        return
    table = Table(title="RBM conditional samples per ns", title_justify="left")
    for col in ("backend", "device", "RBMs x chains", "n_v x n_h", "samples/ns"):
        table.add_column(col, justify="left" if col in ("backend", "device") else "right")
    for r in results:
        table.add_row(r.backend, r.device, f"{r.n_rbm} x {r.n_chain}",
                      f"{r.n_visible} x {r.n_hidden}", f"{r.samples_per_ns:.4f}")
    console.print(table)


def _print_results(results: Sequence[BenchResult | DimerBenchResult], as_json: bool,
                   title: str, columns: tuple[str, str],
                   cells: Callable[[Any], tuple[str, str]]) -> None:
    """JSON records, or a table of backend, device, L, R and the two ``columns`` (what was
    benchmarked, and its throughput) given by ``cells(result)``."""
    if as_json:
        print(json.dumps([r.as_dict() for r in results], indent=1))
        return
    table = Table(title=title, title_justify="left")
    for col in ("backend", "device", columns[0], "L", "R", columns[1]):
        table.add_column(col, justify="right" if col in ("L", "R", columns[1]) else "left")
    for r in results:
        variant, rate = cells(r)
        table.add_row(r.backend, r.device, variant, str(r.L), str(r.replicas), rate)
    console.print(table)


def _report_dimer(r: DimerBenchResult) -> None:
    err_console.print(f"{r.backend:5s} {r.model:11s} L={r.L:<6d} R={r.replicas:<6d} "
                      f"{r.steps_per_ns:9.4f} steps/ns", highlight=False)


def _report(r: BenchResult) -> None:
    err_console.print(f"{r.backend:5s} {r.dim}D {r.algorithm:13s} {r.layout:12s} L={r.L:<6d} "
                      f"R={r.replicas:<5d} "
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
