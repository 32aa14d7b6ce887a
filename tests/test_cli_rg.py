"""Tests of ``gpurg rg exponents``, ``rg flow`` and ``rg collapse`` (subprocesses; helpers in
test_cli.py).

Every valid run's printed numbers are compared, formatted as the command formats them, with
the library's result on the same input (the same configurations, map, mode, seed and jackknife
blocks): a label check would pass a command that prints the wrong rule's, level's or seed's
numbers.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from gpurg.backend.philox import independent_seed
from gpurg.models.ising_exact import T_C
from gpurg.rg.collapse import binder_curves, collapse_nu
from gpurg.rg.flow import coupling_flow, critical_temperature
from gpurg.rg.maps import make_map
from gpurg.rg.mcrg import mcrg
from gpurg.rg.operators import EVEN, ODD
from gpurg.rsmi.files import load_configurations, write_filter
from gpurg.rsmi.geometry import Geometry
from gpurg.rsmi.rule import CoarseGrainingRule
from gpurg.rsmi.training import TrainResult
from gpurg.sampling import ising_configurations

from .test_cli import assert_ok, bad_input_tests, run_gpurg

# A generic 2x2 filter (no ties: every weighted block sum is non-zero) and a one-hot filter
# that reads only the block's top-left spin, i.e. decimation, in "max" mode exactly and in
# "sample" mode up to a flip probability 1 / (1 + e^40) ~ 4e-18 per coarse spin.
WEIGHTED = (0.9, 0.5, 0.7, 0.6)
ONE_HOT = (20.0, 0.0, 0.0, 0.0)


def _write_filter(path: Path, weights: tuple[float, ...]) -> Path:
    rule = CoarseGrainingRule(np.array([weights]), np.zeros(1))
    result = TrainResult(rule, 0.4, 0.01, np.zeros(3), np.zeros(2))
    write_filter(path, result, Geometry(2, 1, 2), {})
    return path


@pytest.fixture(scope="module")
def rg_inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A critical run (L = 16, 16 replicas x 8 measurements) and two filter files."""
    directory = tmp_path_factory.mktemp("tc")
    assert_ok(run_gpurg(["ising", "sample", "-L", 16, "-R", 16, "--sweeps", 40, "--every", 5,
                         "--thermalize", 50, "--device", "cpu", "-o", "tc.h5"], directory))
    _write_filter(directory / "weighted.h5", WEIGHTED)
    _write_filter(directory / "onehot.h5", ONE_HOT)
    return directory


def _summary_rows(stdout: str) -> list[list[str]]:
    """The cells of the exponents summary table's rows (level, L, ν, y_t, y_h)."""
    rows = []
    for line in stdout.splitlines():
        cells = [c.strip() for c in line.strip().strip("│").split("│")]
        if len(cells) == 5 and re.fullmatch(r"\d+|exact", cells[0]):
            rows.append(cells)
    return rows


def _library_exponents(directory: Path, spec: str, mode: str, seed: int,
                       operators: int | None) -> tuple[list[list[str]], str]:
    """What ``rg exponents`` must print for this input: the summary rows and the table."""
    configs, attrs = load_configurations(directory / "tc.h5")
    n_meas = int(attrs["n_measurements"])
    replicas = configs.shape[0] // n_meas
    assert replicas == 16  # the command's blocks: one per replica
    even = EVEN if operators is None else EVEN[:operators]
    odd = ODD if operators is None else ODD[:min(operators, len(ODD))]
    spec = f"rsmi:{directory / spec[5:]}" if spec.startswith("rsmi:") else spec
    res = mcrg(configs, make_map(spec, mode),
               seed=seed, blocks=np.tile(np.arange(replicas), n_meas), even=even, odd=odd)
    rows = []
    for level in range(1, res.n_levels + 1):
        nu, nu_err = res.nu(level)
        yt, yt_err = res.exponent("t", level)
        yh, yh_err = res.exponent("h", level)
        rows.append([str(level), str(res.sizes[level]), f"{nu:.3f} ± {nu_err:.3f}",
                     f"{yt:.3f} ± {yt_err:.3f}", f"{yh:.4f} ± {yh_err:.4f}"])
    rows.append(["exact", "", "1.000", "1.000", "1.8750"])
    return rows, res.table()


# (rule as given on the command line, --mode or None, --seed, --operators or None)
EXPONENT_RUNS = {
    "majority": ("majority", None, 0, 3),
    "decimation": ("decimation", None, 7, None),
    "rsmi-max": ("rsmi:weighted.h5", "max", 7, None),
    "rsmi-sample": ("rsmi:weighted.h5", "sample", 7, None),
    "onehot-max": ("rsmi:onehot.h5", "max", 7, None),
    "onehot-sample": ("rsmi:onehot.h5", "sample", 7, None),
}


@pytest.fixture(scope="module")
def exponent_outputs(rg_inputs: Path) -> dict[str, str]:
    """stdout of every run in EXPONENT_RUNS, each run once."""
    out = {}
    for key, (rule, mode, seed, operators) in EXPONENT_RUNS.items():
        args = ["rg", "exponents", "tc.h5", "--rule", rule, "--seed", seed, "--device", "cpu"]
        args += ["--mode", mode] if mode else []
        args += ["--operators", operators] if operators else []
        result = run_gpurg(args, rg_inputs)
        assert_ok(result)
        out[key] = result.stdout
    return out


@pytest.mark.parametrize("key", list(EXPONENT_RUNS))
def test_exponents_print_the_library_result(key: str, rg_inputs: Path,
                                            exponent_outputs: dict[str, str]) -> None:
    """The summary rows (ν, y_t, y_h per level) and the whole convergence table are the
    library's mcrg on the same configurations with the same map, mode, seed and blocks, digit
    for digit. Catches a rule, mode, seed, operator count or blocking that the command drops or
    mixes up (rsmi max and sample differ in their last digits, so a --mode that is ignored
    fails one of the two)."""
    rule, mode, seed, operators = EXPONENT_RUNS[key]
    rows, table = _library_exponents(rg_inputs, rule, mode or "max", seed, operators)
    stdout = exponent_outputs[key]
    assert _summary_rows(stdout) == rows, stdout
    assert table in stdout, stdout


def test_rsmi_modes_and_a_one_hot_filter(exponent_outputs: dict[str, str]) -> None:
    """Independent of the library: a filter that reads only the top-left spin is decimation,
    so ``--rule rsmi:onehot.h5`` prints decimation's numbers in both modes (same seed); a
    generic filter gives different numbers in "max" and "sample" mode. Catches a filter file
    read with its entries in the wrong order (another spin than decimation's), a --mode that
    is ignored, and an rsmi rule that falls back to another map."""
    def numbers(stdout: str) -> list[list[str]]:
        return _summary_rows(stdout)

    decimation = numbers(exponent_outputs["decimation"])
    assert numbers(exponent_outputs["onehot-max"]) == decimation
    assert numbers(exponent_outputs["onehot-sample"]) == decimation
    assert numbers(exponent_outputs["rsmi-max"]) != numbers(exponent_outputs["rsmi-sample"])
    assert numbers(exponent_outputs["rsmi-max"]) != decimation


def _flow_lines(stdout: str) -> list[str]:
    """The flow table's rows and the T_c line, box characters and spacing removed."""
    return [" ".join(line.replace("│", " ").split()) for line in stdout.splitlines()
            if "±" in line or "T_c from the flow" in line]


@pytest.mark.parametrize(("rule", "mode", "seed"), [("majority", None, 0),
                                                    ("weighted.h5", "sample", 3),
                                                    ("weighted.h5", "max", 3)])
def test_flow_prints_the_library_result(rule: str, mode: str | None, seed: int,
                                        rg_inputs: Path, tmp_path: Path) -> None:
    """The K_nn table and T_c of ``rg flow`` equal coupling_flow + critical_temperature on the
    configurations the command samples (ising_configurations with independent_seed(seed, i)
    for temperature i),
    with the same map, mode and seed; the diagram is a PNG. Catches a seed, mode, level or
    temperature order that the command mixes up."""
    temps = (2.0, 2.27, 2.6)
    if rule.endswith(".h5"):
        rule = f"rsmi:{rg_inputs / rule}"
    args = ["rg", "flow", "-L", 16, "--replicas", 16, "--samples", 2, "--temperatures",
            ",".join(map(str, temps)), "--levels", 2, "--rule", rule, "--seed", seed,
            "--device", "cpu", "-o", "flow.png"]
    args += ["--mode", mode] if mode else []
    result = run_gpurg(args, tmp_path)
    assert_ok(result)
    assert (tmp_path / "flow.png").read_bytes()[:4] == b"\x89PNG"
    configs = {T: ising_configurations(16, T, replicas=16, samples=2,
                                       seed=independent_seed(seed, i), device="cpu")
               for i, T in enumerate(temps)}
    flow = coupling_flow(configs, make_map(rule, mode or "max"), 2, seed=seed)
    tc, tc_err = critical_temperature(flow)
    expected = [f"{T:.3f} " + " ".join(f"{flow.K[i, k, 0]:.4f} ± {flow.K_err[i, k, 0]:.4f}"
                                        for k in range(3)) for i, T in enumerate(temps)]
    expected.append(f"T_c from the flow = {tc:.4f} ± {tc_err:.4f} (exact {T_C:.4f})")
    assert _flow_lines(result.stdout) == expected, result.stdout


BAD_INPUT = [
    pytest.param(["rg", "exponents", "tc.h5", "--rule", "bogus"], ("bogus",), id="rule"),
    pytest.param(["rg", "exponents", "tc.h5", "--mode", "argmax"], ("argmax",), id="mode"),
    pytest.param(["rg", "exponents", "tc.h5", "--rule", "rsmi:none.h5"], ("none.h5",),
                 id="filter"),
    pytest.param(["rg", "flow", "--levels", 1], ("levels", "1"), id="levels"),
]
bad_results, test_bad_input_is_one_error_line = bad_input_tests(BAD_INPUT)


@pytest.mark.filterwarnings("ignore:a series of")  # 20 sweeps: a short run on purpose
def test_collapse_prints_the_library_result(tmp_path: Path) -> None:
    """ν, T_c, their errors and S printed by ``rg collapse`` are collapse_nu of binder_curves
    with the same sizes, temperatures, replicas, sweeps and seed. Catches a seed or option
    that the command drops (another seed changes every printed digit)."""
    result = run_gpurg(["rg", "collapse", "--sizes", "8,12", "--temperatures", "2.1,2.27,2.4",
                        "--replicas", 8, "--sweeps", 20, "--seed", 5, "--device", "cpu"],
                       tmp_path)
    assert_ok(result)
    curves = binder_curves([8, 12], [2.1, 2.27, 2.4], replicas=8, sweeps=20, seed=5,
                           device="cpu")
    r = collapse_nu(curves, seed=5)
    expected = (f"ν = {r.nu:.3f} ± {r.nu_err:.3f}, T_c = {r.t_c:.4f} ± {r.t_c_err:.4f} "
                f"(exact 1 and {T_C:.4f}); quality S = {r.quality:.2f}")
    assert expected in " ".join(result.stdout.split()), result.stdout
