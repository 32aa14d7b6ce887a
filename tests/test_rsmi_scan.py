"""MI against the buffer (gpurg.rsmi.scan, ``gpurg rsmi scan``) and the decay fits it uses
(gpurg.stats.power_law_fit, exponential_fit)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import h5py
import numpy as np
import pytest

import gpurg
from gpurg.errors import InputError
from gpurg.models.ising_exact import T_C
from gpurg.rsmi.files import load_configurations
from gpurg.rsmi.rule import CoarseGrainingRule
from gpurg.rsmi.scan import BufferScan, fit_decay, read_scan, scan_buffers, write_scan
from gpurg.stats import exponential_fit, power_law_fit

from .test_cli import (
    assert_ok,
    assert_one_error_line,
    bad_input_tests,
    describe,
    run_gpurg,
)


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


# ------------------------------------------------------------------------------ the scan
def _ising(T: float, seed: int) -> np.ndarray:
    return gpurg.ising_configurations(16, T, replicas=16, samples=8, seed=seed, device="cpu")


QUICK = {"epochs": 10, "restarts": 1, "batch_size": 128}


def test_the_paramagnet_forgets_faster_than_the_critical_point() -> None:
    """Ising 16 x 16, 2x2 block, env 2, buffers 0 and 2: at T_c the MI keeps most of itself
    (the example's 0.75 at L = 32), at T = 4 it is gone (consistent with 0, left out of the
    fits). Checked against a scan that ignored the buffer (all points alike): fails."""
    kept = {}
    for T in (T_C, 4.0):
        scan = scan_buffers(_ising(T, 3), {"model": "ising"}, block=2, env=2, buffers=(2, 0),
                            pairs=8000, seed=1, **QUICK)
        assert scan.buffer.tolist() == [0, 2] and scan.mi.dtype == np.float64
        assert len(scan.rules) == 2 and scan.rules[0].n_visible == 4
        np.testing.assert_array_equal(scan.rules[0].bias, 0.0)  # Ising at h = 0: symmetric
        kept[T] = scan.mi[1] / scan.mi[0]
        if T == 4.0:
            assert not scan.used[1] and scan.mi[1] < 2 * scan.mi_err[1]
    assert kept[T_C] > 0.5 and kept[4.0] < 0.2, kept


def test_scan_refuses_bad_buffers_before_training() -> None:
    configs = _ising(T_C, 0)[:4]
    for buffers, words in (((0, 0), "distinct"), ((), "distinct"), ((-1,), "buffer"),
                           ((0, 6), "spans")):
        with pytest.raises(InputError, match=words):
            scan_buffers(configs, {"model": "ising"}, block=2, env=2, buffers=buffers,
                         pairs=200, **QUICK)


def test_fit_decay_leaves_out_points_consistent_with_zero() -> None:
    b = np.array([0, 1, 2, 4, 8])
    mi = np.array([0.5, 0.3, 0.2, 0.01, -0.002])
    err = np.array([0.01, 0.01, 0.01, 0.01, 0.002])
    used, power, expo, better = fit_decay(b, mi, err)
    assert used.tolist() == [True, True, True, False, False]
    assert power.n_points == 2 and expo.n_points == 3  # L_B = 0 only in the exponential
    assert better == ""  # the power law has no degree of freedom left


def test_scan_file_round_trip(tmp_path: Path) -> None:
    b = np.array([0, 1, 2, 4, 6])
    mi = 0.3 * np.exp(-b / 1.5)
    err = 0.02 * mi
    used, power, expo, better = fit_decay(b, mi, err)
    rules = [CoarseGrainingRule(np.full((2, 4), 0.1 * k), np.zeros(2)) for k in range(5)]
    scan = BufferScan(b, mi, err, used, power, expo, better, 2, 3, 2, rules)
    assert better == "exponential" and scan.decay_length == pytest.approx(1.5)
    back = read_scan(write_scan(tmp_path / "s.h5", scan, {"seed": np.uint64(5)}))
    np.testing.assert_array_equal(back.mi, mi)
    assert back.exponential == expo and back.power.value == power.value
    assert (back.block, back.env, back.n_hidden, back.better) == (2, 3, 2, "exponential")
    np.testing.assert_array_equal(back.rules[3].filters, rules[3].filters)
    with h5py.File(tmp_path / "s.h5") as f:
        assert {"buffer", "mi", "mi_err"} <= set(f)
        assert {"exponent", "exponent_err", "decay_length", "decay_length_err"} <= set(f.attrs)
    (tmp_path / "x.h5").write_bytes(b"")
    with pytest.raises(InputError):
        read_scan(tmp_path / "x.h5")


# ------------------------------------------------------------------------------- the CLI
@pytest.fixture(scope="module")
def ising_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("ising")
    assert_ok(run_gpurg(["ising", "sample", "-L", 16, "-R", 16, "--sweeps", 40, "--every", 4,
                         "--thermalize", 20, "--device", "cpu", "-o", "run.h5"], directory))
    return directory / "run.h5"


def test_cli_scan_writes_the_datasets_the_fits_and_the_figure(ising_file: Path,
                                                               tmp_path: Path) -> None:
    """The command's numbers are the library's on the same input and seed."""
    result = run_gpurg(["rsmi", "scan", ising_file, "--buffers", "2,0,1", "--block", 2,
                        "--env", 2, "--pairs", 4000, "--epochs", 4, "--restarts", 1,
                        "--batch-size", 256, "--device", "cpu", "--seed", 7, "-o", "scan.h5"],
                       tmp_path)
    assert_ok(result)
    assert (tmp_path / "scan.png").stat().st_size > 0
    for words in ("L_B", "I(H:E)", "power law", "exponential"):
        assert words in result.stdout, describe(result)
    back = read_scan(tmp_path / "scan.h5")
    assert back.buffer.tolist() == [0, 1, 2]
    configs, attrs = load_configurations(ising_file)
    lib = scan_buffers(configs, attrs, block=2, env=2, buffers=(0, 1, 2), pairs=4000, seed=7,
                       epochs=4, restarts=1, batch_size=256)
    np.testing.assert_array_equal(back.mi, lib.mi)
    for b, mi, err in zip(lib.buffer, lib.mi, lib.mi_err, strict=True):
        assert re.search(rf"│\s+{b} │\s+{mi:.4f} ± {err:.4f}", result.stdout), describe(result)
    with h5py.File(tmp_path / "scan.h5") as f:
        assert f.attrs["seed"] == 7 and f.attrs["model"] == "ising"
        assert np.isnan(f.attrs["exponent"]) == np.isnan(lib.exponent)


BAD_INPUT = [
    pytest.param(["rsmi", "scan", "absent.h5", "-o", "s.h5"], ("absent.h5",), id="no-file"),
    pytest.param(["rsmi", "scan", "absent.h5", "--buffers", "0,x", "-o", "s.h5"],
                 ("--buffers", "'x'"), id="bad-buffer-item"),
    pytest.param(["rsmi", "scan", "absent.h5", "--buffers", "0,-1", "-o", "s.h5"],
                 ("--buffers", "-1"), id="negative-buffer"),
    pytest.param(["rsmi", "scan", "absent.h5", "--pairs", 10, "-o", "s.h5"],
                 ("pairs",), id="too-few-pairs"),
    pytest.param(["rsmi", "scan", "absent.h5", "-o", "s.txt"], ("s.txt",), id="bad-suffix"),
]
bad_results, test_bad_input_is_one_error_line = bad_input_tests(BAD_INPUT)


def test_cli_refuses_a_geometry_larger_than_the_lattice(ising_file: Path,
                                                         tmp_path: Path) -> None:
    result = run_gpurg(["rsmi", "scan", ising_file, "--buffers", "0,1,8", "--block", 2,
                        "--env", 2, "--device", "cpu", "-o", "s.h5"], tmp_path)
    assert_one_error_line(result, tmp_path, ("spans", "16"))
    result = run_gpurg(["rsmi", "scan", ising_file, "--buffers", "1,1", "--device", "cpu",
                        "-o", "s.h5"], tmp_path)
    assert_one_error_line(result, tmp_path, ("distinct",))
