"""MI against the buffer (gpurg.rsmi.scan, ``gpurg rsmi scan``) and the decay fits it uses
(gpurg.stats.power_law_fit, exponential_fit)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gpurg.errors import InputError
from gpurg.stats import exponential_fit, power_law_fit


@pytest.mark.parametrize("seed", range(6))
def test_power_law_fit_recovers_the_exponent_from_noisy_data(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = np.array([1.0, 2.0, 4.0, 6.0, 8.0, 12.0])
    exact = 0.3 * x**-1.16
    err = 0.03 * exact + 1e-4
    fit = power_law_fit(x, exact + err * rng.standard_normal(x.size), err)
    assert fit.law == "power" and fit.n_points == 6 and fit.dof == 4
    assert abs(fit.value - 1.16) < 4 * fit.error, fit
    assert 0 < fit.error < 0.1 and math.isfinite(fit.chi2) and fit.chi2_dof < 6


@pytest.mark.parametrize("seed", range(6))
def test_exponential_fit_recovers_the_decay_length_from_noisy_data(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    exact = 0.5 * np.exp(-x / 1.3)
    err = 0.04 * exact
    fit = exponential_fit(x, exact + err * rng.standard_normal(x.size), err)
    assert fit.law == "exponential" and fit.n_points == 5  # x = 0 is allowed here
    assert abs(fit.value - 1.3) < 4 * fit.error, fit
    np.testing.assert_allclose(fit(x), fit.amplitude * np.exp(-x / fit.value))


def test_fits_separate_the_laws_by_chi2() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0, 6.0, 8.0])
    power, expo = 0.3 * x**-1.0, 0.3 * np.exp(-x / 2.0)
    assert power_law_fit(x, power, power * 0.01).chi2 < exponential_fit(x, power,
                                                                        power * 0.01).chi2
    assert exponential_fit(x, expo, expo * 0.01).chi2 < power_law_fit(x, expo, expo * 0.01).chi2


def test_fits_leave_out_what_a_logarithm_cannot_take() -> None:
    x = np.array([0.0, 1.0, 2.0, 4.0])
    y = np.array([1.0, 0.5, -0.1, 0.125])
    fit = power_law_fit(x, y, np.full(4, 0.01))
    assert fit.n_points == 2 and fit.dof == 0 and fit.value == pytest.approx(1.0)
    assert math.isnan(power_law_fit(x[:2], y[:2]).value)  # one point with x > 0
    assert exponential_fit(x, y).n_points == 3
    unweighted = power_law_fit(x[1:], 0.2 * x[1:] ** -0.5)  # no errors: exact data, error 0
    assert unweighted.value == pytest.approx(0.5) and math.isnan(unweighted.chi2)
    with pytest.raises(InputError, match="one shape"):
        power_law_fit(x, y[:3], None)
