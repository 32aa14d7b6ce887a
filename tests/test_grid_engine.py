"""The grid-shaped commands on the Dask engine (issue 16, item 3): ``rg collapse``, ``rsmi
thermometer``, ``rsmi train --seeds``, ``rsmi scan`` and ``rg flow`` give the same numbers
and arrays in this process (``Engine(workers=0)``) and on a cluster of two worker processes;
their CLIs take --workers 0 and --workers 2, and refuse --workers -1 with one error line.

One LocalCluster of two workers serves the library tests of the module (a cluster takes
~2 s to start); the CLI runs with --workers 2 start their own, as a user's would.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from gpurg.parallel import Engine
from gpurg.rg.collapse import binder_curves

from .test_cli import assert_ok, bad_input_tests, run_gpurg

IN_PROCESS = Engine(workers=0)


@pytest.fixture(scope="module")
def two_workers() -> Engine:
    """An Engine on a LocalCluster of two single-threaded worker processes, shared by the
    module's tests."""
    from distributed import LocalCluster

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=None,
                               env={"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"})
    with cluster:
        yield Engine(scheduler=cluster.scheduler_address)


def _same(a: object, b: object) -> None:
    """Equal numbers and arrays, exactly (NaN equal to NaN), through dicts, tuples, lists."""
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            _same(a[key], b[key])
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _same(x, y)
    else:
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), strict=True)


# ------------------------------------------------------------------------------ rg collapse
@pytest.mark.filterwarnings("ignore:a series of")  # short runs on purpose
def test_binder_curves_same_on_every_engine(two_workers: Engine) -> None:
    kwargs = dict(replicas=4, sweeps=10, thermalize=5, seed=5, device="numpy")
    here = binder_curves([4, 6], [2.1, 2.27, 2.4], engine=IN_PROCESS, **kwargs)
    _same(here, binder_curves([4, 6], [2.1, 2.27, 2.4], engine=two_workers, **kwargs))
    _same(here, binder_curves([4, 6], [2.1, 2.27, 2.4], **kwargs))  # the default: in process


def _collapse_line(workers: int, tmp_path: Path) -> str:
    result = run_gpurg(["rg", "collapse", "--sizes", "4,6", "--temperatures", "2.1,2.27,2.4",
                        "--replicas", 4, "--sweeps", 10, "--seed", 5, "--device", "numpy",
                        "--workers", workers], tmp_path)
    assert_ok(result)
    return " ".join(result.stdout.split())


def test_collapse_cli_workers(tmp_path: Path) -> None:
    assert _collapse_line(0, tmp_path) == _collapse_line(2, tmp_path)


BAD_WORKERS = [
    pytest.param(["rg", "collapse", "--workers", -1], ("--workers", "-1"), id="collapse"),
]
bad_results, test_bad_workers_is_one_error_line = bad_input_tests(BAD_WORKERS)
