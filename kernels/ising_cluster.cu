// Swendsen-Wang cluster updates for the 2D Ising model (h = 0), R replicas of L x L int8 spins.
//
// A cluster's fate must not depend on how it was found, so each cluster is named by its
// smallest site index i = y * L + x, and its flip coin is bit 0 of word 0 of Philox block
// (root, r, sweep, SW_FLIPS). Bonds: site i draws block (i, r, sweep, SW_BONDS); word 0 decides
// the bond to +x, word 1 the bond to +y. gpurg/models/ising_numpy.py makes the same draws.
#include "gpurg_common.cuh"

// Lay bonds (bits 0: +x, 1: +y) between satisfied neighbours with probability thr / 2^32,
// and make every site its own root. One thread per site; launch >= R * L * L threads.
extern "C" __global__ void sw_bonds(const signed char* __restrict__ spins,
                                    unsigned char* __restrict__ bonds, int* __restrict__ parent,
                                    int L, int R, int coupling_sign, gpurg_u64 thr, gpurg_u32 step,
                                    gpurg_u32 seed_lo, gpurg_u32 seed_hi) {
    const gpurg_u64 N = (gpurg_u64)L * L;
    const gpurg_u64 tid = (gpurg_u64)blockIdx.x * blockDim.x + threadIdx.x;
    if (tid >= (gpurg_u64)R * N) return;
    const int i = (int)(tid % N);
    const gpurg_u64 base = tid - i;
    const int y = i / L, x = i - y * L;
    const int s = spins[tid] * coupling_sign;
    const int sx = spins[base + y * L + (x == L - 1 ? 0 : x + 1)];
    const int sy = spins[base + (y == L - 1 ? 0 : y + 1) * L + x];
    gpurg_u32x4 ctr;
    ctr.x = (gpurg_u32)i;
    ctr.y = (gpurg_u32)(tid / N);
    ctr.z = step;
    ctr.w = GPURG_STREAM_SW_BONDS;
    const gpurg_u32x4 rnd = gpurg_philox(ctr, seed_lo, seed_hi);
    unsigned char b = 0;
    if (s * sx > 0 && (gpurg_u64)rnd.x < thr) b |= 1;
    if (s * sy > 0 && (gpurg_u64)rnd.y < thr) b |= 2;
    bonds[tid] = b;
    parent[tid] = i;
}

__device__ __forceinline__ int sw_find(const int* p, int a) {
    int q;
    while ((q = gpurg_load_relaxed(p + a)) != a) a = q;
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

// Merge the clusters joined by the bonds. One thread per site; launch >= R * L * L threads.
extern "C" __global__ void sw_union(const unsigned char* __restrict__ bonds, int* parent, int L,
                                    int R) {
    const gpurg_u64 N = (gpurg_u64)L * L;
    const gpurg_u64 tid = (gpurg_u64)blockIdx.x * blockDim.x + threadIdx.x;
    if (tid >= (gpurg_u64)R * N) return;
    const unsigned char b = bonds[tid];
    if (!b) return;
    const int i = (int)(tid % N);
    int* p = parent + (tid - i);
    const int y = i / L, x = i - y * L;
    if (b & 1) sw_unite(p, i, y * L + (x == L - 1 ? 0 : x + 1));
    if (b & 2) sw_unite(p, i, (y == L - 1 ? 0 : y + 1) * L + x);
}

// Flip each cluster with probability 1/2, by its root's coin. Launch >= R * L * L threads.
extern "C" __global__ void sw_flip(signed char* __restrict__ spins, const int* __restrict__ parent,
                                   int L, int R, gpurg_u32 step, gpurg_u32 seed_lo,
                                   gpurg_u32 seed_hi) {
    const gpurg_u64 N = (gpurg_u64)L * L;
    const gpurg_u64 tid = (gpurg_u64)blockIdx.x * blockDim.x + threadIdx.x;
    if (tid >= (gpurg_u64)R * N) return;
    const int i = (int)(tid % N);
    gpurg_u32x4 ctr;
    ctr.x = (gpurg_u32)sw_find(parent + (tid - i), i);
    ctr.y = (gpurg_u32)(tid / N);
    ctr.z = step;
    ctr.w = GPURG_STREAM_SW_FLIPS;
    if (gpurg_philox(ctr, seed_lo, seed_hi).x & 1u) spins[tid] = (signed char)(-spins[tid]);
}
