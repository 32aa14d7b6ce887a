// Bit-packed Ising decisions shared by the bit-packed layouts (ising_bits.cu: replicas as the
// bits of a word; ising_rows.cu: sites of one colour along a row). A "word" is 32 lanes, each
// lane one spin (bit 1 = +1). For every lane of a word this decides the checkerboard flip
// exactly as the byte kernels' integer thresholds do (flip iff u < t, u a uniform 32-bit
// integer), comparing u and t bit plane by bit plane from the most significant bit and drawing
// the planes of u lazily, four per Philox block. The semantics, and the NumPy twin these
// functions reproduce bit for bit, are in gpurg/models/ising_bits_numpy.py.
#ifndef GPURG_ISING_BITS_CUH
#define GPURG_ISING_BITS_CUH

#include "gpurg_common.cuh"

#define GPURG_BITS_PLANES_PER_BLOCK 4
#define GPURG_BITS_BLOCKS 8  // 32 planes

// The flip thresholds of one launch (gpurg.models.ising_rules.flip_thresholds: index
// 5 * (s > 0) + (nn + 4) / 2, values in [0, 2^32]), sorted into classes once per thread. With
// h = 0 the thresholds of (s = +1, a) and (s = -1, a) agree for every aligned count a, and the
// classes are the five counts, which halves the work of every plane.
struct gpurg_bits_rule {
    gpurg_u32 t[10];     // thresholds of the random classes, < 2^32
    unsigned random;     // bit c: class c decides at random (0 < t < 2^32)
    unsigned sure;       // bit c: class c always flips (t = 2^32)
    int symmetric;       // classes are c = a = 0..4 (h = 0); else c = 5 * (s > 0) + ...
};

__device__ __forceinline__ gpurg_bits_rule gpurg_bits_rule_from(const gpurg_u64* thr) {
    gpurg_bits_rule rule;
    rule.symmetric = 1;
    for (int a = 0; a < 5; ++a) rule.symmetric &= thr[5 + a] == thr[4 - a];
    rule.random = 0;
    rule.sure = 0;
    for (int c = 0; c < 10; ++c) {
        // class c: symmetric -> aligned count c (c < 5); else table index c
        const gpurg_u64 t = rule.symmetric ? (c < 5 ? thr[5 + c] : 0) : thr[c];
        rule.t[c] = (gpurg_u32)t;
        rule.random |= (unsigned)(t > 0 && t < (1ull << 32)) << c;
        rule.sure |= (unsigned)(t >= (1ull << 32)) << c;
    }
    return rule;
}

// One word's lanes sorted into classes: m[c] the lanes of random class c, sure the lanes that
// flip without a random number, need the lanes that need one.
struct gpurg_bits_site {
    gpurg_u32 m[10];
    gpurg_u32 sure, need;
};

// cen: the word's spins; n0..n3: its four neighbours' words (same lanes); lanes: the lanes in
// use (the others neither flip nor need numbers).
__device__ __forceinline__ gpurg_bits_site gpurg_bits_classify(const gpurg_bits_rule& rule,
                                                              gpurg_u32 cen, gpurg_u32 n0,
                                                              gpurg_u32 n1, gpurg_u32 n2,
                                                              gpurg_u32 n3, gpurg_u32 lanes) {
    // a = bit-sliced count (a2 a1 a0) of the neighbours aligned with each lane, 0..4
    n0 = ~(n0 ^ cen);
    n1 = ~(n1 ^ cen);
    n2 = ~(n2 ^ cen);
    n3 = ~(n3 ^ cen);
    const gpurg_u32 s01 = n0 ^ n1, c01 = n0 & n1, s23 = n2 ^ n3, c23 = n2 & n3;
    const gpurg_u32 a0 = s01 ^ s23;
    const gpurg_u32 a1 = c01 ^ c23 ^ (s01 & s23);
    const gpurg_u32 a2 = c01 & c23;  // a = 4: then a1 = a0 = 0
    gpurg_u32 eq[5];
    eq[0] = ~a2 & ~a1 & ~a0 & lanes;
    eq[1] = ~a2 & ~a1 & a0 & lanes;
    eq[2] = ~a2 & a1 & ~a0 & lanes;
    eq[3] = ~a2 & a1 & a0 & lanes;
    eq[4] = a2 & lanes;
    gpurg_bits_site s;
    s.sure = 0;
    s.need = 0;
#pragma unroll
    for (int c = 0; c < 10; ++c) {
        gpurg_u32 m;
        if (rule.symmetric) {
            m = c < 5 ? eq[c] : 0;
        } else {
            m = c < 5 ? ~cen & eq[4 - c] : cen & eq[c - 5];  // 4 - a for s = -1, 5 + a for +1
        }
        s.m[c] = (rule.random >> c) & 1 ? m : 0;
        s.need |= s.m[c];
        s.sure |= (rule.sure >> c) & 1 ? m : 0;
    }
    return s;
}

// Lanes of the word whose threshold has bit 31 - k set (plane k of t).
__device__ __forceinline__ gpurg_u32 gpurg_bits_threshold_plane(const gpurg_bits_rule& rule,
                                                               const gpurg_bits_site& s, int k) {
    gpurg_u32 plane = 0;
#pragma unroll
    for (int c = 0; c < 10; ++c) {
        if ((rule.random >> c) & 1)  // the same for every thread: no divergence
            plane |= s.m[c] & (gpurg_u32)(-(int)((rule.t[c] >> (31 - k)) & 1u));
    }
    return plane;
}

// The lanes of NS words that flip. ctr(i, b) gives the Philox counter of block b (planes
// 4 b .. 4 b + 3, most significant first) of word i. Block b of all NS words is drawn as soon
// as one of them has a lane undecided after plane 4 b - 1: the NumPy twin draws it for just
// the words that need it, but a lane's decision depends on its own bits of u only, so the
// extra blocks change nothing, and drawing NS blocks together keeps SIMD lanes (host) and
// independent Philox chains (GPU) busy.
template <int NS, class Counter>
__device__ __forceinline__ void gpurg_bits_decide(const gpurg_bits_rule& rule,
                                                  const gpurg_bits_site* s, gpurg_u32* flip,
                                                  Counter ctr, gpurg_u32 k0, gpurg_u32 k1) {
    gpurg_u32 undecided[NS];
    gpurg_u32 any = 0;
#pragma unroll
    for (int i = 0; i < NS; ++i) {
        undecided[i] = s[i].need;
        flip[i] = s[i].sure;
        any |= undecided[i];
    }
    for (int b = 0; b < GPURG_BITS_BLOCKS && any; ++b) {
        gpurg_u32x4 rnd[NS];
#pragma unroll
        for (int i = 0; i < NS; ++i) rnd[i] = ctr(i, b);
        gpurg_philox_lanes<NS>(rnd, k0, k1);
        any = 0;
#pragma unroll
        for (int i = 0; i < NS; ++i) {
#pragma unroll
            for (int p = 0; p < GPURG_BITS_PLANES_PER_BLOCK; ++p) {
                const gpurg_u32 t = gpurg_bits_threshold_plane(rule, s[i], 4 * b + p);
                const gpurg_u32 u = gpurg_word(rnd[i], p);
                flip[i] |= undecided[i] & t & ~u;  // first differing plane: u's 0, t's 1
                undecided[i] &= ~(t ^ u);
            }
            any |= undecided[i];
        }
    }
}

#endif
