// FP32 FMA throughput probe for the benchmarks: each thread runs CHAINS independent chains
// x ← fma(x, a, b) for `iters` rounds (independent chains hide the FMA latency), then writes one
// sum so the compiler keeps the work. Floating-point operations per launch:
//   2 · CHAINS · iters · (grid · block)
// With a = 1 − 2⁻²⁰ and b = 2⁻²⁰ the values stay bounded (x → 1), so no denormals or infinities.
#define CHAINS 16

extern "C" __global__ void fma_peak(float* __restrict__ out, int iters, float a, float b) {
    float x[CHAINS];
#pragma unroll
    for (int c = 0; c < CHAINS; c++) {
        x[c] = (float) (threadIdx.x + c) * 1e-3f;
    }
    for (int i = 0; i < iters; i++) {
#pragma unroll
        for (int c = 0; c < CHAINS; c++) {
            x[c] = fmaf(x[c], a, b);
        }
    }
    float sum = 0.0f;
#pragma unroll
    for (int c = 0; c < CHAINS; c++) {
        sum += x[c];
    }
    out[(long long) blockIdx.x * blockDim.x + threadIdx.x] = sum;
}
