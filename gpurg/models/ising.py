"""The 2D Ising model sampler: R replicas of an L x L torus, on any backend.

H = -J sum_<ij> s_i s_j - h sum_i s_i, k_B = 1. Every random decision is drawn from Philox
keyed by the seed, with counters built from (site, replica, sweep, purpose), so a chain is a
pure function of its parameters and the seed, whichever backend runs it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from gpurg.backend import Backend, KernelFamily, get_backend
from gpurg.backend.device import array_module
from gpurg.backend.fastdiv import magic
from gpurg.backend.philox import seed_to_key
from gpurg.errors import InputError
from gpurg.models import ising_numpy
from gpurg.models.ising_rules import ALGORITHMS, bond_threshold, flip_thresholds

STARTS = ("hot", "cold")
OBSERVABLES = ("e", "m", "abs_m", "m2", "m4")
MAX_SWEEPS = 2**31 - 1  # the half-sweep counter 2 * sweep + colour is a 32-bit word
# (groups of 8 columns, rows) per thread of the ising_checkerboard_<S>x<ROWS> kernels: the one
# list, from which the kernels are instantiated (kernels/ising.cu has no list of its own)
CHECKERBOARD_TILES = ((1, 2), (2, 2), (4, 2), (1, 4), (2, 4), (4, 4))
SW_SITES = 4  # sites per thread in the Swendsen-Wang kernels (kernels/ising_cluster.cu)

_LOCAL = KernelFamily(
    "ising.cu",
    {
        **{f"ising_checkerboard_{s}x{r}": ("signed char*", "const gpurg_u64*", "int", "int",
                                            "int", "gpurg_u32", "gpurg_u32", "gpurg_u32",
                                            "gpurg_u32", "int", "gpurg_u32", "int")
           for s, r in CHECKERBOARD_TILES},
        "ising_hot_start": ("signed char*", "int", "int", "gpurg_u32", "gpurg_u32"),
    },
    instantiations=tuple(f"ISING_CHECKERBOARD({s}, {r})" for s, r in CHECKERBOARD_TILES),
)
_CLUSTER = KernelFamily(
    "ising_cluster.cu",
    {
        "sw_bonds": ("const signed char*", "unsigned char*", "int*", "int", "int", "int",
                     "gpurg_u64", "gpurg_u32", "gpurg_u32", "gpurg_u32"),
        "sw_union": ("const unsigned char*", "int*", "int", "int"),
        "sw_coins": ("const int*", "unsigned char*", "int", "int", "gpurg_u32", "gpurg_u32",
                     "gpurg_u32"),
        "sw_flip": ("signed char*", "const int*", "const unsigned char*", "int", "int"),
    },
)


@dataclass(frozen=True)
class IsingModel:
    """Physical parameters of the 2D Ising model on an L x L torus.

    Attributes
    ----------
    L : int
        Linear size (even, >= 4).
    T : float
        Temperature (> 0), in units of the coupling's energy scale.
    J : float
        Nearest-neighbour coupling (either sign, non-zero).
    h : float
        Uniform field.
    """

    L: int
    T: float
    J: float = 1.0
    h: float = 0.0

    def __post_init__(self) -> None:
        if isinstance(self.L, bool) or not isinstance(self.L, (int, np.integer)):
            raise InputError(f"L must be an integer, got {self.L!r}")
        if self.L < 4 or self.L % 2:
            raise InputError(f"L must be even and >= 4 (checkerboard torus), got {self.L}")
        if self.L > 65536:
            raise InputError(f"L must be <= 65536, got {self.L}")
        if not (math.isfinite(self.T) and self.T > 0):
            raise InputError(f"temperature T must be a finite number > 0, got {self.T}")
        if not math.isfinite(self.J) or self.J == 0:
            raise InputError(f"coupling J must be a finite non-zero number, got {self.J}")
        if not math.isfinite(self.h):
            raise InputError(f"field h must be a finite number, got {self.h}")

    @property
    def n_sites(self) -> int:
        return self.L * self.L


class IsingSampler:
    """Markov chains of the 2D Ising model, R replicas at once.

    Parameters
    ----------
    model : IsingModel
    replicas : int
        Number of independent chains R (>= 1).
    algorithm : {"metropolis", "heatbath", "swendsen-wang"}
        Checkerboard Metropolis, checkerboard heat-bath, or Swendsen–Wang clusters (h = 0).
    start : {"hot", "cold"}
        Random spins, or all spins +1.
    seed : int
        In [0, 2^64); with the parameters it fixes the chain on every backend.
    device : {"auto", "cpu", "gpu", "numpy"} or Backend

    Attributes
    ----------
    spins : array
        int8, shape (R, L, L), values +1/-1, on the backend's device.
    sweeps_done : int
        Sweeps performed so far (each updates every site once on average: a checkerboard
        sweep visits each site exactly once; a Swendsen–Wang sweep is one cluster update).
    """

    def __init__(self, model: IsingModel, *, replicas: int = 1, algorithm: str = "metropolis",
                 start: str = "hot", seed: int = 0, device: str | Backend = "auto") -> None:
        if algorithm not in ALGORITHMS:
            raise InputError(f"unknown algorithm {algorithm!r}; allowed: {', '.join(ALGORITHMS)}")
        if algorithm == "swendsen-wang" and model.h != 0:
            raise InputError(f"swendsen-wang needs field h = 0, got h = {model.h}")
        if start not in STARTS:
            raise InputError(f"unknown start {start!r}; allowed: {', '.join(STARTS)}")
        if isinstance(replicas, bool) or not isinstance(replicas, (int, np.integer)):
            raise InputError(f"replicas must be an integer >= 1, got {replicas!r}")
        if replicas < 1:
            raise InputError(f"replicas must be >= 1, got {replicas}")
        if replicas * model.n_sites >= 2**31:
            raise InputError(f"replicas * L^2 must be < 2^31, got {replicas} * {model.n_sites}")
        self.model = model
        self.replicas = int(replicas)
        self.algorithm = algorithm
        self.start = start
        self.seed = int(seed)
        self.key = seed_to_key(seed)
        self.backend = get_backend(device)
        self.sweeps_done = 0
        if algorithm == "swendsen-wang":
            self._bond_threshold = bond_threshold(model.T, model.J)
            if self.backend.uses_kernels:  # work arrays of the cluster kernels
                shape = (self.replicas, model.L, model.L)
                self._bonds = self.backend.xp.empty(shape, dtype=np.uint8)
                self._parent = self.backend.xp.empty(shape, dtype=np.int32)
        else:
            self._thresholds = self.backend.xp.asarray(
                flip_thresholds(algorithm, model.T, model.J, model.h))
        self.spins = self._initial_spins()

    # ----------------------------------------------------------------------------- state
    def _initial_spins(self) -> Any:
        xp, L, R = self.backend.xp, self.model.L, self.replicas
        if self.start == "cold":
            return xp.ones((R, L, L), dtype=np.int8)
        if not self.backend.uses_kernels:
            return ising_numpy.hot_start(L, R, self.key)
        spins = xp.empty((R, L, L), dtype=np.int8)
        _LOCAL.launch(self.backend, "ising_hot_start", R * L * ((L + 7) // 8), spins, L, R,
                      *self.key)
        return spins

    def get_state(self) -> np.ndarray:
        """Host copy of the spins, int8 (R, L, L)."""
        return self.backend.asnumpy(self.spins).copy()

    def set_state(self, spins: np.ndarray, sweeps_done: int | None = None) -> None:
        """Replace the spins (int8 +1/-1, shape (R, L, L)) and optionally the sweep counter."""
        spins = np.asarray(spins)
        expected = (self.replicas, self.model.L, self.model.L)
        if spins.shape != expected:
            raise InputError(f"state must have shape {expected}, got {spins.shape}")
        if not np.all(np.abs(spins) == 1):
            raise InputError("state must hold only +1 and -1")
        self.spins = self.backend.xp.asarray(spins.astype(np.int8))
        if sweeps_done is not None:
            self.sweeps_done = int(sweeps_done)

    # ---------------------------------------------------------------------------- updates
    def sweep(self, n: int = 1) -> None:
        """Advance every replica by ``n`` sweeps."""
        if self.sweeps_done + n > MAX_SWEEPS:
            raise InputError(f"a chain is limited to {MAX_SWEEPS} sweeps")
        for _ in range(n):
            if self.algorithm == "swendsen-wang":
                self._swendsen_wang()
            else:
                for color in (0, 1):
                    self._checkerboard(color)
            self.sweeps_done += 1

    def _checkerboard(self, color: int) -> None:
        step = 2 * self.sweeps_done + color
        if not self.backend.uses_kernels:
            ising_numpy.checkerboard_halfsweep(self.spins, self._thresholds, color, step, self.key)
            return
        L, R = self.model.L, self.replicas
        seg, rows = checkerboard_tile(L, self.backend.name == "gpu")
        segments = -(-((L + 7) // 8) // seg)
        _LOCAL.launch(self.backend, f"ising_checkerboard_{seg}x{rows}",
                      R * (L // rows) * segments, self.spins, self._thresholds, L, R, color,
                      step, *self.key, *magic(segments), *magic(L // rows))

    def _swendsen_wang(self) -> None:
        sign = 1 if self.model.J > 0 else -1
        if not self.backend.uses_kernels:
            ising_numpy.swendsen_wang_sweep(self.spins, self._bond_threshold, sign,
                                            self.sweeps_done, self.key)
            return
        L, R = self.model.L, self.replicas
        n = R * L * L // SW_SITES
        _CLUSTER.launch(self.backend, "sw_bonds", n, self.spins, self._bonds, self._parent, L, R,
                        sign, self._bond_threshold, self.sweeps_done, *self.key)
        _CLUSTER.launch(self.backend, "sw_union", n, self._bonds, self._parent, L, R)
        # the bonds have served once the clusters are joined: their bytes take the coins
        _CLUSTER.launch(self.backend, "sw_coins", n, self._parent, self._bonds, L, R,
                        self.sweeps_done, *self.key)
        _CLUSTER.launch(self.backend, "sw_flip", n, self.spins, self._parent, self._bonds, L, R)

    # ------------------------------------------------------------------------ observables
    def measure(self) -> dict[str, np.ndarray]:
        """Observables of every replica now.

        Returns
        -------
        dict of str to numpy.ndarray
            float64 arrays of shape (R,): "e" energy per site (H / N), "m" magnetisation per
            site, "abs_m" |m|, "m2" m^2, "m4" m^4.
        """
        return spin_observables(self.spins, self.model.J, self.model.h)

    def run(self, sweeps: int, *, thermalize: int = 0, every: int = 1
            ) -> Iterator[dict[str, np.ndarray]]:
        """Thermalize, then measure every ``every`` sweeps during ``sweeps`` sweeps.

        Yields one :meth:`measure` dict per measurement (``sweeps // every`` in all); the
        spins of that moment are ``self.spins``.
        """
        check_schedule(sweeps, thermalize, every)
        self.sweep(thermalize)
        for _ in range(sweeps // every):
            self.sweep(every)
            yield self.measure()


def spin_observables(spins: Any, J: float = 1.0, h: float = 0.0) -> dict[str, np.ndarray]:
    """Ising observables of spins int8 (R, L, L) (NumPy or CuPy): host float64 arrays (R,),
    "e" energy per site (-J sum_<ij> s_i s_j - h sum_i s_i) / N, "m", "abs_m", "m2", "m4"."""
    xp = array_module(spins)
    n_sites = spins.shape[-1] * spins.shape[-2]
    bonds = spins * (xp.roll(spins, -1, axis=-1) + xp.roll(spins, -1, axis=-2))  # in [-2, 2]
    to_host = (lambda a: a.get()) if xp is not np else np.asarray
    bond_sum = to_host(bonds.sum(axis=(-2, -1), dtype=np.int64))
    mag = to_host(spins.sum(axis=(-2, -1), dtype=np.int64))
    m = mag / n_sites
    e = (-J * bond_sum - h * mag) / n_sites
    return {"e": e, "m": m, "abs_m": np.abs(m), "m2": m**2, "m4": m**4}


def checkerboard_tile(L: int, gpu: bool) -> tuple[int, int]:
    """Tile (groups of 8 columns, rows) each checkerboard thread owns for an L x L lattice.

    The fastest in the timings of benchmarks/RESULTS.md: 2 x 2 on a GPU, where registers
    limit occupancy, and 4 x 4 on the CPU, where 16 Philox blocks fill the SIMD lanes. Rows
    must divide L; groups beyond a row's end would be wasted work.
    """
    groups = (L + 7) // 8
    if gpu:
        return (2 if groups >= 2 else 1), 2
    return (4 if groups >= 4 else 1), (4 if L % 4 == 0 else 2)


def check_schedule(sweeps: int, thermalize: int, every: int) -> None:
    """Validate a run's schedule; raises InputError naming the bad value."""
    for name, value in (("sweeps", sweeps), ("thermalize", thermalize)):
        if value < 0:
            raise InputError(f"{name} must be >= 0, got {value}")
    if every < 1:
        raise InputError(f"every must be >= 1, got {every}")
    if every > sweeps:
        raise InputError(f"every ({every}) must not exceed sweeps ({sweeps})")
    if thermalize + sweeps > MAX_SWEEPS:
        raise InputError(f"thermalize + sweeps must be <= {MAX_SWEEPS} (a chain's sweep counter "
                         f"is 31 bits), got {thermalize + sweeps}")
