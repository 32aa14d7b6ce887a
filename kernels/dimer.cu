// Directed-loop (worm) updates of close-packed dimers on the L x L torus, one replica per
// thread. Site codes (int8, [replica][y][x]) give the direction of each site's partner:
// 0 = +x, 1 = +y, 2 = -x, 3 = -y. gpurg/models/dimer_numpy.py is the NumPy twin: same worms,
// same random words, same configurations.
//
// A worm of replica r with index w draws Philox blocks (k, w, r, stream): block 0 words x, y
// pick the tail site (64-bit fixed point, bias below N / 2^64), and step s of the worm uses word
// (s + 2) mod 4 of block (s + 2) / 4. The exit leg comes from the directed-loop threshold table
// of gpurg/models/dimer_rules.py, indexed by the parallel-plaquette pattern around the head.
#include "gpurg_common.cuh"

__device__ __forceinline__ int dimer_step_x(int d) { return d == 0 ? 1 : (d == 2 ? -1 : 0); }
__device__ __forceinline__ int dimer_step_y(int d) { return d == 1 ? 1 : (d == 3 ? -1 : 0); }

// Runs `n_worms` whole worms in each replica, stopping early once its step count reaches
// `step_target`. Sampling uses a fixed number of worms: a stop that depends on the worms'
// lengths would bias the configurations seen at the stops (long worms end more sweeps).
// Worm and step counters live in global memory, so a chain does not depend on how its worms
// are grouped into launches.
extern "C" __global__ void dimer_worms(signed char* __restrict__ codes,
                                       gpurg_u32* __restrict__ worms,
                                       gpurg_u64* __restrict__ steps,
                                       const gpurg_u64* __restrict__ thresholds, int L, int R,
                                       gpurg_u32 n_worms, gpurg_u64 step_target,
                                       gpurg_u32 stream, gpurg_u32 seed_lo, gpurg_u32 seed_hi) {
    const int r = blockIdx.x * blockDim.x + threadIdx.x;
    if (r >= R) return;
    signed char* c = codes + (gpurg_u64)r * L * L;
    const gpurg_u32 n_sites = (gpurg_u32)L * (gpurg_u32)L;
    gpurg_u32 worm = worms[r];
    gpurg_u64 done = steps[r];
    for (gpurg_u32 k = 0; k < n_worms && done < step_target; ++k) {
        gpurg_u32x4 block = gpurg_philox(gpurg_u32x4{0u, worm, (gpurg_u32)r, stream}, seed_lo,
                                         seed_hi);
        const gpurg_u32 tail = (gpurg_u32)(((gpurg_u64)block.y * n_sites +
                                            (((gpurg_u64)block.x * n_sites) >> 32)) >> 32);
        const int ty = (int)(tail / (gpurg_u32)L), tx = (int)(tail % (gpurg_u32)L);
        const int tail_code = c[tail];
        int hx = tx + dimer_step_x(tail_code), hy = ty + dimer_step_y(tail_code);
        hx = hx < 0 ? hx + L : (hx == L ? 0 : hx);
        hy = hy < 0 ? hy + L : (hy == L ? 0 : hy);
        int entrance = tail_code ^ 2;  // from the head back towards the tail
        gpurg_u32 s = 0;
        for (;;) {
            const gpurg_u32 slot = s + 2;
            if ((slot & 3u) == 0)
                block = gpurg_philox(gpurg_u32x4{slot >> 2, worm, (gpurg_u32)r, stream},
                                     seed_lo, seed_hi);
            const gpurg_u32 u = gpurg_word(block, (int)(slot & 3u));
            const int xp = hx + 1 == L ? 0 : hx + 1, xm = hx == 0 ? L - 1 : hx - 1;
            const int yp = hy + 1 == L ? 0 : hy + 1, ym = hy == 0 ? L - 1 : hy - 1;
            const int i_xp = hy * L + xp, i_xm = hy * L + xm;
            const int i_yp = yp * L + hx, i_ym = ym * L + hx;
            // the tail is unpaired: its stale code must not count as a dimer
            const int c_xp = i_xp == (int)tail ? 4 : c[i_xp];
            const int c_xm = i_xm == (int)tail ? 4 : c[i_xm];
            const int c_yp = i_yp == (int)tail ? 4 : c[i_yp];
            const int c_ym = i_ym == (int)tail ? 4 : c[i_ym];
            // n_b: dimers parallel to the candidate (h, h+b) on the two plaquettes it borders
            const int n0 = (c_yp == 0) + (c_ym == 0), n2 = (c_yp == 2) + (c_ym == 2);
            const int n1 = (c_xp == 1) + (c_xm == 1), n3 = (c_xp == 3) + (c_xm == 3);
            const gpurg_u64* thr = thresholds + ((n0 + 3 * n1 + 9 * n2 + 27 * n3) * 4 + entrance) * 3;
            const int exit = (u >= thr[0]) + (u >= thr[1]) + (u >= thr[2]);
            const int pivot = exit == 0 ? i_xp : (exit == 1 ? i_yp : (exit == 2 ? i_xm : i_ym));
            ++s;
            c[hy * L + hx] = (signed char)exit;
            if (pivot == (int)tail) {
                c[pivot] = (signed char)(exit ^ 2);
                break;
            }
            const int pivot_code = c[pivot];
            c[pivot] = (signed char)(exit ^ 2);
            // the pivot's old partner is the new head; it entered along the pivot's old dimer
            const int px = exit == 0 ? xp : (exit == 2 ? xm : hx);
            const int py = exit == 1 ? yp : (exit == 3 ? ym : hy);
            hx = px + dimer_step_x(pivot_code);
            hy = py + dimer_step_y(pivot_code);
            hx = hx < 0 ? hx + L : (hx == L ? 0 : hx);
            hy = hy < 0 ? hy + L : (hy == L ? 0 : hy);
            entrance = pivot_code ^ 2;
        }
        done += s;
        ++worm;
    }
    worms[r] = worm;
    steps[r] = done;
}
