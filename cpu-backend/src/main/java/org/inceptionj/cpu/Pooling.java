package org.inceptionj.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.Tensor;

/**
 * 2-D max and average pooling over NCHW planes. Window (oh, ow) covers the input cells
 * ih = oh·sH − padTop + i·dH, iw = ow·sW − padLeft + j·dW for i &lt; kH, j &lt; kW; cells outside
 * the input are padding: −∞ for the max, left out of the sum for the average, whose divisor is
 * <ul>
 *   <li>countIncludePad: the window cells inside the padded input, ih in [−padTop, H + padBottom)
 *       and iw in [−padLeft, W + padRight) (kH·kW except where a ceil-mode window overhangs);</li>
 *   <li>otherwise: the window cells inside the input.</li>
 * </ul>
 *
 * <p>The vector kernel works one output row at a time in two passes: it first reduces the window's
 * input rows into one row of column values (vectorized along W, so it serves every stride), then
 * reduces kW columns per output (vectorized along OW where the stride is 1 and the window lies
 * inside the row; per element elsewhere). The plain average sums in the same order, column by
 * column, so both paths agree bit for bit; the max does not depend on the order. Planes (n, c) are
 * split across threads.
 */
final class Pooling {
    private Pooling() {
    }

    private static final VectorSpecies<Float> F = Vectors.F;
    /** Window cells visited per parallel chunk below which a loop is not split. */
    private static final int GRAIN = 1 << 15;

    /** out[n,c,oh,ow] = max over the window of x[n,c,ih,iw]. Overwrites out. */
    static void max(CpuBackend cpu, Tensor out, Tensor x, Pool2dSpec spec) {
        pool(cpu, out, x, spec, true);
    }

    /** out[n,c,oh,ow] = Σ over the window of x[n,c,ih,iw] / divisor (see the class comment). Overwrites out. */
    static void average(CpuBackend cpu, Tensor out, Tensor x, Pool2dSpec spec) {
        pool(cpu, out, x, spec, false);
    }

    private static void pool(CpuBackend cpu, Tensor out, Tensor x, Pool2dSpec spec, boolean max) {
        int planes = x.shape().dim(0) * x.shape().dim(1);
        int h = x.shape().dim(2), w = x.shape().dim(3);
        int oh = out.shape().dim(2), ow = out.shape().dim(3);
        float[] o = CpuBackend.data(out), xs = CpuBackend.data(x);
        boolean vector = cpu.vectorized();
        long work = Math.max(1L, (long) oh * ow * spec.kernelH() * spec.kernelW());
        cpu.parallel().forRange(planes, (int) Math.max(1, GRAIN / work), (lo, hi) -> {
            float[] columns = vector ? new float[w] : null;
            for (int p = lo; p < hi; p++) {
                int in = p * h * w, at = p * oh * ow;
                if (vector) {
                    planeVector(o, at, xs, in, h, w, oh, ow, spec, max, columns);
                } else {
                    for (int r = 0; r < oh; r++) {
                        for (int c = 0; c < ow; c++) {
                            o[at + r * ow + c] = max ? maxAt(xs, in, h, w, r, c, spec)
                                    : averageAt(xs, in, h, w, r, c, spec);
                        }
                    }
                }
            }
        });
    }

    // ================================================================ plain: one output at a time

    /** max over the real cells of window (oh, ow) of the plane at x[in]. */
    private static float maxAt(float[] x, int in, int h, int w, int oh, int ow, Pool2dSpec s) {
        float m = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < s.kernelH(); i++) {
            int ih = oh * s.strideH() - s.padTop() + i * s.dilationH();
            if (ih < 0 || ih >= h) {
                continue;
            }
            for (int j = 0; j < s.kernelW(); j++) {
                int iw = ow * s.strideW() - s.padLeft() + j * s.dilationW();
                if (iw >= 0 && iw < w) {
                    m = Math.max(m, x[in + ih * w + iw]);
                }
            }
        }
        return m;
    }

    /** Σ_j Σ_i x over the real cells of window (oh, ow), column by column, over the divisor. */
    private static float averageAt(float[] x, int in, int h, int w, int oh, int ow, Pool2dSpec s) {
        int top = oh * s.strideH() - s.padTop(), left = ow * s.strideW() - s.padLeft();
        float sum = 0f;
        for (int j = 0; j < s.kernelW(); j++) {
            int iw = left + j * s.dilationW();
            if (iw < 0 || iw >= w) {
                continue;
            }
            float column = 0f;
            for (int i = 0; i < s.kernelH(); i++) {
                int ih = top + i * s.dilationH();
                if (ih >= 0 && ih < h) {
                    column += x[in + ih * w + iw];
                }
            }
            sum += column;
        }
        return sum / divisor(s, h, w, top, left);
    }

    /** The average's divisor for the window whose first cell is (top, left). */
    private static float divisor(Pool2dSpec s, int h, int w, int top, int left) {
        if (s.countIncludePad()) {
            return (float) cells(top, s.kernelH(), s.dilationH(), -s.padTop(), h + s.padBottom())
                    * cells(left, s.kernelW(), s.dilationW(), -s.padLeft(), w + s.padRight());
        }
        return (float) cells(top, s.kernelH(), s.dilationH(), 0, h) * cells(left, s.kernelW(), s.dilationW(), 0, w);
    }

    /** How many of first + i·step, i in [0, k), lie in [lo, hi). */
    private static int cells(int first, int k, int step, int lo, int hi) {
        int n = 0;
        for (int i = 0; i < k; i++) {
            int at = first + i * step;
            if (at >= lo && at < hi) {
                n++;
            }
        }
        return n;
    }

    // ================================================================ vector: one output row at a time

    private static void planeVector(float[] out, int at, float[] x, int in, int h, int w, int oh, int ow,
                                    Pool2dSpec s, boolean max, float[] columns) {
        int kh = s.kernelH(), kw = s.kernelW(), dw = s.dilationW(), left0 = -s.padLeft();
        float init = max ? Float.NEGATIVE_INFINITY : 0f;
        int[] rows = new int[kh];
        // Outputs whose window lies inside the row, all kW columns real: [interiorLo, interiorHi).
        int interiorLo = s.padLeft();
        int interiorHi = s.strideW() == 1 ? Math.min(ow, w + s.padLeft() - dw * (kw - 1)) : interiorLo;
        for (int r = 0; r < oh; r++) {
            int top = r * s.strideH() - s.padTop();
            int real = 0;
            for (int i = 0; i < kh; i++) {
                int ih = top + i * s.dilationH();
                if (ih >= 0 && ih < h) {
                    rows[real++] = in + ih * w;
                }
            }
            columnsVector(columns, x, rows, real, w, max, init);

            int o = at + r * ow;
            int c = 0;
            if (interiorHi - interiorLo >= F.length()) {
                for (; c < interiorLo; c++) {
                    out[o + c] = fromColumns(columns, c, h, w, top, s, max);
                }
                float d = max ? 1f : divisor(s, h, w, top, interiorLo + left0);
                FloatVector divisor = FloatVector.broadcast(F, d);
                for (int bound = interiorLo + F.loopBound(interiorHi - interiorLo); c < bound; c += F.length()) {
                    FloatVector acc = FloatVector.broadcast(F, init);
                    for (int j = 0; j < kw; j++) {
                        FloatVector v = FloatVector.fromArray(F, columns, c + left0 + j * dw);
                        acc = max ? acc.max(v) : acc.add(v);
                    }
                    (max ? acc : acc.div(divisor)).intoArray(out, o + c);
                }
            }
            for (; c < ow; c++) {
                out[o + c] = fromColumns(columns, c, h, w, top, s, max);
            }
        }
    }

    /** columns[iw] = max or Σ (in row order) of x[row + iw] over the window's real rows. */
    private static void columnsVector(float[] columns, float[] x, int[] rows, int real, int w, boolean max,
                                      float init) {
        int iw = 0;
        for (int bound = F.loopBound(w); iw < bound; iw += F.length()) {
            FloatVector acc = FloatVector.broadcast(F, init);
            for (int i = 0; i < real; i++) {
                FloatVector v = FloatVector.fromArray(F, x, rows[i] + iw);
                acc = max ? acc.max(v) : acc.add(v);
            }
            acc.intoArray(columns, iw);
        }
        for (; iw < w; iw++) {
            float acc = init;
            for (int i = 0; i < real; i++) {
                acc = max ? Math.max(acc, x[rows[i] + iw]) : acc + x[rows[i] + iw];
            }
            columns[iw] = acc;
        }
    }

    /** Output (·, ow) of the row whose column values are given: the plain formula, one element. */
    private static float fromColumns(float[] columns, int ow, int h, int w, int top, Pool2dSpec s, boolean max) {
        int left = ow * s.strideW() - s.padLeft();
        float acc = max ? Float.NEGATIVE_INFINITY : 0f;
        for (int j = 0; j < s.kernelW(); j++) {
            int iw = left + j * s.dilationW();
            if (iw >= 0 && iw < w) {
                acc = max ? Math.max(acc, columns[iw]) : acc + columns[iw];
            }
        }
        return max ? acc : acc / divisor(s, h, w, top, left);
    }
}
