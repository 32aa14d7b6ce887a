// 3D Ising model (simple cubic, L x L x L torus), layout "replica-bits": the 2D layout of
// ising_bits.cu one dimension up. R replicas, 32 to a group; group g holds replicas
// 32 g .. 32 g + 31 in the bits of one uint32 word per site, 1 = +1, and words W are gpurg_u32
// (one group, shape (G, L, L, L)) or gpurg_u64 (groups 2 q and 2 q + 1 side by side, low half
// first, shape (ceil(G / 2), L, L, L)). The cube is L^2 rows of L words, row r = z L + y.
// The decisions, the kernels' bodies (ising_bits.cuh, D = 3: six neighbours) and the random
// numbers are those of the NumPy twin gpurg/models/ising_bits_numpy.py, bit for bit: block b
// (planes 4 b .. 4 b + 3) of group g at site (z, y, x) in half-sweep `step` is Philox block
// (r L + x, 8 g + b, step, BIT_UPDATE). Lanes of replicas R and beyond are not in use: they
// stay 0.
#include "ising_bits.cuh"

// The kernels of NS sites per thread and BITS-bit words (32 or 64)
#define ISING3D_BITS(NS, BITS)                                                                \
    extern "C" __global__ void __launch_bounds__(256) ising3d_bits_halfsweep_##NS##_##BITS(  \
        gpurg_u##BITS* __restrict__ words, const gpurg_u32* __restrict__ table, int L, int Q,   \
        int R, int color, gpurg_u32 step, gpurg_u32 k0, gpurg_u32 k1) {                      \
        ising_bits_halfsweep<3, NS, gpurg_u##BITS>(words, table, L, Q, R, color, step, k0,    \
                                                 k1);                                         \
    }                                                                                         \
    extern "C" __global__ void __launch_bounds__(256) ising3d_bits_sweeps_##NS##_##BITS(     \
        gpurg_u##BITS* __restrict__ words, const gpurg_u32* __restrict__ table, int L, int Q,   \
        int R, gpurg_u32 first_step, int half_steps, gpurg_u32 k0, gpurg_u32 k1) {           \
        ising_bits_sweeps<3, NS, gpurg_u##BITS>(words, table, L, Q, R, first_step,            \
                                              half_steps, k0, k1);                            \
    }
// Instantiated from the Python side (BITS_VARIANTS in gpurg/models/ising_bits.py).

extern "C" __global__ void ising3d_bits_counts_32(const gpurg_u32* __restrict__ words, int L,
                                                  int Q, int* __restrict__ out) {
    ising_bits_counts<3, gpurg_u32>(words, L, Q, out);
}

extern "C" __global__ void ising3d_bits_counts_64(const gpurg_u64* __restrict__ words, int L,
                                                  int Q, int* __restrict__ out) {
    ising_bits_counts<3, gpurg_u64>(words, L, Q, out);
}
