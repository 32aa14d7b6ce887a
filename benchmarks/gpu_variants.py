"""Launch variants of the checkerboard kernel on a GPU, timed with CUDA events.

Prints spin updates per ns at L = 16384 for each thread segment (1 or 4 groups of 8 columns)
and block size, beside the device-to-device copy rate of the same array (the memory ceiling).
"""

from __future__ import annotations

import cupy as cp
import numpy as np

from gpurg.backend import get_backend, kernels
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


def main() -> None:
    gpu = get_backend("gpu")
    L = 16384
    sampler = IsingSampler(IsingModel(L, T_C), replicas=1, seed=1, device=gpu)
    spins = sampler.spins
    copy = cp.empty_like(spins)
    ms = time_ms(lambda: copy.__setitem__(Ellipsis, spins))
    print(f"copy of {spins.nbytes / 2**20:.0f} MiB: {2 * spins.nbytes / ms / 1e6:.0f} GB/s "
          f"(read + write)")
    groups = (L + 7) // 8
    for segment in (1, 4):
        for block in (128, 256, 512):
            kernels.BLOCK = block

            def sweep(segment=segment) -> None:
                for color in (0, 1):
                    ising._LOCAL.launch(gpu, "ising_checkerboard", L * -(-groups // segment),
                                        spins, sampler._thresholds, L, 1, color, 0,
                                        *sampler.key, segment)

            ms = time_ms(sweep)
            print(f"segment {segment} block {block:3d}: {L * L / ms / 1e6:8.1f} updates/ns "
                  f"({ms:.3f} ms per sweep)")
    kernels.BLOCK = 256


if __name__ == "__main__":
    main()
