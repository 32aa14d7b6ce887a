"""Philox4x32-10 counter-based random numbers in NumPy, bit-identical to the kernels.

The same generator, and the table of random streams read here, live in
``kernels/gpurg_common.cuh``. Every random decision in gpurg is a
pure function of (seed, counter), so a chain does not depend on the backend, the launch
configuration or the number of threads.
"""

from __future__ import annotations

import re

import numpy as np

from gpurg.backend.device import Backend
from gpurg.backend.kernels import KernelFamily
from gpurg.backend.sources import kernel_dir
from gpurg.validation import SEED

_M0 = np.uint64(0xD2511F53)
_M1 = np.uint64(0xCD9E8D57)
_W0 = 0x9E3779B9
_W1 = 0xBB67AE85
_MASK = np.uint64(0xFFFFFFFF)
_SHIFT = np.uint64(32)
_STREAM_DEFINE = re.compile(r"^#define GPURG_STREAM_(\w+) (\d+)u\b", re.MULTILINE)


def _read_streams() -> dict[str, int]:
    """The table of random streams in ``kernels/gpurg_common.cuh``: name -> value."""
    text = (kernel_dir() / "gpurg_common.cuh").read_text()
    streams = {m.group(1): int(m.group(2)) for m in _STREAM_DEFINE.finditer(text)}
    values = sorted(streams.values())
    if not streams or len(set(values)) != len(values):
        raise RuntimeError(f"random streams in gpurg_common.cuh must be distinct: {streams}")
    return streams


# Purposes of random numbers (the fourth counter word), read from the one table in
# kernels/gpurg_common.cuh that the kernels use.
STREAMS = _read_streams()
STREAM_LOCAL_UPDATE = STREAMS["LOCAL_UPDATE"]
STREAM_HOT_START = STREAMS["HOT_START"]
STREAM_SW_BONDS = STREAMS["SW_BONDS"]
STREAM_SW_FLIPS = STREAMS["SW_FLIPS"]
STREAM_DIMER_WORM = STREAMS["DIMER_WORM"]
STREAM_DIMER_NOISE = STREAMS["DIMER_NOISE"]
STREAM_DIMER_START = STREAMS["DIMER_START"]
STREAM_RBM = STREAMS["RBM"]
STREAM_PAIR_POSITIONS = STREAMS["PAIR_POSITIONS"]  # random (V, E) pair positions (rsmi.geometry)
STREAM_CHAIN_SAMPLES = STREAMS["CHAIN_SAMPLES"]  # exact 1D Ising chains (gpurg.rsmi.exact)
STREAM_MAJORITY = STREAMS["MAJORITY"]  # majority-rule tie-breaks (gpurg.rg.maps)
STREAM_BIT_UPDATE = STREAMS["BIT_UPDATE"]  # bit-packed Ising updates (models.ising_bits_numpy)


def check_seed(seed: int) -> int:
    """The seed as an int if it is an integer in [0, 2^64), the range of a Philox key
    (:data:`gpurg.validation.SEED`); the one check of every seed (the CLI's --seed
    included), so that a seed that some path never turns into a key (decimation, a
    noise-free conversion) is refused all the same."""
    return SEED.check("seed", seed)


def seed_to_key(seed: int) -> tuple[int, int]:
    """Split a seed in [0, 2^64) into the two 32-bit Philox key words (low, high)."""
    seed = check_seed(seed)
    return seed & 0xFFFFFFFF, seed >> 32


def independent_seed(seed: int, *indices: int) -> int:
    """A seed in [0, 2^64) for run ``indices`` (a grid point, a restart) of a study with base
    ``seed``, from NumPy's SeedSequence: distinct (seed, indices) give unrelated streams.
    (``seed + j`` would not: base seeds s and s + 1 would share all but one run's random
    numbers, so "independent" seeds of a study would give correlated estimates.)"""
    state = np.random.SeedSequence([int(seed), *map(int, indices)]).generate_state(1, np.uint64)
    return int(state[0])


def philox4x32(counter: tuple, key: tuple[int, int]) -> np.ndarray:
    """Philox4x32-10 blocks for broadcastable counter words.

    Parameters
    ----------
    counter : tuple of 4 integer arrays or ints
        Counter words (c0, c1, c2, c3); arrays broadcast against each other, values < 2^32.
    key : (int, int)
        Key words (k0, k1).

    Returns
    -------
    numpy.ndarray
        uint32, shape ``broadcast_shape + (4,)``: the four output words of each block.
    """
    words = np.broadcast_arrays(*(np.asarray(w, dtype=np.uint64) for w in counter))
    x, y, z, w = (np.array(v, dtype=np.uint64) for v in words)
    p0, p1 = np.empty_like(x), np.empty_like(x)
    k0, k1 = int(key[0]), int(key[1])
    for _ in range(10):  # in place: temporaries would double the time on large lattices
        np.multiply(x, _M0, out=p0)
        np.multiply(z, _M1, out=p1)
        np.right_shift(p1, _SHIFT, out=x)
        np.bitwise_xor(x, y, out=x)
        np.bitwise_xor(x, np.uint64(k0), out=x)
        np.right_shift(p0, _SHIFT, out=z)
        np.bitwise_xor(z, w, out=z)
        np.bitwise_xor(z, np.uint64(k1), out=z)
        np.bitwise_and(p1, _MASK, out=y)
        np.bitwise_and(p0, _MASK, out=w)
        k0 = (k0 + _W0) & 0xFFFFFFFF
        k1 = (k1 + _W1) & 0xFFFFFFFF
    out = np.empty(x.shape + (4,), dtype=np.uint32)
    for i, v in enumerate((x, y, z, w)):
        out[..., i] = v
    return out


def philox_blocks(backend: Backend, counters: np.ndarray, key: tuple[int, int],
                  *, lanes: bool = False) -> np.ndarray:
    """Philox blocks computed by ``backend`` (by the kernels of ``kernels/rng.cu`` on the gpu
    and cpu backends), for checking them against :func:`philox4x32`.

    Parameters
    ----------
    counters : numpy.ndarray
        uint32, shape (n, 4).
    lanes : bool
        Use the 4-blocks-in-lockstep path of the Ising kernel (n must be a multiple of 4).

    Returns
    -------
    numpy.ndarray
        uint32, shape (n, 4), on the host.
    """
    counters = np.ascontiguousarray(counters, dtype=np.uint32)
    n = counters.shape[0]
    if not backend.uses_kernels:
        return philox4x32(tuple(counters.T), key)
    if lanes and n % 4:
        raise ValueError(f"the lanes path takes a multiple of 4 blocks, got {n}")
    xp = backend.xp
    ctr = xp.asarray(counters)
    out = xp.zeros_like(ctr)
    name = "philox_blocks_lanes" if lanes else "philox_blocks"
    _RNG.launch(backend, name, n // 4 if lanes else n, ctr, out, n, *key)
    return backend.asnumpy(out)


_RNG = KernelFamily("rng.cu", {
    name: ("const gpurg_u32*", "gpurg_u32*", "int", "gpurg_u32", "gpurg_u32")
    for name in ("philox_blocks", "philox_blocks_lanes")
}, sizes=dict.fromkeys(("philox_blocks", "philox_blocks_lanes"),
                       lambda ctr, out, n, k0, k1: (4 * n, 4 * n, None, None, None)))
