// Reductions over any set of axes, one thread per output element, each summing its elements in one
// fixed (row-major) order: deterministic, whatever the launch shape. SUM and MEAN accumulate in
// double and round once (as the CPU backend does); MAX follows Java's Math.max (NaN propagates).
//
// x has `rank` dims; bit d of `mask` marks axis d as reduced; `count` = the product of the reduced
// dims (> 0: the caller handles empty reductions). Output element o enumerates the kept axes in
// row-major order (the keepdims layout).
#include "common.cuh"

// op: 0 SUM, 1 MEAN, 2 MAX (ReduceOp ordinals).
extern "C" __global__ void reduce_axes(float* __restrict__ out, const float* __restrict__ x, long long out_n,
                                       int rank, Dims dims, int mask, long long count, int op) {
    long long stride[8];
    long long s = 1;
    for (int d = rank - 1; d >= 0; d--) {
        stride[d] = s;
        s *= dims.v[d];
    }
    FOR_EACH(o, out_n) {
        long long rest = o, base = 0;
        for (int d = rank - 1; d >= 0; d--) {
            if (!(mask & (1 << d))) {
                base += (rest % dims.v[d]) * stride[d];
                rest /= dims.v[d];
            }
        }
        double sum = 0.0;
        float m = -INFINITY;
        for (long long r = 0; r < count; r++) {
            long long q = r, off = base;
            for (int d = rank - 1; d >= 0; d--) {
                if (mask & (1 << d)) {
                    off += (q % dims.v[d]) * stride[d];
                    q /= dims.v[d];
                }
            }
            const float v = x[off];
            if (op == 2) {
                m = jmax(m, v);
            } else {
                sum += (double) v;
            }
        }
        out[o] = op == 2 ? m : op == 1 ? (float) (sum / (double) count) : (float) sum;
    }
}

// out[e] = Σ_j xs[e][j]², one block per tensor of the list (pointer table xs, sizes n), the
// squares exact in double, summed in double by a fixed tree (block_sum): deterministic.
// Dynamic shared memory: blockDim.x doubles.
extern "C" __global__ void sum_squares_list(float* __restrict__ out, const float* const* __restrict__ xs,
                                            const long long* __restrict__ n) {
    extern __shared__ double s[];
    const int e = blockIdx.x;
    const float* x = xs[e];
    double acc = 0.0;
    for (long long j = threadIdx.x; j < n[e]; j += blockDim.x) {
        const double v = (double) x[j];
        acc += v * v;
    }
    acc = block_sum(s, acc);
    if (threadIdx.x == 0) {
        out[e] = (float) acc;
    }
}
