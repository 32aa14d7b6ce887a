"""Real-space RG maps for Ising configurations: one interface, three rules.

Every map has a scale factor ``b`` and is called as ``rg_map(configs, seed=, level=)`` on
int8 (n, L, ..., L) ±1 configurations of a d-dimensional lattice, d >= 1 (numpy or cupy),
and returns the int8 (n, L/b, ..., L/b) coarse configurations on the same backend (the RSMI
rule: d = 2 or 3, the dimension its filter was learned in). ``level`` is the RG step counter:
stochastic maps draw fresh random numbers at every step, deterministically in (seed, level).

* :class:`MajorityRule` — sign of the block sum; for even b a tie (sum 0) is broken by a coin
  whose Philox word is keyed by the seed, counter (coarse site, sample, level, STREAM_MAJORITY),
  the site numbered row-major on the coarse lattice.
* :class:`Decimation` — the corner (top-left in 2D) spin of each block.
* :class:`RsmiRule` — a learned one-unit RSMI filter (square or cubic block), applied by
  :func:`gpurg.rsmi.coarse.coarse_grain`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from gpurg.backend.device import array_module
from gpurg.backend.philox import STREAM_MAJORITY, philox4x32, seed_to_key
from gpurg.errors import InputError
from gpurg.registry import Registry
from gpurg.rsmi.coarse import MODES, coarse_grain
from gpurg.rsmi.geometry import DIMENSIONS
from gpurg.rsmi.rule import CoarseGrainingRule
from gpurg.validation import to_host

# STREAM_MAJORITY (11), the Philox stream word of tie-breaks, is in the one table of streams
# (kernels/gpurg_common.cuh, read by gpurg.backend.philox) and importable from here as before.


MAPS: Registry[type[RGMap]] = Registry("RG map", "gpurg.rg")
"""RG maps by their spec name, filled by :class:`RGMap`'s subclasses themselves."""


class RGMap(ABC):
    """A block-spin map with scale factor ``b``: (n, L, ..., L) -> (n, L/b, ..., L/b), int8
    ±1, on a lattice of any dimension d >= 1 unless the map says otherwise.

    A subclass implements :meth:`_apply`; one that sets ``spec`` (its name in map specs
    such as ``"majority:3"``, read by :func:`make_map` and ``--rule``) is registered in
    :data:`MAPS` and builds itself from a spec's argument by :meth:`from_spec` (by default
    the scale factor, 2 when absent). A new map is one class, in any module of ``gpurg.rg``.
    """

    b: int
    spec: ClassVar[str]
    spec_help: ClassVar[str] = "[:B]"  # what follows the name in a spec, for messages

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "spec" in cls.__dict__:
            MAPS.add(cls.spec, cls)

    @classmethod
    def from_spec(cls, arg: str, mode: str) -> RGMap:
        """The map of a spec ``"<spec>:<arg>"`` (``arg`` empty when absent); ``mode`` is
        for stochastic rules that can also be applied deterministically."""
        try:
            b = int(arg) if arg else 2
        except ValueError:
            raise InputError(f"bad scale factor in map spec '{cls.spec}:{arg}'") from None
        return cls(b)  # type: ignore[call-arg]

    def __call__(self, configs: Any, *, seed: int = 0, level: int = 0) -> Any:
        """Coarse-grain int8 (n, L, ..., L) ±1 ``configs`` (numpy or cupy) once.

        Returns int8 (n, L/b, ..., L/b) on the same backend. InputError if ``configs`` has no
        lattice axis, sides that differ, or ``b`` does not divide L.
        """
        if configs.ndim < 2 or len(set(configs.shape[1:])) != 1:
            raise InputError(f"configurations must be (n, L, ..., L) with equal sides, got "
                             f"shape {configs.shape}")
        L = configs.shape[1]
        if L % self.b or L < self.b:
            raise InputError(f"scale factor b = {self.b} does not divide L = {L}")
        return self._apply(configs, seed=int(seed), level=int(level))

    @abstractmethod
    def _apply(self, configs: Any, *, seed: int, level: int) -> Any:
        """The map proper, on validated configurations."""

    @property
    def name(self) -> str:
        return type(self).__name__


def _check_b(b: int) -> int:
    if isinstance(b, bool) or int(b) != b or b < 2:
        raise InputError(f"scale factor must be an integer >= 2, got {b!r}")
    return int(b)


def block_sums(configs: Any, b: int) -> Any:
    """int32 (n, L/b, ..., L/b): the sum of each block of b^d sites of int8 (n, L, ..., L)
    configurations of a d-dimensional lattice."""
    n, L, d = configs.shape[0], configs.shape[1], configs.ndim - 1
    m = L // b
    # axis k of the lattice splits into (block index, offset in the block)
    return configs.astype("int32").reshape(n, *(m, b) * d).sum(
        axis=tuple(range(2, 2 * d + 1, 2)))


def tie_coins(shape: tuple[int, ...], samples: np.ndarray, sites: np.ndarray,
              seed: int, level: int) -> np.ndarray:
    """int8 ±1 coins for tied blocks: bit 0 of Philox word 0 at counter
    (site, sample, level, STREAM_MAJORITY), site the row-major index of the coarse site
    (y * (L/b) + x in 2D).

    ``samples``, ``sites``: int arrays (k,) on the host; returns int8 (k,). ``shape`` is the
    coarse shape (n, L/b, ..., L/b) (for documentation of the site index only).
    """
    words = philox4x32((sites.astype(np.uint64), samples.astype(np.uint64), level,
                        STREAM_MAJORITY), seed_to_key(seed))[..., 0]
    return np.where(words & 1, 1, -1).astype(np.int8)


@dataclass(frozen=True)
class MajorityRule(RGMap):
    """Majority rule on b x b blocks: the sign of the block sum.

    For odd b there are no ties. For even b a tied block (sum 0) gets a random sign that
    depends only on (seed, level, sample index, coarse site), via :func:`tie_coins`; the
    Philox words are made on the host only for the tied blocks and moved to the device.
    """

    spec: ClassVar[str] = "majority"
    b: int = 2

    def __post_init__(self) -> None:
        object.__setattr__(self, "b", _check_b(self.b))

    def _apply(self, configs: Any, *, seed: int, level: int) -> Any:
        xp = array_module(configs)
        s = block_sums(configs, self.b)
        out = xp.sign(s).astype(xp.int8)
        if self.b % 2 == 0:
            tied = xp.nonzero(s == 0)
            if tied[0].size:
                sample, *coords = (to_host(t) for t in tied)
                sites = np.ravel_multi_index(tuple(coords), s.shape[1:])
                coins = tie_coins(s.shape, sample, sites, seed, level)
                out[tied] = xp.asarray(coins)
        return out


@dataclass(frozen=True)
class Decimation(RGMap):
    """Decimation: keep the corner spin (lowest index on every axis; top-left in 2D) of each
    block of b^d sites (deterministic)."""

    spec: ClassVar[str] = "decimation"
    b: int = 2

    def __post_init__(self) -> None:
        object.__setattr__(self, "b", _check_b(self.b))

    def _apply(self, configs: Any, *, seed: int, level: int) -> Any:
        xp = array_module(configs)
        corners = (slice(None),) + (slice(None, None, self.b),) * (configs.ndim - 1)
        return xp.ascontiguousarray(configs[corners]).astype(xp.int8)


@dataclass(frozen=True)
class RsmiRule(RGMap):
    """A learned RSMI rule with one hidden unit on ``block`` x ``block`` tiles (``dim`` = 2)
    or ``block`` x ``block`` x ``block`` cubes (``dim`` = 3, the simple cubic lattice); it
    applies to configurations of its own dimension only.

    Calls :func:`gpurg.rsmi.coarse.coarse_grain` (``mode`` "max" takes the most probable H,
    "sample" draws H from P_Λ(H|V)) and drops the hidden-unit axis.

    Why "max" is the default: the RSMI objective fixes the filter's direction, not its scale.
    Along the ray λ -> sλ, I(H:E) rises with s and saturates (exact, 2x2 block at T_c, buffer
    0: 0.463 nats at the scale training ends at, 0.477 for s >= 2), so the most probable H,
    the s -> ∞ limit, is the more informative rule. The scale training ends at is set by
    its L2 penalty, and a rule that soft adds noise to the coarse spins that biases MCRG
    (y_h about 1% high at level 1 and 0.4% at level 2 with "sample", as accurate as majority
    rule with "max"; the README's seed study has the numbers). The rule is kept in its
    canonical orientation (:meth:`CoarseGrainingRule.canonical`: the coarse spin follows the
    block's magnetisation), so a filter and its negative are one map, with the same coarse
    configurations bit for bit.
    """

    spec: ClassVar[str] = "rsmi"
    spec_help: ClassVar[str] = ":PATH (a one-unit filter file)"
    rule: CoarseGrainingRule = field(repr=False)
    block: int
    mode: str = "max"
    dim: int = 2

    def __post_init__(self) -> None:
        _check_b(self.block)
        object.__setattr__(self, "rule", self.rule.canonical())
        if self.rule.n_hidden != 1:
            raise InputError(f"an RG map needs a one-unit rule, this one has "
                             f"{self.rule.n_hidden} hidden units")
        if self.dim not in DIMENSIONS:
            raise InputError(f"lattice dimension must be one of {DIMENSIONS}, got "
                             f"{self.dim!r}")
        sites = self.block**self.dim
        if self.rule.n_visible != sites:
            raise InputError(f"the filter reads {self.rule.n_visible} sites, a "
                             f"{' x '.join([str(self.block)] * self.dim)} block has {sites}")
        if self.mode not in MODES:
            raise InputError(f"unknown mode {self.mode!r}; allowed: {', '.join(MODES)}")

    @property
    def b(self) -> int:  # type: ignore[override]
        return self.block

    @classmethod
    def from_spec(cls, arg: str, mode: str) -> RsmiRule:
        """The rule of a filter file ``arg`` (``rsmi:PATH``), applied in ``mode``."""
        if not arg:
            raise InputError("map spec 'rsmi' needs a filter file: rsmi:PATH.h5")
        from gpurg.rsmi.files import read_filter  # h5py only when a filter is read

        f = read_filter(arg)
        return cls(f.rule, f.geometry.block, mode, f.geometry.dim)

    def _apply(self, configs: Any, *, seed: int, level: int) -> Any:
        if configs.ndim != self.dim + 1:  # the filter reads blocks of its own dimension
            axes = ", ".join(["L"] * self.dim)
            raise InputError(f"this RSMI rule was learned on {self.dim}D lattices and works "
                             f"on configurations (n, {axes}); got shape {configs.shape}")
        return coarse_grain(configs, self.rule, self.block, mode=self.mode, seed=seed,
                            level=level)[:, 0]


def make_map(spec: str, mode: str = "max") -> RGMap:
    """The map of a spec "NAME" or "NAME:ARG": "majority[:B]", "decimation[:B]", "rsmi:PATH"
    (a one-unit filter file from :func:`gpurg.rsmi.files.write_filter`, applied in ``mode``,
    see :class:`RsmiRule`), or any other map registered in :data:`MAPS`. B defaults to 2."""
    if mode not in MODES:
        raise InputError(f"unknown mode {mode!r}; allowed: {', '.join(MODES)}")
    kind, _, arg = str(spec).partition(":")
    kind = kind.strip().lower()
    if kind not in MAPS:
        allowed = ", ".join(f"{name}{MAPS[name].spec_help}" for name in MAPS)
        raise InputError(f"unknown RG map {spec!r}; allowed: {allowed}")
    return MAPS[kind].from_spec(arg, mode)
