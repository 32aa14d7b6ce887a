"""Bad input generated from the constraint tables (gpurg.validation): every value each
constraint lists as bad is tried on every checked library function and every checked CLI
option, and must end in an InputError, or one error line and exit code 2, naming the
parameter. A checked function without a valid example call here fails the suite, so a new
table cannot go untested; so does an int or float CLI option without a constraint."""

from __future__ import annotations

import importlib
import inspect
import math
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import typer

import gpurg.cli.main  # noqa: F401  (imports every command, and with them the library)
import gpurg.models.ising_rows  # noqa: F401  (not yet imported by the samplers)
import gpurg.parallel  # noqa: F401  (imported by the CLI only where a grid runs)
import gpurg.rg.torus_exact  # noqa: F401  (a checked module no command imports)
from gpurg.cli.main import app, main
from gpurg.errors import InputError
from gpurg.validation import (
    CHECKED,
    SEED,
    Choice,
    Constraint,
    Flag,
    Integer,
    Real,
)

# ------------------------------------------------------------------------- constraints
GOOD: list[tuple[Constraint, Any, Any]] = [  # (constraint, value, normalised)
    (Integer(1), 1, 1), (Integer(1), np.int64(7), 7), (Integer(None, 3), -5, -5),
    (Integer(0, 2, optional=True), None, None), (SEED, 2**64 - 1, 2**64 - 1),
    (SEED, np.uint64(2**63), 2**63), (Integer(4, 64, multiple=2), 6, 6),
    (Integer(16, multiple=16), 48, 48),
    (Real(0, 1), 0, 0.0), (Real(0, 1), 1.0, 1.0), (Real(0, low_open=True, inf=True), math.inf,
                                                     math.inf),
    (Real(), np.float32(2.5), 2.5), (Choice(("a", "b")), "b", "b"), (Flag(), np.True_, True),
]


@pytest.mark.parametrize(("constraint", "value", "normalised"), GOOD)
def test_good_values_pass_normalised(constraint: Constraint, value: Any, normalised: Any) -> None:
    out = constraint.check("x", value)
    assert out == normalised and type(out) is type(normalised)


CONSTRAINTS = [Integer(1), Integer(None, 3), Integer(-2, 2), Integer(4, 64, multiple=2),
               Integer(16, multiple=16), SEED, Real(0, 1), Real(),
               Real(0, 1, low_open=True, high_open=True), Real(0, low_open=True, inf=True),
               Choice(("a", "b")), Flag()]


@pytest.mark.parametrize("constraint", CONSTRAINTS, ids=repr)
def test_bad_values_are_refused_naming_the_parameter(constraint: Constraint) -> None:
    assert constraint.bad_values()
    for bad in constraint.bad_values():
        with pytest.raises(InputError, match="the_name"):
            constraint.check("the_name", bad)


def test_multiples_are_described_and_checked() -> None:
    with pytest.raises(InputError, match=r"^L must be an even integer in \[4, 64\], got 5$"):
        Integer(4, 64, multiple=2).check("L", 5)
    with pytest.raises(InputError, match=r"must be a multiple of 16 >= 16, got 40"):
        Integer(16, multiple=16).check("L", 40)


def test_bools_and_integral_floats_are_not_integers() -> None:
    for bad in (True, 3.0, "3"):
        with pytest.raises(InputError, match=r"must be an integer >= 1, got"):
            Integer(1).check("epochs", bad)


# ------------------------------------------------------------------- library functions
def _valid(function: Callable[..., Any]) -> tuple[tuple, dict]:
    """A valid call of a checked function: its example, or its defaults if it needs none."""
    name = f"{function.__module__}.{function.__qualname__}"
    if name in EXAMPLES:
        return EXAMPLES[name]()
    return (), {}


# rsmi and rbm
def _bare(module: str, name: str) -> Any:
    """An instance whose __init__ has not run: the self of a checked __init__."""
    cls = getattr(importlib.import_module(module), name)
    return cls.__new__(cls)


def _pairs(n_v: int) -> tuple[np.ndarray, np.ndarray]:
    """128 (V, E) pairs of ±1 values: the fewest train_rule splits (32 held out)."""
    rng = np.random.default_rng(0)
    return (rng.choice(np.array([-1, 1], np.int8), (128, n_v)),
            rng.choice(np.array([-1, 1], np.int8), (128, 2)))


def _estimator() -> Any:
    from gpurg.rsmi.estimators.variational import VariationalEstimator

    return VariationalEstimator(1, epochs=1, width=2)


def _rbm(n_visible: int) -> Any:
    from gpurg.rbm import RBM

    return RBM.random(n_visible, 2, device="numpy")


# rg, stats, exact, jobs
def _spins(n: int, L: int) -> np.ndarray:
    """int8 (n, L, L) random ±1 configurations."""
    return np.random.default_rng(0).choice(np.array([-1, 1], np.int8), (n, L, L))


def _flow(operators: tuple[str, ...] = ("nn", "nnn")) -> Any:
    """A CouplingFlow of 3 temperatures x 3 levels x 8 blocks, its couplings crossing at 2.5."""
    from gpurg.rg.flow import CouplingFlow

    T = np.array([2.0, 2.5, 3.0])
    K = np.zeros((3, 3, len(operators)))
    K[..., 0] = (2.5 - T)[:, None] * np.arange(3)[None, :] + 0.4
    jack = K[:, :, None, :] + np.linspace(-1e-3, 1e-3, 8)[None, None, :, None]
    return CouplingFlow(T, operators, K, np.full_like(K, 1e-3), jack, np.array([16, 8, 4]))


def _curves() -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Binder curves of L = 8, 16 crossing at T = 2.27."""
    T = np.linspace(2.1, 2.4, 5)
    return {L: (T, 0.6 - (T - 2.27) * L, np.full(5, 0.01)) for L in (8, 16)}


def _numpy() -> Any:
    from gpurg.backend import get_backend

    return get_backend("numpy")


# models and sampling
def _model(name: str) -> Any:
    """The smallest model of that name (L = 4)."""
    from gpurg.models.base import model_class

    return model_class(name)(4, 2.0)


def _ising_sampler() -> Any:
    from gpurg.models.ising import IsingSampler

    return IsingSampler(_model("ising"), device="numpy")


# rsmi geometry and exact
def _geometry() -> Any:
    """A 2x2 block, no buffer, a one-site environment ring: 12 environment sites."""
    from gpurg.rsmi.geometry import Geometry

    return Geometry(2, 0, 1)


# A valid call (positional args, keyword args) of each checked function that cannot be called
# with its defaults alone, by "module.qualname". Keep the calls cheap: each bad value of each
# parameter is tried once, and the check happens before any work.
EXAMPLES: dict[str, Callable[[], tuple[tuple, dict]]] = {
    # rsmi and rbm
    "gpurg.optim.Adam.__init__": lambda: ((_bare("gpurg.optim", "Adam"),
                                          {"w": np.zeros(2)}), {}),
    "gpurg.rsmi.estimators.MIEstimator.__init__": lambda: (
        (_bare("gpurg.rsmi.estimators.variational", "VariationalEstimator"),), {}),
    "gpurg.rsmi.estimators.rbm.RBMEstimator.__init__": lambda: (
        (_bare("gpurg.rsmi.estimators.rbm", "RBMEstimator"),), {}),
    "gpurg.rsmi.training.train_rule": lambda: (_pairs(4), {"epochs": 1, "restarts": 1,
                                                            "width": 2}),
    "gpurg.rsmi.training.fit": lambda: ((_estimator(), *_pairs(4)), {}),
    "gpurg.rsmi.ensemble.train_ensemble": lambda: ((_spins(4, 6), {}, _geometry()), {
        "seeds": 1, "pairs": 128, "epochs": 1, "restarts": 1}),
    "gpurg.rsmi.rbm_estimator.train_rule_rbm": lambda: (_pairs(2), {
        "rbm_hidden": 2, "rbm_options": {"epochs": 1}, "epochs": 1, "device": "numpy"}),
    "gpurg.rsmi.rbm_estimator.rule_information": lambda: ((
        _rbm(4), np.ones((1, 2)), np.zeros(1), *_pairs(2)), {}),
    "gpurg.rbm.training.fit_rbm": lambda: ((_pairs(2)[0], 2), {"epochs": 1,
                                                               "device": "numpy"}),
    "gpurg.rsmi.likelihood.train_block_rbm": lambda: ((_spins(2, 4), 2, 1), {
        "blocks": 4, "epochs": 1, "device": "numpy"}),
    "gpurg.rsmi.grainer.RsmiCoarseGrainer.__init__": lambda: (
        (_bare("gpurg.rsmi.grainer", "RsmiCoarseGrainer"),), {}),
    # rg, stats, exact, jobs
    "gpurg.stats.integrated_autocorrelation_time": lambda: (
        (np.random.default_rng(0).normal(size=1000),), {}),
    "gpurg.stats.jackknife": lambda: ((lambda a: a, np.arange(8.0).reshape(4, 2)), {}),
    "gpurg.stats.summarize_ising": lambda: (
        (dict.fromkeys(("e", "m", "abs_m", "m2", "m4"),
                       np.random.default_rng(0).normal(size=(2, 8))), 16, 2.0), {}),
    "gpurg.stats.jackknife_labels": lambda: ((10, 5), {}),
    "gpurg.models.ising_exact.log_partition_function": lambda: ((0.4, 4, 4), {}),
    "gpurg.models.ising_exact.energy_and_specific_heat": lambda: ((0.4, 4), {}),
    "gpurg.models.ising_exact.density_of_states": lambda: ((4,), {}),
    "gpurg.models.ising_exact.exact_observables": lambda: ((4, 2.0), {}),
    "gpurg.models.ising_exact.boltzmann_probabilities": lambda: ((2, 2.0), {}),
    "gpurg.models.ising_exact.onsager_energy": lambda: ((0.4,), {}),
    "gpurg.models.ising_exact.spontaneous_magnetization": lambda: ((0.5,), {}),
    "gpurg.models.ising_exact.correlation_length": lambda: ((0.3,), {}),
    "gpurg.models.ising_exact.exact_reference": lambda: ((4, 2.0), {}),
    "gpurg.models.ising3d_exact.boltzmann_probabilities": lambda: (((2, 2, 2), 4.0), {}),
    "gpurg.models.ising3d_exact.exact_observables": lambda: (((2, 2, 2), 4.0), {}),
    "gpurg.models.ising3d_exact.exact_reference": lambda: ((2, 4.0), {}),
    "gpurg.models.ising3d_exact.susceptibility_series": lambda: ((0.1,), {"L": 8}),
    "gpurg.models.dimer_exact.kasteleyn_log_count": lambda: ((4, 4), {}),
    "gpurg.models.dimer_exact.kasteleyn_count": lambda: ((4, 4), {}),
    "gpurg.models.dimer_exact.winding_sector_counts": lambda: ((4,), {}),
    "gpurg.models.dimer_exact.count_by_transfer_matrix": lambda: ((4,), {}),
    "gpurg.models.dimer_exact.enumerate_coverings": lambda: ((4,), {}),
    "gpurg.models.dimer_exact.ExactDimer.probabilities": lambda: (
        (importlib.import_module("gpurg.models.dimer_exact").ExactDimer(
            np.array([[[0, 2, 0, 2]] * 4], np.int8)), -1.0, 1.0), {}),
    "gpurg.models.dimer_exact.exact_reference": lambda: ((4, -1.0, 1.0), {}),
    "gpurg.models.ising_exact.thermal_averages": lambda: (
        (np.array([0.5, 0.5]), np.array([-2.0, 2.0]), np.array([1.0, -1.0]), 4, 2.0), {}),
    "gpurg.models.ising_exact.boltzmann_weights": lambda: (
        (np.array([4, -4]), np.array([4, 0]), 2.0, 1.0, 0.0), {}),
    "gpurg.rg.operators.n_fitting": lambda: ((("nn", "nnn"), 8), {}),
    "gpurg.rg.operators.shapes": lambda: ((3,), {}),
    "gpurg.rg.operators.operator_sets": lambda: ((3,), {}),
    "gpurg.rg.operators.span": lambda: (("cube", 3), {}),
    "gpurg.rg.mcrg.rg_levels": lambda: (
        (_spins(2, 8), importlib.import_module("gpurg.rg.maps").MajorityRule(2), 1), {}),
    "gpurg.rg.mcrg.max_levels": lambda: ((16, 2), {}),
    "gpurg.rg.mcrg.mcrg": lambda: (
        (_spins(16, 8), importlib.import_module("gpurg.rg.maps").MajorityRule(2)), {}),
    "gpurg.rg.mcrg.level_sums": lambda: (
        (_spins(16, 8), importlib.import_module("gpurg.rg.maps").MajorityRule(2)), {}),
    "gpurg.rg.collapse.binder_curves": lambda: (
        ([4], [2.0]), {"replicas": 1, "sweeps": 3, "thermalize": 0, "device": "numpy"}),
    "gpurg.rg.collapse.collapse_quality": lambda: ((_curves(), 1.0, 2.27), {}),
    "gpurg.rg.collapse.collapse_nu": lambda: ((_curves(),), {"bootstrap": 2}),
    "gpurg.rg.flow.pseudo_likelihood_couplings": lambda: ((_spins(16, 4),), {}),
    "gpurg.rg.flow.decimate_chain": lambda: ((_spins(2, 8)[:, 0],), {}),
    "gpurg.rg.flow.coupling_flow": lambda: (
        ({2.0: _spins(16, 8), 3.0: _spins(16, 8)},
         importlib.import_module("gpurg.rg.maps").MajorityRule(2), 1), {}),
    "gpurg.rg.flow.critical_temperature": lambda: ((_flow(),), {}),
    "gpurg.rg.flow.sampled_coupling_flow": lambda: (
        (8, [2.0, 3.0], importlib.import_module("gpurg.rg.maps").MajorityRule(2), 1), {
            "replicas": 4, "samples": 2, "blocks": 8, "device": "numpy"}),
    "gpurg.rg.hamiltonian.fit_hamiltonian": lambda: ((_spins(16, 4),), {}),
    "gpurg.rg.hamiltonian.check_operators": lambda: ((("nn",), 4), {}),
    "gpurg.rg.hamiltonian.coarse_hamiltonians": lambda: (
        (_spins(16, 8), importlib.import_module("gpurg.rg.maps").MajorityRule(2)), {}),
    "gpurg.rg.torus_exact.rule_table": lambda: (("majority",), {}),
    "gpurg.rg.torus_exact.all_states": lambda: ((2,), {}),
    "gpurg.rg.torus_exact.operator_subsets": lambda: (("nn", 3), {}),
    "gpurg.rg.torus_exact.coarse_law": lambda: ((4, 0.4, "majority"), {}),
    "gpurg.rg.torus_exact.brute_force_law": lambda: ((0.4, "majority"), {}),
    "gpurg.rg.torus_exact.ising_law": lambda: ((2, 0.4), {}),
    "gpurg.rg.torus_exact.CoarseLaw.sample": lambda: (
        (importlib.import_module("gpurg.rg.torus_exact").ising_law(2, 0.4), 3), {}),
    "gpurg.jobs.bench.bench_ising": lambda: (
        (_numpy(), "metropolis", 4, 1), {"min_seconds": 1e-3}),
    "gpurg.jobs.bench.bench_grid": lambda: (
        (_numpy(), ("metropolis",), (4,), (1,)), {"min_seconds": 1e-3}),
    "gpurg.jobs.bench.bench_dimer": lambda: ((_numpy(), "free", 4, 1), {"min_seconds": 1e-3}),
    "gpurg.jobs.bench.bench_dimer_grid": lambda: (
        (_numpy(), ("free",), (4,), (1,)), {"min_seconds": 1e-3}),
    "gpurg.jobs.bench.bench_rsmi": lambda: (
        (_numpy(),), {"L": 16, "pairs": 1000, "epochs": 1}),
    "gpurg.jobs.bench.bench_rbm": lambda: (
        (_numpy(),), {"n_rbm": 1, "n_chain": 2, "n_visible": 2, "n_hidden": 2,
                      "min_seconds": 1e-3}),
    "gpurg.jobs.dimerjob.run_dimer": lambda: (
        (), {"L": 16, "samples": 2, "replicas": 2, "pairs": 128, "blocks": 128,
             "device": "numpy"}),
    "gpurg.jobs.mainjob.run_ising": lambda: (
        (), {"L": 16, "samples": 2, "replicas": 8, "pairs": 256, "epochs": 1,
             "device": "numpy"}),
    # models and sampling
    "gpurg.models.ising.IsingSampler.__init__": lambda: (
        (_bare("gpurg.models.ising", "IsingSampler"), _model("ising")), {"device": "numpy"}),
    "gpurg.models.ising3d.Ising3DSampler.__init__": lambda: (
        (_bare("gpurg.models.ising3d", "Ising3DSampler"), _model("ising3d")),
        {"device": "numpy"}),
    "gpurg.models.dimer.DimerSampler.__init__": lambda: (
        (_bare("gpurg.models.dimer", "DimerSampler"), _model("dimer")),
        {"device": "numpy", "worms_per_sweep": 1}),
    "gpurg.models.dimer.DimerImages.__init__": lambda: (
        (_bare("gpurg.models.dimer", "DimerImages"),), {}),
    "gpurg.models.ising_rows.RowBits.__init__": lambda: (
        (_bare("gpurg.models.ising_rows", "RowBits"), 64, 1, _numpy()), {}),
    "gpurg.models.ising_rows_numpy.rows_halfsweep": lambda: (
        (np.zeros((1, 2, 64, 1), np.uint32), np.zeros(10, np.uint64), 0, 0, (0, 0)), {}),
    "gpurg.models.ising_rows_numpy.rows_sweep": lambda: (
        (np.zeros((1, 2, 64, 1), np.uint32), np.zeros(10, np.uint64), 0, (0, 0)), {}),
    "gpurg.parallel.point_seed": lambda: ((7,), {"L": 16, "T": 2.2}),
    "gpurg.jobs.sweep.ising_grid": lambda: (([4], [2.0]), {}),
    "gpurg.jobs.sweep.dimer_grid": lambda: (([4], [2.0]), {}),
    "gpurg.jobs.sweep.run_sweep": lambda: (
        ("ising", [{"L": 4, "T": 2.0, "J": 1.0, "h": 0.0, "seed_index": 0}],
         Path(tempfile.mkdtemp()) / "sweep.h5"),
        {"sweeps": 1, "device": "numpy",
         "engine": importlib.import_module("gpurg.parallel").Engine(workers=0)}),
    "gpurg.sampling.sample": lambda: ((_ising_sampler(),), {"sweeps": 1}),
    "gpurg.sampling.sample_ising": lambda: ((_model("ising"),), {"sweeps": 1,
                                                                  "device": "numpy"}),
    "gpurg.sampling.sample_dimer": lambda: ((_model("dimer"),), {
        "sweeps": 1, "device": "numpy", "worms_per_sweep": 1, "start": "columnar"}),
    # rsmi geometry and exact
    "gpurg.rsmi.geometry.block_origins": lambda: ((4, 4), {}),
    "gpurg.rsmi.geometry.lattice_origins": lambda: (((4, 4, 4),), {}),
    "gpurg.rsmi.geometry.random_positions": lambda: ((2, np.zeros((1, 2), np.int64), 3, 0), {}),
    "gpurg.rsmi.geometry.extract_pairs": lambda: ((_spins(2, 4), _geometry()), {"positions": 3}),
    "gpurg.rsmi.exact.chain_segment_probabilities": lambda: ((0.5, 3), {}),
    "gpurg.rsmi.exact.chain_mutual_information": lambda: ((0.5,), {}),
    "gpurg.rsmi.exact.chain_rule_information": lambda: ((0.5, [[1.0, 0.0]], [0.0]), {}),
    "gpurg.rsmi.exact.chain_coarse_distribution": lambda: ((0.5, [[1.0, 0.0]], [0.0], 2), {}),
    "gpurg.rsmi.exact.chain_block_environment": lambda: ((0.5,), {}),
    "gpurg.rg.chain.chain_couplings": lambda: ((0.5, 1.0, 0.0), {}),
    "gpurg.rg.chain.chain_cumulant_couplings": lambda: ((0.5, 1.0, 0.0, 2), {}),
    "gpurg.rg.landscape.chain_point": lambda: ((0.5, 1.0, 0.0), {}),
    "gpurg.rg.landscape.chain_landscape": lambda: ((0.1,), {"grid": 3}),
    "gpurg.rg.landscape.chain_training_path": lambda: ((0.5,), {"pairs": 200, "epochs": 1}),
    "gpurg.rg.landscape.chain_exact_path": lambda: ((0.5,), {"steps": 3}),
    "gpurg.rsmi.exact.sample_chain": lambda: ((0.5, 2, 5), {}),
    "gpurg.rsmi.exact.ising_block_conditional": lambda: (
        (0.3, _geometry(), np.ones((1, 12), np.int8)), {}),
    "gpurg.rsmi.exact.ising_local_information": lambda: (
        (0.3, _geometry(), np.ones((1, 4)), [0.0], _spins(16, 12)[:, 0]), {}),
    "gpurg.rsmi.exact.ising_block_information": lambda: (
        (0.3, _geometry(), _spins(16, 12)[:, 0]), {}),
    "gpurg.stats.pooled_chi_square": lambda: ((np.array([5.0, 6.0]), np.array([5.5, 5.5])),
                                              {}),
    "gpurg.rsmi.exact.ising_rules_information": lambda: (
        (0.3, _geometry(), np.ones((2, 4)), _spins(16, 12)[:, 0]), {}),
    "gpurg.rg.block_landscape.block_landscape": lambda: (
        (_spins(16, 8), 0.4), {"grid": 3, "fit_grid": 3, "positions": 64}),
    # import
    "gpurg.io.importers.import_configurations": lambda: (
        (_spins(2, 4),), {"model": "ising", "T": 2.0,
                          "output": Path(tempfile.mkdtemp()) / "imported.h5"}),
}


def _checked() -> Iterator[Any]:
    for function in CHECKED:
        for parameter, constraint in function.constraints.items():
            for bad in constraint.bad_values():
                yield pytest.param(function, parameter, bad,
                                   id=f"{function.__qualname__}-{parameter}-{bad!r}")


def test_every_checked_function_has_a_valid_call() -> None:
    for function in CHECKED:
        args, kwargs = _valid(function)
        function(*args, **kwargs)  # must not raise


@pytest.mark.parametrize(("function", "parameter", "bad"), list(_checked()))
def test_checked_functions_refuse_bad_values(function: Callable[..., Any], parameter: str,
                                             bad: Any) -> None:
    args, kwargs = _valid(function)
    bound = inspect.signature(function).bind_partial(*args, **kwargs)
    bound.arguments[parameter] = bad
    with pytest.raises(InputError, match=parameter):
        function(*bound.args, **bound.kwargs)


# ------------------------------------------------------------------------ CLI options
def _commands(group: typer.Typer, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...],
                                                                          Callable]]:
    for command in group.registered_commands:
        yield (*path, command.name or command.callback.__name__), command.callback
    for sub in group.registered_groups:
        yield from _commands(sub.typer_instance, (*path, sub.name))


COMMANDS = list(_commands(app, ()))


def _options() -> Iterator[tuple[tuple[str, ...], str, Any, Constraint | None]]:
    """(command path, option name, its annotation, its constraint or None) of every option."""
    for path, callback in COMMANDS:
        for parameter in inspect.signature(callback).parameters.values():
            info = parameter.default
            if isinstance(info, typer.models.OptionInfo):
                name = max(info.param_decls, key=len) if info.param_decls else \
                    "--" + parameter.name.replace("_", "-")
                yield path, name, parameter.annotation, getattr(info.callback, "constraint",
                                                                 None)


def test_commands_are_found() -> None:
    assert ("rsmi", "train") in [p for p, _ in COMMANDS]
    assert len(COMMANDS) >= 10


# Number options whose values are not bounded by a rule (none yet); any other int or float
# option must carry a constraint (cli.common.checked_option or a constraint's callback)
UNCHECKED: set[tuple[tuple[str, ...], str]] = set()


def test_every_number_option_has_a_constraint() -> None:
    missing = [f"gpurg {' '.join(path)} {name}" for path, name, annotation, constraint
               in _options() if constraint is None and str(annotation) in (
                   "int", "float", "int | None", "float | None", "Optional[int]",
                   "Optional[float]") and (path, name) not in UNCHECKED]
    assert not missing, f"options without a constraint: {missing}"


def _cli_cases() -> Iterator[Any]:
    for path, name, _, constraint in _options():
        if constraint is None:
            continue
        for bad in constraint.bad_values():
            text = str(bad)
            yield pytest.param([*path, name, text], name, text,
                               id=f"{' '.join(path)} {name} {text}")


def _error_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """The one line the CLI prints for ``argv`` when it exits 2 (asserted)."""
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    out, err = capsys.readouterr()
    assert exit_info.value.code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), err
    return lines[0]


@pytest.mark.parametrize(("argv", "option", "text"), list(_cli_cases()))
def test_cli_options_refuse_bad_values(argv: list[str], option: str, text: str,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    # the bad option alone: Click processes the options given first, so its check runs
    # before the command's missing arguments are noticed
    line = _error_line(argv, capsys)
    assert option in line and text in line, line


# rg, stats, exact, jobs
# Modules whose public functions take their numbers through a @checked table: a new one with
# an int or float parameter fails here until it has one (and then an EXAMPLES entry above).
TABLED_MODULES = ("gpurg.rg.flow", "gpurg.rg.mcrg", "gpurg.rg.collapse", "gpurg.rg.operators",
                  "gpurg.rg.hamiltonian", "gpurg.rg.torus_exact",
                  "gpurg.stats", "gpurg.models.ising_exact", "gpurg.models.dimer_exact",
                  "gpurg.jobs.mainjob", "gpurg.jobs.bench", "gpurg.jobs.selftest",
                  "gpurg.jobs.sweep")
# public functions of those modules that take numbers without a table, and why
UNTABLED = {
    # a valid call runs the whole statistical check (seconds); sigmas is set by run_selftest
    "gpurg.jobs.selftest.check_exact_energy", "gpurg.jobs.selftest.check_dimer_energy",
}
_NUMBER = ("int", "float", "int | None", "float | None")


def test_public_functions_with_numbers_have_tables() -> None:
    tabled = {f"{f.__module__}.{f.__qualname__}" for f in CHECKED}
    missing = []
    for module_name in TABLED_MODULES:
        module = importlib.import_module(module_name)
        for name, function in vars(module).items():
            qualified = f"{module_name}.{name}"
            if (name.startswith("_") or not inspect.isfunction(function)
                    or function.__module__ != module_name or qualified in UNTABLED):
                continue
            numbers = [p for p in inspect.signature(function).parameters.values()
                       if str(p.annotation) in _NUMBER]
            if numbers and qualified not in tabled:
                missing.append(qualified)
    assert not missing, f"public functions with number parameters but no @checked table: {missing}"


LIST_OPTIONS = [  # (argv, the bad item): list options check each item by its element's rule
    (["rg", "flow", "--temperatures", "2.2,x,2.4"], "'x'"),
    (["rg", "flow", "--temperatures", "2.2,0,2.4"], "0"),
    (["rg", "collapse", "--sizes", "8,2.5"], "2.5"),
    (["rg", "collapse", "--temperatures", "2.2,nan,2.4"], "nan"),
    (["bench", "ising", "--sizes", "8,3"], "3"),
    (["bench", "dimer", "--sizes", "8,6,10,5"], "5"),  # odd: the sampler's torus is even
    (["bench", "ising", "--replicas", "1,0"], "0"),
    (["bench", "dimer", "--replicas", "four"], "'four'"),
    (["sweep", "ising", "-o", "s.h5", "-T", "2.2,x"], "'x'"),
    (["sweep", "dimer", "-o", "s.h5", "-L", "6,5"], "5"),
]


@pytest.mark.parametrize(("argv", "item"), LIST_OPTIONS, ids=lambda a: " ".join(a)
                         if isinstance(a, list) else a)
def test_list_options_refuse_bad_items(argv: list[str], item: str,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    line = _error_line(argv, capsys)
    assert argv[-2] in line and item in line, line
