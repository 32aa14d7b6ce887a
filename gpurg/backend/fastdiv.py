"""Division by a run-time constant as multiply and shift, for the kernels' index arithmetic."""

from __future__ import annotations


def magic(d: int) -> tuple[int, int]:
    """(mul, shift) such that n // d == ((n * mul >> 32) + n) >> shift for 0 <= n < 2^31.

    Granlund & Montgomery's round-up method with shift = ceil(log2 d); kernels evaluate it
    with ``gpurg_fastdiv`` (kernels/gpurg_common.cuh).
    """
    if not 1 <= d < 2**31:
        raise ValueError(f"divisor must be in [1, 2^31), got {d}")
    shift = (d - 1).bit_length()
    return (1 << (32 + shift)) // d - (1 << 32) + 1, shift
