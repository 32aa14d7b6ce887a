"""The ``replica-bits`` spin layout: replicas as the bits of words (issue 15).

Groups of 32 replicas share a word per site (:mod:`gpurg.models.ising_bits_numpy` has the
semantics); in memory two groups share a uint64 word (low half group 2 q, high half group
2 q + 1: lane l of word [q, y, x] is replica 64 q + l), so that one 64-bit operation does the
work of two, or, for R <= 32, the one group is a uint32 word. The sweeps run
kernels/ising_bits.cu on the ``cpu`` and ``gpu`` backends and the NumPy twin on ``numpy``,
with the same chain bit for bit. A bit plane of random numbers serves the 32 lanes of a group
at once and is drawn only while a lane is undecided: about 6 planes (1.5 Philox blocks) per
group and site at T_c, against one 32-bit word per spin in the byte layout.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

import numpy as np

from gpurg.backend import Backend, KernelFamily
from gpurg.backend.device import array_module
from gpurg.models.ising_bits_numpy import LANES, bits_sweep, rule_words
from gpurg.models.ising_layouts import PackedBits, spin_sums

# (sites per thread, word bits) of the ising_bits_halfsweep_<NS>_<BITS> and
# ising_bits_sweeps_<NS>_<BITS> kernels: 2 sites on a GPU, where registers bound occupancy; 4
# on the host, whose 4 or 8 Philox blocks fill AVX2 registers
BITS_VARIANTS = ((2, 32), (4, 32), (2, 64), (4, 64))
# Below this many words per half-sweep a GPU launch costs more than the work it launches, and
# ising_bits_sweeps_<NS>_<BITS> runs many sweeps in one launch (a block per word and site).
GPU_SWEEPS_PER_LAUNCH_BELOW = 2**19
SWEEPS_PER_LAUNCH = 64  # at most: a launch still returns often enough for Ctrl-C


def _params(bits: int, tail: tuple[str, ...]) -> tuple[str, ...]:
    return (f"gpurg_u{bits}*", "const gpurg_u32*", "int", "int", "int", *tail)


def replica_kernels(source: str, prefix: str, dim: int) -> KernelFamily:
    """The kernels of the replica layout on the L^dim torus in ``source``: <prefix>_halfsweep
    and <prefix>_sweeps of every :data:`BITS_VARIANTS` (instantiated by the source's
    upper-case <PREFIX>(NS, BITS) macro) and <prefix>_counts_<BITS>, a thread per row of L
    words (L^(dim - 1) rows per word)."""
    words = rule_words(2 * (2 * dim + 1))
    return KernelFamily(
        source,
        {
            **{f"{prefix}_halfsweep_{n}_{b}": _params(b, ("int", "gpurg_u32", "gpurg_u32",
                                                          "gpurg_u32"))
               for n, b in BITS_VARIANTS},
            **{f"{prefix}_sweeps_{n}_{b}": _params(b, ("gpurg_u32", "int", "gpurg_u32",
                                                       "gpurg_u32"))
               for n, b in BITS_VARIANTS},
            **{f"{prefix}_counts_{b}": (f"const gpurg_u{b}*", "int", "int", "int*")
               for b in (32, 64)},
        },
        instantiations=tuple(f"{prefix.upper()}({n}, {b})" for n, b in BITS_VARIANTS),
        blockwise=tuple(f"{prefix}_sweeps_{n}_{b}" for n, b in BITS_VARIANTS),
        # a thread's few words take a microsecond or more: 512 threads are worth both cores
        host_parallel_threads=512,
        # elements each launch touches: Q L^dim words, the rule table; 2 BITS counts per row
        sizes={
            **{f"{prefix}_{kind}_{n}_{b}": lambda w, t, L, Q, *_: (Q * L**dim, words,
                                                                   *[None] * 7)
               for n, b in BITS_VARIANTS for kind in ("halfsweep", "sweeps")},
            **{f"{prefix}_counts_{b}": (lambda w, L, Q, out, b=b: (
                Q * L**dim, None, None, 2 * b * Q * L**(dim - 1))) for b in (32, 64)},
        },
    )


_KERNELS = replica_kernels("ising_bits.cu", "ising_bits", 2)


class ReplicaBits(PackedBits):
    """Replicas as the bits of words (module docstring). State: uint64 (ceil(R / 64), L, L),
    or uint32 (1, L, L) for R <= 32; one axis L more per dimension of a subclass's lattice
    (``dim``: :class:`gpurg.models.ising3d_bits.ReplicaBits3D`), whose ``kernels`` run
    ``<prefix>_halfsweep``, ``<prefix>_sweeps`` and ``<prefix>_counts`` on rows of L words."""

    name: ClassVar[str] = "replica-bits"
    dim: ClassVar[int] = 2
    kernels: ClassVar[KernelFamily] = _KERNELS
    prefix: ClassVar[str] = "ising_bits"

    def __init__(self, L: int, R: int, backend: Backend) -> None:
        super().__init__(L, R, backend)
        self.bits = 64 if R > LANES else LANES
        self.dtype = np.dtype(np.uint64 if self.bits == 64 else np.uint32)
        self.words = -(-R // self.bits)  # Q: words per site
        self.lattice = (L,) * self.dim
        self.rows = L ** (self.dim - 1)  # rows of L sites, row q = z L + y in 3D
        if self.words * self.rows * L >= 2**31:  # the kernels index words with 32-bit integers
            raise ValueError(f"{R} replicas of L = {L} exceed 2^31 words")
        self.n_sites = 2 if backend.name == "gpu" else 4

    @classmethod
    def lane_fill(cls, R: int) -> float:
        """The share of the lanes of ceil(R / 32) groups that hold a replica."""
        return R / (LANES * -(-R // LANES))

    def pack(self, spins: Any) -> Any:
        """int8 ±1 (R, L, L) as words (Q, L, L) (one axis L more per dimension); lanes past R
        are 0. One pass per lane (at most 64), each over the replicas of that lane, so that no
        array larger than the words is made."""
        xp = array_module(spins)
        state = xp.zeros((self.words, *self.lattice), dtype=self.dtype)
        for lane in range(min(self.bits, self.R)):
            up = spins[lane::self.bits] > 0  # replicas bits q + lane: words q = 0, 1, ...
            state[:up.shape[0]] |= up.astype(self.dtype) << self.dtype.type(lane)
        return state

    def unpack(self, state: Any) -> Any:
        xp = array_module(state)
        spins = xp.empty((self.R, *self.lattice), dtype=np.int8)
        one = self.dtype.type(1)
        for lane in range(min(self.bits, self.R)):
            n = len(range(lane, self.R, self.bits))
            bits = ((state[:n] >> self.dtype.type(lane)) & one).astype(np.int8)
            spins[lane::self.bits] = 2 * bits - 1
        return spins

    def sweeps(self, state: Any, rule: Any, first: int, n: int,
               key: tuple[int, int]) -> None:
        backend = self.backend
        if not backend.uses_kernels:
            self._numpy_sweeps(state, rule, first, n, key)
            return
        kind = f"{self.n_sites}_{self.bits}"
        common = (state, rule, self.L, self.words, self.R)
        if self._sweeps_per_launch(backend.name == "gpu"):
            done = 0
            while done < n:
                m = min(SWEEPS_PER_LAUNCH, n - done)
                self.kernels.launch_blocks(backend, f"{self.prefix}_sweeps_{kind}",
                                           self.words, *common, 2 * (first + done), 2 * m,
                                           *key)
                done += m
            return
        threads = self.words * self.rows * -(-(self.L // 2) // self.n_sites)
        for sweep in range(first, first + n):
            for color in (0, 1):
                self.kernels.launch(backend, f"{self.prefix}_halfsweep_{kind}", threads,
                                    *common, color, 2 * sweep + color, *key)

    def _numpy_sweeps(self, state: np.ndarray, thresholds: np.ndarray, first: int, n: int,
                      key: tuple[int, int]) -> None:
        """The NumPy twin on the groups (uint32 (G, L, L)) that the words hold."""
        if self.bits == 64:
            low, high = np.uint64(0xFFFFFFFF), np.uint64(32)
            groups = np.stack([state & low, state >> high], axis=1).astype(np.uint32)
            groups = groups.reshape(2 * self.words, *self.lattice)
        else:
            groups = state
        for sweep in range(first, first + n):
            bits_sweep(groups, thresholds, sweep, key, replicas=self.R)
        if self.bits == 64:
            pairs = groups.reshape(self.words, 2, *self.lattice).astype(np.uint64)
            state[...] = pairs[:, 0] | (pairs[:, 1] << np.uint64(32))

    def _sweeps_per_launch(self, gpu: bool) -> bool:
        """Many sweeps per launch (a block per word) or one launch per half-sweep: the former
        when the blocks fill the machine (host: a block per core) or, on a GPU, when a
        half-sweep is too short to pay for its launch."""
        if gpu:
            return self.words * self.rows * self.L // 2 < GPU_SWEEPS_PER_LAUNCH_BELOW
        return self.words >= (os.cpu_count() or 1)

    def spin_sums(self, state: Any) -> tuple[np.ndarray, np.ndarray]:
        backend, L, Q = self.backend, self.L, self.words
        if not backend.uses_kernels:
            return spin_sums(self.unpack(state))
        counts = backend.xp.empty((Q, self.rows, 2, self.bits), dtype=np.int32)
        self.kernels.launch(backend, f"{self.prefix}_counts_{self.bits}", Q * self.rows,
                            state, L, Q, counts)
        sums = backend.asnumpy(counts.sum(axis=1, dtype=np.int64))  # (Q, 2, bits)
        up, aligned = sums[:, 0].reshape(-1)[:self.R], sums[:, 1].reshape(-1)[:self.R]
        n_sites = self.rows * L
        return 2 * aligned - self.dim * n_sites, 2 * up - n_sites
