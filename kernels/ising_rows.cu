// 2D Ising model, "row-bits" layout: R replicas of an L x L torus (L a multiple of 64) as
// uint32 words of shape (R, 2, L, W), W = L / 64; bit l of word [r][c][y][w] is the spin
// (1 = +1) of replica r at (y, x = 2 (32 w + l) + ((c + y) & 1)), i.e. a word holds 32
// consecutive sites of one colour c = (x + y) mod 2 of one row. The semantics (neighbour
// words, Philox counters) and the NumPy twin these kernels reproduce bit for bit are in
// gpurg/models/ising_rows_numpy.py; the lanes' decisions are those of ising_bits.cuh.
#include "ising_bits.cuh"

// Words of type W: gpurg_u32, or on the host gpurg_u64, two consecutive 32-bit words of a
// row side by side (little-endian: word 2 q in the low half), whose shifts carry across the
// halves exactly as the row's sites continue; each half keeps its own random numbers
// (ising_bits.cuh), so a 64-bit word does the bit operations of two 32-bit words at once.
// H = sizeof(W) / 4 halves; a row has W32 = L / 64 words of 32 bits, W32 / H of type W.

// Philox counter of block b of half h of word i of a thread:
// (y * W32 + H * w_i + h, 8 r_i + b, step, BIT_UPDATE).
template <int NS>
struct ising_rows_counter {
    gpurg_u32 site[NS];  // y_i * W32 + H * w_i
    gpurg_u32 r8[NS];    // 8 r_i
    gpurg_u32 step;
    __device__ __forceinline__ gpurg_u32x4 operator()(int i, int h, int b) const {
        gpurg_u32x4 c;
        c.x = site[i] + (gpurg_u32)h;
        c.y = r8[i] + (gpurg_u32)b;
        c.z = step;
        c.w = GPURG_STREAM_BIT_UPDATE;
        return c;
    }
};

// The left and right neighbour words of word w (of nw words of type W) of colour c in row y
// (its parity p = (c + y) & 1), from the row of the other colour: for p = 1 site j's left is
// the other colour's site j and its right site j + 1; for p = 0 its left is site j - 1 and
// its right site j (the shifts carry the neighbouring word's edge bit; w wraps modulo nw).
template <class W>
__device__ __forceinline__ void ising_rows_sides(const W* __restrict__ orow, int w, int nw,
                                                 int p, W* left, W* right) {
    constexpr int TOP = 8 * (int)sizeof(W) - 1;
    const W mid = orow[w];
    if (p) {
        *left = mid;
        *right = (mid >> 1) | (orow[w + 1 == nw ? 0 : w + 1] << TOP);
    } else {
        *left = (mid << 1) | (orow[w == 0 ? nw - 1 : w - 1] >> TOP);
        *right = mid;
    }
}

// One half-sweep of colour `color`. The N = R L nw words of the colour (nw = W32 / H of type
// W per row), in order n = (r L + y) nw + w, are shared out as T = ceil(N / NS) threads of
// NS words: thread t takes words t, t + T, ..., t + (NS - 1) T. Consecutive threads read and
// write consecutive words (coalesced on a GPU), each holds NS independent Philox chains (SIMD
// lanes on the host, latency hiding on a GPU), and no thread idles on words past a short
// row's end (at L = 64 a row and colour is one word). The last threads' words past N are
// decided (their lanes' decisions are their own, see ising_bits.cuh) but not stored. The
// other colour's words, which a thread only reads, do not change during the pass.
template <int NS, class W>
__device__ __forceinline__ void ising_rows_update(gpurg_u32* __restrict__ state,
                                                  const gpurg_u32* __restrict__ table, int L,
                                                  int R, int color, gpurg_u32 step,
                                                  gpurg_u32 seed_lo, gpurg_u32 seed_hi,
                                                  gpurg_u32 w_mul, int w_shift,
                                                  gpurg_u32 l_mul, int l_shift) {
    constexpr int H = sizeof(W) / sizeof(gpurg_u32);
    const int W32 = L >> 6;
    const int nw = W32 / H;  // the host launches 64-bit words only when H divides W32
    // N <= R L W32 < 2^31 (checked on the host): 32-bit index arithmetic is exact
    const gpurg_u32 N = (gpurg_u32)R * (gpurg_u32)L * (gpurg_u32)nw;
    const gpurg_u32 T = (N + NS - 1) / NS;
    const gpurg_u32 tid = blockIdx.x * blockDim.x + threadIdx.x;
    if (tid >= T) return;

    W cen[NS], nb[4][NS], flip[NS];
    W* crow[NS];
    ising_rows_counter<NS> ctr;
    ctr.step = step;
    GPURG_UNROLL
    for (int i = 0; i < NS; ++i) {
        const gpurg_u32 n = tid + (gpurg_u32)i * T < N ? tid + (gpurg_u32)i * T : N - 1;
        const gpurg_u32 ry = gpurg_fastdiv(n, w_mul, w_shift);  // r L + y = n / nw
        const int w = (int)(n - ry * (gpurg_u32)nw);
        const gpurg_u32 r = gpurg_fastdiv(ry, l_mul, l_shift);  // ry / L
        const int y = (int)(ry - r * (gpurg_u32)L);
        const int yu = y == 0 ? L - 1 : y - 1;
        const int yd = y == L - 1 ? 0 : y + 1;
        const gpurg_u64 obase = ((gpurg_u64)r * 2 + (color ^ 1)) * L;  // the other colour
        crow[i] = (W*)(state + (((gpurg_u64)r * 2 + color) * L + y) * W32);
        cen[i] = crow[i][w];
        nb[0][i] = ((const W*)(state + (obase + yu) * W32))[w];
        nb[1][i] = ((const W*)(state + (obase + yd) * W32))[w];
        ising_rows_sides<W>((const W*)(state + (obase + y) * W32), w, nw, (color + y) & 1,
                            &nb[2][i], &nb[3][i]);
        crow[i] += w;
        ctr.site[i] = (gpurg_u32)y * (gpurg_u32)W32 + (gpurg_u32)(H * w);
        ctr.r8[i] = 8u * r;
    }
    const gpurg_bits_rule rule{table};
    gpurg_bits_update<NS, W>(rule, cen, nb, ~(W)0, flip, ctr, seed_lo, seed_hi);
    GPURG_UNROLL
    for (int i = 0; i < NS; ++i)
        if (tid + (gpurg_u32)i * T < N) *crow[i] = cen[i] ^ flip[i];
}

// ising_rows_halfsweep_<NS>_<BITS>: NS words of BITS bits (32, or 64 on the host when L is
// a multiple of 128) per thread; launch with at least ceil(R L nw / NS) threads (1-D grid),
// nw = L / (2 BITS) words per row and colour; step = 2 * sweep + color; (w_mul, w_shift)
// and (l_mul, l_shift) divide by nw and L (gpurg_fastdiv). The variants
// are instantiated by the Python side (ROWS_VARIANTS in gpurg/models/ising_rows.py), which
// appends ISING_ROWS_HALFSWEEP(NS, BITS) lines.
#define ISING_ROWS_HALFSWEEP(NS, BITS)                                                      \
    extern "C" __global__ void __launch_bounds__(256) ising_rows_halfsweep_##NS##_##BITS(   \
        gpurg_u32* __restrict__ state, const gpurg_u32* __restrict__ table, int L, int R,     \
        int color, gpurg_u32 step, gpurg_u32 seed_lo, gpurg_u32 seed_hi, gpurg_u32 w_mul,   \
        int w_shift, gpurg_u32 l_mul, int l_shift) {                                        \
        ising_rows_update<NS, ising_rows_word##BITS>(state, table, L, R, color, step, seed_lo, \
                                                     seed_hi, w_mul, w_shift, l_mul,        \
                                                     l_shift);                              \
    }
typedef gpurg_u32 ising_rows_word32;
typedef gpurg_u64 ising_rows_word64;

// Per row (r, y), one thread: bonds[r * L + y] = the sum of s_i s_j over the right and down
// bonds of the row's L sites (2 L bonds, each bond of the torus counted once over all rows),
// mag[r * L + y] = the sum of its spins; by popcounts of the packed words (a bond's product
// is -1 iff its two bits differ). Launch with at least R * L threads.
extern "C" __global__ void ising_rows_spin_sums(const gpurg_u32* __restrict__ state,
                                                int* __restrict__ bonds, int* __restrict__ mag,
                                                int L, int R) {
    const gpurg_u32 tid = blockIdx.x * blockDim.x + threadIdx.x;
    if (tid >= (gpurg_u32)R * (gpurg_u32)L) return;
    const int W = L >> 6;
    const gpurg_u32 r = tid / (gpurg_u32)L;
    const int y = (int)(tid - r * (gpurg_u32)L);
    const int yd = y == L - 1 ? 0 : y + 1;
    int differ = 0, up = 0;
    for (int c = 0; c < 2; ++c) {
        const gpurg_u32* crow = state + (((gpurg_u64)r * 2 + c) * L + y) * W;
        const gpurg_u64 obase = ((gpurg_u64)r * 2 + (c ^ 1)) * L;
        const gpurg_u32* orow = state + (obase + y) * W;
        const gpurg_u32* drow = state + (obase + yd) * W;
        const int p = (c + y) & 1;
        for (int w = 0; w < W; ++w) {
            gpurg_u32 left, right;
            ising_rows_sides<gpurg_u32>(orow, w, W, p, &left, &right);
            const gpurg_u32 cen = crow[w];
            differ += __popc(cen ^ right) + __popc(cen ^ drow[w]);
            up += __popc(cen);
        }
    }
    bonds[tid] = 2 * L - 2 * differ;
    mag[tid] = 2 * up - L;
}
