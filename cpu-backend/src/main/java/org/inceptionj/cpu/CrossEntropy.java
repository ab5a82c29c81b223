package org.inceptionj.cpu;

import org.inceptionj.api.Tensor;

/**
 * Label-smoothed softmax cross-entropy with its gradient, in one pass over each row of logits
 * [N,K] (paper §7). With lse = log Σ_k exp(x_k) (computed after subtracting the row maximum) and
 * the smoothed target q'_k = (1 − ε)·[k = y] + ε·u_k, which sums to 1:
 * <pre>
 *   loss_n      = −Σ_k q'_k·(x_k − lse) = lse − Σ_k q'_k·x_k
 *   dlogits[n,k] = (exp(x_k − lse) − q'_k) / N          (p − q', averaged over the batch)
 *   loss        = (1/N)·Σ_n loss_n
 * </pre>
 * Sums run in double. Rows are independent and split across threads; the batch mean is then taken
 * in row order, so the result does not depend on the thread count. One path only: the work is
 * O(N·K) exp calls, negligible beside the network, and a vector form would not read better.
 */
final class CrossEntropy {
    private CrossEntropy() {
    }

    static void forwardBackward(CpuBackend cpu, Tensor loss, Tensor dlogits, Tensor logits, int[] labels,
                                float epsilon, Tensor prior) {
        float[] x = CpuBackend.data(logits);
        float[] d = dlogits == null ? null : CpuBackend.data(dlogits);
        float[] u = prior == null ? null : CpuBackend.data(prior);
        int n = logits.shape().dim(0), k = logits.shape().dim(1);
        double[] rowLoss = new double[n];
        cpu.parallel().forRange(n, 8, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                rowLoss[r] = row(x, r * k, k, labels[r], epsilon, u, d, n);
            }
        });
        double sum = 0;
        for (double l : rowLoss) {
            sum += l;
        }
        CpuBackend.data(loss)[0] = (float) (sum / n);
    }

    /** loss of one row; writes its gradient row when d is not null. */
    private static double row(float[] x, int at, int k, int label, float eps, float[] u, float[] d, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < k; j++) {
            max = Math.max(max, x[at + j]);
        }
        double s = 0;
        for (int j = 0; j < k; j++) {
            s += Math.exp(x[at + j] - max);
        }
        double lse = max + Math.log(s);
        double dot = 0;
        for (int j = 0; j < k; j++) {
            double q = target(j, label, eps, u, k);
            dot += q * x[at + j];
            if (d != null) {
                d[at + j] = (float) ((Math.exp(x[at + j] - lse) - q) / n);
            }
        }
        return lse - dot;
    }

    /** q'_j = (1 − ε)·[j = label] + ε·u_j, with u uniform 1/K when no prior is given. */
    private static double target(int j, int label, float eps, float[] u, int k) {
        double uj = u == null ? 1.0 / k : u[j];
        return (j == label ? 1.0 - eps : 0.0) + eps * uj;
    }
}
