"""How the checkerboard samplers hold the spins of R replicas of an L x L torus (issue 15).

A :class:`SpinLayout` packs int8 spins (R, L, L) into its state array, unpacks them, runs
checkerboard sweeps on the state and measures it. ``bytes`` is one int8 per spin
(kernels/ising.cu); the bit-packed layouts hold 32 spins per uint32 word and draw random
bits lazily (kernels/ising_bits.cuh): ``replica-bits``, replica 32 g + l of a site in bit l of
a word (:mod:`gpurg.models.ising_bits`), and ``row-bits``, 32 sites of one colour of one row
in a word (:mod:`gpurg.models.ising_rows`). Every layout is exact: the same Markov chain
(the same acceptance probabilities), realised by different Philox words; on every backend a
layout gives the same chain bit for bit. The simple-cubic model's layouts
(:mod:`gpurg.models.ising3d`) are the same classes one lattice axis up: spins (R, L, L, L),
colour (x + y + z) mod 2, 14 thresholds, 3 L^3 bonds.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np

from gpurg.backend import Backend
from gpurg.backend.device import array_module
from gpurg.models.ising_bits_numpy import rule_table
from gpurg.validation import to_host


class SpinLayout(ABC):
    """The spins of R replicas of an L x L torus in one packed state array.

    Parameters
    ----------
    L : int
        Linear size (even).
    R : int
        Replicas.
    backend : Backend
        Where the state lives and the sweeps run.
    """

    name: ClassVar[str]

    def __init__(self, L: int, R: int, backend: Backend) -> None:
        self.L, self.R, self.backend = L, R, backend

    @classmethod
    def applies(cls, L: int, R: int) -> bool:
        """Whether the layout can hold R replicas of side L. Default: always."""
        return True

    @abstractmethod
    def pack(self, spins: Any) -> Any:
        """int8 ±1 spins (R, L, L) on the backend's device as the layout's state array."""

    @abstractmethod
    def unpack(self, state: Any) -> Any:
        """The state as int8 ±1 spins (R, L, L), on the backend's device."""

    def rule(self, thresholds: np.ndarray) -> Any:
        """The flip rule as :meth:`sweeps` takes it, made once per sampler from the (10,)
        (square lattice) or (14,) (simple cubic) uint64 thresholds of
        :func:`gpurg.models.ising_rules.flip_thresholds`. Default: the thresholds on the
        backend's device."""
        return self.backend.xp.asarray(thresholds)

    @abstractmethod
    def sweeps(self, state: Any, rule: Any, first: int, n: int,
               key: tuple[int, int]) -> None:
        """Sweeps ``first`` .. ``first + n - 1`` of every replica, in place.

        Each sweep updates colour 0 then colour 1 ((x + y) mod 2), half-sweep ``step`` =
        2 * sweep + colour keying its random numbers; ``rule`` comes from :meth:`rule`.
        """

    @abstractmethod
    def spin_sums(self, state: Any) -> tuple[np.ndarray, np.ndarray]:
        """Host int64 arrays (R,): sum over bonds of s_i s_j (2 L^2 bonds) and sum of s_i."""


class PackedBits(SpinLayout):
    """A bit-packed layout: its kernels take the rule as the class table of
    :func:`gpurg.models.ising_bits_numpy.rule_table`, its NumPy twin the thresholds."""

    def rule(self, thresholds: np.ndarray) -> Any:
        if not self.backend.uses_kernels:
            return np.asarray(thresholds)
        return self.backend.xp.asarray(rule_table(thresholds))


def spin_sums(spins: Any) -> tuple[np.ndarray, np.ndarray]:
    """Host int64 arrays (R,) of int8 ±1 spins (R, L, L), or (R, L, L, L) in 3D (NumPy or
    CuPy): the sum over the d N bonds of the torus (each site's bond along +x, +y, ...) of
    s_i s_j, and the sum of s_i."""
    xp = array_module(spins)
    axes = tuple(range(1, spins.ndim))
    # each site times the sum of its d forward neighbours: in [-d, d], fits int8
    bonds = spins * sum(xp.roll(spins, -1, axis=a) for a in axes)
    return (to_host(bonds.sum(axis=axes, dtype=np.int64)),
            to_host(spins.sum(axis=axes, dtype=np.int64)))
