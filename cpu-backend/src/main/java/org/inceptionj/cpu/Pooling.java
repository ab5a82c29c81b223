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
 * <p>The vector kernel works one output row at a time in two passes, both vectorized along W:
 * it reduces the window's input rows into one row of column values, then reduces kW columns for
 * every window start of the row that lies wholly inside it (stride 1, whatever the layer's stride:
 * a stride of 2 then picks every other one, which is still cheaper than a scalar loop). Outputs
 * whose window reaches into the left or right padding take the plain formula over the column values.
 * The plain average sums in the same order, column by column, so both paths agree bit for bit;
 * the max does not depend on the order. Planes (n, c) are split across threads.
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
            float[] windows = vector ? new float[w] : null;
            int[] rows = new int[spec.kernelH()];
            // The divisor's column factor, per output column: the same for every row and plane.
            int[] counted = new int[vector ? ow : 0];
            for (int c = 0; c < counted.length; c++) {
                counted[c] = columnCells(spec, w, c * spec.strideW() - spec.padLeft());
            }
            for (int p = lo; p < hi; p++) {
                int in = p * h * w, at = p * oh * ow;
                if (vector) {
                    planeVector(o, at, xs, in, h, w, oh, ow, spec, max, columns, windows, rows, counted);
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

    /** The average's divisor for the window whose first cell is (top, left): counted rows × counted columns. */
    private static float divisor(Pool2dSpec s, int h, int w, int top, int left) {
        return (float) rowCells(s, h, top) * columnCells(s, w, left);
    }

    /** The window rows from {@code top} that the divisor counts: inside the padded input, or inside the input. */
    private static int rowCells(Pool2dSpec s, int h, int top) {
        return s.countIncludePad() ? cells(top, s.kernelH(), s.dilationH(), -s.padTop(), h + s.padBottom())
                : cells(top, s.kernelH(), s.dilationH(), 0, h);
    }

    private static int columnCells(Pool2dSpec s, int w, int left) {
        return s.countIncludePad() ? cells(left, s.kernelW(), s.dilationW(), -s.padLeft(), w + s.padRight())
                : cells(left, s.kernelW(), s.dilationW(), 0, w);
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

    /** The plane at x[in] into out[at], row by row: column values, then windows (see the class comment). */
    private static void planeVector(float[] out, int at, float[] x, int in, int h, int w, int oh, int ow,
                                    Pool2dSpec s, boolean max, float[] columns, float[] windows, int[] rows,
                                    int[] counted) {
        int kh = s.kernelH(), kw = s.kernelW(), dw = s.dilationW(), sw = s.strideW(), pl = s.padLeft();
        // Window starts p (in the row) whose kW columns are all real: [0, span). Output ow starts at
        // ow·sW − padLeft, so the outputs with such windows are [interiorLo, interiorHi).
        int span = w - dw * (kw - 1);
        int interiorLo = Math.min(ow, Math.ceilDiv(pl, sw));
        int interiorHi = span < 1 ? interiorLo : Math.max(interiorLo, Math.min(ow, (span - 1 + pl) / sw + 1));
        for (int r = 0; r < oh; r++) {
            int top = r * s.strideH() - s.padTop();
            int real = 0;
            for (int i = 0; i < kh; i++) {
                int ih = top + i * s.dilationH();
                if (ih >= 0 && ih < h) {
                    rows[real++] = in + ih * w;
                }
            }
            if (max) {
                columnsMaxVector(columns, x, rows, real, w);
            } else {
                columnsSumVector(columns, x, rows, real, w);
            }
            int rowCells = max ? 0 : rowCells(s, h, top);
            int o = at + r * ow;
            int c = 0;
            for (; c < interiorLo; c++) {
                out[o + c] = fromColumns(columns, c, w, s, max, (float) rowCells * counted[c]);
            }
            if (interiorHi > interiorLo) {
                // Every interior window of the row at stride 1, vectorized; a larger stride picks from them.
                float divisor = max ? 1f : (float) rowCells * counted[interiorLo];
                int done = max ? windowsMaxVector(windows, columns, span, kw, dw)
                        : windowsAverageVector(windows, columns, span, kw, dw, divisor);
                windowsPlain(windows, columns, done, span, kw, dw, max, divisor);
                if (sw == 1) {
                    System.arraycopy(windows, interiorLo - pl, out, o + interiorLo, interiorHi - interiorLo);
                    c = interiorHi;
                } else {
                    for (; c < interiorHi; c++) {
                        out[o + c] = windows[c * sw - pl];
                    }
                }
            }
            for (; c < ow; c++) {
                out[o + c] = fromColumns(columns, c, w, s, max, (float) rowCells * counted[c]);
            }
        }
    }

    // One vector loop per method, max and sum apart: a loop that picks between them per vector
    // leaves the JIT a merge of two vector values to untangle.

    /** columns[iw] = max of x[row + iw] over the window's real rows (−∞ if none). */
    private static void columnsMaxVector(float[] columns, float[] x, int[] rows, int real, int w) {
        int iw = 0;
        for (int bound = F.loopBound(w); iw < bound; iw += F.length()) {
            FloatVector acc = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            for (int i = 0; i < real; i++) {
                acc = acc.max(FloatVector.fromArray(F, x, rows[i] + iw));
            }
            acc.intoArray(columns, iw);
        }
        for (; iw < w; iw++) {
            float acc = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < real; i++) {
                acc = Math.max(acc, x[rows[i] + iw]);
            }
            columns[iw] = acc;
        }
    }

    /** columns[iw] = Σ, in row order, of x[row + iw] over the window's real rows. */
    private static void columnsSumVector(float[] columns, float[] x, int[] rows, int real, int w) {
        int iw = 0;
        for (int bound = F.loopBound(w); iw < bound; iw += F.length()) {
            FloatVector acc = FloatVector.zero(F);
            for (int i = 0; i < real; i++) {
                acc = acc.add(FloatVector.fromArray(F, x, rows[i] + iw));
            }
            acc.intoArray(columns, iw);
        }
        for (; iw < w; iw++) {
            float acc = 0f;
            for (int i = 0; i < real; i++) {
                acc += x[rows[i] + iw];
            }
            columns[iw] = acc;
        }
    }

    /** windows[p] = max_j columns[p + j·dw] for the whole vectors in [0, span); returns where it stopped. */
    private static int windowsMaxVector(float[] windows, float[] columns, int span, int kw, int dw) {
        int p = 0;
        for (int bound = F.loopBound(span); p < bound; p += F.length()) {
            FloatVector acc = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            for (int j = 0; j < kw; j++) {
                acc = acc.max(FloatVector.fromArray(F, columns, p + j * dw));
            }
            acc.intoArray(windows, p);
        }
        return p;
    }

    /** windows[p] = (Σ_j columns[p + j·dw]) / divisor likewise. */
    private static int windowsAverageVector(float[] windows, float[] columns, int span, int kw, int dw,
                                            float divisor) {
        FloatVector d = FloatVector.broadcast(F, divisor);
        int p = 0;
        for (int bound = F.loopBound(span); p < bound; p += F.length()) {
            FloatVector acc = FloatVector.zero(F);
            for (int j = 0; j < kw; j++) {
                acc = acc.add(FloatVector.fromArray(F, columns, p + j * dw));
            }
            acc.div(d).intoArray(windows, p);
        }
        return p;
    }

    /** The same for p in [from, span), one at a time. */
    private static void windowsPlain(float[] windows, float[] columns, int from, int span, int kw, int dw,
                                     boolean max, float divisor) {
        for (int p = from; p < span; p++) {
            float acc = max ? Float.NEGATIVE_INFINITY : 0f;
            for (int j = 0; j < kw; j++) {
                acc = max ? Math.max(acc, columns[p + j * dw]) : acc + columns[p + j * dw];
            }
            windows[p] = max ? acc : acc / divisor;
        }
    }

    /** Output (·, ow) of the row whose column values are given: the plain formula, one element. */
    private static float fromColumns(float[] columns, int ow, int w, Pool2dSpec s, boolean max, float divisor) {
        int left = ow * s.strideW() - s.padLeft();
        float acc = max ? Float.NEGATIVE_INFINITY : 0f;
        for (int j = 0; j < s.kernelW(); j++) {
            int iw = left + j * s.dilationW();
            if (iw >= 0 && iw < w) {
                acc = max ? Math.max(acc, columns[iw]) : acc + columns[iw];
            }
        }
        return max ? acc : acc / divisor;
    }

    static void maxBackward(CpuBackend cpu, Tensor dx, Tensor dy, Tensor x, Pool2dSpec spec) {
        throw new UnsupportedOperationException("cpu: maxPool2dBackward not implemented yet");
    }

    static void averageBackward(CpuBackend cpu, Tensor dx, Tensor dy, Pool2dSpec spec) {
        throw new UnsupportedOperationException("cpu: avgPool2dBackward not implemented yet");
    }
}
