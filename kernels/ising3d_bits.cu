// 3D Ising model (simple cubic, L x L x L torus), layout "replica-bits": the 2D layout of
// ising_bits.cu one dimension up. R replicas, 32 to a group; group g holds replicas
// 32 g .. 32 g + 31 in the bits of one uint32 word per site, 1 = +1, and words W are gpurg_u32
// (one group, shape (G, L, L, L)) or gpurg_u64 (groups 2 q and 2 q + 1 side by side, low half
// first, shape (ceil(G / 2), L, L, L)). The cube is L^2 rows of L words, row r = z L + y.
// The decisions (ising_bits.cuh, six neighbours) and the random numbers are those of the NumPy
// twin gpurg/models/ising_bits_numpy.py, bit for bit: block b (planes 4 b .. 4 b + 3) of group
// g at site (z, y, x) in half-sweep `step` is Philox block (r L + x, 8 g + b, step,
// BIT_UPDATE). Lanes of replicas R and beyond are not in use: they stay 0.
#include "ising_bits.cuh"

// Update NS sites of one colour in row r = z L + y of word q: the colour's sites j0 ..
// j0 + NS - 1 of the row (x = 2 j + ((color + y + z) & 1)); sites past the row's L / 2 are
// computed but not stored. Neighbours are of the other colour, so no other thread writes them
// meanwhile. Consecutive threads take consecutive runs of a row: their loads coalesce.
template <int NS, class W>
__device__ __forceinline__ void ising3d_bits_run(W* __restrict__ words,
                                                 const gpurg_bits_rule_of<6>& rule, int L, int q,
                                                 W lanes, int r, int j0, int color,
                                                 gpurg_u32 step, gpurg_u32 k0, gpurg_u32 k1) {
    constexpr int H = sizeof(W) / sizeof(gpurg_u32);
    const int half = L >> 1;
    const int z = r / L, y = r - z * L;
    const int p = (color + y + z) & 1;
    W* cube = words + (gpurg_u64)q * L * L * L;
    W* row = cube + (gpurg_u64)r * L;
    const int yu = y == 0 ? L - 1 : y - 1, yd = y == L - 1 ? 0 : y + 1;
    const int zf = z == 0 ? L - 1 : z - 1, zb = z == L - 1 ? 0 : z + 1;
    const W* rows[4] = {cube + ((gpurg_u64)z * L + yu) * L, cube + ((gpurg_u64)z * L + yd) * L,
                        cube + ((gpurg_u64)zf * L + y) * L, cube + ((gpurg_u64)zb * L + y) * L};
    W cen[NS], nb[6][NS];
    int x[NS];
    GPURG_UNROLL
    for (int i = 0; i < NS; ++i) {
        const int j = j0 + i < half ? j0 + i : half - 1;
        x[i] = 2 * j + p;
        cen[i] = row[x[i]];
        GPURG_UNROLL
        for (int k = 0; k < 4; ++k) nb[k][i] = rows[k][x[i]];
        nb[4][i] = row[x[i] == 0 ? L - 1 : x[i] - 1];
        nb[5][i] = row[x[i] == L - 1 ? 0 : x[i] + 1];
    }
    const gpurg_u32 site0 = (gpurg_u32)r * (gpurg_u32)L;  // < L^3 < 2^31 (checked on the host)
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
// of the colour in one row of one word. Launch with at least Q * L^2 * ceil(L / 2 / NS)
// threads.
template <int NS, class W>
__device__ __forceinline__ void ising3d_bits_halfsweep(W* __restrict__ words,
                                                       const gpurg_u32* __restrict__ table,
                                                       int L, int Q, int R, int color,
                                                       gpurg_u32 step, gpurg_u32 k0,
                                                       gpurg_u32 k1) {
    const gpurg_u32 runs = (gpurg_u32)((L / 2 + NS - 1) / NS);
    const gpurg_u32 rows = (gpurg_u32)L * (gpurg_u32)L;
    const gpurg_u32 tid = blockIdx.x * blockDim.x + threadIdx.x;
    if (tid >= (gpurg_u32)Q * rows * runs) return;
    const gpurg_u32 qr = tid / runs;  // q L^2 + r
    const int q = (int)(qr / rows);
    const gpurg_bits_rule_of<6> rule{table};
    ising3d_bits_run<NS, W>(words, rule, L, q, gpurg_bits_lanes<W>(R, q), (int)(qr % rows),
                            (int)(tid % runs) * NS, color, step, k0, k1);
}

// half_steps half-sweeps from first_step on, one thread block per word, its threads sharing
// out the runs of each half-sweep and waiting for each other (__syncthreads) before the next:
// one launch for many sweeps of a small lattice. Launch Q blocks (one thread each on the host).
template <int NS, class W>
__device__ __forceinline__ void ising3d_bits_sweeps(W* __restrict__ words,
                                                    const gpurg_u32* __restrict__ table, int L,
                                                    int Q, int R, gpurg_u32 first_step,
                                                    int half_steps, gpurg_u32 k0,
                                                    gpurg_u32 k1) {
    const int q = (int)blockIdx.x;
    if (q >= Q) return;  // the same for the whole block
    const int runs = (L / 2 + NS - 1) / NS;
    const gpurg_bits_rule_of<6> rule{table};
    const W lanes = gpurg_bits_lanes<W>(R, q);
    for (int h = 0; h < half_steps; ++h) {
        const gpurg_u32 step = first_step + (gpurg_u32)h;
        for (int i = (int)threadIdx.x; i < L * L * runs; i += (int)blockDim.x)
            ising3d_bits_run<NS, W>(words, rule, L, q, lanes, i / runs, (i % runs) * NS,
                                    (int)(step & 1u), step, k0, k1);
        __syncthreads();
    }
}

// Per (word, row r = z L + y): for each lane, the row's +1 spins and how many of its bonds to
// x + 1, y + 1 and z + 1 join equal spins: out[((q L^2 + r) 2 + k) BITS + l], k = 0, 1
// (gpurg_bits_row_sums). The host sums the rows: magnetisation 2 up - N, bond sum
// 2 aligned - 3 N.
template <class W>
__device__ __forceinline__ void ising3d_bits_counts(const W* __restrict__ words, int L, int Q,
                                                    int* __restrict__ out) {
    constexpr int BITS = 8 * sizeof(W);
    const gpurg_u32 rows = (gpurg_u32)L * (gpurg_u32)L;
    const gpurg_u32 tid = blockIdx.x * blockDim.x + threadIdx.x;
    if (tid >= (gpurg_u32)Q * rows) return;
    const int r = (int)(tid % rows);
    const int z = r / L, y = r - z * L;
    const W* cube = words + (gpurg_u64)(tid - (gpurg_u32)r) * L;  // word q's first row
    const W* const next[2] = {cube + ((gpurg_u64)z * L + (y == L - 1 ? 0 : y + 1)) * L,
                              cube + ((gpurg_u64)(z == L - 1 ? 0 : z + 1) * L + y) * L};
    gpurg_bits_row_sums<2>(cube + (gpurg_u64)r * L, next, L, out + (gpurg_u64)tid * 2 * BITS);
}

// The kernels of NS sites per thread and BITS-bit words (32 or 64)
#define ISING3D_BITS(NS, BITS)                                                                \
    extern "C" __global__ void __launch_bounds__(256) ising3d_bits_halfsweep_##NS##_##BITS(  \
        gpurg_u##BITS* __restrict__ words, const gpurg_u32* __restrict__ table, int L, int Q,   \
        int R, int color, gpurg_u32 step, gpurg_u32 k0, gpurg_u32 k1) {                      \
        ising3d_bits_halfsweep<NS, gpurg_u##BITS>(words, table, L, Q, R, color, step, k0, k1);  \
    }                                                                                         \
    extern "C" __global__ void __launch_bounds__(256) ising3d_bits_sweeps_##NS##_##BITS(     \
        gpurg_u##BITS* __restrict__ words, const gpurg_u32* __restrict__ table, int L, int Q,   \
        int R, gpurg_u32 first_step, int half_steps, gpurg_u32 k0, gpurg_u32 k1) {           \
        ising3d_bits_sweeps<NS, gpurg_u##BITS>(words, table, L, Q, R, first_step, half_steps,   \
                                               k0, k1);                                       \
    }
// Instantiated from the Python side (BITS_VARIANTS in gpurg/models/ising_bits.py).

extern "C" __global__ void ising3d_bits_counts_32(const gpurg_u32* __restrict__ words, int L,
                                                  int Q, int* __restrict__ out) {
    ising3d_bits_counts<gpurg_u32>(words, L, Q, out);
}

extern "C" __global__ void ising3d_bits_counts_64(const gpurg_u64* __restrict__ words, int L,
                                                  int Q, int* __restrict__ out) {
    ising3d_bits_counts<gpurg_u64>(words, L, Q, out);
}
