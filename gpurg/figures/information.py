"""Figures of the mutual information I(H:E) (nats) of RSMI rules: against the buffer width
(log-log, with a power-law fit, as Gökmen et al. 2021 plot it), against the number of hidden
units, against the temperature, and the MI thermometer of Koch-Janusz & Ringel (2018) (MI
against β with the fitted line and the β read off).

Each takes plain arrays (or a :class:`~gpurg.rsmi.thermometer.Thermometer`) and a path, e.g.::

    mi_buffer_figure({"T = T_c": (buffers, mi, mi_err)}, "buffer.png")

Public API: :func:`mi_buffer_figure`, :func:`buffer_scan_figure` (a
:class:`~gpurg.rsmi.scan.BufferScan` with both of its fits), :func:`mi_hidden_figure`,
:func:`mi_temperature_figure`,
:func:`thermometer_figure`. The fits they draw are :func:`gpurg.stats.power_law_fit` and
:func:`gpurg.stats.exponential_fit` (``power_law_fit`` is also importable from here, for
compatibility).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import NullFormatter

from gpurg.errors import InputError
from gpurg.figures.core import check_lengths, new_figure, save_figure
from gpurg.models.ising_exact import T_C
from gpurg.rsmi.scan import BufferScan, block_label
from gpurg.rsmi.thermometer import Thermometer
from gpurg.stats import power_law_fit

LN2 = math.log(2.0)
Series = tuple[Sequence[float], Sequence[float], Sequence[float]]  # (x, mi, mi_err)


def _arrays(name: str, series: Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    check_lengths(name, *series)
    return tuple(np.asarray(a, dtype=np.float64) for a in series)


def mi_buffer_figure(series: Mapping[str, Series], path: str | Path, *,
                     format: str | None = None, title: str = "") -> Path:
    """I(H:E) against the buffer width L_B on log-log axes, one series per label (e.g. a
    temperature), each with the fit MI = A L_B^-υ drawn and υ in the legend.

    ``series``: label -> (L_B (sites), MI (nats), MI error (nats)), each (n,). L_B = 0 has no
    place on a log axis: such points are left out of the plot and the fit (their count is
    noted in the title). Returns the path written."""
    if not series:
        raise InputError("mi_buffer_figure needs at least one series")
    fig, axes = new_figure()
    ax = axes[0, 0]
    dropped, shown = 0, set()
    for i, (label, data) in enumerate(series.items()):
        b, mi, err = _arrays(label, data)
        ok = (b > 0) & (mi > 0)
        dropped += int((~ok).sum())
        shown |= set(b[ok].tolist())
        colour = f"C{i}"
        ax.errorbar(b[ok], mi[ok], yerr=err[ok], marker="o", linestyle="none", capsize=3,
                    color=colour, label=f"{label}: measured")
        fit = power_law_fit(b[ok], mi[ok], err[ok])
        if np.isfinite(fit.value):
            grid = np.geomspace(b[ok].min(), b[ok].max(), 50)
            ax.plot(grid, fit(grid), color=colour, linestyle="--",
                    label=f"{label}: fit ∝ L_B^-υ, υ = {fit.value:.3f} ± {fit.error:.3f}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    # buffers are a few integers: label them as such, not as powers of ten
    ax.set_xticks(sorted(shown), [f"{v:g}" for v in sorted(shown)])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("buffer width L_B (lattice spacings)")
    ax.set_ylabel("I(H:E) (nats)")
    note = f"\n({dropped} points with L_B = 0 or MI <= 0 not shown)" if dropped else ""
    ax.set_title((title or "MI against the buffer") + note, fontsize="medium")
    ax.legend(fontsize="small")
    return save_figure(fig, path, format)


def buffer_scan_figure(scan: BufferScan, path: str | Path, *, format: str | None = None,
                       title: str = "") -> Path:
    """I(H:E) (nats) against the buffer width L_B on log-log axes, from
    :func:`gpurg.rsmi.scan.scan_buffers`: the points that entered the fits filled, those
    consistent with zero (MI < 2 σ) hollow at their error bar's top (MI itself may be <= 0),
    and both fits drawn: MI = A L_B^-υ (dashed) and MI = A exp(-L_B / ξ) (dotted), each with
    its value, error and χ²/dof in the legend; the better one (smaller χ²/dof) is marked. L_B =
    0 has no place on a log axis: drawn at L_B = 1/2, its tick labelled 0. Returns the path."""
    fig, axes = new_figure()
    draw_buffer_scan(axes[0, 0], scan, title=title)
    return save_figure(fig, path, format)


def draw_buffer_scan(ax: Axes, scan: BufferScan, *, title: str = "") -> None:
    """:func:`buffer_scan_figure`'s panel, drawn on ``ax``."""
    b = scan.buffer.astype(np.float64)
    x = np.where(b > 0, b, 0.5)
    used = scan.used
    ax.errorbar(x[used], scan.mi[used], yerr=scan.mi_err[used], marker="o", linestyle="none",
                capsize=3, color="C0", label="I(H:E), MI >= 2σ (fitted)")
    if (~used).any():
        top = np.maximum(scan.mi[~used], 0) + scan.mi_err[~used]
        ax.plot(x[~used], np.where(top > 0, top, np.nan), marker="v", linestyle="none",
                markerfacecolor="none", color="C0", label="MI < 2σ: upper end of its error bar")
    grid = np.geomspace(max(x.min(), 0.5), x.max(), 100)
    for fit, colour, style, name in ((scan.power, "C1", "--", "L_B^-υ, υ"),
                                     (scan.exponential, "C2", ":", "exp(-L_B/ξ), ξ")):
        if not np.isfinite(fit.value):
            continue
        line = grid if fit.law == "exponential" else grid[grid >= 1]
        mark = " (better)" if scan.better == fit.law else ""
        ax.plot(line, fit(line), color=colour, linestyle=style,
                label=f"fit ∝ {name} = {fit.value:.3f} ± {fit.error:.3f}, "
                f"χ²/dof = {fit.chi2_dof:.2g}{mark}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ticks = sorted(set(x.tolist()))
    ax.set_xticks(ticks, [f"{v:g}" if v >= 1 else "0" for v in ticks])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("buffer width L_B (lattice entries)")
    ax.set_ylabel("I(H:E) (nats)")
    ax.set_title(title or f"MI against the buffer: block {block_label(scan)}, env "
                 f"{scan.env}, {scan.n_hidden} unit(s)", fontsize="medium")
    ax.legend(fontsize="small")


def mi_hidden_figure(n_hidden: Sequence[int], mi: Sequence[float], mi_err: Sequence[float],
                     path: str | Path, *, format: str | None = None, title: str = "") -> Path:
    """I(H:E) against the number of hidden units n_h, with error bars and the one-unit
    ceiling ln 2 (a unit's entropy; n_h units: n_h ln 2). ``n_hidden`` int (n,), ``mi`` and
    ``mi_err`` float (n,) in nats. Returns the path written."""
    fig, axes = new_figure()
    draw_mi_hidden(axes[0, 0], n_hidden, mi, mi_err, title=title)
    return save_figure(fig, path, format)


def draw_mi_hidden(ax: Axes, n_hidden: Sequence[int], mi: Sequence[float],
                   mi_err: Sequence[float], *, ceiling: bool = True, title: str = "") -> None:
    """:func:`mi_hidden_figure`'s panel, drawn on ``ax`` (``ceiling``: the line at ln 2)."""
    n, y, err = _arrays("mi_hidden_figure", (n_hidden, mi, mi_err))
    ax.errorbar(n, y, yerr=err, marker="o", capsize=3, label="learned rule")
    if ceiling:
        ax.axhline(LN2, color="grey", linestyle="--", label="ln 2 (entropy of one unit)")
    ax.set_xticks(n)
    ax.set_xlabel("hidden units n_h")
    ax.set_ylabel("I(H:E) (nats)")
    ax.set_title(title or "MI against the number of hidden units", fontsize="medium")
    ax.legend(fontsize="small")


def mi_temperature_figure(temperatures: Sequence[float], mi: Sequence[float],
                          mi_err: Sequence[float], path: str | Path, *,
                          format: str | None = None, t_c: float | None = T_C,
                          title: str = "") -> Path:
    """I(H:E) against the temperature T (units of J), with error bars, the ordered limit
    ln 2 and a line at ``t_c`` (default the exact 2D Ising T_c; None for none).
    ``temperatures``, ``mi``, ``mi_err``: float (n,); MI in nats. Returns the path written."""
    T, y, err = _arrays("mi_temperature_figure", (temperatures, mi, mi_err))
    fig, axes = new_figure()
    ax = axes[0, 0]
    ax.errorbar(T, y, yerr=err, marker="o", capsize=3, label="learned rule")
    ax.axhline(LN2, color="grey", linestyle="--", label="ln 2 (ordered limit, one unit)")
    if t_c is not None:
        ax.axvline(t_c, color="black", linestyle=":", label=f"T_c = {t_c:.4f}")
    ax.set_xlabel("temperature T (units of J)")
    ax.set_ylabel("I(H:E) (nats)")
    ax.set_title(title or "MI against the temperature", fontsize="medium")
    ax.legend(fontsize="small")
    return save_figure(fig, path, format)


def thermometer_figure(thermo: Thermometer, path: str | Path, *, format: str | None = None,
                       reading: tuple[float, float, float, float] | None = None,
                       beta_c: float | None = 1 / T_C, title: str = "") -> Path:
    """The MI thermometer: I(H:E) (nats) against β (units of 1/J) with error bars, the fitted
    line MI = a + s β with its 1σ band (from the fit's covariance), the critical β_c (default
    the exact 2D Ising value; None for none) and, if ``reading`` = (MI, MI error, β, β error)
    is given, the MI read and the effective β found from it. Returns the path written."""
    betas = np.asarray(thermo.betas, dtype=np.float64)
    fig, axes = new_figure(width=5.2)
    ax = axes[0, 0]
    ax.errorbar(betas, thermo.mi, yerr=thermo.mi_err, marker="o", linestyle="none",
                capsize=3, label="calibration (Ising samples)")
    lo, hi = betas.min(), betas.max()
    if reading is not None and np.isfinite(reading[2]):
        lo, hi = min(lo, reading[2]), max(hi, reading[2])
    grid = np.linspace(lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo), 100)
    design = np.stack([np.ones_like(grid), grid], axis=1)
    line = thermo.intercept + thermo.slope * grid
    band = np.sqrt(np.einsum("ij,jk,ik->i", design, np.asarray(thermo.covariance), design))
    ax.plot(grid, line, color="C1", label=f"fit: MI = {thermo.intercept:.4f} + "
            f"{thermo.slope:.4f} β (χ² = {thermo.chi2:.1f}, {len(betas) - 2} dof)")
    ax.fill_between(grid, line - band, line + band, color="C1", alpha=0.25, label="fit ± 1σ")
    if beta_c is not None:
        ax.axvline(beta_c, color="black", linestyle=":", label=f"β_c = {beta_c:.4f}")
    if reading is not None:
        mi, mi_err, beta, beta_err = reading
        ax.errorbar([beta], [mi], xerr=[beta_err], yerr=[mi_err], marker="*", markersize=12,
                    color="C3", capsize=3, linestyle="none",
                    label=f"read: β = {beta:.4f} ± {beta_err:.4f}")
        ax.axhline(mi, color="C3", linestyle="--", linewidth=0.8)
    ax.set_xlabel("inverse temperature β (units of 1/J)")
    ax.set_ylabel("I(H:E) (nats)")
    ax.set_title(title or "MI thermometer", fontsize="medium")
    ax.legend(fontsize="small")
    return save_figure(fig, path, format)
