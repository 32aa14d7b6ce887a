"""``gpurg run dimer`` and :func:`gpurg.jobs.dimerjob.run_dimer`: the file it writes, the
library result it holds, what its rules read, and bad input. A small lattice (L = 16, the
smallest whose 32 x 32-pixel images hold the scan's widest window) and few pairs: the job's
physics at its defaults is measured in the README and benchmarks/RESULTS.md."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from gpurg.errors import InputError
from gpurg.jobs.dimerjob import BUFFERS, KL_UNITS, UNITS, run_dimer, write_dimer_job
from gpurg.sampling import dimer_images

from .test_cli import assert_ok, assert_one_error_line, run_gpurg

SMALL = {"L": 16, "samples": 16, "replicas": 32, "pairs": 20_000, "blocks": 20_000, "seed": 3,
         "device": "cpu"}


@pytest.fixture(scope="module")
def job(tmp_path_factory: pytest.TempPathFactory):
    result = run_dimer(**SMALL)
    path = tmp_path_factory.mktemp("job") / "run.h5"
    return result, write_dimer_job(path, result)


def test_the_file_holds_the_result(job) -> None:
    """Every dataset and attribute the issue names, equal to the library's result: rsmi/h<n>
    (n, 8, 8) with mi, mi_err; kl/filter (4, 8, 8); scan/buffer, mi, mi_err with exponent,
    exponent_err; and the figure beside it."""
    result, (path, figure) = job
    assert figure.exists() and figure.suffix == ".png"
    with h5py.File(path, "r") as f:
        for n in UNITS:
            group = f[f"rsmi/h{n}"]
            np.testing.assert_array_equal(group["filter"][()],
                                          result.rules[n].rule.filters.reshape(n, 8, 8))
            assert group.attrs["mi"] == result.rules[n].mi
            assert group.attrs["mi_err"] == result.rules[n].mi_err
            assert group.attrs["noise_share"].shape == (n,)
        assert f["kl/filter"].shape == (KL_UNITS, 8, 8)
        np.testing.assert_array_equal(f["kl/filter"][()], result.kl.weights)
        np.testing.assert_array_equal(f["scan/buffer"][()], BUFFERS)
        np.testing.assert_array_equal(f["scan/mi"][()], result.scan.mi)
        assert f["scan"].attrs["exponent"] == result.scan.exponent
        assert f["scan"].attrs["exponent_err"] == result.scan.exponent_err
        assert f.attrs["job"] == "dimer" and f.attrs["L"] == 16


def test_rsmi_ignores_the_noise_and_likelihood_does_not(job) -> None:
    """Even on this small sample (512 images, 20 000 pairs) the RSMI rules put < 5% of |λ|²
    on the noise pixels (the noise says nothing about the environment; with 6000 pairs the
    chance correlations of 64 weights with the noise of 4500 training pairs left 7%),
    while the likelihood-trained RBM spends at least one of its 4 units on one vertex–face
    noise pair (pair share > 0.9). The
    information of two units exceeds one unit's by > 4σ, and MI decays from the smallest
    buffer to the largest by > 4σ."""
    result, _ = job
    for n in UNITS:
        assert (result.analyses[n].noise_share < 0.05).all(), (n, result.analyses[n])
    assert (result.kl_analysis.pair_share > 0.9).any(), result.kl_analysis.pair_share
    one, two = result.rules[1], result.rules[2]
    assert two.mi - one.mi > 4 * np.hypot(one.mi_err, two.mi_err), (one.mi, two.mi)
    s = result.scan
    assert s.mi[0] - s.mi[-1] > 4 * np.hypot(s.mi_err[0], s.mi_err[-1]), s.mi


def test_same_seed_same_images() -> None:
    a = dimer_images(8, replicas=2, thermalize=2, samples=3, every=1, seed=5, device="numpy")
    b = dimer_images(8, replicas=2, thermalize=2, samples=3, every=1, seed=5, device="numpy")
    assert a.shape == (6, 16, 16) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, dimer_images(8, replicas=2, thermalize=2, samples=3, every=1,
                                              seed=6, device="numpy"))


def test_a_lattice_too_small_for_the_scan_is_refused() -> None:
    with pytest.raises(InputError, match="L must be an even integer >= 16"):
        run_dimer(L=12, samples=2, replicas=2, pairs=100, device="numpy")


def test_cli_prints_the_table_and_writes_the_files(tmp_path: Path) -> None:
    result = run_gpurg(["run", "dimer", "-L", 16, "--samples", 4, "-R", 8, "--pairs", 3000,
                        "--device", "cpu", "-o", "run.h5"], tmp_path)
    assert_ok(result)
    for words in ("RSMI h2", "CD-1 RBM", "power law υ", "noise"):
        assert words in result.stdout, result.stdout
    assert (tmp_path / "run.h5").exists() and (tmp_path / "run.png").exists()


@pytest.mark.parametrize(("args", "words"), [
    (["-L", 7], ["--size", "7"]),
    (["-L", 12], ["--size", "12", ">= 16"]),
    (["--samples", 1], ["--samples", "1"]),
    (["--pairs", 0], ["--pairs", "0"]),
])
def test_cli_bad_input(tmp_path: Path, args: list, words: list) -> None:
    assert_one_error_line(run_gpurg(["run", "dimer", *args, "-o", "run.h5"], tmp_path),
                          tmp_path, words)
