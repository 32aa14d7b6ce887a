"""Coarse-graining with a rule: every L_V x L_V tile of a lattice becomes its hidden units.

Applied with stride L_V to configurations (n, L, L) (Ising spins, or dimer image pixels, where
sizes count pixels), a rule with n_h units gives (n, n_h, L / L_V, L / L_V) configurations of
±1 hidden units: drawn from P_Λ(H|V) ("sample") or the most probable H ("max"; a unit whose
activation is exactly 0 is drawn, since both signs are then equally probable). The random words
are Philox blocks keyed by the seed, so a coarse-graining is reproducible on every backend.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gpurg.backend.device import array_module
from gpurg.backend.philox import STREAM_COARSE_GRAIN, philox4x32, seed_to_key
from gpurg.errors import InputError
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
                 seed: int = 0, level: int = 0) -> Any:
    """One RG step: int8 (n, n_h, L/b, L/b) of ±1 hidden units for configs (n, L, L).

    ``level`` enters the random counter, so that successive steps draw fresh numbers.
    """
    if mode not in MODES:
        raise InputError(f"unknown coarse-graining mode {mode!r}; allowed: {', '.join(MODES)}")
    if rule.n_visible != block * block:
        raise InputError(f"the filter reads {rule.n_visible} sites, a {block} x {block} block "
                         f"has {block * block}")
    xp = array_module(configs)
    v = tiles(configs, block)
    n, ly, lx, nv = v.shape
    a = activations(xp.asarray(rule.filters), xp.asarray(rule.bias), v.reshape(-1, nv))
    a = a.reshape(n, ly, lx, rule.n_hidden).transpose(0, 3, 1, 2)  # (n, n_h, ly, lx)
    # unit j of site s of sample i: Philox word j % 4 of block (s, i, level * 64 + j // 4)
    site = np.arange(ly * lx)[None, None, :]
    sample = np.arange(n)[:, None, None]
    group = (level * 64 + np.arange(rule.n_hidden) // 4)[None, :, None]
    words = philox4x32((site, sample, group, STREAM_COARSE_GRAIN), seed_to_key(seed))
    u = np.take_along_axis(words, (np.arange(rule.n_hidden) % 4)[None, :, None, None],
                           axis=-1)[..., 0].reshape(n, rule.n_hidden, ly, lx)
    u = xp.asarray(u.astype(np.float64))
    # P(h = +1) = sigmoid(2a); u < p 2^32 draws it from the 32-bit word
    p_up = 0.5 * (1.0 + xp.tanh(a))
    drawn = u < xp.floor(p_up * 2.0**32 + 0.5)
    if mode == "max":
        drawn = xp.where(a == 0, drawn, a > 0)
    return xp.where(drawn, 1, -1).astype(xp.int8)
