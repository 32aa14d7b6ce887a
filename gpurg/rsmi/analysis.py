"""What a learned filter is: its units read as physical patterns of the block.

:func:`analyze_rule` decomposes every hidden unit's filter λ_j (one weight per visible entry
of the block) and returns a :class:`FilterAnalysis`. Every share is a fraction of the unit's
|λ_j|² (cosine² with a pattern, or with a plane of patterns), so it does not depend on the
unit's norm or sign, and a random filter of n_v weights puts about k / n_v of |λ|² in a
k-dimensional plane.

Filters of dimer images (roles ``"dimer"``; layout of
:func:`gpurg.models.dimer_encodings.to_image`, the block starting on a vertex):

* ``noise_share``: on vertex and face pixels, which carry no dimer (0 in clean images, only
  noise bits in noisy ones); ``bond_share`` = 1 - noise_share, on the bond pixels.
* ``pair_share``: the largest share on one vertex–face pair, vertex (2y, 2x) and the face
  (2y+1, 2x+1) that copies it in images with correlated noise (science.md §5): near 1 for a
  unit that reads one noise pair (what a likelihood-trained RBM learns first,
  :mod:`gpurg.rsmi.likelihood`), about 2 / block² for a random filter.
* ``coefficients``: the unit's cosines with the patterns of
  :func:`gpurg.models.dimer_encodings.image_templates` (E_x, E_y, C_x, C_y, P_+, P_-).
* ``field_share``: in the plane of the staggered electric fields E_x, E_y of the block
  (science.md §5: the T = ∞ filters of RSMI-NE are these).
* ``order_share``: in the order-parameter plane of C_x, C_y, which holds the columnar (along
  C_x or C_y) and the plaquette (along C_x +- C_y) patterns; ``order_angle`` folds the
  direction of the unit's projection into [0°, 45°]: 0° columnar, 45° plaquette.
* pair quantities of the first two units (the canonical order: the largest first):
  ``field_angle``, the angle between their projections on the (E_x, E_y) plane in
  [0°, 180°] (90°: together they read both components; 0° or 180°: the same one, as the sign
  of a unit is a convention), ``field_span``, the ratio of the smaller to the larger singular
  value of their 2 x 2 matrix of (E_x, E_y) cosines (1: the projections are orthogonal and
  equally long, a rotation of (E_x, E_y); 0: collinear), and ``order_pair_angle``, the same
  angle in the order-parameter plane.

Filters of spins (roles ``"site"``), on the square block of the square lattice (``dim`` 2,
visible index i = y L_V + x) or the cubic block of the simple cubic lattice (``dim`` 3,
i = (z L_V + y) L_V + x, :attr:`gpurg.rsmi.geometry.Geometry.visible_offsets`):

* ``block_spin``: the share along the uniform filter (the block's magnetisation, majority
  rule's argument); ``staggered``: the share along the staggered filter (-1)^(x+y(+z));
  ``sign_consistency``: the fraction of the block's sites whose weights share the majority
  sign (1 for a block spin, 1/2 for a staggered pattern on an even block).
* ``parity_shares``: column k (k = 0 .. d) is the share in the component odd under the reflections
  of exactly k of the block's d axes (x -> L_V - 1 - x, ...) and even under the others. The 2^d
  parity components are orthogonal and span every filter, so a row sums to 1; a symmetry of the
  square (cube) permutes the axes and reflects some, so it maps a component odd under k axes onto
  one odd under k axes, and each column is invariant. k = 0 holds the block spin; on a block of side
  2 the components are the Walsh patterns (-1)^(a.x): k = 1 the d dipoles (a gradient along one
  axis), k = 2 the quadrupoles, k = d the staggered pattern; on an even block a random filter puts
  C(d, k) / 2^d in column k on average.

For both, ``boundary_weighting``: mean |λ| on the block's boundary sites (a coordinate 0 or
L_V - 1) over mean |λ| on its interior sites (for dimers over the bond pixels of those
sites); NaN when the block has no interior site (fewer than 3 sites on a side).
``unit_angle``: the angle between the first two units' filters in [0°, 180°].
Filters of dimer images are 2D only.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from gpurg.errors import InputError
from gpurg.models.dimer_encodings import IMAGE_TEMPLATES, image_pixel_roles, image_templates
from gpurg.rsmi.geometry import DIMENSIONS
from gpurg.rsmi.rule import CoarseGrainingRule

ROLE_KINDS = ("site", "dimer")
"""What an entry of a filter's block is (:attr:`gpurg.models.base.Model.pixel_roles`): one
spin, or a pixel of a dimer image."""

_UNIT_ARRAYS = ("norm", "boundary_weighting", "noise_share", "bond_share", "pair_share",
                "field_share", "order_share", "order_angle", "block_spin", "staggered",
                "sign_consistency")
_MATRICES = ("coefficients", "parity_shares")  # (n_hidden, columns)
_PAIRS = ("unit_angle", "field_angle", "field_span", "order_pair_angle")


@dataclass(frozen=True)
class FilterAnalysis:
    """The decomposition of a rule's filters (see the module docstring for each quantity).

    Attributes
    ----------
    roles : str
        "site" or "dimer" (:data:`ROLE_KINDS`).
    block : int
        Side of the block (sites, or pixels of a dimer image).
    dim : int
        The lattice dimension d: the block is L_V^d sites (3: the simple cubic lattice).
    norm : float64 (n_hidden,)
        |λ_j|, the Euclidean norm of each unit's filter.
    boundary_weighting : float64 (n_hidden,)
        Mean |λ| on boundary sites / mean |λ| on interior sites; NaN without interior.
    noise_share, bond_share, pair_share, field_share, order_share : float64 (n_hidden,) or None
        Shares of |λ_j|² (dimers; None for spins; ``pair_share`` is also None in the analysis
        of a filter file written before it existed).
    order_angle : float64 (n_hidden,) or None
        Direction in the order-parameter plane folded into [0, 45] degrees (dimers).
    coefficients : float64 (n_hidden, 6) or None
        Cosines with the patterns named by :attr:`templates` (dimers).
    block_spin, staggered, sign_consistency : float64 (n_hidden,) or None
        Shares along the uniform and the staggered filter, and fraction of sites with the
        majority sign (spins; ``staggered`` is None in the analysis of a filter file written
        before it existed).
    parity_shares : float64 (n_hidden, dim + 1) or None
        Shares of the components odd under exactly k = 0 .. d axis reflections (spins; None
        in files written before it existed).
    unit_angle, field_angle, field_span, order_pair_angle : float
        Pair quantities of units 0 and 1 (degrees, except the span); NaN with one unit, for
        a unit of zero projection, and for the dimer ones on spins.
    templates : tuple of str
        Names of the columns of :attr:`coefficients` (empty for spins).

    Every share, cosine and angle is NaN for a unit whose filter is zero.
    """

    roles: str
    block: int
    norm: np.ndarray
    boundary_weighting: np.ndarray
    noise_share: np.ndarray | None = None
    bond_share: np.ndarray | None = None
    pair_share: np.ndarray | None = None
    field_share: np.ndarray | None = None
    order_share: np.ndarray | None = None
    order_angle: np.ndarray | None = None
    coefficients: np.ndarray | None = None
    block_spin: np.ndarray | None = None
    staggered: np.ndarray | None = None
    sign_consistency: np.ndarray | None = None
    parity_shares: np.ndarray | None = None
    unit_angle: float = math.nan
    field_angle: float = math.nan
    field_span: float = math.nan
    order_pair_angle: float = math.nan
    templates: tuple[str, ...] = ()
    dim: int = 2

    @property
    def n_hidden(self) -> int:
        return len(self.norm)

    def attributes(self) -> dict[str, Any]:
        """Flat HDF5 attributes: ``roles`` (str), ``block``, ``dim``, ``n_hidden`` (int),
        each per-unit array present (float64 (n_hidden,); ``coefficients`` (n_hidden, 6) with
        ``templates`` the names of its columns, ``parity_shares`` (n_hidden, dim + 1)) and
        each pair quantity (float, NaN where undefined). :meth:`from_attributes` reads them
        back (an analysis without ``dim``, written before 3D filters, is 2D)."""
        out: dict[str, Any] = {"roles": self.roles, "block": self.block, "dim": self.dim,
                               "n_hidden": self.n_hidden}
        for name in (*_UNIT_ARRAYS, *_MATRICES):
            value = getattr(self, name)
            if value is not None:
                out[name] = np.asarray(value, dtype=np.float64)
        if self.templates:
            out["templates"] = np.array(self.templates, dtype=object)
        out.update({name: float(getattr(self, name)) for name in _PAIRS})
        return out

    @classmethod
    def from_attributes(cls, attrs: Any) -> FilterAnalysis:
        """The analysis :meth:`attributes` wrote (a mapping, e.g. an HDF5 group's attrs)."""
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in dict(attrs).items():
            if key not in known:
                continue
            if key == "templates":
                value = tuple(v.decode() if isinstance(v, bytes) else str(v) for v in value)
            elif key == "roles":
                value = value.decode() if isinstance(value, bytes) else str(value)
            elif key in ("block", "dim"):
                value = int(value)
            elif key in _PAIRS:
                value = float(value)
            else:
                value = np.asarray(value, dtype=np.float64)
            values[key] = value
        return cls(**values)

    def table_columns(self) -> list[str]:
        """Headers of :meth:`table_rows`' columns."""
        if self.roles == "dimer":
            return ["unit", "|λ|", "noise", "E", "E_x", "E_y", "C", "C [°]", "edge/in"]
        return ["unit", "|λ|", "block spin", "stagg.", "signs", "even",
                *(f"{k} odd" for k in range(1, self.dim + 1)), "edge/in"]

    def table_caption(self) -> str:
        """What :meth:`table_columns`' short headers mean."""
        if self.roles == "dimer":
            return ("noise: share of |λ|² on vertex and face pixels (the rest is on bonds); "
                    "E, C: shares in the (E_x, E_y) and (C_x, C_y) planes; E_x, E_y: cosines "
                    "with the staggered fields; C [°]: direction in the (C_x, C_y) plane, 0 "
                    "columnar, 45 plaquette; edge/in: mean |λ| on the bonds of boundary "
                    "sites over interior ones")
        return ("block spin, stagg.: shares of |λ|² along the uniform and the staggered "
                "filter; signs: fraction of sites with the majority sign; even, k odd: shares "
                "of |λ|² even under every axis reflection of the block, odd under exactly k "
                "of them (side 2: 1 odd = dipoles, 2 odd = quadrupoles, "
                f"{self.dim} odd = staggered); edge/in: mean |λ| on boundary sites over "
                "interior ones")

    def table_rows(self) -> list[list[str]]:
        """One row of text cells per unit, in the order of :meth:`table_columns`: shares of
        |λ|² and cosines to 3 decimals, angles to 0.1°, NaN as "—"."""
        rows = []
        for j in range(self.n_hidden):
            if self.roles == "dimer":
                cells = [self.noise_share[j], self.field_share[j], self.coefficients[j, 0],
                         self.coefficients[j, 1], self.order_share[j]]
                row = [_cell(c, ".3f") for c in cells] + [_cell(self.order_angle[j], ".1f")]
            else:
                parity = (self.parity_shares[j] if self.parity_shares is not None
                          else np.full(self.dim + 1, math.nan))
                staggered = math.nan if self.staggered is None else self.staggered[j]
                cells = [self.block_spin[j], staggered, self.sign_consistency[j], *parity]
                row = [_cell(c, ".3f") for c in cells]
            rows.append([str(j), f"{self.norm[j]:.3f}", *row,
                         _cell(self.boundary_weighting[j], ".3f")])
        return rows

    def pair_lines(self) -> list[str]:
        """The pair quantities of units 0 and 1 as lines of text (none with one unit)."""
        if self.n_hidden < 2:
            return []
        lines = [f"units 0 and 1: angle {_degrees(self.unit_angle)}"]
        if self.roles == "dimer":
            lines += [f"(E_x, E_y) plane: units' projections at {_degrees(self.field_angle)} "
                      f"(90°: both components; 0°/180°: one), span "
                      f"{_cell(self.field_span, '.3f')} (1: a rotation of (E_x, E_y))",
                      f"(C_x, C_y) plane: units' projections at "
                      f"{_degrees(self.order_pair_angle)}"]
        return lines


def _cell(value: float, spec: str) -> str:
    """``value`` formatted, or "—" where it is undefined (NaN)."""
    return "—" if not np.isfinite(value) else format(value, spec)


def _degrees(value: float) -> str:
    return "—" if not np.isfinite(value) else f"{value:.1f}°"


def _shares(w: np.ndarray, mask: np.ndarray, norm2: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return (w[:, mask] ** 2).sum(axis=1) / norm2


def _angle(a: np.ndarray, b: np.ndarray) -> float:
    """Angle between two vectors in degrees, [0, 180]; NaN if either is zero."""
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0 or not (np.isfinite(na) and np.isfinite(nb)):
        return math.nan
    return math.degrees(math.acos(float(np.clip(a @ b / (na * nb), -1.0, 1.0))))


def _boundary_weighting(w: np.ndarray, site: tuple[np.ndarray, ...], side: int,
                        mask: np.ndarray) -> np.ndarray:
    """Mean |λ| over the entries of boundary sites / over those of interior sites, among the
    entries in ``mask``; ``site`` holds each entry's site coordinates (one int array per
    axis, in the filter's entry order); NaN when the block has fewer than 3 sites on a side."""
    if side < 3:
        return np.full(len(w), math.nan)
    edge = np.logical_or.reduce([(c == 0) | (c == side - 1) for c in site]).ravel()
    a = np.abs(w)
    with np.errstate(invalid="ignore", divide="ignore"):
        return a[:, mask & edge].mean(axis=1) / a[:, mask & ~edge].mean(axis=1)


def _parity_shares(w: np.ndarray, block: int, dim: int, norm2: np.ndarray) -> np.ndarray:
    """float64 (n, dim + 1): column k the share of each filter's |λ|² in its components odd
    under exactly k of the block's axis reflections (module notes)."""
    cube = w.reshape(len(w), *(block,) * dim)
    shares = np.zeros((len(w), dim + 1))
    for odd in itertools.product((False, True), repeat=dim):
        # the projector onto one parity class: the product over axes of (1 +- reflection) / 2
        part = cube
        for axis, is_odd in enumerate(odd, start=1):
            mirror = np.flip(part, axis=axis)
            part = (part - mirror if is_odd else part + mirror) / 2
        shares[:, sum(odd)] += (part**2).reshape(len(w), -1).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return shares / norm2[:, None]


def analyze_rule(rule: CoarseGrainingRule | Any, block: int, roles: str, dim: int = 2
                 ) -> FilterAnalysis:
    """Decompose each unit of ``rule`` into the patterns of its block.

    Parameters
    ----------
    rule : CoarseGrainingRule, or array (n_hidden, block^dim)
        Filters float64 (n_hidden, block^dim), visible index i = y block + x (in 3D
        (z block + y) block + x); the bias is not used (it shifts the unit's threshold, not
        its pattern). An array is read as the filters of any number of linear units (e.g. the
        weights of a likelihood-trained RBM, :meth:`gpurg.rsmi.likelihood.BlockRBM.analysis`).
    block : int
        Side of the block: sites for spins (>= 1), pixels for dimer images (even >= 2, the
        block starting on a vertex).
    roles : "site" or "dimer"
        What the block's entries are (:attr:`gpurg.models.base.Model.pixel_roles`).
    dim : int
        The lattice dimension, 2 (square block) or 3 (cubic block of the simple cubic
        lattice; spins only).

    Returns
    -------
    FilterAnalysis
        Per-unit float64 (n_hidden,) arrays and the pair quantities of units 0 and 1 (the
        module docstring defines each).

    Raises
    ------
    InputError
        Unknown ``roles``, ``block`` not an integer >= 1 (even >= 2 for dimers), ``dim``
        not 2 or 3 (2 for dimers), or filters that are not (n_hidden >= 1, block^dim).
    """
    if roles not in ROLE_KINDS:
        raise InputError(f"unknown roles {roles!r}; allowed: {', '.join(ROLE_KINDS)}")
    if isinstance(block, bool) or not isinstance(block, (int, np.integer)) or block < 1:
        raise InputError(f"block must be an integer >= 1, got {block!r}")
    block = int(block)
    if isinstance(dim, bool) or dim not in DIMENSIONS:
        raise InputError(f"lattice dimension must be one of {DIMENSIONS}, got {dim!r}")
    dim = int(dim)
    if roles == "dimer" and dim != 2:
        raise InputError(f"filters of dimer images are 2D, got a {dim}D block")
    if roles == "dimer" and block % 2:
        raise InputError(f"a filter of dimer images needs an even block (whole sites, "
                         f"starting on a vertex), got block {block}")
    w = np.asarray(rule.filters if isinstance(rule, CoarseGrainingRule) else rule,
                   dtype=np.float64)
    if w.ndim != 2 or len(w) < 1:
        raise InputError(f"filters must be (n_hidden, block^dim) with n_hidden >= 1, got "
                         f"shape {w.shape}")
    n_v = block**dim
    if w.shape[1] != n_v:
        raise InputError(f"the rule has {w.shape[1]} visible entries, a "
                         f"{' x '.join([str(block)] * dim)} block has {n_v}")
    norm2 = (w**2).sum(axis=1)
    norm = np.sqrt(norm2)
    pair = len(w) >= 2
    unit_angle = _angle(w[0], w[1]) if pair else math.nan
    if roles == "site":
        site = tuple(np.indices((block,) * dim))  # (z,) y, x of each entry, row-major
        staggered = ((-1.0) ** sum(site)).ravel()
        with np.errstate(invalid="ignore", divide="ignore"):
            block_spin = w.sum(axis=1) ** 2 / (n_v * norm2)
            staggered_share = (w @ staggered) ** 2 / (n_v * norm2)
        positive, negative = (w > 0).sum(axis=1), (w < 0).sum(axis=1)
        sign = np.where(norm2 > 0, np.maximum(positive, negative) / n_v, math.nan)
        return FilterAnalysis(
            roles, block, norm,
            _boundary_weighting(w, site, block, np.ones(n_v, dtype=bool)),
            block_spin=block_spin, staggered=staggered_share, sign_consistency=sign,
            parity_shares=_parity_shares(w, block, dim, norm2), unit_angle=unit_angle,
            dim=dim)
    codes = image_pixel_roles(block).ravel()
    bond = (codes == 1) | (codes == 2)
    t = image_templates(block).reshape(len(IMAGE_TEMPLATES), -1)
    with np.errstate(invalid="ignore", divide="ignore"):
        coefficients = (w @ t.T) / norm[:, None]
    field, order = coefficients[:, 0:2], coefficients[:, 2:4]
    # E_x ⟂ E_y and C_x ⟂ C_y (disjoint pixels): each plane's share is a sum of two cosines²
    direction = np.degrees(np.arctan2(order[:, 1], order[:, 0])) % 90.0
    order_angle = np.where((order**2).sum(axis=1) > 0, np.minimum(direction, 90.0 - direction),
                           math.nan)
    field_span = math.nan
    if pair and np.all(np.isfinite(field[:2])):
        singular = np.linalg.svd(field[:2], compute_uv=False)
        field_span = float(singular[1] / singular[0]) if singular[0] > 0 else math.nan
    i, j = np.indices((block, block)) // 2
    square = w.reshape(len(w), block, block) ** 2  # vertex (2y, 2x) + face (2y+1, 2x+1)
    pairs = (square[:, 0::2, 0::2] + square[:, 1::2, 1::2]).reshape(len(w), -1)
    with np.errstate(invalid="ignore", divide="ignore"):
        pair_share = pairs.max(axis=1) / norm2
    return FilterAnalysis(
        roles, block, norm, _boundary_weighting(w, (i, j), block // 2, bond),
        noise_share=_shares(w, ~bond, norm2), bond_share=_shares(w, bond, norm2),
        pair_share=pair_share,
        field_share=(field**2).sum(axis=1), order_share=(order**2).sum(axis=1),
        order_angle=order_angle, coefficients=coefficients, unit_angle=unit_angle,
        field_angle=_angle(field[0], field[1]) if pair else math.nan, field_span=field_span,
        order_pair_angle=_angle(order[0], order[1]) if pair else math.nan,
        templates=IMAGE_TEMPLATES)
