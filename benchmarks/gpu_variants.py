"""Launch variants of the checkerboard kernels on a GPU, timed with CUDA events.

Prints spin updates per ns at L = 16384 for each thread segment of the byte kernel (1 or 4
groups of 8 columns) and block size, beside the device-to-device copy rate of the same array
(the memory ceiling); then the bit-packed kernels' variants (sites or words per thread, word
width, block size; many sweeps per launch or one launch per half-sweep), from which the
defaults in gpurg/models/ising_bits.py and ising_rows.py are to be chosen.
"""

from __future__ import annotations

import cupy as cp
import numpy as np

from gpurg.backend import get_backend, kernels
from gpurg.backend.fastdiv import magic
from gpurg.models import ising
from gpurg.models.ising import IsingModel, IsingSampler
from gpurg.models.ising3d import Ising3DModel, Ising3DSampler
from gpurg.models.ising3d_exact import T_C as T_C_3D
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
                                spins, sampler.update._rule, L, 1, color, 0, *sampler.key,
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
    bit_variants(gpu)


def bit_variants(gpu) -> None:
    """The bit-packed layouts' kernel variants, Metropolis at T_c."""
    from gpurg.models import ising_rows

    def rate(L: int, R: int, layout: str, sweeps: int, dim: int = 2, **tweak) -> float:
        model, sampler_type, t_c = ((IsingModel, IsingSampler, T_C) if dim == 2 else
                                    (Ising3DModel, Ising3DSampler, T_C_3D))
        sampler = sampler_type(model(L, t_c), replicas=R, seed=1, device=gpu, layout=layout)
        for name, value in tweak.items():
            setattr(sampler.layout, name, value)
        ms = time_ms(lambda: sampler.sweep(sweeps), repeats=5)
        return R * L**dim * sweeps / ms / 1e6

    # (dim, L, R, sweeps): 2D, then the simple-cubic lattice (issue 17). At 3D L = 64, R = 64
    # (one word per site) the default, many sweeps per launch below 2^19 words per
    # half-sweep, puts the whole lattice on one block: is a launch per half-sweep faster?
    for dim, L, R, sweeps in ((2, 16384, 64, 2), (2, 1024, 4096, 4), (2, 256, 4096, 20),
                              (2, 64, 256, 200), (3, 256, 64, 4), (3, 64, 4096, 4),
                              (3, 64, 64, 20), (3, 16, 256, 200)):
        for n_sites in (2, 4):
            for block in (128, 256):
                kernels.BLOCK = block
                for per_launch in (False, True):
                    r = rate(L, R, "replica-bits", sweeps, dim, n_sites=n_sites,
                             _sweeps_per_launch=lambda gpu, p=per_launch: p)
                    print(f"replica-bits {dim}D L={L:<5d} R={R:<4d} {n_sites} sites x 64 "
                          f"bits, block {block}, {'many sweeps' if per_launch else 'half-sweep'}"
                          f" per launch: {r:8.1f} updates/ns")
    kernels.BLOCK = 256
    default = ising_rows.rows_variant
    for variant in ((2, 32), (4, 32), (4, 64)):
        ising_rows.rows_variant = lambda L, gpu, v=variant: v
        for block in (128, 256):
            kernels.BLOCK = block
            print(f"row-bits L=16384 R=1 {variant[0]} words x {variant[1]} bits, block {block}: "
                  f"{rate(16384, 1, 'row-bits', 4):8.1f} updates/ns")
    ising_rows.rows_variant = default
    kernels.BLOCK = 256


if __name__ == "__main__":
    import sys

    main(profile="--profile" in sys.argv)
