/* The yardstick for gpurg's CPU target: a plain scalar C checkerboard Metropolis sweep of the
 * 2D Ising model at T_c (one thread, xorshift64 random numbers, integer thresholds), the way
 * one would write it by hand. Usage: scalar_checkerboard [L] [sweeps]; prints updates per ns.
 * Build: cc -O3 -march=native benchmarks/scalar_checkerboard.c -o /tmp/scb -lm */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t state = 88172645463325252ull;

static inline uint32_t xorshift(void) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (uint32_t)(state >> 32);
}

int main(int argc, char **argv) {
    const int L = argc > 1 ? atoi(argv[1]) : 1024;
    const int sweeps = argc > 2 ? atoi(argv[2]) : 20;
    signed char *s = malloc((size_t)L * L);
    for (long i = 0; i < (long)L * L; i++) s[i] = (xorshift() & 1) ? 1 : -1;
    const double K = 0.5 * log(1.0 + sqrt(2.0));
    uint64_t thr[10];
    for (int si = 0; si < 2; si++)
        for (int n = 0; n < 5; n++) {
            const double x = 2.0 * (2 * si - 1) * (2 * n - 4) * K;
            thr[5 * si + n] = (uint64_t)((x <= 0 ? 1.0 : exp(-x)) * 4294967296.0);
        }
    double best = 0;
    for (int rep = 0; rep < 3; rep++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (int sw = 0; sw < sweeps; sw++)
            for (int c = 0; c < 2; c++)
                for (int y = 0; y < L; y++) {
                    const signed char *up = s + (long)((y + L - 1) % L) * L;
                    const signed char *dn = s + (long)((y + 1) % L) * L;
                    signed char *row = s + (long)y * L;
                    for (int x = (y + c) & 1; x < L; x += 2) {
                        const int nn = up[x] + dn[x] + row[x == 0 ? L - 1 : x - 1] +
                                       row[x == L - 1 ? 0 : x + 1];
                        if ((uint64_t)xorshift() < thr[5 * (row[x] > 0) + (nn + 4) / 2])
                            row[x] = (signed char)-row[x];
                    }
                }
        clock_gettime(CLOCK_MONOTONIC, &b);
        const double ns = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
        if ((double)sweeps * L * L / ns > best) best = (double)sweeps * L * L / ns;
    }
    printf("scalar C checkerboard, L=%d, one thread: %.3f updates/ns\n", L, best);
    free(s);
    return 0;
}
