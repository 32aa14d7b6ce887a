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

// One checkerboard half-sweep over the groups g0 .. g0 + SEG - 1 of one row. Owning several
// groups gives a thread independent Philox blocks in flight (the latency of one block is
// long) and wide loads.
template <int SEG>
__device__ __forceinline__ void ising_checkerboard_segment(signed char* __restrict__ spins,
                                                           const gpurg_u64* __restrict__ thr,
                                                           int L, int R, int color,
                                                           gpurg_u32 step, gpurg_u32 seed_lo,
                                                           gpurg_u32 seed_hi) {
    const int G = (L + 7) >> 3;
    const int S = (G + SEG - 1) / SEG;
    // R * L * L < 2^31 (checked on the host), so 32-bit index arithmetic is exact.
    const gpurg_u32 tid = blockIdx.x * blockDim.x + threadIdx.x;
    if (tid >= (gpurg_u32)(R * L * S)) return;
    const gpurg_u32 ry = tid / S;  // r * L + y
    const int g0 = (int)(tid - ry * S) * SEG;
    const int y = (int)(ry % L);
    const int r = (int)(ry / L);
    const int off = (color ^ y) & 1;  // group starts are even: the first site of this colour

    signed char* row = spins + (gpurg_u64)ry * L;
    const signed char* rup = spins + (gpurg_u64)(ry - y + (y == 0 ? L - 1 : y - 1)) * L;
    const signed char* rdn = spins + (gpurg_u64)(ry - y + (y == L - 1 ? 0 : y + 1)) * L;
    const bool full = (L & 7) == 0;  // aligned 8-byte words: one load per row and group

    gpurg_u64 cen[SEG], up[SEG], dn[SEG];
    gpurg_u32x4 rnd[SEG];
#pragma unroll
    for (int j = 0; j < SEG; ++j) {
        const int g = g0 + j < G ? g0 + j : G - 1;  // past the row's end: repeat, never store
        const int x0 = 8 * g;
        if (full) {
            cen[j] = *(const gpurg_u64*)(row + x0);
            up[j] = *(const gpurg_u64*)(rup + x0);
            dn[j] = *(const gpurg_u64*)(rdn + x0);
        } else {
            cen[j] = ising_gather_row(row, x0, L);
            up[j] = ising_gather_row(rup, x0, L);
            dn[j] = ising_gather_row(rdn, x0, L);
        }
        rnd[j].x = (gpurg_u32)(y * G + g);
        rnd[j].y = (gpurg_u32)r;
        rnd[j].z = step;
        rnd[j].w = GPURG_STREAM_LOCAL_UPDATE;
    }
    gpurg_philox_lanes<SEG>(rnd, seed_lo, seed_hi);
    const int left0 = row[g0 == 0 ? L - 1 : 8 * g0 - 1];
#pragma unroll
    for (int j = 0; j < SEG; ++j) {
        const int g = g0 + j;
        if (g >= G) break;
        const int x0 = 8 * g;
        // Neighbours across group edges are of the other colour: never changed in this pass.
        const int left = j == 0 ? left0 : (int)(signed char)(cen[j - 1] >> 56);
        int right;
        if (j + 1 < SEG && g + 1 < G) {
            right = (int)(signed char)cen[j + 1];
        } else {
            int x8 = x0 + 8;
            x8 -= (x8 >= L) ? L : 0;
            right = row[x8];
        }
        const int nvalid = L - x0 < 8 ? L - x0 : 8;
        const gpurg_u64 out =
            off ? ising_update_word<1>(cen[j], up[j], dn[j], left, right, rnd[j], thr, nvalid)
                : ising_update_word<0>(cen[j], up[j], dn[j], left, right, rnd[j], thr, nvalid);
        if (full) {
            *(gpurg_u64*)(row + x0) = out;
        } else {
            for (int k = 0; k < nvalid; ++k) row[x0 + k] = (signed char)(out >> (8 * k));
        }
    }
}

// One checkerboard half-sweep: every site of `color` ((x + y) mod 2) is updated once.
// segment (1 or 4) is the number of groups a thread owns: 4 for rows of at least 4 groups,
// else 1 (no thread then computes numbers for groups that do not exist). Launch with at
// least R * L * ceil(G / segment) threads (1-D grid); step = 2 * sweep + color.
extern "C" __global__ void ising_checkerboard(signed char* __restrict__ spins,
                                              const gpurg_u64* __restrict__ thr, int L, int R,
                                              int color, gpurg_u32 step, gpurg_u32 seed_lo,
                                              gpurg_u32 seed_hi, int segment) {
    if (segment == 4) {
        ising_checkerboard_segment<4>(spins, thr, L, R, color, step, seed_lo, seed_hi);
    } else {
        ising_checkerboard_segment<1>(spins, thr, L, R, color, step, seed_lo, seed_hi);
    }
}

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
