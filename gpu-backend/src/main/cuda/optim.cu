// Optimizer updates, one element per thread, in place. Each performs the same float operations in
// the same order as the Java optimizer in inception/train does through the Backend primitives
// (affine = round(round(α·x) + β), then ADD/SUB/DIV/SQRT, each rounded once), so on equal inputs
// the results are the same bits as the CPU backend's. Scalars like 1 − ρ are computed by the
// caller in Java float and passed in.
#include "common.cuh"

// RMSProp with momentum, TF1 ApplyRMSProp (RMSProp.java):
//   ms  ← ρ·ms + (1 − ρ)·g²
//   mom ← μ·mom + lr·g / √(ms + ε)
//   θ   ← θ − mom
extern "C" __global__ void rmsprop(float* __restrict__ theta, float* __restrict__ ms, float* __restrict__ mom,
                                   const float* __restrict__ g, long long n, float rho, float one_minus_rho,
                                   float mu, float eps, float lr) {
    FOR_EACH(i, n) {
        const float gi = g[i];
        float t = __fmul_rn(gi, gi);                 // SQUARE
        t = affine(one_minus_rho, t, 0.0f);
        float m2 = affine(rho, ms[i], 0.0f);
        m2 = __fadd_rn(m2, t);
        ms[i] = m2;
        t = affine(1.0f, m2, eps);                   // ms + ε
        t = __fsqrt_rn(t);
        t = __fdiv_rn(gi, t);
        t = affine(lr, t, 0.0f);
        float mo = affine(mu, mom[i], 0.0f);
        mo = __fadd_rn(mo, t);
        mom[i] = mo;
        theta[i] = __fsub_rn(theta[i], mo);
    }
}

// SGD with momentum, TF1 ApplyMomentum (Momentum.java):
//   acc ← μ·acc + g
//   θ   ← θ − lr·acc                (nesterov = 0)
//   θ   ← θ − lr·(g + μ·acc)        (nesterov = 1, acc already updated)
extern "C" __global__ void momentum(float* __restrict__ theta, float* __restrict__ acc,
                                    const float* __restrict__ g, long long n, float mu, float lr, int nesterov) {
    FOR_EACH(i, n) {
        const float gi = g[i];
        float a = affine(mu, acc[i], 0.0f);
        a = __fadd_rn(a, gi);
        acc[i] = a;
        float t;
        if (nesterov) {
            t = affine(mu, a, 0.0f);
            t = __fadd_rn(t, gi);
            t = affine(lr, t, 0.0f);
        } else {
            t = affine(lr, a, 0.0f);
        }
        theta[i] = __fsub_rn(theta[i], t);
    }
}

// Exponential moving average of a parameter, TF's assign_sub form (ExponentialMovingAverage.java):
//   shadow ← shadow − (1 − d)·(shadow − θ)
extern "C" __global__ void ema(float* __restrict__ shadow, const float* __restrict__ theta, long long n,
                               float one_minus_d) {
    FOR_EACH(i, n) {
        const float s = shadow[i];
        float t = __fsub_rn(s, theta[i]);
        t = affine(one_minus_d, t, 0.0f);
        shadow[i] = __fsub_rn(s, t);
    }
}
