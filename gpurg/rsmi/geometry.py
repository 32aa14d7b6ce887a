"""The V / B / E geometry of RSMI and the extraction of (V, E) pairs from configurations.

Relative to a block origin (y, x), with L_V = ``block``, L_B = ``buffer``, L_E = ``env``:

* V (visible block): the sites (y + dy, x + dx) with 0 <= dy, dx < L_V, row-major;
* B (buffer): the shell of width L_B around V (never extracted);
* E (environment): the shell of width L_E around B, i.e. the square
  [-(L_B + L_E), L_V + L_B + L_E)^2 minus the square [-L_B, L_V + L_B)^2.

In three dimensions (``dim`` = 3, the simple cubic lattice, configurations (n, L, L, L)
indexed [z, y, x]) every square is a cube: V is the L_V x L_V x L_V block at origin (z, y, x),
row-major (visible index (dz L_V + dy) L_V + dx), and E the shell of cubes
[-(L_B + L_E), L_V + L_B + L_E)^3 minus [-L_B, L_V + L_B)^3.

Coordinates wrap periodically (torus). ``span`` = L_V + 2 (L_B + L_E) is the side of the whole
V+B+E square (cube); it must not exceed the lattice, or the environment would overlap itself or
the block. Sizes count lattice entries: Ising spins, or pixels of the 2L x 2L dimer image
(science.md §5), in which case a block of L_V = 8 pixels covers 4 x 4 dimer vertices.

Every block position of every sample gives one pair (science.md §1): translation invariance
turns a few thousand lattices into millions of pairs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gpurg.backend.device import array_module
from gpurg.backend.philox import STREAM_PAIR_POSITIONS, philox4x32, seed_to_key
from gpurg.errors import InputError
from gpurg.validation import SEED, Integer, checked

# Purpose word of the Philox counter for random block positions: 0-6 are the samplers', 7 the
# RBM's (gpurg_common.cuh), 9 exact.sample_chain's.

# A number of random block positions: a Philox counter word (random_positions)
POSITIONS = Integer(1, 2**32 - 1)
# The rules of Geometry's fields (and of the CLI's --block, --buffer, --env), under the names
# its messages give them
BLOCK, BUFFER, ENV = Integer(1), Integer(0), Integer(1)
DIMENSIONS = (2, 3)
"""Lattice dimensions a geometry can have: the square and the simple cubic lattice."""
_GATHER_CHUNK = 1 << 14  # random pairs gathered at a time by extract_pairs
_SIZES = {"block": ("block size L_V", BLOCK), "buffer": ("buffer width L_B", BUFFER),
          "env": ("environment width L_E", ENV)}


@dataclass(frozen=True)
class Geometry:
    """Block, buffer and environment sizes (in lattice entries: spins or image pixels).

    Attributes
    ----------
    block : int
        L_V >= 1, the side of the square (cubic, in 3D) visible block.
    buffer : int
        L_B >= 0, the width of the buffer shell around the block (left out of V and E).
    env : int
        L_E >= 1, the width of the environment shell around the buffer.
    dim : int
        The lattice dimension d, 2 (configurations (n, Ly, Lx)) or 3 (simple cubic,
        (n, Lz, Ly, Lx)); see :data:`DIMENSIONS`.
    """

    block: int
    buffer: int
    env: int
    dim: int = 2

    def __post_init__(self) -> None:
        for field, (name, constraint) in _SIZES.items():  # checked, and made Python ints
            object.__setattr__(self, field, constraint.check(name, getattr(self, field)))
        dim = self.dim
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim not in DIMENSIONS:
            raise InputError(f"lattice dimension must be one of {DIMENSIONS}, got {dim!r}")
        object.__setattr__(self, "dim", int(dim))

    @property
    def span(self) -> int:
        """Side of the V+B+E square (cube): L_V + 2 (L_B + L_E)."""
        return self.block + 2 * (self.buffer + self.env)

    @property
    def n_visible(self) -> int:
        """|V| = L_V^d."""
        return self.block**self.dim

    @property
    def n_env(self) -> int:
        """|E| = span^d - (L_V + 2 L_B)^d."""
        return self.span**self.dim - (self.block + 2 * self.buffer) ** self.dim

    def _grid(self, lo: int, size: int) -> list[np.ndarray]:
        """The d coordinate arrays of the cube [lo, lo + size)^d, axes in (z,) y, x order."""
        d = np.arange(lo, lo + size, dtype=np.int64)
        return np.meshgrid(*(d,) * self.dim, indexing="ij")

    @property
    def visible_offsets(self) -> np.ndarray:
        """int64 (L_V^d, d): (dy, dx), or (dz, dy, dx) in 3D, of the block's sites,
        row-major; visible index i = dy L_V + dx, or (dz L_V + dy) L_V + dx (the layout of
        :class:`gpurg.rsmi.rule.CoarseGrainingRule`)."""
        return np.stack([c.ravel() for c in self._grid(0, self.block)], axis=1)

    @property
    def env_offsets(self) -> np.ndarray:
        """int64 (n_env, d): offsets of the environment's sites, in row-major order over the
        span square (cube) [-(L_B + L_E), L_V + L_B + L_E)^d with the inner
        [-L_B, L_V + L_B)^d square (cube: block and buffer) skipped."""
        grid = self._grid(-(self.buffer + self.env), self.span)
        inner_hi = self.block + self.buffer
        inner = np.logical_and.reduce([(c >= -self.buffer) & (c < inner_hi) for c in grid])
        return np.stack([c[~inner] for c in grid], axis=1)

    def check_fits(self, *sides: int) -> None:
        """Raise InputError unless the V+B+E square (cube) fits in a torus of the given sides
        (Ly, Lx), or (Lz, Ly, Lx) in 3D (span <= every side): a larger span would wrap the
        environment onto itself or onto the block. Sides of another dimension than the
        geometry's are an InputError too."""
        if len(sides) != self.dim:
            raise InputError(f"a {self.dim}D geometry does not apply to a {len(sides)}D "
                             f"lattice ({' x '.join(map(str, sides))})")
        if any(self.span > side for side in sides):
            raise InputError(
                f"geometry (L_V={self.block}, L_B={self.buffer}, L_E={self.env}) spans "
                f"{self.span} sites, more than the {' x '.join(map(str, sides))} lattice")


@checked(Ly=Integer(1), Lx=Integer(1), stride=Integer(1))
def block_origins(Ly: int, Lx: int, stride: int = 1) -> np.ndarray:
    """Block origins (y, x) with y, x multiples of ``stride``: int64 (n_origins, 2), ordered
    by y, then x, on a lattice of Ly rows and Lx columns (sites). stride 1 gives all Ly Lx
    positions, stride L_V the tiling. :func:`lattice_origins` in any dimension."""
    return lattice_origins((Ly, Lx), stride)


@checked(stride=Integer(1))
def lattice_origins(sides: tuple[int, ...], stride: int = 1) -> np.ndarray:
    """Block origins on a torus of the given ``sides`` ((Ly, Lx), or (Lz, Ly, Lx)): every
    coordinate a multiple of ``stride``, int64 (n_origins, len(sides)), row-major (the first
    axis slowest). InputError for sides that are not integers >= 1."""
    sides = tuple(Integer(1).check("lattice side", side) for side in sides)
    if not sides:
        raise InputError("a lattice needs at least one side")
    axes = [np.arange(0, side, stride, dtype=np.int64) for side in sides]
    return np.stack([c.ravel() for c in np.meshgrid(*axes, indexing="ij")], axis=1)


def _site_table(origins: np.ndarray, offsets: np.ndarray, sides: tuple[int, ...]
                ) -> np.ndarray:
    """Flat row-major site indices (n_origins, n_offsets) of origin + offset on the torus of
    ``sides``."""
    flat = np.zeros((len(origins), len(offsets)), dtype=np.int64)
    for axis, side in enumerate(sides):
        flat = flat * side + (origins[:, axis:axis + 1] + offsets[None, :, axis]) % side
    return flat


@checked(n_samples=Integer(1), count=POSITIONS, seed=SEED)
def random_positions(n_samples: int, origins: np.ndarray, count: int,
                     seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` (sample, origin) pairs drawn with replacement, deterministic in ``seed``;
    ``origins`` is int64 (n_origins >= 1, d), as from :func:`lattice_origins`.

    Draw i uses the Philox block with counter (i, 0, 0, STREAM_PAIR_POSITIONS) and key
    ``seed_to_key(seed)``: word 0 picks the sample and word 1 the origin, each by
    floor(u n / 2^32) (bias below n / 2^32). The draws are then sorted by (sample, origin),
    i.e. sample-major, then by the origin's row-major index ((z,) y, then x).

    Returns
    -------
    (sample index, origin index): int64 arrays of shape (count,).
    """
    if len(origins) < 1:
        raise InputError("origins holds no block origins")
    words = philox4x32((np.arange(count, dtype=np.uint64), 0, 0, STREAM_PAIR_POSITIONS),
                       seed_to_key(seed)).astype(np.uint64)
    sample = ((words[:, 0] * np.uint64(n_samples)) >> np.uint64(32)).astype(np.int64)
    origin = ((words[:, 1] * np.uint64(len(origins))) >> np.uint64(32)).astype(np.int64)
    order = np.lexsort((origin, sample))
    return sample[order], origin[order]


@checked(stride=Integer(1), seed=SEED)
def extract_pairs(configs: Any, geometry: Geometry, *, positions: str | int = "all",
                  stride: int = 1, seed: int = 0) -> tuple[Any, Any]:
    """(V, E) pairs from every chosen block position of every configuration.

    Parameters
    ----------
    configs : array
        Any integer dtype, shape (n, Ly, Lx) for a 2D geometry, (n, Lz, Ly, Lx) for a 3D one,
        NumPy or CuPy: Ising spins (int8 ±1) or dimer images (uint8 0/1, Ly = Lx = 2L; the
        geometry then counts pixels).
    geometry : Geometry
    positions : "all" or int
        "all": every origin of :func:`lattice_origins` (sides, stride) of every sample,
        n * n_origins pairs. An int m in [1, 2^32): m (sample, origin) pairs drawn with
        replacement from those, by Philox keyed by ``seed`` (see :func:`random_positions`).
    stride : int
        Spacing of the block origins (1: all positions; L_V: the tiling).
    seed : int
        In [0, 2^64); used only for random positions.

    Returns
    -------
    (V, E)
        V of shape (n_pairs, L_V^d) in ``geometry.visible_offsets`` order and E of shape
        (n_pairs, n_env) in ``geometry.env_offsets`` order, with the configs' dtype and array
        module. Pairs are ordered sample-major, then by origin (z,) y, then x.
    """
    xp = array_module(configs)
    if getattr(configs, "ndim", None) != geometry.dim + 1:
        axes = "Ly, Lx" if geometry.dim == 2 else "Lz, Ly, Lx"
        raise InputError(f"configs must have shape (n, {axes}) for a {geometry.dim}D "
                         f"geometry, got {getattr(configs, 'shape', type(configs).__name__)}")
    if not np.issubdtype(np.dtype(configs.dtype), np.integer):
        raise InputError(f"configs must have an integer dtype, got {configs.dtype}")
    n, *sides = (int(s) for s in configs.shape)
    if n < 1:
        raise InputError("configs holds no samples")
    geometry.check_fits(*sides)
    origins = lattice_origins(tuple(sides), stride)
    v_table = _site_table(origins, geometry.visible_offsets, tuple(sides))
    e_table = _site_table(origins, geometry.env_offsets, tuple(sides))
    flat = configs.reshape(n, -1)
    if isinstance(positions, str):
        if positions != "all":
            raise InputError(f"positions must be 'all' or {POSITIONS.describe()}, got "
                             f"{positions!r}")
        # (n, n_origins, n_sites) in one gather; the reshape keeps sample-major order
        V = flat[:, xp.asarray(v_table)].reshape(n * len(origins), -1)
        E = flat[:, xp.asarray(e_table)].reshape(n * len(origins), -1)
        return V, E
    count = POSITIONS.check("positions", positions)
    sample, origin = random_positions(n, origins, count, seed)
    V = xp.empty((count, v_table.shape[1]), dtype=configs.dtype)
    E = xp.empty((count, e_table.shape[1]), dtype=configs.dtype)
    # in chunks: the gather's int64 site indices would otherwise take 8 bytes per value of
    # every pair (3D environments hold thousands of sites)
    for a in range(0, count, _GATHER_CHUNK):
        b = min(a + _GATHER_CHUNK, count)
        rows = xp.asarray(sample[a:b])[:, None]
        V[a:b] = flat[rows, xp.asarray(v_table[origin[a:b]])]
        E[a:b] = flat[rows, xp.asarray(e_table[origin[a:b]])]
    return V, E
