// Swendsen-Wang cluster updates for the 2D Ising model (h = 0), R replicas of L x L int8 spins.
//
// A cluster's fate must not depend on how it was found, so each cluster is named by its
// smallest site index i = y * L + x, and its flip coin is bit 0 of word 0 of Philox block
// (root, r, sweep, SW_FLIPS). Bonds: site i draws block (i, r, sweep, SW_BONDS); word 0 decides
// the bond to +x, word 1 the bond to +y. gpurg/models/ising_numpy.py makes the same draws.
//
// Three kernels, one thread per tile of SW_TILE x SW_TILE sites of one replica (the last tile
// of a row or column is narrower when SW_TILE does not divide L):
//   sw_local  lays the bonds of its tile and labels the clusters the bonds inside the tile
//             make, by flood fill on a 64-bit mask (bit ly * 8 + lx per site): no memory but
//             registers. Each site's label byte is its tile-local cluster's smallest site (as
//             ly * 8 + lx: the order of tile-local indices is that of the site indices);
//             the roots of clusters that touch the tile's border (SW_OPEN) become their own
//             parents; the bonds that leave the tile (or wrap around the torus) are kept as
//             one word per tile.
//   sw_union  unites, with the lock-free union-find, the local clusters joined by those bonds
//             (16 of the 128 bond slots of a tile), on a forest of open local roots only.
//   sw_flip   follows each open local root to its global root once, tosses that root's coin
//             (every tile touching a cluster draws the same Philox block), and flips.
// Why 8 x 8 per thread: a row of a tile is 8 consecutive bytes (one 64-bit load or store when
// L % 8 == 0), so a warp reads 256 consecutive bytes of a lattice row per instruction; the
// whole tile's bonds fit one 64-bit word each way, so the labelling indexes no array (nothing
// spills to local memory); and only 16 of the 128 bonds per tile cross into the global pass.
// No thread waits on another (no shared memory, no __syncthreads): the kernels also run on
// the host, through host/cuda_host.h. Launch with at least R * T * T threads, T = ceil(L / 8).
// R * L * L < 2^31 (checked on the host): 32-bit indices.
#include "ising_cluster.cuh"

#define SW_TILE 8

// The tile of thread tid: replica offset base = r * L * L, origin (x0, y0), width w, height h.
struct SwTile {
    gpurg_u32 base, id;
    int r, x0, y0, w, h;
};

__device__ __forceinline__ bool sw_tile(SwTile& t, int L, int R) {
    const gpurg_u32 T = (gpurg_u32)((L + SW_TILE - 1) / SW_TILE);
    const gpurg_u32 id = blockIdx.x * blockDim.x + threadIdx.x;
    if (id >= (gpurg_u32)R * T * T) return false;
    t.id = id;
    t.r = (int)(id / (T * T));
    const gpurg_u32 k = id - (gpurg_u32)t.r * T * T;
    const gpurg_u32 ty = k / T;
    t.x0 = (int)(k - ty * T) * SW_TILE;
    t.y0 = (int)ty * SW_TILE;
    t.w = L - t.x0 < SW_TILE ? L - t.x0 : SW_TILE;
    t.h = L - t.y0 < SW_TILE ? L - t.y0 : SW_TILE;
    t.base = (gpurg_u32)t.r * (gpurg_u32)(L * L);
    return true;
}

// Site index of the local root labelled l in the tile at (x0, y0).
__device__ __forceinline__ int sw_local_root(int l, int x0, int y0, int L) {
    return (y0 + (l >> 3)) * L + x0 + (l & 7);
}

// Lay the tile's bonds (between satisfied neighbours, with probability thr / 2^32) and label
// its local clusters. labels: one byte per site, SW_LABEL bits the local cluster's smallest
// site as ly * 8 + lx, SW_ROOT set on that site, SW_OPEN set on it when the cluster touches
// the tile's border: column 0 or row 0, which bonds from other tiles may reach, or a site whose
// bond leaves the tile. Only open roots enter the union-find (parent[root] = root); the other
// local clusters are whole clusters already, and their parents are not written.
// cross[tile]: the bonds leaving the tile, bit ly for the +x bond of (x0 + w - 1, y0 + ly),
// bit 8 + lx for the +y bond of (x0 + lx, y0 + h - 1).
extern "C" __global__ void sw_local(const signed char* __restrict__ spins,
                                    unsigned char* __restrict__ labels,
                                    gpurg_u32* __restrict__ cross, int* __restrict__ parent,
                                    int L, int R, int coupling_sign, gpurg_u64 thr,
                                    gpurg_u32 step, gpurg_u32 seed_lo, gpurg_u32 seed_hi) {
    SwTile t;
    if (!sw_tile(t, L, R)) return;
    const signed char* sp = spins + t.base;
    const gpurg_u32 wmask = (1u << t.w) - 1;
    const gpurg_u32 opposed = coupling_sign > 0 ? 0u : 0xFFFFFFFFu;  // bond if spins differ
    const int xh = t.x0 + t.w == L ? 0 : t.x0 + t.w;                 // column right of the tile
    // spins of the current row, with the spin right of the tile as bit w
    const signed char* row = sp + t.y0 * L;
    gpurg_u32 a = sw_down_bits<gpurg_u64>(row + t.x0, t.w) |
                  (gpurg_u32)(((unsigned char)row[xh] >> 1) & 1) << t.w;
    gpurg_u64 H = 0, V = 0;  // bonds inside the tile: bit l joins l to l + 1, resp. l + 8
    gpurg_u64 valid = 0, border = 0x01010101010101FFULL;  // the tile's sites; see SW_OPEN
    gpurg_u32 out = 0;
    for (int ly = 0; ly < t.h; ++ly) {
        const int y = t.y0 + ly;
        const int yn = y + 1 == L ? 0 : y + 1;
        gpurg_u32x4 rnd[SW_TILE];
#pragma unroll
        for (int lx = 0; lx < SW_TILE; ++lx) {
            rnd[lx].x = (gpurg_u32)(y * L + t.x0 + lx);
            rnd[lx].y = (gpurg_u32)t.r;
            rnd[lx].z = step;
            rnd[lx].w = GPURG_STREAM_SW_BONDS;
        }
        gpurg_philox_lanes<SW_TILE>(rnd, seed_lo, seed_hi);
        gpurg_u32 hit_x = 0, hit_y = 0;
#pragma unroll
        for (int lx = 0; lx < SW_TILE; ++lx) {
            hit_x |= (gpurg_u32)((gpurg_u64)rnd[lx].x < thr) << lx;
            hit_y |= (gpurg_u32)((gpurg_u64)rnd[lx].y < thr) << lx;
        }
        const signed char* next = sp + yn * L;
        const gpurg_u32 b = sw_down_bits<gpurg_u64>(next + t.x0, t.w) |
                            (gpurg_u32)(((unsigned char)next[xh] >> 1) & 1) << t.w;
        const gpurg_u32 bx = ~(a ^ (a >> 1) ^ opposed) & hit_x & wmask;
        const gpurg_u32 by = ~(a ^ b ^ opposed) & hit_y & wmask;
        valid |= (gpurg_u64)wmask << (8 * ly);
        H |= (gpurg_u64)(bx & (wmask >> 1)) << (8 * ly);
        border |= (gpurg_u64)(bx & ~(wmask >> 1)) << (8 * ly);
        out |= ((bx >> (t.w - 1)) & 1u) << ly;
        if (ly + 1 < t.h) {
            V |= (gpurg_u64)by << (8 * ly);
        } else {
            border |= (gpurg_u64)by << (8 * ly);
            out |= by << 8;
        }
        a = b;
    }
    cross[t.id] = out;

    // The local clusters as label planes (P[k]: bit k of every site's label byte; bonds to
    // l + 1 and l + 8), then each row's label bytes from its byte of the planes.
    gpurg_u64 P[8];
    sw_label_planes<8, 0>(P, valid, border, H, V, 0, parent + t.base,
                          [&](int l) { return sw_local_root(l, t.x0, t.y0, L); });
    for (int ly = 0; ly < t.h; ++ly) {
        gpurg_u64 lab = 0;
#pragma unroll
        for (int k = 0; k < 8; ++k)
            lab |= sw_spread<gpurg_u64>((gpurg_u32)(P[k] >> (8 * ly)) & 0xFF) << k;
        sw_store_row(labels + t.base + (t.y0 + ly) * L + t.x0, lab, t.w);
    }
}

// Merge the local clusters joined by the bonds that leave a tile.
extern "C" __global__ void sw_union(const unsigned char* __restrict__ labels,
                                    const gpurg_u32* __restrict__ cross, int* parent, int L,
                                    int R) {
    SwTile t;
    if (!sw_tile(t, L, R)) return;
    gpurg_u32 c = cross[t.id];
    if (c == 0) return;
    const unsigned char* lb = labels + t.base;
    int* p = parent + t.base;
    const int xa = t.x0 + t.w - 1, xb = xa + 1 == L ? 0 : xa + 1;  // +x: tile (xb, y0)
    for (gpurg_u32 m = c & 0xFFu; m; m &= m - 1) {
        const int y = t.y0 + sw_ctz64(m);
        sw_unite(p, sw_local_root(lb[y * L + xa] & SW_LABEL, t.x0, t.y0, L),
                 sw_local_root(lb[y * L + xb] & SW_LABEL, xb, t.y0, L));
    }
    const int ya = t.y0 + t.h - 1, yb = ya + 1 == L ? 0 : ya + 1;  // +y: tile (x0, yb)
    for (gpurg_u32 m = c >> 8; m; m &= m - 1) {
        const int x = t.x0 + sw_ctz64(m);
        sw_unite(p, sw_local_root(lb[ya * L + x] & SW_LABEL, t.x0, t.y0, L),
                 sw_local_root(lb[yb * L + x] & SW_LABEL, t.x0, yb, L));
    }
}

// Flip every site whose cluster's coin comes up 1: each local root finds its global root (the
// open ones follow their parents) and draws that root's coin, then every site looks up its
// local root's coin.
extern "C" __global__ void sw_flip(signed char* __restrict__ spins,
                                   const unsigned char* __restrict__ labels,
                                   const int* __restrict__ parent, int L, int R, gpurg_u32 step,
                                   gpurg_u32 seed_lo, gpurg_u32 seed_hi) {
    SwTile t;
    if (!sw_tile(t, L, R)) return;
    gpurg_u64 lab[SW_TILE], roots = 0, open = 0;
#pragma unroll
    for (int ly = 0; ly < SW_TILE; ++ly) {
        lab[ly] = 0;
        if (ly >= t.h) continue;
        lab[ly] = sw_load_row<gpurg_u64>(labels + t.base + (t.y0 + ly) * L + t.x0, t.w);
        roots |= (gpurg_u64)sw_gather(lab[ly], SW_ROOT) << (8 * ly);
        open |= (gpurg_u64)sw_gather(lab[ly], SW_OPEN) << (8 * ly);
    }
    const int* p = parent + t.base;
    gpurg_u64 heads = 0;  // bit l: the coin of the cluster of local root l came up 1
    for (gpurg_u64 m = roots; m; m &= m - 1) {
        const int l = sw_ctz64(m);
        const int root = sw_local_root(l, t.x0, t.y0, L);
        gpurg_u32x4 ctr;
        ctr.x = (gpurg_u32)((open >> l) & 1 ? sw_root(p, root) : root);
        ctr.y = (gpurg_u32)t.r;
        ctr.z = step;
        ctr.w = GPURG_STREAM_SW_FLIPS;
        heads |= (gpurg_u64)(gpurg_philox(ctr, seed_lo, seed_hi).x & 1u) << l;
    }
#pragma unroll
    for (int ly = 0; ly < SW_TILE; ++ly)
        if (ly < t.h) sw_flip_row(spins + t.base + (t.y0 + ly) * L + t.x0, lab[ly], heads, t.w);
}
