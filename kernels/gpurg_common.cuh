// Shared by every gpurg kernel: fixed-width types, the counter-based random generator
// (Philox4x32-10, Salmon et al., SC'11) and relaxed loads for lock-free algorithms.
// Compiled by NVRTC (CuPy), by nvcc, and by a host C++ compiler through host/cuda_host.h,
// so it uses no standard headers.
#ifndef GPURG_COMMON_CUH
#define GPURG_COMMON_CUH

typedef unsigned int gpurg_u32;
typedef unsigned long long gpurg_u64;

struct gpurg_u32x4 {
    gpurg_u32 x, y, z, w;
};

// Random streams: one counter word names the purpose of the numbers, so that no two
// random decisions of a run ever share a Philox block. This is the one table of streams:
// gpurg/backend/philox.py reads it (STREAM_<NAME> = value), for the NumPy twins and for the
// streams only NumPy code draws (the last three), and tests/test_kernel_family.py checks
// that the values are distinct. Keep one "#define GPURG_STREAM_<NAME> <value>u" per line.
#define GPURG_STREAM_LOCAL_UPDATE 0u
#define GPURG_STREAM_HOT_START 1u
#define GPURG_STREAM_SW_BONDS 2u
#define GPURG_STREAM_SW_FLIPS 3u
#define GPURG_STREAM_DIMER_WORM 4u
#define GPURG_STREAM_DIMER_NOISE 5u
#define GPURG_STREAM_DIMER_START 6u
#define GPURG_STREAM_RBM 7u
#define GPURG_STREAM_PAIR_POSITIONS 8u   // random (V, E) pair positions (gpurg.rsmi.geometry)
#define GPURG_STREAM_CHAIN_SAMPLES 10u   // exact 1D Ising chains (gpurg.rsmi.exact)
#define GPURG_STREAM_MAJORITY 11u        // majority-rule tie-breaks (gpurg.rg.maps)
#define GPURG_STREAM_BIT_UPDATE 12u      // bit-packed Ising updates (gpurg.models.ising_bits_numpy)

// Unroll the next loop: "#pragma unroll" for NVRTC and nvcc; host compilers ignore it, so
// host/cuda_host.h defines this as GCC's own pragma (a loop over the 4 words of a Philox
// block, say, must unroll for the word index to be a constant).
#ifndef GPURG_UNROLL
#define GPURG_UNROLL _Pragma("unroll")
#endif

__device__ __forceinline__ gpurg_u32 gpurg_mulhi(gpurg_u32 a, gpurg_u32 b) {
#ifdef __CUDA_ARCH__
    return __umulhi(a, b);
#else
    return (gpurg_u32)(((gpurg_u64)a * b) >> 32);
#endif
}

// Philox4x32-10 exactly as Random123 defines it; gpurg/backend/philox.py is the NumPy twin.
__device__ __forceinline__ gpurg_u32x4 gpurg_philox(gpurg_u32x4 c, gpurg_u32 k0, gpurg_u32 k1) {
#pragma unroll
    for (int round = 0; round < 10; ++round) {
        const gpurg_u32 hi0 = gpurg_mulhi(0xD2511F53u, c.x);
        const gpurg_u32 lo0 = 0xD2511F53u * c.x;
        const gpurg_u32 hi1 = gpurg_mulhi(0xCD9E8D57u, c.z);
        const gpurg_u32 lo1 = 0xCD9E8D57u * c.z;
        gpurg_u32x4 n;
        n.x = hi1 ^ c.y ^ k0;
        n.y = lo1;
        n.z = hi0 ^ c.w ^ k1;
        n.w = lo0;
        c = n;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    return c;
}

// N Philox blocks computed in lockstep, counters and results in place as four arrays of
// words (x[i], y[i], z[i], w[i]: block i): the same numbers as N calls of gpurg_philox,
// written so that a host compiler can put the blocks in SIMD registers (on a GPU it is plain
// unrolled code).
template <int N>
__device__ __forceinline__ void gpurg_philox_soa(gpurg_u32* x, gpurg_u32* y, gpurg_u32* z,
                                                 gpurg_u32* w, gpurg_u32 k0, gpurg_u32 k1) {
#ifdef GPURG_HOST_SIMD_PHILOX
    // Host builds with AVX2 (host/cuda_host.h): 8 or 4 blocks per vector, the same arithmetic.
    if (N % 8 == 0) {
        for (int i = 0; i < N; i += 8) gpurg_host_philox_x8(x + i, y + i, z + i, w + i, k0, k1);
    } else if (N % 4 == 0) {
        for (int i = 0; i < N; i += 4) gpurg_host_philox_x4(x + i, y + i, z + i, w + i, k0, k1);
    } else
#endif
#pragma unroll
    for (int round = 0; round < 10; ++round) {
#pragma unroll
        for (int i = 0; i < N; ++i) {
            const gpurg_u64 p0 = (gpurg_u64)0xD2511F53u * x[i];
            const gpurg_u64 p1 = (gpurg_u64)0xCD9E8D57u * z[i];
            const gpurg_u32 nx = (gpurg_u32)(p1 >> 32) ^ y[i] ^ k0;
            const gpurg_u32 nz = (gpurg_u32)(p0 >> 32) ^ w[i] ^ k1;
            y[i] = (gpurg_u32)p1;
            w[i] = (gpurg_u32)p0;
            x[i] = nx;
            z[i] = nz;
        }
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
}

// The same for N counters given as blocks c[i], replaced by their results.
template <int N>
__device__ __forceinline__ void gpurg_philox_lanes(gpurg_u32x4* c, gpurg_u32 k0, gpurg_u32 k1) {
    gpurg_u32 x[N], y[N], z[N], w[N];
#pragma unroll
    for (int i = 0; i < N; ++i) {
        x[i] = c[i].x;
        y[i] = c[i].y;
        z[i] = c[i].z;
        w[i] = c[i].w;
    }
    gpurg_philox_soa<N>(x, y, z, w, k0, k1);
#pragma unroll
    for (int i = 0; i < N; ++i) {
        c[i].x = x[i];
        c[i].y = y[i];
        c[i].z = z[i];
        c[i].w = w[i];
    }
}

// n / d for n < 2^31 by multiply and shift (Granlund & Montgomery), with (mul, shift) from
// gpurg.backend.fastdiv.magic(d): integer division by a run-time value costs ~20 instructions
// on a GPU, which counts in kernels whose threads do little else.
__device__ __forceinline__ gpurg_u32 gpurg_fastdiv(gpurg_u32 n, gpurg_u32 mul, int shift) {
    return (gpurg_mulhi(n, mul) + n) >> shift;
}

__device__ __forceinline__ gpurg_u32 gpurg_word(const gpurg_u32x4& r, int i) {
    return i == 0 ? r.x : (i == 1 ? r.y : (i == 2 ? r.z : r.w));
}

// Lock-free union-find reads parents that other threads may be lowering concurrently.
__device__ __forceinline__ int gpurg_load_relaxed(const int* p) {
#ifdef __CUDA_ARCH__
    return *(const volatile int*)p;
#else
    return __atomic_load_n(p, __ATOMIC_RELAXED);
#endif
}

#endif
