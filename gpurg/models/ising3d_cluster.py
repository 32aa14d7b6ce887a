"""Swendsen–Wang cluster updates of the simple-cubic Ising model (h = 0), R replicas at once.

The semantics, which every backend realises bit for bit
(:func:`gpurg.models.ising_numpy.swendsen_wang_sweep` is the reference): site index
i = (z Ly + y) Lx + x; site i draws Philox block (i, r, step, SW_BONDS) and word 0, 1, 2 of it
decides its bond to +x, +y, +z; a bond between satisfied neighbours (s_i s_j J > 0) is laid
iff the word is below the bond threshold. On a side of 2 the bond from i and the bond from its
neighbour join the same pair but are separate bonds, each with its own word. Each cluster
flips iff bit 0 of word 0 of block (root, r, step, SW_FLIPS) is 1, root being the cluster's
smallest site index; step is the sweep number.

On the ``gpu`` and ``cpu`` backends kernels/ising3d_cluster.cu runs the sweep: one thread per
tile of 4 x 4 x 4 sites labels the clusters inside its tile in registers, and only the local
clusters joined by bonds that leave a tile meet in the lock-free union-find.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from gpurg.backend import KernelFamily
from gpurg.errors import InputError
from gpurg.models import ising_numpy
from gpurg.models.ising import IsingUpdate
from gpurg.models.ising_rules import bond_threshold

__all__ = ["SW3_TILE", "SwendsenWang3D"]

SW3_TILE = 4  # each thread labels SW3_TILE^3 sites (kernels/ising3d_cluster.cu)


def _tiles(Lx: int, Ly: int, Lz: int) -> int:
    """Tiles of one replica: ceil(L / SW3_TILE) along each axis, multiplied."""
    return (-(-Lx // SW3_TILE)) * (-(-Ly // SW3_TILE)) * (-(-Lz // SW3_TILE))


_CLUSTER3D = KernelFamily(
    "ising3d_cluster.cu",
    {
        "sw3_local": ("const signed char*", "unsigned char*", "gpurg_u64*", "int*", "int",
                      "int", "int", "int", "int", "gpurg_u64", "gpurg_u32", "gpurg_u32",
                      "gpurg_u32"),
        "sw3_union": ("const unsigned char*", "const gpurg_u64*", "int*", "int", "int", "int",
                      "int"),
        "sw3_flip": ("signed char*", "const unsigned char*", "const int*", "int", "int", "int",
                     "int", "gpurg_u32", "gpurg_u32", "gpurg_u32"),
    },
    # a thread does 64 sites' work: 256 tiles are some 0.5 ms on one core (about 30 ns a
    # site), far more than waking the other cores costs
    host_parallel_threads=256,
    # spins, local labels and cluster parents: one element per site of R boxes; the bonds
    # that leave a tile: one word per tile
    sizes={
        "sw3_local": lambda s, b, c, p, Lx, Ly, Lz, R, *_: (
            R * Lx * Ly * Lz, R * Lx * Ly * Lz, R * _tiles(Lx, Ly, Lz), R * Lx * Ly * Lz,
            *(None,) * 9),
        "sw3_union": lambda b, c, p, Lx, Ly, Lz, R: (
            R * Lx * Ly * Lz, R * _tiles(Lx, Ly, Lz), R * Lx * Ly * Lz, *(None,) * 4),
        "sw3_flip": lambda s, b, p, Lx, Ly, Lz, R, *_: (R * Lx * Ly * Lz,) * 3 + (None,) * 7,
    },
)


class SwendsenWang3D(IsingUpdate):
    """Swendsen–Wang clusters on the simple-cubic torus (h = 0): bonds between satisfied
    neighbours with probability 1 - exp(-2|J|/T), each cluster flipped by the coin of its
    smallest site (the module docstring gives the random numbers).

    ``sampler`` is an :class:`~gpurg.models.ising3d.Ising3DSampler`: ``spins`` int8
    (R, Lz, Ly, Lx) on its backend, ``model`` with T, J, h and ``shape`` (Lz, Ly, Lx) (a
    cube for the model, any box of sides >= 2 here), ``key``, ``backend``, ``sweeps_done``,
    ``replicas``.
    """

    name: ClassVar[str] = "swendsen-wang"

    def __init__(self, sampler: Any) -> None:
        super().__init__(sampler)
        m, backend = sampler.model, sampler.backend
        self._bond_threshold = bond_threshold(m.T, m.J)
        self._sign = 1 if m.J > 0 else -1
        if backend.uses_kernels:  # work arrays of the cluster kernels
            # from the model: the sampler makes its update before its spins
            shape = (sampler.replicas, *m.shape)
            if len(shape) != 4 or min(shape[1:]) < 2:
                raise InputError(f"spins must have shape (R, Lz, Ly, Lx), sides >= 2, got "
                                 f"{shape}")
            if int(np.prod(shape)) >= 2**31:  # the kernels' 32-bit site indices
                raise InputError(f"swendsen-wang kernels need R * N < 2^31, got shape {shape}")
            R, Lz, Ly, Lx = shape
            self._labels = backend.xp.empty(shape, dtype=np.uint8)
            self._parent = backend.xp.empty(shape, dtype=np.int32)
            self._cross = backend.xp.empty(R * _tiles(Lx, Ly, Lz), dtype=np.uint64)

    @classmethod
    def check(cls, model: Any) -> None:
        if model.h != 0:
            raise InputError(f"swendsen-wang needs field h = 0, got h = {model.h}")

    def sweeps(self, sampler: Any, n: int) -> None:
        spins, key, backend = sampler.spins, sampler.key, sampler.backend
        for sweep in range(sampler.sweeps_done, sampler.sweeps_done + n):
            if not backend.uses_kernels:
                ising_numpy.swendsen_wang_sweep(spins, self._bond_threshold, self._sign, sweep,
                                                key)
                continue
            R, Lz, Ly, Lx = spins.shape
            n_tiles = self._cross.size  # one thread per tile
            # label the clusters inside each tile, unite them across tiles, flip
            _CLUSTER3D.launch(backend, "sw3_local", n_tiles, spins, self._labels, self._cross,
                              self._parent, Lx, Ly, Lz, R, self._sign, self._bond_threshold,
                              sweep, *key)
            _CLUSTER3D.launch(backend, "sw3_union", n_tiles, self._labels, self._cross,
                              self._parent, Lx, Ly, Lz, R)
            _CLUSTER3D.launch(backend, "sw3_flip", n_tiles, spins, self._labels, self._parent,
                              Lx, Ly, Lz, R, sweep, *key)
