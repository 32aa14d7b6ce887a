"""The coarse field of a rule and its two-point function: the scaling dimension Δ of what a
learned unit carries, from C(r) ∝ r^(-2Δ) on the coarse lattice (Gökmen et al. 2021 found
Δ = 1.00037 for a plaquette filter on 128 x 128 dimer images; exact 1).

    field = coarse_field(configs, rule, block)          # float64 (n, L/b, L/b)
    corr = coarse_correlation(configs, rule, block, replicas=64)
    print(corr.delta, corr.delta_err, corr.channel)

**The field.** The rule is applied tiled with stride = block (:func:`gpurg.rsmi.coarse.tiles`;
tile (0, 0) starts at entry (0, 0), a vertex of a dimer image, as RSMI's blocks do), and each
tile gives the conditional mean of its unit, ⟨h⟩ = tanh(a) with a = λ·v + b ("mean", the
default): the units of :func:`gpurg.rsmi.coarse.coarse_grain` are drawn independently given
the configuration, so for two distinct tiles E[h h'] = E[tanh(a) tanh(a')] exactly: the mean
field has the sampled units' correlation at every r >= 1 without their sampling noise.
"activation" correlates a itself (the linear block field: for a template filter, the sum of
the field component over the block), "max" the most probable unit sign(a).

**The two-point function.** C(Δy, Δx) = ⟨f(0) f(Δ)⟩ − ⟨f⟩² over all positions and
configurations (the product average by FFT), and from it three channels of one separation
r (coarse-lattice units):

* ``"isotropic"``: (C(r x̂) + C(r ŷ)) / 2, r = 1, 2, ... The spin field of Ising.
* ``"axial"``: (C(r x̂) − C(r ŷ)) / 2. A field component of a dimer model's coarse electric
  field (the staggered E_x template's output, Gökmen et al.'s learned filters) is dipolar:
  ⟨E_x(0) E_x(r)⟩ ∝ (x² − y²) / r⁴ (E = curl of the Gaussian height field), positive along
  x and negative along y, so the isotropic average cancels it, while this difference is
  |C| ∝ r^-2; it also removes any constant offset (a torus' winding sectors add a uniform
  ⟨E⟩² term).
* ``"diagonal"``: (C(r (x̂+ŷ)) − C(r (x̂−ŷ))) / 2 at r = √2 k: a unit rotated by θ in the
  (E_x, E_y) plane has axial amplitude ∝ cos 2θ and diagonal amplitude ∝ sin 2θ (any
  rotation of the pair is as good for RSMI), so one of the two carries it.

``channel="auto"`` takes the channel with the largest Σ (C / σ)² over the fit range. The fit
(:func:`gpurg.stats.power_law_fit` of |C| = A r^(-2Δ), sign taken from the channel's sum)
runs over r_min <= r <= r_max (default: 1 to a quarter of the coarse side, where the torus'
images are still small) and, as for MI scans, leaves out points with |C| < 2σ.

**Errors** come from independent configurations: delete-one-group jackknife over groups of
configurations (``replicas``: configuration i belongs to chain i mod replicas, the layout of
:func:`gpurg.rsmi.files.load_configurations` and :func:`gpurg.ising_configurations`; without
it every configuration is its own group), so time correlations within a chain are kept.

For dimer images whose block holds an odd number of sites per side (block/2 odd), successive
tiles start on alternating sublattices and a staggered filter's output alternates in sign
from tile to tile: pass ``stagger=True`` to multiply the field by (−1)^(X+Y) of the coarse
lattice first (with block/2 even, as for 8 x 8 blocks, nothing alternates).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from gpurg.errors import InputError
from gpurg.rsmi.coarse import tiles
from gpurg.rsmi.pairs import file_layout
from gpurg.rsmi.rule import CoarseGrainingRule
from gpurg.stats import DecayFit, power_law_fit

__all__ = ["CHANNELS", "FIELDS", "CoarseCorrelation", "coarse_correlation", "coarse_field",
           "two_point"]

FIELDS = ("mean", "activation", "max")
CHANNELS = ("isotropic", "axial", "diagonal")
SIGNIFICANCE = 2.0  # |C| >= SIGNIFICANCE σ to enter the fit


def _host(x: Any) -> np.ndarray:
    return x.get() if hasattr(x, "get") else np.asarray(x)


def coarse_field(configs: Any, rule: CoarseGrainingRule, block: int, *, unit: int = 0,
                 field: str = "mean", attrs: Mapping[str, Any] | None = None) -> np.ndarray:
    """The coarse field of unit ``unit`` of ``rule`` tiled with stride ``block``: float64
    (n, L/b, L/b) host array of tanh(a) ("mean"), a ("activation") or sign(a) ("max"), for
    configs (n, L, L) (NumPy or CuPy; spins ±1 or image pixels 0/1). ``attrs``: the run
    file's attributes, to refuse a block that does not start every tile where the model's
    blocks start (dimer images: an odd block)."""
    if field not in FIELDS:
        raise InputError(f"unknown coarse field {field!r}; allowed: {', '.join(FIELDS)}")
    if rule.n_visible != block * block:
        raise InputError(f"the filter reads {rule.n_visible} entries, a {block} x {block} "
                         f"block has {block * block}")
    if not 0 <= unit < rule.n_hidden:
        raise InputError(f"unit must be in 0..{rule.n_hidden - 1}, got {unit}")
    stride = file_layout(attrs)[0] if attrs is not None else 1
    if block % stride:
        raise InputError(f"block {block} is not a multiple of the model's block stride "
                         f"{stride}: tiles would not all start where its blocks do")
    v = _host(tiles(configs, block)).astype(np.float64)
    a = v @ np.asarray(rule.filters[unit], dtype=np.float64) + float(rule.bias[unit])
    if field == "mean":
        return np.tanh(a)
    return a if field == "activation" else np.sign(a)


@dataclass
class TwoPoint:
    """C at displacements (dy, dx), with its jackknife error: float64 (L', L') each."""

    c: np.ndarray
    err: np.ndarray
    mean: float
    mean_err: float


def _group_maps(f: np.ndarray, replicas: int | None
                ) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """(C, leave-one-group-out C (G, L', L'), ⟨f⟩, leave-one-out ⟨f⟩ (G,)) of a field."""
    if f.ndim != 3 or f.shape[0] < 2:
        raise InputError(f"a two-point function needs a field (n >= 2, L', L'), got {f.shape}")
    n = f.shape[0]
    groups = np.arange(n) % replicas if replicas else np.arange(n)
    G = int(groups.max()) + 1
    if G < 2:
        raise InputError("errors need at least two independent groups of configurations")
    spectrum = np.fft.fft2(f)
    products = np.fft.ifft2(spectrum * spectrum.conj()).real / (f.shape[1] * f.shape[2])
    P = np.zeros((G, *products.shape[1:]))
    np.add.at(P, groups, products)
    M = np.bincount(groups, weights=f.mean(axis=(1, 2)), minlength=G)
    N = np.bincount(groups, minlength=G).astype(np.float64)
    left = N.sum() - N
    mean, mean_loo = M.sum() / N.sum(), (M.sum() - M) / left
    c = P.sum(0) / N.sum() - mean**2
    loo = (P.sum(0) - P) / left[:, None, None] - (mean_loo**2)[:, None, None]
    return c, loo, float(mean), mean_loo


def _jackknife_error(loo: np.ndarray) -> np.ndarray:
    G = loo.shape[0]
    return np.sqrt((G - 1) / G * ((loo - loo.mean(0)) ** 2).sum(0))


def two_point(field: np.ndarray, *, replicas: int | None = None) -> TwoPoint:
    """C(Δy, Δx) = ⟨f(y, x) f(y + Δy, x + Δx)⟩ − ⟨f⟩² of a field (n, L', L') on the torus,
    averaged over positions and configurations, with delete-one-group jackknife errors
    (module notes: groups are chains, i mod ``replicas``; None: every configuration)."""
    c, loo, mean, mean_loo = _group_maps(np.asarray(field, dtype=np.float64), replicas)
    return TwoPoint(c, _jackknife_error(loo), mean, float(_jackknife_error(mean_loo)))


def _channels(f: np.ndarray, replicas: int | None) -> tuple[dict[str, tuple], float, float]:
    """Each channel's (r, C, σ), σ from the jackknife of the channel itself (the channels
    are linear in C: their leave-one-out values are the same combinations of the maps'),
    and ⟨f⟩ with its error."""
    _, ly, lx = f.shape
    k = np.arange(1, min(ly, lx) // 2 + 1)
    c, loo, mean, mean_loo = _group_maps(f, replicas)

    def combine(maps: np.ndarray, kind: str) -> np.ndarray:
        if kind == "isotropic":
            return (maps[..., 0, k % lx] + maps[..., k % ly, 0]) / 2
        if kind == "axial":
            return (maps[..., 0, k % lx] - maps[..., k % ly, 0]) / 2
        return (maps[..., k % ly, k % lx] - maps[..., k % ly, (-k) % lx]) / 2

    out = {}
    for kind in CHANNELS:
        r = k * (math.sqrt(2.0) if kind == "diagonal" else 1.0)
        out[kind] = (r.astype(np.float64), combine(c, kind),
                     _jackknife_error(combine(loo, kind)))
    return out, mean, float(_jackknife_error(mean_loo))


@dataclass
class CoarseCorrelation:
    """The coarse two-point function of a unit and its power-law fit.

    Attributes
    ----------
    channels : dict
        name -> (r float64 (k,), C float64 (k,), σ float64 (k,)): the isotropic, axial and
        diagonal channels of the module notes (r in coarse-lattice units).
    channel : str
        The channel fitted.
    sign : int
        +1 or −1: the sign of the fitted channel (|C| = sign C was fitted).
    fit : DecayFit
        |C| = A r^-υ over the fit range, υ = 2Δ.
    r_min, r_max : float
        The fit range.
    mean, mean_err : float
        ⟨f⟩ with its error.
    """

    channels: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]
    channel: str
    sign: int
    fit: DecayFit
    r_min: float
    r_max: float
    mean: float
    mean_err: float

    @property
    def delta(self) -> float:
        """The scaling dimension Δ = υ / 2."""
        return self.fit.value / 2

    @property
    def delta_err(self) -> float:
        """Δ's one-sigma error."""
        return self.fit.error / 2


def coarse_correlation(configs: Any, rule: CoarseGrainingRule, block: int, *, unit: int = 0,
                       field: str = "mean", replicas: int | None = None, r_min: float = 1.0,
                       r_max: float | None = None, channel: str = "auto",
                       stagger: bool = False, attrs: Mapping[str, Any] | None = None
                       ) -> CoarseCorrelation:
    """The coarse field's two-point function and its scaling dimension (module notes).

    Parameters
    ----------
    configs, rule, block, unit, field, attrs
        As for :func:`coarse_field`.
    replicas : int, optional
        Independent chains (configuration i is chain i mod replicas); None: every
        configuration independent.
    r_min, r_max : float
        Fit range in coarse-lattice units (default r_max: a quarter of the coarse side).
    channel : str
        "auto" (the most significant), or one of :data:`CHANNELS`.
    stagger : bool
        Multiply the field by (−1)^(X+Y) first (dimer images with block/2 odd).
    """
    if channel != "auto" and channel not in CHANNELS:
        raise InputError(f"unknown channel {channel!r}; allowed: auto, {', '.join(CHANNELS)}")
    f = coarse_field(configs, rule, block, unit=unit, field=field, attrs=attrs)
    if stagger:
        Y, X = np.indices(f.shape[1:])
        f = f * (1 - 2 * ((X + Y) % 2))
    side = min(f.shape[1:])
    r_max = side / 4 if r_max is None else float(r_max)
    if not 0 < r_min <= r_max:
        raise InputError(f"the fit range needs 0 < r_min <= r_max, got {r_min}, {r_max}")
    channels, mean, mean_err = _channels(f, replicas)

    def in_range(kind: str) -> np.ndarray:
        r = channels[kind][0]
        return (r >= r_min - 1e-9) & (r <= r_max + 1e-9)

    def significance(kind: str) -> float:
        _, c, err = channels[kind]
        ok = in_range(kind) & (err > 0)
        return float(((c[ok] / err[ok]) ** 2).sum())

    chosen = max(CHANNELS, key=significance) if channel == "auto" else channel
    r, c, err = channels[chosen]
    ok = in_range(chosen)
    sign = 1 if c[ok].sum() >= 0 else -1
    y = sign * c
    good = ok & (y >= SIGNIFICANCE * err) & (y > 0)
    fit = power_law_fit(r[good], y[good], err[good])
    return CoarseCorrelation(channels, chosen, sign, fit, float(r_min), r_max, mean, mean_err)
