"""The 3D MCRG operator sets: sums against brute-force loops over sites and hand-listed
orientations, invariance under the 48 symmetries of the cube and translations, the
'fits' rule, and the 2D sets untouched."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from gpurg.errors import InputError
from gpurg.rg import operators
from gpurg.rg.operators import (
    EVEN,
    EVEN_3D,
    ODD,
    ODD_3D,
    SHAPES,
    even_operators,
    n_fitting,
    odd_operators,
    operator_sets,
    operator_sums,
    orientations,
    span,
)

AXES = ((1, 0, 0), (0, 1, 0), (0, 0, 1))


def _add(*vectors: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(sum(c)) for c in zip(*vectors, strict=True))


def _plane_squares() -> list[list[tuple[int, ...]]]:
    """The 4 corners of the elementary square in each of the 3 coordinate planes."""
    o = (0, 0, 0)
    return [[o, a, b, _add(a, b)] for a, b in itertools.combinations(AXES, 2)]


def _tetrahedra() -> list[list[tuple[int, ...]]]:
    corners = list(itertools.product((0, 1), repeat=3))
    return [[c for c in corners if sum(c) % 2 == parity] for parity in (0, 1)]


def _pairs(vectors: list[tuple[int, ...]]) -> list[list[tuple[int, ...]]]:
    return [[(0, 0, 0), v] for v in vectors]


def _knight_vectors() -> list[tuple[int, ...]]:
    """The 12 pair directions (up to sign) of length √5: permutations of (0, ±1, ±2)."""
    out: set[tuple[int, ...]] = set()
    for perm in set(itertools.permutations((0, 1, 2))):
        for signs in itertools.product((1, -1), repeat=3):
            v = tuple(s * p for s, p in zip(signs, perm, strict=True))
            out.add(max(v, tuple(-c for c in v)))  # one of v, -v
    return sorted(out)


# every orientation of every operator, listed by hand (independently of orientations())
CLUSTERS: dict[str, list[list[tuple[int, ...]]]] = {
    "nn": _pairs(list(AXES)),
    "nnn": _pairs([(0, 1, 1), (0, 1, -1), (1, 0, 1), (1, 0, -1), (1, 1, 0), (1, -1, 0)]),
    "body": _pairs([(1, 1, 1), (1, 1, -1), (1, -1, 1), (1, -1, -1)]),
    "plaquette": _plane_squares(),
    "tetrahedron": _tetrahedra(),
    "cube": [list(itertools.product((0, 1), repeat=3))],
    "third": _pairs([(2, 0, 0), (0, 2, 0), (0, 0, 2)]),
    "knight": _pairs(_knight_vectors()),
    "m": [[(0, 0, 0)]],
    "triangle": [[c for k, c in enumerate(sq) if k != drop] for sq in _plane_squares()
                 for drop in range(4)],
    "equilateral": [[c for k, c in enumerate(t) if k != drop] for t in _tetrahedra()
                    for drop in range(4)],
    "row3": [[(0, 0, 0), a, _add(a, a)] for a in AXES],
    "star7": [[(0, 0, 0)] + [tuple(s * c for c in a) for a in AXES for s in (1, -1)]],
}
COUNTS = {"nn": 3, "nnn": 6, "body": 4, "plaquette": 3, "tetrahedron": 2, "cube": 1,
          "third": 3, "knight": 12, "m": 1, "triangle": 12, "equilateral": 8, "row3": 3,
          "star7": 1}


def spins(n: int, L: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).choice(np.array([-1, 1], np.int8), (n, L, L, L))


def brute(config: np.ndarray, name: str) -> float:
    """Σ over sites and hand-listed orientations of the product of the cluster's spins."""
    L = config.shape[0]
    total = 0
    for z, y, x in itertools.product(range(L), repeat=3):
        for cluster in CLUSTERS[name]:
            p = 1
            for dz, dy, dx in cluster:
                p *= int(config[(z + dz) % L, (y + dy) % L, (x + dx) % L])
            total += p
    return float(total)


def test_sets_and_hand_counts() -> None:
    assert operator_sets(3) == (EVEN_3D, ODD_3D) and operator_sets(2) == (EVEN, ODD)
    assert set(CLUSTERS) == set(EVEN_3D + ODD_3D)
    assert EVEN_3D[:4] == ("nn", "nnn", "body", "plaquette") and "third" in EVEN_3D
    assert ODD_3D[:2] == ("m", "triangle") and 7 <= len(EVEN_3D) and 4 <= len(ODD_3D)
    spans = [span(name, 3) for name in EVEN_3D]
    assert spans == sorted(spans) and [span(n, 3) for n in ODD_3D] == [0, 1, 1, 2, 2]
    for name, clusters in CLUSTERS.items():
        assert len(clusters) == COUNTS[name], name
        assert len(orientations(tuple(clusters[0]))) == COUNTS[name], name
    # the ground state: one term per bond or cluster, L^3 per orientation
    L = 6
    ones = operator_sums(np.ones((1, L, L, L), np.int8), EVEN_3D + ODD_3D)
    assert ones[0].tolist() == [float(L**3 * COUNTS[n]) for n in EVEN_3D + ODD_3D]
    # the 2D orientations are still the hand-written ones
    assert len(SHAPES["nn"]) == 2 and len(orientations(SHAPES["knight"][0])) == 4


@pytest.mark.parametrize("L", [3, 4, 5])
def test_sums_against_brute_force(L: int) -> None:
    c = spins(2, L, seed=L)
    got = operator_sums(c, EVEN_3D + ODD_3D)
    assert got.dtype == np.float64 and got.shape == (2, len(EVEN_3D) + len(ODD_3D))
    for i in range(2):
        assert got[i].tolist() == [brute(c[i], name) for name in EVEN_3D + ODD_3D]
    np.testing.assert_array_equal(even_operators(c), got[:, :len(EVEN_3D)])
    np.testing.assert_array_equal(odd_operators(c), got[:, len(EVEN_3D):])


def test_fits_rule_on_small_and_odd_tori() -> None:
    """L >= 2 span, as in 2D: on L = 3 the distance-2 pair wraps onto the nearest-neighbour
    pair (the sums coincide, A would be singular), so only the span-1 operators fit."""
    c = spins(3, 3, seed=1)
    third, nn = operator_sums(c, ("third", "nn")).T
    np.testing.assert_array_equal(third, nn)
    assert n_fitting(EVEN_3D, 3, 3) == n_fitting(EVEN_3D, 2, 3) == 6
    assert n_fitting(EVEN_3D, 4, 3) == n_fitting(EVEN_3D, 5, 3) == len(EVEN_3D)
    assert n_fitting(ODD_3D, 1, 3) == 1 and n_fitting(ODD_3D, 3, 3) == 3
    assert n_fitting(ODD_3D, 4, 3) == len(ODD_3D)


def test_invariance_under_the_cube_group_and_translations() -> None:
    """Every 3D sum is a scalar of the lattice: unchanged, bit for bit, by the 48 axis
    permutations and reflections of the configurations and by translations; even sums are
    unchanged and odd sums change sign when every spin flips."""
    for L in (4, 5):
        c = spins(3, L, seed=20 + L)
        names = EVEN_3D + ODD_3D
        ref = operator_sums(c, names)
        images = 0
        for perm in itertools.permutations((1, 2, 3)):
            for flips in itertools.product((False, True), repeat=3):
                t = np.transpose(c, (0, *perm))
                for axis, flip in zip((1, 2, 3), flips, strict=True):
                    if flip:
                        t = np.flip(t, axis)
                np.testing.assert_array_equal(operator_sums(np.ascontiguousarray(t), names),
                                              ref)
                images += 1
        assert images == 48
        shifted = np.roll(c, (1, -2, 3), axis=(1, 2, 3))
        np.testing.assert_array_equal(operator_sums(shifted, names), ref)
        np.testing.assert_array_equal(operator_sums(-c, EVEN_3D), ref[:, :len(EVEN_3D)])
        np.testing.assert_array_equal(operator_sums(-c, ODD_3D), -ref[:, len(EVEN_3D):])


def test_bad_input() -> None:
    c = spins(1, 4, seed=0)
    with pytest.raises(InputError, match="unknown 3D operator 'diamond'"):
        operator_sums(c, ("diamond",))  # a 2D name
    with pytest.raises(InputError, match="unknown 2D operator 'cube'"):
        operator_sums(c[:, 0], ("cube",))
    with pytest.raises(InputError, match=r"\(n, L, L\) or \(n, L, L, L\)"):
        operator_sums(np.ones((1, 4, 4, 2), np.int8), ("nn",))
    with pytest.raises(InputError, match="dim"):
        operator_sets(4)


@pytest.mark.gpu
def test_cupy_sums_equal_numpy() -> None:
    import cupy

    c = spins(3, 5, seed=2)
    got = operator_sums(cupy.asarray(c), EVEN_3D + ODD_3D)
    assert isinstance(got, cupy.ndarray)
    np.testing.assert_array_equal(got.get(), operator_sums(c, EVEN_3D + ODD_3D))


@pytest.mark.parametrize("shape", [(7, 8, 8), (5, 4, 4, 4)])
def test_chunked_sums_equal_whole_sums(monkeypatch: pytest.MonkeyPatch, shape) -> None:
    """Summing in chunks of samples (3 lattices per chunk here, the last one short) gives the
    sums of the whole array at once."""
    configs = np.where(np.random.default_rng(4).random(shape) < 0.5, 1, -1).astype(np.int8)
    even, odd = operators.operator_sets(len(shape) - 1)
    whole = operators.operator_sums(configs, even + odd)
    monkeypatch.setattr(operators, "CHUNK_SITES", 3 * int(np.prod(shape[1:])))
    np.testing.assert_array_equal(operators.operator_sums(configs, even + odd), whole)
