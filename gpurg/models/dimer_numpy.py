"""Reference directed-loop worms in NumPy, vectorised across replicas.

Bit-identical twin of ``kernels/dimer.cu``: the same random words pick the same tails and
exits, so every replica follows the same chain. Python loops over worm steps (all replicas
advance together), never over replicas or sites, so it is meant for checking the kernels and
for small lattices.
"""

from __future__ import annotations

import numpy as np

from gpurg.backend.philox import philox4x32

_STEP_X = np.array([1, 0, -1, 0], dtype=np.int64)
_STEP_Y = np.array([0, 1, 0, -1], dtype=np.int64)


def worm_updates(codes: np.ndarray, worms: np.ndarray, steps: np.ndarray,
                 thresholds: np.ndarray, n_worms: int, step_target: int, stream: int,
                 key: tuple[int, int]) -> None:
    """Run ``n_worms`` whole worms in every replica, or fewer where its step count reaches
    ``step_target`` first (in place).

    Parameters
    ----------
    codes : numpy.ndarray
        int8 (R, L, L) site codes, updated in place.
    worms, steps : numpy.ndarray
        uint32 (R,) worms done and uint64 (R,) worm steps done per replica, updated in place.
    thresholds : numpy.ndarray
        uint64 (81, 4, 3) exit thresholds (:func:`gpurg.models.dimer_rules.exit_thresholds`).
    n_worms : int
        Worms to run per replica.
    step_target : int
        Step count at which a replica stops starting new worms.
    stream : int
        Philox purpose word (worms of the chain, or of the random start).
    key : (int, int)
        Philox key from the seed.
    """
    R, L, _ = codes.shape
    flat = codes.reshape(R, L * L)
    thr = thresholds.reshape(-1, 3)
    in_worm = np.zeros(R, dtype=bool)
    left = np.full(R, n_worms, dtype=np.int64)
    tail = np.zeros(R, dtype=np.int64)
    hx = np.zeros(R, dtype=np.int64)
    hy = np.zeros(R, dtype=np.int64)
    entrance = np.zeros(R, dtype=np.int64)
    s = np.zeros(R, dtype=np.int64)
    block = np.zeros((R, 4), dtype=np.uint32)
    while True:
        new = np.flatnonzero(~in_worm & (left > 0) & (steps < np.uint64(step_target)))
        if new.size:
            b0 = philox4x32((0, worms[new], new, stream), key)
            tx = (b0[:, 0].astype(np.int64) * L) >> 32
            ty = (b0[:, 1].astype(np.int64) * L) >> 32
            t = ty * L + tx
            tail_code = flat[new, t].astype(np.int64)
            tail[new] = t
            hx[new] = (t % L + _STEP_X[tail_code]) % L
            hy[new] = (t // L + _STEP_Y[tail_code]) % L
            entrance[new] = tail_code ^ 2
            s[new] = 0
            block[new] = b0
            in_worm[new] = True
            left[new] -= 1
        r = np.flatnonzero(in_worm)
        if r.size == 0:
            return
        slot = s[r] + 2
        refresh = (slot & 3) == 0
        if refresh.any():
            rr = r[refresh]
            block[rr] = philox4x32((slot[refresh] >> 2, worms[rr], rr, stream), key)
        u = block[r, slot & 3].astype(np.uint64)
        x, y = hx[r], hy[r]
        xp, xm, yp, ym = (x + 1) % L, (x - 1) % L, (y + 1) % L, (y - 1) % L
        nbr = np.stack([y * L + xp, yp * L + x, y * L + xm, ym * L + x])  # (4, n) by leg
        nbr_code = flat[r, nbr].astype(np.int64)
        nbr_code[nbr == tail[r]] = 4  # the tail is unpaired
        c_xp, c_yp, c_xm, c_ym = nbr_code
        n0 = (c_yp == 0).astype(np.int64) + (c_ym == 0)
        n2 = (c_yp == 2).astype(np.int64) + (c_ym == 2)
        n1 = (c_xp == 1).astype(np.int64) + (c_xm == 1)
        n3 = (c_xp == 3).astype(np.int64) + (c_xm == 3)
        row = thr[(n0 + 3 * n1 + 9 * n2 + 27 * n3) * 4 + entrance[r]]
        exit_leg = (u[:, None] >= row).sum(axis=1)
        pivot = nbr[exit_leg, np.arange(r.size)]
        s[r] += 1
        flat[r, y * L + x] = exit_leg
        closing = pivot == tail[r]
        pivot_code = flat[r, pivot].astype(np.int64)
        flat[r, pivot] = exit_leg ^ 2
        moving = ~closing
        rm = r[moving]
        pc = pivot_code[moving]
        hx[rm] = (pivot[moving] % L + _STEP_X[pc]) % L
        hy[rm] = (pivot[moving] // L + _STEP_Y[pc]) % L
        entrance[rm] = pc ^ 2
        rc = r[closing]
        steps[rc] += s[rc].astype(np.uint64)
        worms[rc] += np.uint32(1)
        in_worm[rc] = False
