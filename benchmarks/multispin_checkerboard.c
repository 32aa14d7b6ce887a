/* The multi-spin yardstick of issue 15's CPU target: a plain C checkerboard Metropolis sweep
 * of the 2D Ising model at T_c with 64 replicas as the 64 bits of one word per site (one
 * thread, xorshift64 random numbers), the way a physicist who knows the trick writes it.
 *
 * Per site and colour: the four neighbours' agreement with the spin is added bit-sliced
 * (a = aligned neighbours, 0..4, as three bit planes); a lane flips if a <= 2 (ΔE <= 0) or if
 * its 16-bit uniform is below the threshold of a = 3 (exp(-4K)) or a = 4 (exp(-8K)). The 16
 * bit planes of the 64 lanes' uniforms come from 16 random words and are compared with the
 * two constant thresholds from the most significant bit down: exact at 16-bit precision.
 *
 * Usage: multispin_checkerboard [L] [sweeps]; prints spin updates per ns (64 per site visit).
 * Build: cc -O3 -march=native benchmarks/multispin_checkerboard.c -o /tmp/msc -lm */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t state = 88172645463325252ull;

static inline uint64_t xorshift(void) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

/* lanes whose 16-bit uniform (bit planes u[15..0]) is below the constant t */
static inline uint64_t below(const uint64_t *u, unsigned t) {
    uint64_t lt = 0, eq = ~0ull;
    for (int b = 15; b >= 0; b--) {
        if ((t >> b) & 1u) {
            lt |= eq & ~u[b];
            eq &= u[b];
        } else {
            eq &= ~u[b];
        }
    }
    return lt;
}

int main(int argc, char **argv) {
    const int L = argc > 1 ? atoi(argv[1]) : 1024;
    const int sweeps = argc > 2 ? atoi(argv[2]) : 20;
    if (L < 2 || L % 2 || sweeps < 1) {
        fprintf(stderr, "usage: multispin_checkerboard [L even >= 2] [sweeps >= 1]\n");
        return 2;
    }
    uint64_t *s = malloc(sizeof(uint64_t) * (size_t)L * L);
    for (long i = 0; i < (long)L * L; i++) s[i] = xorshift();  /* hot start, bit = spin up */
    const double K = 0.5 * log(1.0 + sqrt(2.0));
    const unsigned t3 = (unsigned)(exp(-4.0 * K) * 65536.0);
    const unsigned t4 = (unsigned)(exp(-8.0 * K) * 65536.0);
    double best = 0;
    uint64_t u[16];
    for (int rep = 0; rep < 3; rep++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (int sw = 0; sw < sweeps; sw++)
            for (int c = 0; c < 2; c++)
                for (int y = 0; y < L; y++) {
                    const uint64_t *up = s + (long)((y + L - 1) % L) * L;
                    const uint64_t *dn = s + (long)((y + 1) % L) * L;
                    uint64_t *row = s + (long)y * L;
                    for (int x = (y + c) & 1; x < L; x += 2) {
                        const uint64_t me = row[x];
                        const uint64_t n0 = ~(me ^ up[x]), n1 = ~(me ^ dn[x]);
                        const uint64_t n2 = ~(me ^ row[x == 0 ? L - 1 : x - 1]);
                        const uint64_t n3 = ~(me ^ row[x == L - 1 ? 0 : x + 1]);
                        /* a = n0 + n1 + n2 + n3 as bit planes (c2 c1 c0) */
                        const uint64_t s01 = n0 ^ n1, c01 = n0 & n1;
                        const uint64_t s23 = n2 ^ n3, c23 = n2 & n3;
                        const uint64_t c0 = s01 ^ s23, k = s01 & s23;
                        const uint64_t c1 = c01 ^ c23 ^ k;
                        const uint64_t c2 = (c01 & c23) | ((c01 ^ c23) & k);
                        const uint64_t a3 = c0 & c1 & ~c2, a4 = c2;
                        for (int i = 0; i < 16; i++) u[i] = xorshift();
                        const uint64_t flip = ~(a3 | a4) | (a3 & below(u, t3)) |
                                              (a4 & below(u, t4));
                        row[x] = me ^ flip;
                    }
                }
        clock_gettime(CLOCK_MONOTONIC, &b);
        const double ns = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
        const double rate = 64.0 * sweeps * L * L / ns;
        if (rate > best) best = rate;
    }
    /* the energy per spin averaged over the 64 lanes after the runs: a sanity check (at T_c
     * -sqrt(2) = -1.414 for large L once equilibrated; the hot start needs ~L^2 sweeps) */
    long e = 0;
    for (int y = 0; y < L; y++)
        for (int x = 0; x < L; x++) {
            const uint64_t me = s[(long)y * L + x];
            /* per lane: +1 for an unlike pair, -1 for a like pair, summed over the 64 lanes */
            const uint64_t right = me ^ s[(long)y * L + (x + 1) % L];
            const uint64_t down = me ^ s[(long)((y + 1) % L) * L + x];
            e += 2 * (__builtin_popcountll(right) + __builtin_popcountll(down)) - 128;
        }
    printf("multi-spin C checkerboard, L=%d, 64 replicas per word, one thread: %.3f "
           "updates/ns (energy per spin, mean of the 64 lanes: %.4f)\n", L, best,
           (double)e / 64.0 / L / L);
    free(s);
    return 0;
}
