"""Division by multiply and shift, as the kernels use it for thread coordinates."""

from __future__ import annotations

import numpy as np
import pytest

from gpurg.backend.fastdiv import magic


def _divide(n: np.ndarray, d: int) -> np.ndarray:
    mul, shift = magic(d)
    n = n.astype(np.uint64)
    return (((n * np.uint64(mul)) >> np.uint64(32)) + n) >> np.uint64(shift)


@pytest.mark.parametrize("d", [1, 2, 3, 5, 7, 64, 100, 1023, 2048, 4095, 65537, 2**30 + 3,
                               2**31 - 1])
def test_exact_for_all_numerators_below_2_31(d) -> None:
    rng = np.random.default_rng(d)
    n = np.concatenate([np.arange(5000), rng.integers(0, 2**31, 20000),
                        np.array([2**31 - 1, d - 1, d, d + 1]) % 2**31])
    assert np.array_equal(_divide(n, d), n // d)


def test_rejects_bad_divisors() -> None:
    for d in (0, -3, 2**31):
        with pytest.raises(ValueError, match="divisor"):
            magic(d)
