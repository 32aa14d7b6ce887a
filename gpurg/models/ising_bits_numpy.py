"""Bit-packed Ising updates with lazily drawn random bits: the reference semantics (issue 15).

The bit-packed kernels (CUDA and host) reproduce this module bit for bit; it is written for
clarity and exactness, vectorised over groups and sites, not for speed.

Layout (a), "replica bits"
--------------------------
R replicas of an L x L torus in G = ceil(R / 32) groups of 32 lanes. The spins are uint32
words of shape (G, L, L): bit l of word [g, y, x] is the spin of replica 32 g + l at (y, x),
1 = up (+1), 0 = down (-1). The lanes of replicas R and beyond (in the last group, and in
whole groups of padding that a kernel may want, see :mod:`gpurg.models.ising_bits`) are
unused: they stay 0, are never updated and never reported (:func:`pack`, :func:`unpack`).

Metropolis / heat-bath half-sweep (:func:`bits_halfsweep`)
----------------------------------------------------------
Every site with (x + y) mod 2 == color is updated, all lanes at once:

1. Aligned neighbours. Neighbour n of a lane is aligned iff its bit equals the lane's spin
   bit; the count a in 0..4 of aligned neighbours is a bit-sliced 3-bit number
   (:func:`aligned_neighbour_count`). In the terms of
   :func:`gpurg.models.ising_rules.flip_thresholds`, nn = s (2 a - 4), so a lane of spin s
   and count a has class index 5 + a (s = +1) or 4 - a (s = -1) and flip threshold
   t = thresholds[index], an integer in [0, 2^32].
2. Sure lanes (t = 2^32, e.g. Metropolis with dE <= 0) flip; lanes with t = 0 keep their
   spin; the other lanes "need a decision": they flip iff u < t for their own uniform
   32-bit integer u.
3. Each lane's u is defined bit plane by bit plane, plane k = 0 the most significant bit
   (bit 31 - k of u). The 32 lanes of one group at one site share each plane: plane k of
   group g at site (y, x) in half-sweep ``step`` is word (k mod 4) of the Philox4x32-10 block
   with counter words

       (y * L + x,  8 g + k // 4,  step,  STREAM_BIT_UPDATE)

   and the key of the seed, and bit l of that word is bit 31 - k of lane l's u. So the eight
   blocks b = 0..7 (8 g + b in the second word, g < 2^29) hold the 32 planes, four to a
   block, most significant planes first. ``step`` is 2 * sweep + color as for the byte
   kernels (:func:`gpurg.models.ising_numpy.checkerboard_halfsweep`).
4. Bit-sliced comparison: going down from plane 0, a lane that is undecided is decided at
   the first plane where its bit of u differs from its bit of t (flip iff u's bit is 0 and
   t's is 1); a lane that is still undecided after plane 31 has u = t and does not flip.
   Laziness: plane k of (g, site) is drawn only while some lane of the group that needs a
   decision is undecided after planes 0..k-1 (a kernel draws the whole block of plane k,
   i.e. the block b is drawn iff plane 4 b is needed). A lane's decision depends on its
   own bits of u only, so drawing more planes never changes a result: the lazy decision is
   exactly u < t, and the expected number of planes is about log2(deciding lanes) + 2.

The acceptance probabilities are therefore exactly those of the byte kernels' integer
thresholds (P(u < t) = t / 2^32); only the Philox words differ, so the chains are different
realisations of the same Markov chain.

Other dimensions
----------------
The same holds word for word on the L^d torus of d dimensions (the simple-cubic lattice,
d = 3, issue 17): words (G, L, ..., L), colour (sum of the coordinates) mod 2, z = 2 d
neighbours and a in 0..z (three bit planes up to z = 7), the 2 (z + 1) thresholds of
:func:`gpurg.models.ising_rules.flip_thresholds` with class index z + 1 + a (s = +1) or
z - a (s = -1), and the site in the first counter word the row-major index of the site
(in 3D (z L + y) L + x).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from gpurg.backend.philox import STREAM_BIT_UPDATE, philox4x32

LANES = 32
PLANES = 32
PLANES_PER_BLOCK = 4
_ONE = 2**32
_ALL = np.uint32(0xFFFFFFFF)


class HalfsweepCount(NamedTuple):
    """What a half-sweep drew: over the (group, site) pairs it updated."""

    pairs: int  # (group, site) pairs updated: G * (sites of the colour)
    deciding: int  # pairs with at least one lane that needs a random decision
    planes: int  # bit planes drawn, summed over pairs
    blocks: int  # Philox blocks drawn, summed over pairs


def lane_masks(groups: int, replicas: int | None = None) -> np.ndarray:
    """uint32 (groups,): the bits of the lanes of replicas 0 .. replicas - 1 (all 32 but in
    the group of the last replica; groups past it, padding, have none)."""
    replicas = LANES * groups if replicas is None else replicas
    if not 0 < replicas <= LANES * groups:
        raise ValueError(f"{replicas} replicas do not fit {groups} groups of {LANES} lanes")
    lanes = np.clip(replicas - LANES * np.arange(groups), 0, LANES).astype(np.uint64)
    return ((np.uint64(1) << lanes) - np.uint64(1)).astype(np.uint32)


def pack(spins: np.ndarray) -> np.ndarray:
    """Spins +-1 of shape (R, L, L) as replica-bit words, uint32 (ceil(R / 32), L, L)."""
    spins = np.asarray(spins)
    R = spins.shape[0]
    G = -(-R // LANES)
    bits = np.zeros((G * LANES,) + spins.shape[1:], dtype=np.uint32)
    bits[:R] = spins > 0
    bits = bits.reshape((G, LANES) + spins.shape[1:])
    shifts = np.arange(LANES, dtype=np.uint32).reshape((1, LANES) + (1,) * (spins.ndim - 1))
    return np.bitwise_or.reduce(bits << shifts, axis=1)


def unpack(words: np.ndarray, replicas: int) -> np.ndarray:
    """Replica-bit words (G, L, L) as spins +-1, int8 (replicas, L, L)."""
    words = np.asarray(words, dtype=np.uint32)
    lane_masks(words.shape[0], replicas)  # checks that replicas fits the groups
    shifts = np.arange(LANES, dtype=np.uint32).reshape((1, LANES) + (1,) * (words.ndim - 1))
    bits = (words[:, None] >> shifts) & np.uint32(1)
    bits = bits.reshape((-1,) + words.shape[1:])[:replicas]
    return (2 * bits.astype(np.int8) - 1).astype(np.int8)


def aligned_neighbour_count(words: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bit-sliced count a = 4 * a2 + 2 * a1 + a0 of each lane's neighbours aligned with it.

    ``words`` is (G, L, ..., L) uint32, d lattice axes (periodic); returns the three bit
    planes (a0, a1, a2), each of the shape of ``words``: bit l of a_i[g, y, x] (2D) is bit i
    of the count of lane l at (y, x).
    """
    return aligned_count(words, *(np.roll(words, shift, axis)
                                  for axis in range(1, words.ndim) for shift in (1, -1)))


def aligned_count(centre: np.ndarray, *neighbours: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bit-sliced count (a0, a1, a2) of the neighbour words (at most 7) whose lane agrees
    with the lane of ``centre`` (uint32 arrays of one shape; lane by lane, 0..7)."""
    if len(neighbours) > 7:
        raise ValueError(f"three bit planes count up to 7 neighbours, got {len(neighbours)}")
    a = [np.zeros_like(centre) for _ in range(3)]
    for n in neighbours:  # add 1 where the lane agrees, carrying up the planes
        carry = ~(centre ^ n)
        for i in range(3):
            a[i], carry = a[i] ^ carry, a[i] & carry
    return a[0], a[1], a[2]


def _count_equals(a0: np.ndarray, a1: np.ndarray, a2: np.ndarray, a: int) -> np.ndarray:
    """Lanes whose bit-sliced count equals a (0..7)."""
    out = a0 if a & 1 else ~a0
    out = out & (a1 if a & 2 else ~a1)
    return out & (a2 if a & 4 else ~a2)


def classify(spin: np.ndarray, count: tuple[np.ndarray, np.ndarray, np.ndarray],
             lanes: np.ndarray, thresholds) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Sort the lanes of words into threshold classes (module docstring, step 1-2).

    Parameters
    ----------
    spin : numpy.ndarray
        uint32 (N,): the words' spins.
    count : (a0, a1, a2)
        uint32 (N,) each: the bit-sliced aligned-neighbour counts (:func:`aligned_count`).
    lanes : numpy.ndarray
        uint32 (N,): the lanes in use.
    thresholds : sequence of int
        The 2 (z + 1) flip thresholds of :func:`gpurg.models.ising_rules.flip_thresholds`
        for z neighbours (10 in 2D, 14 on the simple-cubic lattice).

    Returns
    -------
    sure : numpy.ndarray
        uint32 (N,): lanes that flip without a random number (t = 2^32).
    class_masks : numpy.ndarray
        uint32 (C, N): the lanes of each random class (0 < t < 2^32), for :func:`decide`.
    class_thresholds : list of int
        The C thresholds.
    """
    thresholds = [int(t) for t in np.asarray(thresholds)]
    z = _neighbours(thresholds)
    sure = np.zeros_like(spin)
    masks, class_thresholds = [], []
    for up in (False, True):
        s_mask = (spin if up else ~spin) & lanes
        for a in range(z + 1):
            t = thresholds[z + 1 + a if up else z - a]
            m = s_mask & _count_equals(*count, a)
            if t >= _ONE:
                sure |= m
            elif t > 0:
                masks.append(m)
                class_thresholds.append(t)
    class_masks = (np.array(masks, dtype=np.uint32) if masks
                   else np.zeros((0, spin.size), dtype=np.uint32))
    return sure, class_masks, class_thresholds


def _neighbours(thresholds: list[int]) -> int:
    """z, the neighbours of a site, from the 2 (z + 1) flip thresholds (z = 4 or 6)."""
    if len(thresholds) not in (10, 14):
        raise ValueError(f"expected the 10 (square) or 14 (simple-cubic) flip thresholds, got "
                         f"{len(thresholds)}")
    return len(thresholds) // 2 - 1


def rule_words(classes: int) -> int:
    """Length of :func:`rule_table`'s table for 2 (z + 1) = ``classes`` thresholds: 3 + 11
    ``classes`` (GPURG_BITS_RULE_WORDS(z) of kernels/ising_bits.cuh)."""
    return 3 + 11 * classes


RULE_WORDS = rule_words(10)  # the square lattice's


def rule_table(thresholds) -> np.ndarray:
    """The classes of :func:`classify`, compacted for the kernels: uint32 (3 + 11 C,) for
    the C = 2 (z + 1) thresholds of z neighbours ((113,) in 2D, (157,) in 3D).

    The layout is documented in kernels/ising_bits.cuh (gpurg_bits_rule). With h = 0 the
    thresholds of (s = +1, a) and (s = -1, a) agree for every a, and the classes are the z + 1
    counts a, either spin; else the C (s, a). The random classes (0 < t < 2^32) are listed
    with their thresholds; of the sure (t = 2^32) and the never (t = 0) classes the shorter
    list is given, and the kernels take the sure lanes as the rest when it is the never one.
    The lanes of each class, and so every decision, are those of :func:`classify`.
    """
    t = [int(x) for x in np.asarray(thresholds)]
    z = _neighbours(t)
    symmetric = all(t[z + 1 + a] == t[z - a] for a in range(z + 1))
    # (threshold, a, spin: 0 either, -1, +1), in the kernels' order of the table indices
    classes = ([(t[z + 1 + a], a, 0) for a in range(z + 1)] if symmetric else
               [(t[c], z - c, -1) for c in range(z + 1)] +
               [(t[z + 1 + a], a, 1) for a in range(z + 1)])
    random = [c for c in classes if 0 < c[0] < _ONE]
    sure = [c for c in classes if c[0] >= _ONE]
    never = [c for c in classes if c[0] == 0]
    other_is_never = len(never) < len(sure)
    other = never if other_is_never else sure
    C = len(t)
    table = np.zeros(rule_words(C), dtype=np.uint32)
    table[:3] = len(random), len(other), other_is_never
    full = 0xFFFFFFFF
    for base, listed in ((3 + C, random), (3 + 6 * C, other)):
        for i, (_, a, spin) in enumerate(listed):
            table[base + 5 * i: base + 5 * i + 5] = [
                full * (a & 1), full * ((a >> 1) & 1), full * ((a >> 2) & 1),
                full * (spin < 0), full * (spin == 0)]
    table[3:3 + len(random)] = [c[0] for c in random]
    return table


def decide(need: np.ndarray, class_masks: np.ndarray, class_thresholds, draw_block,
           lazy: bool = True) -> tuple[np.ndarray, HalfsweepCount]:
    """The bit-sliced comparison u < t for the lanes that need a decision.

    Parameters
    ----------
    need : numpy.ndarray
        uint32 (N,): per (group, site) pair, the lanes that need a decision.
    class_masks : numpy.ndarray
        uint32 (C, N): the lanes of each threshold class (disjoint, their union ``need``).
    class_thresholds : sequence of int
        The C thresholds, each in (0, 2^32).
    draw_block : callable
        draw_block(b, idx) -> uint32 (len(idx), 4): Philox block b (planes 4 b .. 4 b + 3)
        of the pairs idx.
    lazy : bool
        Draw plane k only for pairs with an undecided lane (True) or all 32 planes of every
        pair (False). The decisions are the same.

    Returns
    -------
    flip : numpy.ndarray
        uint32 (N,): the lanes that flip.
    count : HalfsweepCount
        Pairs, deciding pairs, planes and blocks drawn.
    """
    N = need.size
    thresholds = np.array([int(t) for t in class_thresholds], dtype=np.uint64)
    if thresholds.size and not (thresholds.min() > 0 and thresholds.max() < _ONE):
        raise ValueError("thresholds of random classes must lie in (0, 2^32)")
    flip = np.zeros(N, dtype=np.uint32)
    undecided = need.astype(np.uint32).copy()
    block = np.zeros((N, PLANES_PER_BLOCK), dtype=np.uint32)
    active = np.arange(N)
    planes = blocks = 0
    for k in range(PLANES):
        if lazy:
            active = active[undecided[active] != 0]
        if active.size == 0:
            break
        if k % PLANES_PER_BLOCK == 0:
            block[active] = draw_block(k // PLANES_PER_BLOCK, active)
            blocks += active.size
        planes += active.size
        u_k = block[active, k % PLANES_PER_BLOCK]
        t_bit = ((thresholds >> np.uint64(PLANES - 1 - k)) & np.uint64(1)).astype(bool)
        t_k = np.bitwise_or.reduce(class_masks[t_bit][:, active], axis=0) if t_bit.any() \
            else np.zeros(active.size, dtype=np.uint32)
        und = undecided[active]
        flip[active] |= und & t_k & ~u_k
        undecided[active] = und & ~(t_k ^ u_k)
    count = HalfsweepCount(N, int(np.count_nonzero(need)), planes, blocks)
    return flip, count


def _block_drawer(site: np.ndarray, group: np.ndarray, step: int, key: tuple[int, int]):
    """draw_block for the pairs (group[i], site[i]) of one half-sweep (module docstring)."""
    def draw_block(b: int, idx: np.ndarray) -> np.ndarray:
        counter = (site[idx], group[idx].astype(np.uint64) * 8 + b, step, STREAM_BIT_UPDATE)
        return philox4x32(counter, key)
    return draw_block


def bits_halfsweep(words: np.ndarray, thresholds: np.ndarray, color: int, step: int,
                   key: tuple[int, int], replicas: int | None = None,
                   lazy: bool = True) -> HalfsweepCount:
    """Update every site with (x + y) mod 2 == color (in 3D (x + y + z) mod 2) of every
    lane, in place.

    Parameters
    ----------
    words : numpy.ndarray
        uint32 (G, L, L), or (G, L, L, L) on the simple-cubic lattice, replica bits (module
        docstring); modified in place.
    thresholds : numpy.ndarray
        The (10,) flip thresholds of :func:`gpurg.models.ising_rules.flip_thresholds`, or
        the (14,) of the simple-cubic lattice.
    color : int
        0 or 1.
    step : int
        2 * sweep + color.
    key : (int, int)
        Philox key from the seed.
    replicas : int, optional
        Lanes in use (default all 32 G); the others are never updated.
    lazy : bool
        False draws all 32 planes (for tests: the result is the same).

    Returns
    -------
    HalfsweepCount
        What was drawn.
    """
    G = words.shape[0]
    coords = np.nonzero((np.indices(words.shape[1:]).sum(axis=0) & 1) == color)
    at = (slice(None), *coords)  # the colour's sites of every group, in row-major order
    sites = np.ravel_multi_index(coords, words.shape[1:])  # (z L + y) L + x
    a0, a1, a2 = (a[at].reshape(-1) for a in aligned_neighbour_count(words))
    spin = words[at].reshape(-1)
    lanes = np.repeat(lane_masks(G, replicas), sites.size)
    sure, class_masks, class_thresholds = classify(spin, (a0, a1, a2), lanes, thresholds)
    need = np.bitwise_or.reduce(class_masks, axis=0)
    site = np.tile(sites.astype(np.uint64), G)
    group = np.repeat(np.arange(G, dtype=np.uint64), sites.size)
    flip, count = decide(need, class_masks, class_thresholds,
                         _block_drawer(site, group, step, key), lazy=lazy)
    words[at] ^= (sure | flip).reshape(G, sites.size)
    return count


def bits_sweep(words: np.ndarray, thresholds: np.ndarray, sweep: int, key: tuple[int, int],
               replicas: int | None = None) -> list[HalfsweepCount]:
    """One sweep: colours 0 then 1, steps 2 * sweep and 2 * sweep + 1."""
    return [bits_halfsweep(words, thresholds, c, 2 * sweep + c, key, replicas) for c in (0, 1)]
