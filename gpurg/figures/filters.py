"""Figures of learned RSMI filters: one heat map per hidden unit on one symmetric diverging
colour scale with a colour bar; for filters of dimer images, the role of every pixel (vertex,
bond along x or y, face; layout of :func:`gpurg.models.dimer_encodings.to_image`) marked.

Public API: :func:`filter_figure`; :func:`pixel_roles` is
:func:`gpurg.models.dimer_encodings.image_pixel_roles`, re-exported.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from gpurg.errors import InputError
from gpurg.figures.core import heat_map, new_figure, save_figure
from gpurg.models.dimer_encodings import IMAGE_PIXEL_ROLES as ROLES
from gpurg.models.dimer_encodings import image_pixel_roles as pixel_roles
from gpurg.rsmi.analysis import ROLE_KINDS

__all__ = ["ROLES", "filter_figure", "pixel_roles"]

# the role map is the encoding's (gpurg.models.dimer_encodings); these are its symbols
_MARKERS = {"vertex": ("o", "vertex (site)"), "x-bond": ("_", "bond to +x"),
            "y-bond": ("|", "bond to +y"), "face": ("s", "face (plaquette)")}


def filter_figure(filters: np.ndarray, path: str | Path, *, format: str | None = None,
                  roles: str = "site", mi: float | None = None,
                  mi_err: float | None = None, title: str = "") -> Path:
    """Heat maps of the filters λ_j of a rule P_Λ(H|V), one panel per hidden unit j.

    Parameters
    ----------
    filters : float array (n_hidden, block, block), or (n_hidden, block, block, block)
        The weights (dimensionless; the rule's argument is Σ_i λ_ij v_i + b_j). A cubic
        block (a filter of the simple cubic lattice, [unit, z, y, x]) is drawn as one panel
        per z-slice of each unit (spins only).
    path : file to write, format by its suffix (or ``format``: png, svg, pdf).
    roles : "site" or "dimer"
        ``dimer`` marks each pixel's role in the dimer image encoding (:func:`pixel_roles`)
        with a symbol and a legend.
    mi, mi_err : float, optional
        I(H:E) and its error in nats, shown in the title.

    Returns the path written.
    """
    filters = np.asarray(filters, dtype=np.float64)
    if (filters.ndim not in (3, 4) or len(set(filters.shape[1:])) != 1 or filters.shape[0] < 1
            or (filters.ndim == 4 and roles != "site")):
        raise InputError(f"filters must be (n_hidden, block, block) (or (n_hidden, block, "
                         f"block, block) of spins), got {filters.shape}")
    if roles not in ROLE_KINDS:
        raise InputError(f"unknown roles {roles!r}; allowed: {', '.join(ROLE_KINDS)}")
    n, block = filters.shape[:2]
    if filters.ndim == 3:
        panels = [(f"hidden unit {j}: λ_{j}", filters[j]) for j in range(n)]
    else:
        panels = [(f"unit {j}, slice z = {z}", filters[j, z]) for j in range(n)
                  for z in range(block)]
    side = min(3.2, 1.2 + 0.35 * block)
    fig, axes = new_figure(len(panels), width=side + 0.4,
                           height=side + (1.6 if roles == "dimer" else 0.9))
    top = float(np.nanmax(np.abs(filters))) or 1.0
    for (label, weights), ax in zip(panels, axes[0], strict=True):
        image = heat_map(ax, weights, vmax=top, title=label,
                         unit="pixel" if roles == "dimer" else "site")
        if roles == "dimer":
            mark_pixel_roles(ax, block)
    bar = fig.colorbar(image, ax=list(axes[0]), shrink=0.9)
    bar.set_label("filter weight λ (dimensionless)")
    cube = "x".join([str(block)] * (filters.ndim - 1))
    head = title or f"RSMI filters ({cube} block, {n} hidden unit{'s' * (n > 1)})"
    if mi is not None:
        head += f"\nI(H:E) = {mi:.4f}" + (f" ± {mi_err:.4f}" if mi_err is not None else "") \
            + " nats"
    fig.suptitle(head)
    if roles == "dimer":
        role_legend(fig)
    return save_figure(fig, path, format)


def mark_pixel_roles(ax: Axes, block: int) -> None:
    """Mark each pixel of a block x block heat map of a dimer image with its role's symbol
    (:func:`pixel_roles`)."""
    codes = pixel_roles(block)
    for k, role in enumerate(ROLES):
        y, x = np.nonzero(codes == k)
        marker, _ = _MARKERS[role]
        if marker in "os":  # open symbols
            ax.scatter(x, y, marker=marker, s=14, facecolors="none", edgecolors="black",
                       linewidths=1.0)
        else:  # line symbols have no face
            ax.scatter(x, y, marker=marker, s=40, color="black", linewidths=1.0)


def role_legend(fig: Figure) -> None:
    """The legend of :func:`mark_pixel_roles`'s symbols, below the figure."""
    handles = [Line2D([], [], marker=m, linestyle="none", color="black",
                      markerfacecolor="none" if m in "os" else "black", label=label)
               for m, label in _MARKERS.values()]
    fig.legend(handles=handles, loc="outside lower center", ncols=4,
               title="pixel role (dimer image)")
