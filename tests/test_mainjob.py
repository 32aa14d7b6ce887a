"""The main job, ``gpurg run ising``: its accuracy on the defaults, its file and its CLI."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import h5py
import numpy as np
import pytest
from scipy.stats import chi2

from gpurg.errors import InputError
from gpurg.jobs.mainjob import Exponents, JobResult, run_ising, write_job

from .test_cli import assert_ok, assert_one_error_line, run_gpurg

SEEDS = (0, 1, 2)


@pytest.fixture(scope="module")
def jobs() -> dict[int, JobResult]:
    """The main job on its defaults for several seeds (about 20 s each on 2 cores), two at a
    time in threads: NumPy and the host kernels release the GIL for most of a job, so the
    three seeds take about 48 s instead of 60 (a job is not picklable for processes: it
    holds its backend's array module)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(SEEDS, pool.map(lambda seed: run_ising(device="cpu", seed=seed),
                                        SEEDS), strict=True))


@pytest.fixture(scope="module")
def default_job(jobs) -> JobResult:
    return jobs[0]


@pytest.mark.slow
def test_default_job_on_every_seed(jobs) -> None:
    """The issue's bar on every seed, for the learned rule and for majority rule: ν within 5%
    of 1 and y_h within 1% of 15/8. ν has no bias beyond its statistics at level 2 (the seed
    study in the README), so it is also within 4 of its own standard errors; y_h carries the
    known MCRG truncation bias (about +0.001, 2σ, with 8 + 5 operators), hence the 1% bar.
    Catches a sign-dependent odd sector (y_h = NaN for half the seeds: seed 2 on the old
    code) and a rule too soft for MCRG (y_h +1% at level 1, +0.4% at level 2)."""
    for seed, job in jobs.items():
        for name in ("majority", "rsmi"):
            e = job.exponents[name]
            assert np.isfinite([e.nu, e.nu_err, e.yh, e.yh_err]).all(), (seed, name, e)
            assert abs(e.nu - 1.0) < 0.05 and abs(e.nu - 1.0) < 4 * e.nu_err, (seed, name, e)
            assert abs(e.yh - 15 / 8) < 0.01 * 15 / 8, (seed, name, e)
        # the learned filter is the block spin: one sign (the canonical one), no zero weight
        assert (job.filter.rule.filters > 0).all(), (seed, job.filter.rule.filters)
    assert set(jobs[0].seconds) == {"sampling", "learning", "mcrg"}


@pytest.mark.slow
def test_job_errors_describe_the_spread_over_seeds(jobs) -> None:
    """Seeds are independent runs, so the estimates scatter about their weighted mean by
    their own errors: χ² over the seeds below the 99.99% point of χ²(n - 1). Catches error
    bars several times too small (e.g. a jackknife over correlated snapshots)."""
    limit = chi2.ppf(1 - 1e-4, len(SEEDS) - 1)
    for name in ("majority", "rsmi"):
        for key in ("nu", "yh"):
            x = np.array([getattr(j.exponents[name], key) for j in jobs.values()])
            err = np.array([getattr(j.exponents[name], f"{key}_err") for j in jobs.values()])
            w = err**-2
            mean = (w * x).sum() / w.sum()
            assert ((x - mean) ** 2 * w).sum() < limit, (name, key, x, err)


def test_job_picture_with_a_missing_estimate(default_job, tmp_path: Path) -> None:
    """A rule without an estimate (NaN, e.g. a singular A) still gets its file and PNG; it
    ended in 'cannot convert float NaN to integer' before."""
    nan = Exponents(math.nan, math.nan, math.nan, math.nan, 2, 0)
    job = replace(default_job, exponents={**default_job.exponents, "rsmi": nan})
    h5, png = write_job(tmp_path / "nan.h5", job)
    assert png.read_bytes()[:4] == b"\x89PNG"
    with h5py.File(h5, "r") as f:
        assert math.isnan(f["exponents/rsmi"].attrs["nu"])


def test_job_file_layout(default_job, tmp_path: Path) -> None:
    h5, png = write_job(tmp_path / "run.h5", default_job)
    with h5py.File(h5, "r") as f:
        for name in ("rsmi", "majority"):
            attrs = dict(f[f"exponents/{name}"].attrs)
            assert {"nu", "nu_err", "yh", "yh_err", "levels", "operators"} <= set(attrs)
            assert attrs["levels"] == 2 and attrs["operators"] >= 7
        # a layout check: the MI lies within its physical bounds, 0 < I(H:E) <= ln 2 for one
        # unit (its accuracy is tested against the exact value in test_rsmi_training)
        assert f["filter"].shape == (1, 2, 2) and 0 < f["filter"].attrs["mi"] <= math.log(2)
        assert f["filter"].attrs["mi"] == default_job.filter.mi
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_small_job_from_the_command_line(tmp_path: Path) -> None:
    """`gpurg run ising --seed 5 --batches 2` prints and writes the numbers of ``run_ising``
    with the same arguments: each rule's ν and y_h to the printed digits, and the file's
    attributes exactly. Catches a seed or option that the command does not pass on."""
    result = run_gpurg(["run", "ising", "-L", 32, "--samples", 4, "-R", 16, "--seed", 5,
                        "--batches", 2, "--device", "cpu", "-o", "job.h5"], tmp_path)
    assert_ok(result)
    job = run_ising(L=32, samples=4, replicas=16, seed=5, batches=2, device="cpu")
    rows = {cells[0]: cells[1:] for cells in
            (line.replace("│", " ").split() for line in result.stdout.splitlines())
            if cells and cells[0] in ("rsmi", "majority")}
    with h5py.File(tmp_path / "job.h5", "r") as f:
        for name, e in job.exponents.items():
            level, nu, _, nu_err, yh, _, yh_err = rows[name]
            assert (level, nu, nu_err) == (str(e.level), f"{e.nu:.3f}", f"{e.nu_err:.3f}")
            assert (yh, yh_err) == (f"{e.yh:.4f}", f"{e.yh_err:.4f}")
            attrs = f[f"exponents/{name}"].attrs
            assert (attrs["nu"], attrs["yh"], attrs["nu_err"]) == (e.nu, e.yh, e.nu_err)
        np.testing.assert_array_equal(f["filter"][0].ravel(), job.filter.rule.filters[0])
    assert (tmp_path / "job.png").exists()


def test_job_in_batches() -> None:
    """``batches``: the chains go on from batch to batch and the filter learns from the first,
    so a job of 6 snapshots in batches of 3 learns the filter of the 3-snapshot job bit for
    bit; its MCRG holds all 6 x 8 configurations, levels from ``first_level`` (that joined
    sums give the exponents of the whole is tests/test_rg_mcrg.py's)."""
    kwargs = {"L": 32, "replicas": 8, "seed": 2, "device": "cpu", "epochs": 2}
    short = run_ising(samples=3, **kwargs)
    both = run_ising(samples=6, batches=2, first_level=2, **kwargs)
    np.testing.assert_array_equal(both.filter.rule.filters, short.filter.rule.filters)
    for name, result in both.mcrg.items():
        assert result.n_samples == 48 and result.first == 2
        assert np.isnan(result.y_t[0]).all() and not np.isnan(result.y_t[1, 0])
        assert both.exponents[name].level == 2 and math.isfinite(both.exponents[name].nu)
    assert set(both.seconds) == {"sampling", "learning", "mcrg"}
    with pytest.raises(InputError, match="batches must be in 1..6"):
        run_ising(samples=6, batches=7, **kwargs)
    with pytest.raises(InputError, match="first level must be in 1..2"):
        run_ising(samples=6, first_level=3, **kwargs)


def test_bad_job_input(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="multiple of 16"):
        run_ising(L=24, device="numpy")
    result = run_gpurg(["run", "ising", "-L", 20, "-o", "job.h5"], tmp_path)
    assert_one_error_line(result, tmp_path, ("20",))
