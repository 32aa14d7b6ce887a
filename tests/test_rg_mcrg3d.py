"""MCRG on the simple cubic lattice: the 3D operator sets are taken from the configurations'
shape, and the exponents obey what the construction of T = A^-1 B implies on cases where it is
known: the same numbers for rotated configurations, and decimation of T = ∞ spins."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gpurg.errors import InputError
from gpurg.rg.hamiltonian import fit_hamiltonian
from gpurg.rg.maps import Decimation, MajorityRule, tie_coins
from gpurg.rg.mcrg import mcrg
from gpurg.rg.operators import EVEN_3D, ODD_3D


def spins(n: int, L: int, seed: int) -> np.ndarray:
    """int8 (n, L, L, L) independent ±1 spins: the T = ∞ Ising model."""
    return np.random.default_rng(seed).choice(np.array([-1, 1], np.int8), (n, L, L, L))


def test_majority_ties_in_3d_are_coins_of_the_coarse_site() -> None:
    """b = 2 in 3D: a block of 8 spins summing to 0 gets the coin of (seed, level, sample,
    row-major coarse site (Z L' + Y) L' + X); every other block the sign of its sum."""
    c = spins(3, 6, seed=4)
    out = MajorityRule(2)(c, seed=9, level=2)
    sums = c.astype(np.int32).reshape(3, 3, 2, 3, 2, 3, 2).sum(axis=(2, 4, 6))
    tied = sums == 0
    assert tied.any() and (~tied).any()
    np.testing.assert_array_equal(out[~tied], np.sign(sums[~tied]))
    sample, Z, Y, X = np.nonzero(tied)
    np.testing.assert_array_equal(out[tied], tie_coins(out.shape, sample, (Z * 3 + Y) * 3 + X,
                                                       9, 2))


def test_3d_configs_take_the_3d_sets() -> None:
    c = spins(64, 8, seed=1)
    result = mcrg(c, MajorityRule(2), seed=3)
    assert result.even == EVEN_3D and result.odd == ODD_3D
    assert result.sizes == (8, 4) and result.n_levels == 1  # default: down to 4^3
    assert result.y_t.shape == (1, len(EVEN_3D)) and result.y_h.shape == (1, len(ODD_3D))
    # every operator fits L = 4 (span <= 2); each λ > 0 has y = ln λ / ln b
    lam = np.concatenate([result.lambda_t[0], result.lambda_h[0]])
    y = np.concatenate([result.y_t[0], result.y_h[0]])
    assert np.all(np.isfinite(lam))
    np.testing.assert_allclose(y[lam > 0], np.log(lam[lam > 0]) / math.log(2), rtol=1e-12)
    assert "MCRG b=2 L=8" in result.table()
    # explicit operator lists and a level down to L = 2, where only span-1 operators fit
    deep = mcrg(c, MajorityRule(2), levels=2, seed=3, even=EVEN_3D[:7], odd=("m", "row3"))
    assert deep.sizes == (8, 4, 2)
    assert np.isnan(deep.y_t[1, 6]) and np.isnan(deep.y_h[1, 1])  # third, row3: span 2
    with pytest.raises(InputError, match="unknown 3D operator"):
        mcrg(c, MajorityRule(2), even=("diamond",))


def test_rotated_configurations_give_the_same_exponents() -> None:
    """b = 3 majority has no ties and its 3 x 3 x 3 blocks of a 9^3 torus map onto blocks
    under the cube's symmetries: a rotated copy of the samples has rotated coarse spins,
    the same operator sums and so the same T, bit for bit."""
    c = spins(48, 9, seed=2)
    rotated = np.ascontiguousarray(np.flip(np.transpose(c, (0, 2, 3, 1)), axis=2))
    a = mcrg(c, MajorityRule(3), levels=1)
    b = mcrg(rotated, MajorityRule(3), levels=1)
    assert a.sizes == (9, 3)
    for name in ("lambda_t", "y_t", "y_t_err", "lambda_h", "y_h", "y_h_err"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_decimation_of_infinite_temperature_spins() -> None:
    """Decimated T = ∞ spins are a subset of independent spins. With one operator each:
    λ_h = cov(M', M) / var(M') = 1 + cov(M', rest) / var(M') (M = M' + the other 7/8 of the
    spins), and λ_t = cov(S'_nn, S_nn) / var(S'_nn) = 0 in expectation (a coarse bond is a
    fine pair at distance 2, uncorrelated with every fine bond). Their sampling errors are
    sqrt(7 / n) and sqrt(8 / n) (variances of sums of independent ±1 terms: N/8 and 7N/8
    spins, 3N/8 and 3N bonds); the test allows 5 of them."""
    n = 400
    c = spins(n, 8, seed=5)
    result = mcrg(c, Decimation(2), levels=1)
    lam_t, lam_h = result.lambda_t[0, 0], result.lambda_h[0, 0]
    assert abs(lam_h - 1.0) < 5 * math.sqrt(7 / n)
    assert abs(lam_t) < 5 * math.sqrt(8 / n)


def test_the_effective_hamiltonian_refuses_3d_configurations() -> None:
    with pytest.raises(InputError, match=r"\(n, L, L\) lattices"):
        fit_hamiltonian(spins(4, 4, seed=0))
