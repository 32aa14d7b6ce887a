"""Figures of critical exponents from Monte Carlo RG (Swendsen 1979): ν and y_h of each rule at
each RG level with jackknife error bars, beside reference values: by default the exact 2D
Ising ones, ν = 1, y_h = 15/8 (Onsager 1944; science.md §4).

Public API: :func:`exponents_figure`, :data:`EXACT`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from gpurg.errors import InputError
from gpurg.figures.core import heat_map, new_figure, save_figure
from gpurg.models.ising_exact import EXPONENTS
from gpurg.rg.mcrg import MCRGResult

EXACT = EXPONENTS
"""The exact 2D Ising exponents: ν = 1 and y_h = 15/8 (Onsager 1944)."""
_LABELS = {"nu": ("ν", "correlation-length exponent ν"),
           "yh": ("y_h", "magnetic exponent y_h")}


def _series(result: MCRGResult, key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    levels = np.arange(1, result.n_levels + 1)
    pairs = [result.nu(k) if key == "nu" else result.exponent("h", k) for k in levels]
    values = np.array([p[0] for p in pairs])
    errors = np.array([p[1] for p in pairs])
    return levels, values, np.where(np.isfinite(errors), errors, 0.0)


def exponents_figure(results: Mapping[str, MCRGResult], path: str | Path, *,
                     format: str | None = None, filters: np.ndarray | None = None,
                     mi: float | None = None, mi_err: float | None = None,
                     exact: Mapping[str, float] = EXACT, reference: str = "exact, 2D Ising",
                     title: str = "") -> Path:
    """ν and y_h against the RG level, one series per rule, with error bars, and the exact
    values as dashed lines.

    Parameters
    ----------
    results : rule name -> :class:`MCRGResult`
        Each level's values use the most even (odd) operators that fit; NaN levels are
        left out.
    path : file to write, format by its suffix (or ``format``: png, svg, pdf).
    filters : float array (n_hidden, block, block) or (n_hidden, block, block, block)
        A learned filter to show in a first panel (with its colour bar), e.g. the rule
        whose exponents these are (a cube's z-slices side by side); ``mi``, ``mi_err`` (nats)
        go in its title.
    exact : {"nu": ..., "yh": ...}
        Reference values drawn as lines (default the 2D Ising ones).
    reference : str
        Where they come from, for the legend (e.g. "bootstrap, 3D Ising").

    Returns the path written.
    """
    if not results:
        raise InputError("exponents_figure needs at least one MCRG result")
    panels = 2 + (filters is not None)
    fig, axes = new_figure(panels, width=4.2, height=3.8)
    axes = list(axes[0])
    if filters is not None:
        f = np.asarray(filters, dtype=np.float64)
        if f.ndim not in (3, 4) or len(set(f.shape[1:])) != 1:
            raise InputError(f"filters must be (n_hidden, block, block) or (n_hidden, block, "
                             f"block, block), got {f.shape}")
        ax = axes.pop(0)
        label = "learned RSMI filter λ (unit 0)"
        if f.ndim == 4:  # the z-slices side by side, a blank column between them
            b = f.shape[1]
            gap = np.full((len(f), b, b, 1), np.nan)
            f = np.concatenate([f, gap], axis=3).transpose(0, 2, 1, 3).reshape(
                len(f), b, b * (b + 1))[:, :, :-1]
            label += "\nslices z = 0 .. " + str(b - 1) + " (left to right)"
        if mi is not None:
            label += f"\nI(H:E) = {mi:.4f}" + (f" ± {mi_err:.4f}" if mi_err is not None
                                               else "") + " nats"
        image = heat_map(ax, f[0], title=label)
        if np.isnan(f[0]).any():  # slices of a cube: ticks name x within each slice
            columns = np.flatnonzero(~np.isnan(f[0]).all(axis=0))
            ax.set_xticks(columns, [str(c % (f.shape[1] + 1)) for c in columns])
        fig.colorbar(image, ax=ax, shrink=0.8).set_label("filter weight λ (dimensionless)")
    markers = "osD^v<>"
    for ax, key in zip(axes, ("nu", "yh"), strict=True):
        symbol, name = _LABELS[key]
        width = 0.08 * (len(results) - 1)
        for i, (rule, result) in enumerate(results.items()):
            levels, values, errors = _series(result, key)
            ok = np.isfinite(values)
            shift = -width / 2 + (0.08 * i if len(results) > 1 else 0.0)
            ax.errorbar(levels[ok] + shift, values[ok], yerr=errors[ok], capsize=3,
                        marker=markers[i % len(markers)], linestyle="-", label=rule)
            if ok.any():
                ax.set_xticks(levels)
        if key in exact:
            ax.axhline(exact[key], color="grey", linestyle="--",
                       label=f"{symbol} = {exact[key]:g} ({reference})")
        ax.set_xlabel("RG level n (lattice L / b^n)")
        ax.set_ylabel(f"{symbol} (dimensionless)")
        ax.set_title(f"{name} by MCRG")
        ax.legend(loc="best", fontsize="small")
    if title:
        fig.suptitle(title)
    return save_figure(fig, path, format)
