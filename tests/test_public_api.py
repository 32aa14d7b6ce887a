"""The public face: ``import gpurg`` offers the user-facing names, each the very object of the
module that defines it, with a docstring; and the package docstring's example runs."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

import gpurg


def test_every_exported_name_resolves_to_its_module_object_with_a_docstring() -> None:
    names = [n for n in gpurg.__all__ if n not in ("__version__", *gpurg._SUBPACKAGES)]
    assert len(names) >= 40
    assert gpurg.figures.__doc__ and hasattr(gpurg.figures, "filter_figure")
    for name in names:
        value = getattr(gpurg, name)
        module = gpurg._EXPORTS[name]
        assert value is getattr(__import__(module, fromlist=[name]), name), name
        assert (value.__doc__ or "").strip(), f"{name} has no docstring"
        assert name in dir(gpurg)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        gpurg.nope  # noqa: B018


def test_the_rsmi_entry_points_are_public() -> None:
    """Issue 13's library entry points (filter analysis, buffer scan, coarse correlation,
    the data-aware start, the likelihood-trained RBM of RSMI's blocks) are offered by
    ``gpurg`` and by ``gpurg.rsmi``, as the same objects."""
    import gpurg.rsmi

    for name in ("analyze_rule", "FilterAnalysis", "scan_buffers", "BufferScan",
                 "coarse_correlation", "canonical_directions", "train_block_rbm", "BlockRBM"):
        assert name in gpurg.__all__ and name in gpurg.rsmi.__all__, name
        assert getattr(gpurg, name) is getattr(gpurg.rsmi, name), name


def test_import_gpurg_is_cheap() -> None:
    """The names load on first use: importing the package pulls in none of its modules."""
    code = ("import sys, gpurg; print(sorted(m for m in sys.modules "
            "if m.startswith('gpurg.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]", out


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_the_package_docstring_example_runs() -> None:
    block = re.search(r"::\n\n((?:    .*\n)+)", gpurg.__doc__).group(1)
    code = "\n".join(line[4:] for line in block.splitlines()).replace("print(", "_shown = (")
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102  (our own docstring)
    assert namespace["configs"].shape == (128, 16, 16)
    assert namespace["coarse"].shape == (128, 1, 8, 8) and namespace["coarse"].dtype == np.int8
    assert namespace["grainer"].mi_ > 0
    y_t = namespace["result"].y_t[0, 0]
    assert np.isfinite(y_t) and 0.5 < y_t < 1.5  # 1/nu = 1 at level 1 of a tiny lattice
