// 2D Ising model on an L x L torus, R replicas stored as int8 spins (+1/-1), shape (R, L, L).
//
// Random-number layout (shared with gpurg/models/ising_numpy.py, bit for bit): a row is cut
// into groups of 8 columns; group g of row y in replica r owns Philox block
//   counter = (y * G + g, r, step, stream), key = (seed_lo, seed_hi),  G = ceil(L / 8).
// Column x uses word (x mod 8) / 2: the 4 words serve the 4 sites of one colour in the group.
// The checkerboard tiles and the hot start are those of kernels/ising_bytes.cuh with Lz = 1.
#include "ising_bytes.cuh"

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
        ising_checkerboard_tile<2, SEG, ROWS>(spins, thr, 1, L, L, R, color, step, seed_lo, \
                                              seed_hi, s_mul, s_shift, b_mul, b_shift,      \
                                              0u, 0);                                       \
    }
// The tiles are instantiated by the Python side, from the one list that also picks among
// them (CHECKERBOARD_TILES in gpurg/models/ising.py): gpurg.backend.KernelFamily appends the
// lines ISING_CHECKERBOARD(SEG, ROWS) to this file for NVRTC and for the host build.

// Hot start: site (y, x) of replica r is +1 iff bit (x mod 2) of word (x mod 8) / 2 of the
// group's Philox block (step 0, stream HOT_START) is set.
extern "C" __global__ void ising_hot_start(signed char* __restrict__ spins, int L, int R,
                                           gpurg_u32 seed_lo, gpurg_u32 seed_hi) {
    ising_hot_start_rows(spins, (gpurg_u32)L, L, R, seed_lo, seed_hi);
}
