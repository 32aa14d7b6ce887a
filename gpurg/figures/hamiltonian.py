"""Figure of fitted effective Hamiltonians (:func:`gpurg.rg.hamiltonian.fit_hamiltonian`):
the couplings by operator at each RG level with their jackknife errors, and rangeness and
m-bodyness per level.

Public API: :func:`hamiltonian_figure`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from gpurg.errors import InputError
from gpurg.figures.core import new_figure, save_figure
from gpurg.rg.hamiltonian import EffectiveHamiltonian

_LABELS = {"nn": "nn (1)", "nnn": "nnn (√2)", "third": "third (2)", "knight": "knight (√5)",
           "diag2": "diag2 (2√2)", "fourth": "fourth (3)", "plaquette": "plaquette (4-spin)",
           "diamond": "diamond (4-spin)", "rectangle": "rectangle 1x2 (4-spin)"}


def hamiltonian_figure(levels: Sequence[EffectiveHamiltonian], path: str | Path, *,
                       format: str | None = None, title: str = "",
                       level_numbers: Sequence[int] | None = None) -> Path:
    """Two panels: (a) the coupling K'_a of every operator (dimensionless; pairs labelled by
    their distance in coarse lattice spacings) with jackknife error bars, one marker series per
    level (offset sideways), a zero line; (b) rangeness K'_nnn / K'_nn and m-bodyness
    K'_plaquette / K'_nn against the level with error bars (only those whose operators were
    fitted). ``levels``: fits sharing one operator list; ``level_numbers`` their RG levels
    (default 1, 2, ...). Returns the path written."""
    if not levels:
        raise InputError("no effective Hamiltonian to draw")
    operators = levels[0].operators
    if any(h.operators != operators for h in levels):
        raise InputError("every level must have the same operators")
    numbers = list(level_numbers) if level_numbers is not None else list(
        range(1, len(levels) + 1))
    if len(numbers) != len(levels):
        raise InputError(f"{len(numbers)} level numbers for {len(levels)} fits")
    fig, panels = new_figure(2, width=5.2, height=4.2)
    ax, bx = panels[0]
    x = np.arange(len(operators), dtype=np.float64)
    width = 0.6 / max(len(levels), 1)
    for k, (number, h) in enumerate(zip(numbers, levels, strict=True)):
        offset = (k - (len(levels) - 1) / 2) * width
        ax.errorbar(x + offset, h.K, yerr=h.K_err, marker="o", linestyle="none", capsize=3,
                    label=f"level {number} (L = {h.L}, {h.n_samples} samples)")
    ax.axhline(0.0, color="grey", linewidth=0.6)
    ax.set_xticks(x, [_LABELS.get(op, op) for op in operators], rotation=35, ha="right",
                  fontsize="small")
    ax.set_xlabel("operator (pair distance in coarse lattice spacings)")
    ax.set_ylabel("coupling K'_a per bond or cluster (dimensionless)")
    ax.set_title("effective couplings (jackknife errors)", fontsize="medium")
    ax.legend(fontsize="small", loc="best")

    drawn = False
    for name, ok, method, marker in (
            ("rangeness K'_nnn / K'_nn", levels[0].has_rangeness, "rangeness", "s"),
            ("m-bodyness K'_plaquette / K'_nn", levels[0].has_mbodyness, "mbodyness", "D")):
        if not ok:
            continue
        values = np.array([getattr(h, method)() for h in levels])
        bx.errorbar(numbers, values[:, 0], yerr=values[:, 1], marker=marker, capsize=3,
                    label=name)
        for n, (v, e) in zip(numbers, values, strict=True):
            bx.annotate(f"{v:.3f} ± {e:.3f}", (n, v), textcoords="offset points",
                        xytext=(6, 4), fontsize="x-small")
        drawn = True
    bx.axhline(0.0, color="grey", linewidth=0.6)
    bx.set_xticks(numbers)
    bx.set_xlabel("RG level")
    bx.set_ylabel("coupling ratio (dimensionless)")
    bx.set_title("rangeness and m-bodyness", fontsize="medium")
    if drawn:
        bx.legend(fontsize="small", loc="best")
    else:
        bx.text(0.5, 0.5, "nn with nnn or plaquette not fitted", ha="center", va="center",
                transform=bx.transAxes)
    if title:
        fig.suptitle(title)
    return save_figure(fig, path, format)


__all__ = ["hamiltonian_figure"]
