"""Figures of dimer runs: the connected dimer–dimer correlations |C(r) - 1/16| along and across
the dimers' direction against the distance r, on log-log axes, with the r^-2 decay of free
dimers (Fisher & Stephenson 1963: (-1)^r / (π r)² along a row, science.md §5).

Public API: :func:`correlation_figure`, :func:`dimer_job_figure`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from gpurg.errors import InputError
from gpurg.figures.core import heat_map, new_figure, save_figure
from gpurg.rsmi.scan import BufferScan

_KEYS = {"corr_long": "along the dimers", "corr_trans": "across the dimers"}
Series = tuple[Sequence[float], Sequence[float], Sequence[float]]  # (x, mi, mi_err)
BACKGROUND = 1 / 16
"""<n(0)> <n(r)> of a close-packed covering (each bond is occupied with probability 1/4)."""


def correlation_figure(profiles: Mapping[str, tuple[np.ndarray, np.ndarray]],
                       path: str | Path, *, format: str | None = None, free: bool = True,
                       title: str = "") -> Path:
    """Two panels: (a) |C(r) - 1/16| against r on log-log axes (filled markers where C - 1/16
    > 0, open where < 0: the correlations are staggered), with 1/(π r)² for free dimers
    (``free``, i.e. T = ∞); (b) the signed C(r) - 1/16 on linear axes, with error bars.

    ``profiles``: "corr_long" and/or "corr_trans" -> (mean, standard error), float (L/2 + 1,)
    each, indexed by r = 0 .. L/2 (lattice spacings), as :attr:`SampleRun.profiles` holds them.
    Returns the path written."""
    present = [k for k in _KEYS if k in profiles]
    if not present:
        raise InputError(f"correlation_figure needs {' or '.join(_KEYS)}, got "
                         f"{sorted(profiles)}")
    fig, axes = new_figure(2, width=4.8, height=4.0)
    ax, bx = axes[0]
    r_max = 1
    for i, key in enumerate(present):
        mean, err = (np.asarray(a, dtype=np.float64) for a in profiles[key])
        r = np.arange(mean.size)
        c = mean - BACKGROUND
        err = np.where(np.isfinite(err), err, 0.0)
        colour = f"C{i}"
        show = (r >= 1) & (np.abs(c) > 0)
        r_max = max(r_max, int(r[-1]))
        for sign, face in ((1, colour), (-1, "none")):
            pick = show & (np.sign(c) == sign)
            ax.errorbar(r[pick], np.abs(c[pick]), yerr=err[pick], marker="o",
                        linestyle="none", color=colour, markerfacecolor=face, capsize=2,
                        label=f"{_KEYS[key]} ({'+' if sign > 0 else '-'})")
        bx.errorbar(r[1:], c[1:], yerr=err[1:], marker="o", color=colour, capsize=2,
                    label=_KEYS[key])
    if free:
        grid = np.geomspace(1, r_max, 50)
        ax.plot(grid, 1 / (math.pi * grid) ** 2, color="black", linestyle="--",
                label="1/(π r)², free dimers (r^-2)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("distance r (lattice spacings)")
    ax.set_ylabel("|C(r) - 1/16|")
    ax.set_title("dimer–dimer correlations, log-log", fontsize="medium")
    ax.legend(fontsize="small")
    bx.axhline(0.0, color="grey", linewidth=0.6)
    bx.set_xlabel("distance r (lattice spacings)")
    bx.set_ylabel("C(r) - 1/16 = <n(0) n(r)> - 1/16")
    bx.set_title("signed (staggered) correlations", fontsize="medium")
    bx.legend(fontsize="small")
    fig.suptitle(title or "dimer–dimer correlations")
    return save_figure(fig, path, format)


def dimer_job_figure(filters: Mapping[str, np.ndarray], units: Series, scan: BufferScan,
                     path: str | Path, *, format: str | None = None, title: str = "") -> Path:
    """The dimer job's figure (``gpurg run dimer``): one row of heat maps per set of filters
    (RSMI rules, the likelihood-trained RBM's weights: ``filters`` maps a row label to float
    (n, b, b), each row on its own symmetric colour scale with a colour bar, pixel roles
    marked), then I(H:E) against the number of hidden units (``units``: (n_hidden, mi,
    mi_err) with the ceiling n_h ln 2) and against the buffer with its fits
    (:class:`~gpurg.rsmi.scan.BufferScan`). Returns the path written."""
    from gpurg.figures.filters import mark_pixel_roles, role_legend
    from gpurg.figures.information import draw_buffer_scan, draw_mi_hidden

    if not filters:
        raise InputError("dimer_job_figure needs at least one set of filters")
    columns = max(2, max(len(f) for f in filters.values()))
    fig, axes = new_figure(columns, len(filters) + 1, width=3.0, height=3.0)
    for row, (label, weights) in zip(axes, filters.items(), strict=False):
        weights = np.asarray(weights, dtype=np.float64)
        top = float(np.nanmax(np.abs(weights))) or 1.0
        for j, ax in enumerate(row):
            if j >= len(weights):
                ax.set_axis_off()
                continue
            image = heat_map(ax, weights[j], vmax=top, title=f"{label}: unit {j}",
                             unit="pixel")
            mark_pixel_roles(ax, weights.shape[-1])
        fig.colorbar(image, ax=list(row), shrink=0.8).set_label("weight (dimensionless)")
    last = axes[-1]
    draw_mi_hidden(last[0], *units, ceiling=False, title="MI against n_h")
    draw_buffer_scan(last[1], scan, title=f"MI against L_B ({scan.n_hidden} units)")
    for ax in last[2:]:
        ax.set_axis_off()
    role_legend(fig)
    fig.suptitle(title or "Noisy dimers at T = ∞: RSMI filters against likelihood training")
    return save_figure(fig, path, format)
