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

// Thresholds of the exit choice among the three legs other than the entrance, each with 1/3:
// the rows of the T = inf minimal-bounce table (rint(2^32 k / 3)).
#define DIMER_THIRD 1431655765ull
#define DIMER_TWO_THIRDS 2863311531ull

// v[i] for i in 0..3. Selects on a GPU (a local array indexed at run time would live in slow
// local memory); an array load on the host, where a chain of selects on a random index would
// compile to mispredicted branches.
__device__ __forceinline__ int dimer_pick(int i, int v0, int v1, int v2, int v3) {
#ifdef __CUDA_ARCH__
    return i == 0 ? v0 : (i == 1 ? v1 : (i == 2 ? v2 : v3));
#else
    const int v[4] = {v0, v1, v2, v3};
    return v[i];
#endif
}

__device__ __forceinline__ int dimer_step_x(int d) { return dimer_pick(d, 1, 0, -1, 0); }
__device__ __forceinline__ int dimer_step_y(int d) { return dimer_pick(d, 0, 1, 0, -1); }

__device__ __forceinline__ int dimer_wrap(int v, int L) { return v + L * ((v < 0) - (v >= L)); }

// Runs `n_worms` whole worms in each replica, stopping early once its step count reaches
// `step_target`. With `free` set the table must be the uniform no-bounce one (T = inf,
// minimal bounce): the exit is then drawn without looking at the neighbours, with the same
// thresholds, hence the same result. Sampling uses a fixed number of worms: a stop that depends on the worms'
// lengths would bias the configurations seen at the stops (long worms end more sweeps).
// Worm and step counters live in global memory, so a chain does not depend on how its worms
// are grouped into launches.
extern "C" __global__ void dimer_worms(signed char* __restrict__ codes,
                                       gpurg_u32* __restrict__ worms,
                                       gpurg_u64* __restrict__ steps,
                                       const gpurg_u64* __restrict__ thresholds, int L, int R,
                                       gpurg_u32 n_worms, gpurg_u64 step_target, int free,
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
        int hx = dimer_wrap(tx + dimer_step_x(tail_code), L);
        int hy = dimer_wrap(ty + dimer_step_y(tail_code), L);
        int entrance = tail_code ^ 2;  // from the head back towards the tail
        gpurg_u32 s = 0;
        for (;;) {
            const gpurg_u32 slot = s + 2;
            if ((slot & 3u) == 0)
                block = gpurg_philox(gpurg_u32x4{slot >> 2, worm, (gpurg_u32)r, stream},
                                     seed_lo, seed_hi);
            const gpurg_u32 u = (gpurg_u32)dimer_pick((int)(slot & 3u), (int)block.x,
                                                      (int)block.y, (int)block.z, (int)block.w);
            const int xp = hx + 1 == L ? 0 : hx + 1, xm = hx == 0 ? L - 1 : hx - 1;
            const int yp = hy + 1 == L ? 0 : hy + 1, ym = hy == 0 ? L - 1 : hy - 1;
            const int i_xp = hy * L + xp, i_xm = hy * L + xm;
            const int i_yp = yp * L + hx, i_ym = ym * L + hx;
            int exit;
            if (free) {
                const int j = (u >= DIMER_THIRD) + (u >= DIMER_TWO_THIRDS);
                exit = j + (j >= entrance);
            } else {
                // the tail is unpaired: its stale code must not count as a dimer
                const int c_xp = i_xp == (int)tail ? 4 : c[i_xp];
                const int c_xm = i_xm == (int)tail ? 4 : c[i_xm];
                const int c_yp = i_yp == (int)tail ? 4 : c[i_yp];
                const int c_ym = i_ym == (int)tail ? 4 : c[i_ym];
                // n_b: dimers parallel to the candidate (h, h+b) on the plaquettes it borders
                const int n0 = (c_yp == 0) + (c_ym == 0), n2 = (c_yp == 2) + (c_ym == 2);
                const int n1 = (c_xp == 1) + (c_xm == 1), n3 = (c_xp == 3) + (c_xm == 3);
                const gpurg_u64* thr =
                    thresholds + ((n0 + 3 * n1 + 9 * n2 + 27 * n3) * 4 + entrance) * 3;
                exit = (u >= thr[0]) + (u >= thr[1]) + (u >= thr[2]);
            }
            const int pivot = dimer_pick(exit, i_xp, i_yp, i_xm, i_ym);
            ++s;
            c[hy * L + hx] = (signed char)exit;
            if (pivot == (int)tail) {
                c[pivot] = (signed char)(exit ^ 2);
                break;
            }
            const int pivot_code = c[pivot];
            c[pivot] = (signed char)(exit ^ 2);
            // the pivot's old partner is the new head; it entered along the pivot's old dimer
            hx = dimer_wrap(dimer_pick(exit, xp, hx, xm, hx) + dimer_step_x(pivot_code), L);
            hy = dimer_wrap(dimer_pick(exit, hy, yp, hy, ym) + dimer_step_y(pivot_code), L);
            entrance = pivot_code ^ 2;
        }
        done += s;
        ++worm;
    }
    worms[r] = worm;
    steps[r] = done;
}
