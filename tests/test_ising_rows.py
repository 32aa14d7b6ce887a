"""The "row-bits" layout of bit-packed Ising spins (issue 15, item 1b): packing, neighbour
words against the lattice, lazy decisions equal to u < t lane by lane, the kernels
(kernels/ising_rows.cu, both word counts per thread) equal to the NumPy twin bit for bit, the
spin sums, and the chains' energy against Kaufman's exact value at L = 64."""

from __future__ import annotations

import re

import numpy as np
import pytest

from gpurg.backend import get_backend, hostcc
from gpurg.backend.philox import STREAM_BIT_UPDATE, philox4x32
from gpurg.backend.sources import kernel_dir
from gpurg.errors import InputError
from gpurg.models import ising_rows
from gpurg.models.ising import spin_observables
from gpurg.models.ising_exact import T_C, energy_and_specific_heat
from gpurg.models.ising_rows import ROWS_VARIANTS, RowBits
from gpurg.models.ising_rows_numpy import (
    neighbour_words,
    pack_rows,
    rows_halfsweep,
    rows_sweep,
    unpack_rows,
)
from gpurg.models.ising_rules import flip_thresholds

from .cuda_toolchain import nvcc, nvcc_compile, nvrtc_compile, nvrtc_library
from .test_kernel_family import source_signatures

KEY = (0x1234, 0xABCD)


def _random_spins(R: int, L: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).choice(np.array([-1, 1], np.int8), size=(R, L, L))


def _colour_columns(L: int, color: int) -> np.ndarray:
    """x of site j = 32 w + l of colour ``color`` in each row y: int (L, L // 2)."""
    return 2 * np.arange(L // 2)[None, :] + ((np.arange(L)[:, None] + color) & 1)


def _lanes(words: np.ndarray) -> np.ndarray:
    """Words (..., W) as their lanes' bits, (..., 32 W) in order of the colour's sites j."""
    bits = (words[..., None] >> np.arange(32, dtype=np.uint32)) & np.uint32(1)
    return bits.reshape(*words.shape[:-1], -1)


# ------------------------------------------------------------------------------- layout
@pytest.mark.parametrize("R, L", [(1, 64), (3, 128), (2, 192)])
def test_pack_unpack_round_trip_and_bit_positions(R, L) -> None:
    spins = _random_spins(R, L, L + R)
    state = pack_rows(spins)
    assert state.dtype == np.uint32 and state.shape == (R, 2, L, L // 64)
    assert unpack_rows(state).dtype == np.int8 and (unpack_rows(state) == spins).all()
    y = np.arange(L)[:, None]
    for c in (0, 1):  # bit l of word (r, c, y, w) is the spin at x = 2 (32 w + l) + p
        assert (_lanes(state[:, c]) == (spins[:, y, _colour_columns(L, c)] > 0)).all()


def test_layout_applies_to_multiples_of_64() -> None:
    assert [L for L in (32, 64, 96, 128, 192, 4096) if RowBits.applies(L, 1)] == [
        64, 128, 192, 4096]
    numpy = get_backend("numpy")
    with pytest.raises(InputError, match="L must be a multiple of 64"):
        RowBits(96, 1, numpy)
    with pytest.raises(ValueError, match="multiple of 64"):
        pack_rows(_random_spins(1, 32, 0))


@pytest.mark.parametrize("L", [64, 192])
@pytest.mark.parametrize("color", [0, 1])
def test_neighbour_words_are_the_lattice_neighbours(L, color) -> None:
    """Up, down, left and right words hold, lane by lane, the spins of the direct
    neighbours on the unpacked torus (rows of both parities p, wrap across words and
    across the row's ends)."""
    spins = _random_spins(2, L, color)
    y = np.arange(L)[:, None]
    x = _colour_columns(L, color)
    expected = [spins[:, (y - 1) % L, x], spins[:, (y + 1) % L, x],
                spins[:, y, (x - 1) % L], spins[:, y, (x + 1) % L]]
    for words, want in zip(neighbour_words(pack_rows(spins), color), expected, strict=True):
        assert (_lanes(words) == (want > 0)).all()


# ---------------------------------------------------------------------------- decisions
def _direct_halfsweep(spins, thresholds, color, step, key) -> np.ndarray:
    """Lane by lane, eagerly: u of lane l of word (r, y, w) assembled from all 32 planes of
    its Philox blocks, flip iff u < t with t from the direct neighbour sum (byte rule)."""
    R, L, _ = spins.shape
    W = L // 64
    r, y, w = np.indices((R, L, W))
    blocks = philox4x32(((y * W + w)[..., None], 8 * r[..., None] + np.arange(8), step,
                         STREAM_BIT_UPDATE), key)  # (R, L, W, 8, 4): plane 4 b + i
    planes = blocks.reshape(R, L, W, 32).astype(np.uint64)
    lane = np.arange(32, dtype=np.uint64)
    bits = (planes[..., None, :] >> lane[:, None]) & np.uint64(1)  # (R, L, W, lane, plane)
    u = (bits << (np.uint64(31) - np.arange(32, dtype=np.uint64))).sum(-1, dtype=np.uint64)
    u_sites = np.zeros((R, L, L), dtype=np.uint64)
    u_sites[:, np.arange(L)[:, None], _colour_columns(L, color)] = u.reshape(R, L, L // 2)
    s = spins.astype(np.int32)
    nn = np.roll(s, 1, 1) + np.roll(s, -1, 1) + np.roll(s, 1, 2) + np.roll(s, -1, 2)
    yy, xx = np.indices((L, L))
    flip = (u_sites < thresholds[5 * (s > 0) + (nn + 4) // 2]) & (((xx + yy) & 1) == color)
    out = spins.copy()
    out[flip] *= -1
    return out


@pytest.mark.parametrize("algorithm, T, J, h", [("metropolis", T_C, 1.0, 0.0),
                                                ("metropolis", 2.0, -1.0, 0.3),
                                                ("heatbath", 2.5, 1.0, -0.15)])
@pytest.mark.parametrize("R, L", [(2, 64), (1, 128)])
def test_lazy_halfsweep_is_eager_and_is_u_below_threshold(algorithm, T, J, h, R, L) -> None:
    """The lazy half-sweep equals the one that draws all 32 planes, bit for bit, and equals
    flip iff u < t with each lane's u assembled from the planes, lane by lane."""
    thresholds = flip_thresholds(algorithm, T, J, h)
    spins = _random_spins(R, L, 7)
    words = R * L * (L // 64)
    for color, step in ((0, 10), (1, 11), (0, 12)):
        lazy, eager = pack_rows(spins), pack_rows(spins)
        count = rows_halfsweep(lazy, thresholds, color, step, KEY)
        full = rows_halfsweep(eager, thresholds, color, step, KEY, lazy=False)
        assert (lazy == eager).all()
        assert count.pairs == full.pairs == words and full.planes == 32 * words
        assert count.planes < full.planes and count.blocks < full.blocks
        assert (unpack_rows(lazy) == _direct_halfsweep(spins, thresholds, color, step,
                                                       KEY)).all()
        assert (lazy[:, 1 - color] == pack_rows(spins)[:, 1 - color]).all()
        spins = unpack_rows(lazy)


# ------------------------------------------------------------------------------ kernels
def _chains(backend, algorithm, T, J, h, R, L, seed, sweeps=4, first=3):
    layout = RowBits(L, R, get_backend(backend))
    state = layout.pack(_random_spins(R, L, seed))
    key = (seed, 0x5EED)
    layout.sweeps(state, layout.rule(flip_thresholds(algorithm, T, J, h)), first, sweeps, key)
    return state


RULES = [("metropolis", T_C, 1.0, 0.0), ("metropolis", 1.8, -1.0, 0.0),
         ("metropolis", 2.0, 1.0, 0.4), ("heatbath", T_C, -1.0, 0.0),
         ("heatbath", 3.0, 1.0, -0.25), ("heatbath", 1.5, -1.0, 0.7)]


VARIANT_SHAPES = [(v, R, L) for v in ROWS_VARIANTS
                  for R, L in [(1, 64), (3, 64), (1, 128), (3, 128), (2, 192), (1, 256)]
                  if v[1] == 32 or L % 128 == 0]


@pytest.mark.parametrize("algorithm, T, J, h", RULES)
@pytest.mark.parametrize("variant, R, L", VARIANT_SHAPES)
def test_cpu_kernels_equal_numpy_twin(cpu_kernels, monkeypatch, variant, algorithm, T, J, h,
                                      R, L) -> None:
    """Every kernel variant (words per thread, word bits), the GPU's (2, 32) run here on the
    host, over several sweeps, bit for bit; L = 64, 128, 192, 256 have 1, 2, 3, 4 words per
    row and colour, so that threads own words past the row's end."""
    monkeypatch.setattr(ising_rows, "rows_variant", lambda L, gpu: variant)
    for seed in (0, 1, 2):
        want = _chains("numpy", algorithm, T, J, h, R, L, seed)
        got = _chains("cpu", algorithm, T, J, h, R, L, seed)
        assert np.array_equal(got, want), (seed, np.argwhere(got != want)[:5])


def test_cpu_chains_are_the_numpy_chains_over_many_sweeps(cpu_kernels) -> None:
    want = _chains("numpy", "metropolis", T_C, 1.0, 0.0, 2, 128, 9, sweeps=40, first=0)
    got = _chains("cpu", "metropolis", T_C, 1.0, 0.0, 2, 128, 9, sweeps=40, first=0)
    assert np.array_equal(got, want)
    state = pack_rows(_random_spins(2, 128, 9))  # rows_sweep: the same two half-sweeps
    for sweep in range(40):
        rows_sweep(state, flip_thresholds("metropolis", T_C, 1.0, 0.0), sweep, (9, 0x5EED))
    assert np.array_equal(state, want)


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
@pytest.mark.parametrize("R, L", [(1, 64), (3, 128), (2, 192)])
def test_spin_sums_are_the_direct_sums(cpu_kernels, backend, R, L) -> None:
    spins = _random_spins(R, L, 3 * L + R)
    spins[0, : L // 2] = 1  # an ordered half: sums far from 0
    layout = RowBits(L, R, get_backend(backend))
    bonds, mag = layout.spin_sums(layout.pack(spins))
    obs = spin_observables(spins)
    assert bonds.dtype == mag.dtype == np.int64 and bonds.shape == mag.shape == (R,)
    assert np.array_equal(bonds, np.rint(-obs["e"] * L * L).astype(np.int64))
    assert np.array_equal(mag, spins.sum(axis=(1, 2), dtype=np.int64))
    full = np.ones((1, 64, 64), np.int8)
    cold = RowBits(64, 1, get_backend(backend))
    assert [int(v[0]) for v in cold.spin_sums(cold.pack(full))] == [2 * 64 * 64, 64 * 64]


def test_kernel_declarations_match_the_source() -> None:
    """The Python table declares exactly the kernels of the source (the instantiations, from
    the one list ROWS_VARIANTS, included) and the elements each launch touches."""
    family = ising_rows._ROWS
    assert source_signatures(family.code()) == family.signatures
    assert set(family.sizes) == set(family.signatures)
    text = (kernel_dir() / "ising_rows.cu").read_text()
    assert not re.search(r"^ISING_ROWS_HALFSWEEP\(", text, re.MULTILINE)
    assert family.instantiations == tuple(f"ISING_ROWS_HALFSWEEP({n}, {b})"
                                          for n, b in ROWS_VARIANTS)
    wrapper = hostcc.wrapper_source("ising_rows.cu", sorted(family.signatures.items()),
                                    instantiations=family.instantiations)
    assert wrapper.index(family.instantiations[0]) > wrapper.index('#include "ising_rows.cu"')


def test_launches_past_the_state_are_refused(cpu_kernels) -> None:
    layout = RowBits(128, 1, cpu_kernels)
    small = pack_rows(_random_spins(1, 64, 0))
    with pytest.raises(ValueError, match="touches 512 elements, the array holds 128"):
        rule = layout.rule(flip_thresholds("metropolis", T_C, 1.0, 0.0))
        layout.sweeps(small, rule, 0, 1, KEY)
    with pytest.raises(ValueError, match="touches 512 elements"):
        layout.spin_sums(small)


def test_instantiated_kernels_compile_for_the_gpu(tmp_path) -> None:
    """NVRTC (what CuPy runs) and nvcc with warnings as errors, both word counts."""
    code = ising_rows._ROWS.code()
    lib = nvrtc_library()
    if lib is None and nvcc() is None:
        pytest.skip("neither NVRTC nor nvcc available")
    if lib is not None:
        ok, log = nvrtc_compile(lib, code, "ising_rows.cu", ["-arch=compute_90", "-std=c++17"])
        assert ok, log
    if nvcc() is not None:
        src = tmp_path / "ising_rows_full.cu"
        src.write_text(code)
        proc = nvcc_compile(src, tmp_path / "k.cubin", kernel_dir())
        assert proc.returncode == 0, proc.stderr


@pytest.mark.gpu
@pytest.mark.parametrize("R, L", [(1, 64), (3, 192), (2, 1024)])
def test_gpu_kernels_equal_cpu_kernels(cpu_kernels, R, L) -> None:
    """On a GPU (skipped without one): packing under CuPy, the sweeps and the spin sums
    equal the host's, bit for bit."""
    gpu = get_backend("gpu")
    spins = _random_spins(R, L, 5)
    thresholds = flip_thresholds("metropolis", T_C, 1.0, 0.1)
    states, sums = [], []
    for backend in (gpu, cpu_kernels):
        layout = RowBits(L, R, backend)
        state = layout.pack(backend.xp.asarray(spins))
        assert np.array_equal(backend.asnumpy(layout.unpack(state)), spins)
        layout.sweeps(state, layout.rule(thresholds), 0, 5, KEY)
        states.append(backend.asnumpy(state))
        sums.append(layout.spin_sums(state))
    assert np.array_equal(*states)
    assert all(np.array_equal(a, b) for a, b in zip(*sums, strict=True))


# --------------------------------------------------------------------------- statistics
def _mean_energy(algorithm, T, J, R, sweeps, thermalize, seed, start):
    """Energy per site of R independent L = 64 chains (cpu kernels): the mean over replicas
    of each replica's time average, and its standard error from their spread."""
    L = 64
    layout = RowBits(L, R, get_backend("cpu"))
    state = layout.pack(start)
    thresholds = layout.rule(flip_thresholds(algorithm, T, J, 0.0))
    key = (seed, 0xE)
    layout.sweeps(state, thresholds, 0, thermalize, key)
    total = np.zeros(R)
    for sweep in range(thermalize, thermalize + sweeps):
        layout.sweeps(state, thresholds, sweep, 1, key)
        total += -J * layout.spin_sums(state)[0]
    per_replica = total / sweeps / L**2
    return per_replica.mean(), per_replica.std(ddof=1) / np.sqrt(R)


def test_energy_at_tc_L64_matches_kaufman(cpu_kernels) -> None:
    """Metropolis at T_c from the ordered state: 64 replicas, 400 sweeps to equilibrate
    (the cold start's bias is then < 0.001, measured with 512 replicas, against a standard
    error ~0.002), 1000 measured; within 4 sigma of the exact finite-L energy."""
    mean, error = _mean_energy("metropolis", T_C, 1.0, 64, 1000, 400, seed=3,
                               start=np.ones((64, 64, 64), np.int8))
    exact = energy_and_specific_heat(1 / T_C, 64)[0]
    assert abs(mean - exact) < 4 * error, f"{mean:.5f} ± {error:.5f} vs exact {exact:.5f}"


def test_antiferromagnet_heatbath_energy_matches_kaufman(cpu_kernels) -> None:
    """Heat-bath with J = -1 at T = 3 from the Néel state: the antiferromagnet's energy per
    site on the bipartite torus is the ferromagnet's at K = |J| / T; 32 replicas, 100
    sweeps to equilibrate, 300 measured, within 4 sigma."""
    yy, xx = np.indices((64, 64))
    neel = np.broadcast_to(np.where((xx + yy) & 1, 1, -1).astype(np.int8), (32, 64, 64))
    mean, error = _mean_energy("heatbath", 3.0, -1.0, 32, 300, 100, seed=4, start=neel)
    exact = energy_and_specific_heat(1 / 3.0, 64)[0]
    assert abs(mean - exact) < 4 * error, f"{mean:.5f} ± {error:.5f} vs exact {exact:.5f}"
