// Shared helpers of InceptionJ's own kernels.
//
// Arithmetic that must give the same bits as the CPU backend spells out its rounding with the
// _rn intrinsics (one IEEE round-to-nearest per operation, as Java float arithmetic does), and the
// sources are compiled with -fmad=false besides, so that nvcc never contracts a*b + c into one FMA.
// affine() is the CPU backend's affine, round(round(alpha*x) + beta): with beta = 0 it still turns
// -0 into +0, as Java's alpha*x + 0f does.
#pragma once

__device__ __forceinline__ float affine(float alpha, float x, float beta) {
    return __fadd_rn(__fmul_rn(alpha, x), beta);
}

// Block-wide reductions in double over blockDim.x threads (a power of two). The tree has a fixed
// shape, so the result does not depend on timing: same inputs, same bits.
__device__ __forceinline__ double block_sum(double* s, double v) {
    s[threadIdx.x] = v;
    __syncthreads();
    for (unsigned int half = blockDim.x / 2; half > 0; half /= 2) {
        if (threadIdx.x < half) {
            s[threadIdx.x] += s[threadIdx.x + half];
        }
        __syncthreads();
    }
    double r = s[0];
    __syncthreads();   // s may be reused by the caller's next reduction
    return r;
}

__device__ __forceinline__ double block_max(double* s, double v) {
    s[threadIdx.x] = v;
    __syncthreads();
    for (unsigned int half = blockDim.x / 2; half > 0; half /= 2) {
        if (threadIdx.x < half) {
            s[threadIdx.x] = fmax(s[threadIdx.x], s[threadIdx.x + half]);
        }
        __syncthreads();
    }
    double r = s[0];
    __syncthreads();
    return r;
}

// Grid-stride loop over [0, n) with 64-bit indices.
#define FOR_EACH(i, n) \
    for (long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x; i < (n); \
         i += (long long) gridDim.x * blockDim.x)

// Java's Math.max: NaN if either argument is NaN, and max(-0, +0) = +0.
__device__ __forceinline__ float jmax(float a, float b) {
    if (a != a) return a;
    if (b != b) return b;
    if (a == 0.0f && b == 0.0f) return signbit(a) ? b : a;
    return a > b ? a : b;
}

// Shapes and strides of up to 8 dimensions (Backend tensors of higher rank are refused by the Java side).
struct Dims {
    int v[8];
};
