"""Swendsen–Wang on the simple-cubic torus (gpurg/models/ising3d_cluster.py and
kernels/ising3d_cluster.cu): the kernels, run on the CPU through the emulation layer, give the
NumPy reference's chain bit for bit on any box (tiles of 4 x 4 x 4 whole, partial, and a box
inside one tile, where bonds wrap back into their own tile); the clusters are the components
of the laid bonds and nothing more; and the chain samples the Boltzmann distributions of the
2 x 2 x 2 and 4 x 2 x 2 tori."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.stats import chisquare

from gpurg.backend.philox import STREAM_SW_BONDS, STREAM_SW_FLIPS, philox4x32, seed_to_key
from gpurg.models.ising3d import Ising3DModel, Ising3DSampler
from gpurg.models.ising3d_cluster import _CLUSTER3D, SW3_TILE, SwendsenWang3D, _tiles
from gpurg.models.ising3d_exact import boltzmann_probabilities, state_index
from gpurg.models.ising_rules import bond_threshold

K_C = 0.2216546  # the simple-cubic critical coupling
T_C = 1.0 / K_C
# boxes (Lz, Ly, Lx): inside one tile with sides of 2 (two bonds per neighbour pair) and 3,
# whole tiles, partial tiles of sides 1, 2 and 3, and non-cubic
BOXES = ((2, 2, 2), (4, 2, 2), (2, 2, 4), (3, 3, 3), (4, 4, 4), (6, 6, 6), (8, 8, 8),
         (10, 10, 10), (2, 4, 6), (6, 4, 2), (5, 7, 9), (12, 8, 4))
P_MIN = 1e-3  # the chi-square tests' rejection threshold, fixed before they were run


class _Chain:
    """The parts of an Ising3DSampler that SwendsenWang3D uses: R boxes of spins on a
    backend, from random spins drawn by NumPy's generator with ``seed``."""

    def __init__(self, spins: np.ndarray, T: float, J: float, seed: int, backend: Any) -> None:
        self.backend = backend
        self.spins = backend.xp.asarray(spins.copy())
        self.model = _Model(T, J, shape=spins.shape[1:])
        self.key = seed_to_key(seed)
        self.replicas = spins.shape[0]
        self.sweeps_done = 0
        self.update = SwendsenWang3D(self)

    def sweep(self, n: int) -> None:
        self.update.sweeps(self, n)
        self.sweeps_done += n

    def state(self) -> np.ndarray:
        return np.array(self.backend.asnumpy(self.spins))


class _Model:
    def __init__(self, T: float, J: float, h: float = 0.0, shape: tuple[int, ...] = ()) -> None:
        self.T, self.J, self.h, self.shape = T, J, h, shape


def _random_spins(shape: tuple[int, ...], seed: int) -> np.ndarray:
    return np.where(np.random.default_rng(seed).random(shape) < 0.5, 1, -1).astype(np.int8)


@pytest.mark.parametrize("box", BOXES)
@pytest.mark.parametrize(("T", "J"), [(T_C, 1.0), (2.5, 1.0), (9.0, 1.0), (T_C, -1.0),
                                      (3.0, -0.8)])
def test_kernels_equal_numpy(cpu_kernels, numpy_backend, box, T, J) -> None:
    spins = _random_spins((3, *box), sum(box))
    seed = 2**64 - 1 if J < 0 else 12
    a, b = (_Chain(spins, T, J, seed, d) for d in (cpu_kernels, numpy_backend))
    for n in (1, 2, 1):
        a.sweep(n)
        b.sweep(n)
        assert np.array_equal(a.state(), b.state())


@pytest.mark.parametrize("L", [2, 4, 6])
def test_sampler_chains_equal_numpy(cpu_kernels, numpy_backend, L) -> None:
    """Through Ising3DSampler (which makes its update before its spins), from a hot start."""
    model = Ising3DModel(L, T_C)
    a, b = (Ising3DSampler(model, replicas=3, algorithm="swendsen-wang", seed=8, device=d)
            for d in (cpu_kernels, numpy_backend))
    a.sweep(3)
    b.sweep(3)
    assert np.array_equal(a.get_state(), b.get_state())


def test_larger_chain_equals_numpy(cpu_kernels, numpy_backend) -> None:
    """Clusters that span many tiles (percolating below T_c), over several sweeps, on 512
    tiles: enough for the host to spread the launches over its cores, so that the unions run
    concurrently."""
    spins = np.ones((8, 16, 16, 16), dtype=np.int8)
    a, b = (_Chain(spins, 3.5, 1.0, 3, d) for d in (cpu_kernels, numpy_backend))
    a.sweep(4)
    b.sweep(4)
    assert np.array_equal(a.state(), b.state())


def test_chain_is_a_function_of_the_seed(cpu_kernels) -> None:
    spins = _random_spins((4, 8, 8, 8), 0)
    one = _Chain(spins, T_C, 1.0, 5, cpu_kernels)
    one.sweep(6)
    split = _Chain(spins, T_C, 1.0, 5, cpu_kernels)
    split.sweep(2)
    split.sweep(4)
    other = _Chain(spins, T_C, 1.0, 6, cpu_kernels)
    other.sweep(6)
    assert np.array_equal(one.state(), split.state())
    assert not np.array_equal(one.state(), other.state())
    # replicas draw their own numbers: equal starts part ways
    same = _Chain(np.repeat(spins[:1], 4, axis=0), T_C, 1.0, 5, cpu_kernels)
    same.sweep(1)
    s = same.state().reshape(4, -1)
    assert len({row.tobytes() for row in s}) == 4


def test_refuses_a_field(cpu_kernels) -> None:
    chain = _Chain(np.ones((1, 2, 2, 2), np.int8), 1.0, 1.0, 0, cpu_kernels)
    chain.model = _Model(1.0, 1.0, 0.1, (2, 2, 2))
    with pytest.raises(ValueError, match="h = 0"):
        SwendsenWang3D(chain)


def _components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Smallest node of each node's component, (n,), for edges a[k] -- b[k]."""
    graph = coo_matrix((np.ones(a.size), (a, b)), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    smallest = np.full(comp.max() + 1, n)
    np.minimum.at(smallest, comp, np.arange(n))
    return smallest[comp]


def _laid(spins: np.ndarray, thr: int, sign: int, step: int, key) -> list[np.ndarray]:
    """The laid +x, +y, +z bonds, (R, Lz, Ly, Lx) bool each, drawn as the reference draws."""
    R, N = spins.shape[0], spins[0].size
    words = philox4x32((np.arange(N, dtype=np.uint64)[None, :],
                        np.arange(R, dtype=np.uint64)[:, None], step, STREAM_SW_BONDS), key)
    s = spins.astype(np.int32) * sign
    return [(s * np.roll(spins, -1, axis) > 0) & (words[..., w] < thr).reshape(spins.shape)
            for axis, w in ((3, 0), (2, 1), (1, 2))]


@pytest.mark.parametrize(("box", "T", "J"), [((4, 4, 4), T_C, 1.0), ((2, 2, 2), 2.0, 1.0),
                                             ((6, 10, 5), T_C, 1.0), ((8, 8, 8), 3.0, -1.0),
                                             ((12, 12, 12), 3.5, 1.0)])
def test_clusters_are_the_components_of_the_laid_bonds(cpu_kernels, box, T, J) -> None:
    """sw3_local: each site's label is the smallest site of its cluster under the laid bonds
    inside its tile, flagged as the root there, and open there exactly when the cluster
    touches a face lx, ly or lz = 0 or a bond that leaves the tile; the open roots, and only
    they, are their own parents; the tile's word holds exactly the bonds that leave it.
    sw3_union: every open root ends under the smallest site of its whole cluster, the
    component of the laid bonds (so no cluster crosses a bond that was not laid), and the
    closed local clusters are whole clusters."""
    R, step, sign, key = 2, 7, (1 if J > 0 else -1), seed_to_key(42)
    Lz, Ly, Lx = box
    N, thr = Lx * Ly * Lz, bond_threshold(T, J)
    spins = _random_spins((R, *box), N)
    labels = np.full((R, *box), 255, dtype=np.uint8)
    cross = np.zeros(R * _tiles(Lx, Ly, Lz), dtype=np.uint64)
    parent = np.full((R, *box), -1, dtype=np.int32)
    _CLUSTER3D.launch(cpu_kernels, "sw3_local", cross.size, spins, labels, cross, parent, Lx,
                      Ly, Lz, R, sign, thr, step, *key)
    laid = _laid(spins, thr, sign, step, key)
    z, y, x = np.indices(box)
    site = (z * Ly + y) * Lx + x
    t = SW3_TILE
    tile = ((z // t) * -(-Ly // t) + y // t) * -(-Lx // t) + x // t
    origin = ((z // t * t) * Ly + y // t * t) * Lx + x // t * t
    forward = [np.roll(site, -1, axis) for axis in (2, 1, 0)]
    coords = (x, y, z)
    sides = (Lx, Ly, Lz)
    tiles = cross.reshape(R, -1)
    opened = []
    for r in range(R):
        bonds = [m[r] for m in laid]  # the laid +x, +y, +z bonds of replica r
        inside = [bonds[d] & (tile == np.roll(tile, -1, 2 - d)) & (coords[d] + 1 < sides[d])
                  for d in range(3)]
        local = _components(N, np.concatenate([site[m] for m in inside]),
                            np.concatenate([forward[d][m] for d, m in enumerate(inside)]))
        lab = (labels[r] & 63).astype(np.int64)
        got = origin + ((lab >> 4) * Ly + ((lab >> 2) & 3)) * Lx + (lab & 3)
        assert np.array_equal(got.ravel(), local)
        is_root = local == site.ravel()
        assert np.array_equal((labels[r].ravel() >> 6) & 1, is_root)
        leaving = [bonds[d] & ~inside[d] for d in range(3)]
        border = ((x % t == 0) | (y % t == 0) | (z % t == 0) | leaving[0] | leaving[1]
                  | leaving[2]).ravel()
        touches = np.zeros(N, dtype=bool)
        np.logical_or.at(touches, local, border)
        opened.append(np.flatnonzero(is_root & touches))
        assert np.array_equal(np.flatnonzero(labels[r].ravel() >> 7), opened[r])
        assert np.array_equal(np.flatnonzero(parent[r] >= 0), opened[r])
        assert np.array_equal(parent[r].ravel()[opened[r]], opened[r])
        want = np.zeros(tiles.shape[1], dtype=np.uint64)
        for d, bit in enumerate((((z % t) * 4 + y % t), 16 + (z % t) * 4 + x % t,
                                 32 + (y % t) * 4 + x % t)):
            m = leaving[d]
            np.bitwise_or.at(want, tile[m], np.left_shift(np.uint64(1), bit[m].astype(np.uint64)))
        assert np.array_equal(tiles[r], want)

    _CLUSTER3D.launch(cpu_kernels, "sw3_union", cross.size, labels, cross, parent, Lx, Ly, Lz,
                      R)
    for r in range(R):
        bonds = [m[r] for m in laid]
        whole = _components(N, np.concatenate([site[m] for m in bonds]),
                            np.concatenate([forward[d][m] for d, m in enumerate(bonds)]))
        p = parent[r].ravel()
        assert np.array_equal(np.flatnonzero(p >= 0), opened[r])  # the forest of open roots
        top = opened[r]
        for _ in range(top.size):  # follow every open root to the top of its tree
            top = p[top]
        assert np.array_equal(top, whole[opened[r]])
        closed = np.setdiff1d(np.flatnonzero((labels[r].ravel() >> 6) & 1), opened[r])
        assert np.array_equal(whole[closed], closed)


@pytest.mark.parametrize("backend", ["cpu_kernels", "numpy_backend"])
@pytest.mark.parametrize("J", [1.0, -1.0])
def test_no_bonds_and_all_bonds(request, backend, J) -> None:
    """With no bond laid (T -> 0+ is all bonds, T -> inf none: here the thresholds are forced)
    each site is its own cluster and flips by its own coin; with every satisfied bond laid
    the clusters are the components of satisfied neighbours, each flipped by its smallest
    site's coin."""
    device = request.getfixturevalue(backend)
    box, R, key = (4, 6, 5), 3, seed_to_key(9)
    N = int(np.prod(box))
    spins = _random_spins((R, *box), 1)
    sign = 1 if J > 0 else -1
    site = np.arange(N)
    for thr in (0, 2**32):
        chain = _Chain(spins, 1.0, J, 9, device)
        chain.update._bond_threshold = thr
        chain.sweep(1)
        s = spins.reshape(R, N)
        want = s.copy()
        for r in range(R):
            if thr == 0:
                root = site
            else:
                sat = _laid(spins[r:r + 1], thr, sign, 0, key)
                z, y, x = np.indices(box)
                idx = (z * box[1] + y) * box[2] + x
                root = _components(N, np.concatenate([idx[m[0]] for m in sat]),
                                   np.concatenate([np.roll(idx, -1, a)[m[0]] for a, m in
                                                   zip((2, 1, 0), sat, strict=True)]))
            coin = philox4x32((root.astype(np.uint64), r, 0, STREAM_SW_FLIPS), key)[:, 0] & 1
            want[r] = np.where(coin == 1, -s[r], s[r])
        assert np.array_equal(chain.state().reshape(R, N), want)


@pytest.mark.parametrize(("box", "T", "J"), [((2, 2, 2), T_C, 1.0), ((2, 2, 2), 2.0, 1.0),
                                             ((2, 2, 2), 3.0, -1.0), ((2, 2, 2), 12.0, 1.0),
                                             ((4, 2, 2), 3.0, 1.0)])
def test_boltzmann_distribution_of_small_tori(cpu_kernels, box, T, J) -> None:
    """Independent replicas from a cold start, after 20 sweeps, against the exact
    distribution over the states (gpurg.models.ising3d_exact): chi-square over the states
    expected at least 5 times, the rest pooled. (On 8 or 16 sites a sweep forgets the start
    almost entirely: at low T the cluster of the whole box flips with probability 1/2, at
    high T most sites flip on their own coins.)"""
    R = 40_000
    chain = _Chain(np.ones((R, *box), np.int8), T, J, 2024, cpu_kernels)
    chain.sweep(20)
    counts = np.bincount(state_index(chain.state()), minlength=2 ** int(np.prod(box)))
    expected = R * boltzmann_probabilities(box, T, J)
    big = expected >= 5
    f_obs = np.append(counts[big], counts[~big].sum())
    f_exp = np.append(expected[big], expected[~big].sum())
    if f_exp[-1] == 0:  # no state to pool
        f_obs, f_exp = f_obs[:-1], f_exp[:-1]
    assert chisquare(f_obs, f_exp).pvalue > P_MIN
