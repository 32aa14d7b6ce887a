"""Bit-packed Ising updates, "row-bits" layout: the reference semantics (issue 15, item 1b).

The kernels of kernels/ising_rows.cu reproduce this module bit for bit. The decision of a
word's 32 lanes (classes from the thresholds, lazy bit-plane comparison u < t) is that of the
replica layout, :mod:`gpurg.models.ising_bits_numpy`, whose :func:`classify`,
:func:`aligned_count` and :func:`decide` are used here unchanged; only the lanes' meaning,
the neighbour words and the Philox counters differ.

Layout (b), "row-bits"
----------------------
R replicas of an L x L torus with L a multiple of 64 (L >= 64), W = L // 64 words per row
and colour. The state is uint32 of shape (R, 2, L, W): bit l of word [r, c, y, w] is the
spin (1 = +1, 0 = -1) of replica r at (y, x) with

    x = 2 (32 w + l) + p,   p = (c + y) & 1,

i.e. word [r, c, y, :] holds the L / 2 sites of colour c = (x + y) mod 2 of row y, in
order of x, 32 to a word (site j = 32 w + l of the colour is x = 2 j + p). All 32 lanes are
in use (:func:`pack_rows`, :func:`unpack_rows`).

Neighbour words (:func:`neighbour_words`)
-----------------------------------------
A half-sweep of colour c reads the other colour o = 1 - c only. For the word (r, c, y, w),
with o[y'][w'] short for state[r, o, y' mod L, w' mod W]:

* up = o[y - 1][w] and down = o[y + 1][w], the same bits: rows y +- 1 have colour o at
  parity (o + y + 1) & 1 = p, so their site j of colour o is at the same x = 2 j + p.
* p = 1 (x = 2 j + 1): left, x - 1 = 2 j, is site j of colour o in row y (parity 0):
  left = o[y][w]; right, x + 1 = 2 (j + 1), is site j + 1:
  right = (o[y][w] >> 1) | (o[y][w + 1] << 31).
* p = 0 (x = 2 j): left, x - 1 = 2 (j - 1) + 1, is site j - 1 of colour o (parity 1):
  left = (o[y][w] << 1) | (o[y][w - 1] >> 31); right, x + 1 = 2 j + 1, is site j:
  right = o[y][w].

The periodic wrap of x is the wrap of the colour's site index j modulo L / 2 = 32 W, i.e.
of w modulo W, which the shifts above carry across words.

Half-sweep (:func:`rows_halfsweep`)
-----------------------------------
Every word (r, c, y, w) of colour c is updated at once from its four neighbour words,
lanes classified (:func:`~gpurg.models.ising_bits_numpy.classify`) and decided
(:func:`~gpurg.models.ising_bits_numpy.decide`) exactly as in the replica layout. Plane k of
word (r, c, y, w) in half-sweep ``step`` (= 2 * sweep + c) is word (k mod 4) of the
Philox4x32-10 block with counter words

    (y * W + w,  8 r + k // 4,  step,  STREAM_BIT_UPDATE)

and the key of the seed, bit l of that word being bit 31 - k of lane l's u; block b (planes
4 b .. 4 b + 3) is drawn for a word iff one of its lanes is undecided after plane 4 b - 1
(the kernels may draw more blocks, which changes no decision). The colour is not in the
counter: the step, which differs between the two colours of a sweep, is.

These functions run on NumPy arrays; :func:`pack_rows`, :func:`unpack_rows` and
:func:`neighbour_words` use plain array operations that also run on CuPy arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gpurg.backend.device import array_module
from gpurg.backend.philox import STREAM_BIT_UPDATE, philox4x32
from gpurg.models.ising_bits_numpy import (
    LANES,
    HalfsweepCount,
    aligned_count,
    classify,
    decide,
)
from gpurg.validation import Integer, checked

SITES_PER_WORD_PAIR = 2 * LANES  # columns of a row covered by word w of both colours
COLOR = Integer(0, 1)
STEP = Integer(0, 2**32 - 1, text="an integer in [0, 2^32)")  # the third counter word
SWEEP = Integer(0, 2**31 - 1)  # step = 2 * sweep + colour < 2^32


def words_per_row(L: int) -> int:
    """W = L // 64, after checking that L is a positive multiple of 64."""
    if L < SITES_PER_WORD_PAIR or L % SITES_PER_WORD_PAIR:
        raise ValueError(f"the row-bits layout needs L a positive multiple of 64, got {L}")
    return L // SITES_PER_WORD_PAIR


def _row_parity(xp: Any, L: int, color: int) -> Any:
    """p = (color + y) & 1 of every row y, shaped (L, 1) to broadcast over the words."""
    return ((xp.arange(L) + color) & 1).reshape(L, 1)


def pack_rows(spins: Any) -> Any:
    """Spins +-1 of shape (R, L, L) as row-bit words, uint32 (R, 2, L, L // 64) (NumPy or
    CuPy, the array's own module)."""
    xp = array_module(spins)
    R, L, _ = spins.shape
    W = words_per_row(L)
    pairs = (spins > 0).astype(np.uint32).reshape(R, L, L // 2, 2)  # (x even, x odd)
    shifts = xp.arange(LANES, dtype=np.uint32)
    colours = []
    for c in (0, 1):
        odd = _row_parity(xp, L, c) == 1  # colour c sits at the odd x of this row
        bits = xp.where(odd, pairs[..., 1], pairs[..., 0]).reshape(R, L, W, LANES)
        colours.append((bits << shifts).sum(axis=-1, dtype=np.uint32))  # disjoint bits: OR
    return xp.stack(colours, axis=1)


def unpack_rows(state: Any) -> Any:
    """Row-bit words (R, 2, L, W) as spins +-1, int8 (R, L, 64 W) (NumPy or CuPy)."""
    xp = array_module(state)
    R, _, L, W = state.shape
    if L != SITES_PER_WORD_PAIR * W:
        raise ValueError(f"row-bit words of shape {state.shape} are not an L x L lattice "
                         f"(L = 64 W)")
    shifts = xp.arange(LANES, dtype=np.uint32)
    bits = ((state[..., None] >> shifts) & np.uint32(1)).reshape(R, 2, L, L // 2)
    odd = (xp.arange(L) & 1).reshape(L, 1) == 1  # x even holds colour (y & 1)
    even_x = xp.where(odd, bits[:, 1], bits[:, 0])
    odd_x = xp.where(odd, bits[:, 0], bits[:, 1])
    pairs = xp.stack([even_x, odd_x], axis=-1).reshape(R, L, L)
    return (2 * pairs.astype(np.int8) - 1).astype(np.int8)


def neighbour_words(state: Any, color: int) -> tuple[Any, Any, Any, Any]:
    """The four neighbour words (up, down, left, right) of every word of colour ``color``:
    each uint32 (R, L, W), lane l of each the neighbour of lane l (module docstring)."""
    xp = array_module(state)
    L = state.shape[2]
    o = state[:, 1 - color]
    up, down = xp.roll(o, 1, axis=1), xp.roll(o, -1, axis=1)
    one, top = np.uint32(1), np.uint32(LANES - 1)
    odd = _row_parity(xp, L, color) == 1
    shifted_right = (o >> one) | (xp.roll(o, -1, axis=2) << top)  # site j + 1
    shifted_left = (o << one) | (xp.roll(o, 1, axis=2) >> top)  # site j - 1
    left = xp.where(odd, o, shifted_left)
    right = xp.where(odd, shifted_right, o)
    return up, down, left, right


def _block_drawer(R: int, L: int, W: int, step: int, key: tuple[int, int]):
    """draw_block for the words (r, y, w) of one half-sweep, in that (C) order."""
    r, y, w = (a.reshape(-1).astype(np.uint64) for a in np.indices((R, L, W)))
    site = y * np.uint64(W) + w

    def draw_block(b: int, idx: np.ndarray) -> np.ndarray:
        counter = (site[idx], r[idx] * np.uint64(8) + np.uint64(b), step, STREAM_BIT_UPDATE)
        return philox4x32(counter, key)
    return draw_block


@checked(color=COLOR, step=STEP)
def rows_halfsweep(state: np.ndarray, thresholds: np.ndarray, color: int, step: int,
                   key: tuple[int, int], lazy: bool = True) -> HalfsweepCount:
    """Update every site of colour ``color`` of every replica, in place.

    Parameters
    ----------
    state : numpy.ndarray
        uint32 (R, 2, L, W), row bits (module docstring); modified in place.
    thresholds : numpy.ndarray
        The (10,) flip thresholds of :func:`gpurg.models.ising_rules.flip_thresholds`.
    color : int
        0 or 1.
    step : int
        2 * sweep + color, in [0, 2^32).
    key : (int, int)
        Philox key from the seed.
    lazy : bool
        False draws all 32 planes (for tests: the result is the same).

    Returns
    -------
    HalfsweepCount
        What was drawn; its pairs are the words updated (R L W).
    """
    R, _, L, W = state.shape
    words_per_row(L)
    centre = state[:, color].reshape(-1)
    count = aligned_count(centre, *(n.reshape(-1) for n in neighbour_words(state, color)))
    lanes = np.full(centre.size, np.uint32(0xFFFFFFFF))
    sure, class_masks, class_thresholds = classify(centre, count, lanes, thresholds)
    need = np.bitwise_or.reduce(class_masks, axis=0)
    flip, drawn = decide(need, class_masks, class_thresholds,
                         _block_drawer(R, L, W, step, key), lazy=lazy)
    state[:, color] ^= (sure | flip).reshape(R, L, W)
    return drawn


@checked(sweep=SWEEP)
def rows_sweep(state: np.ndarray, thresholds: np.ndarray, sweep: int,
               key: tuple[int, int]) -> list[HalfsweepCount]:
    """One sweep: colours 0 then 1, steps 2 * sweep and 2 * sweep + 1."""
    return [rows_halfsweep(state, thresholds, c, 2 * sweep + c, key) for c in (0, 1)]
