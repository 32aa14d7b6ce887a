"""The ``replica-bits`` spin layout of the simple-cubic Ising model (issue 17).

The 2D layout of :mod:`gpurg.models.ising_bits` one dimension up: R replicas of an
L x L x L torus as the bits of words, 32 replicas to a group, two groups to a uint64 word
(uint32 for R <= 32), state uint64 (ceil(R / 64), L, L, L); bit l of word [q, z, y, x] is
replica 64 q + l at (z, y, x), 1 = +1. The decisions are those of the square lattice with six
neighbours (:mod:`gpurg.models.ising_bits_numpy`, "Other dimensions": the aligned count 0..6
in three bit planes, 14 threshold classes), and plane k of group g at site (z, y, x) in
half-sweep ``step`` is word k mod 4 of the Philox block ((z L + y) L + x, 8 g + k // 4, step,
BIT_UPDATE). kernels/ising3d_bits.cu runs the sweeps on the ``cpu`` and ``gpu`` backends, the
NumPy twin on ``numpy``, with the same chain bit for bit; it is a different realisation of the
byte layout's Markov chain (the same integer thresholds), not the same chain.

The layout objects take and give int8 ±1 spins (R, L, L, L) (:meth:`pack`, :meth:`unpack`), and
their spin sums are over the 3 N bonds (each site's bonds to x + 1, y + 1 and z + 1).
"""

from __future__ import annotations

from typing import ClassVar

from gpurg.backend import KernelFamily
from gpurg.models.ising_bits import ReplicaBits, replica_kernels

_KERNELS = replica_kernels("ising3d_bits.cu", "ising3d_bits", 3)


class ReplicaBits3D(ReplicaBits):
    """Replicas as the bits of words on the simple-cubic lattice (module docstring). State:
    uint64 (ceil(R / 64), L, L, L), or uint32 (1, L, L, L) for R <= 32. L even, >= 2, with
    ceil(R / 64) L^3 < 2^31 words."""

    dim: ClassVar[int] = 3
    kernels: ClassVar[KernelFamily] = _KERNELS
    prefix: ClassVar[str] = "ising3d_bits"
