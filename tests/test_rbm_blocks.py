"""Tests of gpurg.rsmi.likelihood: likelihood-trained RBMs on RSMI's blocks (issue 13)."""

from __future__ import annotations

import math
from pathlib import Path

import h5py
import numpy as np
import pytest

from gpurg.errors import InputError
from gpurg.rbm import RBM
from gpurg.rsmi.analysis import analyze_rule
from gpurg.rsmi.likelihood import (
    BlockRBM,
    _log_likelihood,
    canonical_units,
    read_block_rbm,
    train_block_rbm,
    visible_units_of,
    write_block_rbm,
)

LN2 = math.log(2.0)


def planted(n: int, side: int, seed: int) -> np.ndarray:
    """uint8 (n, side, side) images of independent fair bits, except that every 'face' pixel
    (2y+1, 2x+1) copies the 'vertex' pixel (2y, 2x): the correlated noise of dimer images
    with independent bits in place of the dimers. A block of 4 starting on a vertex holds 4
    such pairs; the pairs are the only dependence, each worth exactly ln 2 nats of
    log-likelihood over independent pixels."""
    x = np.random.default_rng(seed).integers(0, 2, (n, side, side)).astype(np.uint8)
    x[:, 1::2, 1::2] = x[:, 0::2, 0::2]
    return x


@pytest.fixture(scope="module")
def planted_fits() -> dict[tuple[int, bool], BlockRBM]:
    """CD-1 fits with 1 and 4 hidden units and a PCD-1 fit with 4, on 4x4 blocks of planted
    images."""
    configs = planted(200, 8, 0)
    return {(n, p): train_block_rbm(configs, 4, n, stride=2, blocks=20000, epochs=10,
                                    persistent=p, seed=3, device="cpu")
            for n, p in ((1, False), (4, False), (4, True))}


def _sizes(persistent: bool) -> tuple[int, ...]:
    return (4,) if persistent else (1, 4)


@pytest.mark.parametrize("persistent", [False, True], ids=["CD-1", "PCD-1"])
def test_units_concentrate_on_the_planted_pairs(planted_fits: dict, persistent: bool) -> None:
    """Every unit puts > 95% of |W|^2 on vertex + face pixels and > 90% on one pair; the 4
    units of the 4-unit RBM take 4 different pairs. Random weights give about 50% on
    vertex + face pixels and 2 of 16 pixels (~0.125, rarely above 0.4) per pair, so random or
    untrained weights fail. (Measured: noise shares >= 0.998, pair shares >= 0.996.)"""
    for n in _sizes(persistent):
        shares = planted_fits[n, persistent].analysis("dimer")
        assert np.all(shares.noise_share > 0.95), shares
        assert np.all(shares.pair_share > 0.9), shares
        np.testing.assert_allclose(shares.noise_share + shares.bond_share, 1.0)
    w2 = planted_fits[4, persistent].weights ** 2
    pair_of_unit = [int(np.argmax(w[0::2, 0::2] + w[1::2, 1::2])) for w in w2]
    assert sorted(pair_of_unit) == [0, 1, 2, 3]


@pytest.mark.parametrize("persistent", [False, True], ids=["CD-1", "PCD-1"])
def test_log_likelihood_gain_is_bounded_by_the_pairs(planted_fits: dict,
                                                     persistent: bool) -> None:
    """Over independent pixels an RBM gains at most ln 2 nats per learned pair: n units gain
    at most min(n, 4) ln 2 (up to test-set noise, 2000 blocks: ~0.02), and a trained unit
    gains most of its ln 2 (measured 0.60 of 0.69 for one unit, 2.2-2.4 of 2.77 for four).
    Random weights gain ~0."""
    for n in _sizes(persistent):
        fit = planted_fits[n, persistent]
        gain = fit.log_likelihood - fit.independent_log_likelihood
        assert 0.55 * n * LN2 < gain < n * LN2 + 0.05, (n, gain)
        assert fit.history.shape == (10,)
        assert fit.history[-1] == fit.log_likelihood


def test_same_seed_same_arrays_other_seed_other_arrays() -> None:
    configs = planted(50, 8, 1)
    kw = {"stride": 2, "blocks": 2000, "epochs": 2, "device": "cpu"}
    a = train_block_rbm(configs, 4, 2, seed=5, **kw)
    b = train_block_rbm(configs, 4, 2, seed=5, **kw)
    c = train_block_rbm(configs, 4, 2, seed=6, **kw)
    for name in ("weights", "visible_bias", "hidden_bias", "history"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.weights, c.weights)
    assert a.weights.dtype == np.float64 and a.weights.shape == (2, 4, 4)
    assert a.visible_bias.shape == (4, 4) and a.hidden_bias.shape == (2,)
    assert a.settings["seed"] == 5 and a.settings["blocks"] == 2000


def test_numpy_backend_agrees_with_cpu_kernels() -> None:
    configs = planted(50, 8, 1)
    kw = {"stride": 2, "blocks": 1000, "epochs": 1, "seed": 2}
    a = train_block_rbm(configs, 4, 2, device="cpu", **kw)
    b = train_block_rbm(configs, 4, 2, device="numpy", **kw)
    np.testing.assert_allclose(a.weights, b.weights, rtol=1e-9, atol=1e-12)


def test_canonical_units_are_ordered_and_oriented() -> None:
    w = np.array([[0.1, -0.2], [-3.0, 1.0], [1.0, -1.0]])
    b = np.array([0.5, 0.25, -1.0])
    cw, cb = canonical_units(w, b)
    # [1, -1] sums to 0: its first largest-magnitude entry is made positive (it is)
    np.testing.assert_array_equal(cw, [[3.0, -1.0], [1.0, -1.0], [-0.1, 0.2]])
    np.testing.assert_array_equal(cb, [-0.25, -1.0, -0.5])


def test_trained_units_are_canonical() -> None:
    fit = train_block_rbm(planted(50, 8, 2), 4, 3, stride=2, blocks=2000, epochs=2, seed=1)
    flat = fit.weights.reshape(3, -1)
    norms = np.linalg.norm(flat, axis=1)
    assert np.all(np.diff(norms) <= 0)
    assert np.all(flat.sum(axis=1) > 0)


def test_flipping_a_unit_leaves_the_likelihood_unchanged() -> None:
    """The symmetry behind the orientation: ±1 hidden unit j -> -j with (W_j, b_j) negated."""
    rng = np.random.default_rng(0)
    W, a, b = rng.normal(size=(6, 3)), rng.normal(size=6), rng.normal(size=3)
    v = rng.integers(0, 2, (20, 6))
    one = RBM(W, a, b, visible_units="01", device="numpy")
    W2, b2 = W.copy(), b.copy()
    W2[:, 1] *= -1
    b2[1] *= -1
    two = RBM(W2, a, b2, visible_units="01", device="numpy")
    np.testing.assert_allclose(one.log_likelihood_exact(v), two.log_likelihood_exact(v))


@pytest.mark.parametrize("units", ["01", "pm1"])
def test_log_likelihood_by_hidden_sum_is_exact(units: str) -> None:
    """log Z summed over the 2^n_h hidden states equals RBM.log_likelihood_exact's sum over
    the 2^n_v visible states."""
    rng = np.random.default_rng(1)
    rbm = RBM(rng.normal(size=(9, 3)), rng.normal(size=9), rng.normal(size=3),
              visible_units=units, device="numpy")
    v = rng.integers(0, 2, (50, 9)).astype(np.int8)
    if units == "pm1":
        v = 2 * v - 1
    assert _log_likelihood(rbm, v) == pytest.approx(float(rbm.log_likelihood_exact(v).mean()),
                                                    abs=1e-10)


def test_visible_units_follow_the_data() -> None:
    assert visible_units_of(np.array([0, 1, 1], np.uint8)) == "01"
    assert visible_units_of(np.array([-1, 1], np.int8)) == "pm1"
    with pytest.raises(InputError, match="values"):
        visible_units_of(np.array([0, 2]))
    spins = np.random.default_rng(0).choice(np.array([-1, 1], np.int8), (20, 8, 8))
    fit = train_block_rbm(spins, 3, 1, blocks=500, epochs=1, seed=0)
    assert fit.visible_units == "pm1" and fit.weights.shape == (1, 3, 3)


def test_bad_inputs_raise_input_error() -> None:
    configs = planted(4, 8, 0)
    with pytest.raises(InputError, match="configs must have shape"):
        train_block_rbm(configs[0], 4, 1)
    with pytest.raises(InputError, match="spans"):
        train_block_rbm(configs, 7, 1)  # block + 2 > 8
    with pytest.raises(InputError, match="n_hidden"):
        train_block_rbm(configs, 4, 0)


def test_analysis_reads_the_weights_as_filters() -> None:
    """BlockRBM.analysis is analyze_rule on the (n_hidden, block²) weights, for more units
    than a coarse-graining rule holds too; planted weights give exact shares; a dimer block
    of odd side has no analysis."""
    w = np.zeros((10, 4, 4))
    w[0, 2, 2], w[0, 3, 3] = 1.0, 1.0  # one vertex-face pair
    w[1, 0, 1], w[1, 1, 0] = 2.0, -2.0  # two bonds
    w[2:] = 1.0  # uniform: 8 of 16 pixels are vertex or face
    fit = BlockRBM(w, np.zeros((4, 4)), np.zeros(10), "01")
    s = fit.analysis("dimer")
    np.testing.assert_allclose(s.noise_share[:3], [1.0, 0.0, 0.5])
    np.testing.assert_allclose(s.bond_share[:3], [0.0, 1.0, 0.5])
    np.testing.assert_allclose(s.pair_share[:3], [1.0, 0.0, 2 / 16])
    np.testing.assert_allclose(s.norm[:3], [math.sqrt(2), math.sqrt(8), 4.0])
    direct = analyze_rule(w.reshape(10, 16), 4, "dimer")
    np.testing.assert_array_equal(s.pair_share, direct.pair_share)
    np.testing.assert_array_equal(s.coefficients, direct.coefficients)
    assert fit.analysis("site").block_spin[2] == pytest.approx(1.0)
    odd = BlockRBM(np.ones((1, 3, 3)), np.zeros((3, 3)), np.zeros(1), "01")
    with pytest.raises(InputError, match="even block"):
        odd.analysis("dimer")


def test_file_round_trip(tmp_path: Path) -> None:
    fit = train_block_rbm(planted(20, 8, 0), 4, 2, stride=2, blocks=500, epochs=2, seed=2**63)
    path = write_block_rbm(tmp_path / "rbm.h5", fit, {"source": "x.h5"})
    back = read_block_rbm(path)
    for name in ("weights", "visible_bias", "hidden_bias", "history"):
        np.testing.assert_array_equal(getattr(back, name), getattr(fit, name))
    assert (back.visible_units, back.hidden_units) == ("01", "pm1")
    assert back.log_likelihood == fit.log_likelihood
    assert back.settings["seed"] == 2**63 and back.settings["source"] == "x.h5"
    assert back.settings["persistent"] == np.False_
    with h5py.File(path) as f:
        assert f.attrs["format"] == "gpurg-rbm" and f["weights"].shape == (2, 4, 4)
    np.testing.assert_allclose(back.rbm(device="numpy").W, fit.weights.reshape(2, -1).T)


def test_reading_other_files_fails(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_block_rbm(tmp_path / "missing.h5")
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f.attrs["format"] = "gpurg-filter"
    with pytest.raises(InputError, match="not a gpurg RBM file"):
        read_block_rbm(other)
    junk = tmp_path / "junk.h5"
    junk.write_text("not hdf5")
    with pytest.raises(InputError, match="not a readable"):
        read_block_rbm(junk)


def test_failed_write_leaves_no_file(tmp_path: Path) -> None:
    fit = train_block_rbm(planted(20, 8, 0), 4, 1, stride=2, blocks=200, epochs=1)
    with pytest.raises(Exception):  # noqa: B017  (h5py refuses an object attribute)
        write_block_rbm(tmp_path / "rbm.h5", fit, {"bad": object()})
    assert list(tmp_path.iterdir()) == []
