"""Figures of finite-size scaling: the Binder cumulant U(T, L) of several sizes and its
collapse onto one curve of x = (T - T_c) L^{1/ν} (:mod:`gpurg.rg.collapse`; Houdayer &
Hartmann 2004 for the quality S).

Public API: :func:`collapse_figure`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from gpurg.errors import InputError
from gpurg.figures.core import check_lengths, new_figure, save_figure
from gpurg.models.ising_exact import BINDER_CRITICAL as U_STAR
from gpurg.models.ising_exact import T_C
from gpurg.rg.collapse import Collapse


def collapse_figure(curves: Mapping[int, tuple[np.ndarray, np.ndarray, np.ndarray]],
                    result: Collapse, path: str | Path, *, format: str | None = None,
                    title: str = "") -> Path:
    """Two panels: (a) U against T (units of J) per size L with error bars, the exact T_c and
    U* = 0.61069; (b) U against the scaling variable (T - T_c) L^{1/ν} with the collapse's
    ν and T_c (``result``), which lays the sizes on one curve.

    ``curves``: L -> (T, U, U error), float (n,) each, as from
    :func:`~gpurg.rg.collapse.binder_curves`. Returns the path written."""
    if not curves:
        raise InputError("collapse_figure needs at least one size")
    fig, axes = new_figure(2, width=4.8, height=4.0)
    ax, bx = axes[0]
    for i, (L, (T, U, dU)) in enumerate(sorted(curves.items())):
        check_lengths(f"L = {L}", T, U, dU)
        T, U, dU = (np.asarray(a, dtype=np.float64) for a in (T, U, dU))
        order = np.argsort(T)
        kw = {"marker": "o", "capsize": 3, "color": f"C{i}", "label": f"L = {L}"}
        ax.errorbar(T[order], U[order], yerr=dU[order], **kw)
        x = (T - result.t_c) * L ** (1.0 / result.nu)
        bx.errorbar(x[order], U[order], yerr=dU[order], **kw)
    for panel in (ax, bx):
        panel.axhline(U_STAR, color="grey", linestyle="--", label=f"U* = {U_STAR} (exact)")
        panel.set_ylabel("Binder cumulant U = 1 - <m⁴>/3<m²>²")
    ax.axvline(T_C, color="black", linestyle=":", label=f"exact T_c = {T_C:.4f}")
    ax.set_xlabel("temperature T (units of J)")
    ax.set_title("Binder cumulant per size", fontsize="medium")
    bx.axvline(0.0, color="black", linestyle=":")
    bx.set_xlabel("(T - T_c) L^(1/ν)")
    bx.set_title(f"collapse: ν = {result.nu:.3f} ± {result.nu_err:.3f}, T_c = "
                 f"{result.t_c:.4f} ± {result.t_c_err:.4f}, S = {result.quality:.2f}",
                 fontsize="medium")
    ax.legend(fontsize="small")
    bx.legend(fontsize="small")
    fig.suptitle(title or "finite-size collapse of the Binder cumulant (exact ν = 1)")
    return save_figure(fig, path, format)
