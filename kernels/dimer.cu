// Directed-loop (worm) updates of close-packed dimers on the L x L torus, one replica per
// thread on a GPU, four per thread on the host. Site codes (int8, [replica][y][x]) give the
// direction of each site's partner: 0 = +x, 1 = +y, 2 = -x, 3 = -y.
// gpurg/models/dimer_numpy.py is the NumPy twin: same worms, same random words, same
// configurations.
//
// A worm of replica r with index w draws Philox blocks (k, w, r, stream): block 0 words x, y
// pick the tail's column and row (x L / 2^32 and y L / 2^32, bias below L / 2^32, like the
// 2^-32 steps of the exit thresholds), and step s of the worm uses word (s + 2) mod 4 of block
// (s + 2) / 4. The exit leg comes from the directed-loop threshold table
// of gpurg/models/dimer_rules.py, indexed by the parallel-plaquette pattern around the head.
//
// The few GPU-only code paths (marked by __CUDA_ARCH__) are also taken on the host when
// GPURG_EMULATE_DEVICE is defined: the tests run them there against NumPy.
#include "gpurg_common.cuh"

// Thresholds of the exit choice among the three legs other than the entrance, each with 1/3:
// the rows of the T = inf minimal-bounce table (rint(2^32 k / 3)).
#define DIMER_THIRD 1431655765ull
#define DIMER_TWO_THIRDS 2863311531ull

// Lattice steps of the four directions: selects on a GPU (a table indexed at run time would
// sit in local or constant memory, serialised when a warp's indices differ), a table on the
// host (selects on a random index would compile to mispredicted branches).
#if defined(__CUDA_ARCH__) || defined(GPURG_EMULATE_DEVICE)
__device__ __forceinline__ int dimer_step_x(int d) { return d == 0 ? 1 : (d == 2 ? -1 : 0); }
__device__ __forceinline__ int dimer_step_y(int d) { return d == 1 ? 1 : (d == 3 ? -1 : 0); }
#else
static const int dimer_dx[4] = {1, 0, -1, 0};
static const int dimer_dy[4] = {0, 1, 0, -1};
__device__ __forceinline__ int dimer_step_x(int d) { return dimer_dx[d]; }
__device__ __forceinline__ int dimer_step_y(int d) { return dimer_dy[d]; }
#endif

__device__ __forceinline__ int dimer_wrap(int v, int L) { return v + L * ((v < 0) - (v >= L)); }

// Philox blocks a worm draws at a time after its first: one on a GPU (registers are precious
// there), four on the host, where they are computed in one AVX2 pass (gpurg_philox_lanes) for
// the price of one. The first block alone starts a worm: near the columnar transition most
// worms end within a few steps.
#if defined(__CUDA_ARCH__) || defined(GPURG_EMULATE_DEVICE)
#define DIMER_BLOCKS 1
#else
#define DIMER_BLOCKS 4
#endif
#define DIMER_WORDS (4 * DIMER_BLOCKS)

// One replica's worm in progress: its lattice, counters, the head's state and random words.
struct DimerWalker {
    signed char* c;
    gpurg_u32 replica, worm, left, tail, s;
    gpurg_u64 done;
    int hx, hy, entrance, in_worm;
    gpurg_u32x4 block[DIMER_BLOCKS];
};

// Blocks first .. first + DIMER_BLOCKS - 1 of the walker's current worm.
__device__ __forceinline__ void dimer_refill(DimerWalker& w, gpurg_u32 first, gpurg_u32 stream,
                                             gpurg_u32 seed_lo, gpurg_u32 seed_hi) {
#pragma unroll
    for (int i = 0; i < DIMER_BLOCKS; ++i)
        w.block[i] = gpurg_u32x4{first + (gpurg_u32)i, w.worm, w.replica, stream};
    gpurg_philox_lanes<DIMER_BLOCKS>(w.block, seed_lo, seed_hi);
}

// Word `slot` of the worm's random stream (slot = step + 2). Block 0 sits in block[0]; from
// slot 4 on, block[] holds blocks 1 + g DIMER_BLOCKS .. (g + 1) DIMER_BLOCKS, refilled when
// the stream enters group g. On a GPU (one block) that is simply word slot mod 4, chosen by
// selects: an array indexed at run time would live in local memory.
__device__ __forceinline__ gpurg_u32 dimer_word(DimerWalker& w, gpurg_u32 slot,
                                                gpurg_u32 stream, gpurg_u32 seed_lo,
                                                gpurg_u32 seed_hi) {
    if (slot >= 4 && (slot - 4) % DIMER_WORDS == 0)
        dimer_refill(w, slot / 4, stream, seed_lo, seed_hi);
#if defined(__CUDA_ARCH__) || defined(GPURG_EMULATE_DEVICE)
    const gpurg_u32x4& b = w.block[0];
    return (slot & 2u) ? ((slot & 1u) ? b.w : b.z) : ((slot & 1u) ? b.y : b.x);
#else
    // the blocks' words are contiguous u32s: index them directly, no selects
    return (&w.block[0].x)[slot < 4 ? slot : (slot - 4) % DIMER_WORDS];
#endif
}

// Removes the dimer of a random tail site: the worm's head starts at the tail's partner.
__device__ __forceinline__ void dimer_begin(DimerWalker& w, int L, gpurg_u32 stream,
                                            gpurg_u32 seed_lo, gpurg_u32 seed_hi) {
    w.block[0] = gpurg_philox(gpurg_u32x4{0u, w.worm, w.replica, stream}, seed_lo, seed_hi);
    const int tx = (int)gpurg_mulhi(w.block[0].x, (gpurg_u32)L);
    const int ty = (int)gpurg_mulhi(w.block[0].y, (gpurg_u32)L);
    w.tail = (gpurg_u32)(ty * L + tx);
    const int tail_code = w.c[w.tail];
    w.hx = dimer_wrap(tx + dimer_step_x(tail_code), L);
    w.hy = dimer_wrap(ty + dimer_step_y(tail_code), L);
    w.entrance = tail_code ^ 2;  // from the head back towards the tail
    w.s = 0;
    w.in_worm = 1;
}

// One step of the head: re-pair it along the exit leg; returns 1 when the worm closed.
__device__ __forceinline__ int dimer_advance(DimerWalker& w, const gpurg_u64* thresholds,
                                             int L, int free, gpurg_u32 stream,
                                             gpurg_u32 seed_lo, gpurg_u32 seed_hi) {
    signed char* c = w.c;
    const int hx = w.hx, hy = w.hy;
    const gpurg_u32 u = dimer_word(w, w.s + 2, stream, seed_lo, seed_hi);
    const int xp = hx + 1 == L ? 0 : hx + 1, xm = hx == 0 ? L - 1 : hx - 1;
    const int yp = hy + 1 == L ? 0 : hy + 1, ym = hy == 0 ? L - 1 : hy - 1;
    const int i_xp = hy * L + xp, i_xm = hy * L + xm;
    const int i_yp = yp * L + hx, i_ym = ym * L + hx;
    const int tail = (int)w.tail;
    int exit;
    if (free) {
        const int j = (u >= DIMER_THIRD) + (u >= DIMER_TWO_THIRDS);
        exit = j + (j >= w.entrance);
    } else {
        // the tail is unpaired: its stale code must not count as a dimer
        const int c_xp = i_xp == tail ? 4 : c[i_xp];
        const int c_xm = i_xm == tail ? 4 : c[i_xm];
        const int c_yp = i_yp == tail ? 4 : c[i_yp];
        const int c_ym = i_ym == tail ? 4 : c[i_ym];
        // n_b: dimers parallel to the candidate (h, h+b) on the plaquettes it borders
        const int n0 = (c_yp == 0) + (c_ym == 0), n2 = (c_yp == 2) + (c_ym == 2);
        const int n1 = (c_xp == 1) + (c_xm == 1), n3 = (c_xp == 3) + (c_xm == 3);
        const gpurg_u64* thr =
            thresholds + ((n0 + 3 * n1 + 9 * n2 + 27 * n3) * 4 + w.entrance) * 3;
        exit = (u >= thr[0]) + (u >= thr[1]) + (u >= thr[2]);
    }
    const int px = dimer_wrap(hx + dimer_step_x(exit), L);
    const int py = dimer_wrap(hy + dimer_step_y(exit), L);
    const int pivot = py * L + px;
    ++w.s;
    c[hy * L + hx] = (signed char)exit;
    if (pivot == tail) {
        c[pivot] = (signed char)(exit ^ 2);
        return 1;
    }
    const int pivot_code = c[pivot];
    c[pivot] = (signed char)(exit ^ 2);
    // the pivot's old partner is the new head; it entered along the pivot's old dimer
    w.hx = dimer_wrap(px + dimer_step_x(pivot_code), L);
    w.hy = dimer_wrap(py + dimer_step_y(pivot_code), L);
    w.entrance = pivot_code ^ 2;
    return 0;
}

// Runs `n_worms` whole worms in each of the K replicas thread * K .. thread * K + K - 1,
// stopping a replica early once its step count reaches `step_target`. The K worms advance
// in turn, one step each: on a CPU core their independent dependency chains overlap, which
// one worm's chain of loads cannot (K = 1 on a GPU, whose warps hide the latency).
//
// Sampling uses a fixed number of worms: a stop that depends on the worms' lengths would bias
// the configurations seen at the stops (long worms end more sweeps). Worm and step counters
// live in global memory, so a chain does not depend on how its worms are grouped into
// launches. With `free` set the table must be the uniform no-bounce one (T = inf, minimal
// bounce): the exit is then drawn without looking at the neighbours, with the same
// thresholds, hence the same result.
template <int K>
__device__ __forceinline__ void dimer_worms_impl(
    signed char* __restrict__ codes, gpurg_u32* __restrict__ worms,
    gpurg_u64* __restrict__ steps, const gpurg_u64* __restrict__ thresholds, int L, int R,
    gpurg_u32 n_worms, gpurg_u64 step_target, int free, gpurg_u32 stream, gpurg_u32 seed_lo,
    gpurg_u32 seed_hi) {
    const int first = (blockIdx.x * blockDim.x + threadIdx.x) * K;
    DimerWalker w[K];
    int live = 0;
#pragma unroll
    for (int j = 0; j < K; ++j) {
        const int r = first + j < R ? first + j : R - 1;  // lanes past R idle
        w[j].replica = (gpurg_u32)r;
        w[j].c = codes + (gpurg_u64)r * L * L;
        w[j].worm = worms[r];
        w[j].done = steps[r];
        w[j].left = first + j < R ? n_worms : 0u;
        w[j].in_worm = 0;
        live += first + j < R;
    }
    while (live > 0) {
#pragma unroll
        for (int j = 0; j < K; ++j) {
            if (!w[j].in_worm) {
                if (w[j].left == 0 || w[j].done >= step_target) continue;
                dimer_begin(w[j], L, stream, seed_lo, seed_hi);
            }
            if (dimer_advance(w[j], thresholds, L, free, stream, seed_lo, seed_hi)) {
                w[j].done += w[j].s;
                ++w[j].worm;
                w[j].in_worm = 0;
                if (--w[j].left == 0 || w[j].done >= step_target) {
                    w[j].left = 0;
                    --live;
                }
            }
        }
    }
#pragma unroll
    for (int j = 0; j < K; ++j) {
        if (first + j < R) {
            worms[first + j] = w[j].worm;
            steps[first + j] = w[j].done;
        }
    }
}

#define DIMER_WORMS_KERNEL(NAME, K)                                                          \
    extern "C" __global__ void NAME(signed char* __restrict__ codes,                         \
                                    gpurg_u32* __restrict__ worms,                           \
                                    gpurg_u64* __restrict__ steps,                           \
                                    const gpurg_u64* __restrict__ thresholds, int L, int R,  \
                                    gpurg_u32 n_worms, gpurg_u64 step_target, int free,      \
                                    gpurg_u32 stream, gpurg_u32 seed_lo, gpurg_u32 seed_hi) {\
        dimer_worms_impl<K>(codes, worms, steps, thresholds, L, R, n_worms, step_target,     \
                            free, stream, seed_lo, seed_hi);                                 \
    }

DIMER_WORMS_KERNEL(dimer_worms, 1)
DIMER_WORMS_KERNEL(dimer_worms_x4, 4)
