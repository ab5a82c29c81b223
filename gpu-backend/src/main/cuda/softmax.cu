// Softmax and log-softmax along one axis, forward and backward, as the CPU backend's Softmax: the
// tensor is viewed as [outer, n, inner] and each thread handles one line (outer, inner) of n
// elements with stride inner, the sums in double, each output rounded once:
//   softmax:      y = exp(x − max) / Σ exp(x − max)
//   log-softmax:  y = (x − max) − log Σ exp(x − max)
//   backward, softmax:      dx = y·(dy − Σ dy·y)
//   backward, log-softmax:  dx = dy − exp(y)·Σ dy
// One thread per line keeps the order fixed (deterministic); Inception's lines are its 1000 logits.
#include "common.cuh"

extern "C" __global__ void softmax_forward(float* __restrict__ out, const float* __restrict__ x, long long lines,
                                           int n, long long inner, int log_softmax) {
    FOR_EACH(line, lines) {
        const long long first = (line / inner) * n * inner + line % inner;
        float m = -INFINITY;
        for (int k = 0; k < n; k++) {
            m = jmax(m, x[first + k * inner]);
        }
        double sum = 0.0;
        for (int k = 0; k < n; k++) {
            sum += exp((double) x[first + k * inner] - (double) m);
        }
        const double log_sum = log(sum);
        for (int k = 0; k < n; k++) {
            const long long i = first + k * inner;
            const double shifted = (double) x[i] - (double) m;
            out[i] = (float) (log_softmax ? shifted - log_sum : exp(shifted) / sum);
        }
    }
}

extern "C" __global__ void softmax_backward(float* __restrict__ dx, const float* __restrict__ dy,
                                            const float* __restrict__ y, long long lines, int n, long long inner,
                                            int log_softmax) {
    FOR_EACH(line, lines) {
        const long long first = (line / inner) * n * inner + line % inner;
        double s = 0.0;
        for (int k = 0; k < n; k++) {
            const long long i = first + k * inner;
            s += log_softmax ? (double) dy[i] : (double) dy[i] * (double) y[i];
        }
        for (int k = 0; k < n; k++) {
            const long long i = first + k * inner;
            dx[i] = (float) (log_softmax ? (double) dy[i] - exp((double) y[i]) * s
                                         : (double) y[i] * ((double) dy[i] - s));
        }
    }
}
