// 2D Ising model on an L x L torus, R replicas stored as int8 spins (+1/-1), shape (R, L, L).
//
// Random-number layout (shared with gpurg/models/ising_numpy.py, bit for bit): a row is cut
// into groups of 8 columns; group g of row y in replica r owns Philox block
//   counter = (y * G + g, r, step, stream), key = (seed_lo, seed_hi),  G = ceil(L / 8).
// Column x uses word (x mod 8) / 2: the 4 words serve the 4 sites of one colour in the group.
#include "gpurg_common.cuh"

// Flip decision for the checkerboard updates: flip iff u32 < thr[5 * (s > 0) + n_plus], where
// n_plus in 0..4 counts the +1 neighbours (so nn = 2 n_plus - 4); the thresholds in [0, 2^32]
// are chosen on the host (Metropolis or heat-bath). The table index of all 8 bytes is formed
// at once (SWAR: every byte stays below 10, so no carries cross bytes).
template <int OFF>
__device__ __forceinline__ gpurg_u64 ising_update_word(gpurg_u64 cen, gpurg_u64 up, gpurg_u64 dn,
                                                      int left, int right, gpurg_u32x4 rnd,
                                                      const gpurg_u64* __restrict__ thr,
                                                      int nvalid) {
    const gpurg_u64 ones = 0x0101010101010101ull;
    const gpurg_u64 cb = (~cen >> 7) & ones;  // 1 in each byte that holds +1
    const gpurg_u64 nplus = ((~up >> 7) & ones) + ((~dn >> 7) & ones) +
                            ((cb << 8) | (gpurg_u64)(left > 0)) +
                            ((cb >> 8) | ((gpurg_u64)(right > 0) << 56));
    const gpurg_u64 idx = (cb << 2) + cb + nplus;
    gpurg_u64 flips = 0;
#pragma unroll
    for (int lane = 0; lane < 4; ++lane) {
        const int k = OFF + 2 * lane;  // byte of the word that holds this site
        const gpurg_u64 hit = (gpurg_u64)gpurg_word(rnd, lane) < thr[(idx >> (8 * k)) & 0xFF];
        flips |= (gpurg_u64)((k < nvalid) & hit) * ((gpurg_u64)0xFE << (8 * k));
    }
    return cen ^ flips;  // 0x01 ^ 0xFE = 0xFF: +1 <-> -1
}

__device__ __forceinline__ gpurg_u64 ising_gather_row(const signed char* row, int x0, int L) {
    gpurg_u64 w = 0;
#pragma unroll
    for (int k = 0; k < 8; ++k) {
        int x = x0 + k;
        x -= (x >= L) ? L : 0;  // wrap once: the byte after the last column holds column 0
        x -= (x >= L) ? L : 0;
        w |= (gpurg_u64)(unsigned char)row[x] << (8 * k);
    }
    return w;
}

// One checkerboard half-sweep over a tile of SEG groups x ROWS rows. Owning several groups
// gives a thread independent Philox blocks in flight (the latency of one block is long) and
// wide loads; owning several rows lets it read each row once for the rows above and below
// (ROWS + 2 row loads for ROWS rows instead of 3 ROWS), which is what bounds the kernel: L2
// traffic. Neighbours in other rows or groups are of the other colour, so their values from
// before this pass are the current ones.
template <int SEG, int ROWS>
__device__ __forceinline__ void ising_checkerboard_tile(signed char* __restrict__ spins,
                                                        const gpurg_u64* __restrict__ thr, int L,
                                                        int R, int color, gpurg_u32 step,
                                                        gpurg_u32 seed_lo, gpurg_u32 seed_hi,
                                                        gpurg_u32 s_mul, int s_shift,
                                                        gpurg_u32 b_mul, int b_shift) {
    const int G = (L + 7) >> 3;
    const int S = (G + SEG - 1) / SEG;
    const int B = L / ROWS;  // bands of ROWS rows (the host makes ROWS divide L)
    // R * L * L < 2^31 (checked on the host), so 32-bit index arithmetic is exact.
    const gpurg_u32 tid = blockIdx.x * blockDim.x + threadIdx.x;
    if (tid >= (gpurg_u32)(R * B * S)) return;
    const gpurg_u32 rb = gpurg_fastdiv(tid, s_mul, s_shift);  // r * B + band = tid / S
    const int g0 = (int)(tid - rb * S) * SEG;
    const int r = (int)gpurg_fastdiv(rb, b_mul, b_shift);  // rb / B
    const int y0 = (int)(rb - (gpurg_u32)r * B) * ROWS;
    signed char* plane = spins + (gpurg_u64)r * L * L;
    const bool full = (L & 7) == 0;  // aligned 8-byte words: one load per row and group

    gpurg_u64 w[ROWS + 2][SEG];  // rows y0 - 1 .. y0 + ROWS
#pragma unroll
    for (int i = 0; i < ROWS + 2; ++i) {
        int y = y0 - 1 + i;
        y += (y < 0) ? L : 0;
        y -= (y >= L) ? L : 0;
        const signed char* row = plane + (gpurg_u64)y * L;
#pragma unroll
        for (int j = 0; j < SEG; ++j) {
            const int g = g0 + j < G ? g0 + j : G - 1;  // past the row's end: never stored
            w[i][j] = full ? *(const gpurg_u64*)(row + 8 * g) : ising_gather_row(row, 8 * g, L);
        }
    }
    gpurg_u32x4 rnd[ROWS * SEG];
#pragma unroll
    for (int i = 0; i < ROWS; ++i) {
#pragma unroll
        for (int j = 0; j < SEG; ++j) {
            const int g = g0 + j < G ? g0 + j : G - 1;
            rnd[i * SEG + j].x = (gpurg_u32)((y0 + i) * G + g);
            rnd[i * SEG + j].y = (gpurg_u32)r;
            rnd[i * SEG + j].z = step;
            rnd[i * SEG + j].w = GPURG_STREAM_LOCAL_UPDATE;
        }
    }
    gpurg_philox_lanes<ROWS * SEG>(rnd, seed_lo, seed_hi);
#pragma unroll
    for (int i = 0; i < ROWS; ++i) {
        const int y = y0 + i;
        signed char* row = plane + (gpurg_u64)y * L;
        const int off = (color ^ y) & 1;  // group starts are even: the first site of this colour
        const int left0 = row[g0 == 0 ? L - 1 : 8 * g0 - 1];
#pragma unroll
        for (int j = 0; j < SEG; ++j) {
            const int g = g0 + j;
            if (g >= G) break;
            const int x0 = 8 * g;
            const gpurg_u64 cen = w[i + 1][j];
            const int left = j == 0 ? left0 : (int)(signed char)(w[i + 1][j - 1] >> 56);
            int right;
            if (j + 1 < SEG && g + 1 < G) {
                right = (int)(signed char)w[i + 1][j + 1];
            } else {
                int x8 = x0 + 8;
                x8 -= (x8 >= L) ? L : 0;
                right = row[x8];
            }
            const int nvalid = L - x0 < 8 ? L - x0 : 8;
            const gpurg_u32x4 u = rnd[i * SEG + j];
            const gpurg_u64 out =
                off ? ising_update_word<1>(cen, w[i][j], w[i + 2][j], left, right, u, thr, nvalid)
                    : ising_update_word<0>(cen, w[i][j], w[i + 2][j], left, right, u, thr, nvalid);
            if (full) {
                *(gpurg_u64*)(row + x0) = out;
            } else {
                for (int k = 0; k < nvalid; ++k) row[x0 + k] = (signed char)(out >> (8 * k));
            }
        }
    }
}

// One checkerboard half-sweep: every site of `color` ((x + y) mod 2) is updated once, by
// ising_checkerboard_<S>x<ROWS>, whose threads own tiles of S groups x ROWS rows (separate
// kernels, so that each gets the registers it needs and no more). The host picks the tile:
// ROWS divides L, and no thread computes numbers for groups that do not exist. Launch with at
// least R * (L / ROWS) * ceil(G / S) threads (1-D grid); step = 2 * sweep + color; (s_mul,
// s_shift) and (b_mul, b_shift) divide by ceil(G / S) and L / ROWS (see gpurg_fastdiv).
#define ISING_CHECKERBOARD(SEG, ROWS)                                                       \
    extern "C" __global__ void __launch_bounds__(256) ising_checkerboard_##SEG##x##ROWS(    \
        signed char* __restrict__ spins, const gpurg_u64* __restrict__ thr, int L, int R,   \
        int color, gpurg_u32 step, gpurg_u32 seed_lo, gpurg_u32 seed_hi, gpurg_u32 s_mul,   \
        int s_shift, gpurg_u32 b_mul, int b_shift) {                                        \
        ising_checkerboard_tile<SEG, ROWS>(spins, thr, L, R, color, step, seed_lo, seed_hi, \
                                           s_mul, s_shift, b_mul, b_shift);                 \
    }
// The tiles are instantiated by the Python side, from the one list that also picks among
// them (CHECKERBOARD_TILES in gpurg/models/ising.py): gpurg.backend.KernelFamily appends the
// lines ISING_CHECKERBOARD(SEG, ROWS) to this file for NVRTC and for the host build.

// Hot start: site (y, x) of replica r is +1 iff bit (x mod 2) of word (x mod 8) / 2 of the
// group's Philox block (step 0, stream HOT_START) is set.
extern "C" __global__ void ising_hot_start(signed char* __restrict__ spins, int L, int R,
                                           gpurg_u32 seed_lo, gpurg_u32 seed_hi) {
    const int G = (L + 7) >> 3;
    const gpurg_u32 tid = blockIdx.x * blockDim.x + threadIdx.x;
    if (tid >= (gpurg_u32)(R * L * G)) return;
    const int g = (int)(tid % G);
    const gpurg_u32 ry = tid / G;
    const int y = (int)(ry % L);
    gpurg_u32x4 ctr;
    ctr.x = (gpurg_u32)(y * G + g);
    ctr.y = (gpurg_u32)(ry / L);
    ctr.z = 0u;
    ctr.w = GPURG_STREAM_HOT_START;
    const gpurg_u32x4 rnd = gpurg_philox(ctr, seed_lo, seed_hi);
    signed char* row = spins + (gpurg_u64)ry * L;
    for (int k = 0; k < 8 && 8 * g + k < L; ++k) {
        const gpurg_u32 bit = (gpurg_word(rnd, k >> 1) >> (k & 1)) & 1u;
        row[8 * g + k] = bit ? (signed char)1 : (signed char)-1;
    }
}
