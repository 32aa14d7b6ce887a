"""Where training starts, and how hard the filters are held back: both read off the data.

Why. I_Λ(H:E) has a saddle at zero filters: a unit that reads (almost) nothing cannot be
predicted from E, and a predictor that predicts nothing passes no gradient to the filters, so
the ascent from small random filters grows at the product of two small numbers. On 2x2 Ising
blocks that product is large enough; on 8x8-pixel dimer images (64 pixels, most of them
noise or weakly informative, 0/1 valued) training from the former start ``N(0, 0.25 / n_v)``
stayed at the saddle: I(H:E) = 0.0000 and every weight 0.000, on every restart (issue 13).

The start of restart 0 is therefore spectral: the leading canonical directions of (V, E)
(Hotelling's canonical correlation analysis: the linear projections of the block most
correlated with linear projections of the environment, the Gaussian approximation of the
RSMI optimum). They are found exactly and cheaply, need no hyper-parameter, ignore every
pixel uncorrelated with the environment (noise decorations get zero weight: their
cross-covariance with E vanishes), and on Ising give the block spin, on dimer images the
plane of the two staggered electric-field patterns. Restarts r >= 1 start from random
directions. Every start is scaled so that each unit's activation has unit variance on the
training pairs (log-odds of order one whatever the block size and the pixel values: neither
at the saddle nor saturated) and, when biases are trained, centred.

Training runs in standardised coordinates (:class:`Standardization`: v' = (v - mean) / std
per visible unit, the filters λ' = λ std), and the weight decay is applied there, averaged
over the block: (weight_decay / 2) Σ_j mean_i λ'_ji² = (weight_decay / 2) Σ_j mean_i σ_i²
λ_ji². ±1 spins and 0/1 pixels carrying the same information (p = (s + 1) / 2) then train
alike, step for step, and a 2x2 and an 8x8 block whose units are equally deterministic pay
the same penalty; on a 2x2 block of ±1 spins at h = 0 (σ_i = 1) it is (weight_decay / 8)
|λ|², so the default 0.04 is the 0.01 |λ|² / 2 the Ising results were first measured with.
A plain |λ|² penalty of 0.01 was 85 times stronger on an 8x8 dimer image block and held the
filters at I = 0.094 nats where they reach 0.18.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gpurg.backend.device import array_module
from gpurg.rsmi.rule import CoarseGrainingRule
from gpurg.validation import to_host

MAX_PAIRS = 20_000  # pairs the start is computed from (a random subset: pass shuffled pairs)
RIDGE = 1e-3  # added to each covariance's eigenvalues, relative to their mean
JITTER = 0.1  # restart 0: random part added to the canonical directions, relative


@dataclass(frozen=True)
class CanonicalDirections:
    """The leading canonical directions of the block V against its environment E.

    Attributes
    ----------
    directions : numpy.ndarray
        float64 (k, n_v): row j is the visible filter of the j-th canonical pair, scaled so
        that its activation λ_j · v has unit variance on the pairs.
    correlations : numpy.ndarray
        float64 (k,): the canonical correlations ρ_j, decreasing, in [0, 1].
    """

    directions: np.ndarray
    correlations: np.ndarray


def _inverse_sqrt(cov: Any) -> Any:
    """(C + ridge)^(-1/2) of a symmetric positive semi-definite matrix."""
    xp = array_module(cov)
    w, U = xp.linalg.eigh(cov)
    w = xp.maximum(w, 0.0) + RIDGE * max(float(xp.trace(cov)) / cov.shape[0], 1e-300)
    return (U / xp.sqrt(w)) @ U.T


def canonical_directions(V: Any, E: Any, k: int) -> CanonicalDirections:
    """The k leading canonical directions of V (n, n_v) against E (n, n_e), numeric arrays on
    NumPy or CuPy (computed on the first :data:`MAX_PAIRS` pairs).
    k is capped at n_v. Host arrays are returned."""
    xp = array_module(V)
    V = xp.asarray(V[:MAX_PAIRS], dtype=xp.float64)
    E = xp.asarray(E[:MAX_PAIRS], dtype=xp.float64)
    n = V.shape[0]
    Vc, Ec = V - V.mean(axis=0), E - E.mean(axis=0)
    a = _inverse_sqrt(Vc.T @ Vc / n)
    b = _inverse_sqrt(Ec.T @ Ec / n)
    U, s, _ = xp.linalg.svd(a @ (Vc.T @ Ec / n) @ b, full_matrices=False)
    k = min(k, V.shape[1])
    directions = (a @ U[:, :k]).T
    return CanonicalDirections(to_host(_unit_variance(directions, Vc)),
                               np.clip(to_host(s[:k]), 0.0, 1.0))


def _unit_variance(filters: Any, Vc: Any) -> Any:
    """``filters`` (k, n_v) with each row scaled to unit activation variance on the centred
    blocks Vc; a row with no variance (it reads only constant units) is left as it is."""
    xp = array_module(Vc)
    std = xp.sqrt(((Vc @ filters.T) ** 2).mean(axis=0))
    return filters / xp.where(std > 0, std, 1.0)[:, None]


def initial_rule(V: Any, E: Any, n_hidden: int, restart: int, rng: np.random.Generator, *,
                 symmetric: bool) -> CoarseGrainingRule:
    """The start of ``restart`` on training pairs (V, E): restart 0 the leading canonical
    directions (:func:`canonical_directions`; the ones beyond n_v random) with a random part
    of relative size :data:`JITTER` (a start exactly on a symmetric saddle of the MI would
    stay there), restarts >= 1 random Gaussian directions; every unit scaled to unit
    activation variance on the pairs, its bias centring it (zero when ``symmetric``)."""
    xp = array_module(V)
    sample = xp.asarray(V[:MAX_PAIRS], dtype=xp.float64)
    mean = sample.mean(axis=0)
    Vc = sample - mean
    n_v = V.shape[1]
    noise = xp.asarray(rng.normal(size=(n_hidden, n_v)))
    if restart == 0:
        directions = xp.asarray(canonical_directions(V, E, n_hidden).directions)
        filters = noise.copy()
        filters[:len(directions)] = directions
        filters = _unit_variance(filters, Vc) + JITTER * _unit_variance(noise, Vc)
    else:
        filters = noise
    filters = _unit_variance(filters, Vc)
    bias = xp.zeros(n_hidden) if symmetric else -(filters @ mean)
    return CoarseGrainingRule(to_host(filters), to_host(bias))


@dataclass(frozen=True)
class Standardization:
    """The coordinates the filters are trained in: v' = (v - mean) / std per visible unit.

    A rule λ · v + b is λ' · v' + b' with λ = λ' / std and b = b' - λ · mean, so the
    estimators keep (λ', b') and hand the raw rule to the maths. Adam's steps and the weight
    decay then act on standardised weights: ±1 spins and 0/1 pixels p = (s + 1) / 2 give
    the same v' and train alike, and a constant unit (std 0: vertex pixels of clean dimer
    images) has λ' = 0, so its raw weight is 0. Arrays float64 (n_v,) on the data's backend;
    ``mean`` is zero for a Z2-symmetric rule (biases kept at 0: no centring).
    """

    mean: Any
    std: Any

    @property
    def inverse_std(self) -> Any:
        xp = array_module(self.std)
        return xp.where(self.std > 0, 1.0 / xp.where(self.std > 0, self.std, 1.0), 0.0)

    def to_raw(self, filters: Any, bias: Any) -> tuple[Any, Any]:
        """(λ, b) of standardised (λ', b'): filters (n_h, n_v), bias (n_h,)."""
        raw = filters * self.inverse_std
        return raw, bias - raw @ self.mean

    def from_raw(self, filters: Any, bias: Any) -> tuple[Any, Any]:
        """(λ', b') of a raw rule (λ, b); a constant unit's weight goes into the bias."""
        xp = array_module(self.std)
        filters, bias = xp.asarray(filters), xp.asarray(bias)
        return filters * self.std, bias + filters @ self.mean

    def gradients(self, d_filters: Any, d_bias: Any) -> tuple[Any, Any]:
        """dJ/dλ', dJ/db' from dJ/dλ, dJ/db (chain rule of :meth:`to_raw`)."""
        xp = array_module(self.std)
        return (d_filters * self.inverse_std - xp.outer(d_bias, self.mean * self.inverse_std),
                d_bias)


def standardization(V: Any, *, symmetric: bool) -> Standardization:
    """The :class:`Standardization` of training blocks V (n, n_v), from the first
    :data:`MAX_PAIRS` of them; ``symmetric``: no centring, std the root mean square."""
    xp = array_module(V)
    sample = xp.asarray(V[:MAX_PAIRS], dtype=xp.float64)
    mean = xp.zeros(sample.shape[1]) if symmetric else sample.mean(axis=0)
    std = xp.sqrt(((sample - mean) ** 2).mean(axis=0))
    # a unit constant to rounding is constant: its std would divide by noise
    std = xp.where(std > 1e-12 * max(float(xp.abs(sample).max()), 1.0), std, 0.0)
    return Standardization(mean, std)
