"""The V / B / E geometry and (V, E) pair extraction, against hand-written expectations."""

from __future__ import annotations

import numpy as np
import pytest

from gpurg.errors import InputError
from gpurg.models.dimer_encodings import columnar_state, staggered_state, to_image
from gpurg.rsmi.geometry import Geometry, block_origins, extract_pairs

# 6 x 6 lattice holding y * 6 + x (+ 100 per sample), block 2, buffer 1, env 1: span 6 = L.
# Expected V and E (env_offsets order: row-major over [-2, 4)^2 minus [-1, 3)^2) at two origins.
EXPECTED = {
    (0, 0): ([0, 1, 6, 7],
             [28, 29, 24, 25, 26, 27,  # dy = -2 -> y = 4, x = 4 5 0 1 2 3
              34, 33, 4, 3, 10, 9, 16, 15,  # dy = -1 .. 2: dx = -2 and dx = 3
              22, 23, 18, 19, 20, 21]),  # dy = 3 -> y = 3
    (5, 4): ([34, 35, 4, 5],  # wraps in y
             [20, 21, 22, 23, 18, 19,  # y = 3, x = 2 3 4 5 0 1
              26, 25, 32, 31, 2, 1, 8, 7,
              14, 15, 16, 17, 12, 13]),
}


def labelled(n: int, Ly: int = 6, Lx: int = 6, dtype=np.int16) -> np.ndarray:
    y, x = np.meshgrid(np.arange(Ly), np.arange(Lx), indexing="ij")
    return (y * Lx + x + 100 * np.arange(n)[:, None, None]).astype(dtype)


def test_offsets_and_counts() -> None:
    g = Geometry(2, 1, 1)
    assert g.span == 6 and g.n_visible == 4 and g.n_env == 20
    assert g.visible_offsets.dtype == np.int64
    assert g.visible_offsets.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert g.env_offsets.dtype == np.int64 and g.env_offsets.shape == (20, 2)
    assert g.env_offsets[:7].tolist() == [[-2, -2], [-2, -1], [-2, 0], [-2, 1], [-2, 2],
                                          [-2, 3], [-1, -2]]
    for block, buffer, env in [(1, 0, 1), (2, 0, 1), (3, 2, 2), (4, 1, 3), (8, 2, 4)]:
        g = Geometry(block, buffer, env)
        inner = block + 2 * buffer
        assert g.n_visible == block**2 == len(g.visible_offsets)
        assert g.n_env == g.span**2 - inner**2 == len(g.env_offsets)
        assert len({tuple(o) for o in g.env_offsets}) == g.n_env  # no repeats
        dist = np.maximum(np.maximum(-g.env_offsets, g.env_offsets - (block - 1)), 0).max(axis=1)
        assert dist.min() == buffer + 1 and dist.max() == buffer + env  # Chebyshev shells


def test_hand_checked_pairs_with_wrap() -> None:
    g = Geometry(2, 1, 1)
    configs = labelled(2)
    V, E = extract_pairs(configs, g)
    assert V.shape == (2 * 36, 4) and E.shape == (2 * 36, 20)
    assert V.dtype == E.dtype == np.int16
    for (y, x), (v, e) in EXPECTED.items():
        for s in range(2):
            k = s * 36 + y * 6 + x  # sample-major, then y, then x
            assert V[k].tolist() == [a + 100 * s for a in v]
            assert E[k].tolist() == [a + 100 * s for a in e]


def test_every_environment_site_is_outside_the_buffer() -> None:
    g = Geometry(2, 1, 2)
    configs = labelled(1, 8, 8)
    V, E = extract_pairs(configs, g)
    vy, vx = np.divmod(V, 8)
    ey, ex = np.divmod(E, 8)
    # torus distance from each E site to the nearest V site, along each axis, is >= L_B + 1
    dy = np.abs(ey[:, :, None] - vy[:, None, :])
    dx = np.abs(ex[:, :, None] - vx[:, None, :])
    cheb = np.maximum(np.minimum(dy, 8 - dy), np.minimum(dx, 8 - dx)).min(axis=2)
    assert cheb.min() == 2 and cheb.max() == 3


def test_stride_tiles_the_lattice() -> None:
    assert block_origins(4, 6, 2).tolist() == [[0, 0], [0, 2], [0, 4], [2, 0], [2, 2], [2, 4]]
    assert block_origins(3, 2).shape == (6, 2)
    g = Geometry(2, 0, 1)
    configs = labelled(3, 8, 8, np.int32)
    V, _ = extract_pairs(configs, g, stride=2)
    assert V.shape == (3 * 16, 4) and V.dtype == np.int32
    # the blocks of one sample cover every site exactly once
    assert np.array_equal(np.sort(V[:16].ravel()), np.arange(64))


def test_random_positions_are_deterministic_and_valid() -> None:
    g = Geometry(2, 1, 1)
    configs = labelled(5)
    V_all, E_all = extract_pairs(configs, g)
    V, E = extract_pairs(configs, g, positions=500, seed=3)
    V2, E2 = extract_pairs(configs, g, positions=500, seed=3)
    V3, _ = extract_pairs(configs, g, positions=500, seed=4)
    assert np.array_equal(V, V2) and np.array_equal(E, E2) and not np.array_equal(V, V3)
    assert V.shape == (500, 4) and E.shape == (500, 20)
    # the first visible site names the pair: sample * 100 + y * 6 + x
    sample, site = np.divmod(V[:, 0].astype(np.int64), 100)
    assert sample.min() >= 0 and sample.max() < 5 and site.max() < 36
    index = sample * 36 + site
    assert np.array_equal(V, V_all[index]) and np.array_equal(E, E_all[index])
    assert np.all(np.diff(index) >= 0)  # sample-major, then y, then x
    assert len(np.unique(index)) > 100  # drawn over the whole range (180 pairs)
    # random positions respect the stride
    Vs, _ = extract_pairs(configs, g, positions=200, stride=3, seed=1)
    y, x = np.divmod(Vs[:, 0] % 100, 6)
    assert set(y.tolist()) <= {0, 3} and set(x.tolist()) <= {0, 3}


def test_dimer_images_count_pixels() -> None:
    L = 8
    images = to_image(np.stack([columnar_state(L), staggered_state(L)]))
    assert images.shape == (2, 2 * L, 2 * L) and images.dtype == np.uint8
    g = Geometry(8, 2, 2)  # a 4 x 4-vertex block: 8 x 8 pixels
    V, E = extract_pairs(images, g, stride=8)
    assert V.shape == (2 * 4, 64) and E.shape == (2 * 4, 16**2 - 12**2)
    assert V.dtype == E.dtype == np.uint8
    # a 4 x 4-vertex block of a covering holds 8 dimers when none crosses its edge
    assert V[0].sum() == 8
    with pytest.raises(InputError):
        extract_pairs(images, Geometry(8, 2, 3))  # span 18 > 16 pixels


@pytest.mark.parametrize("args", [(0, 0, 1), (2, -1, 1), (2, 0, 0), (2.0, 0, 1), (True, 0, 1),
                                  (2, "1", 1)])
def test_bad_geometry_raises(args) -> None:
    with pytest.raises(InputError) as info:
        Geometry(*args)
    assert "\n" not in str(info.value)


def test_span_must_fit() -> None:
    g = Geometry(2, 1, 1)
    g.check_fits(6, 6)
    for shape in [(5, 6), (6, 5), (1, 1)]:
        with pytest.raises(InputError, match="spans 6"):
            g.check_fits(*shape)
    with pytest.raises(InputError):
        Geometry(8, 0, 1).check_fits(4, 4)  # block larger than the lattice
    with pytest.raises(InputError):
        extract_pairs(labelled(1, 5, 5), g)


@pytest.mark.parametrize("kwargs", [{"positions": "some"}, {"positions": 0},
                                    {"positions": 2.5}, {"stride": 0}, {"positions": 3,
                                                                        "seed": -1}])
def test_bad_extraction_arguments(kwargs) -> None:
    with pytest.raises(InputError):
        extract_pairs(labelled(1), Geometry(2, 1, 1), **kwargs)


def test_bad_configs() -> None:
    g = Geometry(1, 0, 1)
    for bad in [np.zeros((6, 6), np.int8), np.zeros((1, 6, 6)), np.zeros((0, 6, 6), np.int8)]:
        with pytest.raises(InputError):
            extract_pairs(bad, g)


@pytest.mark.gpu
def test_cupy_pairs_equal_numpy() -> None:
    import cupy

    g = Geometry(2, 1, 2)
    configs = np.where(np.random.default_rng(0).random((4, 12, 10)) < 0.5, 1, -1)
    configs = configs.astype(np.int8)
    for kwargs in [{}, {"stride": 2}, {"positions": 300, "seed": 9}]:
        V, E = extract_pairs(configs, g, **kwargs)
        Vg, Eg = extract_pairs(cupy.asarray(configs), g, **kwargs)
        assert isinstance(Vg, cupy.ndarray) and Vg.dtype == np.int8
        assert np.array_equal(Vg.get(), V) and np.array_equal(Eg.get(), E)
