"""The 2D Ising model sampler: R replicas of an L x L torus, on any backend.

H = -J sum_<ij> s_i s_j - h sum_i s_i, k_B = 1. Every random decision is drawn from Philox
keyed by the seed, with counters built from (site, replica, sweep, purpose), so a chain is a
pure function of its parameters and the seed, whichever backend runs it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from gpurg.backend import Backend, KernelFamily
from gpurg.backend.fastdiv import magic
from gpurg.errors import InputError
from gpurg.models import ising_numpy
from gpurg.models.base import MAX_SWEEPS, REPLICAS, Model, Sampler, check_schedule, register
from gpurg.models.ising_bits import ReplicaBits
from gpurg.models.ising_layouts import SpinLayout, spin_sums
from gpurg.models.ising_rows import RowBits
from gpurg.models.ising_rules import ALGORITHMS, bond_threshold, flip_thresholds
from gpurg.stats import Estimate, summarize_ising
from gpurg.validation import (
    ISING_SPINS,
    SEED,
    Alphabet,
    Choice,
    Integer,
    Real,
    checked,
)

__all__ = [
    "ALGORITHMS", "LAYOUTS", "MAX_SWEEPS", "OBSERVABLES", "STARTS", "UPDATES", "Bytes",
    "Checkerboard", "HeatBath", "HypercubicIsing", "HypercubicIsingSampler", "IsingModel",
    "IsingSampler", "IsingUpdate", "Metropolis", "SwendsenWang",
    "check_schedule", "checkerboard_tile", "choose_layout", "spin_observables",
]

STARTS = ("hot", "cold")
OBSERVABLES = ("e", "m", "abs_m", "m2", "m4")
# (groups of 8 columns, rows) per thread of the ising_checkerboard_<S>x<ROWS> kernels: the one
# list, from which the kernels are instantiated (kernels/ising.cu has no list of its own)
CHECKERBOARD_TILES = ((1, 2), (2, 2), (4, 2), (1, 4), (2, 4), (4, 4))
SW_TILE = 8  # Swendsen-Wang: each thread labels SW_TILE x SW_TILE sites (ising_cluster.cu)

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
    # elements each launch touches: the spins of R lattices, the 10 flip thresholds
    sizes={
        **{f"ising_checkerboard_{s}x{r}": lambda spins, thr, L, R, *_: (R * L * L, 10,
                                                                           *[None] * 10)
           for s, r in CHECKERBOARD_TILES},
        "ising_hot_start": lambda spins, L, R, k0, k1: (R * L * L, None, None, None, None),
    },
)
_CLUSTER = KernelFamily(
    "ising_cluster.cu",
    {
        "sw_local": ("const signed char*", "unsigned char*", "gpurg_u32*", "int*", "int", "int",
                     "int", "gpurg_u64", "gpurg_u32", "gpurg_u32", "gpurg_u32"),
        "sw_union": ("const unsigned char*", "const gpurg_u32*", "int*", "int", "int"),
        "sw_flip": ("signed char*", "const unsigned char*", "const int*", "int", "int",
                    "gpurg_u32", "gpurg_u32", "gpurg_u32"),
    },
    # spins, local labels and cluster parents: one element per site of R lattices; the bonds
    # that leave a tile: one word per tile of SW_TILE x SW_TILE sites (narrower at the edges)
    sizes={
        "sw_local": lambda s, b, c, p, L, R, *_: (
            R * L * L, R * L * L, R * (-(-L // SW_TILE)) ** 2, R * L * L, *(None,) * 7),
        "sw_union": lambda b, c, p, L, R: (
            R * L * L, R * (-(-L // SW_TILE)) ** 2, R * L * L, None, None),
        "sw_flip": lambda s, b, p, L, R, *_: (R * L * L,) * 3 + (None,) * 5,
    },
)


# The parameters' rules, for the model and for every command that takes them
SIDE = Integer(4, 65536, multiple=2)  # a checkerboard torus; 65536: 32-bit site indices
TEMPERATURE = Real(0, low_open=True)
COUPLING = Real()  # and non-zero
FIELD = Real()


@dataclass(frozen=True)
class HypercubicIsing(Model):
    """Physical parameters of the Ising model on an L^d torus, H = -J sum_i sum_{d axes}
    s_i s_{i + e_d} - h sum_i s_i (d N bond terms): what every dimension shares. Subclasses
    set ``name``, ``lattice_dim`` and ``side`` (the rule for L).

    Attributes
    ----------
    L : int
        Linear size (even; the subclass's ``side`` says from what size).
    T : float
        Temperature (> 0), in units of the coupling's energy scale.
    J : float
        Nearest-neighbour coupling (either sign, non-zero).
    h : float
        Uniform field.
    """

    datasets: ClassVar[dict[str, tuple[Alphabet, int]]] = {"configs": (ISING_SPINS, 1)}
    lattice_dim: ClassVar[int]
    side: ClassVar[Integer]

    L: int
    T: float
    J: float = 1.0
    h: float = 0.0

    def __post_init__(self) -> None:
        rules = (("L", self.side), ("T", TEMPERATURE), ("J", COUPLING), ("h", FIELD))
        for name, rule in rules:
            object.__setattr__(self, name, rule.check(name, getattr(self, name)))
        if self.J == 0:
            raise InputError("coupling J must be non-zero, got 0.0")

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.L,) * self.lattice_dim

    @classmethod
    def is_symmetric(cls, attrs: Mapping[str, Any]) -> bool:
        """Z2 symmetric (s -> -s) when the field vanishes (a file without ``h`` has none)."""
        return attrs.get("h", 0.0) == 0.0

    def attrs(self) -> dict[str, Any]:
        return {"model": self.name, "L": self.L, "T": self.T, "J": self.J, "h": self.h}

    @classmethod
    def from_attrs(cls, attrs: Mapping[str, Any]) -> HypercubicIsing:
        return cls(attrs["L"], attrs["T"], attrs["J"], attrs["h"])

    def observables(self) -> dict[str, tuple[int, ...]]:
        """float64 per replica: see :meth:`HypercubicIsingSampler.measure`."""
        return dict.fromkeys(OBSERVABLES, ())

    def measure(self, configs: Any) -> dict[str, np.ndarray]:
        """Observables of int8 ±1 spins (R, *shape) with this J and h: float64 (R,) each,
        "e" = H / N, "m", "abs_m", "m2", "m4"."""
        return observables_from_sums(*spin_sums(configs), self.n_sites, self.J, self.h)

    def summarize(self, observables: Mapping[str, np.ndarray]) -> dict[str, Estimate]:
        """:func:`gpurg.stats.summarize_ising`: means, "binder", "c" and "chi"."""
        return summarize_ising(dict(observables), self.n_sites, self.T)


@dataclass(frozen=True)
class IsingModel(HypercubicIsing):
    """The 2D Ising model on an L x L torus (L even, >= 4): :class:`HypercubicIsing`."""

    name: ClassVar[str] = "ising"
    lattice_dim: ClassVar[int] = 2
    side: ClassVar[Integer] = SIDE


class Bytes(SpinLayout):
    """One int8 per spin, (R, L, L): the layout of kernels/ising.cu. The state is the spins
    themselves."""

    name: ClassVar[str] = "bytes"

    def pack(self, spins: Any) -> Any:
        return spins

    def unpack(self, state: Any) -> Any:
        return state

    def sweeps(self, state: Any, rule: Any, first: int, n: int,
               key: tuple[int, int]) -> None:
        backend, L, R = self.backend, self.L, self.R
        gpu = backend.name == "gpu"
        for sweep in range(first, first + n):
            for color in (0, 1):
                step = 2 * sweep + color
                if not backend.uses_kernels:
                    ising_numpy.checkerboard_halfsweep(state, rule, color, step, key)
                    continue
                seg, rows = checkerboard_tile(L, gpu)
                segments = -(-((L + 7) // 8) // seg)
                _LOCAL.launch(backend, f"ising_checkerboard_{seg}x{rows}",
                              R * (L // rows) * segments, state, rule, L, R, color, step,
                              *key, *magic(segments), *magic(L // rows))

    def spin_sums(self, state: Any) -> tuple[np.ndarray, np.ndarray]:
        return spin_sums(state)


# The spin layouts by name (the run file's "spin_layout" attribute; "layout" is an imported
# file's axis order), and the requests that pick one
LAYOUTS: dict[str, type[SpinLayout]] = {u.name: u for u in (Bytes, ReplicaBits, RowBits)}
LAYOUT_REQUESTS = ("auto", "bits", *LAYOUTS)
# the replica words must be this full for them to beat one lattice per word (row-bits)
_MIN_LANE_FILL = 0.75
# below this many replicas a part-filled replica word loses to the byte kernels
_MIN_BIT_REPLICAS = 8


def choose_layout(L: int, R: int, algorithm: str, request: str = "auto") -> str:
    """The spin layout of a sampler: a function of (L, R, algorithm, request) only, never of
    the backend, so that a seed gives the same chain on every backend.

    ``"auto"`` takes the bit-packed layouts for Metropolis and heat-bath (``"bits"``) unless
    few replicas would leave most lanes of a replica word empty and the row layout does not
    apply (L a multiple of 64), and bytes for Swendsen–Wang; ``"bits"`` takes the row layout
    when the replica words would be less than 3/4 full and it applies, else the replica
    layout. InputError when the request does not suit the algorithm or L.
    """
    if request not in LAYOUT_REQUESTS:
        raise InputError(f"layout must be one of {', '.join(LAYOUT_REQUESTS)}, got {request!r}")
    bits_ok = algorithm in ("metropolis", "heatbath")
    if request not in ("auto", "bytes") and not bits_ok:
        raise InputError(f"layout {request} needs algorithm metropolis or heatbath, got "
                         f"{algorithm}")
    if request == "row-bits" and not RowBits.applies(L, R):
        raise InputError(f"layout row-bits needs L a multiple of 64, got L = {L}")
    if request in LAYOUTS:
        return request
    if not bits_ok:
        return "bytes"
    rows = RowBits.applies(L, R) and ReplicaBits.lane_fill(R) < _MIN_LANE_FILL
    if request == "auto" and not rows and R < _MIN_BIT_REPLICAS:
        return "bytes"
    return "row-bits" if rows else "replica-bits"


class IsingUpdate(ABC):
    """An update algorithm of a :class:`HypercubicIsingSampler`: one sweep of every replica
    at a time.

    Made by the sampler once (its tables and work arrays are built here); :meth:`sweep`
    advances ``sampler.spins`` by one sweep numbered ``sampler.sweeps_done``, which keys its
    random numbers.
    """

    name: ClassVar[str]

    def __init__(self, sampler: HypercubicIsingSampler) -> None:
        self.check(sampler.model)

    @classmethod
    def check(cls, model: HypercubicIsing) -> None:
        """InputError if the algorithm cannot sample ``model``. Default: it can."""
        return

    @abstractmethod
    def sweeps(self, sampler: HypercubicIsingSampler, n: int) -> None:
        """``n`` sweeps of every replica of ``sampler``, numbered from ``sampler.sweeps_done``."""


class Checkerboard(IsingUpdate):
    """A local rule applied to the two colours of the checkerboard in turn: a flip is
    accepted when a uniform 32-bit integer falls below the rule's threshold for the site's
    local field (:func:`~gpurg.models.ising_rules.flip_thresholds` of the 2d neighbours of a
    site of the d-dimensional lattice). The sampler's layout runs the sweeps, so the same
    classes serve every dimension."""

    def __init__(self, sampler: HypercubicIsingSampler) -> None:
        super().__init__(sampler)
        m = sampler.model
        self._rule = sampler.layout.rule(flip_thresholds(self.name, m.T, m.J, m.h,
                                                         2 * m.lattice_dim))

    def sweeps(self, sampler: HypercubicIsingSampler, n: int) -> None:
        sampler.layout.sweeps(sampler.state, self._rule, sampler.sweeps_done, n, sampler.key)


class Metropolis(Checkerboard):
    """Checkerboard Metropolis: flip with probability min(1, exp(-ΔE/T))."""

    name: ClassVar[str] = "metropolis"


class HeatBath(Checkerboard):
    """Checkerboard heat-bath: set the spin from its conditional Boltzmann distribution."""

    name: ClassVar[str] = "heatbath"


class SwendsenWang(IsingUpdate):
    """Swendsen–Wang clusters (h = 0): bonds between aligned neighbours with probability
    1 - exp(-2|J|/T), clusters by union-find, each flipped by the coin of its smallest site.

    The kernels label the clusters inside tiles of SW_TILE x SW_TILE sites first, one thread
    per tile, and unite only across the bonds that leave a tile (kernels/ising_cluster.cu)."""

    name: ClassVar[str] = "swendsen-wang"

    def __init__(self, sampler: IsingSampler) -> None:
        super().__init__(sampler)
        m, backend = sampler.model, sampler.backend
        self._bond_threshold = bond_threshold(m.T, m.J)
        if backend.uses_kernels:  # work arrays of the cluster kernels
            shape = (sampler.replicas, m.L, m.L)
            self._labels = backend.xp.empty(shape, dtype=np.uint8)
            self._parent = backend.xp.empty(shape, dtype=np.int32)
            tiles = -(-m.L // SW_TILE)
            self._cross = backend.xp.empty((sampler.replicas, tiles, tiles), dtype=np.uint32)

    @classmethod
    def check(cls, model: IsingModel) -> None:
        if model.h != 0:
            raise InputError(f"swendsen-wang needs field h = 0, got h = {model.h}")

    def sweeps(self, sampler: IsingSampler, n: int) -> None:
        for sweep in range(sampler.sweeps_done, sampler.sweeps_done + n):
            self._sweep(sampler, sweep)

    def _sweep(self, sampler: IsingSampler, done: int) -> None:
        sign = 1 if sampler.model.J > 0 else -1
        key, backend = sampler.key, sampler.backend
        if not backend.uses_kernels:
            ising_numpy.swendsen_wang_sweep(sampler.spins, self._bond_threshold, sign, done, key)
            return
        L, R = sampler.model.L, sampler.replicas
        n = self._cross.size  # one thread per tile
        # label the clusters inside each tile, unite them across tiles, flip
        _CLUSTER.launch(backend, "sw_local", n, sampler.spins, self._labels, self._cross,
                        self._parent, L, R, sign, self._bond_threshold, done, *key)
        _CLUSTER.launch(backend, "sw_union", n, self._labels, self._cross, self._parent, L, R)
        _CLUSTER.launch(backend, "sw_flip", n, sampler.spins, self._labels, self._parent, L, R,
                        done, *key)


# the update algorithms by their name (the run file's "algorithm" attribute)
UPDATES: dict[str, type[IsingUpdate]] = {u.name: u for u in (Metropolis, HeatBath, SwendsenWang)}
if tuple(UPDATES) != ALGORITHMS:  # ising_rules' list names the same algorithms, in order
    raise ImportError(f"UPDATES {tuple(UPDATES)} disagree with ALGORITHMS {ALGORITHMS}")


class HypercubicIsingSampler(Sampler):
    """Markov chains of a :class:`HypercubicIsing` model, R replicas at once: what the
    samplers of every dimension share (layouts, updates, state, measurements). A subclass
    sets ``model_type``, ``updates`` (the algorithms by name), ``layouts`` (the spin layouts
    by name), ``pick_layout`` (its :func:`choose_layout`) and makes hot starts; its
    ``__init__`` checks the arguments and calls this one.

    Attributes
    ----------
    spins : array
        int8, shape (R, *model.shape), values +1/-1, on the backend's device (with a
        bit-packed layout, unpacked from :attr:`state` when read).
    layout : SpinLayout
        The layout's object; ``layout.name`` is its name.
    state : array
        The spins as the layout holds them.
    update : IsingUpdate
        The algorithm's object.
    sweeps_done : int
        Sweeps performed so far (each updates every site once on average: a checkerboard
        sweep visits each site exactly once; a Swendsen–Wang sweep is one cluster update).
    """

    starts: ClassVar[tuple[str, ...]] = STARTS
    state_name: ClassVar[str] = "spins"
    updates: ClassVar[dict[str, type[IsingUpdate]]]
    layouts: ClassVar[dict[str, type[SpinLayout]]]
    pick_layout: ClassVar[Callable[[int, int, str, str], str]]
    model: HypercubicIsing

    def __init__(self, model: HypercubicIsing, *, replicas: int, algorithm: str, start: str,
                 seed: int, device: str | Backend, layout: str) -> None:
        self.updates[algorithm].check(model)  # before the backend is set up
        name = self.pick_layout(model.L, replicas, algorithm, layout)
        super().__init__(model, replicas=replicas, start=start, seed=seed, device=device)
        self.algorithm = algorithm
        self.layout = self.layouts[name](model.L, replicas, self.backend)
        self.update = self.updates[algorithm](self)
        self.state = self.layout.pack(self._initial_spins())

    @property
    def spins(self) -> Any:
        """int8 (R, *shape) on the device: the state itself in the byte layout, else a copy."""
        return self.layout.unpack(self.state)

    @property
    def configs(self) -> Any:
        """The spins, int8 (R, *shape) on the device."""
        return self.spins

    # ----------------------------------------------------------------------------- state
    def _initial_spins(self) -> Any:
        if self.start == "cold":
            return self.backend.xp.ones((self.replicas, *self.model.shape), dtype=np.int8)
        return self._hot_spins()

    @abstractmethod
    def _hot_spins(self) -> Any:
        """Random spins int8 (R, *shape) on the device, from the Philox key: the same on
        every backend."""

    def set_state(self, spins: np.ndarray, sweeps_done: int | None = None) -> None:
        """Replace the spins (int8 +1/-1, shape (R, *shape)) and optionally the sweep
        counter."""
        spins = np.asarray(spins)
        expected = (self.replicas, *self.model.shape)
        if spins.shape != expected:
            raise InputError(f"state must have shape {expected}, got {spins.shape}")
        if not np.all(np.abs(spins) == 1):
            raise InputError("state must hold only +1 and -1")
        self.state = self.layout.pack(self.backend.xp.asarray(spins.astype(np.int8)))
        if sweeps_done is not None:
            self.sweeps_done = int(sweeps_done)

    def attrs(self) -> dict[str, Any]:
        return {"algorithm": self.algorithm, "spin_layout": self.layout.name}

    @classmethod
    def options_from_attrs(cls, attrs: Mapping[str, Any], state: Mapping[str, Any]
                           ) -> dict[str, Any]:
        """The algorithm and the layout (files from before the bit-packed layouts: bytes)."""
        return {"algorithm": attrs["algorithm"], "layout": attrs.get("spin_layout", "bytes")}

    @classmethod
    def layouts_for(cls, L: int, R: int, algorithm: str) -> tuple[str, ...]:
        """The names of :attr:`layouts` that can run ``algorithm`` on R replicas of side L."""
        found = []
        for name in cls.layouts:
            try:
                cls.pick_layout(L, R, algorithm, name)
            except InputError:  # bits for Swendsen-Wang; row-bits at L % 64 != 0
                continue
            found.append(name)
        return tuple(found)

    # ---------------------------------------------------------------------------- updates
    def sweep(self, n: int = 1) -> None:
        """Advance every replica by ``n`` sweeps."""
        if self.sweeps_done + n > MAX_SWEEPS:
            raise InputError(f"a chain is limited to {MAX_SWEEPS} sweeps")
        self.update.sweeps(self, n)
        self.sweeps_done += n

    # ------------------------------------------------------------------------ observables
    def measure(self) -> dict[str, np.ndarray]:
        """Observables of every replica now: float64 arrays (R,), "e" energy per site
        (H / N, d N bond terms), "m" magnetisation per site, "abs_m" |m|, "m2" m^2,
        "m4" m^4."""
        m = self.model
        return observables_from_sums(*self.layout.spin_sums(self.state), m.n_sites, m.J, m.h)


@register
class IsingSampler(HypercubicIsingSampler):
    """Markov chains of the 2D Ising model, R replicas at once (:class:`HypercubicIsingSampler`
    holds the attributes).

    Parameters
    ----------
    model : IsingModel
    replicas : int
        Number of independent chains R (>= 1).
    algorithm : {"metropolis", "heatbath", "swendsen-wang"}
        Checkerboard Metropolis, checkerboard heat-bath, or Swendsen–Wang clusters (h = 0):
        the name of an :class:`IsingUpdate` in :data:`UPDATES`.
    start : {"hot", "cold"}
        Random spins, or all spins +1.
    seed : int
        In [0, 2^64); with the parameters and the layout it fixes the chain on every
        backend.
    device : {"auto", "cpu", "gpu", "numpy"} or Backend
    layout : {"auto", "bits", "bytes", "replica-bits", "row-bits"}
        How the spins are held and swept (:data:`LAYOUTS`), chosen by :func:`choose_layout`:
        the same Markov chain in each, realised by different random numbers.
    """

    model_type: ClassVar[type[Model]] = IsingModel
    updates: ClassVar[dict[str, type[IsingUpdate]]] = UPDATES
    layouts: ClassVar[dict[str, type[SpinLayout]]] = LAYOUTS
    pick_layout = staticmethod(choose_layout)
    model: IsingModel

    @checked(replicas=REPLICAS, algorithm=Choice(tuple(UPDATES)), start=Choice(STARTS),
             seed=SEED, layout=Choice(LAYOUT_REQUESTS))
    def __init__(self, model: IsingModel, *, replicas: int = 1, algorithm: str = "metropolis",
                 start: str = "hot", seed: int = 0, device: str | Backend = "auto",
                 layout: str = "auto") -> None:
        super().__init__(model, replicas=replicas, algorithm=algorithm, start=start,
                         seed=seed, device=device, layout=layout)

    def _hot_spins(self) -> Any:
        L, R = self.model.L, self.replicas
        if not self.backend.uses_kernels:
            return ising_numpy.hot_start(self.model.shape, R, self.key)
        spins = self.backend.xp.empty((R, L, L), dtype=np.int8)
        _LOCAL.launch(self.backend, "ising_hot_start", R * L * ((L + 7) // 8), spins, L, R,
                      *self.key)
        return spins


def spin_observables(spins: Any, J: float = 1.0, h: float = 0.0) -> dict[str, np.ndarray]:
    """Ising observables of spins int8 (R, L, L) (NumPy or CuPy): host float64 arrays (R,),
    "e" energy per site (-J sum_<ij> s_i s_j - h sum_i s_i) / N, "m", "abs_m", "m2", "m4"."""
    return observables_from_sums(*spin_sums(spins), spins.shape[-1] * spins.shape[-2], J, h)


def observables_from_sums(bond_sum: np.ndarray, mag: np.ndarray, n_sites: int, J: float,
                          h: float) -> dict[str, np.ndarray]:
    """:func:`spin_observables` from int64 (R,) sums over the 2 N bonds of s_i s_j and over
    the N sites of s_i."""
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
