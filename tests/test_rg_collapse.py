"""ν and T_c from the finite-size collapse of Binder cumulants (2D Ising)."""

from __future__ import annotations

import numpy as np
import pytest

from gpurg.errors import InputError
from gpurg.models.ising_exact import T_C
from gpurg.rg.collapse import binder_curves, collapse_nu, collapse_quality


def test_binder_collapse_of_2d_ising() -> None:
    """L = 8, 16, 32 over T_c ± 4%: ν within 4 bootstrap errors of 1 (errors ~0.06 at this
    size; corrections to scaling are below them), T_c within 1%, and a collapse within errors
    (S of order 1) that is far better than with ν = 2."""
    curves = binder_curves([8, 16, 32], np.linspace(2.18, 2.36, 8), replicas=32, sweeps=200,
                           seed=1, device="cpu")
    result = collapse_nu(curves)
    assert abs(result.nu - 1.0) <= 4 * result.nu_err and result.nu_err < 0.15, result
    assert abs(result.t_c - T_C) < 0.01 * T_C, result
    assert result.quality < 3
    assert collapse_quality(curves, 2.0, result.t_c) > 5 * result.quality


def test_collapse_needs_two_sizes() -> None:
    with pytest.raises(InputError, match="2 lattice sizes"):
        collapse_nu({8: (np.ones(3), np.ones(3), np.ones(3))})
