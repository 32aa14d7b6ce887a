"""The "row-bits" spin layout: 32 sites of one colour of one row in a uint32 word (issue 15).

State: uint32 (R, 2, L, L // 64) for L a multiple of 64; the layout, its neighbour words and
its random numbers are documented with its NumPy twin, :mod:`gpurg.models.ising_rows_numpy`.
The ``numpy`` backend runs that twin; ``cpu`` and ``gpu`` run kernels/ising_rows.cu, one
launch per half-sweep, and give the same chain bit for bit.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from gpurg.backend import Backend, KernelFamily
from gpurg.backend.fastdiv import magic
from gpurg.errors import InputError
from gpurg.models.base import REPLICAS
from gpurg.models.ising_bits_numpy import LANES, RULE_WORDS
from gpurg.models.ising_layouts import PackedBits, spin_sums
from gpurg.models.ising_rows_numpy import (
    SITES_PER_WORD_PAIR,
    pack_rows,
    rows_halfsweep,
    unpack_rows,
)
from gpurg.validation import Integer, checked, to_host

__all__ = ["ROWS_VARIANTS", "RowBits", "rows_variant"]

# (words per thread, word bits) of the ising_rows_halfsweep_<NS>_<BITS> kernels, the one list
# they are instantiated from: on a GPU 2 words of 32 bits, as registers bound occupancy; on
# the host 4 words, whose Philox blocks fill AVX2 registers, of 64 bits (two consecutive
# 32-bit words of a row side by side) when a row has an even number of 32-bit words
ROWS_VARIANTS = ((2, 32), (4, 32), (4, 64))
ROWS_SIDE = Integer(SITES_PER_WORD_PAIR, 65536, multiple=SITES_PER_WORD_PAIR)
_MAX_WORDS = 2**31  # gpurg_fastdiv's range: R L W words of a colour at most


def rows_variant(L: int, gpu: bool) -> tuple[int, int]:
    """(words per thread, word bits) of the half-sweep kernel for side L (:data:`ROWS_VARIANTS`)."""
    if gpu:
        return 2, 32
    return 4, (64 if (L // SITES_PER_WORD_PAIR) % 2 == 0 else 32)


def _halfsweep_sizes(state, table, L, R, *_):
    return (2 * R * L * (L // SITES_PER_WORD_PAIR), RULE_WORDS, *[None] * 10)


_ROWS = KernelFamily(
    "ising_rows.cu",
    {
        **{f"ising_rows_halfsweep_{n}_{b}": ("gpurg_u32*", "const gpurg_u32*", "int", "int",
                                             "int", "gpurg_u32", "gpurg_u32", "gpurg_u32",
                                             "gpurg_u32", "int", "gpurg_u32", "int")
           for n, b in ROWS_VARIANTS},
        "ising_rows_spin_sums": ("const gpurg_u32*", "int*", "int*", "int", "int"),
    },
    instantiations=tuple(f"ISING_ROWS_HALFSWEEP({n}, {b})" for n, b in ROWS_VARIANTS),
    # a thread's few words take a microsecond or more: 512 threads are worth both cores
    host_parallel_threads=512,
    # elements each launch touches: the words of R lattices, the rule table, a sum per row
    sizes={
        **{f"ising_rows_halfsweep_{n}_{b}": _halfsweep_sizes for n, b in ROWS_VARIANTS},
        "ising_rows_spin_sums": lambda state, bonds, mag, L, R: (
            2 * R * L * (L // SITES_PER_WORD_PAIR), R * L, R * L, None, None),
    },
)


class RowBits(PackedBits):
    """R lattices with the sites of one colour of one row packed 32 to a uint32 word.

    Parameters
    ----------
    L : int
        Linear size, a multiple of 64.
    R : int
        Replicas.
    backend : Backend
    """

    name: ClassVar[str] = "row-bits"

    @checked(L=ROWS_SIDE, R=REPLICAS)
    def __init__(self, L: int, R: int, backend: Backend) -> None:
        if R * L * (L // SITES_PER_WORD_PAIR) >= _MAX_WORDS:
            raise InputError(f"{R} replicas of side {L} are too many for the row-bits layout "
                             f"(R L^2 / 64 must be < 2^31)")
        super().__init__(L, R, backend)
        self.W = L // SITES_PER_WORD_PAIR

    @classmethod
    def applies(cls, L: int, R: int) -> bool:
        """L is a positive multiple of 64 (a word pair covers 64 columns)."""
        return L >= SITES_PER_WORD_PAIR and L % SITES_PER_WORD_PAIR == 0

    def pack(self, spins: Any) -> Any:
        return pack_rows(spins)

    def unpack(self, state: Any) -> Any:
        return unpack_rows(state)

    def sweeps(self, state: Any, rule: Any, first: int, n: int,
               key: tuple[int, int]) -> None:
        backend = self.backend
        if not backend.uses_kernels:
            for sweep in range(first, first + n):
                for color in (0, 1):
                    rows_halfsweep(state, rule, color, 2 * sweep + color, key)
            return
        L, R = self.L, self.R
        ns, bits = rows_variant(L, backend.name == "gpu")
        words = self.W * LANES // bits  # per row and colour
        name = f"ising_rows_halfsweep_{ns}_{bits}"
        threads = -(-R * L * words // ns)
        division = (*magic(words), *magic(L))
        for sweep in range(first, first + n):
            for color in (0, 1):
                _ROWS.launch(backend, name, threads, state, rule, L, R, color,
                             2 * sweep + color, *key, *division)

    def spin_sums(self, state: Any) -> tuple[np.ndarray, np.ndarray]:
        backend, L, R = self.backend, self.L, self.R
        xp = backend.xp
        if not backend.uses_kernels:
            return spin_sums(unpack_rows(state))
        bonds = xp.empty(R * L, dtype=np.int32)
        mag = xp.empty(R * L, dtype=np.int32)
        _ROWS.launch(backend, "ising_rows_spin_sums", R * L, state, bonds, mag, L, R)
        return (to_host(bonds.reshape(R, L).sum(axis=1, dtype=np.int64)),
                to_host(mag.reshape(R, L).sum(axis=1, dtype=np.int64)))
