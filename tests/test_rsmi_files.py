"""Filter files: the numbers written by write_filter are the numbers read_filter returns."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from gpurg.rsmi.files import read_filter, write_filter
from gpurg.rsmi.geometry import Geometry
from gpurg.rsmi.rule import CoarseGrainingRule
from gpurg.rsmi.training import TrainResult


def test_filter_values_survive_a_round_trip(tmp_path: Path) -> None:
    """A two-unit 3x3 rule with biases, given in a non-canonical labelling (the second unit
    larger, the first with negative total weight): read back, the filters and biases are the
    canonical rule's bit for bit, each unit's row-major block is the file's (block, block)
    image, and the MI, its error, the histories and the geometry are those written. Catches
    a transposed block image, a unit order or sign that differs between the file and the rule
    read back, and rounded values (e.g. float32 storage). Checked against broken copies of
    gpurg.rsmi.files: the block image written transposed (and read back transposed, so the
    rule itself survives), float32 filter storage, the bias of the non-canonical rule, and
    mi_err rounded to 6 digits each fail."""
    rng = np.random.default_rng(8)
    small = -np.abs(rng.normal(size=9))  # negative total weight: flipped when canonical
    large = 3.0 * rng.normal(size=9)
    rule = CoarseGrainingRule(np.stack([small, large]), rng.normal(size=2))
    result = TrainResult(rule, 0.123456789012345, 0.00123456789, rng.normal(size=7),
                         rng.normal(size=3))
    write_filter(tmp_path / "f.h5", result, Geometry(3, 1, 2), {"seed": np.uint64(2**63 + 5)})
    back = read_filter(tmp_path / "f.h5")
    canonical = rule.canonical()
    np.testing.assert_array_equal(back.rule.filters, canonical.filters)
    np.testing.assert_array_equal(back.rule.bias, canonical.bias)
    # the canonical labelling moved the large unit first and flipped the small one
    np.testing.assert_array_equal(back.rule.filters, np.stack([large * np.sign(large.sum()),
                                                               -small]))
    np.testing.assert_array_equal(back.rule.bias[1], -rule.bias[0])
    with h5py.File(tmp_path / "f.h5", "r") as f:
        image = f["filter"][()]
        assert image.dtype == np.float64 and image.shape == (2, 3, 3)
        assert image[1, 0, 2] == -small[2] and image[1, 2, 0] == -small[6]  # row-major
        np.testing.assert_array_equal(f["mi_history"][()], result.history)
        np.testing.assert_array_equal(f["restarts_mi"][()], result.restarts)
    assert (back.attrs["mi"], back.attrs["mi_err"]) == (result.mi, result.mi_err)
    assert back.attrs["seed"] == 2**63 + 5 and back.attrs["n_hidden"] == 2
    assert back.geometry == Geometry(3, 1, 2)
