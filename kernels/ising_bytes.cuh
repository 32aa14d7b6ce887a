// The byte layout's checkerboard updates and hot start, one piece of code for the square
// lattice (ising.cu, D = 2) and the simple-cubic one (ising3d.cu, D = 3): R replicas of an
// Lz x Ly x Lx torus of int8 spins (+1/-1), shape (R, Lz, Ly, Lx); the square lattice is the
// case Lz = 1 without neighbours across planes.
//
// Random-number layout (shared with gpurg/models/ising_numpy.py, bit for bit): the lattice is Lz * Ly rows of Lx sites, row q = z * Ly + y; a row is cut into groups
// of 8 columns, and group g of row q in replica r owns Philox block
//   counter = (q * G + g, r, step, stream), key = (seed_lo, seed_hi),  G = ceil(Lx / 8).
// Column x uses word (x mod 8) / 2: the 4 words serve the 4 sites of one colour in the group.
#ifndef GPURG_ISING_BYTES_CUH
#define GPURG_ISING_BYTES_CUH

#include "gpurg_common.cuh"

// Flip decision of the checkerboard updates with Z = NW + 2 neighbours (4: square, 6: simple
// cubic): flip iff u32 < thr[(Z + 1) * (s > 0) + n_plus], where n_plus in 0..Z counts the +1
// neighbours (nn = 2 n_plus - Z); the 2 (Z + 1) thresholds in [0, 2^32] are chosen on the host
// (gpurg.models.ising_rules.flip_thresholds). The table index of all 8 bytes is formed at once
// (SWAR: every byte stays below 2 (Z + 1), so no carries cross bytes). n[0..NW) are the words
// of the same columns in rows y - 1, y + 1 (and planes z - 1, z + 1); left and right the spins
// beside the word's first and last byte.
template <int OFF, int NW>
__device__ __forceinline__ gpurg_u64 ising_update_word(gpurg_u64 cen, const gpurg_u64 (&n)[NW],
                                                      int left, int right, gpurg_u32x4 rnd,
                                                      const gpurg_u64* __restrict__ thr,
                                                      int nvalid) {
    const gpurg_u64 ones = 0x0101010101010101ull;
    const gpurg_u64 cb = (~cen >> 7) & ones;  // 1 in each byte that holds +1
    gpurg_u64 nplus = ((cb << 8) | (gpurg_u64)(left > 0)) +
                      ((cb >> 8) | ((gpurg_u64)(right > 0) << 56));
#pragma unroll
    for (int k = 0; k < NW; ++k) nplus += (~n[k] >> 7) & ones;
    const gpurg_u64 idx = cb * (gpurg_u64)(NW + 3) + nplus;
    gpurg_u64 flips = 0;
#pragma unroll
    for (int lane = 0; lane < 4; ++lane) {
        const int k = OFF + 2 * lane;  // byte of the word that holds this site
        const gpurg_u64 hit = (gpurg_u64)gpurg_word(rnd, lane) < thr[(idx >> (8 * k)) & 0xFF];
        flips |= (gpurg_u64)((k < nvalid) & hit) * ((gpurg_u64)0xFE << (8 * k));
    }
    return cen ^ flips;  // 0x01 ^ 0xFE = 0xFF: +1 <-> -1
}

// The 8 sites from column x0 on of a row, wrapped around the row as often as needed (a row of
// 2 sites holds columns 0, 1, 0, 1, ...), so that the byte after the last column holds
// column 0, which is the right neighbour of the last one.
__device__ __forceinline__ gpurg_u64 ising_gather_row(const signed char* row, int x0, int Lx) {
    gpurg_u64 w = 0;
#pragma unroll
    for (int k = 0; k < 8; ++k) {
        int x = x0 + k;
        while (x >= Lx) x -= Lx;  // at most once for Lx >= 8, 3 times for Lx = 2: no division
        w |= (gpurg_u64)(unsigned char)row[x] << (8 * k);
    }
    return w;
}

// Group g of a row as a word: one aligned 8-byte load when full (Lx % 8 == 0), else gathered.
__device__ __forceinline__ gpurg_u64 ising_group_word(const signed char* row, int g, int Lx,
                                                     bool full) {
    return full ? *(const gpurg_u64*)(row + 8 * g) : ising_gather_row(row, 8 * g, Lx);
}

// One checkerboard half-sweep over a tile of SEG groups x ROWS rows (y0 .. y0 + ROWS - 1 of one
// plane z). Owning several groups gives a thread independent Philox blocks in flight (the
// latency of one block is long) and wide loads; owning several rows lets it read each row of
// the plane once for the rows above and below (ROWS + 2 row loads for ROWS rows instead of
// 3 ROWS; in 3D beside the ROWS rows of each neighbouring plane: 3 ROWS + 2 instead of
// 5 ROWS), which is what bounds the kernel: L2 traffic. Neighbours in other rows, planes or
// groups are of the other colour, so their values from before this pass are the current ones.
// (s_mul, s_shift), (b_mul, b_shift) and, in 3D, (z_mul, z_shift) divide by ceil(G / SEG),
// Ly / ROWS and Lz (see gpurg_fastdiv); in 2D Lz = 1 and the last pair is not read.
template <int D, int SEG, int ROWS>
__device__ __forceinline__ void ising_checkerboard_tile(
    signed char* __restrict__ spins, const gpurg_u64* __restrict__ thr, int Lz, int Ly, int Lx,
    int R, int color, gpurg_u32 step, gpurg_u32 seed_lo, gpurg_u32 seed_hi, gpurg_u32 s_mul,
    int s_shift, gpurg_u32 b_mul, int b_shift, gpurg_u32 z_mul, int z_shift) {
    static_assert(D == 2 || D == 3, "square or simple-cubic lattice");
    const int G = (Lx + 7) >> 3;
    const int S = (G + SEG - 1) / SEG;
    const int B = Ly / ROWS;  // bands of ROWS rows in a plane (the host makes ROWS divide Ly)
    // R * Lz * Ly * Lx < 2^31 (checked on the host), so 32-bit index arithmetic is exact.
    const gpurg_u32 tid = blockIdx.x * blockDim.x + threadIdx.x;
    if (tid >= (gpurg_u32)(R * Lz * B * S)) return;
    const gpurg_u32 rzb = gpurg_fastdiv(tid, s_mul, s_shift);  // (r * Lz + z) * B + band
    const int g0 = (int)(tid - rzb * S) * SEG;
    const gpurg_u32 rz = gpurg_fastdiv(rzb, b_mul, b_shift);  // rzb / B
    const int y0 = (int)(rzb - rz * B) * ROWS;
    const gpurg_u32 r = D == 3 ? gpurg_fastdiv(rz, z_mul, z_shift) : rz;  // rz / Lz
    const int z = (int)(rz - r * Lz);
    const gpurg_u64 plane_size = (gpurg_u64)Ly * Lx;
    signed char* base = spins + (gpurg_u64)r * Lz * plane_size;
    signed char* plane = base + (gpurg_u64)z * plane_size;
    const signed char* below = base + (gpurg_u64)(z == 0 ? Lz - 1 : z - 1) * plane_size;
    const signed char* above = base + (gpurg_u64)(z == Lz - 1 ? 0 : z + 1) * plane_size;
    const bool full = (Lx & 7) == 0;  // aligned 8-byte words: one load per row and group

    gpurg_u64 w[ROWS + 2][SEG];  // rows y0 - 1 .. y0 + ROWS of plane z
    gpurg_u64 wb[ROWS][SEG];     // 3D: rows y0 .. y0 + ROWS - 1 of planes z - 1 and z + 1
    gpurg_u64 wa[ROWS][SEG];
#pragma unroll
    for (int i = 0; i < ROWS + 2; ++i) {
        int y = y0 - 1 + i;
        y += (y < 0) ? Ly : 0;
        y -= (y >= Ly) ? Ly : 0;
        const gpurg_u64 at = (gpurg_u64)y * Lx;
#pragma unroll
        for (int j = 0; j < SEG; ++j) {
            const int g = g0 + j < G ? g0 + j : G - 1;  // past the row's end: never stored
            w[i][j] = ising_group_word(plane + at, g, Lx, full);
            if constexpr (D == 3) {
                if (i >= 1 && i <= ROWS) {
                    wb[i - 1][j] = ising_group_word(below + at, g, Lx, full);
                    wa[i - 1][j] = ising_group_word(above + at, g, Lx, full);
                }
            }
        }
    }
    gpurg_u32x4 rnd[ROWS * SEG];
    const gpurg_u32 q0 = (gpurg_u32)(z * Ly + y0);  // the row of the tile's first line
#pragma unroll
    for (int i = 0; i < ROWS; ++i) {
#pragma unroll
        for (int j = 0; j < SEG; ++j) {
            const int g = g0 + j < G ? g0 + j : G - 1;
            rnd[i * SEG + j].x = (q0 + i) * (gpurg_u32)G + (gpurg_u32)g;
            rnd[i * SEG + j].y = r;
            rnd[i * SEG + j].z = step;
            rnd[i * SEG + j].w = GPURG_STREAM_LOCAL_UPDATE;
        }
    }
    gpurg_philox_lanes<ROWS * SEG>(rnd, seed_lo, seed_hi);
#pragma unroll
    for (int i = 0; i < ROWS; ++i) {
        const int y = y0 + i;
        signed char* row = plane + (gpurg_u64)y * Lx;
        // group starts are even: the first column of this colour is (color + y + z) mod 2
        const int off = (color ^ y ^ z) & 1;
        const int left0 = row[g0 == 0 ? Lx - 1 : 8 * g0 - 1];
#pragma unroll
        for (int j = 0; j < SEG; ++j) {
            const int g = g0 + j;
            if (g >= G) break;
            const int x0 = 8 * g;
            const gpurg_u64 cen = w[i + 1][j];
            const int left = j == 0 ? left0 : (int)(signed char)(w[i + 1][j - 1] >> 56);
            const int nvalid = Lx - x0 < 8 ? Lx - x0 : 8;
            // the right neighbour of byte 7; a part-filled word has its own (the gathered
            // byte after its last column), and row[x0 + 8] may lie outside the row
            int right = 0;
            if (j + 1 < SEG && g + 1 < G) {
                right = (int)(signed char)w[i + 1][j + 1];
            } else if (nvalid == 8) {
                right = row[x0 + 8 < Lx ? x0 + 8 : 0];
            }
            gpurg_u64 n[2 * D - 2];  // rows y - 1, y + 1 (3D: planes z - 1, z + 1)
            n[0] = w[i][j];
            n[1] = w[i + 2][j];
            if constexpr (D == 3) {
                n[2] = wb[i][j];
                n[3] = wa[i][j];
            }
            const gpurg_u32x4 u = rnd[i * SEG + j];
            const gpurg_u64 out = off ? ising_update_word<1>(cen, n, left, right, u, thr, nvalid)
                                      : ising_update_word<0>(cen, n, left, right, u, thr, nvalid);
            if (full) {
                *(gpurg_u64*)(row + x0) = out;
            } else {
                for (int k = 0; k < nvalid; ++k) row[x0 + k] = (signed char)(out >> (8 * k));
            }
        }
    }
}

// Hot start of R replicas of `rows` rows of Lx sites: site x of row q of replica r is +1 iff
// bit (x mod 2) of word (x mod 8) / 2 of its group's Philox block (q * G + g, r, 0, HOT_START)
// is set. One thread per group of 8 columns of a row.
__device__ __forceinline__ void ising_hot_start_rows(signed char* __restrict__ spins,
                                                     gpurg_u32 rows, int Lx, int R,
                                                     gpurg_u32 seed_lo, gpurg_u32 seed_hi) {
    const int G = (Lx + 7) >> 3;
    const gpurg_u32 tid = blockIdx.x * blockDim.x + threadIdx.x;
    if (tid >= (gpurg_u32)R * rows * (gpurg_u32)G) return;
    const int g = (int)(tid % G);
    const gpurg_u32 rq = tid / G;  // r * rows + q
    gpurg_u32x4 ctr;
    ctr.x = (rq % rows) * (gpurg_u32)G + (gpurg_u32)g;
    ctr.y = rq / rows;
    ctr.z = 0u;
    ctr.w = GPURG_STREAM_HOT_START;
    const gpurg_u32x4 rnd = gpurg_philox(ctr, seed_lo, seed_hi);
    signed char* row = spins + (gpurg_u64)rq * Lx;
    for (int k = 0; k < 8 && 8 * g + k < Lx; ++k) {
        const gpurg_u32 bit = (gpurg_word(rnd, k >> 1) >> (k & 1)) & 1u;
        row[8 * g + k] = bit ? (signed char)1 : (signed char)-1;
    }
}

#endif
