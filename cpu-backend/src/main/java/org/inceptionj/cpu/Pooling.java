package org.inceptionj.cpu;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.Tensor;

/**
 * 2-D max and average pooling over NCHW planes, forward and backward. Window (oh, ow) covers the input cells
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
 * the max does not depend on the order. Planes (n, c) are split across threads. Planes whose rows
 * hold few outputs run across planes instead, a vector of planes at a time ({@link TinyAverage},
 * {@link MaxPoolAcrossPlanes}). Inception's own geometries have kernels of their own: the 3×3 branch
 * pools at stride 1 over the flattened plane ({@link AveragePoolSameSize}), the 3×3 grid reductions at
 * stride 2 computing the output windows only ({@link MaxPoolStrideTwo}).
 */
final class Pooling {
    private Pooling() {
    }

    private static final VectorSpecies<Float> F = Vectors.F;
    /** Ints with F's lane count, for the max pool backward's winners. */
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
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
        if (PoolBlocked.applies(cpu, x, spec)) {
            // x left channel-blocked by the convolution that wrote it: pooled so, out blocked too.
            PoolBlocked.forward(cpu, out, x, spec, max);
            return;
        }
        int planes = x.shape().dim(0) * x.shape().dim(1);
        int h = x.shape().dim(2), w = x.shape().dim(3);
        int oh = out.shape().dim(2), ow = out.shape().dim(3);
        float[] o = CpuBackend.data(out), xs = CpuBackend.data(x);
        boolean vector = cpu.vectorized();
        long work = Math.max(1L, (long) oh * ow * spec.kernelH() * spec.kernelW());
        cpu.parallel().forRange(planes, (int) Math.max(1, GRAIN / work), (lo, hi) -> {
            AveragePoolSameSize same = vector && !max ? AveragePoolSameSize.of(spec, h, w, oh, ow) : null;
            if (same != null) {
                for (int p = lo; p < hi; p++) {
                    same.forward(o, p * oh * ow, xs, p * h * w);
                }
                return;
            }
            // Planes whose rows hold fewer outputs than a vector: across planes (average: 7×7 and 8×8
            // planes 1.2–1.4× the padded-plane kernel, though a same-size 3×3 pool of a vector or more
            // of cells takes the flat kernel above, 1.25–1.5× faster again on 7×7 and 2–2.6× on 8×8;
            // max: see MaxPoolAcrossPlanes); wider ones along their rows.
            TinyAverage tiny = vector && !max ? TinyAverage.of(spec, h, w, oh, ow) : null;
            if (tiny != null) {
                tiny.forward(o, xs, lo, hi);
                return;
            }
            MaxPoolStrideTwo strideTwo = vector && max ? MaxPoolStrideTwo.of(spec, h, w, oh, ow) : null;
            if (strideTwo != null) {
                for (int p = lo; p < hi; p++) {
                    strideTwo.forward(o, p * oh * ow, xs, p * h * w);
                }
                return;
            }
            MaxPoolAcrossPlanes across = vector && max ? MaxPoolAcrossPlanes.forwardOf(spec, h, w, oh, ow) : null;
            if (across != null) {
                across.forward(o, xs, lo, hi);
                return;
            }
            float[] columns = vector ? new float[w] : null;
            float[] windows = vector ? new float[w] : null;
            int[] rows = new int[spec.kernelH()];
            // The divisor's column factor, per output column: the same for every row and plane.
            int[] counted = new int[vector ? ow : 0];
            for (int c = 0; c < counted.length; c++) {
                counted[c] = columnCells(spec, w, c * spec.strideW() - spec.padLeft());
            }
            float[] flat = vector && max && flatMax(spec, h, w, oh, ow) ? new float[h * w] : null;
            int[] taps = new int[flat != null ? spec.kernelH() * spec.kernelW() : 0];
            if (flat != null) {
                // The same window cells for every plane of the chunk.
                flatRows(rows, w, spec);
                flatTaps(taps, rows, spec.kernelH(), spec.kernelW(), spec.dilationW());
            }
            FlatAverage average = vector && !max ? FlatAverage.of(spec, h, w, oh, ow) : null;
            for (int p = lo; p < hi; p++) {
                int in = p * h * w, at = p * oh * ow;
                if (flat != null) {
                    planeMaxFlatVector(o, at, xs, in, w, oh, ow, spec, flat, taps);
                } else if (average != null) {
                    average.forward(o, at, xs, in);
                } else if (vector) {
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
    static float divisor(Pool2dSpec s, int h, int w, int top, int left) {
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
                    if (sw == 2) {
                        // Every other start: the even lanes of a vector of them, compressed into its
                        // lower half.
                        int half = F.length() / 2;
                        for (; c + half <= interiorHi && 2 * c - pl + F.length() <= windows.length; c += half) {
                            FloatVector.fromArray(F, windows, 2 * c - pl).compress(Vectors.EVEN_LANES)
                                    .intoArray(out, o + c, Vectors.LOWER_HALF);
                        }
                    }
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

    // Each loop runs whole vectors to the end of the row: the last one starts at end − L, overlapping
    // the one before and writing the same values again (each lane's result depends on its position
    // alone), so no scalar tail is left unless the row is shorter than a vector.

    /** columns[iw] = max of x[row + iw] over the window's real rows (−∞ if none). */
    private static void columnsMaxVector(float[] columns, float[] x, int[] rows, int real, int w) {
        if (w >= F.length()) {
            for (int next = 0; next < w; next += F.length()) {
                int iw = Math.min(next, w - F.length());
                FloatVector acc = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
                for (int i = 0; i < real; i++) {
                    acc = acc.max(FloatVector.fromArray(F, x, rows[i] + iw));
                }
                acc.intoArray(columns, iw);
            }
            return;
        }
        for (int iw = 0; iw < w; iw++) {
            float acc = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < real; i++) {
                acc = Math.max(acc, x[rows[i] + iw]);
            }
            columns[iw] = acc;
        }
    }

    /** columns[iw] = Σ, in row order, of x[row + iw] over the window's real rows. */
    private static void columnsSumVector(float[] columns, float[] x, int[] rows, int real, int w) {
        if (w >= F.length()) {
            for (int next = 0; next < w; next += F.length()) {
                int iw = Math.min(next, w - F.length());
                FloatVector acc = FloatVector.zero(F);
                for (int i = 0; i < real; i++) {
                    acc = acc.add(FloatVector.fromArray(F, x, rows[i] + iw));
                }
                acc.intoArray(columns, iw);
            }
            return;
        }
        for (int iw = 0; iw < w; iw++) {
            float acc = 0f;
            for (int i = 0; i < real; i++) {
                acc += x[rows[i] + iw];
            }
            columns[iw] = acc;
        }
    }

    /** windows[p] = max_j columns[p + j·dw] for p in [0, span) when span is a vector or more; returns where it stopped. */
    private static int windowsMaxVector(float[] windows, float[] columns, int span, int kw, int dw) {
        if (span < F.length()) {
            return 0;
        }
        for (int next = 0; next < span; next += F.length()) {
            int p = Math.min(next, span - F.length());
            FloatVector acc = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            for (int j = 0; j < kw; j++) {
                acc = acc.max(FloatVector.fromArray(F, columns, p + j * dw));
            }
            acc.intoArray(windows, p);
        }
        return span;
    }

    /** windows[p] = (Σ_j columns[p + j·dw]) / divisor likewise. */
    private static int windowsAverageVector(float[] windows, float[] columns, int span, int kw, int dw,
                                            float divisor) {
        FloatVector d = FloatVector.broadcast(F, divisor);
        if (span < F.length()) {
            return 0;
        }
        for (int next = 0; next < span; next += F.length()) {
            int p = Math.min(next, span - F.length());
            FloatVector acc = FloatVector.zero(F);
            for (int j = 0; j < kw; j++) {
                acc = acc.add(FloatVector.fromArray(F, columns, p + j * dw));
            }
            acc.div(d).intoArray(windows, p);
        }
        return span;
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

    // ================================================================ max, vector: the whole plane at once

    /*
     * Inception's max pools (3×3, stride 2, no padding) run on planes of 35, 15 and 7 columns. Below
     * two vectors a row, the row kernels above and below spend most of their time in scalar tails,
     * so on such planes the window starts are taken along the flattened plane instead: start
     * p = ih·W + iw covers cells p + i·dH·W + j·dW, and one vector holds starts from several rows.
     * Starts whose window would wrap past the row end are computed too and never read. This needs
     * every window wholly inside the input (no padding, no ceil-mode overhang), so every load stays
     * in the plane.
     */

    /** Whether the max pool takes the flat-plane kernels: all windows inside, rows under two vectors of starts. */
    private static boolean flatMax(Pool2dSpec s, int h, int w, int oh, int ow) {
        boolean inside = s.padTop() == 0 && s.padLeft() == 0
                && (oh - 1) * s.strideH() + s.dilationH() * (s.kernelH() - 1) < h
                && (ow - 1) * s.strideW() + s.dilationW() * (s.kernelW() - 1) < w;
        return inside && flatStarts(s, w, oh, ow) >= F.length()
                && w - s.dilationW() * (s.kernelW() - 1) < 2 * F.length();
    }

    /** Flat window starts from the first output's to the last output's, inclusive. */
    private static int flatStarts(Pool2dSpec s, int w, int oh, int ow) {
        return (oh - 1) * s.strideH() * w + (ow - 1) * s.strideW() + 1;
    }

    /** rows[i] = the offset of window row i from the window's start: i·dH·W. */
    private static void flatRows(int[] rows, int w, Pool2dSpec s) {
        for (int i = 0; i < s.kernelH(); i++) {
            rows[i] = i * s.dilationH() * w;
        }
    }

    /**
     * taps[t] for t &lt; real·kw: where window cell (i, j), i &lt; real in order, then j, lies from the
     * window's start, rows[i] + j·dw. Why a flat list: a vector running through two nested loops (rows,
     * then columns) was kept by C2 as a heap object in some compilations, allocating gigabytes per
     * minute in the max pool; through one loop it stays in a register.
     */
    private static void flatTaps(int[] taps, int[] rows, int real, int kw, int dw) {
        for (int i = 0, t = 0; i < real; i++) {
            for (int j = 0; j < kw; j++) {
                taps[t++] = rows[i] + j * dw;
            }
        }
    }

    /**
     * Max pool of the plane x[in...] into out[at...]: the max of every flat start, then the outputs' starts;
     * taps from {@link #flatTaps} over the whole window.
     */
    private static void planeMaxFlatVector(float[] out, int at, float[] x, int in, int w, int oh, int ow,
                                           Pool2dSpec s, float[] windows, int[] taps) {
        int count = flatStarts(s, w, oh, ow);
        int p = 0;
        for (int bound = F.loopBound(count); p < bound; p += F.length()) {
            flatMaxOfVector(windows, x, in, p, taps);
        }
        if (p < count) {
            flatMaxOfVector(windows, x, in, count - F.length(), taps); // overlaps: same values
        }
        for (int r = 0; r < oh; r++) {
            int row = r * s.strideH() * w, o = at + r * ow;
            for (int c = 0; c < ow; c++) {
                out[o + c] = windows[row + c * s.strideW()];
            }
        }
    }

    /** windows[p + lane] = the max of x[in + p + lane + taps[t]] over every tap. */
    private static void flatMaxOfVector(float[] windows, float[] x, int in, int p, int[] taps) {
        FloatVector acc = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (int t = 0; t < taps.length; t++) {
            acc = acc.max(FloatVector.fromArray(F, x, in + p + taps[t]));
        }
        acc.intoArray(windows, p);
    }

    /**
     * Max pool gradient of the plane dy[at...] into dx[in...] (cleared): the first maximum of every flat
     * start, as {@link #winnersOfVector} finds it (rows in order, then columns), then dy to each output's
     * winner in output order, as in the plain loop.
     */
    private static void planeMaxBackwardFlatVector(float[] dx, float[] dy, int at, float[] x, int in, int w,
                                                   int oh, int ow, Pool2dSpec s, int[] winners, int[] taps) {
        winnersVector(winners, x, in, taps, s.kernelH() * s.kernelW(), flatStarts(s, w, oh, ow));
        for (int r = 0; r < oh; r++) {
            int row = r * s.strideH() * w, o = at + r * ow;
            for (int c = 0; c < ow; c++) {
                int q = row + c * s.strideW();
                dx[in + q + winners[q]] += dy[o + c];
            }
        }
    }

    // ================================================================ average, vector: the whole padded plane at once

    /**
     * The average pool of small planes (Inception's branch pools, 3×3 stride 1 pad 1, at 7×7 and
     * 3×3): the plane is copied into a zero-bordered one, W' = padLeft + W + right margin columns
     * wide, in which every window lies, and window starts are taken along the flattened padded
     * plane as for the max ({@link #flatMax}). The padding's zeros add +0, which changes no sum
     * (each starts at +0, so never holds −0): the same bits as the plain loop, which leaves them out.
     * <ul>
     *   <li>forward: column sums Σ_i, then window sums Σ_j of them, then each output's start over
     *       its divisor: the plain order;</li>
     *   <li>backward: each output's share at its start (zero elsewhere, and in a front margin);
     *       cell q takes Σ shares[q − i·dH·W' − j·dW] over i, then j, both descending, which is
     *       its windows in output order, as the plain loop adds them.</li>
     * </ul>
     * One per parallel chunk: it holds that chunk's scratch.
     */
    private static final class FlatAverage {
        final Pool2dSpec s;
        final int h, w, oh, ow, wide, high, count, margin;
        final float[] divisors, padded, columns, windows, shares;
        /** Where the shares a cell gathers lie, relative to it: −(i·rowStep + j·dw) for i, then j, descending. */
        final int[] gather;

        private FlatAverage(Pool2dSpec s, int h, int w, int oh, int ow, int wide, int high) {
            this.s = s;
            this.h = h;
            this.w = w;
            this.oh = oh;
            this.ow = ow;
            this.wide = wide;
            this.high = high;
            this.count = (oh - 1) * s.strideH() * wide + (ow - 1) * s.strideW() + 1;
            this.margin = s.dilationH() * (s.kernelH() - 1) * wide + s.dilationW() * (s.kernelW() - 1);
            this.divisors = new float[oh * ow];
            for (int r = 0; r < oh; r++) {
                for (int c = 0; c < ow; c++) {
                    divisors[r * ow + c] = divisor(s, h, w, r * s.strideH() - s.padTop(), c * s.strideW() - s.padLeft());
                }
            }
            this.padded = new float[high * wide];
            this.columns = new float[high * wide];
            this.windows = new float[high * wide];
            this.shares = new float[margin + high * wide];
            int kh = s.kernelH(), kw = s.kernelW();
            this.gather = new int[kh * kw];
            for (int i = kh - 1, t = 0; i >= 0; i--) {
                for (int j = kw - 1; j >= 0; j--) {
                    gather[t++] = -(i * s.dilationH() * wide + j * s.dilationW());
                }
            }
        }

        /** The kernel for this geometry, or null where the row kernels serve better or it does not fit. */
        static FlatAverage of(Pool2dSpec s, int h, int w, int oh, int ow) {
            if (oh == 0 || ow == 0) {
                return null;
            }
            int wide = Math.max(s.padLeft() + w, (ow - 1) * s.strideW() + s.dilationW() * (s.kernelW() - 1) + 1);
            int high = Math.max(s.padTop() + h, (oh - 1) * s.strideH() + s.dilationH() * (s.kernelH() - 1) + 1);
            int count = (oh - 1) * s.strideH() * wide + (ow - 1) * s.strideW() + 1;
            if (wide >= 4 * F.length() || count < F.length() || h * wide < F.length()) {
                return null;
            }
            return new FlatAverage(s, h, w, oh, ow, wide, high);
        }

        /** The plane x[in...] into the interior of padded; the border stays zero. */
        private void pad(float[] x, int in) {
            for (int ih = 0; ih < h; ih++) {
                System.arraycopy(x, in + ih * w, padded, (ih + s.padTop()) * wide + s.padLeft(), w);
            }
        }

        void forward(float[] out, int at, float[] x, int in) {
            pad(x, in);
            int kh = s.kernelH(), kw = s.kernelW(), rowStep = s.dilationH() * wide, dw = s.dilationW();
            int extent = count + dw * (kw - 1); // column sums the windows read
            int q = 0;
            for (int bound = F.loopBound(extent); q < bound; q += F.length()) {
                columnOfVector(q, kh, rowStep);
            }
            if (q < extent) {
                columnOfVector(extent - F.length(), kh, rowStep); // overlaps: same values
            }
            for (q = 0; q < F.loopBound(count); q += F.length()) {
                windowOfVector(q, kw, dw);
            }
            if (q < count) {
                windowOfVector(count - F.length(), kw, dw);
            }
            for (int r = 0; r < oh; r++) {
                int row = r * s.strideH() * wide, c = 0;
                if (s.strideW() == 1) {
                    // The row's windows are contiguous: divide whole vectors (the same IEEE quotient
                    // per lane); a short row takes a masked vector.
                    for (; c + F.length() <= ow; c += F.length()) {
                        FloatVector.fromArray(F, windows, row + c).div(FloatVector.fromArray(F, divisors, r * ow + c))
                                .intoArray(out, at + r * ow + c);
                    }
                    if (c < ow) {
                        VectorMask<Float> m = F.indexInRange(c, ow);
                        FloatVector.fromArray(F, windows, row + c, m)
                                .div(FloatVector.fromArray(F, divisors, r * ow + c, m))
                                .intoArray(out, at + r * ow + c, m);
                        c = ow;
                    }
                }
                for (; c < ow; c++) {
                    out[at + r * ow + c] = windows[row + c * s.strideW()] / divisors[r * ow + c];
                }
            }
        }

        private void columnOfVector(int q, int kh, int rowStep) {
            FloatVector acc = FloatVector.zero(F);
            for (int i = 0; i < kh; i++) {
                acc = acc.add(FloatVector.fromArray(F, padded, q + i * rowStep));
            }
            acc.intoArray(columns, q);
        }

        private void windowOfVector(int q, int kw, int dw) {
            FloatVector acc = FloatVector.zero(F);
            for (int j = 0; j < kw; j++) {
                acc = acc.add(FloatVector.fromArray(F, columns, q + j * dw));
            }
            acc.intoArray(windows, q);
        }

        /** dx[in...] (cleared) from dy[at...]. */
        void backward(float[] dx, int in, float[] dy, int at) {
            // Shares at their windows' starts; all else, margin included, zero.
            Arrays.fill(shares, 0f);
            for (int r = 0; r < oh; r++) {
                int row = margin + r * s.strideH() * wide;
                for (int c = 0; c < ow; c++) {
                    shares[row + c * s.strideW()] = dy[at + r * ow + c] / divisors[r * ow + c];
                }
            }
            // Cells of the input only: padded rows [padTop, padTop + H), whole rows of W' at a time.
            int first = s.padTop() * wide, cells = h * wide;
            int q = first;
            for (int bound = first + F.loopBound(cells); q < bound; q += F.length()) {
                gatheredOfVector(q);
            }
            if (q < first + cells) {
                gatheredOfVector(first + cells - F.length());
            }
            for (int ih = 0; ih < h; ih++) {
                System.arraycopy(windows, (ih + s.padTop()) * wide + s.padLeft(), dx, in + ih * w, w);
            }
        }

        /**
         * windows[q + lane] = Σ, i then j descending, shares[margin + q + lane − i·rowStep − j·dw]. One
         * loop over the {@link #gather} offsets, not two nested ones: through the nested loops C2 kept
         * the running sum as a heap object, allocating about 30 MB per training step of the default run.
         */
        private void gatheredOfVector(int q) {
            int base = margin + q;
            FloatVector acc = FloatVector.zero(F);
            for (int t = 0; t < gather.length; t++) {
                acc = acc.add(FloatVector.fromArray(F, shares, base + gather[t]));
            }
            acc.intoArray(windows, q);
        }
    }

    /**
     * Average pooling of planes too small for the vector kernels (Inception's branch pools at a 75×75
     * input run on 7×7, 3×3 and 1×1 planes, where a row of outputs fills a fraction of a vector):
     * the vectors run across planes instead. A block of {@link #L} planes is transposed into a
     * cell-major buffer (cell t of every plane side by side), every window is then a few vector adds
     * in that buffer, and the block is transposed back. Which cells each window covers, and its
     * divisor, are worked out once per call. Each lane does the plain loop's float operations in its
     * order (column by column; windows in output order for the gradient), so the bits are the plain
     * path's; planes left over after the last whole block take the same steps one plane at a time.
     * One per parallel chunk: it holds that chunk's buffers.
     */
    private static final class TinyAverage {
        /** Tables up to this many window cells (outputs × kH × kW) per plane. */
        static final int MAX_CELLS = 4096;
        private static final int L = F.length();

        final int kh, kw, cellsPerPlane, outputs;
        /** Per output o, column j, row i: the plane offset ih·W + iw, or −1 outside the input. */
        final int[] cells;
        /** Per output o and column j: whether iw is inside the input (the plain loop skips the column otherwise). */
        final boolean[] columns;
        final float[] divisors;
        /** A block of planes, cell-major: [cell][lane], and [output][lane]. */
        final float[] planeCells, planeOutputs;

        private TinyAverage(Pool2dSpec s, int h, int w, int oh, int ow) {
            kh = s.kernelH();
            kw = s.kernelW();
            cellsPerPlane = h * w;
            outputs = oh * ow;
            cells = new int[outputs * kw * kh];
            columns = new boolean[outputs * kw];
            divisors = new float[outputs];
            for (int r = 0; r < oh; r++) {
                for (int c = 0; c < ow; c++) {
                    int o = r * ow + c, top = r * s.strideH() - s.padTop(), left = c * s.strideW() - s.padLeft();
                    divisors[o] = divisor(s, h, w, top, left);
                    for (int j = 0; j < kw; j++) {
                        int iw = left + j * s.dilationW();
                        columns[o * kw + j] = iw >= 0 && iw < w;
                        for (int i = 0; i < kh; i++) {
                            int ih = top + i * s.dilationH();
                            boolean inside = ih >= 0 && ih < h && iw >= 0 && iw < w;
                            cells[(o * kw + j) * kh + i] = inside ? ih * w + iw : -1;
                        }
                    }
                }
            }
            planeCells = new float[cellsPerPlane * L];
            planeOutputs = new float[outputs * L];
        }

        /** The tables for this geometry, or null where the plane is wide enough for the row kernels or the tables too big. */
        static TinyAverage of(Pool2dSpec s, int h, int w, int oh, int ow) {
            long size = (long) oh * ow * s.kernelH() * s.kernelW();
            if (oh == 0 || ow == 0 || ow >= F.length() || size > MAX_CELLS || (long) h * w > MAX_CELLS) {
                return null;
            }
            return new TinyAverage(s, h, w, oh, ow);
        }

        /** out for planes [lo, hi) of x: as {@link #averageAt} for every output. */
        void forward(float[] out, float[] x, int lo, int hi) {
            int p = lo;
            for (; p + L <= hi; p += L) {
                toLanes(x, p, cellsPerPlane, planeCells);
                for (int o = 0; o < outputs; o++) {
                    windowOfVector(o);
                }
                fromLanes(planeOutputs, out, p, outputs);
            }
            for (; p < hi; p++) {
                int in = p * cellsPerPlane, at = p * outputs;
                for (int o = 0; o < outputs; o++) {
                    out[at + o] = windowOf(x, in, o);
                }
            }
        }

        /** Transpose in: lanes[t·L + lane] = planes[(p + lane)·size + t], for the L planes from p. */
        private static void toLanes(float[] planes, int p, int size, float[] lanes) {
            for (int lane = 0; lane < L; lane++) {
                int in = (p + lane) * size;
                for (int t = 0; t < size; t++) {
                    lanes[t * L + lane] = planes[in + t];
                }
            }
        }

        /** Transpose out: planes[(p + lane)·size + t] = lanes[t·L + lane], for the L planes from p. */
        private static void fromLanes(float[] lanes, float[] planes, int p, int size) {
            for (int lane = 0; lane < L; lane++) {
                int at = (p + lane) * size;
                for (int t = 0; t < size; t++) {
                    planes[at + t] = lanes[t * L + lane];
                }
            }
        }

        /** planeOutputs[o·L + lane]: window o of each plane of the block. */
        private void windowOfVector(int o) {
            FloatVector sum = FloatVector.zero(F);
            for (int j = 0; j < kw; j++) {
                if (columns[o * kw + j]) {
                    FloatVector column = FloatVector.zero(F);
                    for (int i = 0, t = (o * kw + j) * kh; i < kh; i++) {
                        int cell = cells[t + i];
                        if (cell >= 0) {
                            column = column.add(FloatVector.fromArray(F, planeCells, cell * L));
                        }
                    }
                    sum = sum.add(column);
                }
            }
            sum.div(divisors[o]).intoArray(planeOutputs, o * L);
        }

        /** Window o of the plane at x[in...], one plane at a time. */
        private float windowOf(float[] x, int in, int o) {
            float sum = 0f;
            for (int j = 0; j < kw; j++) {
                if (columns[o * kw + j]) {
                    float column = 0f;
                    for (int i = 0, t = (o * kw + j) * kh; i < kh; i++) {
                        int cell = cells[t + i];
                        if (cell >= 0) {
                            column += x[in + cell];
                        }
                    }
                    sum += column;
                }
            }
            return sum / divisors[o];
        }

        /** dx (overwritten) for planes [lo, hi) from dy: windows in output order, as {@link #spreadAt}. */
        void backward(float[] dx, float[] dy, int lo, int hi) {
            int p = lo;
            for (; p + L <= hi; p += L) {
                toLanes(dy, p, outputs, planeOutputs);
                Arrays.fill(planeCells, 0f);
                for (int o = 0; o < outputs; o++) {
                    FloatVector share = FloatVector.fromArray(F, planeOutputs, o * L).div(divisors[o]);
                    for (int i = 0; i < kh; i++) {
                        for (int j = 0; j < kw; j++) {
                            int cell = cells[(o * kw + j) * kh + i];
                            if (cell >= 0) {
                                FloatVector.fromArray(F, planeCells, cell * L).add(share).intoArray(planeCells, cell * L);
                            }
                        }
                    }
                }
                fromLanes(planeCells, dx, p, cellsPerPlane);
            }
            for (; p < hi; p++) {
                int in = p * cellsPerPlane, at = p * outputs;
                Arrays.fill(dx, in, in + cellsPerPlane, 0f);
                for (int o = 0; o < outputs; o++) {
                    float share = dy[at + o] / divisors[o];
                    for (int i = 0; i < kh; i++) {
                        for (int j = 0; j < kw; j++) {
                            int cell = cells[(o * kw + j) * kh + i];
                            if (cell >= 0) {
                                dx[in + cell] += share;
                            }
                        }
                    }
                }
            }
        }
    }

    // ================================================================ backward

    /**
     * Gradient of {@link #max}: dx[n,c,ih,iw] = Σ dy[n,c,oh,ow] over the windows that cell (ih, iw)
     * won. A window's winner is its first real cell in row-major window order (top row first, left to
     * right), replaced by each later real cell strictly greater than the best so far: the first maximum,
     * as in PyTorch and cuDNN. Padded cells never win; a window without real cells passes nothing.
     * Overwrites dx.
     */
    static void maxBackward(CpuBackend cpu, Tensor dx, Tensor dy, Tensor x, Pool2dSpec spec) {
        backward(cpu, dx, dy, x, spec, true);
    }

    /**
     * Gradient of {@link #average}: dy[n,c,oh,ow] / divisor, with the forward's divisor, is added to
     * every real cell of window (oh, ow), so a window that counts padding passes on only part of its
     * gradient. Overwrites dx.
     */
    static void averageBackward(CpuBackend cpu, Tensor dx, Tensor dy, Pool2dSpec spec) {
        backward(cpu, dx, dy, null, spec, false);
    }

    /**
     * Planes (n, c) are split across threads, so the windows that share a cell add into it on one
     * thread, in output order (row by row, left to right), on both paths: the vector kernels give the
     * plain loop's bits. They work one output row at a time, along W (see each kernel).
     */
    private static void backward(CpuBackend cpu, Tensor dx, Tensor dy, Tensor x, Pool2dSpec spec, boolean max) {
        int planes = dx.shape().dim(0) * dx.shape().dim(1);
        int h = dx.shape().dim(2), w = dx.shape().dim(3);
        int oh = dy.shape().dim(2), ow = dy.shape().dim(3);
        float[] d = CpuBackend.data(dx), g = CpuBackend.data(dy), xs = max ? CpuBackend.data(x) : null;
        // The average's kernel lines a row of shares up with a row of cells, which takes stride 1
        // (Inception's branch pools); at a larger stride, or with fewer outputs in a row than lanes
        // (a global pool), most of its lanes would add zeros.
        boolean vector = cpu.vectorized() && (max || spec.strideW() == 1 && ow >= F.length());
        long work = Math.max(1L, (long) oh * ow * spec.kernelH() * spec.kernelW() + (long) h * w);
        cpu.parallel().forRange(planes, (int) Math.max(1, GRAIN / work), (lo, hi) -> {
            // Inception's branch pools: over the flattened plane, as in the forward.
            AveragePoolSameSize same = cpu.vectorized() && !max ? AveragePoolSameSize.of(spec, h, w, oh, ow) : null;
            if (same != null) {
                for (int p = lo; p < hi; p++) {
                    same.backward(d, p * h * w, g, p * oh * ow);
                }
                return;
            }
            // Across planes where the rows hold few outputs, as in the forward.
            TinyAverage tiny = cpu.vectorized() && !max ? TinyAverage.of(spec, h, w, oh, ow) : null;
            if (tiny != null) {
                tiny.backward(d, g, lo, hi);
                return;
            }
            // Inception's grid reductions, where the gradient would go across planes or along rows (3×3 outputs
            // of 7×7 planes 2.8–5.4× faster, 35×35 to 147×147 planes 1.0–1.2×); the flat kernel keeps 15×15
            // and 17×17 (there the stride-2 rows of 7 or 8 outputs fill half a vector: 0.6–0.8×).
            MaxPoolStrideTwo strideTwo = cpu.vectorized() && max
                    && (MaxPoolAcrossPlanes.takesBackward(spec, h, w, oh, ow) || !flatMax(spec, h, w, oh, ow))
                    ? MaxPoolStrideTwo.of(spec, h, w, oh, ow) : null;
            if (strideTwo != null) {
                for (int p = lo; p < hi; p++) {
                    Arrays.fill(d, p * h * w, (p + 1) * h * w, 0f);
                    strideTwo.backward(d, g, p * oh * ow, xs, p * h * w);
                }
                return;
            }
            MaxPoolAcrossPlanes across = cpu.vectorized() && max ? MaxPoolAcrossPlanes.backwardOf(spec, h, w, oh, ow) : null;
            if (across != null) {
                across.backward(d, g, xs, lo, hi);
                return;
            }
            int extent = spec.dilationW() * (spec.kernelW() - 1);
            float[] shares = vector && !max ? new float[w + extent] : null;
            int[] rows = new int[spec.kernelH()];
            // The divisor's column factor, per output column: the same for every row and plane.
            int[] counted = new int[vector && !max ? ow : 0];
            for (int c = 0; c < counted.length; c++) {
                counted[c] = columnCells(spec, w, c * spec.strideW() - spec.padLeft());
            }
            boolean flat = vector && max && flatMax(spec, h, w, oh, ow);
            FlatAverage average = cpu.vectorized() && !max ? FlatAverage.of(spec, h, w, oh, ow) : null;
            int[] winners = vector && max ? new int[flat ? h * w : w] : null;
            int[] taps = new int[vector && max ? spec.kernelH() * spec.kernelW() : 0];
            if (flat) {
                // The same window cells for every plane of the chunk.
                flatRows(rows, w, spec);
                flatTaps(taps, rows, spec.kernelH(), spec.kernelW(), spec.dilationW());
            }
            for (int p = lo; p < hi; p++) {
                int in = p * h * w, at = p * oh * ow;
                Arrays.fill(d, in, in + h * w, 0f);
                if (flat) {
                    planeMaxBackwardFlatVector(d, g, at, xs, in, w, oh, ow, spec, winners, taps);
                } else if (average != null) {
                    average.backward(d, in, g, at);
                } else if (vector && max) {
                    planeMaxBackwardVector(d, g, at, xs, in, h, w, oh, ow, spec, winners, rows, taps);
                } else if (vector) {
                    planeAverageBackwardVector(d, g, at, in, h, w, oh, ow, spec, shares, rows, counted);
                } else {
                    for (int r = 0; r < oh; r++) {
                        for (int c = 0; c < ow; c++) {
                            backwardAt(d, xs, in, h, w, r, c, spec, max, g[at + r * ow + c]);
                        }
                    }
                }
            }
        });
    }

    // ================================================================ backward, plain: one output at a time

    /** Window (oh, ow)'s dy into the plane of dx at in: to its winner (max) or shared out (average). */
    private static void backwardAt(float[] dx, float[] x, int in, int h, int w, int oh, int ow, Pool2dSpec s,
                                   boolean max, float dy) {
        if (max) {
            int winner = winnerAt(x, in, h, w, oh, ow, s);
            if (winner >= 0) {
                dx[in + winner] += dy;
            }
        } else {
            spreadAt(dx, in, h, w, oh, ow, s, dy);
        }
    }

    /** The plane offset ih·w + iw of the first maximum among the real cells of window (oh, ow); −1 if none. */
    private static int winnerAt(float[] x, int in, int h, int w, int oh, int ow, Pool2dSpec s) {
        int winner = -1;
        float best = 0f;
        for (int i = 0; i < s.kernelH(); i++) {
            int ih = oh * s.strideH() - s.padTop() + i * s.dilationH();
            if (ih < 0 || ih >= h) {
                continue;
            }
            for (int j = 0; j < s.kernelW(); j++) {
                int iw = ow * s.strideW() - s.padLeft() + j * s.dilationW();
                if (iw >= 0 && iw < w) {
                    float v = x[in + ih * w + iw];
                    if (winner < 0 || v > best) {
                        winner = ih * w + iw;
                        best = v;
                    }
                }
            }
        }
        return winner;
    }

    /** dx += dy / divisor over the real cells of window (oh, ow). */
    private static void spreadAt(float[] dx, int in, int h, int w, int oh, int ow, Pool2dSpec s, float dy) {
        int top = oh * s.strideH() - s.padTop(), left = ow * s.strideW() - s.padLeft();
        float share = dy / divisor(s, h, w, top, left);
        for (int i = 0; i < s.kernelH(); i++) {
            int ih = top + i * s.dilationH();
            if (ih < 0 || ih >= h) {
                continue;
            }
            for (int j = 0; j < s.kernelW(); j++) {
                int iw = left + j * s.dilationW();
                if (iw >= 0 && iw < w) {
                    dx[in + ih * w + iw] += share;
                }
            }
        }
    }

    // ================================================================ backward, vector: one output row at a time

    /** The real rows of the windows starting at row top, as plane offsets ih·w, into rows; returns how many. */
    private static int realRows(int[] rows, int top, int h, int w, Pool2dSpec s) {
        int real = 0;
        for (int i = 0; i < s.kernelH(); i++) {
            int ih = top + i * s.dilationH();
            if (ih >= 0 && ih < h) {
                rows[real++] = ih * w;
            }
        }
        return real;
    }

    /**
     * Max pool gradient of the plane dy[at...] into dx[in...]. For the row's interior outputs (all kW
     * columns real; as in the forward) the winners of every window start between the first and the
     * last interior window are found at stride 1, lanes along W; dy then goes to them in output
     * order. Border outputs, and rows of fewer starts than a vector, take the plain code.
     */
    private static void planeMaxBackwardVector(float[] dx, float[] dy, int at, float[] x, int in, int h, int w,
                                               int oh, int ow, Pool2dSpec s, int[] winners, int[] rows, int[] taps) {
        int kw = s.kernelW(), dw = s.dilationW(), sw = s.strideW(), pl = s.padLeft();
        int span = w - dw * (kw - 1);
        int interiorLo = Math.min(ow, Math.ceilDiv(pl, sw));
        int interiorHi = span < 1 ? interiorLo : Math.max(interiorLo, Math.min(ow, (span - 1 + pl) / sw + 1));
        int first = interiorLo * sw - pl, count = (interiorHi - 1) * sw - pl - first + 1;
        if (interiorHi <= interiorLo || count < F.length()) {
            interiorHi = interiorLo; // nothing to vectorize: all outputs plain
        }
        for (int r = 0; r < oh; r++) {
            int real = realRows(rows, r * s.strideH() - s.padTop(), h, w, s);
            if (real == 0) {
                continue; // windows of padding only pass nothing
            }
            int o = at + r * ow;
            int c = 0;
            for (; c < interiorLo; c++) {
                backwardAt(dx, x, in, h, w, r, c, s, true, dy[o + c]);
            }
            if (interiorHi > interiorLo) {
                flatTaps(taps, rows, real, kw, dw);
                winnersVector(winners, x, in + first, taps, real * kw, count);
                for (; c < interiorHi; c++) {
                    int q = c * sw - pl - first;
                    dx[in + first + q + winners[q]] += dy[o + c];
                }
            }
            for (; c < ow; c++) {
                backwardAt(dx, x, in, h, w, r, c, s, true, dy[o + c]);
            }
        }
    }

    /**
     * winners[q] = the offset, from x[start + q], of the first maximum of the window whose cells are
     * x[start + q + taps[t]], t &lt; cells (rows in order, then columns: {@link #flatTaps}), for q in
     * [0, count), count ≥ one vector.
     * Each winner depends on its window alone, so the tail is one more vector ending at count,
     * overlapping the last: it writes the same values again.
     */
    private static void winnersVector(int[] winners, float[] x, int start, int[] taps, int cells, int count) {
        int q = 0;
        for (int bound = F.loopBound(count); q < bound; q += F.length()) {
            winnersOfVector(winners, x, start, q, taps, cells);
        }
        if (q < count) {
            winnersOfVector(winners, x, start, count - F.length(), taps, cells);
        }
    }

    /** winners[q + lane] for the lanes of one vector. */
    private static void winnersOfVector(int[] winners, float[] x, int start, int q, int[] taps, int cells) {
        FloatVector best = FloatVector.fromArray(F, x, start + q + taps[0]);
        IntVector winner = IntVector.broadcast(I, taps[0]);
        for (int t = 1; t < cells; t++) {
            FloatVector v = FloatVector.fromArray(F, x, start + q + taps[t]);
            VectorMask<Float> greater = v.compare(VectorOperators.GT, best);
            best = best.blend(v, greater);
            winner = winner.blend(taps[t], greater.cast(I));
        }
        winner.intoArray(winners, q);
    }

    /**
     * Average pool gradient at stride 1 of the plane dy[at...] into dx[in...]. Output (r, c) adds its
     * share to cells iw = c − padLeft + j·dW of its real rows. With shares[E + c − padLeft] = its
     * share (E = dW·(kW − 1); zero where no output is), cell iw receives shares[E + iw − j·dW] for
     * each j: so for j from kW − 1 down to 0, every real row takes the whole row of shares shifted
     * by j·dW, lanes along W. Going down in j, a cell receives its windows left to right, as in the
     * plain loop; the zeros add +0, which changes nothing (the sums start at +0, so never hold −0).
     */
    private static void planeAverageBackwardVector(float[] dx, float[] dy, int at, int in, int h, int w, int oh,
                                                   int ow, Pool2dSpec s, float[] shares, int[] rows, int[] counted) {
        int kw = s.kernelW(), dw = s.dilationW(), extent = dw * (kw - 1), shift = extent - s.padLeft();
        for (int r = 0; r < oh; r++) {
            int top = r * s.strideH() - s.padTop();
            int real = realRows(rows, top, h, w, s);
            if (real == 0) {
                continue; // windows of padding only pass nothing
            }
            int rowCells = rowCells(s, h, top), o = at + r * ow;
            Arrays.fill(shares, 0f);
            for (int c = 0; c < ow; c++) {
                shares[shift + c] = dy[o + c] / ((float) rowCells * counted[c]); // the forward's divisor
            }
            // Rows inner: the adds into one row, which wait on each other, come apart by the others.
            for (int j = kw - 1; j >= 0; j--) {
                for (int i = 0; i < real; i++) {
                    addShifted(dx, in + rows[i], shares, extent - j * dw, w);
                }
            }
        }
    }

    /** dx[at + iw] += shares[from + iw] for iw in [0, w). */
    private static void addShifted(float[] dx, int at, float[] shares, int from, int w) {
        int iw = 0;
        for (int bound = F.loopBound(w); iw < bound; iw += F.length()) {
            FloatVector share = FloatVector.fromArray(F, shares, from + iw);
            FloatVector.fromArray(F, dx, at + iw).add(share).intoArray(dx, at + iw);
        }
        for (; iw < w; iw++) {
            dx[at + iw] += shares[from + iw];
        }
    }
}
