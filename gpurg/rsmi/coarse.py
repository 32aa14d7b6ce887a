"""Coarse-graining with a rule: every L_V x L_V tile of a lattice becomes its hidden units.

Applied with stride L_V to configurations (n, L, L) (Ising spins, or dimer image pixels, where
sizes count pixels), a rule with n_h units gives (n, n_h, L / L_V, L / L_V) configurations of
±1 hidden units; on the simple cubic lattice, (n, L, L, L) with L_V x L_V x L_V tiles, it gives
(n, n_h, L / L_V, L / L_V, L / L_V). Either way the units are drawn from P_Λ(H|V) ("sample")
or are the most probable H ("max"; a unit whose activation is exactly 0 is drawn, since both
signs are then equally probable). The random words
are Philox blocks keyed by the seed (the RBM conditional's layout), so a coarse-graining is
reproducible on every backend.
"""

from __future__ import annotations

from typing import Any

from gpurg.backend import Backend
from gpurg.backend.device import array_module
from gpurg.backend.philox import seed_to_key
from gpurg.errors import InputError
from gpurg.rbm import sample_hidden
from gpurg.rsmi.rule import CoarseGrainingRule, activations

MODES = ("sample", "max")


def tiles(configs: Any, block: int) -> Any:
    """The visible vectors of the stride-``block`` tiling, same dtype and array module:
    (n, L/b, L/b, b^2) for configs (n, L, L), visible index y b + x within a tile, and
    (n, L/b, L/b, L/b, b^3) for configs (n, L, L, L), index (z b + y) b + x (the rule's
    row-major order, :attr:`gpurg.rsmi.geometry.Geometry.visible_offsets`)."""
    if configs.ndim not in (3, 4):
        raise InputError(f"configs must be (n, L, L) or (n, L, L, L), got shape "
                         f"{configs.shape}")
    n, *sides = configs.shape
    if block < 1 or any(side % block for side in sides):
        raise InputError(f"block {block} does not tile a {' x '.join(map(str, sides))} "
                         f"lattice")
    d = len(sides)
    counts = [side // block for side in sides]
    # each axis splits into (tile index, offset in the tile); the tile indices go first
    t = configs.reshape(n, *(x for m in counts for x in (m, block)))
    order = (0, *range(1, 2 * d, 2), *range(2, 2 * d + 1, 2))
    return t.transpose(order).reshape(n, *counts, block**d)


def coarse_grain(configs: Any, rule: CoarseGrainingRule, block: int, *, mode: str = "sample",
                 seed: int = 0, level: int = 0, device: str | Backend | None = None) -> Any:
    """One RG step: int8 (n, n_h, L/b, L/b) of ±1 hidden units for configs (n, L, L) of values
    in {-1, 0, +1} (Ising spins, dimer pixels), or (n, n_h, L/b, L/b, L/b) for (n, L, L, L)
    (simple cubic spins, b x b x b tiles; the rule then reads b^3 sites).

    The rule is an RBM's hidden layer (P(h_j = +1 | v) = sigmoid(2 a_j)), so the units are
    drawn by the batched RBM conditional (:func:`gpurg.rbm.sample_hidden`: the CUDA kernel on
    the gpu and cpu backends), one chain per tile; ``level`` is the call counter, so that
    successive steps draw fresh numbers.
    """
    if mode not in MODES:
        raise InputError(f"unknown coarse-graining mode {mode!r}; allowed: {', '.join(MODES)}")
    d = configs.ndim - 1
    if rule.n_visible != block**d:
        raise InputError(f"the filter reads {rule.n_visible} sites, a "
                         f"{' x '.join([str(block)] * d)} block has {block**d}")
    xp = array_module(configs)
    v = tiles(configs, block)
    n, *counts, nv = v.shape
    v = xp.asarray(v.reshape(1, -1, nv), dtype=xp.int8)
    W = xp.asarray(rule.filters.T[None])
    b = xp.asarray(rule.bias[None])
    h = sample_hidden(v, W, b, seed_to_key(seed), level, units="pm1", device=device)[0]
    if mode == "max":
        a = activations(xp.asarray(rule.filters), xp.asarray(rule.bias), v[0])
        h = xp.where(a == 0, h, xp.where(a > 0, 1, -1)).astype(xp.int8)
    # (n, *coarse lattice, n_h) -> (n, n_h, *coarse lattice)
    return xp.moveaxis(h.reshape(n, *counts, rule.n_hidden), -1, 1).copy()
