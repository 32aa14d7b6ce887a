/* The yardstick for gpurg's dimer sampler: a plain single-threaded C worm (directed-loop)
 * algorithm for close-packed dimers on the L x L torus at T = infinity, the way one would write
 * it by hand. Site codes as in gpurg: code[y*L + x] = direction of the site's partner,
 * 0 = +x, 1 = +y, 2 = -x, 3 = -y (periodic).
 *
 * One worm: pick a random tail t and remove its dimer (t, h); the head h then repeatedly picks
 * one of its 3 neighbours other than the one it came from (uniformly: at T = inf every covering
 * has the same weight, so no bounces are needed and the reversed worm is exactly as likely),
 * pairs with it and kicks out that neighbour's old partner, which becomes the new head; the worm
 * closes when the head picks the tail. A step is one such choice of the head.
 *
 * Usage: scalar_worm [L] [seconds]   (defaults 64, 2.0; L even, >= 4)
 * Prints: L=64 steps=... seconds=... steps_per_ns=... and the mean worm length; checks that the
 * final configuration is a valid covering (exit code 1 otherwise).
 * Build: gcc -O3 -march=native -o /tmp/scalar_worm benchmarks/scalar_worm.c */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static const int DX[4] = {1, 0, -1, 0};
static const int DY[4] = {0, 1, 0, -1};

/* xoshiro128** (Blackman & Vigna), seeded through splitmix64 */
static uint32_t rng[4];

static inline uint32_t rotl(uint32_t v, int k) { return (v << k) | (v >> (32 - k)); }

static inline uint32_t next_u32(void) {
    const uint32_t result = rotl(rng[1] * 5, 7) * 9;
    const uint32_t t = rng[1] << 9;
    rng[2] ^= rng[0];
    rng[3] ^= rng[1];
    rng[1] ^= rng[2];
    rng[0] ^= rng[3];
    rng[2] ^= t;
    rng[3] = rotl(rng[3], 11);
    return result;
}

static void seed(uint64_t s) {
    for (int i = 0; i < 4; i++) {
        uint64_t z = (s += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        rng[i] = (uint32_t)((z ^ (z >> 31)) >> 32);
    }
}

/* uniform integer in [0, n) by Lemire's multiply-shift (bias ~ n / 2^32, irrelevant here) */
static inline uint32_t below(uint32_t n) { return (uint32_t)(((uint64_t)next_u32() * n) >> 32); }

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* Coordinates are kept separately so that moving needs no division (L need not be a power of 2).
 * Returns the number of steps of one worm. */
static long worm(signed char *code, int L) {
    const uint32_t site = below((uint32_t)(L * L));
    const int tx = (int)(site % (uint32_t)L), ty = (int)(site / (uint32_t)L);
    int d = code[site];
    int hx = tx + DX[d], hy = ty + DY[d];
    hx = hx < 0 ? hx + L : (hx >= L ? hx - L : hx);
    hy = hy < 0 ? hy + L : (hy >= L ? hy - L : hy);
    int back = d ^ 2; /* direction from the head to the site it must not return to */
    long steps = 0;
    for (;;) {
        steps++;
        d = (back + 1 + (int)below(3)) & 3;
        int wx = hx + DX[d], wy = hy + DY[d];
        wx = wx < 0 ? wx + L : (wx >= L ? wx - L : wx);
        wy = wy < 0 ? wy + L : (wy >= L ? wy - L : wy);
        const int w = wy * L + wx;
        code[hy * L + hx] = (signed char)d;
        if (wx == tx && wy == ty) {
            code[w] = (signed char)(d ^ 2);
            return steps;
        }
        const int e = code[w]; /* w's old partner becomes the head */
        code[w] = (signed char)(d ^ 2);
        hx = wx + DX[e];
        hy = wy + DY[e];
        hx = hx < 0 ? hx + L : (hx >= L ? hx - L : hx);
        hy = hy < 0 ? hy + L : (hy >= L ? hy - L : hy);
        back = e ^ 2;
    }
}

/* Every site's partner must point back; returns the number of bad sites. */
static long check(const signed char *code, int L) {
    long bad = 0;
    for (int y = 0; y < L; y++)
        for (int x = 0; x < L; x++) {
            const int d = code[y * L + x];
            if (d < 0 || d > 3) {
                bad++;
                continue;
            }
            const int px = (x + DX[d] + L) % L, py = (y + DY[d] + L) % L;
            if (code[py * L + px] != (d ^ 2)) bad++;
        }
    return bad;
}

int main(int argc, char **argv) {
    const int L = argc > 1 ? atoi(argv[1]) : 64;
    const double seconds = argc > 2 ? atof(argv[2]) : 2.0;
    if (L < 4 || L % 2 || L > 46340 || !(seconds > 0)) {
        fprintf(stderr, "usage: scalar_worm [L even >= 4] [seconds > 0]\n");
        return 2;
    }
    signed char *code = malloc((size_t)L * L);
    if (!code) return 2;
    for (int i = 0; i < L * L; i++) code[i] = (i % 2 == 0) ? 0 : 2; /* columnar start */
    seed(12345);

    /* equilibrate for a tenth of the time (the columnar start has atypically short worms) */
    const double t0 = now();
    while (now() - t0 < 0.1 * seconds)
        for (int k = 0; k < 64; k++) worm(code, L);

    long steps = 0, worms = 0, since_check = 0;
    const double start = now();
    double elapsed = 0;
    for (;;) {
        const long s = worm(code, L);
        steps += s;
        worms++;
        since_check += s;
        if (since_check >= (1L << 20)) { /* read the clock rarely: it costs ~20 ns */
            since_check = 0;
            elapsed = now() - start;
            if (elapsed >= seconds) break;
        }
    }
    const long bad = check(code, L);
    printf("L=%d steps=%ld seconds=%.3f steps_per_ns=%.4f\n", L, steps, elapsed,
           steps / (elapsed * 1e9));
    printf("worms=%ld mean_worm_length=%.1f valid=%s\n", worms, (double)steps / worms,
           bad ? "no" : "yes");
    free(code);
    return bad ? 1 : 0;
}
