// Raw Philox4x32-10 blocks: out[i] = philox(ctr[i], key). Used to check the device generator
// against the published known answers and the NumPy twin. One thread per block of 4 words.
#include "gpurg_common.cuh"

extern "C" __global__ void philox_blocks(const gpurg_u32* __restrict__ ctr,
                                         gpurg_u32* __restrict__ out, int n, gpurg_u32 k0,
                                         gpurg_u32 k1) {
    const gpurg_u32 i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (gpurg_u32)n) return;
    gpurg_u32x4 c;
    c.x = ctr[4 * i];
    c.y = ctr[4 * i + 1];
    c.z = ctr[4 * i + 2];
    c.w = ctr[4 * i + 3];
    const gpurg_u32x4 r = gpurg_philox(c, k0, k1);
    out[4 * i] = r.x;
    out[4 * i + 1] = r.y;
    out[4 * i + 2] = r.z;
    out[4 * i + 3] = r.w;
}

// The same blocks through the lockstep path that the Ising kernel uses (n a multiple of 4).
extern "C" __global__ void philox_blocks_lanes(const gpurg_u32* __restrict__ ctr,
                                               gpurg_u32* __restrict__ out, int n, gpurg_u32 k0,
                                               gpurg_u32 k1) {
    const gpurg_u32 i = 4 * (blockIdx.x * blockDim.x + threadIdx.x);
    if (i >= (gpurg_u32)n) return;
    gpurg_u32x4 c[4];
    for (int j = 0; j < 4; ++j) {
        c[j].x = ctr[4 * (i + j)];
        c[j].y = ctr[4 * (i + j) + 1];
        c[j].z = ctr[4 * (i + j) + 2];
        c[j].w = ctr[4 * (i + j) + 3];
    }
    gpurg_philox_lanes<4>(c, k0, k1);
    for (int j = 0; j < 4; ++j) {
        out[4 * (i + j)] = c[j].x;
        out[4 * (i + j) + 1] = c[j].y;
        out[4 * (i + j) + 2] = c[j].z;
        out[4 * (i + j) + 3] = c[j].w;
    }
}
