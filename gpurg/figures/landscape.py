"""The RSMI landscape of the 1D Ising chain (:class:`gpurg.rg.landscape.ChainLandscape`):
four maps over the filters (λ1, λ2) of one hidden unit, information kept
I_Λ(H:E)/I(V:E), the nearest-neighbour coarse coupling K'_2(1), rangeness K'_2(2)/K'_2(1)
and m-bodyness K'_4/K'_2(1), with the decimation axes (λ1 = 0, λ2 = 0) and the majority
diagonal (λ1 = λ2) marked, and drawn over each the path of a training run and that of
gradient ascent on the exact I_Λ(H:E), whichever the landscape holds.

Public API: :func:`landscape_figure`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.axes import Axes

from gpurg.figures.core import DIVERGING, new_figure, save_figure
from gpurg.rg.landscape import ChainLandscape

_PANELS = (
    ("info_kept", "information kept  I_Λ(H:E) / I(V:E)", "viridis"),
    ("K2_1", "nearest-neighbour coupling  K'_2(1)", DIVERGING),
    ("rangeness", "rangeness  K'_2(2) / K'_2(1)", DIVERGING),
    ("mbodyness", "m-bodyness  K'_4 / K'_2(1)", DIVERGING),
)
ROBUST = 99.0  # percentile of |value| that bounds a ratio's colour scale (ratios diverge
# where K'_2(1) crosses zero)


def _limits(name: str, values: np.ndarray, cmap: str) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return -1.0, 1.0
    if cmap != DIVERGING:
        low, high = float(finite.min()), float(finite.max())
        return (low, high) if high > low else (low - 1.0, high + 1.0)
    top = float(np.percentile(np.abs(finite), ROBUST if name != "K2_1" else 100.0))
    top = top if top > 0 else 1.0
    return -top, top


def _marks(ax: Axes, land: ChainLandscape, path_label: bool) -> None:
    m = float(land.lam[-1])
    ax.axhline(0.0, color="k", lw=1.0, ls="--", label="decimation (λ1 = 0 or λ2 = 0)")
    ax.axvline(0.0, color="k", lw=1.0, ls="--")
    ax.plot([-m, m], [-m, m], color="0.35", lw=1.0, ls=":", label="majority (λ1 = λ2)")
    track = land.path
    if track is not None and len(track.lam):
        lam = np.clip(track.lam, -m, m)
        ax.plot(lam[:, 0], lam[:, 1], "-", color="tab:orange", lw=1.4, marker=".", ms=4,
                label=f"training path ({len(lam)} epochs)" if path_label else None)
        ax.plot(lam[0, 0], lam[0, 1], "o", mfc="none", mec="tab:orange", ms=7,
                label="first epoch" if path_label else None)
        ax.plot(lam[-1, 0], lam[-1, 1], "*", color="tab:orange", ms=11,
                label=(f"last epoch: λ = ({track.lam[-1, 0]:.2g}, {track.lam[-1, 1]:.2g}), "
                       f"keeps {track.info_kept[-1]:.3f}") if path_label else None)
    ascent = land.exact_path
    if ascent is not None and len(ascent.lam):
        lam = np.clip(ascent.lam, -m, m)
        ax.plot(lam[:, 0], lam[:, 1], "--", color="tab:red", lw=1.4,
                label="gradient ascent on the exact I_Λ(H:E)" if path_label else None)
        ax.plot(lam[0, 0], lam[0, 1], "s", mfc="none", mec="tab:red", ms=6,
                label="its start" if path_label else None)
        ax.plot(lam[-1, 0], lam[-1, 1], "D", color="tab:red", ms=6,
                label=(f"its end ({len(lam) - 1} steps): λ = ({ascent.lam[-1, 0]:.2g}, "
                       f"{ascent.lam[-1, 1]:.2g}), keeps {ascent.info_kept[-1]:.3f}")
                if path_label else None)
    ax.set_xlim(-m, m)
    ax.set_ylim(-m, m)
    ax.set_aspect("equal")
    ax.set_xlabel("λ1 (filter on v1)")
    ax.set_ylabel("λ2 (filter on v2)")


def landscape_figure(land: ChainLandscape, path: str | Path, *, format: str | None = None,
                     title: str = "") -> Path:
    """Four maps of ``land`` (module notes), each with its colour bar; x = λ1, y = λ2 over
    the landscape's grid. The ratios' colour scales stop at the 99th percentile of |value|
    (they diverge where K'_2(1) changes sign); grey marks NaN (λ = 0, no coupling). A path
    outside the grid is drawn at its edge. Returns the path written."""
    fig, axes = new_figure(2, 2, width=5.0, height=4.4)
    m = float(land.lam[-1])
    half = (land.lam[1] - land.lam[0]) / 2 if len(land.lam) > 1 else 0.5
    extent = (-m - half, m + half, -m - half, m + half)
    for k, (name, label, cmap) in enumerate(_PANELS):
        ax = axes.flat[k]
        values = np.asarray(getattr(land, name), dtype=np.float64)
        low, high = _limits(name, values, cmap)
        masked = np.ma.masked_invalid(values.T)  # [i, j] = (λ1, λ2): x = λ1 is the column
        image = ax.imshow(masked, origin="lower", extent=extent, cmap=cmap, vmin=low,
                          vmax=high, interpolation="nearest")
        image.cmap.set_bad("0.8")
        fig.colorbar(image, ax=ax, shrink=0.85, label=label.split("  ")[0])
        _marks(ax, land, k == 0)
        ax.set_title(label, fontsize=10)
    fig.legend(*axes.flat[0].get_legend_handles_labels(), loc="outside lower center",
               ncol=3, fontsize=8)
    method = "exact" if land.order is None else f"cumulant expansion, order {land.order}"
    fig.suptitle(title or f"1D Ising chain, K = {land.K:g}, buffer L_B = {land.buffer}: "
                 f"I(V:E) = {land.mi_ve:.4g} nats, couplings {method}")
    return save_figure(fig, path, format)
