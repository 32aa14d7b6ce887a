"""Ising updates in vectorised NumPy, on the square lattice and the simple cubic one: the
reference path the kernels are tested against.

Each function mirrors one kernel of ``kernels/ising.cu``, ``kernels/ising3d.cu`` or their
cluster files and draws the same Philox words for the same decisions, so the paths produce
identical chains. Spins are int8 (R, *shape) with shape (L, L) or (Lz, Ly, Lx), every side
even. The random-number layout is one for every dimension: the lattice is rows of Lx sites,
row q = y in 2D and z Ly + y in 3D; group g of 8 columns of row q in replica r owns the
Philox block (q G + g, r, step, stream), G = ceil(Lx / 8), and site x uses word
(x mod 8) // 2 of it.
"""

from __future__ import annotations

import math

import numpy as np

from gpurg.backend.philox import (
    STREAM_HOT_START,
    STREAM_LOCAL_UPDATE,
    STREAM_SW_BONDS,
    STREAM_SW_FLIPS,
    philox4x32,
)

__all__ = ["checkerboard_halfsweep", "hot_start", "site_words", "swendsen_wang_sweep"]


def site_words(shape: tuple[int, ...], R: int, step: int, stream: int,
               key: tuple[int, int]) -> np.ndarray:
    """The Philox word of every site, uint32 (R, *shape): row q, group x // 8, word
    (x mod 8) // 2 (the module's layout)."""
    rows, Lx = math.prod(shape[:-1]), shape[-1]
    G = (Lx + 7) // 8
    q = np.arange(rows, dtype=np.uint64)[:, None]
    g = np.arange(G, dtype=np.uint64)[None, :]
    r = np.arange(R, dtype=np.uint64)[:, None, None]
    words = philox4x32((q * G + g, r, step, stream), key)  # (R, rows, G, 4)
    return np.repeat(words, 2, axis=-1).reshape(R, *shape[:-1], 8 * G)[..., :Lx]


def hot_start(shape: tuple[int, ...], R: int, key: tuple[int, int]) -> np.ndarray:
    """Random initial spins, int8 (R, *shape): +1 iff bit (x mod 2) of the site's word (step
    0, stream HOT_START) is set."""
    words = site_words(shape, R, 0, STREAM_HOT_START, key)
    bit = (words >> (np.arange(shape[-1], dtype=np.uint32) & 1)) & 1
    return np.where(bit == 1, 1, -1).astype(np.int8)


def checkerboard_halfsweep(
    spins: np.ndarray, thresholds: np.ndarray, color: int, step: int, key: tuple[int, int]
) -> None:
    """Update every site whose coordinates sum to ``color`` mod 2, in place.

    Parameters
    ----------
    spins : numpy.ndarray
        int8, shape (R, *shape) of d = 2 or 3 lattice axes, values +1/-1; modified in place.
    thresholds : numpy.ndarray
        uint64, shape (2 (2d + 1),), from :func:`gpurg.models.ising_rules.flip_thresholds`
        with 2d neighbours: a site flips iff its word is below entry (2d + 1) (s > 0) + n_plus.
    color : int
        0 or 1.
    step : int
        2 * sweep + color: the counter word that makes each half-sweep's numbers fresh.
    key : (int, int)
        Philox key from the seed.
    """
    R, *shape = spins.shape
    axes = range(1, len(shape) + 1)
    s = spins.astype(np.int32)
    # on a side of 2 both rolls reach the same neighbour, which then counts twice, as in H
    nn = sum(np.roll(s, shift, axis) for axis in axes for shift in (1, -1))
    neighbours = 2 * len(shape)
    idx = (neighbours + 1) * (s > 0) + (nn + neighbours) // 2
    u = site_words(tuple(shape), R, step, STREAM_LOCAL_UPDATE, key).astype(np.uint64)
    flip = (u < thresholds[idx]) & ((sum(np.indices(shape)) & 1) == color)
    spins[flip] *= -1


def swendsen_wang_sweep(
    spins: np.ndarray, bond_threshold: int, coupling_sign: int, step: int, key: tuple[int, int]
) -> None:
    """One Swendsen–Wang update of every replica, in place.

    Parameters
    ----------
    spins : numpy.ndarray
        int8 ±1, shape (R, *shape) of 2 or 3 lattice axes, every side >= 2; modified in
        place.
    bond_threshold : int
        In [0, 2^32]: a satisfied bond is laid iff its Philox word is below it
        (:func:`gpurg.models.ising_rules.bond_threshold`).
    coupling_sign : int
        +1 (ferromagnet: bonds join equal spins) or -1 (antiferromagnet: opposite spins).
    step : int
        The sweep number (the third counter word).
    key : (int, int)
        Philox key from the seed.
    """
    from scipy.sparse import coo_matrix  # imported here: SciPy's import is slow for a CLI
    from scipy.sparse.csgraph import connected_components

    R = spins.shape[0]
    N = spins[0].size
    words = philox4x32(
        (np.arange(N, dtype=np.uint64)[None, :], np.arange(R, dtype=np.uint64)[:, None], step,
         STREAM_SW_BONDS),
        key,
    )  # (R, N, 4)
    s = spins.astype(np.int32) * coupling_sign
    node = np.arange(R * N).reshape(spins.shape)
    rows, cols = [], []
    # +x bonds use word 0, +y word 1, +z word 2: the last axis first
    for word, axis in enumerate(range(spins.ndim - 1, 0, -1)):
        laid = (s * np.roll(spins, -1, axis) > 0).reshape(R, N) & (words[..., word]
                                                                    < bond_threshold)
        rows.append(node.reshape(R, N)[laid])
        cols.append(np.roll(node, -1, axis).reshape(R, N)[laid])
    row, col = np.concatenate(rows), np.concatenate(cols)
    graph = coo_matrix((np.ones(row.size, np.int8), (row, col)), shape=(R * N, R * N))
    _, labels = connected_components(graph, directed=False)
    # Components never span replicas, so a component's first node is its smallest site.
    _, first = np.unique(labels, return_index=True)
    coins = philox4x32((first % N, first // N, step, STREAM_SW_FLIPS), key)[:, 0] & 1
    spins.reshape(R * N)[coins[labels] == 1] *= -1
