"""Optimal RG in 2D (Lenggenhager et al. 2020): where the information a rule keeps meets the
simplicity of its effective Hamiltonian.

* :func:`block_landscape_figure`: the one-unit rules of 2x2 Ising blocks
  (:class:`gpurg.rg.block_landscape.BlockLandscape`): information kept over the plane
  λ = (λ1 on the corner, λ2 on the other three) at each buffer, the cut across the block-spin
  diagonal where the flat ridge lies, and the coarse Hamiltonian's K'_nn, rangeness and
  m-bodyness over the same plane.
* :func:`rule_comparison_figure`: rangeness and m-bodyness against I_Λ(H:E) for a set of
  rules (the README's 2D table).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes

from gpurg.errors import InputError
from gpurg.figures.core import DIVERGING, new_figure, save_figure
from gpurg.rg.block_landscape import BlockLandscape


def _lines(ax: Axes, m: float, legend: bool = False) -> None:
    """Decimation (λ2 = 0), the block spin (λ1 = λ2) and its corner-reversed mirror."""
    ax.axhline(0.0, color="k", lw=1.0, ls="--", label="decimation (λ2 = 0)")
    ax.plot([-m, m], [-m, m], color="0.2", lw=1.0, ls=":", label="block spin (λ1 = λ2)")
    ax.set_xlim(-m, m)
    ax.set_ylim(-m, m)
    ax.set_xlabel("λ1 (weight of the corner spin)")
    ax.set_ylabel("λ2 (weight of each other spin)")
    if legend:
        ax.legend(fontsize=7, loc="lower right")


def _map(fig, ax: Axes, values: np.ndarray, lam: np.ndarray, title: str, label: str,
         cmap: str, symmetric: bool) -> None:
    finite = values[np.isfinite(values)]
    if symmetric:  # ratios blow up where K'_nn is small: the scale ignores the top 5%
        top = float(np.percentile(np.abs(finite), 95.0)) if finite.size else 1.0
        low, high = (-top, top) if top > 0 else (-1.0, 1.0)
    else:
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    step = (lam[1] - lam[0]) / 2 if len(lam) > 1 else 0.5
    # index [i, j] <-> (λ1 = lam[i], λ2 = lam[j]): λ1 runs along x, so the image is values.T
    image = ax.imshow(values.T, origin="lower", cmap=cmap, vmin=low, vmax=high,
                      extent=(lam[0] - step, lam[-1] + step, lam[0] - step, lam[-1] + step),
                      interpolation="nearest", aspect="equal")
    fig.colorbar(image, ax=ax, label=label, shrink=0.85)
    ax.set_title(title, fontsize=9)


def block_landscape_figure(land: BlockLandscape, path: str | Path, *,
                           format: str | None = None, title: str = "") -> Path:
    """Two rows: (top) information kept I_Λ(H:E)/I(V:E) over (λ1, λ2) for each buffer, and
    I_Λ(H:E) in nats along λ1 at the largest λ2 of the grid for each buffer with its error
    band (the cut through the block spin λ1 = λ2 and the tie-breaking ridge beyond it);
    (bottom) K'_nn, rangeness K'_nnn/K'_nn and m-bodyness K'_plaquette/K'_nn over the fit
    grid (blank where K'_nn vanishes: λ = 0). Decimation and block-spin lines are marked.
    Returns the path written."""
    k = len(land.buffers)
    fig, axes = new_figure(max(3, k + 1), 2, width=4.2, height=3.6)
    m = float(land.lambdas[-1])
    kept = land.info_kept()
    for b in range(k):
        _map(fig, axes[0, b], kept[b], land.lambdas,
             f"information kept, L_B = {land.buffers[b]} (I(V:E) = {land.mi_ve[b]:.3f} nats)",
             "I_Λ(H:E) / I(V:E)", "viridis", False)
        _lines(axes[0, b], m, legend=b == 0)
    cut = axes[0, k]
    j = len(land.lambdas) - 1
    for b in range(k):
        y, e = land.mi[b, :, j], land.mi_err[b, :, j]
        cut.plot(land.lambdas, y, color=f"C{b}", label=f"L_B = {land.buffers[b]}")
        cut.fill_between(land.lambdas, y - e, y + e, color=f"C{b}", alpha=0.25, lw=0)
    cut.axvline(m, color="0.2", ls=":", lw=1.0, label="block spin λ1 = λ2")
    cut.axvline(0.0, color="k", ls="--", lw=1.0, label="corner spin ignored")
    cut.set_xlabel(f"λ1 (corner weight) at λ2 = {m:g}")
    cut.set_ylabel("I_Λ(H:E) [nats]")
    cut.set_title("cut through the block spin (band: ±1σ)", fontsize=9)
    cut.legend(fontsize=7)
    for b in range(k + 1, axes.shape[1]):
        axes[0, b].axis("off")
    bottom = (("K2_1", "K'_nn of the coarse spins", "K'_nn", "viridis", False),
              ("rangeness", "rangeness K'_nnn / K'_nn", "rangeness", DIVERGING, True),
              ("mbodyness", "m-bodyness K'_plaquette / K'_nn", "m-bodyness", DIVERGING, True))
    for c, (name, heading, label, cmap, symmetric) in enumerate(bottom):
        _map(fig, axes[1, c], getattr(land, name), land.fit_lambdas, heading, label, cmap,
             symmetric)
        _lines(axes[1, c], m)
    for c in range(len(bottom), axes.shape[1]):
        axes[1, c].axis("off")
    fig.suptitle(title or f"one-unit rules on 2x2 blocks, 2D Ising at K = {land.K:.4f}, "
                 f"L = {land.L} ({land.samples} configurations)")
    return save_figure(fig, path, format)


def rule_comparison_figure(rules: Mapping[str, Mapping], path: str | Path, *,
                           format: str | None = None, title: str = "",
                           markers: Sequence[str] = ("o", "s", "^", "D")) -> Path:
    """Rangeness and m-bodyness (y, with jackknife errors) against I_Λ(H:E) in nats (x, with
    its error) for each rule. ``rules``: name -> {"mi": (value, error), "rangeness":
    (value, error), "mbodyness": (value, error), "block": side}; one marker shape per block
    side. Returns the path written."""
    if not rules:
        raise InputError("no rules to draw")
    fig, axes = new_figure(2, 1, width=5.2, height=4.2)
    sides = sorted({int(r["block"]) for r in rules.values()})
    shape = {side: markers[i % len(markers)] for i, side in enumerate(sides)}
    for k, (name, r) in enumerate(rules.items()):
        x, dx = r["mi"]
        for ax, key in zip(axes[0], ("rangeness", "mbodyness"), strict=True):
            y, dy = r[key]
            ax.errorbar(x, y, xerr=dx, yerr=dy, fmt=shape[int(r["block"])],
                        color=f"C{k % 10}", label=name, capsize=2)
    axes[0, 0].set_ylabel("rangeness K'_nnn / K'_nn")
    axes[0, 1].set_ylabel("m-bodyness K'_plaquette / K'_nn")
    for ax in axes[0]:
        ax.set_xlabel("I_Λ(H:E) at L_B = 0 [nats]")
        ax.axhline(0.0, color="0.6", lw=0.8)
    axes[0, 1].legend(fontsize=7, loc="best")
    blocks = ", ".join(f"{shape[s]} {s}x{s}" for s in sides)
    fig.suptitle(title or f"information kept against the coarse Hamiltonian ({blocks})")
    return save_figure(fig, path, format)
