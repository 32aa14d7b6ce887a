"""Launch variants of the checkerboard kernel on a GPU, timed with CUDA events.

Prints spin updates per ns at L = 16384 for each thread segment (1 or 4 groups of 8 columns)
and block size, beside the device-to-device copy rate of the same array (the memory ceiling).
"""

from __future__ import annotations

import cupy as cp
import numpy as np

from gpurg.backend import get_backend, kernels
from gpurg.backend.fastdiv import magic
from gpurg.models import ising
from gpurg.models.ising import IsingModel, IsingSampler
from gpurg.models.ising_exact import T_C


def time_ms(fn, repeats: int = 20) -> float:
    fn()
    start, stop = cp.cuda.Event(), cp.cuda.Event()
    times = []
    for _ in range(repeats):
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        times.append(cp.cuda.get_elapsed_time(start, stop))
    return float(np.median(times))


def main(profile: bool = False) -> None:
    gpu = get_backend("gpu")
    L = 16384
    sampler = IsingSampler(IsingModel(L, T_C), replicas=1, seed=1, device=gpu)
    spins = sampler.spins
    def sweep(tile, colors=(0, 1)) -> None:
        seg, rows = tile
        segments = -(-(L // 8) // seg)
        for color in colors:
            ising._LOCAL.launch(gpu, f"ising_checkerboard_{seg}x{rows}", (L // rows) * segments,
                                spins, sampler.update._thresholds, L, 1, color, 0, *sampler.key,
                                *magic(segments), *magic(L // rows))

    if profile:  # one launch of the GPU's default tile, for ncu
        for tile in ((2, 2),):
            sweep(tile, colors=(0,))
        cp.cuda.Device().synchronize()
        return
    copy = cp.empty_like(spins)
    ms = time_ms(lambda: cp.cuda.runtime.memcpyAsync(copy.data.ptr, spins.data.ptr, spins.nbytes,
                                                     cp.cuda.runtime.memcpyDeviceToDevice, 0))
    print(f"copy of {spins.nbytes / 2**20:.0f} MiB: {2 * spins.nbytes / ms / 1e6:.0f} GB/s "
          f"(read + write)")
    for tile in ising.CHECKERBOARD_TILES:
        for block in (128, 256):
            kernels.BLOCK = block
            ms = time_ms(lambda tile=tile: sweep(tile))
            print(f"tile {tile[0]} groups x {tile[1]} rows, block {block:3d}: "
                  f"{L * L / ms / 1e6:8.1f} updates/ns ({ms:.3f} ms per sweep)")
    kernels.BLOCK = 256


if __name__ == "__main__":
    import sys

    main(profile="--profile" in sys.argv)
