"""The example scripts (examples/*.py, examples/README.md) run: each with ``--quick`` in a
subprocess on the CPU, into a temporary ``--out``; it must exit 0, write its figure(s), which
must open as images, and a JSON of its numbers with no NaN value and the paper's claim where
the quick run is large enough to show it (the checks below, per script; the full runs'
numbers are in each script's docstring).

Bounds are wide on purpose where the quick run is small: they catch a broken script or a
result that went the wrong way, not a percent.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCRIPTS = sorted(p.stem for p in EXAMPLES.glob("*.py") if not p.stem.startswith("_"))


def _rows(data: dict) -> dict[str, dict]:
    return {r["quantity"]: r for r in data["rows"]}


def _check_ising_filters(data: dict) -> None:
    w = [x for row in data["filter_1"] for x in row]
    mean = sum(w) / 4
    assert min(w) > 0, w  # the block spin: all weights of one sign
    assert max(abs(x - mean) for x in w) < 0.5 * mean, w  # uniform within the quick run's spread
    assert data["mi_1"] > 0 and data["mi_4"] > data["mi_1"] - 4 * data["mi_4_err"]


def _check_ising_boundary_filter(data: dict) -> None:
    # the boundary outweighs the interior (quick runs' ratios 1.5-2.3 on seeds 0-4; single
    # weights are noisy after 15 epochs, one interior weight of seed 3 is negative)
    assert data["ratio"] > 1, data["filter"]


def _check_ising_thermometer(data: dict) -> None:
    read = data["read"]
    assert data["slope"] > 0, data  # MI grows with β through T_c
    assert abs(read["beta"] - read["true_beta"]) < 5 * read["beta_err"], read  # reads back β


def _check_ising_mi_hidden(data: dict) -> None:
    mi, err = data["mi"], data["mi_err"]
    assert mi[0] > 0
    for a, b, ea, eb in zip(mi, mi[1:], err, err[1:], strict=False):
        assert b > a - 4 * math.hypot(ea, eb), (mi, err)  # more units never lose information
    assert mi[1] - mi[0] < 0.2 * mi[0], mi  # most of it in one unit


def _check_ising_mi_buffer(data: dict) -> None:
    b, tc, tc_err = data["series"]["T = T_c"]
    _, hot, hot_err = data["series"]["T = 4"]
    i = b.index(2)
    assert tc[i] / tc[0] > 0.5, tc  # slow decay at T_c
    assert abs(hot[i]) < 4 * hot_err[i] + 1e-3, (hot, hot_err)  # gone in the paramagnet


def _check_ising_mi_temperature(data: dict) -> None:
    mi, err = data["mi"], data["mi_err"]
    assert mi[0] > mi[len(mi) // 2] > mi[-1] > 0, mi  # ordered > critical > paramagnet
    assert 0.9 * math.log(2) < mi[0] < math.log(2) + 4 * err[0], mi


def _check_ising_exponents(data: dict) -> None:
    for name, e in data["exponents"].items():
        assert abs(e["nu"] - 1.0) < 0.25, (name, e)  # the paper's 1.0 ± 0.15, with room
        assert abs(e["yh"] - 15 / 8) < 0.05, (name, e)


def _check_dimer_filters(data: dict) -> None:
    rows = _rows(data)
    for unit in (1, 2):
        assert rows[f"clean, unit {unit}: |λ|² share on bonds"]["value"] > 0.8, rows
        assert rows[f"clean, unit {unit}: |λ|² share in E_x, E_y plane"]["value"] > 0.3, rows


def _check_dimer_interacting(data: dict) -> None:
    mi, err, col2 = data["mi"], data["mi_err"], data["col2"]
    # columnar order at the lowest T, none at T = ∞ (the sampler's C² = C_x² + C_y²)
    assert col2[0] > 0.8 and col2[-1] < 0.1, col2
    # the replicas cover the four columnar states (MI ceiling ln 2 + H(p_y) near ln 4)
    assert data["replicas_lowest_T"]["ceiling"] > 1.2, data["replicas_lowest_T"]
    # the units read the order at low T, nothing at T = ∞ (quick: 0.55-0.65 against ~0)
    assert mi[0] > mi[-1] + 0.3 and mi[0] > mi[-1] + 10 * math.hypot(err[0], err[-1]), mi
    assert mi[0] > mi[1] > mi[-1] - 4 * err[-1], mi  # falls through T_KT
    rows = _rows(data)
    assert abs(rows["T = 0.4: e, random start − columnar start"]["value"]) < 0.01, rows


def _check_dimer_mi_buffer(data: dict) -> None:
    d = data["dimers"]
    b, mi, err = d["buffer"], d["mi"], d["mi_err"]
    i2, last = b.index(2), len(b) - 1
    # the local (shared-vertex) information is gone at one lattice spacing (quick: 0.23 -> 0.09)
    assert mi[b.index(1)] > 1.5 * mi[i2], mi
    # critical: MI still resolved at L_B = 6 px (quick: 12σ), decaying from L_B = 2 on
    assert mi[last] > 4 * err[last] and mi[i2] > mi[last] + 4 * math.hypot(err[i2], err[last]), d
    fit = d["power_even_from_2"]
    assert 0.3 < fit["value"] < 3.0, fit  # RSMI-NE: 1.16; full runs 1.27-1.41
    tc, hot = data["ising_tc"], data["ising_hot"]
    assert tc["mi"][-1] / tc["mi"][0] > 0.6 and tc["power"]["value"] < 0.4, tc  # slow at T_c
    assert hot["mi"][2] < 0.3 * hot["mi"][0], hot  # fast in the paramagnet (quick: 0.10)
    assert 0 < hot["exponential"]["value"] < 2.0, hot["exponential"]  # ξ < 2 entries


def _check_dimer_coarse_field(data: dict) -> None:
    res = data["results"]
    for name, sign in (("E_x template", 1), ("E_y template", -1)):  # dipolar, Δ = 1
        assert (res[name]["channel"], res[name]["sign"]) == ("axial", sign), res[name]
        assert abs(res[name]["delta"] - 1) < 0.2, res[name]
    at45 = res["(E_x + E_y)/√2 template"]  # the learned units' channel, same lattice
    assert at45["channel"] == "diagonal" and abs(at45["delta"] - 1) < 0.25, at45
    for n in (1, 2):
        for j in range(n):
            unit = res[f"{n}-unit rule, unit {j + 1}"]
            assert unit["field_share"] > 0.5, unit  # a staggered field filter (random: 0.03)
            assert unit["channel"] in ("axial", "diagonal"), unit  # dipolar, not isotropic
            assert abs(unit["delta"] - 1) < 0.4, unit  # the field's dimension (quick: 1.15-1.23)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Future, Path]]:
    """Every script's quick run, started at once two at a time (one per CI core: the scripts
    are mostly single-threaded NumPy, so one at a time left a core idle), each with one
    OpenMP thread into its own ``--out``: script -> (future of the finished process, out)."""
    pool = ThreadPoolExecutor(max_workers=2)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    started = {}
    for script in SCRIPTS:
        out = tmp_path_factory.mktemp(script)
        started[script] = (pool.submit(
            subprocess.run, [sys.executable, str(EXAMPLES / f"{script}.py"), "--quick",
                             "--device", "cpu", "--seed", "0", "--out", str(out)],
            capture_output=True, text=True, timeout=300, env=env), out)
    yield started
    pool.shutdown(cancel_futures=True)


@pytest.mark.parametrize("script", SCRIPTS)
def test_example_runs_quick(script: str, runs: dict[str, tuple[Future, Path]]) -> None:
    from matplotlib.image import imread

    future, tmp_path = runs[script]
    done = future.result()
    assert done.returncode == 0, done.stderr[-3000:]
    assert "gpurg" in done.stdout and "reference" in done.stdout  # the table was printed
    figures = sorted(tmp_path.glob("*.png"))
    assert figures, list(tmp_path.iterdir())
    for figure in figures:
        image = imread(figure)
        assert image.ndim == 3 and min(image.shape[:2]) > 100, (figure, image.shape)
    data = json.loads((tmp_path / f"{script}.json").read_text())
    for row in data["rows"]:
        assert math.isfinite(row["value"]), row
    CHECKS[script](data)


def _check_ising_flow(data: dict) -> None:
    for name in ("rsmi", "majority"):
        t_c, err = data[name]["t_c"], data[name]["t_c_err"]
        assert abs(t_c / 2.269185314 - 1) < 0.05, (name, t_c, err)  # the paper's ~1%, with room
        assert abs(t_c - 2.269185314) < 5 * err, (name, t_c, err)


def _check_ising_optimal_rg(data: dict) -> None:
    rules = data["rules"]
    decimation, majority = rules["2x2 decimation"], rules["2x2 majority, random tie"]
    # exact information (up to E's noise): the block spin keeps more than the corner spin
    (d, de), (m, me) = decimation["mi"]["0"], majority["mi"]["0"]
    assert m - d > 4 * math.hypot(de, me), (d, m)
    # and its coarse nearest-neighbour coupling is the stronger (quick: 0.35 against 0.27)
    kd, kde = decimation["couplings"]["nn"], decimation["couplings_err"]["nn"]
    km, kme = majority["couplings"]["nn"], majority["couplings_err"]["nn"]
    assert km - kd > 4 * math.hypot(kde, kme), (kd, km)
    assert set(data["correlations"]) == {"2x2 rangeness", "2x2 |m-bodyness|",
                                         "4x4 rangeness", "4x4 |m-bodyness|"}


CHECKS = {name[len("_check_"):]: f for name, f in dict(globals()).items()
          if name.startswith("_check_")}


def test_every_script_has_a_check() -> None:
    assert sorted(CHECKS) == SCRIPTS
