"""3D Ising updates in vectorised NumPy: the reference path the kernels of
``kernels/ising3d.cu`` are tested against.

Each function mirrors one kernel and draws the same Philox words for the same decisions, so
the two paths produce identical chains. The layout is the 2D one of
:mod:`gpurg.models.ising_numpy` one dimension up: a box (Lz, Ly, Lx) is Lz * Ly rows of Lx
sites, row q = z Ly + y; group g of 8 columns of row q in replica r owns the Philox block
(q G + g, r, step, stream), G = ceil(Lx / 8), and site x uses word (x mod 8) // 2 of it.
Every function takes any box with even sides >= 2 (the simple-cubic model has Lz = Ly = Lx).
"""

from __future__ import annotations

import numpy as np

from gpurg.backend.philox import STREAM_HOT_START, STREAM_LOCAL_UPDATE, philox4x32

__all__ = ["checkerboard_halfsweep", "hot_start", "site_words"]


def site_words(shape: tuple[int, int, int], R: int, step: int, stream: int,
               key: tuple[int, int]) -> np.ndarray:
    """The Philox word of every site, uint32 (R, Lz, Ly, Lx): word (x mod 8) // 2 of the block
    (q G + g, r, step, stream) of its row q = z Ly + y and group g = x // 8."""
    Lz, Ly, Lx = shape
    G = (Lx + 7) // 8
    q = np.arange(Lz * Ly, dtype=np.uint64)[:, None]
    g = np.arange(G, dtype=np.uint64)[None, :]
    r = np.arange(R, dtype=np.uint64)[:, None, None]
    words = philox4x32((q * G + g, r, step, stream), key)  # (R, Lz Ly, G, 4)
    return np.repeat(words, 2, axis=-1).reshape(R, Lz, Ly, 8 * G)[..., :Lx]


def hot_start(shape: tuple[int, int, int], R: int, key: tuple[int, int]) -> np.ndarray:
    """Random initial spins, int8 (R, Lz, Ly, Lx): +1 iff bit (x mod 2) of the site's word
    (step 0, stream HOT_START) is set."""
    words = site_words(shape, R, 0, STREAM_HOT_START, key)
    bit = (words >> (np.arange(shape[2], dtype=np.uint32) & 1)) & 1
    return np.where(bit == 1, 1, -1).astype(np.int8)


def checkerboard_halfsweep(
    spins: np.ndarray, thresholds: np.ndarray, color: int, step: int, key: tuple[int, int]
) -> None:
    """Update every site with (x + y + z) mod 2 == color, in place.

    Parameters
    ----------
    spins : numpy.ndarray
        int8, shape (R, Lz, Ly, Lx), values +1/-1, every side even; modified in place.
    thresholds : numpy.ndarray
        uint64, shape (14,), from :func:`gpurg.models.ising_rules.flip_thresholds` with
        ``neighbours=6``: a site flips iff its word is below entry 7 (s > 0) + n_plus.
    color : int
        0 or 1.
    step : int
        2 * sweep + color: the counter word that makes each half-sweep's numbers fresh.
    key : (int, int)
        Philox key from the seed.
    """
    R = spins.shape[0]
    s = spins.astype(np.int32)
    # on a side of 2 both rolls reach the same neighbour, which then counts twice, as in H
    nn = sum(np.roll(s, shift, axis) for axis in (1, 2, 3) for shift in (1, -1))
    idx = 7 * (s > 0) + (nn + 6) // 2
    u = site_words(spins.shape[1:], R, step, STREAM_LOCAL_UPDATE, key).astype(np.uint64)
    zz, yy, xx = np.indices(spins.shape[1:])
    flip = (u < thresholds[idx]) & (((xx + yy + zz) & 1) == color)
    spins[flip] *= -1
