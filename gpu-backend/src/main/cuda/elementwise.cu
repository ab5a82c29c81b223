// Elementwise ops of the cuda backend, one thread per element (grid-stride), each the CPU backend's
// formula with the same IEEE rounding (the _rn intrinsics; -fmad=false besides), so that results
// are the CPU's bits except where the CPU calls a libm function (EXP, LOG: computed here in double
// and rounded once, as (float) Math.exp((double) x) is; CUDA's exp is within 1 ulp of it in double,
// so the float result matches except in rare double-rounding cases, inside the kit's 8u tolerance).
//
// Java's Math.max/min semantics are spelled out (jmax/jmin): NaN if either argument is NaN, and
// max(−0, +0) = +0, min(−0, +0) = −0; the kit checks MAX/MIN/RELU with tolerance 0.
#include "common.cuh"

__device__ __forceinline__ float jmin(float a, float b) {
    if (a != a) return a;
    if (b != b) return b;
    if (a == 0.0f && b == 0.0f) return signbit(a) ? a : b;
    return a < b ? a : b;
}

// UnaryOp ordinals: NEG, ABS, SQRT, EXP, LOG, RELU, SQUARE, RECIPROCAL.
__device__ __forceinline__ float unary_op(int op, float x) {
    switch (op) {
        case 0: return -x;
        case 1: return fabsf(x);
        case 2: return __fsqrt_rn(x);
        case 3: return (float) exp((double) x);
        case 4: return (float) log((double) x);
        case 5: return jmax(x, 0.0f);
        case 6: return __fmul_rn(x, x);
        default: return __fdiv_rn(1.0f, x);
    }
}

// BinaryOp ordinals: ADD, SUB, MUL, DIV, MAX, MIN.
__device__ __forceinline__ float binary_op(int op, float a, float b) {
    switch (op) {
        case 0: return __fadd_rn(a, b);
        case 1: return __fsub_rn(a, b);
        case 2: return __fmul_rn(a, b);
        case 3: return __fdiv_rn(a, b);
        case 4: return jmax(a, b);
        default: return jmin(a, b);
    }
}

// out = f(x); out may alias x.
extern "C" __global__ void unary(float* out, const float* x, long long n, int op) {
    FOR_EACH(i, n) {
        out[i] = unary_op(op, x[i]);
    }
}

// out = f(a, b), NumPy broadcasting: out has `rank` dims outDims; a and b are read at
// Σ coord[d]·stride[d] with stride 0 along their broadcast axes. When a (b) has out's shape the
// caller sets bit 0 (bit 1) of `dense` and its index is i itself. out may alias a.
extern "C" __global__ void binary(float* out, const float* a, const float* b, long long n, int op, int rank,
                                  Dims outDims, Dims aStrides, Dims bStrides, int dense) {
    FOR_EACH(i, n) {
        long long ai = i, bi = i;
        if (dense != 3) {
            long long rest = i, ao = 0, bo = 0;
            for (int d = rank - 1; d >= 0; d--) {
                long long c = rest % outDims.v[d];
                rest /= outDims.v[d];
                ao += c * aStrides.v[d];
                bo += c * bStrides.v[d];
            }
            if (!(dense & 1)) ai = ao;
            if (!(dense & 2)) bi = bo;
        }
        out[i] = binary_op(op, a[ai], b[bi]);
    }
}

// out = round(round(alpha·x) + beta); out may alias x.
extern "C" __global__ void affine_kernel(float* out, const float* x, long long n, float alpha, float beta) {
    FOR_EACH(i, n) {
        out[i] = affine(alpha, x[i], beta);
    }
}

// out = min(max(x, lo), hi) with Java's semantics (lo > hi gives hi); out may alias x.
extern "C" __global__ void clip(float* out, const float* x, long long n, float lo, float hi) {
    FOR_EACH(i, n) {
        out[i] = jmin(jmax(x[i], lo), hi);
    }
}

// dx = dy where y > 0, else 0 (ReLU's derivative at 0 taken as 0).
extern "C" __global__ void relu_backward(float* dx, const float* dy, const float* y, long long n) {
    FOR_EACH(i, n) {
        dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
    }
}

// Batch norm with given statistics, x viewed as [outer, C, inner]:
//   out = gamma[c]·(x − mean[c]) / √(var[c] + eps) + beta[c]
// in float, each operation rounded once (an own kernel rather than cuDNN's inference call, which
// refuses eps < 1e-5; the contract does not).
extern "C" __global__ void bn_inference(float* out, const float* x, const float* gamma, const float* beta,
                                        const float* mean, const float* var, long long n, int channels,
                                        long long inner, float eps) {
    FOR_EACH(i, n) {
        const int c = (int) ((i / inner) % channels);
        const float centered = __fsub_rn(x[i], mean[c]);
        const float sd = __fsqrt_rn(__fadd_rn(var[c], eps));
        out[i] = __fadd_rn(__fmul_rn(gamma[c], __fdiv_rn(centered, sd)), beta[c]);
    }
}

// Batch norm training when each channel has one value (M = 1, x [1,C] or [1,C,1,1]), which cuDNN's
// unbiased running variance M/(M − 1)·σ² cannot take: μ = x, σ² = 0, invStd = 1/√eps,
// out = gamma·0·invStd + beta, and the contract's running update with σ² as the unbiased variance.
// One thread per channel.
extern "C" __global__ void bn_training_single(float* out, float* save_mean, float* save_inv_std, const float* x,
                                              const float* gamma, const float* beta, float* running_mean,
                                              float* running_var, int channels, float eps, float momentum) {
    FOR_EACH(c, channels) {
        const float mu = x[c];
        const float inv_std = (float) (1.0 / sqrt((double) eps));
        save_mean[c] = mu;
        save_inv_std[c] = inv_std;
        out[c] = __fadd_rn(__fmul_rn(__fmul_rn(gamma[c], __fsub_rn(x[c], mu)), inv_std), beta[c]);
        const float keep = __fsub_rn(1.0f, momentum);
        running_mean[c] = __fadd_rn(__fmul_rn(keep, running_mean[c]), __fmul_rn(momentum, mu));
        running_var[c] = __fadd_rn(__fmul_rn(keep, running_var[c]), 0.0f);
    }
}
