"""Dimer encodings and observables: exact checks against brute-force loops on small tori."""

from __future__ import annotations

import numpy as np
import pytest

from gpurg.backend import array_module
from gpurg.backend.philox import STREAM_DIMER_NOISE, philox4x32
from gpurg.errors import InputError
from gpurg.io.rsmi_ne import load_rsmi_ne, rsmi_ne_filename, save_rsmi_ne
from gpurg.models import dimer_encodings as de
from gpurg.models.dimer_encodings import (
    NOISES,
    bonds,
    codes_from_bonds,
    codes_from_image,
    columnar_order,
    columnar_state,
    dimer_correlations,
    electric_field,
    from_rsmi_ne,
    heights,
    parallel_plaquettes,
    staggered_state,
    to_image,
    to_rsmi_ne,
    validate_codes,
    winding_numbers,
)

# ---------------------------------------------------------------------------------------------
# test-only generators of valid coverings


def _row_state(shifts: np.ndarray) -> np.ndarray:
    """Horizontal dimers on (y, 2k + shifts[y])-(y, 2k + 1 + shifts[y]): any shifts are valid,
    and W_x = sum_y (-1)^y [shift_y == 0] reaches every sector with W_y = 0."""
    L = len(shifts)
    y, x = np.indices((L, L))
    return np.where((x - shifts[:, None]) % 2 == 0, 0, 2).astype(np.int8)


def _transpose(codes: np.ndarray) -> np.ndarray:
    """The covering reflected on the diagonal x <-> y (codes 0 <-> 1, 2 <-> 3)."""
    return np.array([1, 0, 3, 2], dtype=np.int8)[np.swapaxes(codes, -1, -2)]


def _flip_plaquettes(codes: np.ndarray, n_flips: int, rng: np.random.Generator) -> np.ndarray:
    """Random plaquette flips (two parallel dimers on a plaquette rotated by 90 degrees)."""
    b = bonds(codes).astype(np.int64)
    L = codes.shape[-1]
    for _ in range(n_flips):
        y, x = rng.integers(0, L, size=2)
        y1, x1 = (y + 1) % L, (x + 1) % L
        if b[0, y, x] and b[0, y1, x]:
            b[0, y, x] = b[0, y1, x] = 0
            b[1, y, x] = b[1, y, x1] = 1
        elif b[1, y, x] and b[1, y, x1]:
            b[1, y, x] = b[1, y, x1] = 0
            b[0, y, x] = b[0, y1, x] = 1
    return codes_from_bonds(b)


def _random_covering(L: int, rng: np.random.Generator, n_flips: int | None = None) -> np.ndarray:
    """A covering in a random winding sector, randomised by plaquette flips."""
    codes = _row_state(rng.integers(0, 2, size=L))
    if rng.integers(2):
        codes = _transpose(codes)
    return _flip_plaquettes(codes, n_flips if n_flips is not None else 8 * L * L, rng)


def _random_batch(L: int, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([_random_covering(L, rng) for _ in range(n)])


def _brute_bonds(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    L = codes.shape[-1]
    bx = np.zeros((L, L), dtype=np.int64)
    by = np.zeros((L, L), dtype=np.int64)
    for y in range(L):
        for x in range(L):
            c = codes[y, x]
            if c == 0:
                bx[y, x] = 1
            elif c == 1:
                by[y, x] = 1
            elif c == 2:
                bx[y, (x - 1) % L] = 1
            else:
                by[(y - 1) % L, x] = 1
    return bx, by


def _sign(y: int, x: int) -> int:
    return 1 if (x + y) % 2 == 0 else -1


# ---------------------------------------------------------------------------------------------
# codes, bonds, validation


def test_array_module_is_numpy_for_host_arrays() -> None:
    assert array_module(np.zeros(3)) is np
    assert array_module([1, 2]) is np


def test_reference_states_are_valid() -> None:
    for L in (4, 6, 8):
        for state in (columnar_state(L), staggered_state(L)):
            assert state.dtype == np.int8 and state.shape == (L, L)
            validate_codes(state)
    assert de.DX == (1, 0, -1, 0) and de.DY == (0, 1, 0, -1) and de.OPPOSITE == (2, 3, 0, 1)


@pytest.mark.parametrize("L", [4, 6, 8])
def test_bonds_match_brute_force_and_round_trip(L) -> None:
    codes = _random_batch(L, 6, seed=L).reshape(2, 3, L, L)
    b = bonds(codes)
    assert b.dtype == np.uint8 and b.shape == (2, 3, 2, L, L)
    for i in range(2):
        for j in range(3):
            bx, by = _brute_bonds(codes[i, j])
            assert np.array_equal(b[i, j, 0], bx) and np.array_equal(b[i, j, 1], by)
    # every site is covered once: L^2 / 2 dimers
    assert np.all(b.sum(axis=(-3, -2, -1)) == L * L // 2)
    back = codes_from_bonds(b)
    assert back.dtype == np.int8 and np.array_equal(back, codes)


def test_codes_from_bonds_rejects_invalid() -> None:
    b = bonds(columnar_state(4))
    bad = b.copy()
    bad[1, 0, 0] = 1  # site (0, 0) now has two dimers
    with pytest.raises(InputError, match=r"site \(y=0, x=0\) is covered by 2 dimers"):
        codes_from_bonds(bad)
    bad = b.copy()
    bad[0, 2, 0] = 0  # sites (2, 0), (2, 1) uncovered
    with pytest.raises(InputError, match="covered by 0 dimers"):
        codes_from_bonds(bad)
    with pytest.raises(InputError, match="0 or 1"):
        codes_from_bonds(b * 2)
    with pytest.raises(InputError, match=r"\(\.\.\., 2, L, L\)"):
        codes_from_bonds(np.zeros((3, 4, 4), dtype=np.uint8))


def test_validate_codes_accepts_and_converts() -> None:
    codes = _random_batch(6, 3, seed=1).astype(np.int64)
    out = validate_codes(codes)
    assert out.dtype == np.int8 and np.array_equal(out, codes)


@pytest.mark.parametrize("shape, match", [
    ((5, 5), "even and >= 4, got L = 5"),
    ((2, 2), "even and >= 4, got L = 2"),
    ((4, 6), "square"),
    ((4,), "at least 2 dimensions"),
])
def test_validate_codes_rejects_bad_shapes(shape, match) -> None:
    with pytest.raises(InputError, match=match):
        validate_codes(np.zeros(shape, dtype=np.int8))


def test_validate_codes_rejects_bad_values() -> None:
    codes = np.stack([columnar_state(4)] * 3)
    bad = codes.copy()
    bad[2, 1, 3] = 7
    with pytest.raises(InputError, match=r"site \(y=1, x=3\) of configuration 2 has code 7"):
        validate_codes(bad)
    bad = codes.copy()
    bad[1, 2, 2] = 1  # (2, 2) -> (3, 2), which points to (3, 3)
    with pytest.raises(InputError, match=r"site \(y=2, x=2\) of configuration 1 points to a "
                                         r"site that does not point back"):
        validate_codes(bad)
    with pytest.raises(InputError, match="points to a site that does not point back"):
        validate_codes(np.zeros((4, 4), dtype=np.int8))  # everybody points right
    with pytest.raises(InputError, match="integer dtype"):
        validate_codes(codes.astype(np.float64))
    with pytest.raises(InputError, match="has code -1"):
        validate_codes(np.full((4, 4), -1))


def test_error_messages_are_one_line() -> None:
    for bad in (np.zeros((4, 4), dtype=np.int8), np.full((6, 6), 9), np.zeros((3, 3), int)):
        with pytest.raises(InputError) as err:
            validate_codes(bad)
        assert "\n" not in str(err.value)


# ---------------------------------------------------------------------------------------------
# parallel plaquettes, winding numbers, electric field


@pytest.mark.parametrize("L", [4, 6, 8])
def test_parallel_plaquettes(L) -> None:
    # columnar: every plaquette between two rows whose dimers sit on the same bonds
    assert parallel_plaquettes(columnar_state(L)) == L * L // 2
    assert parallel_plaquettes(_transpose(columnar_state(L))) == L * L // 2
    assert parallel_plaquettes(staggered_state(L)) == 0
    codes = _random_batch(L, 5, seed=10 + L)
    got = parallel_plaquettes(codes)
    assert got.dtype == np.int64 and got.shape == (5,)
    for c, n in zip(codes, got, strict=True):
        bx, by = _brute_bonds(c)
        want = sum(bx[y, x] * bx[(y + 1) % L, x] + by[y, x] * by[y, (x + 1) % L]
                   for y in range(L) for x in range(L))
        assert n == want


@pytest.mark.parametrize("L", [4, 6, 8])
def test_winding_numbers_of_reference_states(L) -> None:
    assert np.array_equal(winding_numbers(columnar_state(L)), [0, 0])
    assert np.array_equal(winding_numbers(staggered_state(L)), [L // 2, 0])
    assert np.array_equal(winding_numbers(_transpose(staggered_state(L))), [0, L // 2])
    w = winding_numbers(np.stack([columnar_state(L), staggered_state(L)]))
    assert w.dtype == np.int64 and w.shape == (2, 2)


def test_winding_numbers_invariant_under_plaquette_flips() -> None:
    rng = np.random.default_rng(3)
    for L in (4, 6, 8):
        for _ in range(5):
            start = _row_state(rng.integers(0, 2, size=L))
            w0 = winding_numbers(start)
            for _ in range(10):
                start = _flip_plaquettes(start, L, rng)
                assert np.array_equal(winding_numbers(start), w0)


@pytest.mark.parametrize("L", [4, 6, 8])
def test_winding_flux_is_the_same_through_every_cut(L) -> None:
    codes = _random_batch(L, 10, seed=20 + L)
    w = winding_numbers(codes)
    assert np.all(np.abs(w) <= L // 2)
    assert len({tuple(v) for v in w}) > 1  # several sectors are exercised
    e = electric_field(codes)
    for col in range(L):
        assert np.allclose(e[:, 0, :, col].sum(axis=-1), w[:, 0], atol=1e-12)
    for row in range(L):
        assert np.allclose(e[:, 1, row, :].sum(axis=-1), w[:, 1], atol=1e-12)


@pytest.mark.parametrize("L", [4, 6, 8])
def test_electric_field_is_divergence_free(L) -> None:
    codes = _random_batch(L, 6, seed=30 + L)
    e = electric_field(codes)
    assert e.dtype == np.float64 and e.shape == (6, 2, L, L)
    ex, ey = e[:, 0], e[:, 1]
    div = ex - np.roll(ex, 1, axis=-1) + ey - np.roll(ey, 1, axis=-2)
    assert np.all(div == 0.0)  # quarters are exact in binary
    # orientation A -> B: +3/4 on a dimer leaving an A site in +x
    assert e[0, 0, 0, 0] == (0.75 if codes[0, 0, 0] == 0 else -0.25)


# ---------------------------------------------------------------------------------------------
# height field


def _rule_steps(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Face-to-face height steps straight from the rule "+(4n-1) if the A end of the crossed
    bond is on the left", written out by hand."""
    L = codes.shape[-1]
    bx, by = _brute_bonds(codes)
    step_x = np.zeros((L, L), dtype=np.int64)
    step_y = np.zeros((L, L), dtype=np.int64)
    for y in range(L):
        for x in range(L):
            # face (y, x) -> (y, x+1): crosses bond (y, x+1)-(y+1, x+1); moving +x, left is up
            left = ((y + 1) % L, (x + 1) % L)
            step_x[y, x] = _sign(*left) * (4 * by[y, (x + 1) % L] - 1)
            # face (y, x) -> (y+1, x): crosses bond (y+1, x)-(y+1, x+1); moving +y, left is -x
            left = ((y + 1) % L, x)
            step_y[y, x] = _sign(*left) * (4 * bx[(y + 1) % L, x] - 1)
    return step_x, step_y


@pytest.mark.parametrize("L", [4, 6, 8])
def test_heights_follow_the_rule_everywhere(L) -> None:
    codes = _random_batch(L, 6, seed=40 + L)
    h = heights(codes)
    w = winding_numbers(codes)
    assert h.dtype == np.int64 and h.shape == (6, L, L)
    assert np.all(h[:, 0, 0] == 0)
    for c, hc, (wx, wy) in zip(codes, h, w, strict=True):
        sx, sy = _rule_steps(c)
        # locally consistent: the four steps around every site add up to zero
        around = sx + np.roll(sy, -1, axis=1) - np.roll(sx, -1, axis=0) - sy
        assert np.all(around == 0)
        # the stored branch obeys the rule on every interior link, off the integration path too
        assert np.array_equal(hc[:, 1:] - hc[:, :-1], sx[:, :-1])
        assert np.array_equal(hc[1:, :] - hc[:-1, :], sy[:-1, :])
        # once around the torus: h(x + L) = h(x) - 4 W_y, h(y + L) = h(y) + 4 W_x
        assert np.all(hc[:, -1] + sx[:, -1] - hc[:, 0] == -4 * wy)
        assert np.all(hc[-1, :] + sy[-1, :] - hc[0, :] == 4 * wx)
    # h mod 4 depends only on the face
    assert np.all((h - h[:1]) % 4 == 0)


def test_heights_around_a_site_by_the_stated_rule() -> None:
    # around an A site anticlockwise: +3 across its dimer, -1 across each empty bond
    codes = columnar_state(4)
    h = heights(codes)
    # site (2, 2) is on A and its dimer goes +x; the faces around it, anticlockwise from the
    # lower-left one: (1,1) -> (1,2) -> (2,2) -> (2,1) -> (1,1)
    ring = [h[1, 1], h[1, 2], h[2, 2], h[2, 1], h[1, 1]]
    # crossing order: bond down (empty), bond +x (dimer), bond up (empty), bond -x (empty)
    assert np.diff(ring).tolist() == [-1, 3, -1, -1]


# ---------------------------------------------------------------------------------------------
# columnar order and correlations


@pytest.mark.parametrize("L", [4, 6, 8])
def test_columnar_order(L) -> None:
    col = columnar_state(L)
    shifted = _row_state(np.ones(L, dtype=int))  # the other columnar state with dimers along x
    got = columnar_order(np.stack([col, shifted, _transpose(col), _transpose(shifted),
                                   staggered_state(L)]))
    assert got.dtype == np.float64 and got.shape == (5, 2)
    assert np.array_equal(got, [[1, 0], [-1, 0], [0, 1], [0, -1], [0, 0]])
    codes = _random_batch(L, 4, seed=50 + L)
    for c, (cx, cy) in zip(codes, columnar_order(codes), strict=True):
        bx, by = _brute_bonds(c)
        y, x = np.indices((L, L))
        assert cx == pytest.approx(2 / L**2 * ((-1.0) ** x * bx).sum(), abs=1e-14)
        assert cy == pytest.approx(2 / L**2 * ((-1.0) ** y * by).sum(), abs=1e-14)


@pytest.mark.parametrize("L", [4, 6, 8])
def test_dimer_correlations_against_double_loop(L) -> None:
    codes = _random_batch(L, 5, seed=60 + L)
    got = dimer_correlations(codes)
    assert got.dtype == np.float64 and got.shape == (5, 2, L // 2 + 1)
    for c, g in zip(codes, got, strict=True):
        bx, by = _brute_bonds(c)
        want = np.zeros((2, L // 2 + 1))
        for r in range(L // 2 + 1):
            for y in range(L):
                for x in range(L):
                    want[0, r] += (bx[y, x] * bx[y, (x + r) % L]
                                   + by[y, x] * by[(y + r) % L, x])
                    want[1, r] += (bx[y, x] * bx[(y + r) % L, x]
                                   + by[y, x] * by[y, (x + r) % L])
        assert np.array_equal(g, want / (2 * L**2))  # exact, not approximately equal
    # r = 0: each of the L^2/2 dimers pairs with itself -> 1/4 in both channels
    assert np.all(got[:, :, 0] == 0.25)
    # r = 1: two dimers in a row would share a site; side by side they form a parallel plaquette
    assert np.all(got[:, 0, 1] == 0.0)
    assert np.array_equal(got[:, 1, 1], parallel_plaquettes(codes) / (2 * L**2))


def test_dimer_correlations_of_the_columnar_state() -> None:
    L = 8
    got = dimer_correlations(columnar_state(L))
    # longitudinal: dimers every other column -> 1/2 at even r; transverse: whole columns
    assert np.array_equal(got[0], [0.25 if r % 2 == 0 else 0.0 for r in range(L // 2 + 1)])
    assert np.array_equal(got[1], np.full(L // 2 + 1, 0.25))


# ---------------------------------------------------------------------------------------------
# image encoding


@pytest.mark.parametrize("L", [4, 6])
def test_image_layout_and_round_trip(L) -> None:
    codes = _random_batch(L, 4, seed=70 + L).reshape(2, 2, L, L)
    img = to_image(codes)
    assert img.dtype == np.uint8 and img.shape == (2, 2, 2 * L, 2 * L)
    for i in range(2):
        for j in range(2):
            bx, by = _brute_bonds(codes[i, j])
            for y in range(L):
                for x in range(L):
                    assert img[i, j, 2 * y, 2 * x] == 0
                    assert img[i, j, 2 * y, 2 * x + 1] == bx[y, x]
                    assert img[i, j, 2 * y + 1, 2 * x] == by[y, x]
                    assert img[i, j, 2 * y + 1, 2 * x + 1] == 0
    assert np.array_equal(codes_from_image(img), codes)
    for noise in NOISES:
        assert np.array_equal(codes_from_image(to_image(codes, noise=noise, key=(5, 6))), codes)


def test_codes_from_image_rejects_invalid() -> None:
    img = to_image(columnar_state(4))
    with pytest.raises(InputError, match="multiple of 2"):
        codes_from_image(img[:7, :7])
    with pytest.raises(InputError, match="even and >= 4"):
        codes_from_image(img[:6, :6])
    bad = img.copy()
    bad[1, 0] = 1  # extra vertical dimer at site (0, 0)
    with pytest.raises(InputError, match="not a close-packed covering"):
        codes_from_image(bad)


def test_noise_modes() -> None:
    L = 8
    codes = _random_batch(L, 16, seed=80)
    clean = to_image(codes)
    corr = to_image(codes, noise="correlated", key=(1, 2), counter=3)
    ind = to_image(codes, noise="independent", key=(1, 2), counter=3)
    for img in (corr, ind):
        # bond pixels are untouched
        assert np.array_equal(img[..., 0::2, 1::2], clean[..., 0::2, 1::2])
        assert np.array_equal(img[..., 1::2, 0::2], clean[..., 1::2, 0::2])
        assert set(np.unique(img).tolist()) <= {0, 1}
    vertex_c, face_c = corr[..., 0::2, 0::2], corr[..., 1::2, 1::2]
    vertex_i, face_i = ind[..., 0::2, 0::2], ind[..., 1::2, 1::2]
    assert np.array_equal(face_c, vertex_c)
    assert np.array_equal(vertex_i, vertex_c)  # the same vertex bits in both modes
    assert vertex_i.size == 16 * L * L  # 1024 bits: mean 1/2, standard deviation 1/64
    assert abs(vertex_i.mean() - 0.5) < 5 / 64  # 5 sigma
    assert abs((face_i != vertex_i).mean() - 0.5) < 5 / 64
    # reproducible for the same key and counter; fresh for another counter or key
    assert np.array_equal(to_image(codes, noise="independent", key=(1, 2), counter=3), ind)
    # fresh bits: each differs with probability 1/2 (5 sigma = 5/64; was 0.3 - 0.7, 13 sigma);
    # a counter or key word that does not reach the draw gives 0
    other = to_image(codes, noise="independent", key=(1, 2), counter=4)
    assert abs((other[..., 0::2, 0::2] != vertex_i).mean() - 0.5) < 5 / 64
    other = to_image(codes, noise="independent", key=(1, 3), counter=3)
    assert abs((other[..., 0::2, 0::2] != vertex_i).mean() - 0.5) < 5 / 64


def test_noise_bits_come_from_philox() -> None:
    L = 4
    codes = np.stack([columnar_state(L), staggered_state(L)]).reshape(1, 2, L, L)
    img = to_image(codes, noise="independent", key=(11, 12), counter=13)
    for conf in range(2):
        for y in range(L):
            for x in range(L):
                words = philox4x32((y * L + x, conf, 13, STREAM_DIMER_NOISE), (11, 12))
                assert img[0, conf, 2 * y, 2 * x] == words[0] & 1
                assert img[0, conf, 2 * y + 1, 2 * x + 1] == words[1] & 1
    assert STREAM_DIMER_NOISE == 5


def test_noise_arguments_are_checked() -> None:
    codes = columnar_state(4)
    with pytest.raises(InputError, match="allowed: none, correlated, independent"):
        to_image(codes, noise="gaussian")
    with pytest.raises(InputError, match="counter"):
        to_image(codes, noise="correlated", counter=-1)
    with pytest.raises(InputError, match="key"):
        to_image(codes, noise="correlated", key=(1, 2**32))
    # an integer seed is split into the two key words
    assert np.array_equal(to_image(codes, noise="correlated", key=(7 << 32) | 9),
                          to_image(codes, noise="correlated", key=(9, 7)))


# ---------------------------------------------------------------------------------------------
# RSMI-NE files


def test_rsmi_ne_round_trip_through_npy(tmp_path) -> None:
    L = 6
    codes = _random_batch(L, 5, seed=90)
    arr = to_rsmi_ne(codes, noise="correlated", key=(4, 5))
    assert arr.dtype == np.float64 and arr.shape == (5, 2 * L, 2 * L)
    assert set(np.unique(arr).tolist()) <= {0.0, 1.0}
    assert np.array_equal(arr, to_image(codes, noise="correlated", key=(4, 5)))
    path = save_rsmi_ne(tmp_path / rsmi_ne_filename(L, 0.65).name, codes, noise="independent")
    assert path.name == "configs_intdimer2d_square_L12_T0.650.npy"
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temporary left
    raw = np.load(path)
    assert raw.dtype == np.float64 and raw.shape == (5, 2 * L, 2 * L)
    back = load_rsmi_ne(path)
    assert back.dtype == np.int8 and np.array_equal(back, codes)
    # RSMI-NE's dataset adds a trailing component axis; a single (L, L) covering becomes N = 1
    assert np.array_equal(from_rsmi_ne(raw[..., None]), codes)
    assert to_rsmi_ne(codes[0]).shape == (1, 2 * L, 2 * L)


def test_rsmi_ne_errors(tmp_path) -> None:
    with pytest.raises(InputError, match="cannot read RSMI-NE samples"):
        load_rsmi_ne(tmp_path / "missing.npy")
    with pytest.raises(InputError, match=r"\(N, 2L, 2L\)"):
        from_rsmi_ne(np.zeros((8, 8)))
    with pytest.raises(InputError, match="does not exist"):
        save_rsmi_ne(tmp_path / "no" / "x.npy", columnar_state(4))
    with pytest.raises(InputError, match="does not point back"):
        to_rsmi_ne(np.zeros((4, 4), dtype=np.int8))


# ---------------------------------------------------------------------------------------------
# CuPy


@pytest.mark.gpu
def test_cupy_arrays_give_the_same_results() -> None:
    cp = pytest.importorskip("cupy")
    L = 8
    codes = _random_batch(L, 6, seed=100).reshape(2, 3, L, L)
    d = cp.asarray(codes)
    assert array_module(d) is cp
    for fn in (bonds, parallel_plaquettes, winding_numbers, electric_field, heights,
               columnar_order, dimer_correlations, validate_codes):
        out = fn(d)
        assert isinstance(out, cp.ndarray), fn.__name__
        assert np.array_equal(out.get(), fn(codes)), fn.__name__
    assert np.array_equal(codes_from_bonds(bonds(d)).get(), codes)
    for noise in NOISES:
        img = to_image(d, noise=noise, key=(3, 4), counter=5)
        assert isinstance(img, cp.ndarray)
        assert np.array_equal(img.get(), to_image(codes, noise=noise, key=(3, 4), counter=5))
        assert np.array_equal(codes_from_image(img).get(), codes)
    assert np.array_equal(from_rsmi_ne(to_rsmi_ne(d)).get(), codes.reshape(-1, L, L))
