"""Coarse-graining with a rule: every L_V x L_V tile of a lattice becomes its hidden units.

Applied with stride L_V to configurations (n, L, L) (Ising spins, or dimer image pixels, where
sizes count pixels), a rule with n_h units gives (n, n_h, L / L_V, L / L_V) configurations of
±1 hidden units: drawn from P_Λ(H|V) ("sample") or the most probable H ("max"; a unit whose
activation is exactly 0 is drawn, since both signs are then equally probable). The random words
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
    """The visible vectors of the stride-``block`` tiling: (n, L/b, L/b, b^2) for configs
    (n, L, L), visible index y b + x within a tile (the rule's row-major order)."""
    n, ly, lx = configs.shape
    if block < 1 or ly % block or lx % block:
        raise InputError(f"block {block} does not tile a {ly} x {lx} lattice")
    t = configs.reshape(n, ly // block, block, lx // block, block)
    return t.transpose(0, 1, 3, 2, 4).reshape(n, ly // block, lx // block, block * block)


def coarse_grain(configs: Any, rule: CoarseGrainingRule, block: int, *, mode: str = "sample",
                 seed: int = 0, level: int = 0, device: str | Backend | None = None) -> Any:
    """One RG step: int8 (n, n_h, L/b, L/b) of ±1 hidden units for configs (n, L, L) of values
    in {-1, 0, +1} (Ising spins, dimer pixels).

    The rule is an RBM's hidden layer (P(h_j = +1 | v) = sigmoid(2 a_j)), so the units are
    drawn by the batched RBM conditional (:func:`gpurg.rbm.sample_hidden`: the CUDA kernel on
    the gpu and cpu backends), one chain per tile; ``level`` is the call counter, so that
    successive steps draw fresh numbers.
    """
    if mode not in MODES:
        raise InputError(f"unknown coarse-graining mode {mode!r}; allowed: {', '.join(MODES)}")
    if rule.n_visible != block * block:
        raise InputError(f"the filter reads {rule.n_visible} sites, a {block} x {block} block "
                         f"has {block * block}")
    xp = array_module(configs)
    v = tiles(configs, block)
    n, ly, lx, nv = v.shape
    v = xp.asarray(v.reshape(1, -1, nv), dtype=xp.int8)
    W = xp.asarray(rule.filters.T[None])
    b = xp.asarray(rule.bias[None])
    h = sample_hidden(v, W, b, seed_to_key(seed), level, units="pm1", device=device)[0]
    if mode == "max":
        a = activations(xp.asarray(rule.filters), xp.asarray(rule.bias), v[0])
        h = xp.where(a == 0, h, xp.where(a > 0, 1, -1)).astype(xp.int8)
    return h.reshape(n, ly, lx, rule.n_hidden).transpose(0, 3, 1, 2).copy()
