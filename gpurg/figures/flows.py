"""Figures of coupling flows (:func:`gpurg.rg.flow.coupling_flow`): the flow of the fitted
couplings in the (K_nn, K_nnn) plane from each starting temperature, with the fixed point,
and the tracked coupling against the starting temperature at every level, whose crossing is
the unstable fixed point, i.e. T_c (science.md §6).

Public API: :func:`flow_figure`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize

from gpurg.errors import InputError
from gpurg.figures.core import new_figure, save_figure
from gpurg.models.ising_exact import K_C, T_C
from gpurg.rg.flow import CouplingFlow

_NAMES = {"nn": "K_nn (nearest)", "nnn": "K_nnn (next-nearest)", "plaquette": "K_□ (plaquette)"}


def flow_figure(flow: CouplingFlow, path: str | Path, *, format: str | None = None,
                t_c: tuple[float, float] | None = None,
                axes: tuple[str, str] = ("nn", "nnn"), title: str = "",
                reference: tuple[float, str] = (T_C, "exact")) -> Path:
    """Two panels: (a) the flow in the plane of the couplings ``axes`` (default K_nn,
    K_nnn; dimensionless, K = J/T), one trajectory per starting temperature coloured by it
    (colour bar), arrows from level to level, the nearest-neighbour model's critical point
    (K_c, 0) and, given ``t_c``, the fixed point: the couplings at the last level
    interpolated at T_c; (b) the tracked coupling K_nn + K_nnn (K_nn alone without an nnn
    operator) against the starting temperature at each level, with error bars, the
    estimated T_c (``t_c`` = (T_c, error), e.g. from
    :func:`~gpurg.rg.flow.critical_temperature`) as a band and the known T_c of the
    nearest-neighbour model, ``reference`` = (T_c, what it is): Onsager's by default, e.g.
    ``(ising3d_exact.T_C, "Monte Carlo")`` for a flow of the simple cubic model.

    Returns the path written."""
    try:
        ix, iy = flow.operators.index(axes[0]), flow.operators.index(axes[1])
    except ValueError:
        raise InputError(f"flow has operators {flow.operators}, cannot plot {axes}") from None
    T = np.asarray(flow.temperatures, dtype=np.float64)
    K, K_err = np.asarray(flow.K), np.asarray(flow.K_err)
    n_levels = K.shape[1]
    fig, panels = new_figure(2, width=5.0, height=4.2)
    ax, bx = panels[0]
    norm = Normalize(T.min(), T.max() if T.max() > T.min() else T.min() + 1)
    cmap = "coolwarm"
    mappable = ScalarMappable(norm=norm, cmap=cmap)
    for i, t in enumerate(T):
        colour = mappable.to_rgba(t)
        x, y = K[i, :, ix], K[i, :, iy]
        ax.plot(x, y, color=colour, linewidth=1.2)
        ax.scatter(x[:1], y[:1], color=colour, s=36, zorder=3)
        ax.scatter(x[1:], y[1:], color=colour, s=12, zorder=3)
        for k in range(n_levels - 1):
            ax.annotate("", xy=(x[k + 1], y[k + 1]), xytext=(x[k], y[k]),
                        arrowprops={"arrowstyle": "->", "color": colour, "lw": 1.0})
    fig.colorbar(mappable, ax=ax).set_label("starting temperature T (units of J)")
    t_ref, what = reference
    if axes == ("nn", "nnn"):
        k_ref = K_C if t_ref == T_C else 1.0 / t_ref
        ax.scatter([k_ref], [0.0], marker="x", s=60, color="black", zorder=4,
                   label=f"critical point of the nn model (K_c = {k_ref:.4f}, 0)")
    ax.axhline(0.0, color="grey", linewidth=0.6)
    if t_c is not None and np.isfinite(t_c[0]) and T.min() <= t_c[0] <= T.max():
        star = [np.interp(t_c[0], T, K[:, -1, j]) for j in (ix, iy)]
        ax.scatter(*star, marker="*", s=180, color="gold", edgecolors="black", zorder=5,
                   label=f"fixed point (flow from T_c = {t_c[0]:.4f}, level {n_levels - 1})")
    ax.set_xlabel(f"{_NAMES.get(axes[0], axes[0])} (dimensionless)")
    ax.set_ylabel(f"{_NAMES.get(axes[1], axes[1])} (dimensionless)")
    ax.set_title("flow of the couplings (large dot: level 0)", fontsize="medium")
    ax.legend(fontsize="small", loc="best")

    tracked = ("nn", "nnn") if "nnn" in flow.operators else ("nn",)
    idx = [flow.operators.index(op) for op in tracked]
    value = K[:, :, idx].sum(axis=2)
    error = np.sqrt((K_err[:, :, idx] ** 2).sum(axis=2))  # spread of each fit, not combined
    for k in range(n_levels):
        size = f", L = {int(flow.sizes[k])}" if len(flow.sizes) > k else ""
        bx.errorbar(T, value[:, k], yerr=error[:, k], marker="o", capsize=3,
                    label=f"level {k}{size}")
    if t_c is not None and np.isfinite(t_c[0]):
        tc, err = t_c
        bx.axvline(tc, color="C3", label=f"T_c from the flow = {tc:.4f} ± {err:.4f}")
        if np.isfinite(err):
            bx.axvspan(tc - err, tc + err, color="C3", alpha=0.2)
    bx.axvline(t_ref, color="black", linestyle=":", label=f"{what} T_c = {t_ref:.4f}")
    bx.set_xlabel("starting temperature T (units of J)")
    bx.set_ylabel(" + ".join(f"K_{op}" for op in tracked) + " (dimensionless)")
    bx.set_title("tracked coupling: the levels cross at the fixed point",
                 fontsize="medium")
    bx.legend(fontsize="small")
    fig.suptitle(title or "coupling flow")
    return save_figure(fig, path, format)
