"""The coarse field of a rule and its two-point function (gpurg.rsmi.correlation): Δ from
exact cases, the Ising spin at T_c (Δ_σ = 1/8) and the dimer model's electric field at
T = ∞ (Δ = 1, dipolar)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import gpurg
from gpurg.errors import InputError
from gpurg.models.dimer_encodings import image_templates
from gpurg.models.ising_exact import T_C
from gpurg.rsmi.correlation import coarse_correlation, coarse_field, two_point
from gpurg.rsmi.files import load_configurations
from gpurg.rsmi.rule import CoarseGrainingRule

from .test_cli import assert_ok, run_gpurg


def _rule(w: np.ndarray) -> CoarseGrainingRule:
    return CoarseGrainingRule(np.asarray(w, dtype=np.float64).reshape(1, -1), np.zeros(1))


def test_coarse_field_is_the_units_mean_activation_or_sign() -> None:
    configs = np.array([[[1, -1], [1, 1]], [[-1, -1], [-1, 1]]], dtype=np.int8)
    rule = CoarseGrainingRule(np.array([[0.5, 0.25, 0.0, 1.0]]), np.array([0.1]))
    a = np.array([0.5 - 0.25 + 1.0 + 0.1, -0.5 - 0.25 + 1.0 + 0.1])
    np.testing.assert_allclose(coarse_field(configs, rule, 2)[:, 0, 0], np.tanh(a))
    np.testing.assert_allclose(coarse_field(configs, rule, 2, field="activation")[:, 0, 0], a)
    np.testing.assert_array_equal(coarse_field(configs, rule, 2, field="max")[:, 0, 0], [1, 1])
    with pytest.raises(InputError, match="stride"):
        coarse_field(np.zeros((1, 6, 6), np.uint8), _rule(np.ones(9)), 3,
                     attrs={"model": "dimer"})
    with pytest.raises(InputError, match="unknown coarse field"):
        coarse_field(configs, rule, 2, field="median")


def test_two_point_of_independent_fields_vanishes_within_errors() -> None:
    rng = np.random.default_rng(0)
    tp = two_point(rng.standard_normal((64, 8, 8)), replicas=16)
    assert tp.c[0, 0] == pytest.approx(1.0, abs=0.05)
    off = np.abs(tp.c / tp.err)[1:, 1:]
    assert off.mean() < 1.5 and off.max() < 5  # noise of about one σ, no more


def test_ising_spin_at_tc_has_dimension_one_eighth() -> None:
    """Identity rule on Ising 48 x 48 at T_c: C(r) ∝ r^-1/4 (Δ_σ = 1/8) in the isotropic
    channel; a 2x2 block spin carries the same Δ. Checked against the spin squared
    (sign-blind: C = 0 at r >= 1, no fit): fails."""
    configs = gpurg.ising_configurations(48, T_C, replicas=32, samples=6, seed=5, device="cpu")
    for rule, block, r_min in ((_rule([5.0]), 1, 2), (_rule(np.ones(4)), 2, 1)):
        corr = coarse_correlation(configs, rule, block, replicas=32, r_min=r_min,
                                  r_max=6 / block)  # an eighth of the side: the torus'
        # images bend C(r) up at larger r (r_max = L/4 read Δ = 0.097 ± 0.005)
        assert corr.channel == "isotropic" and corr.sign == 1
        assert abs(corr.delta - 0.125) < max(4 * corr.delta_err, 0.02), corr.fit
        assert corr.fit.n_points >= 3


@pytest.fixture(scope="module")
def dimer_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("dimers")
    assert_ok(run_gpurg(["dimer", "sample", "-L", 32, "-T", "inf", "--replicas", 64,
                         "--sweeps", 200, "--thermalize", 50, "--every", 10, "--encoding",
                         "image", "--seed", 3, "--device", "cpu", "-o", "d.h5"], directory))
    return directory / "d.h5"


def test_dimer_electric_field_is_dipolar_with_dimension_one(dimer_file: Path) -> None:
    """E_x template on 4x4 pixel blocks (2x2 sites) at T = ∞: positive along x, negative
    along y (dipolar, the axial channel), |C| ∝ r^-2. On a 16 x 16 coarse torus, r = 1..4,
    Δ comes out 0.93 ± 0.02 (finite size and r = 1 lattice corrections), so the bound is
    loose; the isotropic channel of E_x is nearly nothing. E_y has the opposite sign."""
    configs, attrs = load_configurations(dimer_file)
    templates = image_templates(4)
    for k, sign in ((0, 1), (1, -1)):
        corr = coarse_correlation(configs, _rule(templates[k]), 4, field="activation",
                                  replicas=int(attrs["replicas"]), attrs=attrs)
        assert (corr.channel, corr.sign) == ("axial", sign)
        assert 0.8 < corr.delta < 1.15, corr.fit
        _, axial, _ = corr.channels["axial"]
        _, iso, _ = corr.channels["isotropic"]
        assert abs(iso[0]) < 0.2 * abs(axial[0])
