// Swendsen-Wang cluster updates for the 2D Ising model (h = 0), R replicas of L x L int8 spins.
//
// A cluster's fate must not depend on how it was found, so each cluster is named by its
// smallest site index i = y * L + x, and its flip coin is bit 0 of word 0 of Philox block
// (root, r, sweep, SW_FLIPS). Bonds: site i draws block (i, r, sweep, SW_BONDS); word 0 decides
// the bond to +x, word 1 the bond to +y. gpurg/models/ising_numpy.py makes the same draws.
//
// Each thread handles SW_SITES consecutive sites of one replica (L is even, so L * L is a
// multiple of 4): their Philox blocks are computed in lockstep. Launch with at least
// R * L * L / SW_SITES threads. R * L * L < 2^31 (checked on the host): 32-bit indices.
#include "gpurg_common.cuh"

#define SW_SITES 4

// Coordinates of the first site of thread tid: replica base offset, site index, row, column.
struct SwSites {
    gpurg_u32 base;
    int i, y, x;
};

__device__ __forceinline__ bool sw_sites(SwSites& s, int L, int R) {
    const gpurg_u32 N = (gpurg_u32)(L * L);
    const gpurg_u32 first = SW_SITES * (blockIdx.x * blockDim.x + threadIdx.x);
    if (first >= (gpurg_u32)R * N) return false;
    s.i = (int)(first % N);
    s.base = first - s.i;
    s.y = s.i / L;
    s.x = s.i - s.y * L;
    return true;
}

// Lay bonds (bits 0: +x, 1: +y) between satisfied neighbours with probability thr / 2^32,
// and make every site its own root.
extern "C" __global__ void sw_bonds(const signed char* __restrict__ spins,
                                    unsigned char* __restrict__ bonds, int* __restrict__ parent,
                                    int L, int R, int coupling_sign, gpurg_u64 thr, gpurg_u32 step,
                                    gpurg_u32 seed_lo, gpurg_u32 seed_hi) {
    SwSites s;
    if (!sw_sites(s, L, R)) return;
    gpurg_u32x4 rnd[SW_SITES];
#pragma unroll
    for (int j = 0; j < SW_SITES; ++j) {
        rnd[j].x = (gpurg_u32)(s.i + j);
        rnd[j].y = s.base / (gpurg_u32)(L * L);
        rnd[j].z = step;
        rnd[j].w = GPURG_STREAM_SW_BONDS;
    }
    gpurg_philox_lanes<SW_SITES>(rnd, seed_lo, seed_hi);
    const signed char* sp = spins + s.base;
    int y = s.y, x = s.x;
#pragma unroll
    for (int j = 0; j < SW_SITES; ++j) {
        const int i = y * L + x;
        const int si = sp[i] * coupling_sign;
        const int sx = sp[y * L + (x == L - 1 ? 0 : x + 1)];
        const int sy = sp[(y == L - 1 ? 0 : y + 1) * L + x];
        unsigned char b = 0;
        if (si * sx > 0 && (gpurg_u64)rnd[j].x < thr) b |= 1;
        if (si * sy > 0 && (gpurg_u64)rnd[j].y < thr) b |= 2;
        bonds[s.base + i] = b;
        parent[s.base + i] = i;
        if (++x == L) {
            x = 0;
            ++y;
        }
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

// Merge the clusters joined by the bonds.
extern "C" __global__ void sw_union(const unsigned char* __restrict__ bonds, int* parent, int L,
                                    int R) {
    SwSites s;
    if (!sw_sites(s, L, R)) return;
    int* p = parent + s.base;
    int y = s.y, x = s.x;
    for (int j = 0; j < SW_SITES; ++j) {
        const int i = y * L + x;
        const unsigned char b = bonds[s.base + i];
        if (b & 1) sw_unite(p, i, y * L + (x == L - 1 ? 0 : x + 1));
        if (b & 2) sw_unite(p, i, (y == L - 1 ? 0 : y + 1) * L + x);
        if (++x == L) {
            x = 0;
            ++y;
        }
    }
}

// Toss each cluster's coin: a root (a site that is its own parent) draws its Philox block;
// other sites draw nothing. coins may be the bonds array, which the unions no longer need.
extern "C" __global__ void sw_coins(const int* __restrict__ parent,
                                    unsigned char* __restrict__ coins, int L, int R,
                                    gpurg_u32 step, gpurg_u32 seed_lo, gpurg_u32 seed_hi) {
    SwSites s;
    if (!sw_sites(s, L, R)) return;
#pragma unroll
    for (int j = 0; j < SW_SITES; ++j) {
        const int i = s.i + j;
        if (parent[s.base + i] != i) continue;
        gpurg_u32x4 ctr;
        ctr.x = (gpurg_u32)i;
        ctr.y = s.base / (gpurg_u32)(L * L);
        ctr.z = step;
        ctr.w = GPURG_STREAM_SW_FLIPS;
        coins[s.base + i] = (unsigned char)(gpurg_philox(ctr, seed_lo, seed_hi).x & 1u);
    }
}

// Flip every site whose cluster's coin came up 1.
extern "C" __global__ void sw_flip(signed char* __restrict__ spins,
                                   const int* __restrict__ parent,
                                   const unsigned char* __restrict__ coins, int L, int R) {
    SwSites s;
    if (!sw_sites(s, L, R)) return;
#pragma unroll
    for (int j = 0; j < SW_SITES; ++j) {
        const gpurg_u32 k = s.base + s.i + j;
        if (coins[s.base + sw_root(parent + s.base, s.i + j)]) spins[k] = (signed char)(-spins[k]);
    }
}
