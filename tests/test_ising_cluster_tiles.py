"""Swendsen–Wang kernels with a local labelling pass (kernels/ising_cluster.cu): one thread per
tile of SW_TILE x SW_TILE sites, narrower at the far edges when SW_TILE does not divide L.

The chains equal the NumPy reference bit for bit at sizes whose tiles are partial, whose rows
start both on and off 8-byte boundaries, and that fit in one tile (bonds that wrap around the
torus join a tile to itself); and each kernel's intermediate result is what it promises."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from gpurg.backend.philox import STREAM_SW_BONDS, philox4x32, seed_to_key
from gpurg.models.ising import _CLUSTER, SW_TILE, IsingModel, IsingSampler
from gpurg.models.ising_rules import bond_threshold

T_C = 2.0 / np.log(1.0 + np.sqrt(2.0))
# one tile (4, 6, 8), partial tiles of width 2, 4 and 6 (10, 12, 14, 36, 22), rows off 8-byte
# boundaries (L % 8 != 0), and several whole tiles (16, 24)
SIZES = (4, 6, 8, 10, 12, 14, 16, 22, 24, 36)


@pytest.mark.parametrize("L", SIZES)
@pytest.mark.parametrize("seed", [0, 1, 2, 2**64 - 1])
@pytest.mark.parametrize(("T", "J"), [(1.2, 1.0), (T_C, 1.0), (4.0, 1.0), (1.5, -1.0)])
def test_chains_equal_numpy_at_odd_sizes(cpu_kernels, numpy_backend, L, seed, T, J) -> None:
    model = IsingModel(L, T, J)
    a, b = (IsingSampler(model, replicas=3, algorithm="swendsen-wang", seed=seed, device=d)
            for d in (cpu_kernels, numpy_backend))
    for _ in range(4):
        a.sweep(1)
        b.sweep(1)
        assert np.array_equal(a.get_state(), b.get_state())


@pytest.mark.parametrize(("L", "R", "T"), [(66, 2, 1.0), (130, 1, T_C), (36, 5, 2.0)])
def test_larger_chains_equal_numpy(cpu_kernels, numpy_backend, L, R, T) -> None:
    """Clusters that span many tiles (percolating at T = 1), with partial edge tiles."""
    model = IsingModel(L, T)
    a, b = (IsingSampler(model, replicas=R, algorithm="swendsen-wang", seed=11, device=d)
            for d in (cpu_kernels, numpy_backend))
    a.sweep(3)
    b.sweep(3)
    assert np.array_equal(a.get_state(), b.get_state())


def _bonds(spins: np.ndarray, thr: int, sign: int, step: int, key) -> tuple[np.ndarray, ...]:
    """The laid +x and +y bonds, (R, L, L) bool each, drawn as ising_numpy draws them."""
    R, L, _ = spins.shape
    words = philox4x32((np.arange(L * L, dtype=np.uint64)[None, :],
                        np.arange(R, dtype=np.uint64)[:, None], step, STREAM_SW_BONDS), key)
    s = spins.astype(np.int32) * sign
    return tuple((s * np.roll(spins, -1, axis) > 0) & (words[..., w] < thr).reshape(R, L, L)
                 for axis, w in ((2, 0), (1, 1)))


def _components(L: int, edges: list[tuple[int, int]]) -> np.ndarray:
    """Smallest site of each site's component, (L * L,), for bonds given as site pairs."""
    a, b = np.array(edges, dtype=np.int64).reshape(-1, 2).T
    graph = coo_matrix((np.ones(a.size), (a, b)), shape=(L * L, L * L))
    _, comp = connected_components(graph, directed=False)
    smallest = np.full(comp.max() + 1, L * L)
    np.minimum.at(smallest, comp, np.arange(L * L))
    return smallest[comp]


@pytest.mark.parametrize(("L", "T", "J"), [(4, 1.5, 1.0), (10, T_C, 1.0), (12, 1.0, -1.0),
                                           (36, T_C, 1.0), (64, 1.8, 1.0)])
def test_local_labels_and_crossing_bonds(cpu_kernels, L, T, J) -> None:
    """sw_local: each site's label is the smallest site of its cluster under the bonds inside
    its tile (as ly * 8 + lx), flagged on that root, and flagged open there when the cluster
    touches the tile's column 0, row 0 or a bond that leaves the tile; exactly the open roots
    are their own parents, and the word of each tile holds exactly the bonds that leave it.
    sw_union then roots every open root at the smallest site of its whole cluster, and the
    closed local clusters are whole clusters."""
    R, step, sign = 3, 5, (1 if J > 0 else -1)
    key = seed_to_key(42)
    thr = bond_threshold(T, J)
    spins = np.where(np.random.default_rng(L).random((R, L, L)) < 0.6, 1, -1).astype(np.int8)
    tiles = -(-L // SW_TILE)
    labels = np.full((R, L, L), 255, dtype=np.uint8)
    cross = np.zeros((R, tiles, tiles), dtype=np.uint32)
    parent = np.full((R, L, L), -1, dtype=np.int32)
    _CLUSTER.launch(cpu_kernels, "sw_local", cross.size, spins, labels, cross, parent, L, R,
                    sign, thr, step, *key)
    bx, by = _bonds(spins, thr, sign, step, key)
    y, x = np.indices((L, L))
    tile = (y // SW_TILE) * tiles + x // SW_TILE
    site = y * L + x
    right, down = np.roll(site, -1, 1), np.roll(site, -1, 0)
    local, opened = [], []
    for r in range(R):
        inside_x = bx[r] & (tile == np.roll(tile, -1, 1)) & (x + 1 < L)
        inside_y = by[r] & (tile == np.roll(tile, -1, 0)) & (y + 1 < L)
        local.append(_components(L, [*zip(site[inside_x], right[inside_x], strict=True),
                                     *zip(site[inside_y], down[inside_y], strict=True)]))
        label = labels[r] & 63
        got = ((y // SW_TILE) * SW_TILE + label // SW_TILE) * L + (
            (x // SW_TILE) * SW_TILE + label % SW_TILE)
        assert np.array_equal(got.ravel(), local[r])
        is_root = local[r] == site.ravel()
        assert np.array_equal((labels[r].ravel() >> 6) & 1, is_root)
        border = ((x % SW_TILE == 0) | (y % SW_TILE == 0) | (bx[r] & ~inside_x)
                  | (by[r] & ~inside_y)).ravel()
        touches = np.zeros(L * L, dtype=bool)
        np.logical_or.at(touches, local[r], border)
        opened.append(np.flatnonzero(is_root & touches[site.ravel()]))
        assert np.array_equal(np.flatnonzero(labels[r].ravel() >> 7), opened[r])
        # the open roots, and only they, are their own parents (the rest is not written)
        assert np.array_equal(np.flatnonzero(parent[r] >= 0), opened[r])
        assert np.array_equal(parent[r].ravel()[opened[r]], opened[r])
        want = np.zeros(tiles * tiles, dtype=np.uint32)
        for mask, bit in ((bx[r] & ~inside_x, y % SW_TILE), (by[r] & ~inside_y,
                                                               8 + x % SW_TILE)):
            np.bitwise_or.at(want, tile[mask], (np.uint32(1) << bit[mask]).astype(np.uint32))
        assert np.array_equal(cross[r].ravel(), want)

    _CLUSTER.launch(cpu_kernels, "sw_union", cross.size, labels, cross, parent, L, R)
    for r in range(R):
        whole = _components(L, [*zip(site[bx[r]], right[bx[r]], strict=True),
                                *zip(site[by[r]], down[by[r]], strict=True)])
        p = parent[r].ravel()
        assert np.array_equal(np.flatnonzero(p >= 0), opened[r])  # the forest of open roots
        top = opened[r]
        for _ in range(top.size):  # follow every open root to the top of its tree
            top = p[top]
        assert np.array_equal(top, whole[opened[r]])
        assert np.array_equal(p[top], top)
        closed = np.setdiff1d(np.unique(local[r]), opened[r])
        assert np.array_equal(whole[closed], closed)
