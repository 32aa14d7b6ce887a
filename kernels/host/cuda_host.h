// Runs CUDA kernel sources on the CPU: the CUDA keywords become plain C++, the built-in
// index variables become thread-local globals, and gpurg_host::launch walks the grid.
// Blocks run in parallel (OpenMP) and the threads of a block one after another, which is
// faithful for kernels whose threads do not wait on each other (no shared memory); the gpurg
// kernels are written that way. Kernels whose blocks do wait (__syncthreads) are launched with
// one-thread blocks on the host (KernelFamily's blockwise kernels), whose lone thread does the
// whole block's work in order, so that __syncthreads has nothing to wait for.
#ifndef GPURG_CUDA_HOST_H
#define GPURG_CUDA_HOST_H

#include <cstdint>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline __attribute__((always_inline))
#define __restrict__ __restrict
#define __launch_bounds__(...)
#define __syncthreads() ((void)0)
#define GPURG_UNROLL _Pragma("GCC unroll 16")

struct dim3 {
    unsigned int x, y, z;
};

namespace gpurg_host {
inline thread_local dim3 thread_idx;
inline thread_local dim3 block_idx;
inline thread_local dim3 block_dim;
inline thread_local dim3 grid_dim;
}  // namespace gpurg_host

#define threadIdx (gpurg_host::thread_idx)
#define blockIdx (gpurg_host::block_idx)
#define blockDim (gpurg_host::block_dim)
#define gridDim (gpurg_host::grid_dim)

inline int atomicMin(int* p, int v) {
    int old = __atomic_load_n(p, __ATOMIC_RELAXED);
    while (v < old && !__atomic_compare_exchange_n(p, &old, v, true, __ATOMIC_RELAXED,
                                                   __ATOMIC_RELAXED)) {
    }
    return old;
}
inline int atomicAdd(int* p, int v) { return __atomic_fetch_add(p, v, __ATOMIC_RELAXED); }
inline unsigned int atomicAdd(unsigned int* p, unsigned int v) {
    return __atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}
inline int atomicExch(int* p, int v) { return __atomic_exchange_n(p, v, __ATOMIC_RELAXED); }
inline int __popc(unsigned int x) { return __builtin_popcount(x); }

#ifdef __AVX2__
#include <immintrin.h>
#define GPURG_HOST_SIMD_PHILOX 1
// Philox4x32-10 on 4 blocks at once (counter words x, y, z, w; 4 lanes each, in place): the
// kernels' gpurg_philox_lanes calls this in host builds, where scalar Philox dominates the cost.
inline void gpurg_host_philox_x4(unsigned int* x, unsigned int* y, unsigned int* z,
                                 unsigned int* w, unsigned int k0, unsigned int k1) {
    auto load = [](const unsigned int* p) {
        return _mm256_cvtepu32_epi64(_mm_loadu_si128((const __m128i*)p));
    };
    auto store = [](unsigned int* p, __m256i v) {
        const __m256i even = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
        _mm_storeu_si128((__m128i*)p,
                         _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(v, even)));
    };
    __m256i X = load(x), Y = load(y), Z = load(z), W = load(w);
    const __m256i m0 = _mm256_set1_epi64x(0xD2511F53u), m1 = _mm256_set1_epi64x(0xCD9E8D57u);
    const __m256i low = _mm256_set1_epi64x(0xFFFFFFFFu);
    for (int round = 0; round < 10; ++round) {
        const __m256i p0 = _mm256_mul_epu32(X, m0), p1 = _mm256_mul_epu32(Z, m1);
        X = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p1, 32), Y),
                             _mm256_set1_epi64x(k0));
        Z = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p0, 32), W),
                             _mm256_set1_epi64x(k1));
        Y = _mm256_and_si256(p1, low);
        W = _mm256_and_si256(p0, low);
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    store(x, X);
    store(y, Y);
    store(z, Z);
    store(w, W);
}
// The same on 8 blocks, one 32-bit lane each: vpmuludq multiplies the even 32-bit lanes, so
// the odd lanes' products are formed from a shifted copy and the halves blended back; fewer
// operations per block than widening to 64-bit lanes as gpurg_host_philox_x4 does.
inline void gpurg_host_philox_x8(unsigned int* x, unsigned int* y, unsigned int* z,
                                 unsigned int* w, unsigned int k0, unsigned int k1) {
    __m256i X = _mm256_loadu_si256((const __m256i*)x), Y = _mm256_loadu_si256((const __m256i*)y);
    __m256i Z = _mm256_loadu_si256((const __m256i*)z), W = _mm256_loadu_si256((const __m256i*)w);
    const __m256i m0 = _mm256_set1_epi32((int)0xD2511F53u);
    const __m256i m1 = _mm256_set1_epi32((int)0xCD9E8D57u);
    for (int round = 0; round < 10; ++round) {
        const __m256i e0 = _mm256_mul_epu32(X, m0);  // 64-bit products of the even lanes
        const __m256i o0 = _mm256_mul_epu32(_mm256_srli_epi64(X, 32), m0);  // odd lanes
        const __m256i e1 = _mm256_mul_epu32(Z, m1);
        const __m256i o1 = _mm256_mul_epu32(_mm256_srli_epi64(Z, 32), m1);
        const __m256i hi0 = _mm256_blend_epi32(_mm256_srli_epi64(e0, 32), o0, 0xAA);
        const __m256i hi1 = _mm256_blend_epi32(_mm256_srli_epi64(e1, 32), o1, 0xAA);
        X = _mm256_xor_si256(_mm256_xor_si256(hi1, Y), _mm256_set1_epi32((int)k0));
        Z = _mm256_xor_si256(_mm256_xor_si256(hi0, W), _mm256_set1_epi32((int)k1));
        Y = _mm256_blend_epi32(e1, _mm256_slli_epi64(o1, 32), 0xAA);  // low halves
        W = _mm256_blend_epi32(e0, _mm256_slli_epi64(o0, 32), 0xAA);
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    _mm256_storeu_si256((__m256i*)x, X);
    _mm256_storeu_si256((__m256i*)y, Y);
    _mm256_storeu_si256((__m256i*)z, Z);
    _mm256_storeu_si256((__m256i*)w, W);
}
#endif

namespace gpurg_host {
// grid and block are (x, y, z); body is the kernel call with its arguments bound. Grids of
// fewer than parallel_threads threads run serially: waking the thread team costs more than a
// few blocks of light work (kernels whose threads run long tasks set it low).
template <typename Body>
void launch(const unsigned int* grid, const unsigned int* block, Body body,
            long long parallel_threads = 4096) {
    const long long nblocks = (long long)grid[0] * grid[1] * grid[2];
#pragma omp parallel for schedule(static) \
    if (nblocks > 1 && nblocks * block[0] * block[1] * block[2] >= parallel_threads)
    for (long long b = 0; b < nblocks; ++b) {
        grid_dim = dim3{grid[0], grid[1], grid[2]};
        block_dim = dim3{block[0], block[1], block[2]};
        block_idx = dim3{(unsigned)(b % grid[0]), (unsigned)((b / grid[0]) % grid[1]),
                         (unsigned)(b / ((long long)grid[0] * grid[1]))};
        for (unsigned int tz = 0; tz < block[2]; ++tz)
            for (unsigned int ty = 0; ty < block[1]; ++ty)
                for (unsigned int tx = 0; tx < block[0]; ++tx) {
                    thread_idx = dim3{tx, ty, tz};
                    body();
                }
    }
}
}  // namespace gpurg_host

#endif
