// 3D Ising model on an Lz x Ly x Lx torus (every side even, >= 2), R replicas stored as int8
// spins (+1/-1), shape (R, Lz, Ly, Lx); the simple-cubic model has Lz = Ly = Lx = L.
//
// Random-number layout (shared with gpurg/models/ising_numpy.py, bit for bit): the 2D scheme
// of kernels/ising.cu one dimension up. The lattice is Lz * Ly rows of Lx sites, row
// q = z * Ly + y; a row is cut into groups of 8 columns, and group g of row q in replica r owns
// Philox block
//   counter = (q * G + g, r, step, stream), key = (seed_lo, seed_hi),  G = ceil(Lx / 8).
// Column x uses word (x mod 8) / 2: the 4 words serve the 4 sites of one colour in the group.
// The checkerboard tiles and the hot start are those of kernels/ising_bytes.cuh.
#include "ising_bytes.cuh"

// One checkerboard half-sweep: every site of `color` ((x + y + z) mod 2) is updated once, by
// ising3d_checkerboard_<S>x<ROWS>, whose threads own tiles of S groups x ROWS rows of a plane
// (separate kernels, so that each gets the registers it needs and no more). The host picks the
// tile: ROWS divides Ly. Launch with at least R * Lz * (Ly / ROWS) * ceil(G / S) threads (1-D
// grid); step = 2 * sweep + color; (s_mul, s_shift), (b_mul, b_shift) and (z_mul, z_shift)
// divide by ceil(G / S), Ly / ROWS and Lz (see gpurg_fastdiv).
#define ISING3D_CHECKERBOARD(SEG, ROWS)                                                       \
    extern "C" __global__ void __launch_bounds__(256) ising3d_checkerboard_##SEG##x##ROWS(    \
        signed char* __restrict__ spins, const gpurg_u64* __restrict__ thr, int Lz, int Ly,   \
        int Lx, int R, int color, gpurg_u32 step, gpurg_u32 seed_lo, gpurg_u32 seed_hi,       \
        gpurg_u32 s_mul, int s_shift, gpurg_u32 b_mul, int b_shift, gpurg_u32 z_mul,          \
        int z_shift) {                                                                        \
        ising_checkerboard_tile<3, SEG, ROWS>(spins, thr, Lz, Ly, Lx, R, color, step,         \
                                              seed_lo, seed_hi, s_mul, s_shift, b_mul,        \
                                              b_shift, z_mul, z_shift);                       \
    }
// The tiles are instantiated by the Python side, from the one list that also picks among them
// (CHECKERBOARD_TILES in gpurg/models/ising3d.py): gpurg.backend.KernelFamily appends the lines
// ISING3D_CHECKERBOARD(SEG, ROWS) to this file for NVRTC and for the host build.

// Hot start: site (z, y, x) of replica r is +1 iff bit (x mod 2) of word (x mod 8) / 2 of the
// Philox block of its group (row q = z * Ly + y, step 0, stream HOT_START) is set. One thread
// per group of 8 columns of a row.
extern "C" __global__ void ising3d_hot_start(signed char* __restrict__ spins, int Lz, int Ly,
                                             int Lx, int R, gpurg_u32 seed_lo,
                                             gpurg_u32 seed_hi) {
    ising_hot_start_rows(spins, (gpurg_u32)(Lz * Ly), Lx, R, seed_lo, seed_hi);
}
