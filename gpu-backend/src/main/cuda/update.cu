// The optimizer primitives of the Backend contract over lists of tensors, one launch per list (a
// pointer table, as apex's multi_tensor_apply): entry e's tensors are at table[e], its elements are
// the global indices [start[e], start[e + 1]) of one grid-stride loop over all entries together.
// Each element performs the CPU backend's float operations in its order (MomentumUpdate,
// RmsPropUpdate, AdamUpdate, EmaUpdate, Axpy: no FMA, every product and sum rounded on its own), so
// the results are the CPU's bits (the Java code's (float) Math.sqrt(float) is the correctly rounded
// float root, __fsqrt_rn).
//
// The gradient scale: g = s_e·grad with s_e = scale[e] (or scale[0] when the scale has one element).
// If any element of scale is NaN or ±∞ nothing is written: `gate` computes ok[0] once per call on
// the device (no read by the host), and every update kernel returns at once when it is 0.
#include "common.cuh"

// The entry holding global index i: the last e with start[e] <= i (entries may be empty).
__device__ __forceinline__ int entry_of(const long long* start, int entries, long long i) {
    int lo = 0, hi = entries - 1;
    while (lo < hi) {
        const int mid = (lo + hi + 1) >> 1;
        if (start[mid] <= i) lo = mid; else hi = mid - 1;
    }
    return lo;
}

// ok[0] = 1 if every scale[0..n) is finite, else 0. One thread (n is at most the list length).
extern "C" __global__ void gate(int* ok, const float* scale, int n) {
    if (blockIdx.x == 0 && threadIdx.x == 0) {
        int finite = 1;
        for (int i = 0; i < n; i++) {
            finite &= isfinite(scale[i]) ? 1 : 0;
        }
        ok[0] = finite;
    }
}

__device__ __forceinline__ float scale_of(const float* scale, int scales, int e) {
    return scale[scales == 1 ? 0 : e];
}

// y[e] ← y[e] + α·x[e] (y[e] may be x[e]).
extern "C" __global__ void axpy_list(float* const* y, const float* const* x, const long long* start, int entries,
                                     float alpha) {
    FOR_EACH(i, start[entries]) {
        const int e = entry_of(start, entries, i);
        const long long j = i - start[e];
        y[e][j] = __fadd_rn(y[e][j], __fmul_rn(alpha, x[e][j]));
    }
}

// acc ← μ·acc + g;  θ ← θ − lr·acc  (nesterov: θ ← θ − lr·(μ·acc + g))
extern "C" __global__ void momentum_list(float* const* theta, float* const* acc, const float* const* grad,
                                         const long long* start, int entries, const float* scale, int scales,
                                         const int* ok, float lr, float mu, int nesterov) {
    if (!ok[0]) return;
    FOR_EACH(i, start[entries]) {
        const int e = entry_of(start, entries, i);
        const long long j = i - start[e];
        const float g = __fmul_rn(scale_of(scale, scales, e), grad[e][j]);
        const float a = __fadd_rn(__fmul_rn(mu, acc[e][j]), g);
        acc[e][j] = a;
        const float step = nesterov ? __fmul_rn(lr, __fadd_rn(__fmul_rn(mu, a), g)) : __fmul_rn(lr, a);
        theta[e][j] = __fsub_rn(theta[e][j], step);
    }
}

// ms ← ρ·ms + (1 − ρ)·g²;  mom ← μ·mom + lr·(g / √(ms + ε));  θ ← θ − mom
extern "C" __global__ void rmsprop_list(float* const* theta, float* const* ms, float* const* mom,
                                        const float* const* grad, const long long* start, int entries,
                                        const float* scale, int scales, const int* ok, float lr, float rho,
                                        float one_minus_rho, float mu, float eps) {
    if (!ok[0]) return;
    FOR_EACH(i, start[entries]) {
        const int e = entry_of(start, entries, i);
        const long long j = i - start[e];
        const float g = __fmul_rn(scale_of(scale, scales, e), grad[e][j]);
        const float m2 = __fadd_rn(__fmul_rn(rho, ms[e][j]), __fmul_rn(one_minus_rho, __fmul_rn(g, g)));
        ms[e][j] = m2;
        const float mo = __fadd_rn(__fmul_rn(mu, mom[e][j]), __fmul_rn(lr, __fdiv_rn(g, __fsqrt_rn(__fadd_rn(m2, eps)))));
        mom[e][j] = mo;
        theta[e][j] = __fsub_rn(theta[e][j], mo);
    }
}

// Adam's step size from the powers as they are on entry (CPU: AdamUpdate), into scratch:
//   p₁' = β₁·p₁, p₂' = β₂·p₂ (float);  αₜ = (float) (lr·√(1 − p₂') / (1 − p₁')) in double.
// scratch = {αₜ, p₁', p₂'}; adam_commit writes the powers after the last update kernel.
extern "C" __global__ void adam_prepare(float* scratch, const float* p1, const float* p2, const int* ok, float lr,
                                        float beta1, float beta2) {
    if (blockIdx.x == 0 && threadIdx.x == 0 && ok[0]) {
        const float np1 = __fmul_rn(beta1, p1[0]), np2 = __fmul_rn(beta2, p2[0]);
        const double num = __dmul_rn((double) lr, __dsqrt_rn(__dsub_rn(1.0, (double) np2)));
        scratch[0] = (float) __ddiv_rn(num, __dsub_rn(1.0, (double) np1));
        scratch[1] = np1;
        scratch[2] = np2;
    }
}

extern "C" __global__ void adam_commit(float* p1, float* p2, const float* scratch, const int* ok) {
    if (blockIdx.x == 0 && threadIdx.x == 0 && ok[0]) {
        p1[0] = scratch[1];
        p2[0] = scratch[2];
    }
}

// m ← β₁·m + (1 − β₁)·g;  v ← β₂·v + (1 − β₂)·g²;  θ ← θ − αₜ·(m / (√v + ε̂))
extern "C" __global__ void adam_list(float* const* theta, float* const* m, float* const* v, const float* const* grad,
                                     const long long* start, int entries, const float* scale, int scales,
                                     const int* ok, const float* scratch, float beta1, float one_minus_beta1,
                                     float beta2, float one_minus_beta2, float eps) {
    if (!ok[0]) return;
    const float alpha = scratch[0];
    FOR_EACH(i, start[entries]) {
        const int e = entry_of(start, entries, i);
        const long long j = i - start[e];
        const float g = __fmul_rn(scale_of(scale, scales, e), grad[e][j]);
        const float m1 = __fadd_rn(__fmul_rn(beta1, m[e][j]), __fmul_rn(one_minus_beta1, g));
        const float v1 = __fadd_rn(__fmul_rn(beta2, v[e][j]), __fmul_rn(one_minus_beta2, __fmul_rn(g, g)));
        m[e][j] = m1;
        v[e][j] = v1;
        theta[e][j] = __fsub_rn(theta[e][j], __fmul_rn(alpha, __fdiv_rn(m1, __fadd_rn(__fsqrt_rn(v1), eps))));
    }
}

// shadow ← shadow − (1 − d)·(shadow − θ); ok from the gate tensor (its value itself is unused).
extern "C" __global__ void ema_list(float* const* shadow, const float* const* theta, const long long* start,
                                    int entries, const int* ok, float one_minus_d) {
    if (!ok[0]) return;
    FOR_EACH(i, start[entries]) {
        const int e = entry_of(start, entries, i);
        const long long j = i - start[e];
        const float s = shadow[e][j];
        shadow[e][j] = __fsub_rn(s, __fmul_rn(one_minus_d, __fsub_rn(s, theta[e][j])));
    }
}
