// Inverted dropout with the API's random stream (api/RandomStream; the CPU backend's Dropout):
//   mask_i = 0 if uniform(seed, i) < p, else keep = 1/(1 − p)      (keep computed by the caller in float)
//   out_i  = x_i·mask_i
// uniform(seed, i) = (mix(seed, i) >>> 40)·2⁻²⁴, with mix SplitMix64's finalizer over the counter,
// so the mask is the CPU backend's, bit for bit, whatever the launch shape.
// Backward (and any reuse of a saved mask) is mask_mul: out_i = a_i·mask_i.
#include "common.cuh"

__device__ __forceinline__ unsigned long long mix(unsigned long long seed, unsigned long long counter) {
    unsigned long long z = seed + (counter + 1ULL) * 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

__device__ __forceinline__ float uniform(unsigned long long seed, unsigned long long index) {
    return __fmul_rn((float) (mix(seed, index) >> 40), 0x1.0p-24f);   // exact: 24 bits times 2^-24
}

extern "C" __global__ void dropout_forward(float* __restrict__ out, float* __restrict__ mask,
                                           const float* __restrict__ x, long long n, unsigned long long seed,
                                           float p, float keep) {
    FOR_EACH(i, n) {
        const float m = uniform(seed, (unsigned long long) i) < p ? 0.0f : keep;
        mask[i] = m;
        out[i] = __fmul_rn(x[i], m);
    }
}

extern "C" __global__ void mask_mul(float* __restrict__ out, const float* __restrict__ a,
                                    const float* __restrict__ mask, long long n) {
    FOR_EACH(i, n) {
        out[i] = __fmul_rn(a[i], mask[i]);
    }
}
