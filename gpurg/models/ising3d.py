"""The simple-cubic Ising model: R replicas of an L x L x L torus, on any backend (issue 17).

H = -J sum_i sum_{d = x, y, z} s_i s_{i + e_d} - h sum_i s_i, k_B = 1: 3 N bond terms, so on
L = 2, where i + e_d and i - e_d are the same site, every neighbour pair appears twice (and a
local update's neighbour sum counts it twice). Spins are int8 (R, L, L, L), axes (z, y, x).

Checkerboard Metropolis and heat-bath run the kernels of ``kernels/ising3d.cu`` (or their
NumPy twin in :mod:`gpurg.models.ising_numpy`) with the random-number layout of the 2D model
one dimension up; Swendsen–Wang is :class:`gpurg.models.ising3d_cluster.SwendsenWang3D`. A
chain is a pure function of its parameters and the seed, whichever backend runs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from gpurg.backend import Backend, KernelFamily
from gpurg.backend.fastdiv import magic
from gpurg.errors import InputError
from gpurg.models import ising_numpy
from gpurg.models.base import REPLICAS, Model, register
from gpurg.models.ising import (
    STARTS,
    Bytes,
    HeatBath,
    HypercubicIsing,
    HypercubicIsingSampler,
    IsingUpdate,
    Metropolis,
)
from gpurg.models.ising3d_bits import ReplicaBits3D
from gpurg.models.ising3d_cluster import SwendsenWang3D
from gpurg.models.ising_layouts import SpinLayout
from gpurg.validation import SEED, Choice, Integer, checked

__all__ = [
    "CHECKERBOARD_TILES", "LAYOUTS", "LAYOUT_REQUESTS", "NEIGHBOURS", "SIDE", "UPDATES",
    "Bytes3D", "Ising3DModel", "Ising3DSampler",
    "checkerboard_sweeps", "checkerboard_tile", "choose_layout", "hot_start",
]

NEIGHBOURS = 6  # of a site of the simple cubic lattice
# (groups of 8 columns, rows of a plane) per thread of the ising3d_checkerboard_<S>x<ROWS>
# kernels: the one list, from which the kernels are instantiated
CHECKERBOARD_TILES = ((1, 2), (2, 2), (4, 2), (1, 4), (2, 4), (4, 4))
# an even side whose L^3 sites have 32-bit indices in the kernels (1290^3 < 2^31 < 1292^3)
SIDE = Integer(2, 1290, multiple=2)

_LOCAL = KernelFamily(
    "ising3d.cu",
    {
        **{f"ising3d_checkerboard_{s}x{r}": ("signed char*", "const gpurg_u64*", "int", "int",
                                              "int", "int", "int", "gpurg_u32", "gpurg_u32",
                                              "gpurg_u32", "gpurg_u32", "int", "gpurg_u32",
                                              "int", "gpurg_u32", "int")
           for s, r in CHECKERBOARD_TILES},
        "ising3d_hot_start": ("signed char*", "int", "int", "int", "int", "gpurg_u32",
                              "gpurg_u32"),
    },
    instantiations=tuple(f"ISING3D_CHECKERBOARD({s}, {r})" for s, r in CHECKERBOARD_TILES),
    # elements each launch touches: the spins of R boxes, the 14 flip thresholds
    sizes={
        **{f"ising3d_checkerboard_{s}x{r}": lambda spins, thr, Lz, Ly, Lx, R, *_: (
            R * Lz * Ly * Lx, 2 * (NEIGHBOURS + 1), *[None] * 14)
           for s, r in CHECKERBOARD_TILES},
        "ising3d_hot_start": lambda spins, Lz, Ly, Lx, R, k0, k1: (
            R * Lz * Ly * Lx, *[None] * 6),
    },
)


@dataclass(frozen=True)
class Ising3DModel(HypercubicIsing):
    """The Ising model on an L x L x L simple-cubic torus (:class:`HypercubicIsing`; L even,
    >= 2: L = 2 is a test case whose neighbour pairs are doubled)."""

    name: ClassVar[str] = "ising3d"
    lattice_dim: ClassVar[int] = 3
    side: ClassVar[Integer] = SIDE


# ---------------------------------------------------------------------- box-level updates
def checkerboard_tile(Ly: int, Lx: int, gpu: bool) -> tuple[int, int]:
    """Tile (groups of 8 columns, rows of a plane) each checkerboard thread owns in a box
    whose planes are Ly x Lx. Rows must divide Ly.

    On the CPU the most Philox blocks per thread (up to 16, which fill the host's SIMD lanes)
    win unless most of them would serve groups beyond the row's end: one core, ns per site
    update (best of 7, a loaded machine), L = 16: 2x4 64, 1x4 93, 2x2 98, 4x4 101; L = 24: 4x4
    40-61, 2x4 46-82, 1x4 91; L = 8: 1x4 62-88, 2x4 71, 1x2 121, 4x4 93; L = 64: 4x4 40, 4x2
    69, 2x4 72. On a GPU (not measured in 3D) the 2D choice, where 2 x 2 was fastest.
    """
    groups = (Lx + 7) // 8
    if gpu:
        return (2 if groups >= 2 else 1), 2
    return (4 if groups >= 3 else groups), (4 if Ly % 4 == 0 else 2)


def hot_start(backend: Backend, shape: tuple[int, int, int], R: int,
              key: tuple[int, int]) -> Any:
    """Random spins int8 (R, Lz, Ly, Lx) on the backend's device (every side even, >= 2):
    :func:`gpurg.models.ising_numpy.hot_start` on every backend."""
    if not backend.uses_kernels:
        return ising_numpy.hot_start(shape, R, key)
    Lz, Ly, Lx = shape
    spins = backend.xp.empty((R, Lz, Ly, Lx), dtype=np.int8)
    _LOCAL.launch(backend, "ising3d_hot_start", R * Lz * Ly * ((Lx + 7) // 8), spins, Lz, Ly,
                  Lx, R, *key)
    return spins


def checkerboard_sweeps(backend: Backend, spins: Any, thresholds: Any, first: int, n: int,
                        key: tuple[int, int]) -> None:
    """Checkerboard sweeps ``first`` .. ``first + n - 1`` of int8 spins (R, Lz, Ly, Lx) on the
    backend's device, in place: colour 0 then colour 1 ((x + y + z) mod 2), half-sweep
    ``step`` = 2 sweep + colour keying the Philox words (see kernels/ising3d.cu).

    ``thresholds`` are the 14 uint64 entries of
    :func:`~gpurg.models.ising_rules.flip_thresholds` (``neighbours=6``) on the device.
    """
    R, Lz, Ly, Lx = spins.shape
    if not backend.uses_kernels:
        for sweep in range(first, first + n):
            for color in (0, 1):
                ising_numpy.checkerboard_halfsweep(spins, thresholds, color, 2 * sweep + color,
                                                     key)
        return
    seg, rows = checkerboard_tile(Ly, Lx, backend.name == "gpu")
    segments = -(-((Lx + 7) // 8) // seg)
    name = f"ising3d_checkerboard_{seg}x{rows}"
    divisors = (*magic(segments), *magic(Ly // rows), *magic(Lz))
    for sweep in range(first, first + n):
        for color in (0, 1):
            _LOCAL.launch(backend, name, R * Lz * (Ly // rows) * segments, spins, thresholds,
                          Lz, Ly, Lx, R, color, 2 * sweep + color, *key, *divisors)


# ---------------------------------------------------------------------------- layouts
class Bytes3D(Bytes):
    """One int8 per spin, (R, L, L, L): the layout of kernels/ising3d.cu. The state is the
    spins themselves."""

    def sweeps(self, state: Any, rule: Any, first: int, n: int,
               key: tuple[int, int]) -> None:
        checkerboard_sweeps(self.backend, state, rule, first, n, key)


# The spin layouts by name (the run file's "spin_layout" attribute), and the requests that
# pick one: a new layout is one entry here and its case in choose_layout
LAYOUTS: dict[str, type[SpinLayout]] = {u.name: u for u in (Bytes3D, ReplicaBits3D)}
LAYOUT_REQUESTS = ("auto", "bits", *LAYOUTS)
# below this many replicas a part-filled replica word loses to the byte kernels (one core,
# L = 32: bytes 0.06 and replica-bits 0.05 updates/ns at R = 8, 0.08 and 0.15 at R = 16)
_MIN_BIT_REPLICAS = 8


def choose_layout(L: int, R: int, algorithm: str, request: str = "auto") -> str:
    """The spin layout of a sampler: a function of (L, R, algorithm, request) only, never of
    the backend, so that a seed gives the same chain on every backend. ``"auto"`` takes
    replica-bits for Metropolis and heat-bath from 8 replicas on, else bytes (always for
    Swendsen–Wang); ``"bits"`` is replica-bits. InputError for an unknown request, or a bit
    layout for Swendsen–Wang."""
    if request not in LAYOUT_REQUESTS:
        raise InputError(f"layout must be one of {', '.join(LAYOUT_REQUESTS)}, got {request!r}")
    bits_ok = algorithm in ("metropolis", "heatbath")
    if request not in ("auto", "bytes") and not bits_ok:
        raise InputError(f"layout {request} needs algorithm metropolis or heatbath, got "
                         f"{algorithm}")
    if request == "auto":
        return "replica-bits" if bits_ok and R >= _MIN_BIT_REPLICAS else "bytes"
    return "replica-bits" if request == "bits" else request


# the update algorithms by their name (the run file's "algorithm" attribute): the
# checkerboard rules are the 2D classes, which sweep through the sampler's layout
UPDATES: dict[str, type[IsingUpdate]] = {
    u.name: u for u in (Metropolis, HeatBath, SwendsenWang3D)}


@register
class Ising3DSampler(HypercubicIsingSampler):
    """Markov chains of the simple-cubic Ising model, R replicas at once
    (:class:`~gpurg.models.ising.HypercubicIsingSampler` holds the attributes).

    Parameters
    ----------
    model : Ising3DModel
    replicas : int
        Number of independent chains R (>= 1; R L^3 < 2^31).
    algorithm : {"metropolis", "heatbath", "swendsen-wang"}
        Checkerboard Metropolis, checkerboard heat-bath (colour (x + y + z) mod 2), or
        Swendsen–Wang clusters (h = 0): the name of an update in :data:`UPDATES`.
    start : {"hot", "cold"}
        Random spins, or all spins +1.
    seed : int
        In [0, 2^64); with the parameters and the layout it fixes the chain on every
        backend.
    device : {"auto", "cpu", "gpu", "numpy"} or Backend
    layout : {"auto", "bits", "bytes", "replica-bits"}
        How the spins are held and swept (:data:`LAYOUTS`), chosen by :func:`choose_layout`:
        the same Markov chain in each, realised by different random numbers.
    """

    model_type: ClassVar[type[Model]] = Ising3DModel
    updates: ClassVar[dict[str, type[IsingUpdate]]] = UPDATES
    layouts: ClassVar[dict[str, type[SpinLayout]]] = LAYOUTS
    pick_layout = staticmethod(choose_layout)
    model: Ising3DModel

    @checked(replicas=REPLICAS, algorithm=Choice(tuple(UPDATES)), start=Choice(STARTS),
             seed=SEED, layout=Choice(LAYOUT_REQUESTS))
    def __init__(self, model: Ising3DModel, *, replicas: int = 1,
                 algorithm: str = "metropolis", start: str = "hot", seed: int = 0,
                 device: str | Backend = "auto", layout: str = "auto") -> None:
        super().__init__(model, replicas=replicas, algorithm=algorithm, start=start,
                         seed=seed, device=device, layout=layout)

    def _hot_spins(self) -> Any:
        return hot_start(self.backend, self.model.shape, self.replicas, self.key)
