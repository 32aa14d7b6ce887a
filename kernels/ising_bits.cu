// 2D Ising model, layout "replica-bits": R replicas of an L x L torus, 32 to a group; group g
// holds replicas 32 g .. 32 g + 31 in the bits of one uint32 word per site, 1 = +1. The
// decisions (ising_bits.cuh) and the random numbers are those of the NumPy twin
// gpurg/models/ising_bits_numpy.py, bit for bit: block b (planes 4 b .. 4 b + 3) of group g at
// site (y, x) in half-sweep `step` is Philox block (y L + x, 8 g + b, step, BIT_UPDATE).
//
// In memory the words are W: gpurg_u32 (one group per word, shape (G, L, L)) or gpurg_u64
// (groups 2 q and 2 q + 1 side by side, low half first, shape (ceil(G / 2), L, L)): one 64-bit
// operation then does the work of two 32-bit ones, and each half still draws its group's
// numbers. Lanes of replicas R and beyond are not in use: they stay 0.
#include "ising_bits.cuh"

// Update NS sites of one colour in row y of word q: the colour's sites j0 .. j0 + NS - 1 of the
// row (x = 2 j + ((color + y) & 1)); sites past the row's L / 2 are computed but not stored.
// Neighbours are of the other colour, so no other thread writes them meanwhile.
template <int NS, class W>
__device__ __forceinline__ void ising_bits_run(W* __restrict__ words, const gpurg_bits_rule& rule,
                                               int L, int q, W lanes, int y, int j0, int color,
                                               gpurg_u32 step, gpurg_u32 k0, gpurg_u32 k1) {
    constexpr int H = sizeof(W) / sizeof(gpurg_u32);
    const int half = L >> 1;
    const int p = (color + y) & 1;
    W* plane = words + (gpurg_u64)q * L * L;
    W* row = plane + (gpurg_u64)y * L;
    const W* up = plane + (gpurg_u64)(y == 0 ? L - 1 : y - 1) * L;
    const W* dn = plane + (gpurg_u64)(y == L - 1 ? 0 : y + 1) * L;
    W cen[NS], nb[4][NS];
    int x[NS];
    GPURG_UNROLL
    for (int i = 0; i < NS; ++i) {
        const int j = j0 + i < half ? j0 + i : half - 1;
        x[i] = 2 * j + p;
        cen[i] = row[x[i]];
        nb[0][i] = up[x[i]];
        nb[1][i] = dn[x[i]];
        nb[2][i] = row[x[i] == 0 ? L - 1 : x[i] - 1];
        nb[3][i] = row[x[i] == L - 1 ? 0 : x[i] + 1];
    }
    const gpurg_u32 site0 = (gpurg_u32)(y * L);
    const gpurg_u32 group0 = 8u * (gpurg_u32)(H * q);
    auto counter = [&](int i, int h, int b) {
        gpurg_u32x4 c;
        c.x = site0 + (gpurg_u32)x[i];
        c.y = group0 + 8u * (gpurg_u32)h + (gpurg_u32)b;
        c.z = step;
        c.w = GPURG_STREAM_BIT_UPDATE;
        return c;
    };
    W flip[NS];
    gpurg_bits_update<NS, W>(rule, cen, nb, lanes, flip, counter, k0, k1);
    GPURG_UNROLL
    for (int i = 0; i < NS; ++i)
        if (j0 + i < half) row[x[i]] = cen[i] ^ flip[i];
}

// One half-sweep (step = 2 * sweep + color) of Q words per site: a thread per run of NS sites
// of the colour in one row of one word, consecutive threads on consecutive runs. Launch with
// at least Q * L * ceil(L / 2 / NS) threads.
template <int NS, class W>
__device__ __forceinline__ void ising_bits_halfsweep(W* __restrict__ words,
                                                     const gpurg_u32* __restrict__ table, int L,
                                                     int Q, int R, int color, gpurg_u32 step,
                                                     gpurg_u32 k0, gpurg_u32 k1) {
    const gpurg_u32 runs = (gpurg_u32)((L / 2 + NS - 1) / NS);
    const gpurg_u32 tid = blockIdx.x * blockDim.x + threadIdx.x;
    if (tid >= (gpurg_u32)Q * L * runs) return;
    const gpurg_u32 qy = tid / runs;
    const int q = (int)(qy / L);
    const gpurg_bits_rule rule{table};
    ising_bits_run<NS, W>(words, rule, L, q, gpurg_bits_lanes<W>(R, q), (int)(qy % L),
                          (int)(tid % runs) * NS, color, step, k0, k1);
}

// half_steps half-sweeps from first_step on, one thread block per word: the block's threads
// share out the runs of each half-sweep and wait for each other (__syncthreads) before the
// next. One launch serves many sweeps, which is what small lattices need, whose half-sweeps
// are too short to pay for a launch each. Launch Q blocks (one thread each on the host, where
// the block's single thread takes every run and __syncthreads is empty).
template <int NS, class W>
__device__ __forceinline__ void ising_bits_sweeps(W* __restrict__ words,
                                                  const gpurg_u32* __restrict__ table, int L,
                                                  int Q, int R, gpurg_u32 first_step,
                                                  int half_steps, gpurg_u32 k0, gpurg_u32 k1) {
    const int q = (int)blockIdx.x;
    if (q >= Q) return;  // the same for the whole block
    const int runs = (L / 2 + NS - 1) / NS;
    const gpurg_bits_rule rule{table};
    const W lanes = gpurg_bits_lanes<W>(R, q);
    for (int h = 0; h < half_steps; ++h) {
        const gpurg_u32 step = first_step + (gpurg_u32)h;
        for (int i = (int)threadIdx.x; i < L * runs; i += (int)blockDim.x)
            ising_bits_run<NS, W>(words, rule, L, q, lanes, i / runs, (i % runs) * NS,
                                  (int)(step & 1u), step, k0, k1);
        __syncthreads();
    }
}

// Per (word, row): for each lane, the number of +1 spins in the row and the number of the
// row's right and down bonds whose two spins agree: out[((q L + y) 2 + k) BITS + l], k = 0, 1
// (gpurg_bits_row_sums). The host sums the rows: magnetisation 2 up - N, bond sum
// 2 aligned - 2 N.
template <class W>
__device__ __forceinline__ void ising_bits_counts(const W* __restrict__ words, int L, int Q,
                                                  int* __restrict__ out) {
    constexpr int BITS = 8 * sizeof(W);
    const gpurg_u32 tid = blockIdx.x * blockDim.x + threadIdx.x;
    if (tid >= (gpurg_u32)Q * L) return;
    const int y = (int)(tid % L);
    const W* row = words + (gpurg_u64)tid * L;  // tid = q L + y
    const W* const next[1] = {words + ((gpurg_u64)(tid - y) + (y == L - 1 ? 0 : y + 1)) * L};
    gpurg_bits_row_sums<1>(row, next, L, out + (gpurg_u64)tid * 2 * BITS);
}

// The kernels of NS sites per thread and BITS-bit words (32 or 64)
#define ISING_BITS(NS, BITS)                                                                  \
    extern "C" __global__ void __launch_bounds__(256) ising_bits_halfsweep_##NS##_##BITS(    \
        gpurg_u##BITS* __restrict__ words, const gpurg_u32* __restrict__ table, int L, int Q,   \
        int R, int color, gpurg_u32 step, gpurg_u32 k0, gpurg_u32 k1) {                      \
        ising_bits_halfsweep<NS, gpurg_u##BITS>(words, table, L, Q, R, color, step, k0, k1);    \
    }                                                                                         \
    extern "C" __global__ void __launch_bounds__(256) ising_bits_sweeps_##NS##_##BITS(       \
        gpurg_u##BITS* __restrict__ words, const gpurg_u32* __restrict__ table, int L, int Q,   \
        int R, gpurg_u32 first_step, int half_steps, gpurg_u32 k0, gpurg_u32 k1) {           \
        ising_bits_sweeps<NS, gpurg_u##BITS>(words, table, L, Q, R, first_step, half_steps, k0, \
                                             k1);                                             \
    }
// Instantiated from the Python side (BITS_VARIANTS in gpurg/models/ising_bits.py).

extern "C" __global__ void ising_bits_counts_32(const gpurg_u32* __restrict__ words, int L,
                                                int Q, int* __restrict__ out) {
    ising_bits_counts<gpurg_u32>(words, L, Q, out);
}

extern "C" __global__ void ising_bits_counts_64(const gpurg_u64* __restrict__ words, int L,
                                                int Q, int* __restrict__ out) {
    ising_bits_counts<gpurg_u64>(words, L, Q, out);
}
