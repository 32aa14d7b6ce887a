"""``gpurg rg hamiltonian``: the effective Hamiltonian of the coarse spins of any rule, level by
level, by pseudo-likelihood, with rangeness and m-bodyness (registered on the ``rg`` group by
cli/rg.py)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import typer
from rich.table import Table

from gpurg.cli.common import (
    FigureFormatOption,
    SeedOption,
    checked_option,
    console,
    err_console,
    figure_beside,
    write_results,
)
from gpurg.cli.rg_options import ModeOption, RuleOption
from gpurg.errors import InputError
from gpurg.io.hdf5 import check_output_path
from gpurg.rg.hamiltonian import (
    DEFAULT_OPERATORS,
    EffectiveHamiltonian,
    check_operators,
    coarse_hamiltonians,
)
from gpurg.rg.maps import make_map
from gpurg.rsmi.files import load_spin_configurations
from gpurg.validation import Integer

_LEVELS = Integer(1)
_BLOCKS = 16  # jackknife blocks, given enough samples (at least 8: FLOW_BLOCKS)


def _ratio_cells(h: EffectiveHamiltonian, ok: bool, method: str) -> tuple[float, float]:
    return getattr(h, method)() if ok else (float("nan"), float("nan"))


def hamiltonian(
    source: Path = typer.Argument(..., help="A run file of ±1 spin configurations (e.g. Ising "
                                  "at T_c)."),
    rule: str = RuleOption,
    mode: str = ModeOption,
    operators: str = typer.Option(",".join(DEFAULT_OPERATORS), "--operators",
                                  help="Comma-separated operators of the fit (names of "
                                  "gpurg.rg.operators.SHAPES; each must fit the coarsest "
                                  "lattice, L >= 2 span)."),
    levels: int = checked_option(1, "--levels", constraint=_LEVELS,
                                 help="RG levels fitted: 1..levels."),
    seed: int = SeedOption,
    output: Path = typer.Option(Path("hamiltonian.h5"), "--output", "-o",
                                help="HDF5 file of the couplings; the figure goes beside it."),
    figure_format: str = FigureFormatOption,
) -> None:
    """Effective Hamiltonian of the coarse spins: pseudo-likelihood couplings of every operator
    with jackknife errors, rangeness K'_nnn/K'_nn and m-bodyness K'_plaquette/K'_nn, at each
    level."""
    start = time.perf_counter()
    names = tuple(op.strip() for op in operators.split(",") if op.strip())
    if not names:
        raise InputError("--operators names no operator")
    check_operators(names)  # unknown names before any work; the fit checks L
    check_output_path(output)
    figure = figure_beside(output, figure_format)
    rg_map = make_map(rule, mode)
    configs, attrs = load_spin_configurations(source, "the effective Hamiltonian")
    n = configs.shape[0]
    if n < 8:
        raise InputError(f"{source}: {n} configurations; the jackknife needs at least 8")
    n_meas = int(attrs.get("n_measurements", 1)) or 1
    replicas = n // n_meas
    groups = np.tile(np.arange(replicas), n_meas) if replicas >= 8 else None
    fits = coarse_hamiltonians(configs, rg_map, levels, names, blocks=min(_BLOCKS, n),
                               groups=groups, seed=seed)
    for level, h in enumerate(fits, start=1):
        table = Table(title=f"effective Hamiltonian · {rule} · level {level} · L={h.L} · "
                      f"{h.n_samples} samples · {h.n_blocks} jackknife blocks",
                      title_justify="left")
        table.add_column("operator")
        table.add_column("coupling", justify="right")
        for op, k, e in zip(h.operators, h.K, h.K_err, strict=True):
            table.add_row(op, f"{k:.5f} ± {e:.5f}")
        console.print(table)
        for label, ok, method in (("rangeness K'_nnn/K'_nn", h.has_rangeness, "rangeness"),
                                  ("m-bodyness K'_plaquette/K'_nn", h.has_mbodyness,
                                   "mbodyness")):
            if ok:
                v, e = getattr(h, method)()
                console.print(f"{label} = {v:.4f} ± {e:.4f}")
    rangeness = np.array([_ratio_cells(h, h.has_rangeness, "rangeness") for h in fits])
    mbodyness = np.array([_ratio_cells(h, h.has_mbodyness, "mbodyness") for h in fits])
    write_results(output, {
        "levels": np.arange(1, levels + 1), "sizes": np.array([h.L for h in fits]),
        "K": np.array([h.K for h in fits]), "K_err": np.array([h.K_err for h in fits]),
        "K_jack": np.array([h.K_jack for h in fits]),
        "rangeness": rangeness[:, 0], "rangeness_err": rangeness[:, 1],
        "mbodyness": mbodyness[:, 0], "mbodyness_err": mbodyness[:, 1],
    }, {"rule": rule, "mode": mode, "operators": list(names), "source": str(source),
        "L": int(configs.shape[1]), "n_samples": int(n), "n_blocks": int(fits[0].n_blocks),
        "seed": str(seed)})
    from gpurg.figures import hamiltonian_figure  # matplotlib loads only to draw

    hamiltonian_figure(fits, figure, title=f"effective Hamiltonian of {rule}, L = "
                       f"{configs.shape[1]}")
    err_console.print(f"wrote {output} and {figure} ({time.perf_counter() - start:.1f} s)")
