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

from gpurg.backend.philox import independent_seed
from gpurg.parallel import Engine
from gpurg.rg.collapse import binder_curves
from gpurg.rg.flow import coupling_flow, sampled_coupling_flow
from gpurg.rg.maps import make_map
from gpurg.rsmi.ensemble import train_ensemble
from gpurg.rsmi.files import write_filter
from gpurg.rsmi.geometry import Geometry
from gpurg.rsmi.pairs import file_pairs
from gpurg.rsmi.rule import CoarseGrainingRule
from gpurg.rsmi.scan import scan_buffers
from gpurg.rsmi.thermometer import calibrate_thermometer
from gpurg.rsmi.training import TrainResult, train_rule
from gpurg.sampling import ising_configurations

from .test_cli import assert_ok, bad_input_tests, describe, run_forked, run_gpurg

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


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with ising.h5 (L = 6, 16 configurations) and filter.h5 (a 2x2 rule)."""
    directory = tmp_path_factory.mktemp("grid")
    assert_ok(run_gpurg(["ising", "sample", "-L", 6, "-R", 4, "--sweeps", 20, "--every", 5,
                         "--thermalize", 10, "--device", "numpy", "-o", "ising.h5"],
                        directory))
    write_filter(directory / "filter.h5", TrainResult(RULE, 0.4, 0.01, np.zeros(3),
                                                      np.zeros(2)), Geometry(2, 0, 1), {})
    return directory


# Each command's CLI case: its arguments, the engine options compared with --workers 0, and
# its output file. --workers 2 starts an embedded cluster in the command, as a user's would;
# --scheduler uses the module's cluster (no start-up).
CLI_CASES = {
    "collapse": (["rg", "collapse", "--sizes", "4,6", "--temperatures", "2.1,2.27,2.4",
                  "--replicas", 4, "--sweeps", 10, "--seed", 5, "--device", "numpy"],
                 ["--workers", 2], None),
    "thermometer": (["rsmi", "thermometer", "--filter", "filter.h5", "-L", 6, "--betas",
                     "0.40,0.44,0.48", "--replicas", 2, "--sweeps", 20, "--pairs", 300,
                     "--epochs", 1, "--seed", 3, "--device", "numpy"], "scheduler", None),
    "train": (["rsmi", "train", "ising.h5", "--block", 2, "--env", 1, "--epochs", 1, "--pairs",
               256, "--restarts", 1, "--seed", 7, "--seeds", 3, "--device", "numpy"],
              "scheduler", "ensemble.h5"),
    "scan": (["rsmi", "scan", "ising.h5", "--buffers", "0,1", "--block", 2, "--env", 1,
              "--epochs", 1, "--pairs", 256, "--restarts", 1, "--device", "numpy"],
             "scheduler", "scan.h5"),
    "flow": (["rg", "flow", "-L", 12, "--temperatures", "2.0,2.3,2.6", "--replicas", 4,
              "--samples", 2, "--seed", 3, "--device", "numpy"], "scheduler", "flow.h5"),
}


@pytest.fixture(scope="module")
def cli_runs(inputs: Path, two_workers: Engine, tmp_path_factory: pytest.TempPathFactory
             ) -> dict[str, list]:
    """Every CLI case run with --workers 0 and with its engine options, as forked children
    of one interpreter (no second of imports each): name -> [in process, on the engine]."""
    cases = []
    for args, engine, output in CLI_CASES.values():
        if engine == "scheduler":
            engine = ["--scheduler", two_workers.scheduler]
        for option in (["--workers", 0], engine):
            cases.append(([*args, *option, *(["-o", output] if output else [])], inputs))
    results = run_forked(cases, tmp_path_factory.mktemp("logs"))
    return {name: results[2 * i:2 * i + 2] for i, name in enumerate(CLI_CASES)}


def _cli_same(runs: list) -> str:
    """Both runs succeeded and printed the same; returns the output."""
    for result in runs:
        assert_ok(result)
    assert runs[0].stdout == runs[1].stdout, describe(runs[1])
    return runs[0].stdout


# ------------------------------------------------------------------------------ rg collapse
@pytest.mark.filterwarnings("ignore:a series of")  # short runs on purpose
def test_binder_curves_same_on_every_engine(two_workers: Engine) -> None:
    kwargs = dict(replicas=4, sweeps=10, thermalize=5, seed=5, device="numpy")
    here = binder_curves([4, 6], [2.1, 2.27, 2.4], engine=IN_PROCESS, **kwargs)
    _same(here, binder_curves([4, 6], [2.1, 2.27, 2.4], engine=two_workers, **kwargs))
    _same(here, binder_curves([4, 6], [2.1, 2.27, 2.4], **kwargs))  # the default: in process


def test_collapse_cli_workers(cli_runs: dict) -> None:
    _cli_same(cli_runs["collapse"])


# ------------------------------------------------------------------------- rsmi thermometer
RULE = CoarseGrainingRule(np.array([[0.9, 0.5, 0.7, 0.6]]), np.zeros(1))


def _thermometer(engine: Engine | None):
    return calibrate_thermometer(RULE, Geometry(2, 0, 1), 6, [0.40, 0.44, 0.48], replicas=2,
                                 sweeps=20, thermalize=5, pairs=300, epochs=1, seed=3,
                                 device="numpy", engine=engine)


def test_thermometer_same_on_every_engine(two_workers: Engine) -> None:
    here = _thermometer(IN_PROCESS)
    _same(vars(here), vars(_thermometer(two_workers)))
    _same(vars(here), vars(_thermometer(None)))


def test_thermometer_cli_workers(cli_runs: dict) -> None:
    _cli_same(cli_runs["thermometer"])


# --------------------------------------------------------------------- rsmi train --seeds
@pytest.fixture(scope="module")
def spins() -> np.ndarray:
    return ising_configurations(6, 2.3, replicas=4, samples=4, seed=1, device="numpy")


def _ensemble(spins: np.ndarray, engine: Engine | None):
    return train_ensemble(spins, {"model": "ising"}, Geometry(2, 0, 1), seeds=3, pairs=256,
                          seed=7, engine=engine, epochs=1, restarts=1)


def test_ensemble_same_on_every_engine(spins: np.ndarray, two_workers: Engine) -> None:
    here = _ensemble(spins, IN_PROCESS)
    there = _ensemble(spins, two_workers)
    for name in ("seeds", "mi", "mi_err", "filters", "bias", "distance"):
        _same(getattr(here, name), getattr(there, name))
    _same(here.spread, there.spread)
    _same(here.filters, _ensemble(spins, None).filters)


def test_ensemble_member_is_the_single_run_of_its_seed(spins: np.ndarray) -> None:
    """Member k is what rsmi train --seed 7+k learns: pairs and training seeded with 7 + k."""
    ensemble = _ensemble(spins, IN_PROCESS)
    np.testing.assert_array_equal(ensemble.seeds, [7, 8, 9])
    V, E, symmetric = file_pairs(spins, {"model": "ising"}, Geometry(2, 0, 1), positions=256,
                                 seed=8)
    alone = train_rule(V, E, 1, symmetric=symmetric, seed=8, epochs=1, restarts=1)
    _same(ensemble.results[1].rule.filters, alone.rule.filters)
    _same(ensemble.mi[1], alone.mi)
    assert ensemble.distance.shape == (3,) and (ensemble.distance >= 0).all()


def test_train_seeds_cli_workers(cli_runs: dict, inputs: Path) -> None:
    import h5py

    out = _cli_same(cli_runs["train"])
    assert "filter ensemble · 3 seeds" in " ".join(out.split())
    with h5py.File(inputs / "ensemble.h5") as f:
        assert f["ensemble/filters"].shape == (3, 1, 4)
        np.testing.assert_array_equal(f["ensemble/seeds"][()], [7, 8, 9])
        assert f.attrs["seed"] == f["ensemble/seeds"][f["ensemble"].attrs["best"]]


# ------------------------------------------------------------------------------- rsmi scan
def _scan(spins: np.ndarray, engine: Engine | None):
    return scan_buffers(spins, {"model": "ising"}, block=2, env=1, buffers=(0, 1), pairs=256,
                        seed=4, engine=engine, epochs=1, restarts=1)


def test_scan_same_on_every_engine(spins: np.ndarray, two_workers: Engine) -> None:
    here = _scan(spins, IN_PROCESS)
    there = _scan(spins, two_workers)
    for name in ("buffer", "mi", "mi_err", "used"):
        _same(getattr(here, name), getattr(there, name))
    _same(vars(here.power), vars(there.power))
    _same([r.filters for r in here.rules], [r.filters for r in there.rules])
    _same(here.mi, _scan(spins, None).mi)


def test_scan_cli_workers(cli_runs: dict) -> None:
    _cli_same(cli_runs["scan"])


# --------------------------------------------------------------------------------- rg flow
def _flow(engine: Engine | None):
    return sampled_coupling_flow(12, [2.0, 2.3, 2.6], make_map("majority", "sample"), 2,
                                 replicas=4, samples=2, blocks=8, seed=3, device="numpy",
                                 engine=engine)


def test_flow_same_on_every_engine(two_workers: Engine) -> None:
    here = _flow(IN_PROCESS)
    _same(vars(here), vars(_flow(two_workers)))
    _same(vars(here), vars(_flow(None)))


def test_flow_is_coupling_flow_of_the_samples() -> None:
    """The seeds of rg flow as they always were: the i-th sorted T sampled and coarse-grained
    with independent_seed(seed, i)."""
    configs = {T: ising_configurations(12, T, replicas=4, samples=2, device="numpy",
                                       seed=independent_seed(3, i))
               for i, T in enumerate([2.0, 2.3, 2.6])}
    alone = coupling_flow(configs, make_map("majority", "sample"), 2, blocks=8, seed=3)
    _same(vars(_flow(IN_PROCESS)), vars(alone))


def test_flow_cli_workers(cli_runs: dict) -> None:
    _cli_same(cli_runs["flow"])


BAD_WORKERS = [
    pytest.param(["rg", "collapse", "--workers", -1], ("--workers", "-1"), id="collapse"),
    pytest.param(["rsmi", "thermometer", "--filter", "absent.h5", "--workers", -1],
                 ("--workers", "-1"), id="thermometer"),
    pytest.param(["rsmi", "train", "absent.h5", "-o", "f.h5", "--workers", -1],
                 ("--workers", "-1"), id="train"),
    pytest.param(["rsmi", "train", "absent.h5", "-o", "f.h5", "--seeds", 0],
                 ("--seeds", "0"), id="train-seeds"),
    pytest.param(["rsmi", "scan", "absent.h5", "-o", "s.h5", "--workers", -1],
                 ("--workers", "-1"), id="scan"),
    pytest.param(["rg", "flow", "--workers", -1], ("--workers", "-1"), id="flow"),
]
bad_results, test_bad_workers_is_one_error_line = bad_input_tests(BAD_WORKERS)
