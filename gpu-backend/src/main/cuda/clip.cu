// Gradient clipping by norm (paper §8; inception/train/GradientClipping is the reference).
//
// Sum of squares of one tensor x [n], deterministic, in two launches:
//   sum_squares_partial<<<G, B, B·8>>>: partial[b] = Σ x_i² over block b's grid-stride share
//                                       (squares rounded to float, as UnaryOp.SQUARE does; sums in double)
//   sum_squares_final<<<1, B, B·8>>>:   total = Σ_b partial[b]; rounded to float (the per-tensor sum
//                                       is a float tensor on the CPU); then
//                                       acc[0] = (accumulate ? acc[0] : 0) + total   (double)
// Over several tensors with accumulate = 1, acc[0] is Σ ‖g_i‖², the global norm squared, summed in
// double in launch order, as GradientClipping.globalNorm does.
//
// Scaling, as the CPU backend's affine(g, g, f, 0):
//   scale:      out_i = round(f·x_i) + 0
//   clip_scale: with ‖g‖ = √acc[0] read on the device (no copy to the host), if ‖g‖ > c then
//               f = (float) (c / ‖g‖) and x_i = round(f·x_i) + 0; else x is left untouched (same bits).
#include "common.cuh"

extern "C" __global__ void sum_squares_partial(double* __restrict__ partial, const float* __restrict__ x,
                                               long long n) {
    extern __shared__ double s[];
    double acc = 0.0;
    FOR_EACH(i, n) {
        float v = x[i];
        acc += (double) __fmul_rn(v, v);
    }
    acc = block_sum(s, acc);
    if (threadIdx.x == 0) {
        partial[blockIdx.x] = acc;
    }
}

extern "C" __global__ void sum_squares_final(double* __restrict__ acc, const double* __restrict__ partial,
                                             int partials, int accumulate) {
    extern __shared__ double s[];
    double v = 0.0;
    for (int i = threadIdx.x; i < partials; i += blockDim.x) {
        v += partial[i];
    }
    v = block_sum(s, v);
    if (threadIdx.x == 0) {
        double total = (double) (float) v;
        acc[0] = (accumulate ? acc[0] : 0.0) + total;
    }
}

extern "C" __global__ void scale(float* __restrict__ out, const float* __restrict__ x, long long n, float f) {
    FOR_EACH(i, n) {
        out[i] = affine(f, x[i], 0.0f);
    }
}

extern "C" __global__ void clip_scale(float* __restrict__ x, long long n, const double* __restrict__ sum_squares,
                                      double clip) {
    const double norm = sqrt(sum_squares[0]);
    if (!(norm > clip)) {
        return;
    }
    const float f = (float) (clip / norm);
    FOR_EACH(i, n) {
        x[i] = affine(f, x[i], 0.0f);
    }
}
