"""Property-based tests of the command line (hypothesis): every command, given a random
combination of valid options with now and then one invalid value mixed in, ends either with
exit 0 and its complete output files, or with exit 2, one ``error:`` line on stderr and no
file at all; never with a traceback.

A drawn case is valid or carries exactly one invalid value, so the exit code is known in
advance: 0 for a valid case, 2 for an invalid one. Each hypothesis example is a list of cases
run as forked children of one interpreter (``run_forked`` of test_cli.py), so an example costs
one interpreter start-up however many cases it holds; each case runs in its own empty
directory and reads its inputs (made once per module) by absolute path. Sizes are tiny (L <= 8,
a few sweeps, a few hundred pairs), so the file runs in well under a minute on 2 cores; the
benchmarks that cannot be made small are marked slow. Invalid file contents (spins that are not
±1 and the like) belong to the data-validation tests and are not drawn here.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gpurg.models.dimer_rules import MAX_V_OVER_T

from .test_cli import (
    assert_ok,
    assert_one_error_line,
    describe,
    hidden_files,
    run_forked,
)

SEEDS = st.integers(0, 2**64 - 1)
DEVICES = st.sampled_from(["numpy", "cpu"])
# out-of-range or malformed values every seeded command rejects
BAD_SEEDS = st.sampled_from([-1, 2**64, "x"])
BAD_DEVICES = st.sampled_from(["tpu", "gpu0"])
BAD_COUNTS = st.sampled_from([0, -3, "two"])  # for options that need an integer >= 1
# temperatures at the ends of the float range: K = J / T and T^2 overflow or vanish there
EXTREME_TEMPERATURES = st.sampled_from([1e-300, 5e-324, 1e300, 1.7e308])


class Case(NamedTuple):
    """One command line: its arguments, the files it writes in its working directory when
    it succeeds, and whether every drawn value is valid (exit 0) or one is not (exit 2)."""

    args: tuple[str, ...]
    outputs: tuple[str, ...]
    valid: bool
    words: tuple[str, ...] = ()  # what the error line of an invalid case must name


Options = dict[str, object]  # option -> value (None: leave the option out)


def case(draw: Callable, command: tuple[str, ...], valid: Options,
         invalid: dict[str, st.SearchStrategy], outputs: tuple[str, ...] = (),
         flags: tuple[str, ...] = (), *, must_fail: bool = False,
         words: dict[str, tuple[str, ...]] | None = None) -> Case:
    """The Case of ``command`` with the ``valid`` options, or, if hypothesis so draws (always
    with ``must_fail``), with one of them (a key of ``invalid``) replaced by a value its
    strategy draws; ``words[option]``: what the error line must then name."""
    options = dict(valid)
    names = st.sampled_from(sorted(invalid))
    bad = draw(names if must_fail else st.none() | names)
    if bad is not None:
        options[bad] = draw(invalid[bad])
    args = list(command)
    for flag, value in options.items():
        if flag.startswith("<"):  # a positional argument
            args.append(str(value))
        elif value is not None:
            args += [flag, str(value)]
    return Case((*args, *flags), outputs, bad is None, (words or {}).get(bad, ()))


def check_cases(cases: list[Case], tmp_path_factory: pytest.TempPathFactory
                ) -> list[subprocess.CompletedProcess[str]]:
    """Run the cases, two at a time (each in its own directory, reading only the module's
    inputs); valid ones exit 0 and leave their complete outputs (and nothing else), invalid
    ones exit 2 with one ``error:`` line and leave nothing. Returns the results."""
    directories = [tmp_path_factory.mktemp("case") for _ in cases]
    results = run_forked([(c.args, d) for c, d in zip(cases, directories, strict=True)],
                         tmp_path_factory.mktemp("logs"), parallel=2)
    for c, directory, result in zip(cases, directories, results, strict=True):
        if not c.valid:
            assert_one_error_line(result, directory, c.words)
            continue
        assert_ok(result)
        assert hidden_files(directory) == [], describe(result)
        for name in c.outputs:
            assert_complete(directory / name, result)
    return results


def assert_complete(path: Path, result: subprocess.CompletedProcess[str]) -> None:
    """An output file exists and is whole: HDF5 opens (runs say ``complete``), a PNG starts
    with its signature, an .npy array loads."""
    assert path.is_file(), f"{path.name} missing\n{describe(result)}"
    if path.suffix == ".h5":
        with h5py.File(path, "r") as f:
            assert f.attrs.get("complete", True), f"{path.name} incomplete\n{describe(result)}"
    elif path.suffix == ".png":
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", describe(result)
    else:
        np.load(path, allow_pickle=False)


# ------------------------------------------------------------------------------- inputs
@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory of small inputs: ising.h5 (L = 8), dimer.h5 (L = 4, with images),
    images.npy (its images, RSMI-NE layout), filter.h5 (a 2x2 one-unit filter)."""
    directory = tmp_path_factory.mktemp("inputs")
    setup = [
        ["ising", "sample", "-L", 8, "-T", 2.3, "-R", 4, "--sweeps", 20, "--every", 2,
         "--thermalize", 5, "--device", "numpy", "-o", "ising.h5"],
        ["dimer", "sample", "-L", 4, "-R", 2, "--sweeps", 10, "--every", 2, "--thermalize", 2,
         "--noise", "correlated", "--device", "numpy", "-o", "dimer.h5"],
        ["dimer", "convert", "dimer.h5", "images.npy"],
        ["rsmi", "train", "ising.h5", "--block", 2, "--env", 2, "--epochs", 2, "--pairs", 256,
         "--restarts", 1, "--batch-size", 64, "--device", "numpy", "-o", "filter.h5"],
    ]
    for result in run_forked([(args, directory) for args in setup],
                             tmp_path_factory.mktemp("logs")):
        assert_ok(result)
    return directory


def examples(n: int) -> Callable:
    """hypothesis settings: ``n`` examples, no deadline (a forked batch takes seconds)."""
    return settings(max_examples=n, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def batches(strategy: st.SearchStrategy, size: int = 4) -> st.SearchStrategy:
    return st.lists(strategy, min_size=1, max_size=size)


# --------------------------------------------------------------------------- samplers
@st.composite
def ising_sample(draw: Callable) -> Case:
    algorithm = draw(st.sampled_from(["metropolis", "heatbath", "swendsen-wang"]))
    sweeps = draw(st.integers(1, 12))
    valid = {
        "-L": draw(st.sampled_from([4, 6, 8])),
        "-T": draw(st.floats(0.05, 50.0) | EXTREME_TEMPERATURES),
        "--coupling": draw(st.sampled_from([1.0, -1.0, 0.5, 2.0])),
        # Swendsen-Wang needs h = 0
        "--field": 0.0 if algorithm == "swendsen-wang" else draw(st.floats(-1.0, 1.0)),
        "--replicas": draw(st.integers(1, 9)),
        "--sweeps": sweeps,
        "--every": draw(st.integers(1, sweeps)),
        "--thermalize": draw(st.integers(0, 5)),
        "--algorithm": algorithm,
        "--start": draw(st.sampled_from(["hot", "cold"])),
        "--device": draw(DEVICES),
        "--seed": draw(SEEDS),
        "-o": "run.h5",
    }
    invalid = {
        "-L": st.sampled_from([2, 5, -4, 0, "x"]),
        "-T": st.sampled_from([0, -1, "nan", "inf", "abc"]),
        "--coupling": st.sampled_from([0, "nan"]),
        "--replicas": BAD_COUNTS,
        "--sweeps": st.sampled_from([-5, "many"]),
        "--every": BAD_COUNTS | st.just(sweeps + 1),
        "--thermalize": st.just(-1),
        "--algorithm": st.just("wolff"),
        "--start": st.just("lukewarm"),
        "--device": BAD_DEVICES,
        "--seed": BAD_SEEDS,
        "-o": st.sampled_from(["run.txt", "nodir/run.h5"]),
    }
    flags = draw(st.sampled_from([(), ("--no-configs",)]))
    return case(draw, ("ising", "sample"), valid, invalid, ("run.h5",), flags)


@st.composite
def dimer_sample(draw: Callable) -> Case:
    sweeps = draw(st.integers(1, 8))
    valid = {
        "-L": draw(st.sampled_from([4, 6, 8])),
        "-T": draw(st.sampled_from(["inf"]) | (st.floats(0.1, 20.0) | EXTREME_TEMPERATURES)
                   .map(str)),
        "-V": draw(st.floats(-2.0, 2.0)),
        "--replicas": draw(st.integers(1, 4)),
        "--sweeps": sweeps,
        "--every": draw(st.integers(1, sweeps)),
        "--thermalize": draw(st.integers(0, 4)),
        "--start": draw(st.sampled_from(["columnar", "staggered", "random"])),
        "--rule": draw(st.sampled_from(["minimal-bounce", "heat-bath"])),
        "--worms-per-sweep": draw(st.none() | st.integers(1, 20)),
        "--noise": draw(st.sampled_from(["none", "correlated", "independent"])),
        "--encoding": draw(st.sampled_from(["codes", "image"])),
        "--device": draw(DEVICES),
        "--seed": draw(SEEDS),
        "-o": "run.h5",
    }
    invalid = {
        "-L": st.sampled_from([2, 5, -6]),
        "-T": st.sampled_from([0, -2, "nan"]),
        "-V": st.sampled_from(["inf", "nan"]),
        "--replicas": BAD_COUNTS,
        "--every": BAD_COUNTS | st.just(sweeps + 1),
        "--thermalize": st.just(-1),
        "--start": st.just("diagonal"),
        "--rule": st.just("metropolis"),
        "--worms-per-sweep": st.sampled_from([0, -1]),
        "--noise": st.just("loud"),
        "--encoding": st.just("bogus"),
        "--device": BAD_DEVICES,
        "--seed": BAD_SEEDS,
        "-o": st.sampled_from(["run.txt", "nodir/run.h5"]),
    }
    # below T = |V| / MAX_V_OVER_T the model refuses T (the exit tables cannot resolve the
    # rarest moves): a valid case at such a T has no interaction
    if valid["-T"] != "inf" and abs(valid["-V"]) > MAX_V_OVER_T * float(valid["-T"]):
        valid["-V"] = 0.0
    flags = draw(st.sampled_from([(), ("--no-configs",)]))
    return case(draw, ("dimer", "sample"), valid, invalid, ("run.h5",), flags)


@given(cases=batches(ising_sample(), 5))
@examples(3)
def test_ising_sample(cases: list[Case], tmp_path_factory: pytest.TempPathFactory) -> None:
    check_cases(cases, tmp_path_factory)


@given(cases=batches(dimer_sample(), 5))
@examples(3)
def test_dimer_sample(cases: list[Case], tmp_path_factory: pytest.TempPathFactory) -> None:
    check_cases(cases, tmp_path_factory)


@st.composite
def fewest_samples(draw: Callable) -> list[Case]:
    """One ``ising sample`` per algorithm with one or two replicas and one or two
    measurements, no thermalization, the smallest L."""
    cases = []
    for algorithm in ("metropolis", "heatbath", "swendsen-wang"):
        args = ("ising", "sample", "-L", "4", "-T", "2.5",
                "--replicas", str(draw(st.integers(1, 2))),
                "--sweeps", str(draw(st.integers(1, 2))), "--every", "1", "--thermalize", "0",
                "--algorithm", algorithm, "--device", draw(DEVICES), "-o", "run.h5")
        cases.append(Case(args, ("run.h5",), True))
    return cases


def table_row(stdout: str, label: str) -> str:
    """The printed table row that starts with ``label``."""
    return next(line for line in stdout.splitlines() if line.strip("│ ").startswith(label))


@given(cases=fewest_samples())
@examples(3)
def test_fewest_samples_print_values_without_errors(
        cases: list[Case], tmp_path_factory: pytest.TempPathFactory) -> None:
    """Issue 9: one replica and/or one measurement print a table whose missing errors read
    n/a, with a note why, and write a complete file."""
    for c, result in zip(cases, check_cases(cases, tmp_path_factory), strict=True):
        if c.args[c.args.index("--sweeps") + 1] == "1":
            assert "n/a" in result.stdout and "no error estimates" in result.stderr, \
                describe(result)
        if c.args[c.args.index("--replicas") + 1] == "1" and \
                c.args[c.args.index("--sweeps") + 1] == "2":
            # a variance left out of one of two measurements is 0: no error estimate, not ± 0
            for label in ("specific heat", "susceptibility"):
                assert "± n/a" in table_row(result.stdout, label), describe(result)


# ---------------------------------------------------------------- files and RSMI commands
@st.composite
def dimer_convert(draw: Callable, inputs: Path) -> Case:
    target = draw(st.sampled_from(["out.npy", "out.h5"]))
    valid = {
        "<source>": inputs / draw(st.sampled_from(["dimer.h5", "images.npy"])),
        "<target>": target,
        "--to": draw(st.sampled_from(["rsmi-ne", "codes", "image"])),
        "--noise": draw(st.sampled_from([None, "none", "correlated", "independent"])),
        "--seed": draw(SEEDS),
    }
    invalid = {
        "<source>": st.sampled_from([inputs / "missing.h5", inputs / "ising.h5",
                                     inputs / "filter.h5"]),
        "<target>": st.sampled_from(["out.txt", "nodir/out.npy"]),
        "--to": st.just("png"),
        "--noise": st.just("loud"),
        "--seed": BAD_SEEDS,
    }
    return case(draw, ("dimer", "convert"), valid, invalid, (target,))


@st.composite
def rsmi_train(draw: Callable, inputs: Path) -> Case:
    valid = {
        # dimer images: 8 x 8 pixels; Ising: 8 x 8 sites. block + 2 (buffer + env) <= 8
        "<source>": inputs / draw(st.sampled_from(["ising.h5", "dimer.h5"])),
        "--block": draw(st.integers(1, 2)),
        "--buffer": draw(st.integers(0, 1)),
        "--env": draw(st.integers(1, 2)),
        "--hidden": draw(st.integers(1, 3)),
        "--epochs": draw(st.integers(1, 3)),
        "--pairs": draw(st.integers(126, 400)),  # a quarter (>= 32) held out, >= 32 to train
        "--restarts": draw(st.integers(1, 2)),
        "--batch-size": draw(st.integers(8, 256)),
        "--learning-rate": draw(st.floats(1e-4, 0.1)),
        "--weight-decay": draw(st.floats(0.0, 0.1)),
        "--seed": draw(SEEDS),
        "--device": draw(DEVICES),
        "-o": "filter.h5",
    }
    invalid = {
        "<source>": st.sampled_from([inputs / "missing.h5", inputs / "images.npy"]),
        "--block": BAD_COUNTS,
        "--buffer": st.just(-1),
        "--env": st.sampled_from([0, 9]),
        "--hidden": st.sampled_from([0, 9]),
        "--estimator": st.just("bogus"),
        "--epochs": BAD_COUNTS,
        "--pairs": st.sampled_from([0, 10, 64, 100, 125]),
        "--restarts": BAD_COUNTS,
        "--batch-size": BAD_COUNTS,
        "--learning-rate": st.sampled_from([0, -1, "nan"]),
        "--weight-decay": st.sampled_from([-1, "nan"]),
        "--seed": BAD_SEEDS,
        "--device": BAD_DEVICES,
        "-o": st.sampled_from(["filter.txt", "nodir/filter.h5"]),
    }
    # the library's one limit, whatever the count
    return case(draw, ("rsmi", "train"), valid, invalid, ("filter.h5", "filter.png"),
                words={"--pairs": ("pairs", ">= 126")})


@st.composite
def rsmi_coarse_grain(draw: Callable, inputs: Path) -> Case:
    valid = {
        "<source>": inputs / "ising.h5",  # L = 8: up to 2 steps of the 2x2 filter
        "--filter": inputs / "filter.h5",
        "--steps": draw(st.integers(1, 2)),
        "--mode": draw(st.sampled_from(["sample", "max"])),
        "--seed": draw(SEEDS),
        "--device": draw(DEVICES),
        "-o": "coarse.h5",
    }
    invalid = {
        "<source>": st.sampled_from([inputs / "missing.h5", inputs / "images.npy"]),
        "--filter": st.sampled_from([inputs / "missing.h5", inputs / "ising.h5"]),
        "--steps": st.sampled_from([0, -1, 4]),
        "--mode": st.just("min"),
        "--seed": BAD_SEEDS,
        "--device": BAD_DEVICES,
        "-o": st.sampled_from(["coarse.txt", "nodir/coarse.h5"]),
    }
    return case(draw, ("rsmi", "coarse-grain"), valid, invalid, ("coarse.h5",))


@st.composite
def rsmi_thermometer(draw: Callable, inputs: Path) -> Case:
    betas = draw(st.lists(st.floats(0.3, 0.6), min_size=2, max_size=3, unique=True))
    valid = {
        "--filter": inputs / "filter.h5",
        "-L": draw(st.sampled_from([6, 8])),
        "--betas": ",".join(f"{b:.4f}" for b in betas),
        "--read": draw(st.sampled_from([None, inputs / "ising.h5"])),
        "--replicas": draw(st.integers(1, 3)),
        "--sweeps": draw(st.integers(10, 30)),
        "--pairs": draw(st.integers(128, 300)),
        "--epochs": draw(st.integers(1, 2)),
        "--seed": draw(SEEDS),
        "--device": draw(DEVICES),
    }
    invalid = {
        "--filter": st.sampled_from([inputs / "missing.h5", inputs / "ising.h5"]),
        "-L": st.sampled_from([0, 2]),
        "--betas": st.sampled_from(["a,b", "0.44", "-0.4,-0.5"]),
        "--read": st.just(inputs / "missing.h5"),
        "--replicas": BAD_COUNTS,
        "--pairs": st.just(0),
        "--epochs": BAD_COUNTS,
        "--seed": BAD_SEEDS,
        "--device": BAD_DEVICES,
    }
    return case(draw, ("rsmi", "thermometer"), valid, invalid)


@given(data=st.data())
@examples(2)
def test_dimer_convert(data: st.DataObject, inputs: Path,
                       tmp_path_factory: pytest.TempPathFactory) -> None:
    check_cases(data.draw(batches(dimer_convert(inputs), 6)), tmp_path_factory)


@given(data=st.data())
@examples(3)
def test_rsmi_train(data: st.DataObject, inputs: Path,
                    tmp_path_factory: pytest.TempPathFactory) -> None:
    check_cases(data.draw(batches(rsmi_train(inputs))), tmp_path_factory)


@given(data=st.data())
@examples(3)
def test_rsmi_coarse_grain(data: st.DataObject, inputs: Path,
                           tmp_path_factory: pytest.TempPathFactory) -> None:
    check_cases(data.draw(batches(rsmi_coarse_grain(inputs))), tmp_path_factory)


@given(data=st.data())
@examples(3)
def test_rsmi_thermometer(data: st.DataObject, inputs: Path,
                          tmp_path_factory: pytest.TempPathFactory) -> None:
    check_cases(data.draw(batches(rsmi_thermometer(inputs), 3)), tmp_path_factory)


# ------------------------------------------------------------------------------ RG commands
def temperature_list(draw: Callable, count: st.SearchStrategy[int]) -> str:
    temps = draw(st.lists(st.floats(1.5, 3.5), min_size=draw(count), max_size=4, unique=True))
    return ",".join(f"{t:.3f}" for t in temps)


@st.composite
def rg_exponents(draw: Callable, inputs: Path) -> Case:
    valid = {
        "<source>": inputs / "ising.h5",  # L = 8: one level of b = 2 down to 4 x 4
        "--rule": draw(st.sampled_from(["majority", "decimation", "majority:2",
                                        f"rsmi:{inputs / 'filter.h5'}"])),
        "--levels": draw(st.sampled_from([None, 1])),
        "--operators": draw(st.none() | st.integers(1, 8)),
        "--seed": draw(SEEDS),
        "--device": draw(DEVICES),
    }
    invalid = {
        "<source>": st.sampled_from([inputs / "missing.h5", inputs / "images.npy"]),
        "--rule": st.sampled_from(["bogus", "majority:1", "majority:x", "rsmi",
                                   f"rsmi:{inputs / 'missing.h5'}"]),
        "--levels": st.sampled_from([0, -1]),
        "--operators": st.sampled_from([0, 99]),
        "--seed": BAD_SEEDS,
        "--device": BAD_DEVICES,
    }
    return case(draw, ("rg", "exponents"), valid, invalid)


@st.composite
def rg_flow(draw: Callable) -> Case:
    valid = {
        "--rule": draw(st.sampled_from(["majority", "decimation"])),
        "-L": draw(st.sampled_from([12, 16])),  # level 2 must stay >= 3 x 3
        "--temperatures": temperature_list(draw, st.just(3)),
        "--levels": 2,
        "--replicas": draw(st.integers(4, 10)),  # 8..20 samples: 8 to 16 jackknife blocks
        "--samples": 2,
        "--seed": draw(SEEDS),
        "--device": draw(DEVICES),
        "-o": "flow.png",
    }
    invalid = {
        "--rule": st.just("bogus"),
        "-L": st.sampled_from([0, 8]),
        "--temperatures": st.sampled_from(["2.0,2.3", "a,b,c", "-1,2,3"]),
        "--levels": st.sampled_from([0, 1]),
        "--replicas": st.sampled_from([1, 3]),  # fewer than 8 samples
        "--seed": BAD_SEEDS,
        "--device": BAD_DEVICES,
        "-o": st.sampled_from(["flow.txt", "nodir/flow.png"]),
    }
    return case(draw, ("rg", "flow"), valid, invalid, ("flow.png",),
                words={"--replicas": ("--replicas", "--samples")})


@st.composite
def rg_collapse(draw: Callable) -> Case:
    valid = {
        "--sizes": draw(st.sampled_from(["4,6", "4,8", "6,8"])),
        "--temperatures": temperature_list(draw, st.integers(3, 4)),
        "--replicas": draw(st.integers(1, 4)),
        "--sweeps": draw(st.integers(5, 20)),
        "--seed": draw(SEEDS),
        "--device": draw(DEVICES),
    }
    invalid = {
        "--sizes": st.sampled_from(["4", "x,y", "4,5"]),
        "--temperatures": st.sampled_from(["2.1,2.2", "a,b,c", "0,1,2"]),
        "--replicas": BAD_COUNTS,
        "--sweeps": BAD_COUNTS,
        "--seed": BAD_SEEDS,
        "--device": BAD_DEVICES,
    }
    return case(draw, ("rg", "collapse"), valid, invalid)


@given(data=st.data())
@examples(2)
def test_rg_exponents(data: st.DataObject, inputs: Path,
                      tmp_path_factory: pytest.TempPathFactory) -> None:
    check_cases(data.draw(batches(rg_exponents(inputs), 6)), tmp_path_factory)


@given(seed=BAD_SEEDS.filter(lambda s: s != "x"))
@examples(2)
def test_seed_checked_where_unused(seed: int, inputs: Path,
                                   tmp_path_factory: pytest.TempPathFactory) -> None:
    """Paths that never turn the seed into a key refuse a bad --seed all the same (the
    random draws above seldom pair a bad seed with such a path)."""
    commands = [("rg", "exponents", str(inputs / "ising.h5"), "--rule", "decimation"),
                ("rg", "exponents", str(inputs / "ising.h5"), "--rule",
                 f"rsmi:{inputs / 'filter.h5'}"),
                ("dimer", "convert", str(inputs / "dimer.h5"), "out.npy")]
    check_cases([Case((*c, "--seed", str(seed)), (), False, ("seed", "[0, 2^64)"))
                 for c in commands], tmp_path_factory)


@given(cases=batches(rg_flow(), 2))
@examples(2)
def test_rg_flow(cases: list[Case], tmp_path_factory: pytest.TempPathFactory) -> None:
    check_cases(cases, tmp_path_factory)


@pytest.mark.slow
@given(cases=batches(rg_collapse(), 2))
@examples(2)
def test_rg_collapse(cases: list[Case], tmp_path_factory: pytest.TempPathFactory) -> None:
    check_cases(cases, tmp_path_factory)


# ------------------------------------------------------------------- main job, benchmarks
@st.composite
def run_ising_invalid(draw: Callable) -> Case:
    """``gpurg run ising`` with one invalid value: a valid job takes most of a minute even
    at its smallest (test_mainjob.py runs one)."""
    valid = {"-L": 16, "--samples": 2, "--replicas": 8, "--level": 1, "--device": "numpy",
             "--seed": draw(SEEDS), "-o": "job.h5"}
    invalid = {
        "-L": st.sampled_from([0, 8, 20]),
        "--samples": st.sampled_from([0, 1]),
        "--replicas": st.sampled_from([0, 4]),
        "--device": BAD_DEVICES,
        "--seed": BAD_SEEDS,
        "-o": st.sampled_from(["job.txt", "nodir/job.h5"]),
    }
    return case(draw, ("run", "ising"), valid, invalid, must_fail=True)


@st.composite
def bench_ising(draw: Callable) -> Case:
    valid = {
        "--device": draw(DEVICES),
        "--algorithms": ",".join(draw(st.lists(
            st.sampled_from(["metropolis", "heatbath", "swendsen-wang"]), min_size=1,
            max_size=2, unique=True))),
        "--sizes": draw(st.sampled_from(["4", "8", "4,8"])),
        "--replicas": draw(st.sampled_from(["1", "2", "1,3"])),
        "--seconds": draw(st.floats(0.002, 0.01)),
    }
    invalid = {
        "--device": BAD_DEVICES,
        "--algorithms": st.sampled_from(["wolff", "metropolis,"]),
        "--sizes": st.sampled_from(["a,b", "0", ""]),
        "--replicas": st.sampled_from(["0", "x"]),
        "--seconds": st.sampled_from([0, -1, "nan"]),
    }
    flags = draw(st.sampled_from([(), ("--json",)]))
    return case(draw, ("bench", "ising"), valid, invalid, flags=flags)


@st.composite
def bench_dimer(draw: Callable) -> Case:
    valid = {
        "--device": draw(DEVICES),
        "--models": draw(st.sampled_from(["free", "interacting", "free,interacting"])),
        "--sizes": draw(st.sampled_from(["4", "6", "4,8"])),
        "--replicas": draw(st.sampled_from(["1", "2"])),
        "--seconds": draw(st.floats(0.002, 0.01)),
    }
    invalid = {
        "--device": BAD_DEVICES,
        "--models": st.just("hot"),
        "--sizes": st.sampled_from(["5", "2", "a"]),
        "--replicas": st.sampled_from(["0", "x"]),
        "--seconds": st.sampled_from([0, -1]),
    }
    flags = draw(st.sampled_from([(), ("--json",)]))
    return case(draw, ("bench", "dimer"), valid, invalid, flags=flags)


@given(cases=batches(run_ising_invalid(), 4))
@examples(2)
def test_run_ising_rejects(cases: list[Case], tmp_path_factory: pytest.TempPathFactory) -> None:
    check_cases(cases, tmp_path_factory)


@given(cases=batches(bench_ising(), 3))
@examples(2)
def test_bench_ising(cases: list[Case], tmp_path_factory: pytest.TempPathFactory) -> None:
    check_cases(cases, tmp_path_factory)


@given(cases=batches(bench_dimer(), 3))
@examples(2)
def test_bench_dimer(cases: list[Case], tmp_path_factory: pytest.TempPathFactory) -> None:
    check_cases(cases, tmp_path_factory)


@pytest.mark.slow
@given(pairs=st.integers(1000, 1500) | st.sampled_from([0, 999]), device=DEVICES,
       as_json=st.booleans())
@examples(1)
def test_bench_rsmi(pairs: int, device: str, as_json: bool,
                    tmp_path_factory: pytest.TempPathFactory) -> None:
    """Few pairs make the held-out MI noisy (it can be negative): no StopIteration."""
    args = ("bench", "rsmi", "--device", device, "--pairs", str(pairs),
            *(("--json",) if as_json else ()))
    check_cases([Case(args, (), pairs >= 1000)], tmp_path_factory)


@pytest.mark.slow
@given(seconds=st.floats(0.001, 0.01) | st.sampled_from([0.0, -1.0]), device=DEVICES)
@examples(1)
def test_bench_rbm(seconds: float, device: str,
                   tmp_path_factory: pytest.TempPathFactory) -> None:
    args = ("bench", "rbm", "--device", device, "--seconds", str(seconds))
    check_cases([Case(args, (), seconds > 0)], tmp_path_factory)
