// Batched conditional sampling of restricted Boltzmann machines: for every RBM m and chain c,
// draw the output layer given the input layer,
//   x_j = sum_i in[m][c][i] W[m][i][j] + bias[m][j],   P(out_j = on) = 1 / (1 + exp(-scale x_j)),
// with scale = 2 for ±1 output units (P(h = +1) = sigmoid(2x)) and 1 for 0/1 units. Hidden
// given visible passes W as it is (n_rbm, n_v, n_h); visible given hidden passes W transposed.
// gpurg/rbm/conditionals.py is the NumPy twin: same sums in the same order, same random words.
//
// Random-number layout: output units are taken in groups of four; group g of chain c of RBM m
// at call `counter` (and direction d: 0 hidden given visible, 1 visible given hidden) owns the
// Philox block
//   counter = (counter, c, (m << 16) | (2 g + d), GPURG_STREAM_RBM), key = (seed_lo, seed_hi),
// and word j mod 4 decides unit j = 4 g + (j mod 4): on iff u32 < floor(p 2^32 + 1/2), the
// integer threshold of gpurg.models.ising_rules.probability_threshold. The host keeps
// m < 2^16 and g < 2^15, so no two decisions share a block.
#include "gpurg_common.cuh"

#ifdef GPURG_CUDA_HOST_H
#include <math.h>  // NVRTC has exp and floor built in; the host build needs the C library
#endif

// One thread per (RBM, chain, group of 4 output units), the group index fastest: neighbouring
// threads read neighbouring 32-byte pieces of a row of W (coalesced) and the same input
// bytes (a broadcast). The products are exact (inputs are -1, 0 or +1), so only the order of
// the float64 sum matters: i ascending, then the bias, as in the NumPy twin.
extern "C" __global__ void rbm_sample_units(const signed char* __restrict__ in,
                                            const double* __restrict__ W,
                                            const double* __restrict__ bias,
                                            signed char* __restrict__ out, int n_rbm,
                                            int n_chain, int n_in, int n_out, double scale,
                                            int off, gpurg_u32 counter, gpurg_u32 direction,
                                            gpurg_u32 seed_lo, gpurg_u32 seed_hi) {
    const int G = (n_out + 3) >> 2;
    const gpurg_u64 tid = (gpurg_u64)blockIdx.x * blockDim.x + threadIdx.x;
    if (tid >= (gpurg_u64)n_rbm * n_chain * G) return;
    const int g = (int)(tid % (gpurg_u64)G);
    const gpurg_u64 mc = tid / (gpurg_u64)G;  // m * n_chain + c
    const int c = (int)(mc % (gpurg_u64)n_chain);
    const int m = (int)(mc / (gpurg_u64)n_chain);
    const int j0 = 4 * g;
    // the last group's missing units read a valid column and are never stored
    int col[4];
#pragma unroll
    for (int k = 0; k < 4; ++k) col[k] = j0 + k < n_out ? j0 + k : n_out - 1;

    const signed char* x = in + mc * (gpurg_u64)n_in;
    const double* w = W + (gpurg_u64)m * n_in * n_out;
    double acc[4] = {0.0, 0.0, 0.0, 0.0};
    for (int i = 0; i < n_in; ++i) {
        const double xi = (double)x[i];
        const double* row = w + (gpurg_u64)i * n_out;
#pragma unroll
        for (int k = 0; k < 4; ++k) acc[k] += xi * row[col[k]];
    }

    const gpurg_u32x4 r = gpurg_philox(
        gpurg_u32x4{counter, (gpurg_u32)c, ((gpurg_u32)m << 16) | (2u * (gpurg_u32)g + direction),
                    GPURG_STREAM_RBM},
        seed_lo, seed_hi);
    const double* b = bias + (gpurg_u64)m * n_out;
    signed char* o = out + mc * (gpurg_u64)n_out;
#pragma unroll
    for (int k = 0; k < 4; ++k) {
        if (j0 + k >= n_out) break;
        const double p = 1.0 / (1.0 + exp(-scale * (acc[k] + b[j0 + k])));
        const double threshold = floor(p * 4294967296.0 + 0.5);
        o[j0 + k] = (signed char)((double)gpurg_word(r, k) < threshold ? 1 : off);
    }
}
