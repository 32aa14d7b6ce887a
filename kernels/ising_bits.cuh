// Bit-packed Ising decisions shared by the bit-packed layouts (ising_bits.cu: replicas as the
// bits of a word; ising_rows.cu: sites of one colour along a row). A "word" is 32 lanes, each
// lane one spin (bit 1 = +1). For every lane of a word this decides the checkerboard flip
// exactly as the byte kernels' integer thresholds do (flip iff u < t, u a uniform 32-bit
// integer), comparing u and t bit plane by bit plane from the most significant bit and drawing
// the planes of u lazily, four per Philox block. The semantics, and the NumPy twin these
// functions reproduce bit for bit, are in gpurg/models/ising_bits_numpy.py. At the end, the
// replica-bits layout's kernel bodies, one for the square and the simple-cubic lattice.
#ifndef GPURG_ISING_BITS_CUH
#define GPURG_ISING_BITS_CUH

#include "gpurg_common.cuh"

#define GPURG_BITS_PLANES_PER_BLOCK 4
#define GPURG_BITS_BLOCKS 8  // 32 planes

// The flip rule as the classes of lanes it treats alike, compacted on the host
// (gpurg.models.ising_bits_numpy.rule_table, from the thresholds of
// gpurg.models.ising_rules.flip_thresholds) and read by every thread from this table of
// uint32, for Z neighbours (4: square lattice, 6: simple cubic) and C = 2 (Z + 1) classes:
// [0] n_random, [1] n_other, [2] other_is_never, [3 + i] the threshold of random class i
// (0 < t < 2^32), [3 + C + 5 i + j] mask j of random class i, [3 + 6 C + 5 i + j] mask j of
// "other" class i (2D: 13 and 63, 113 words in all; 3D: 17 and 87, 157 words). A class is the
// lanes with aligned-neighbour count a = (a2 a1 a0) and a spin; its masks (each 0 or ~0) are
// a0, a1, a2, flip_spin (~0: s = -1 only, 0: s = +1 only) and any_spin (~0: either spin). The
// "other" classes are those that always flip (t = 2^32), or the fewer ones that never flip
// (t = 0; other_is_never), the sure lanes then being the rest. With h = 0 a class takes both
// spins, so Metropolis at h = 0 has Z / 2 random classes (2D: a = 3, 4) and every bit plane
// costs a few operations per class. Building the classes on the host keeps each thread from
// building (and a GPU from spilling) them.
#define GPURG_BITS_RULE_WORDS(Z) (3 + 22 * ((Z) + 1))

template <int Z>
struct gpurg_bits_rule_of {
    static constexpr int C = 2 * (Z + 1);  // classes (s, a)
    const gpurg_u32* __restrict__ p;

    __device__ __forceinline__ int n_random() const { return (int)p[0]; }
    __device__ __forceinline__ int n_other() const { return (int)p[1]; }
    __device__ __forceinline__ bool other_is_never() const { return p[2] != 0u; }
    __device__ __forceinline__ gpurg_u32 t(int i) const { return p[3 + i]; }
    __device__ __forceinline__ const gpurg_u32* random(int i) const { return p + 3 + C + 5 * i; }
    __device__ __forceinline__ const gpurg_u32* other(int i) const {
        return p + 3 + 6 * C + 5 * i;
    }
};
typedef gpurg_bits_rule_of<4> gpurg_bits_rule;  // the square lattice's

// The words W are gpurg_u32 (32 lanes) or, on the host, gpurg_u64: two 32-lane words side
// by side (low half first), each with its own random numbers, so that a 64-bit operation does
// the work of two without changing any decision.

// A mask of 0 or ~0 (gpurg_u32) widened to W.
template <class W>
__device__ __forceinline__ W gpurg_bits_widen(gpurg_u32 mask) {
    return (W)(long long)(int)mask;
}

// The lanes of class c (its 5 masks) among lanes, given the bit-sliced count (a0, a1, a2) and
// the spins.
template <class W>
__device__ __forceinline__ W gpurg_bits_class_mask(const gpurg_u32* c, W cen, W a0, W a1, W a2,
                                                   W lanes) {
    const W ne = (a0 ^ gpurg_bits_widen<W>(c[0])) | (a1 ^ gpurg_bits_widen<W>(c[1])) |
                 (a2 ^ gpurg_bits_widen<W>(c[2]));
    const W spin = (cen ^ gpurg_bits_widen<W>(c[3])) | gpurg_bits_widen<W>(c[4]);
    return ~ne & spin & lanes;
}

// One word's lanes sorted into classes: m[i] the lanes of random class i (NR >= n_random
// slots, the slots past n_random empty), sure the lanes that flip without a random number,
// need the lanes that need one.
template <class W, int NR>
struct gpurg_bits_site {
    W m[NR];
    W sure, need;
};

// The bit-sliced count a = (a2 a1 a0) of the Z neighbours n[0..Z) aligned with each lane of
// cen: 0..4 on the square lattice, 0..6 on the simple-cubic one.
template <int Z, class W>
__device__ __forceinline__ void gpurg_bits_aligned(W cen, const W* n, W& a0, W& a1, W& a2) {
    static_assert(Z == 4 || Z == 6, "square or simple-cubic lattice");
    if constexpr (Z == 4) {
        const W n0 = ~(n[0] ^ cen), n1 = ~(n[1] ^ cen), n2 = ~(n[2] ^ cen), n3 = ~(n[3] ^ cen);
        const W s01 = n0 ^ n1, c01 = n0 & n1, s23 = n2 ^ n3, c23 = n2 & n3;
        a0 = s01 ^ s23;
        a1 = c01 ^ c23 ^ (s01 & s23);
        a2 = c01 & c23;  // a = 4: then a1 = a0 = 0
    } else {
        // two full adders of three neighbours each, then their sums (weight 1) and carries
        // (weight 2) added
        W x[6];
GPURG_UNROLL
        for (int j = 0; j < 6; ++j) x[j] = ~(n[j] ^ cen);
        const W p = x[0] ^ x[1], q = x[3] ^ x[4];
        const W s0 = p ^ x[2], c0 = (x[0] & x[1]) | (p & x[2]);
        const W s1 = q ^ x[5], c1 = (x[3] & x[4]) | (q & x[5]);
        const W c = s0 & s1;  // carry of the weight-1 sum
        a0 = s0 ^ s1;
        a1 = c0 ^ c1 ^ c;
        a2 = (c0 & c1) | ((c0 ^ c1) & c);
    }
}

// cen: the word's spins; n[0..Z): its neighbours' words (same lanes); lanes: the lanes in use
// (the others neither flip nor need numbers).
template <class W, int NR, int Z>
__device__ __forceinline__ gpurg_bits_site<W, NR> gpurg_bits_classify(
    const gpurg_bits_rule_of<Z>& rule, W cen, const W* n, W lanes) {
    W a0, a1, a2;
    gpurg_bits_aligned<Z>(cen, n, a0, a1, a2);
    gpurg_bits_site<W, NR> s;
    s.need = 0;
    const int n_random = rule.n_random();
GPURG_UNROLL
    for (int i = 0; i < NR; ++i) {
        s.m[i] = i < n_random ? gpurg_bits_class_mask(rule.random(i), cen, a0, a1, a2, lanes)
                              : (W)0;
        s.need |= s.m[i];
    }
    W other = 0;
    const int n_other = rule.n_other();
    for (int i = 0; i < n_other; ++i)  // the same for every thread: no divergence
        other |= gpurg_bits_class_mask(rule.other(i), cen, a0, a1, a2, lanes);
    s.sure = rule.other_is_never() ? lanes & ~s.need & ~other : other;
    return s;
}

// The lanes of NS words that flip. ctr(i, h, b) gives the Philox counter of block b (planes
// 4 b .. 4 b + 3, most significant first) of half h of word i (h = 0 for 32-bit words). Block b
// of all NS words is drawn as soon as one of them has a lane undecided after plane 4 b - 1:
// the NumPy twin draws it for just the words that need it, but a lane's decision depends on
// its own bits of u only, so the extra blocks change nothing, and drawing them together keeps
// SIMD lanes (host) and independent Philox chains (GPU) busy.
template <int NS, class W, int NR, int Z, class Counter>
__device__ __forceinline__ void gpurg_bits_decide(const gpurg_bits_rule_of<Z>& rule,
                                                  const gpurg_bits_site<W, NR>* s, W* flip,
                                                  Counter ctr, gpurg_u32 k0, gpurg_u32 k1) {
    constexpr int H = sizeof(W) / sizeof(gpurg_u32);
    W undecided[NS];
    W any = 0;
GPURG_UNROLL
    for (int i = 0; i < NS; ++i) {
        undecided[i] = s[i].need;
        flip[i] = s[i].sure;
        any |= undecided[i];
    }
    for (int b = 0; b < GPURG_BITS_BLOCKS && any; ++b) {
        // words p of the blocks, block i * H + h in place i * H + h: the H halves of word
        // i's plane 4 b + p lie side by side, low half first
        gpurg_u32 rnd[GPURG_BITS_PLANES_PER_BLOCK][NS * H];
GPURG_UNROLL
        for (int i = 0; i < NS; ++i) {
GPURG_UNROLL
            for (int h = 0; h < H; ++h) {
                const gpurg_u32x4 c = ctr(i, h, b);
                rnd[0][i * H + h] = c.x;
                rnd[1][i * H + h] = c.y;
                rnd[2][i * H + h] = c.z;
                rnd[3][i * H + h] = c.w;
            }
        }
        gpurg_philox_soa<NS * H>(rnd[0], rnd[1], rnd[2], rnd[3], k0, k1);
GPURG_UNROLL
        for (int p = 0; p < GPURG_BITS_PLANES_PER_BLOCK; ++p) {
            // plane 4 b + p (bit 31 - 4 b - p) of each random class's threshold, 0 or ~0
            const int k = 4 * b + p;
            W bits[NR];
GPURG_UNROLL
            for (int c = 0; c < NR; ++c)  // t(c) = 0 past n_random
                bits[c] = gpurg_bits_widen<W>((gpurg_u32)((int)(rule.t(c) << k) >> 31));
GPURG_UNROLL
            for (int i = 0; i < NS; ++i) {
                W t = 0;
GPURG_UNROLL
                for (int c = 0; c < NR; ++c) t |= s[i].m[c] & bits[c];
                W u = 0;
GPURG_UNROLL
                for (int h = 0; h < H; ++h) u |= (W)rnd[p][i * H + h] << (32 * h);
                flip[i] |= undecided[i] & t & ~u;  // first differing plane: u's 0, t's 1
                undecided[i] &= ~(t ^ u);
            }
        }
        any = 0;
GPURG_UNROLL
        for (int i = 0; i < NS; ++i) any |= undecided[i];
    }
}

// Sort NS words into classes and decide them: flip[i] the lanes of word i that flip, given
// its spins cen[i] and its neighbours' words nb[j][i] (j = 0..Z-1). The classes' slots are a
// constant of the compiled code (Z / 2: Metropolis at h = 0; Z + 1: heat-bath at h = 0;
// 2 (Z + 1): any rule; 2, 5, 10 in 2D), picked from the rule, so that no bit plane loops
// over empty ones.
template <int NS, int NR, class W, int Z, class Counter>
__device__ __forceinline__ void gpurg_bits_update_nr(const gpurg_bits_rule_of<Z>& rule,
                                                     const W* cen, const W (*nb)[NS], W lanes,
                                                     W* flip, Counter ctr, gpurg_u32 k0,
                                                     gpurg_u32 k1) {
    gpurg_bits_site<W, NR> s[NS];
GPURG_UNROLL
    for (int i = 0; i < NS; ++i) {
        W n[Z];
GPURG_UNROLL
        for (int j = 0; j < Z; ++j) n[j] = nb[j][i];
        s[i] = gpurg_bits_classify<W, NR>(rule, cen[i], n, lanes);
    }
    gpurg_bits_decide<NS, W, NR>(rule, s, flip, ctr, k0, k1);
}

// nb: Z rows (the rule's neighbours) of NS words each.
template <int NS, class W, int Z, class Counter>
__device__ __forceinline__ void gpurg_bits_update(const gpurg_bits_rule_of<Z>& rule,
                                                  const W* cen, const W (*nb)[NS], W lanes,
                                                  W* flip, Counter ctr, gpurg_u32 k0,
                                                  gpurg_u32 k1) {
    const int n_random = rule.n_random();
    if (n_random <= Z / 2)  // the same for every thread: no divergence
        gpurg_bits_update_nr<NS, Z / 2>(rule, cen, nb, lanes, flip, ctr, k0, k1);
    else if (n_random <= Z + 1)
        gpurg_bits_update_nr<NS, Z + 1>(rule, cen, nb, lanes, flip, ctr, k0, k1);
    else
        gpurg_bits_update_nr<NS, 2 * (Z + 1)>(rule, cen, nb, lanes, flip, ctr, k0, k1);
}

// The lanes of word q in use: those of replicas below R (W holds sizeof(W) / 4 groups of 32).
template <class W>
__device__ __forceinline__ W gpurg_bits_lanes(int R, int q) {
    constexpr int H = sizeof(W) / sizeof(gpurg_u32);
    W lanes = 0;
GPURG_UNROLL
    for (int h = 0; h < H; ++h) {
        const int n = R - 32 * (H * q + h);  // replicas in group H q + h
        const gpurg_u32 l = n >= 32 ? ~0u : (n <= 0 ? 0u : (1u << n) - 1u);
        lanes |= (W)l << (32 * h);
    }
    return lanes;
}

// Add the lanes of w to a bit-sliced counter c[0..B) (plane i holds bit i of every lane's
// count), branch-free.
template <int B, class W>
__device__ __forceinline__ void gpurg_bits_count(W* c, W w) {
GPURG_UNROLL
    for (int i = 0; i < B; ++i) {
        const W carry = c[i] & w;
        c[i] ^= w;
        w = carry;
    }
}

// Add a B-plane counter s (counts of weight 1) into the big counter c[0..18).
template <int B, class W>
__device__ __forceinline__ void gpurg_bits_flush(W* c, const W* s) {
    for (int k = 0; k < B; ++k) {
        W w = s[k];
        for (int i = k; i < 18 && w; ++i) {  // the carry rarely travels far
            const W carry = c[i] & w;
            c[i] ^= w;
            w = carry;
        }
    }
}

// The spin sums of one row of replica words: for each lane l of W, o[l] the row's +1 spins
// and o[BITS + l] how many of the row's bonds to the right (x + 1) and to the NB rows
// next[0..NB) (same x; 2D: the row below; 3D: below and behind) join equal spins. Counts go
// to 4-plane counters (up to 15 words: 15 / (1 + NB) sites at a time), flushed into 18-plane
// ones (L <= 2^16 sites, (1 + NB) L bonds).
template <int NB, class W>
__device__ __forceinline__ void gpurg_bits_row_sums(const W* __restrict__ row,
                                                    const W* const (&next)[NB], int L,
                                                    int* __restrict__ o) {
    constexpr int BITS = 8 * sizeof(W);
    constexpr int CHUNK = 15 / (1 + NB);
    W up[18] = {0}, aligned[18] = {0};
    for (int x0 = 0; x0 < L; x0 += CHUNK) {
        W su[4] = {0}, sa[4] = {0};
        const int x1 = x0 + CHUNK < L ? x0 + CHUNK : L;
        for (int x = x0; x < x1; ++x) {
            const W w = row[x];
            gpurg_bits_count<4>(su, w);
            gpurg_bits_count<4>(sa, (W)~(w ^ row[x == L - 1 ? 0 : x + 1]));
GPURG_UNROLL
            for (int j = 0; j < NB; ++j) gpurg_bits_count<4>(sa, (W)~(w ^ next[j][x]));
        }
        gpurg_bits_flush<4>(up, su);
        gpurg_bits_flush<4>(aligned, sa);
    }
    for (int l = 0; l < BITS; ++l) {
        int nu = 0, na = 0;
        for (int i = 0; i < 18; ++i) {
            nu |= (int)((up[i] >> l) & 1u) << i;
            na |= (int)((aligned[i] >> l) & 1u) << i;
        }
        o[l] = nu;
        o[BITS + l] = na;
    }
}

// The replica-bits layout (ising_bits.cu: D = 2, ising3d_bits.cu: D = 3): Q words per site of
// an L^D torus, word q's sites L^(D-1) rows of L words, row r = z L + y (2D: z = 0, r = y).
// Block b (planes 4 b .. 4 b + 3) of group g at site (r, x) in half-sweep `step` is Philox block
// (r L + x, 8 g + b, step, BIT_UPDATE), as in gpurg/models/ising_bits_numpy.py.
template <int D>
__device__ __forceinline__ int ising_bits_rows(int L) {
    static_assert(D == 2 || D == 3, "square or simple-cubic lattice");
    return D == 3 ? L * L : L;
}

// Update NS sites of one colour in row r = z L + y of word q: the colour's sites j0 ..
// j0 + NS - 1 of the row (x = 2 j + ((color + y + z) & 1)); sites past the row's L / 2 are
// computed but not stored. Neighbours are of the other colour, so no other thread writes them
// meanwhile. Consecutive threads take consecutive runs of a row: their loads coalesce.
template <int D, int NS, class W>
__device__ __forceinline__ void ising_bits_run(W* __restrict__ words,
                                               const gpurg_bits_rule_of<2 * D>& rule, int L,
                                               int q, W lanes, int r, int j0, int color,
                                               gpurg_u32 step, gpurg_u32 k0, gpurg_u32 k1) {
    constexpr int H = sizeof(W) / sizeof(gpurg_u32);
    constexpr int NR = 2 * D - 2;  // neighbours in other rows
    const int half = L >> 1;
    const int z = D == 3 ? r / L : 0, y = r - z * L;
    const int p = (color + y + z) & 1;
    W* box = words + (gpurg_u64)q * ising_bits_rows<D>(L) * L;
    W* row = box + (gpurg_u64)r * L;
    // rows y - 1, y + 1 of plane z (3D: then row y of planes z - 1, z + 1)
    const W* rows[NR];
    rows[0] = box + ((gpurg_u64)z * L + (y == 0 ? L - 1 : y - 1)) * L;
    rows[1] = box + ((gpurg_u64)z * L + (y == L - 1 ? 0 : y + 1)) * L;
    if constexpr (D == 3) {
        rows[2] = box + ((gpurg_u64)(z == 0 ? L - 1 : z - 1) * L + y) * L;
        rows[3] = box + ((gpurg_u64)(z == L - 1 ? 0 : z + 1) * L + y) * L;
    }
    W cen[NS], nb[NR + 2][NS];
    int x[NS];
GPURG_UNROLL
    for (int i = 0; i < NS; ++i) {
        const int j = j0 + i < half ? j0 + i : half - 1;
        x[i] = 2 * j + p;
        cen[i] = row[x[i]];
GPURG_UNROLL
        for (int k = 0; k < NR; ++k) nb[k][i] = rows[k][x[i]];
        nb[NR][i] = row[x[i] == 0 ? L - 1 : x[i] - 1];
        nb[NR + 1][i] = row[x[i] == L - 1 ? 0 : x[i] + 1];
    }
    const gpurg_u32 site0 = (gpurg_u32)r * (gpurg_u32)L;  // < L^D < 2^31 (checked on the host)
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
// at least Q * L^(D-1) * ceil(L / 2 / NS) threads.
template <int D, int NS, class W>
__device__ __forceinline__ void ising_bits_halfsweep(W* __restrict__ words,
                                                     const gpurg_u32* __restrict__ table, int L,
                                                     int Q, int R, int color, gpurg_u32 step,
                                                     gpurg_u32 k0, gpurg_u32 k1) {
    const gpurg_u32 runs = (gpurg_u32)((L / 2 + NS - 1) / NS);
    const gpurg_u32 rows = (gpurg_u32)ising_bits_rows<D>(L);
    const gpurg_u32 tid = blockIdx.x * blockDim.x + threadIdx.x;
    if (tid >= (gpurg_u32)Q * rows * runs) return;
    const gpurg_u32 qr = tid / runs;  // q L^(D-1) + r
    const int q = (int)(qr / rows);
    const gpurg_bits_rule_of<2 * D> rule{table};
    ising_bits_run<D, NS, W>(words, rule, L, q, gpurg_bits_lanes<W>(R, q), (int)(qr % rows),
                             (int)(tid % runs) * NS, color, step, k0, k1);
}

// half_steps half-sweeps from first_step on, one thread block per word: the block's threads
// share out the runs of each half-sweep and wait for each other (__syncthreads) before the
// next. One launch serves many sweeps, which is what small lattices need, whose half-sweeps
// are too short to pay for a launch each. Launch Q blocks (one thread each on the host, where
// the block's single thread takes every run and __syncthreads is empty).
template <int D, int NS, class W>
__device__ __forceinline__ void ising_bits_sweeps(W* __restrict__ words,
                                                  const gpurg_u32* __restrict__ table, int L,
                                                  int Q, int R, gpurg_u32 first_step,
                                                  int half_steps, gpurg_u32 k0, gpurg_u32 k1) {
    const int q = (int)blockIdx.x;
    if (q >= Q) return;  // the same for the whole block
    const int runs = (L / 2 + NS - 1) / NS;
    const int rows = ising_bits_rows<D>(L);
    const gpurg_bits_rule_of<2 * D> rule{table};
    const W lanes = gpurg_bits_lanes<W>(R, q);
    for (int h = 0; h < half_steps; ++h) {
        const gpurg_u32 step = first_step + (gpurg_u32)h;
        for (int i = (int)threadIdx.x; i < rows * runs; i += (int)blockDim.x)
            ising_bits_run<D, NS, W>(words, rule, L, q, lanes, i / runs, (i % runs) * NS,
                                     (int)(step & 1u), step, k0, k1);
        __syncthreads();
    }
}

// Per (word, row r = z L + y): for each lane, the row's +1 spins and how many of its bonds to
// x + 1, y + 1 (3D: and z + 1) join equal spins: out[((q L^(D-1) + r) 2 + k) BITS + l], k = 0, 1
// (gpurg_bits_row_sums). The host sums the rows: magnetisation 2 up - N, bond sum
// 2 aligned - D N.
template <int D, class W>
__device__ __forceinline__ void ising_bits_counts(const W* __restrict__ words, int L, int Q,
                                                  int* __restrict__ out) {
    constexpr int BITS = 8 * sizeof(W);
    const gpurg_u32 rows = (gpurg_u32)ising_bits_rows<D>(L);
    const gpurg_u32 tid = blockIdx.x * blockDim.x + threadIdx.x;
    if (tid >= (gpurg_u32)Q * rows) return;
    const int r = (int)(tid % rows);
    const int z = D == 3 ? r / L : 0, y = r - z * L;
    const W* box = words + (gpurg_u64)(tid - (gpurg_u32)r) * L;  // word q's first row
    const W* next[D - 1];  // row y + 1 of plane z (3D: and row y of plane z + 1)
    next[0] = box + ((gpurg_u64)z * L + (y == L - 1 ? 0 : y + 1)) * L;
    if constexpr (D == 3) next[1] = box + ((gpurg_u64)(z == L - 1 ? 0 : z + 1) * L + y) * L;
    gpurg_bits_row_sums<D - 1>(box + (gpurg_u64)r * L, next, L, out + (gpurg_u64)tid * 2 * BITS);
}

#endif
