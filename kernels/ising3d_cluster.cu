// Swendsen-Wang cluster updates for the simple-cubic Ising model (h = 0): R replicas of an
// Lx x Ly x Lz torus of int8 spins (every side >= 2), replica r's site (x, y, z) at
// r * N + i, i = (z * Ly + y) * Lx + x, N = Lx * Ly * Lz.
//
// The random numbers are those of gpurg/models/ising_numpy.py (swendsen_wang_sweep, the
// reference): site i draws Philox block (i, r, sweep, SW_BONDS), whose words 0, 1, 2
// decide its bonds to +x, +y, +z (on a side of 2 the bond from i and the one from its
// neighbour are two bonds); each cluster is named by its smallest site, whose block
// (root, r, sweep, SW_FLIPS) has the coin in bit 0 of word 0.
//
// Three kernels, one thread per tile of 4 x 4 x 4 sites of one replica (narrower at the far
// faces when 4 does not divide a side), tiles numbered x fastest so that neighbouring threads
// read neighbouring 4-byte rows:
//   sw3_local  lays the tile's bonds and labels the clusters the bonds inside the tile make,
//              by flood fill on a 64-bit mask (bit l = lz * 16 + ly * 4 + lx per site), in
//              registers. Each site's label byte is its tile-local cluster's smallest site as
//              l (the order of the l is that of the site indices), SW_ROOT set on that site
//              and SW_OPEN set on it when the cluster touches a face that bonds from other
//              tiles may reach (lx, ly or lz = 0) or a bond that leaves the tile; open roots
//              become their own parents. The bonds that leave the tile (or wrap around the
//              torus back into it) are kept as one 48-bit word per tile.
//   sw3_union  unites, with the lock-free union-find, the local clusters those bonds join
//              (48 of the 192 bond slots of a tile), on a forest of open local roots only.
//   sw3_flip   follows each open local root to its global root once, tosses that root's coin
//              (every tile that a cluster touches draws the same Philox block), and flips.
// Why 4 x 4 x 4: it is the cube that fits one 64-bit mask, so the labelling indexes no array
// and only a quarter of the bonds reach the global union-find (an 8 x 8 x 1 slab would send
// 80 of its 192); the lock-free union-find over all sites took about twice the host time per
// site of these kernels at L = 16 and 32 near K_c. A tile row is 4 bytes (one 32-bit access
// when 4 divides Lx), which a warp reads as 128 consecutive bytes. No thread waits on another
// (no shared memory, no __syncthreads), so the kernels also run on the host through
// host/cuda_host.h, where the Philox blocks of 8 sites at a time fill the SIMD lanes. Launch
// with at least R * Tx * Ty * Tz threads, T = ceil(L / 4). R * N < 2^31 (checked on the host).
#include "ising_cluster.cuh"

#define SW3_TILE 4

// The tile of thread tid: replica offset base = r * N, origin (x0, y0, z0), sides w, h, d.
struct Sw3Tile {
    gpurg_u32 base, id;
    int r, x0, y0, z0, w, h, d, o;  // o: the site index of (x0, y0, z0)
};

__device__ __forceinline__ int sw3_min4(int rest) { return rest < SW3_TILE ? rest : SW3_TILE; }

__device__ __forceinline__ bool sw3_tile(Sw3Tile& t, int Lx, int Ly, int Lz, int R) {
    const gpurg_u32 tx = (gpurg_u32)((Lx + SW3_TILE - 1) / SW3_TILE);
    const gpurg_u32 ty = (gpurg_u32)((Ly + SW3_TILE - 1) / SW3_TILE);
    const gpurg_u32 tz = (gpurg_u32)((Lz + SW3_TILE - 1) / SW3_TILE);
    const gpurg_u32 per = tx * ty * tz;
    const gpurg_u32 id = blockIdx.x * blockDim.x + threadIdx.x;
    if (id >= (gpurg_u32)R * per) return false;
    t.id = id;
    t.r = (int)(id / per);
    gpurg_u32 k = id - (gpurg_u32)t.r * per;
    const gpurg_u32 kz = k / (tx * ty);
    k -= kz * tx * ty;
    const gpurg_u32 ky = k / tx;
    t.x0 = (int)(k - ky * tx) * SW3_TILE;
    t.y0 = (int)ky * SW3_TILE;
    t.z0 = (int)kz * SW3_TILE;
    t.w = sw3_min4(Lx - t.x0);
    t.h = sw3_min4(Ly - t.y0);
    t.d = sw3_min4(Lz - t.z0);
    t.base = (gpurg_u32)t.r * (gpurg_u32)(Lx * Ly * Lz);
    t.o = (t.z0 * Ly + t.y0) * Lx + t.x0;
    return true;
}

// The 8 x 8 bit matrix m (bit 8 i + j: row i, column j) transposed (Warren, Hacker's Delight
// 7-3): bit j of byte k -> bit k of byte j.
__device__ __forceinline__ gpurg_u64 sw3_transpose8(gpurg_u64 m) {
    gpurg_u64 t = (m ^ (m >> 7)) & 0x00AA00AA00AA00AAULL;
    m ^= t ^ (t << 7);
    t = (m ^ (m >> 14)) & 0x0000CCCC0000CCCCULL;
    m ^= t ^ (t << 14);
    t = (m ^ (m >> 28)) & 0x00000000F0F0F0F0ULL;
    return m ^ t ^ (t << 28);
}

__device__ __forceinline__ gpurg_u32 sw3_down(const signed char* p) {
    return ((unsigned char)*p >> 1) & 1u;
}

// Site index (within its replica) of local site l of the tile whose site l = 0 is o, in a box
// whose rows hold Lx sites and whose planes A = Lx * Ly.
__device__ __forceinline__ int sw3_site(int l, int o, int Lx, int A) {
    return o + (l >> 4) * A + ((l >> 2) & 3) * Lx + (l & 3);
}

// Lay the tile's bonds (between satisfied neighbours, with probability thr / 2^32) and label
// its local clusters. labels: one byte per site, SW_LABEL bits the local cluster's smallest
// site l, SW_ROOT set on that site, SW_OPEN set on it when the cluster is open (see the top
// of the file). Only open roots enter the union-find (parent[root] = root); the other local
// clusters are whole clusters already, and their parents are not written.
// cross[tile]: the bonds leaving the tile, bit lz * 4 + ly for the +x bond of
// (x0 + w - 1, y0 + ly, z0 + lz), bit 16 + lz * 4 + lx for the +y bond of
// (x0 + lx, y0 + h - 1, z0 + lz), bit 32 + ly * 4 + lx for the +z bond of
// (x0 + lx, y0 + ly, z0 + d - 1).
extern "C" __global__ void sw3_local(const signed char* __restrict__ spins,
                                     unsigned char* __restrict__ labels,
                                     gpurg_u64* __restrict__ cross, int* __restrict__ parent,
                                     int Lx, int Ly, int Lz, int R, int coupling_sign,
                                     gpurg_u64 thr, gpurg_u32 step, gpurg_u32 seed_lo,
                                     gpurg_u32 seed_hi) {
    Sw3Tile t;
    if (!sw3_tile(t, Lx, Ly, Lz, R)) return;
    const signed char* sp = spins + t.base;
    const int xh = t.x0 + t.w == Lx ? 0 : t.x0 + t.w;  // the column right of the tile
    const int yh = t.y0 + t.h == Ly ? 0 : t.y0 + t.h;  // the row behind it
    const int zh = t.z0 + t.d == Lz ? 0 : t.z0 + t.d;  // the plane above it
    // Down bits: row (ly, lz) as bits 16 lz + 4 ly + lx of S, the spin right of it as bit
    // 4 lz + ly of right; the row yh of plane lz as bits 4 lz + lx of behind; the row ly of
    // plane zh as bits 4 ly + lx of above.
    gpurg_u64 S = 0;
    gpurg_u32 right = 0, behind = 0, above = 0;
    for (int lz = 0; lz < t.d; ++lz) {
        const signed char* plane = sp + (t.z0 + lz) * Ly * Lx;
        for (int ly = 0; ly < t.h; ++ly) {
            const signed char* row = plane + (t.y0 + ly) * Lx;
            S |= (gpurg_u64)sw_down_bits<gpurg_u32>(row + t.x0, t.w) << (16 * lz + 4 * ly);
            right |= sw3_down(row + xh) << (4 * lz + ly);
        }
        behind |= sw_down_bits<gpurg_u32>(plane + yh * Lx + t.x0, t.w) << (4 * lz);
    }
    const signed char* top = sp + zh * Ly * Lx;
    for (int ly = 0; ly < t.h; ++ly)
        above |= sw_down_bits<gpurg_u32>(top + (t.y0 + ly) * Lx + t.x0, t.w) << (4 * ly);

    const gpurg_u32 wmask = (1u << t.w) - 1;
    const gpurg_u32 opposed = coupling_sign > 0 ? 0u : 0xFFFFFFFFu;  // bond if spins differ
    // bonds inside the tile: bit l joins l to l + 1, l + 4, l + 16 in H, V, D
    gpurg_u64 H = 0, V = 0, D = 0, valid = 0;
    // sites whose cluster is open: the faces lx = 0, ly = 0, lz = 0, and those whose bond
    // leaves the tile (added below)
    gpurg_u64 border = 0x1111111111111111ULL | 0x000F000F000F000FULL | 0x000000000000FFFFULL;
    gpurg_u64 out = 0;
    for (int lz = 0; lz < t.d; ++lz) {
        const int z = t.z0 + lz;
        for (int ly0 = 0; ly0 < t.h; ly0 += 2) {
            // the Philox blocks of rows ly0 and ly0 + 1 (a counter past the tile's last row
            // is drawn and ignored)
            gpurg_u32x4 rnd[2 * SW3_TILE];
#pragma unroll
            for (int k = 0; k < 2 * SW3_TILE; ++k) {
                rnd[k].x = (gpurg_u32)((z * Ly + t.y0 + ly0 + (k >> 2)) * Lx + t.x0 + (k & 3));
                rnd[k].y = (gpurg_u32)t.r;
                rnd[k].z = step;
                rnd[k].w = GPURG_STREAM_SW_BONDS;
            }
            gpurg_philox_lanes<2 * SW3_TILE>(rnd, seed_lo, seed_hi);
            for (int j = 0; j < 2 && ly0 + j < t.h; ++j) {
                const int ly = ly0 + j, l0 = 16 * lz + 4 * ly;
                gpurg_u32 hx = 0, hy = 0, hz = 0;
#pragma unroll
                for (int lx = 0; lx < SW3_TILE; ++lx) {
                    const gpurg_u32x4& q = rnd[4 * j + lx];
                    hx |= (gpurg_u32)((gpurg_u64)q.x < thr) << lx;
                    hy |= (gpurg_u32)((gpurg_u64)q.y < thr) << lx;
                    hz |= (gpurg_u32)((gpurg_u64)q.z < thr) << lx;
                }
                const gpurg_u32 a = (gpurg_u32)(S >> l0) & wmask;
                const gpurg_u32 ax = a | ((right >> (4 * lz + ly)) & 1u) << t.w;
                const gpurg_u32 b = ly + 1 < t.h ? (gpurg_u32)(S >> (l0 + 4)) & wmask
                                                 : (behind >> (4 * lz)) & wmask;
                const gpurg_u32 c = lz + 1 < t.d ? (gpurg_u32)(S >> (l0 + 16)) & wmask
                                                 : (above >> (4 * ly)) & wmask;
                const gpurg_u32 bx = ~(ax ^ (ax >> 1) ^ opposed) & hx & wmask;
                const gpurg_u32 by = ~(a ^ b ^ opposed) & hy & wmask;
                const gpurg_u32 bz = ~(a ^ c ^ opposed) & hz & wmask;
                valid |= (gpurg_u64)wmask << l0;
                H |= (gpurg_u64)(bx & (wmask >> 1)) << l0;
                border |= (gpurg_u64)(bx & ~(wmask >> 1)) << l0;
                out |= (gpurg_u64)((bx >> (t.w - 1)) & 1u) << (4 * lz + ly);
                if (ly + 1 < t.h) {
                    V |= (gpurg_u64)by << l0;
                } else {
                    border |= (gpurg_u64)by << l0;
                    out |= (gpurg_u64)by << (16 + 4 * lz);
                }
                if (lz + 1 < t.d) {
                    D |= (gpurg_u64)bz << l0;
                } else {
                    border |= (gpurg_u64)bz << l0;
                    out |= (gpurg_u64)bz << (32 + 4 * ly);
                }
            }
        }
    }
    cross[t.id] = out;

    // The local clusters as label planes (P[k]: bit k of every site's label byte; bonds to
    // l + 1, l + 4 and l + 16).
    border &= valid;
    gpurg_u64 P[8];
    sw_label_planes<4, 16>(P, valid, border, H, V, D, parent + t.base,
                           [&](int l) { return sw3_site(l, t.o, Lx, Lx * Ly); });
    // The label bytes of 8 sites (rows ly and ly + 1) at a time: the 8 x 8 bit matrix of
    // their bits in the planes, transposed.
    for (int lz = 0; lz < t.d; ++lz) {
        for (int ly = 0; ly < t.h; ly += 2) {
            const int l0 = 16 * lz + 4 * ly;
            gpurg_u64 m = 0;
#pragma unroll
            for (int k = 0; k < 8; ++k) m |= ((P[k] >> l0) & 0xFF) << (8 * k);
            const gpurg_u64 lab = sw3_transpose8(m);
            for (int j = 0; j < 2 && ly + j < t.h; ++j) {
                unsigned char* dst =
                    labels + t.base + ((t.z0 + lz) * Ly + t.y0 + ly + j) * Lx + t.x0;
                sw_store_row(dst, (gpurg_u32)(lab >> (32 * j)), t.w);
            }
        }
    }
}

// The local root of site i, of the tile whose first site is o.
__device__ __forceinline__ int sw3_local_root(const unsigned char* lb, int i, int o, int Lx,
                                              int A) {
    return sw3_site(lb[i] & SW_LABEL, o, Lx, A);
}

// Merge the local clusters joined by the bonds that leave a tile.
extern "C" __global__ void sw3_union(const unsigned char* __restrict__ labels,
                                     const gpurg_u64* __restrict__ cross, int* parent, int Lx,
                                     int Ly, int Lz, int R) {
    Sw3Tile t;
    if (!sw3_tile(t, Lx, Ly, Lz, R)) return;
    const gpurg_u64 c = cross[t.id];
    if (c == 0) return;
    const unsigned char* lb = labels + t.base;
    int* p = parent + t.base;
    const int A = Lx * Ly;
    // Each face's bonds run from site a of this tile to the site of the next tile (at offset
    // dx, dy or dz from this one's origin, negative where the bond wraps around the torus)
    // on the same line.
    const int xa = t.x0 + t.w - 1, dx = (xa + 1 == Lx ? 0 : xa + 1) - t.x0;
    for (gpurg_u64 m = c & 0xFFFFu; m; m &= m - 1) {
        const int q = sw_ctz64(m), a = t.o + (q >> 2) * A + (q & 3) * Lx + t.w - 1;
        sw_unite(p, sw3_local_root(lb, a, t.o, Lx, A),
                 sw3_local_root(lb, a - (t.w - 1) + dx, t.o + dx, Lx, A));
    }
    const int ya = t.y0 + t.h - 1, dy = ((ya + 1 == Ly ? 0 : ya + 1) - t.y0) * Lx;
    for (gpurg_u64 m = (c >> 16) & 0xFFFFu; m; m &= m - 1) {
        const int q = sw_ctz64(m), a = t.o + (q >> 2) * A + (t.h - 1) * Lx + (q & 3);
        sw_unite(p, sw3_local_root(lb, a, t.o, Lx, A),
                 sw3_local_root(lb, a - (t.h - 1) * Lx + dy, t.o + dy, Lx, A));
    }
    const int za = t.z0 + t.d - 1, dz = ((za + 1 == Lz ? 0 : za + 1) - t.z0) * A;
    for (gpurg_u64 m = c >> 32; m; m &= m - 1) {
        const int q = sw_ctz64(m), a = t.o + (t.d - 1) * A + (q >> 2) * Lx + (q & 3);
        sw_unite(p, sw3_local_root(lb, a, t.o, Lx, A),
                 sw3_local_root(lb, a - (t.d - 1) * A + dz, t.o + dz, Lx, A));
    }
}

// Flip every site whose cluster's coin comes up 1: each local root finds its global root (the
// open ones follow their parents), the coins of 8 roots at a time are drawn in lockstep, then
// every site looks up its local root's coin.
extern "C" __global__ void sw3_flip(signed char* __restrict__ spins,
                                    const unsigned char* __restrict__ labels,
                                    const int* __restrict__ parent, int Lx, int Ly, int Lz,
                                    int R, gpurg_u32 step, gpurg_u32 seed_lo,
                                    gpurg_u32 seed_hi) {
    Sw3Tile t;
    if (!sw3_tile(t, Lx, Ly, Lz, R)) return;
    gpurg_u32 lab[SW3_TILE * SW3_TILE];  // row 4 lz + ly, byte lx
    gpurg_u64 roots = 0, open = 0;
    for (int lz = 0; lz < t.d; ++lz) {
        for (int ly = 0; ly < t.h; ++ly) {
            const unsigned char* lb = labels + t.base + ((t.z0 + lz) * Ly + t.y0 + ly) * Lx + t.x0;
            const gpurg_u32 v = sw_load_row<gpurg_u32>(lb, t.w);
            lab[4 * lz + ly] = v;
            roots |= (gpurg_u64)sw_gather(v, SW_ROOT) << (16 * lz + 4 * ly);
            open |= (gpurg_u64)sw_gather(v, SW_OPEN) << (16 * lz + 4 * ly);
        }
    }
    const int* p = parent + t.base;
    gpurg_u64 heads = 0;  // bit l: the coin of the cluster of local root l came up 1
    for (gpurg_u64 m = roots; m;) {
        gpurg_u32x4 ctr[8];
        int at[8];  // the local root of each lane; 64 for a lane past the last root
        int up[8];  // its parent (itself if closed): loaded for all lanes before any walk, so
                    // that the lanes' first loads overlap
#pragma unroll
        for (int k = 0; k < 8; ++k) {
            at[k] = 64;
            ctr[k].x = 0;
            up[k] = 0;
            if (m) {
                const int l = sw_ctz64(m);
                m &= m - 1;
                at[k] = l;
                ctr[k].x = (gpurg_u32)sw3_site(l, t.o, Lx, Lx * Ly);
                up[k] = (open >> l) & 1 ? p[ctr[k].x] : (int)ctr[k].x;
            }
            ctr[k].y = (gpurg_u32)t.r;
            ctr[k].z = step;
            ctr[k].w = GPURG_STREAM_SW_FLIPS;
        }
#pragma unroll
        for (int k = 0; k < 8; ++k)
            if (up[k] != (int)ctr[k].x) ctr[k].x = (gpurg_u32)sw_root(p, up[k]);
        gpurg_philox_lanes<8>(ctr, seed_lo, seed_hi);
#pragma unroll
        for (int k = 0; k < 8; ++k)
            if (at[k] < 64) heads |= (gpurg_u64)(ctr[k].x & 1u) << at[k];
    }
    for (int lz = 0; lz < t.d; ++lz)
        for (int ly = 0; ly < t.h; ++ly)
            sw_flip_row(spins + t.base + ((t.z0 + lz) * Ly + t.y0 + ly) * Lx + t.x0,
                        lab[4 * lz + ly], heads, t.w);
}
