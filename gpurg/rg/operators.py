"""Ising operator sets on the L x L torus and the L x L x L simple cubic torus, as extensive
lattice sums.

Each operator is Σ_sites Σ_shapes Π_{offset in shape} s[site + offset] (indices mod L): one
term per lattice translate of each listed orientation, so every bond or cluster of that kind
is counted once (e.g. "nn" sums 2 L^2 pairs in 2D, 3 L^3 in 3D). ``EVEN`` operators (even
number of spins) couple to the temperature-like couplings, ``ODD`` ones to the field-like
ones. The names are listed in order of increasing span, which is the order MCRG adds them in.
One piece of code sums them in any dimension; the set is the one of the configurations'
dimension (:func:`operator_sets`): ``EVEN`` / ``ODD`` on the square lattice, ``EVEN_3D`` /
``ODD_3D`` on the simple cubic one, where offsets are (dz, dy, dx).

The 3D sets. Pawley, Swendsen, Wallace & Wilson (PRB 29, 4030 (1984)) measured seven even and
six odd short-range operators of the simple cubic lattice, and Baillie, Gupta, Hawick & Pawley
(PRB 45, 10438 (1992)) 53 even and 46 odd, to see how the exponents converge as operators are
added. The sets here are the short end of that hierarchy: the three pairs of one elementary
cube (edge, face and body diagonal), its most symmetric 4-spin clusters (the faces and the two
inscribed regular tetrahedra) and the 8-spin cube, then the shortest couplings of span 2,
which reach beyond a b = 2 block; the odd set likewise. Each kind is named
once with all its orientations (its distinct images under the 48 symmetries of the cube,
:func:`orientations`). Names shared with the 2D set mean the same cluster one dimension up.

* even: ``nn`` (distance 1, 3 orientations), ``nnn`` (√2, face diagonal, 6), ``body`` (√3,
  body diagonal, 4), ``plaquette`` (4 spins of an elementary square, 3), ``tetrahedron`` (4
  alternate corners of the cube, mutual distances √2, 2), ``cube`` (the 8 corners, 1); then
  span 2: ``third`` (distance 2, 3), ``knight`` (√5, 12).
* odd: ``m`` (one spin), ``triangle`` (3 corners of an elementary square, 12), ``equilateral``
  (3 corners of the cube at mutual distance √2, 8); then span 2: ``row3`` (3 spins in a row,
  3), ``star7`` (a spin and its 6 neighbours, 1).

An operator "fits" an L x L (x L) torus when L >= 2 * span (span: the larger side of the
shape's bounding box, minus one); below that a shape can wrap onto a shorter one (on L = 4 the
distance-3 pair is the nearest-neighbour pair) and the covariance matrix becomes singular.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from gpurg.backend.device import array_module
from gpurg.errors import InputError
from gpurg.validation import Integer, checked

Shape = tuple[tuple[int, ...], ...]

# 2D: name -> orientations (offsets (dy, dx) relative to the site the term is attached to)
_EVEN_SHAPES: dict[str, tuple[Shape, ...]] = {
    "nn": (((0, 0), (0, 1)), ((0, 0), (1, 0))),
    "nnn": (((0, 0), (1, 1)), ((0, 0), (1, -1))),
    "plaquette": (((0, 0), (0, 1), (1, 0), (1, 1)),),
    "third": (((0, 0), (0, 2)), ((0, 0), (2, 0))),
    "knight": (((0, 0), (1, 2)), ((0, 0), (2, 1)), ((0, 0), (1, -2)), ((0, 0), (2, -1))),
    "diag2": (((0, 0), (2, 2)), ((0, 0), (2, -2))),
    "diamond": (((0, 1), (1, 0), (1, 2), (2, 1)),),
    "fourth": (((0, 0), (0, 3)), ((0, 0), (3, 0))),
}
_ODD_SHAPES: dict[str, tuple[Shape, ...]] = {
    "m": (((0, 0),),),
    "triangle": (((0, 0), (0, 1), (1, 0)), ((0, 0), (0, 1), (1, 1)),
                 ((0, 0), (1, 0), (1, 1)), ((0, 1), (1, 0), (1, 1))),
    "row3": (((0, 0), (0, 1), (0, 2)), ((0, 0), (1, 0), (2, 0))),
    "diag3": (((0, 0), (1, 1), (2, 2)), ((0, 2), (1, 1), (2, 0))),
    "cross5": (((0, 1), (1, 0), (1, 1), (1, 2), (2, 1)),),
}

# further even shapes for effective-Hamiltonian fits (gpurg.rg.hamiltonian) only, kept out of
# EVEN so that MCRG's operator lists stay as they are: the 4 corners of a 1 x 2 rectangle
_FIT_SHAPES: dict[str, tuple[Shape, ...]] = {
    "rectangle": (((0, 0), (0, 2), (1, 0), (1, 2)), ((0, 0), (0, 1), (2, 0), (2, 1))),
}

EVEN: tuple[str, ...] = tuple(_EVEN_SHAPES)
ODD: tuple[str, ...] = tuple(_ODD_SHAPES)
FIT_ONLY: tuple[str, ...] = tuple(_FIT_SHAPES)
SHAPES: dict[str, tuple[Shape, ...]] = {**_EVEN_SHAPES, **_ODD_SHAPES, **_FIT_SHAPES}


def orientations(shape: Shape) -> tuple[Shape, ...]:
    """Every distinct image of a cluster of offsets (d-tuples) under the 2^d d! symmetries of
    the hypercubic lattice (axis permutations and reflections), each once up to translation:
    the orientations whose translates count every cluster of that kind once. Each image is
    translated so that its lexicographically smallest offset is 0 and its offsets sorted;
    returned in sorted order."""
    d = len(shape[0])
    seen = set()
    for perm in itertools.permutations(range(d)):
        for signs in itertools.product((1, -1), repeat=d):
            image = [tuple(signs[k] * o[perm[k]] for k in range(d)) for o in shape]
            first = min(image)
            seen.add(tuple(sorted(tuple(a - b for a, b in zip(o, first, strict=True))
                                  for o in image)))
    return tuple(sorted(seen))


# 3D operators by one representative cluster each, offsets (dz, dy, dx); see the module notes
_CUBE = tuple(itertools.product((0, 1), repeat=3))
_EVEN_3D_CLUSTERS: dict[str, Shape] = {
    "nn": ((0, 0, 0), (0, 0, 1)),
    "nnn": ((0, 0, 0), (0, 1, 1)),
    "body": ((0, 0, 0), (1, 1, 1)),
    "plaquette": ((0, 0, 0), (0, 0, 1), (0, 1, 0), (0, 1, 1)),
    "tetrahedron": ((0, 0, 0), (0, 1, 1), (1, 0, 1), (1, 1, 0)),
    "cube": _CUBE,
    "third": ((0, 0, 0), (0, 0, 2)),
    "knight": ((0, 0, 0), (0, 1, 2)),
}
_ODD_3D_CLUSTERS: dict[str, Shape] = {
    "m": ((0, 0, 0),),
    "triangle": ((0, 0, 0), (0, 0, 1), (0, 1, 0)),
    "equilateral": ((0, 0, 1), (0, 1, 0), (1, 0, 0)),
    "row3": ((0, 0, 0), (0, 0, 1), (0, 0, 2)),
    "star7": ((1, 1, 1), (0, 1, 1), (2, 1, 1), (1, 0, 1), (1, 2, 1), (1, 1, 0), (1, 1, 2)),
}
EVEN_3D: tuple[str, ...] = tuple(_EVEN_3D_CLUSTERS)
ODD_3D: tuple[str, ...] = tuple(_ODD_3D_CLUSTERS)
SHAPES_3D: dict[str, tuple[Shape, ...]] = {
    name: orientations(cluster)
    for name, cluster in {**_EVEN_3D_CLUSTERS, **_ODD_3D_CLUSTERS}.items()}

_TABLES: dict[int, dict[str, tuple[Shape, ...]]] = {2: SHAPES, 3: SHAPES_3D}
_SETS: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = {2: (EVEN, ODD), 3: (EVEN_3D, ODD_3D)}
DIMENSIONS: tuple[int, ...] = tuple(_TABLES)
"""Lattice dimensions with operator sets: the square and the simple cubic lattice."""
DIM = Integer(min(DIMENSIONS), max(DIMENSIONS))
"""The rule of the ``dim`` arguments below."""
CHUNK_SITES = 2**24
"""Sites (int8 spins) per chunk of :func:`operator_sums`: 16 MB."""


@checked(dim=DIM)
def shapes(dim: int = 2) -> dict[str, tuple[Shape, ...]]:
    """The operator table of a lattice dimension: name -> orientations (offsets of length
    ``dim``), :data:`SHAPES` in 2D (with the fit-only shapes), :data:`SHAPES_3D` in 3D."""
    return _TABLES[dim]


@checked(dim=DIM)
def operator_sets(dim: int = 2) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(even, odd): the MCRG operator names of a lattice dimension, in order of increasing
    span ((``EVEN``, ``ODD``) in 2D, (``EVEN_3D``, ``ODD_3D``) in 3D)."""
    return _SETS[dim]


def _lookup(name: str, dim: int) -> tuple[Shape, ...]:
    table = _TABLES[dim]
    if name not in table:
        raise InputError(f"unknown {dim}D operator {name!r}; allowed: {', '.join(table)}")
    return table[name]


@checked(dim=DIM)
def span(name: str, dim: int = 2) -> int:
    """The larger bounding-box side of the operator's shapes, minus one (0 for a single spin),
    in the operator table of ``dim``."""
    return max(max(max(o[i] for o in s) - min(o[i] for o in s) for i in range(dim))
               for s in _lookup(name, dim))


@checked(L=Integer(1), dim=DIM)
def n_fitting(names: tuple[str, ...] | list[str], L: int, dim: int = 2) -> int:
    """How many leading operators of ``names`` (of the table of ``dim``) fit an L^dim torus
    (L >= 2 span, see above)."""
    k = 0
    for name in names:
        if L < 2 * span(name, dim):
            break
        k += 1
    return k


def lattice_dimension(configs: Any) -> int:
    """The lattice dimension d of configurations (n, L, ..., L) (d equal sides); InputError
    for other shapes and for dimensions without operator sets."""
    shape = tuple(configs.shape)
    if len(shape) - 1 not in DIMENSIONS or len(set(shape[1:])) != 1:
        raise InputError(f"configurations must be (n, L, L) or (n, L, L, L), got shape {shape}")
    return len(shape) - 1


def operator_sums(configs: Any, names: tuple[str, ...] | list[str]) -> Any:
    """float64 (n, len(names)): the lattice sums of the named operators for ±1 configurations
    (n, L, L) or (n, L, L, L) of any integer dtype (numpy or cupy, result on the same
    backend); the names are those of the configurations' dimension (:func:`shapes`).

    The configurations are summed in chunks of about :data:`CHUNK_SITES` sites: the shifted
    copies of a chunk (one per offset the shapes use, 29 in 3D) then stay in cache, and the
    memory held is independent of n (all at once, 4096 lattices of 32^3 took 4 GB)."""
    dim = lattice_dimension(configs)
    for name in names:
        _lookup(name, dim)  # unknown names fail before any work
    xp = array_module(configs)
    n = configs.shape[0]
    step = max(1, CHUNK_SITES // math.prod(configs.shape[1:]))
    out = xp.empty((n, len(names)), dtype=xp.float64)
    for start in range(0, n, step):
        out[start:start + step] = _chunk_sums(configs[start:start + step], names, dim)
    return out


def _chunk_sums(configs: Any, names: tuple[str, ...] | list[str], dim: int) -> Any:
    """:func:`operator_sums` of one chunk of configurations."""
    xp = array_module(configs)
    s = configs.astype(xp.int8)
    axes = tuple(range(1, dim + 1))
    shifted: dict[tuple[int, ...], Any] = {}

    def at(offset: tuple[int, ...]) -> Any:
        # s[site + offset] on the torus; cached since shapes share many offsets
        if offset not in shifted:
            shifted[offset] = xp.roll(s, tuple(-o for o in offset), axis=axes)
        return shifted[offset]

    out = xp.empty((s.shape[0], len(names)), dtype=xp.float64)
    for j, name in enumerate(names):
        total = xp.zeros(s.shape[0], dtype=xp.int64)
        for shape in _lookup(name, dim):
            prod = at(shape[0])
            for off in shape[1:]:
                prod = prod * at(off)  # int8 products of ±1 stay ±1
            total += prod.sum(axis=axes, dtype=xp.int64)
        out[:, j] = total
    return out


def even_operators(configs: Any) -> Any:
    """float64 (n, len(even)): the even operator sums of the configurations' dimension,
    columns in ``EVEN`` (2D) or ``EVEN_3D`` (3D) order."""
    return operator_sums(configs, operator_sets(lattice_dimension(configs))[0])


def odd_operators(configs: Any) -> Any:
    """float64 (n, len(odd)): the odd operator sums of the configurations' dimension,
    columns in ``ODD`` (2D) or ``ODD_3D`` (3D) order."""
    return operator_sums(configs, operator_sets(lattice_dimension(configs))[1])


__all__ = ["DIM", "DIMENSIONS", "EVEN", "EVEN_3D", "FIT_ONLY", "ODD", "ODD_3D", "SHAPES",
           "SHAPES_3D", "even_operators", "lattice_dimension", "n_fitting", "odd_operators",
           "operator_sets", "operator_sums", "orientations", "shapes", "span"]
