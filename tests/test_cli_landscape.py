"""``gpurg rsmi landscape --chain``: the file's datasets and attributes, the figure, the table,
and bad input as one error line."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from gpurg.rg.landscape import chain_exact_path, chain_landscape, read_landscape

from .test_cli import assert_ok, bad_input_tests, describe, run_gpurg, table_rows


def test_chain_landscape_command(tmp_path: Path) -> None:
    result = run_gpurg(["rsmi", "landscape", "--chain", "-K", "0.4407", "--buffer", "2",
                        "--grid", "7", "--max-lambda", "2", "--pairs", "3000", "--epochs",
                        "2", "--seed", "3", "-o", "land.h5"], tmp_path)
    assert_ok(result)
    assert (tmp_path / "land.png").stat().st_size > 0
    with h5py.File(tmp_path / "land.h5", "r") as f:
        assert f["lambda"].shape == (7,)
        for name in ("mi", "info_kept", "K2_1", "K2_2", "K4", "rangeness", "mbodyness"):
            assert f[name].shape == (7, 7), name
        assert f["path_lambda"].shape == (2, 2)
        assert f.attrs["K"] == 0.4407 and f.attrs["buffer"] == 2
        assert f.attrs["method"] == "exact"
        mi_ve = f.attrs["mi_ve"]
    want = chain_landscape(0.4407, 2, 7, 2.0)
    back = read_landscape(tmp_path / "land.h5")
    assert mi_ve == pytest.approx(want.mi_ve, rel=1e-14)
    np.testing.assert_allclose(back.K2_1, want.K2_1, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(back.info_kept, want.info_kept, rtol=1e-12)
    rows = table_rows(result.stdout)
    assert rows["decimation"][:3] == ["2", "0", f"{want.at(2.0, 0.0)['info_kept']:.4f}"]
    assert rows["saturated dec."][:3] == ["1000", "0", "0.5856"]  # 0.585552 of I(V:E)
    assert "training path: 2 epochs" in result.stdout, describe(result)
    ascent = chain_exact_path(0.4407, 2, seed=3)
    np.testing.assert_array_equal(back.exact_path.lam, ascent.lam)
    np.testing.assert_array_equal(back.exact_path.info_kept, ascent.info_kept)
    np.testing.assert_array_equal(back.exact_path.mi, ascent.mi)
    assert "gradient ascent on the exact I_Λ(H:E): 1000 steps" in result.stdout


def test_cumulant_landscape_without_path(tmp_path: Path) -> None:
    result = run_gpurg(["rsmi", "landscape", "--chain", "--grid", "5", "--order", "3",
                        "--no-train", "-o", "land.h5", "--figure-format", "svg"], tmp_path)
    assert_ok(result)
    assert (tmp_path / "land.svg").is_file()
    back = read_landscape(tmp_path / "land.h5")
    assert back.order == 3 and back.path is None and back.K == 0.1 and back.buffer == 1
    assert back.exact_path is not None and back.exact_path.info_kept[-1] > 0.49
    assert "cumulant expansion to order 3" in result.stdout


bad_results, test_bad_input_is_one_error_line = bad_input_tests([
    pytest.param(["rsmi", "landscape", "--order", "3", "-o", "x.h5"], ("--order", "--chain"),
                 id="chain-option-in-2d"),
    pytest.param(["rsmi", "landscape", "--chain", "--grid", "1", "-o", "x.h5"], ("--grid",),
                 id="grid"),
    pytest.param(["rsmi", "landscape", "--chain", "--max-lambda", "0", "-o", "x.h5"],
                 ("--max-lambda",), id="max-lambda"),
    pytest.param(["rsmi", "landscape", "--chain", "--order", "40", "-o", "x.h5"],
                 ("--order",), id="order"),
    pytest.param(["rsmi", "landscape", "--chain", "--buffer", "-1", "-o", "x.h5"],
                 ("--buffer",), id="buffer"),
    pytest.param(["rsmi", "landscape", "--chain", "-K", "nan", "-o", "x.h5"],
                 ("--coupling",), id="coupling"),
])
