"""Ising updates in vectorised NumPy: the reference path the kernels are tested against.

Each function mirrors one kernel of ``kernels/ising.cu`` or ``kernels/ising_cluster.cu`` and
draws the same Philox words for the same decisions (the layout is described there), so the
two paths produce identical chains.
"""

from __future__ import annotations

import numpy as np

from gpurg.backend.philox import (
    STREAM_HOT_START,
    STREAM_LOCAL_UPDATE,
    STREAM_SW_BONDS,
    STREAM_SW_FLIPS,
    philox4x32,
)


def _site_words(L: int, R: int, step: int, stream: int, key: tuple[int, int]) -> np.ndarray:
    """The Philox word of every site, (R, L, L) uint32: group x // 8, word (x mod 8) // 2."""
    G = (L + 7) // 8
    y = np.arange(L, dtype=np.uint64)[:, None]
    g = np.arange(G, dtype=np.uint64)[None, :]
    r = np.arange(R, dtype=np.uint64)[:, None, None]
    words = philox4x32((y * G + g, r, step, stream), key)  # (R, L, G, 4)
    return np.repeat(words, 2, axis=-1).reshape(R, L, 8 * G)[:, :, :L]


def hot_start(L: int, R: int, key: tuple[int, int]) -> np.ndarray:
    """Random initial spins, (R, L, L) int8: +1 iff bit (x mod 2) of the site's word is set."""
    words = _site_words(L, R, 0, STREAM_HOT_START, key)
    bit = (words >> (np.arange(L, dtype=np.uint32) & 1)) & 1
    return np.where(bit == 1, 1, -1).astype(np.int8)


def checkerboard_halfsweep(
    spins: np.ndarray, thresholds: np.ndarray, color: int, step: int, key: tuple[int, int]
) -> None:
    """Update every site with (x + y) mod 2 == color, in place.

    Parameters
    ----------
    spins : numpy.ndarray
        int8, shape (R, L, L), values +1/-1; modified in place.
    thresholds : numpy.ndarray
        uint64, shape (10,), from :func:`gpurg.models.ising_rules.flip_thresholds`.
    color : int
        0 or 1.
    step : int
        2 * sweep + color: the counter word that makes each half-sweep's numbers fresh.
    key : (int, int)
        Philox key from the seed.
    """
    R, L, _ = spins.shape
    s = spins.astype(np.int32)
    nn = (np.roll(s, 1, 1) + np.roll(s, -1, 1) + np.roll(s, 1, 2) + np.roll(s, -1, 2))
    idx = 5 * (s > 0) + (nn + 4) // 2
    u = _site_words(L, R, step, STREAM_LOCAL_UPDATE, key).astype(np.uint64)
    yy, xx = np.indices((L, L))
    flip = (u < thresholds[idx]) & (((xx + yy) & 1) == color)
    spins[flip] *= -1


def swendsen_wang_sweep(
    spins: np.ndarray, bond_threshold: int, coupling_sign: int, step: int, key: tuple[int, int]
) -> None:
    """One Swendsen–Wang update of every replica, in place.

    Parameters
    ----------
    spins : numpy.ndarray
        int8, shape (R, L, L); modified in place.
    bond_threshold : int
        From :func:`gpurg.models.ising_rules.bond_threshold`.
    coupling_sign : int
        +1 (ferromagnet: bonds join equal spins) or -1 (antiferromagnet: opposite spins).
    step : int
        The sweep number.
    key : (int, int)
        Philox key from the seed.
    """
    from scipy.sparse import coo_matrix  # imported here: SciPy's import is slow for a CLI
    from scipy.sparse.csgraph import connected_components

    R, L, _ = spins.shape
    N = L * L
    words = philox4x32(
        (np.arange(N, dtype=np.uint64)[None, :], np.arange(R, dtype=np.uint64)[:, None], step,
         STREAM_SW_BONDS),
        key,
    )
    s = spins.astype(np.int32) * coupling_sign
    node = np.arange(R * N).reshape(R, L, L)
    edges = []
    for axis, word in ((2, 0), (1, 1)):  # +x bonds use word 0, +y bonds word 1
        neighbour = np.roll(spins, -1, axis)
        laid = (s * neighbour > 0).reshape(R, N) & (words[..., word] < bond_threshold)
        edges.append((node.reshape(R, N)[laid], np.roll(node, -1, axis).reshape(R, N)[laid]))
    rows = np.concatenate([a for a, _ in edges])
    cols = np.concatenate([b for _, b in edges])
    graph = coo_matrix((np.ones(rows.size, np.int8), (rows, cols)), shape=(R * N, R * N))
    _, labels = connected_components(graph, directed=False)
    # Components never span replicas, so a component's first node is its smallest site.
    _, first = np.unique(labels, return_index=True)
    roots = first % N
    coins = philox4x32((roots, first // N, step, STREAM_SW_FLIPS), key)[:, 0] & 1
    spins.reshape(R * N)[coins[labels] == 1] *= -1
