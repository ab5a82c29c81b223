// Label-smoothed softmax cross-entropy, forward and gradient in one pass (paper §7; the CPU
// backend's CrossEntropy is the reference). Logits x [N,K], labels y [N], smoothing ε, prior u [K]
// (NULL: uniform 1/K). With lse = log Σ_k exp(x_k) (after subtracting the row maximum) and the
// smoothed target q_k = (1 − ε)·[k = y] + ε·u_k:
//
//   row_loss[n]   = lse − Σ_k q_k·x_k                       (double)
//   dlogits[n,k]  = (exp(x_k − lse) − q_k) / N               (p − q, batch mean; rounded to float once)
//   loss          = (1/N)·Σ_n row_loss[n]                    (mean_rows: row order, as the CPU does)
//
// All sums in double, as on the CPU; the row sums run as a fixed tree, so the result is
// deterministic (it may differ from the CPU's sequential sums in the last bits of the double).
#include "common.cuh"

// q_k in double, as CrossEntropy.target does.
__device__ __forceinline__ double target(int k, int label, float eps, const float* prior, int classes) {
    double u = prior == nullptr ? 1.0 / classes : (double) prior[k];
    return (k == label ? 1.0 - (double) eps : 0.0) + (double) eps * u;
}

// One block per row; blockDim.x a power of two; dynamic shared memory blockDim.x doubles.
// dlogits may be NULL (no gradient wanted).
extern "C" __global__ void softmax_xent(double* __restrict__ row_loss, float* __restrict__ dlogits,
                                        const float* __restrict__ logits, const int* __restrict__ labels,
                                        const float* __restrict__ prior, int n, int classes, float eps) {
    extern __shared__ double s[];
    const int row = blockIdx.x;
    const float* x = logits + (long long) row * classes;
    const int label = labels[row];

    double m = -INFINITY;
    for (int k = threadIdx.x; k < classes; k += blockDim.x) {
        m = fmax(m, (double) x[k]);
    }
    m = block_max(s, m);

    double se = 0.0;
    for (int k = threadIdx.x; k < classes; k += blockDim.x) {
        se += exp((double) x[k] - m);
    }
    const double lse = m + log(block_sum(s, se));

    double dot = 0.0;
    for (int k = threadIdx.x; k < classes; k += blockDim.x) {
        double q = target(k, label, eps, prior, classes);
        dot += q * (double) x[k];
        if (dlogits != nullptr) {
            dlogits[(long long) row * classes + k] = (float) ((exp((double) x[k] - lse) - q) / n);
        }
    }
    dot = block_sum(s, dot);
    if (threadIdx.x == 0) {
        row_loss[row] = lse - dot;
    }
}

// loss[0] = (float) (Σ_n row_loss[n] / N), summed in row order by one thread (N is the batch size).
extern "C" __global__ void mean_rows(float* __restrict__ loss, const double* __restrict__ row_loss, int n) {
    if (blockIdx.x == 0 && threadIdx.x == 0) {
        double sum = 0.0;
        for (int i = 0; i < n; i++) {
            sum += row_loss[i];
        }
        loss[0] = (float) (sum / n);
    }
}
