"""Coupling flow: pseudo-likelihood fits, the RG flow of couplings and its fixed point."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gpurg.errors import InputError
from gpurg.figures import flow_figure
from gpurg.models.ising_exact import T_C
from gpurg.rg.flow import (
    coupling_flow,
    critical_temperature,
    decimate_chain,
    decimate_chain_coupling,
    local_fields,
    pseudo_likelihood_couplings,
)
from gpurg.rg.maps import MajorityRule
from gpurg.rsmi.exact import sample_chain
from gpurg.sampling import ising_configurations


def _brute_fields(s: np.ndarray) -> np.ndarray:
    """dS/ds_i by flipping each spin and differencing the operator totals (slow, obvious)."""
    def totals(c):
        r = lambda dy, dx: np.roll(c, (-dy, -dx), axis=(0, 1))  # noqa: E731
        return np.array([(c * r(0, 1) + c * r(1, 0)).sum(), (c * r(1, 1) + c * r(1, -1)).sum(),
                         (c * r(0, 1) * r(1, 0) * r(1, 1)).sum()])

    L = s.shape[0]
    out = np.empty((L, L, 3))
    for y in range(L):
        for x in range(L):
            flipped = s.copy()
            flipped[y, x] *= -1
            out[y, x] = (totals(s) - totals(flipped)) / (2 * s[y, x])
    return out


def test_local_fields_match_brute_force():
    s = np.random.default_rng(0).choice(np.array([-1, 1], np.int8), size=(2, 5, 5))
    fields = local_fields(s)
    for k in range(2):
        np.testing.assert_array_equal(fields[k], _brute_fields(s[k].astype(int)))


@pytest.mark.parametrize("K", [0.3, 0.4407, 0.5])
def test_pseudo_likelihood_recovers_known_coupling(K):
    configs = ising_configurations(32, 1.0 / K, replicas=32, thermalize=30, samples=16, every=3,
                                   seed=11, device="cpu")
    groups = np.arange(len(configs)) % 32  # snapshot-major: the replica index
    fit, err = pseudo_likelihood_couplings(configs, groups=groups)
    assert np.all(err > 0)
    # 4 jackknife standard errors: a false alarm per coupling has probability ~6e-5.
    assert abs(fit[0] - K) < 4 * err[0], (fit, err)
    assert np.all(np.abs(fit[1:]) < 4 * err[1:]), (fit, err)
    assert err[0] < 0.02  # and the errors are small enough to mean something


def test_decimated_chain_follows_exact_recursion():
    K = 0.8
    chains = decimate_chain(sample_chain(K, 4000, 64, seed=5))
    fit, err = pseudo_likelihood_couplings(chains, operators=("nn", "nnn"))
    expected = decimate_chain_coupling(K)  # tanh K' = tanh^2 K; no longer-range coupling
    assert abs(fit[0] - expected) < 4 * err[0], (fit, err, expected)
    assert abs(fit[1]) < 4 * err[1], (fit, err)


def test_invalid_inputs():
    with pytest.raises(InputError):
        pseudo_likelihood_couplings(np.zeros((10, 4, 4), np.int8))
    with pytest.raises(InputError):
        pseudo_likelihood_couplings(np.ones((4, 4, 4), np.int8), blocks=8)  # too few samples
    with pytest.raises(InputError):
        pseudo_likelihood_couplings(np.ones((10, 8), np.int8), operators=("plaquette",))


# Systematic shift of the flow's T_c (tracked coupling K_nn + K_nnn, levels 1 -> 2, majority
# rule, 7 starts over T_c +- 10%, 32 chains x 32 snapshots) on L = 32: measured over 8 seeds
# (bases 300, 400, ..., 1000), inverse-variance mean and its error, in % of T_c: -0.24 +- 0.22
# (consistent with no shift; chi^2 of the 8 seeds about it 8.1 for 7 dof, so the jackknife
# errors are right).
# Single seeds have errors of 0.5-0.8%. Tracking K_nn alone instead gives -2.3 +- 0.65% on the
# same seeds (see critical_temperature).
FLOW_TC_BIAS_PERCENT_L32 = (-0.24, 0.22)


@pytest.mark.slow
def test_flow_locates_critical_temperature(tmp_path):
    """T_c from the unstable fixed point of the coupling flow on 3 seeds (L = 32, 7 starting
    temperatures over T_c +- 10%, 32 chains x 32 snapshots each, ~20 s of CPU a seed).

    Each seed's T_c must lie within 4 sigma of the exact T_c shifted by the measured
    finite-size/truncation bias above (sigma: the seed's jackknife error and the bias's error
    in quadrature), their weighted mean within 4 sigma of it, and their spread must agree
    with their errors (chi^2 about the mean, 2 dof, below 18.4: p = 1e-4). Ordered starts must
    flow to strong coupling and disordered ones to weak (a sign convention turned round would
    leave the root where it is but fail that).

    Checked once against broken variants: configurations sampled at 1.02 T but labelled T
    (first seed: T_c -3.43% +- 0.73%, pull -4.2, fails); tracking K_nn alone (first seed:
    -6.3% +- 3.8%, caught only by the bound on the error, 1.5%, since that crossing is 3-5x
    noisier: over 8 seeds it is -2.3% +- 0.65%, a bias that 3 seeds cannot resolve in sigma).
    """
    temperatures = T_C * np.linspace(0.9, 1.1, 7)
    bias, bias_err = FLOW_TC_BIAS_PERCENT_L32
    estimates = []
    for base in (300, 400, 500):
        configs = {T: ising_configurations(32, T, replicas=32, thermalize=30, samples=32,
                                           every=3, seed=base + i, device="cpu")
                   for i, T in enumerate(temperatures)}
        flow = coupling_flow(configs, MajorityRule(2), 2, seed=4)
        assert flow.K.shape == flow.K_err.shape == (7, 3, 3)
        assert list(flow.sizes) == [32, 16, 8]
        assert flow.K[0, 2, 0] > flow.K[-1, 2, 0] + 0.1
        T_c, err = critical_temperature(flow)
        value, error = 100 * (T_c / T_C - 1), 100 * err / T_C
        assert 0 < error < 1.5, (base, value, error)
        pull = (value - bias) / math.hypot(error, bias_err)
        assert abs(pull) < 4, (base, value, error, pull)
        estimates.append((value, error))
    value, error = np.array(estimates).T
    w = 1 / error**2
    mean = np.sum(w * value) / np.sum(w)
    assert np.sum(w * (value - mean) ** 2) < 18.4, estimates
    assert abs(mean - bias) < 4 * math.hypot(np.sum(w) ** -0.5, bias_err), (estimates, mean)
    path = flow_figure(flow, tmp_path / "flow.png", t_c=(T_c, err))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _symmetry_images(c: np.ndarray) -> dict[str, np.ndarray]:
    """The configurations under each symmetry of the square torus and the global flip."""
    return {
        "rotate 90": np.rot90(c, 1, axes=(1, 2)), "rotate 180": np.rot90(c, 2, axes=(1, 2)),
        "rotate 270": np.rot90(c, 3, axes=(1, 2)), "mirror x": c[:, :, ::-1],
        "mirror y": c[:, ::-1, :], "transpose": np.swapaxes(c, 1, 2),
        "anti-transpose": np.rot90(np.swapaxes(c, 1, 2), 2, axes=(1, 2)), "flip": -c,
        "translate": np.roll(c, (3, 5), axis=(1, 2)), "flip + rotate 90": -np.rot90(c, 1, (1, 2)),
    }


def test_pseudo_likelihood_is_invariant_under_lattice_symmetries_and_global_flip():
    """nn, nnn (both diagonals) and plaquette sums are invariant under the square lattice's
    rotations, reflections and translations and under s -> -s, so each configuration's pattern
    counts of g_i = s_i f_i are too, and the fit (a function of the summed integer counts) must
    give the same K and jackknife errors bit for bit, sample by sample. Checked against broken
    local fields: one diagonal counted twice instead of both (rotate 90: all three K move, by
    up to 0.018), patterns of f_i instead of s_i f_i (flip: every K changes sign; the sanity
    check on K_nn fails too), a plaquette with a wrong corner, s(y+dy, x-dx) (K moves by
    0.002)."""
    c = ising_configurations(12, T_C * 1.05, replicas=8, thermalize=20, samples=8, every=2,
                             seed=21, device="cpu")
    c = np.asarray(c)
    K, err = pseudo_likelihood_couplings(c, blocks=8)
    assert np.all(err > 0) and abs(K[0] - 1 / (1.05 * T_C)) < 0.2  # a real, non-trivial fit
    for name, image in _symmetry_images(c).items():
        K2, err2 = pseudo_likelihood_couplings(np.ascontiguousarray(image), blocks=8)
        np.testing.assert_array_equal(K2, K, err_msg=name)
        np.testing.assert_array_equal(err2, err, err_msg=name)
