// Swendsen-Wang pieces shared by the square-lattice kernels (ising_cluster.cu: tiles of 8 x 8
// sites, rows of 8 bytes) and the simple-cubic ones (ising3d_cluster.cu: 4 x 4 x 4, rows of 4
// bytes): the label bytes, the rows of a tile as one word, the flood fill of a tile's 64-site
// mask into local clusters, and the lock-free union-find over the sites of a replica. A tile
// row of TW sites is handled as one word T of TW bytes (gpurg_u64 in 2D, gpurg_u32 in 3D).
#ifndef GPURG_ISING_CLUSTER_CUH
#define GPURG_ISING_CLUSTER_CUH

#include "gpurg_common.cuh"

// A site's label byte: SW_LABEL bits its tile-local cluster's smallest site l (the bit of the
// tile's mask; the order of the l is that of the site indices), SW_ROOT set on that site,
// SW_OPEN set on it when bonds from outside the tile may join the cluster (see the kernels).
#define SW_LABEL 63
#define SW_ROOT 6
#define SW_OPEN 7

__device__ __forceinline__ int sw_ctz64(gpurg_u64 v) {
#ifdef __CUDA_ARCH__
    return __ffsll((long long)v) - 1;
#else
    return __builtin_ctzll(v);
#endif
}

// sizeof(T) bytes at p, which is sizeof(T)-byte aligned (a plain load on the GPU; memcpy on
// the host)
template <class T>
__device__ __forceinline__ T sw_load(const void* p) {
#ifdef __CUDA_ARCH__
    return *(const T*)p;
#else
    T v;
    __builtin_memcpy(&v, p, sizeof(T));
    return v;
#endif
}

template <class T>
__device__ __forceinline__ void sw_store(void* p, T v) {
#ifdef __CUDA_ARCH__
    *(T*)p = v;
#else
    __builtin_memcpy(p, &v, sizeof(T));
#endif
}

// Whole tile rows (w = sizeof(T) sites) go through one aligned access; others byte by byte.
template <class T>
__device__ __forceinline__ bool sw_whole_row(const void* p, int w) {
    return w == (int)sizeof(T) && ((unsigned long long)p & (sizeof(T) - 1)) == 0;
}

// bit j of the nibble m -> bit 0 of byte j (the products' bits cannot collide)
__device__ __forceinline__ gpurg_u32 sw_spread4(gpurg_u32 m) {
    return ((m & 15u) * 0x00204081u) & 0x01010101u;
}

// bit j of m (j < sizeof(T)) -> bit 0 of byte j of T
template <class T>
__device__ __forceinline__ T sw_spread(gpurg_u32 m) {
    if constexpr (sizeof(T) == 8) {
        return (gpurg_u64)sw_spread4(m >> 4) << 32 | sw_spread4(m);
    } else {
        return sw_spread4(m);
    }
}

// bit b of byte j of v -> bit j (the products land on the top byte without carries)
__device__ __forceinline__ gpurg_u32 sw_gather(gpurg_u64 v, int b) {
    return (gpurg_u32)((((v >> b) & 0x0101010101010101ULL) * 0x0102040810204080ULL) >> 56);
}

__device__ __forceinline__ gpurg_u32 sw_gather(gpurg_u32 v, int b) {
    return (((v >> b) & 0x01010101u) * 0x01020408u) >> 24;
}

// The w bytes at p (a tile row of labels or spins) as the low bytes of a T.
template <class T>
__device__ __forceinline__ T sw_load_row(const void* p, int w) {
    if (sw_whole_row<T>(p, w)) return sw_load<T>(p);
    const unsigned char* b = (const unsigned char*)p;
    T v = 0;
    for (int lx = 0; lx < w; ++lx) v |= (T)b[lx] << (8 * lx);
    return v;
}

// The low w bytes of v to p.
template <class T>
__device__ __forceinline__ void sw_store_row(void* p, T v, int w) {
    if (sw_whole_row<T>(p, w)) {
        sw_store<T>(p, v);
    } else {
        unsigned char* b = (unsigned char*)p;
        for (int lx = 0; lx < w; ++lx) b[lx] = (unsigned char)(v >> (8 * lx));
    }
}

// Bit lx (lx < w) set where spin row[lx] is -1 (bit 1 of the byte: +1 is 0x01, -1 is 0xFF).
template <class T>
__device__ __forceinline__ gpurg_u32 sw_down_bits(const signed char* row, int w) {
    if (sw_whole_row<T>(row, w)) return sw_gather(sw_load<T>(row), 1);
    gpurg_u32 m = 0;
    for (int lx = 0; lx < w; ++lx) m |= (gpurg_u32)(((unsigned char)row[lx] >> 1) & 1) << lx;
    return m;
}

// Label planes of a tile: P[k] holds bit k of every site's label byte, for the valid sites
// (bits of the 64-bit tile mask) and the bonds inside the tile: bit l of H, V, D joins l to
// l + 1, l + DY, l + DZ (DZ = 0: no third direction, D unused). Sites without bonds inside the
// tile are their own clusters, labelled all at once: bit k of l is bit l of IDX[k]. The others
// flood-fill each cluster from its smallest unlabelled site, which is its root. A cluster is
// open when it holds a site of border; the open roots become their own parents in p, at the
// site index site(l); the other local clusters are whole clusters already, and their parents
// are not written.
template <int DY, int DZ, class Site>
__device__ __forceinline__ void sw_label_planes(gpurg_u64 (&P)[8], gpurg_u64 valid,
                                                gpurg_u64 border, gpurg_u64 H, gpurg_u64 V,
                                                gpurg_u64 D, int* p, Site site) {
    const gpurg_u64 IDX[6] = {0xAAAAAAAAAAAAAAAAULL, 0xCCCCCCCCCCCCCCCCULL, 0xF0F0F0F0F0F0F0F0ULL,
                              0xFF00FF00FF00FF00ULL, 0xFFFF0000FFFF0000ULL, 0xFFFFFFFF00000000ULL};
    gpurg_u64 bonded = H | (H << 1) | V | (V << DY);
    if constexpr (DZ > 0) bonded |= D | (D << DZ);
    const gpurg_u64 single = valid & ~bonded;
#pragma unroll
    for (int k = 0; k < 6; ++k) P[k] = single & IDX[k];
    P[SW_ROOT] = single;
    P[SW_OPEN] = single & border;
    for (gpurg_u64 m = P[SW_OPEN]; m; m &= m - 1) {
        const int root = site(sw_ctz64(m));
        p[root] = root;
    }
    for (gpurg_u64 todo = valid & ~single; todo;) {
        const int l = sw_ctz64(todo);
        gpurg_u64 C = (gpurg_u64)1 << l, N;
        for (;;) {
            N = C | ((C & H) << 1) | ((C >> 1) & H) | ((C & V) << DY) | ((C >> DY) & V);
            if constexpr (DZ > 0) N |= ((C & D) << DZ) | ((C >> DZ) & D);
            if (N == C) break;
            C = N;
        }
        todo &= ~C;
#pragma unroll
        for (int k = 0; k < 6; ++k) P[k] |= C & (0 - (gpurg_u64)((l >> k) & 1));  // no branch
        P[SW_ROOT] |= (gpurg_u64)1 << l;
        if (C & border) {
            P[SW_OPEN] |= (gpurg_u64)1 << l;
            const int root = site(l);
            p[root] = root;
        }
    }
}

// Flip the sites of a tile row (w sites at sp, their label bytes in lab) whose cluster's coin
// came up 1: bit l of heads for the cluster of local root l.
template <class T>
__device__ __forceinline__ void sw_flip_row(signed char* sp, T lab, gpurg_u64 heads, int w) {
    gpurg_u32 flips = 0;
#pragma unroll
    for (int lx = 0; lx < (int)sizeof(T); ++lx)
        flips |= (gpurg_u32)((heads >> ((lab >> (8 * lx)) & SW_LABEL)) & 1) << lx;
    flips &= (1u << w) - 1;
    if (!flips) return;
    const T x = sw_spread<T>(flips) * 0xFEu;  // 0x01 <-> 0xFF: s -> -s
    if (sw_whole_row<T>(sp, w)) {
        sw_store<T>(sp, sw_load<T>(sp) ^ x);
    } else {
        for (int lx = 0; lx < w; ++lx)
            sp[lx] = (signed char)(sp[lx] ^ (signed char)(x >> (8 * lx)));
    }
}

// Root of a's tree, with path splitting: each visited node is re-pointed at its grandparent.
// Parents only ever decrease (atomicMin), so a concurrent union is never undone.
__device__ __forceinline__ int sw_find(int* p, int a) {
    int q = gpurg_load_relaxed(p + a);
    while (q != a) {
        const int r = gpurg_load_relaxed(p + q);
        if (r != q) atomicMin(p + a, r);
        a = q;
        q = r;
    }
    return a;
}

// Root of a's tree once the unions are done: nothing changes the parents any more, so plain
// reads suffice (no atomics, no compression writes).
__device__ __forceinline__ int sw_root(const int* __restrict__ p, int a) {
    int q;
    while ((q = p[a]) != a) a = q;
    return a;
}

// Lock-free union (Playne & Hawick 2018): a root only ever hangs under a smaller index, so
// each tree's root ends as its cluster's smallest site, whatever the order of the unions.
__device__ __forceinline__ void sw_unite(int* p, int a, int b) {
    for (;;) {
        a = sw_find(p, a);
        b = sw_find(p, b);
        if (a == b) return;
        if (a > b) {
            const int t = a;
            a = b;
            b = t;
        }
        const int old = atomicMin(p + b, a);
        if (old == b) return;
        b = old;  // another thread re-rooted b first: retry from its new parent
    }
}

#endif
