package org.inceptionj.cpu;

import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;

/**
 * Softmax and log-softmax along one axis, and their gradient. x is seen as outer × n × inner (n = dim(axis)); each of
 * the outer·inner lines x[o, ·, i] is normalized on its own, by one thread, in double:
 * <pre>
 *   max = max_k x[k],   sum = Σ_k exp(x[k] − max)
 *   softmax:     out[k] = exp(x[k] − max) / sum
 *   log-softmax: out[k] = (x[k] − max) − ln(sum)
 * </pre>
 * Subtracting the max keeps every exponent ≤ 0, so nothing overflows. One path: exp dominates the
 * cost and stays scalar (the Vector API's EXP is not bit-stable between its intrinsic and its Java
 * fallback), so vectorizing the max and the division would bring nothing measurable.
 *
 * <p>The backward, from the forward's output, has the same one path: its log-softmax form is
 * dominated by exp again, and neither form is on Inception's training path (the loss is the fused
 * {@code softmaxCrossEntropy}), so a vector kernel would be code without a use.
 */
final class Softmax {
    private Softmax() {
    }

    /** Elements per parallel chunk below which a loop is not split. */
    private static final int GRAIN = 1 << 13;

    /** Overwrites out with the (log-)softmax of x along {@code axis}. */
    static void forward(CpuBackend cpu, Tensor out, Tensor x, int axis, boolean log) {
        Shape s = x.shape();
        int n = s.dim(axis), inner = s.sizeBetween(axis + 1, s.rank());
        int lines = s.sizeBetween(0, axis) * inner;
        float[] o = CpuBackend.data(out), xs = CpuBackend.data(x);
        if (n == 0) {
            return;
        }
        cpu.parallel().forRange(lines, Math.max(1, GRAIN / n), (lo, hi) -> {
            for (int line = lo; line < hi; line++) {
                int first = (line / inner) * n * inner + line % inner;
                line(o, xs, first, inner, n, log);
            }
        });
    }

    /** The line x[first + k·stride], k in [0, n). */
    private static void line(float[] out, float[] x, int first, int stride, int n, boolean log) {
        float max = Float.NEGATIVE_INFINITY;
        for (int k = 0; k < n; k++) {
            max = Math.max(max, x[first + k * stride]);
        }
        double sum = 0;
        for (int k = 0; k < n; k++) {
            sum += Math.exp((double) x[first + k * stride] - max);
        }
        double logSum = Math.log(sum);
        for (int k = 0; k < n; k++) {
            int i = first + k * stride;
            double shifted = (double) x[i] - max;
            out[i] = (float) (log ? shifted - logSum : Math.exp(shifted) / sum);
        }
    }

    /**
     * Gradient from the forward output y, line by line along {@code axis}, the sum in double:
     * <pre>
     *   softmax:     dx[k] = y[k]·(dy[k] − Σ_j dy[j]·y[j])
     *   log-softmax: dx[k] = dy[k] − exp(y[k])·Σ_j dy[j]        (exp(y) is the softmax)
     * </pre>
     * Overwrites dx. Each element is computed in double and rounded once.
     */
    static void backward(CpuBackend cpu, Tensor dx, Tensor dy, Tensor y, int axis, boolean log) {
        Shape s = y.shape();
        int n = s.dim(axis), inner = s.sizeBetween(axis + 1, s.rank());
        int lines = s.sizeBetween(0, axis) * inner;
        float[] d = CpuBackend.data(dx), g = CpuBackend.data(dy), ys = CpuBackend.data(y);
        if (n == 0) {
            return;
        }
        cpu.parallel().forRange(lines, Math.max(1, GRAIN / n), (lo, hi) -> {
            for (int line = lo; line < hi; line++) {
                int first = (line / inner) * n * inner + line % inner;
                lineBackward(d, g, ys, first, inner, n, log);
            }
        });
    }

    /** The line at first + k·stride, k in [0, n). */
    private static void lineBackward(float[] dx, float[] dy, float[] y, int first, int stride, int n, boolean log) {
        double sum = 0;
        for (int k = 0; k < n; k++) {
            int i = first + k * stride;
            sum += log ? dy[i] : (double) dy[i] * y[i];
        }
        for (int k = 0; k < n; k++) {
            int i = first + k * stride;
            dx[i] = (float) (log ? dy[i] - Math.exp(y[i]) * sum : y[i] * (dy[i] - sum));
        }
    }
}
