"""Ising operator sets on the L x L torus, as extensive lattice sums.

Each operator is Σ_sites Σ_shapes Π_{(dy, dx) in shape} s[y + dy, x + dx] (indices mod L):
one term per lattice translate of each listed orientation, so every bond or cluster of that
kind is counted once (e.g. "nn" sums 2 L^2 pairs). ``EVEN`` operators (even number of spins)
couple to the temperature-like couplings, ``ODD`` ones to the field-like ones. The names are
listed in order of increasing span, which is the order MCRG adds them in.

An operator "fits" an L x L torus when L >= 2 * span (span: the larger side of the shape's
bounding box, minus one); below that a shape can wrap onto a shorter one (on L = 4 the
distance-3 pair is the nearest-neighbour pair) and the covariance matrix becomes singular.
"""

from __future__ import annotations

from typing import Any

from gpurg.backend.device import array_module
from gpurg.errors import InputError
from gpurg.validation import Integer, checked

Shape = tuple[tuple[int, int], ...]

# name -> orientations (offsets (dy, dx) relative to the site the term is attached to)
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


def span(name: str) -> int:
    """The larger bounding-box side of the operator's shapes, minus one (0 for a single spin)."""
    if name not in SHAPES:
        raise InputError(f"unknown operator {name!r}; allowed: {', '.join(SHAPES)}")
    return max(max(max(o[i] for o in s) - min(o[i] for o in s) for i in (0, 1))
               for s in SHAPES[name])


@checked(L=Integer(1))
def n_fitting(names: tuple[str, ...] | list[str], L: int) -> int:
    """How many leading operators of ``names`` fit an L x L torus (L >= 2 span, see above)."""
    k = 0
    for name in names:
        if L < 2 * span(name):
            break
        k += 1
    return k


def operator_sums(configs: Any, names: tuple[str, ...] | list[str]) -> Any:
    """float64 (n, len(names)): the lattice sums of the named operators for ±1 configurations
    (n, L, L) of any integer dtype (numpy or cupy, result on the same backend)."""
    if configs.ndim != 3 or configs.shape[1] != configs.shape[2]:
        raise InputError(f"configurations must be (n, L, L), got shape {configs.shape}")
    xp = array_module(configs)
    s = configs.astype(xp.int8)
    shifted: dict[tuple[int, int], Any] = {}

    def at(dy: int, dx: int) -> Any:
        # s[y + dy, x + dx] on the torus; cached since shapes share many offsets
        if (dy, dx) not in shifted:
            shifted[(dy, dx)] = xp.roll(s, (-dy, -dx), axis=(1, 2))
        return shifted[(dy, dx)]

    out = xp.empty((s.shape[0], len(names)), dtype=xp.float64)
    for j, name in enumerate(names):
        if name not in SHAPES:
            raise InputError(f"unknown operator {name!r}; allowed: {', '.join(SHAPES)}")
        total = xp.zeros(s.shape[0], dtype=xp.int64)
        for shape in SHAPES[name]:
            prod = at(*shape[0])
            for off in shape[1:]:
                prod = prod * at(*off)  # int8 products of ±1 stay ±1
            total += prod.sum(axis=(1, 2), dtype=xp.int64)
        out[:, j] = total
    return out


def even_operators(configs: Any) -> Any:
    """float64 (n, len(EVEN)): the even operator sums, columns in ``EVEN`` order."""
    return operator_sums(configs, EVEN)


def odd_operators(configs: Any) -> Any:
    """float64 (n, len(ODD)): the odd operator sums, columns in ``ODD`` order."""
    return operator_sums(configs, ODD)


__all__ = ["EVEN", "FIT_ONLY", "ODD", "SHAPES", "even_operators", "n_fitting", "odd_operators",
           "operator_sums", "span"]
