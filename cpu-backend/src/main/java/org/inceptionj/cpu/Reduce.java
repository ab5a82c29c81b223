package org.inceptionj.cpu;

import java.util.Arrays;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import org.inceptionj.api.ReduceOp;
import org.inceptionj.api.Tensor;

/**
 * Sum, mean and max over a set of axes. Sums accumulate in double (also the vector kernels,
 * which widen each float lane) and are rounded once at the end; the max is exact on both paths.
 *
 * <p>The axes of x are first simplified: size-1 axes dropped, neighbouring axes that are both
 * reduced or both kept merged (x is contiguous, so they are one axis). Then one of two loop nests
 * runs, each parallel over outputs, each output summed in a fixed order by one thread:
 * <ul>
 *   <li>the innermost axis is reduced (global average pool: [N·C, H·W] → [N·C]): each output is a
 *       sum of contiguous runs;</li>
 *   <li>the innermost axis is kept (a bias gradient: [N, F] → [F]): each output row adds whole
 *       input rows, lane by lane.</li>
 * </ul>
 */
final class Reduce {
    private Reduce() {
    }

    private static final VectorSpecies<Float> F = Vectors.F;
    /** Doubles of F's width: half as many lanes, each loaded from F's lower half ({@link Vectors#LOWER_HALF}). */
    private static final VectorSpecies<Double> D = VectorSpecies.of(double.class, F.vectorShape());
    /** Input elements per parallel chunk below which a loop is not split. */
    private static final int GRAIN = 1 << 15;

    /**
     * out[kept index] = Σ, mean or max of x over the axes with reduceAxis[i] set. out is written in
     * the keepdims layout (its declared shape may drop the reduced axes). An empty sum is 0, an
     * empty mean 0/0 = NaN.
     */
    static void reduce(CpuBackend cpu, ReduceOp op, Tensor out, Tensor x, boolean[] reduceAxis) {
        float[] o = CpuBackend.data(out);
        if (o.length == 0) {
            return;
        }
        boolean planes = overPlanes(x.shape().dims(), reduceAxis) && cpu.vectorized();
        float[] blocked = planes ? CpuBackend.blockedView(x) : null;
        if (blocked != null) {
            // The global average pool after a blocked convolution: read as it lies, not written out as NCHW first.
            int[] d = x.shape().dims();
            overPlanesBlocked(cpu, op, o, blocked, d[0], d[1], d[2] * d[3]);
            return;
        }
        float[] xs = CpuBackend.data(x);
        Axes g = Axes.of(x.shape().dims(), reduceAxis);
        long count = (long) xs.length / o.length;
        if (xs.length == 0) { // a reduced axis of size 0
            Arrays.fill(o, op == ReduceOp.MEAN ? Float.NaN : 0f);
            return;
        }
        boolean vector = cpu.vectorized();
        int last = g.rank - 1;
        if (g.reduced[last]) {
            // Each output: the runs of the innermost axis at every combination of the other reduced axes.
            int run = g.dims[last];
            int[] rd = g.select(true, last), rs = g.strides(true, last);
            int[] kd = g.select(false, -1), ks = g.strides(false, -1);
            int runs = product(rd);
            cpu.parallel().forRange(o.length, (int) Math.max(1, GRAIN / count), (lo, hi) -> {
                for (int k = lo; k < hi; k++) {
                    int base = offset(k, kd, ks);
                    if (op == ReduceOp.MAX) {
                        float m = Float.NEGATIVE_INFINITY;
                        for (int r = 0; r < runs; r++) {
                            int from = base + offset(r, rd, rs);
                            m = Math.max(m, vector ? maxVector(xs, from, run) : maxPlain(xs, from, from + run));
                        }
                        o[k] = m;
                    } else {
                        double s = 0;
                        for (int r = 0; r < runs; r++) {
                            int from = base + offset(r, rd, rs);
                            s += vector ? sumVector(xs, from, run) : sumPlain(xs, from, from + run);
                        }
                        o[k] = (float) (op == ReduceOp.MEAN ? s / count : s);
                    }
                }
            });
        } else {
            // Each output row of the innermost (kept) axis adds whole input rows at every reduced
            // combination. Threads take contiguous ranges of out, cut across rows where needed.
            int row = g.dims[last];
            int[] rd = g.select(true, -1), rs = g.strides(true, -1);
            int[] kd = g.select(false, last), ks = g.strides(false, last);
            int combos = product(rd);
            cpu.parallel().forRange(o.length, (int) Math.max(1, GRAIN / count), (lo, hi) -> {
                double[] acc = new double[Math.min(row, hi - lo)];
                for (int i = lo; i < hi; ) {
                    int k = i / row, from = i - k * row, length = Math.min(row - from, hi - i);
                    int base = offset(k, kd, ks) + from;
                    if (op == ReduceOp.MAX) {
                        Arrays.fill(o, i, i + length, Float.NEGATIVE_INFINITY);
                        for (int r = 0; r < combos; r++) {
                            int at = base + offset(r, rd, rs);
                            if (vector) {
                                maxIntoVector(o, i, xs, at, length);
                            } else {
                                maxIntoPlain(o, i, xs, at, 0, length);
                            }
                        }
                    } else {
                        Arrays.fill(acc, 0, length, 0.0);
                        for (int r = 0; r < combos; r++) {
                            int at = base + offset(r, rd, rs);
                            if (vector) {
                                addIntoVector(acc, xs, at, length);
                            } else {
                                addIntoPlain(acc, xs, at, 0, length);
                            }
                        }
                        for (int j = 0; j < length; j++) {
                            o[i + j] = (float) (op == ReduceOp.MEAN ? acc[j] / count : acc[j]);
                        }
                    }
                    i += length;
                }
            });
        }
    }

    // ================================================================ planes of a channel-blocked x

    /**
     * Whether the reduce is over H and W of an [N, C, H, W] with more than one position a plane: then the
     * NCHW path sums each (n, c)'s plane as one run ({@link #sumVector}), which {@link #overPlanesBlocked}
     * repeats.
     */
    private static boolean overPlanes(int[] dims, boolean[] reduceAxis) {
        return dims.length == 4 && !reduceAxis[0] && !reduceAxis[1] && reduceAxis[2] && reduceAxis[3]
                && (long) dims[2] * dims[3] > 1;
    }

    /**
     * out[n·C + c] = Σ, mean or max over p of x[n, c, p], x given channel-blocked ({@link BlockedActivations}:
     * xb[((n·⌈C/L⌉ + c/L)·P + p)·L + c%L]), a vector of channels at a time. Each lane takes the additions of
     * {@link #sumVector} over its channel's plane in their order: D.length() partial sums in double over the
     * positions p ≡ j (mod D.length()) below the loop bound, added for j = 0, 1, …, then the tail in order;
     * so every bit is that of the NCHW path. The max does not depend on the order.
     */
    private static void overPlanesBlocked(CpuBackend cpu, ReduceOp op, float[] o, float[] xb, int batch, int channels,
                                          int plane) {
        int l = F.length(), dl = D.length(), blocks = (channels + l - 1) / l, bound = D.loopBound(plane);
        cpu.parallel().forRange(batch * blocks, Math.max(1, GRAIN / (plane * l)), (lo, hi) -> {
            double[] sums = new double[l];
            float[] max = new float[l];
            for (int t = lo; t < hi; t++) {
                int n = t / blocks, c0 = t % blocks * l, lanes = Math.min(l, channels - c0), base = t * plane * l;
                if (op == ReduceOp.MAX) {
                    FloatVector m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
                    for (int p = 0; p < plane; p++) {
                        m = m.max(FloatVector.fromArray(F, xb, base + p * l));
                    }
                    m.intoArray(max, 0);
                    System.arraycopy(max, 0, o, n * channels + c0, lanes);
                    continue;
                }
                // Lanes 0 … dl−1 of the vector and dl … l−1, each widened to doubles.
                for (int half = 0; half < l; half += dl) {
                    DoubleVector s = DoubleVector.zero(D);
                    for (int j = 0; j < dl; j++) {
                        DoubleVector acc = DoubleVector.zero(D);
                        for (int p = j; p < bound; p += dl) {
                            // widened in place, as in sumVector
                            int at = base + p * l + half;
                            acc = acc.add((DoubleVector) FloatVector.fromArray(F, xb, at, Vectors.LOWER_HALF)
                                    .convertShape(VectorOperators.F2D, D, 0));
                        }
                        s = s.add(acc);
                    }
                    DoubleVector tail = DoubleVector.zero(D);
                    for (int p = bound; p < plane; p++) {
                        int at = base + p * l + half;
                        tail = tail.add((DoubleVector) FloatVector.fromArray(F, xb, at, Vectors.LOWER_HALF)
                                .convertShape(VectorOperators.F2D, D, 0));
                    }
                    DoubleVector total = DoubleVector.zero(D).add(s.add(tail));
                    (op == ReduceOp.MEAN ? total.div((double) plane) : total).intoArray(sums, half);
                }
                for (int c = 0; c < lanes; c++) {
                    o[n * channels + c0 + c] = (float) sums[c];
                }
            }
        });
    }

    // ================================================================ contiguous runs (shared with BatchNorm)

    /** Σ x[i] for i in [from, to), in double, in order. */
    static double sumPlain(float[] x, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += x[i];
        }
        return s;
    }

    /** Σ x[from + i] for i in [0, length), in double: each lane widens and sums its share, lanes added in order. */
    static double sumVector(float[] x, int from, int length) {
        DoubleVector acc = DoubleVector.zero(D);
        int i = 0;
        for (int bound = D.loopBound(length); i < bound; i += D.length()) {
            // widened in place, not through a helper of ours (see Vectors)
            acc = acc.add((DoubleVector) FloatVector.fromArray(F, x, from + i, Vectors.LOWER_HALF).convertShape(VectorOperators.F2D, D, 0));
        }
        return sumLanes(acc) + sumPlain(x, from + i, from + length);
    }

    /** Σ (x[i] − mean)² for i in [from, to), in double, in order. */
    static double sumSquaredDeviationsPlain(float[] x, int from, int to, double mean) {
        double s = 0;
        for (int i = from; i < to; i++) {
            double d = x[i] - mean;
            s += d * d;
        }
        return s;
    }

    /** Σ (x[from + i] − mean)² for i in [0, length), in double, lane by lane as {@link #sumVector}. */
    static double sumSquaredDeviationsVector(float[] x, int from, int length, double mean) {
        DoubleVector acc = DoubleVector.zero(D);
        DoubleVector m = DoubleVector.broadcast(D, mean);
        int i = 0;
        for (int bound = D.loopBound(length); i < bound; i += D.length()) {
            DoubleVector xi = (DoubleVector) FloatVector.fromArray(F, x, from + i, Vectors.LOWER_HALF).convertShape(VectorOperators.F2D, D, 0);
            DoubleVector d = xi.sub(m);
            acc = d.fma(d, acc);
        }
        return sumLanes(acc) + sumSquaredDeviationsPlain(x, from + i, from + length, mean);
    }

    /** max x[i] for i in [from, to); −∞ when empty. */
    static float maxPlain(float[] x, int from, int to) {
        float m = Float.NEGATIVE_INFINITY;
        for (int i = from; i < to; i++) {
            m = Math.max(m, x[i]);
        }
        return m;
    }

    static float maxVector(float[] x, int from, int length) {
        FloatVector acc = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (int bound = F.loopBound(length); i < bound; i += F.length()) {
            acc = acc.max(FloatVector.fromArray(F, x, from + i));
        }
        // The max does not depend on the order, so reduceLanes is exact here (unlike for a sum).
        return Math.max(acc.reduceLanes(VectorOperators.MAX), maxPlain(x, from + i, from + length));
    }


    /** The lanes added first to last: reduceLanes(ADD) leaves the order open, which would cost determinism. */
    static double sumLanes(DoubleVector v) {
        double s = 0;
        for (int lane = 0; lane < v.length(); lane++) {
            s += v.lane(lane); // lane(i), not toArray(): no array per call (called per image and channel)
        }
        return s;
    }

    // ================================================================ whole rows

    /** acc[j] += x[from + j] for j in [lo, hi). */
    private static void addIntoPlain(double[] acc, float[] x, int from, int lo, int hi) {
        for (int j = lo; j < hi; j++) {
            acc[j] += x[from + j];
        }
    }

    private static void addIntoVector(double[] acc, float[] x, int from, int length) {
        int j = 0;
        for (int bound = D.loopBound(length); j < bound; j += D.length()) {
            DoubleVector xj = (DoubleVector) FloatVector.fromArray(F, x, from + j, Vectors.LOWER_HALF).convertShape(VectorOperators.F2D, D, 0);
            DoubleVector.fromArray(D, acc, j).add(xj).intoArray(acc, j);
        }
        addIntoPlain(acc, x, from, j, length);
    }

    /** out[at + j] = max(out[at + j], x[from + j]) for j in [lo, hi). */
    private static void maxIntoPlain(float[] out, int at, float[] x, int from, int lo, int hi) {
        for (int j = lo; j < hi; j++) {
            out[at + j] = Math.max(out[at + j], x[from + j]);
        }
    }

    private static void maxIntoVector(float[] out, int at, float[] x, int from, int length) {
        int j = 0;
        for (int bound = F.loopBound(length); j < bound; j += F.length()) {
            FloatVector.fromArray(F, out, at + j).max(FloatVector.fromArray(F, x, from + j)).intoArray(out, at + j);
        }
        maxIntoPlain(out, at, x, from, j, length);
    }

    // ================================================================ index helpers

    /** Offset of the row-major index {@code index} over dims, with the given element strides. */
    private static int offset(int index, int[] dims, int[] strides) {
        int off = 0;
        for (int i = dims.length - 1; i >= 0; i--) {
            off += (index % dims[i]) * strides[i];
            index /= dims[i];
        }
        return off;
    }

    private static int product(int[] dims) {
        int p = 1;
        for (int d : dims) {
            p *= d;
        }
        return p;
    }

    /** x's axes after dropping size-1 axes and merging neighbours of the same kind; strides of x. */
    private record Axes(int rank, int[] dims, int[] strides, boolean[] reduced) {

        static Axes of(int[] x, boolean[] flag) {
            int[] d = new int[x.length + 1];
            boolean[] f = new boolean[x.length + 1];
            int m = 0;
            for (int i = 0; i < x.length; i++) {
                if (x[i] == 1) {
                    continue;
                }
                if (m > 0 && f[m - 1] == flag[i]) {
                    d[m - 1] *= x[i];
                } else {
                    d[m] = x[i];
                    f[m] = flag[i];
                    m++;
                }
            }
            if (m == 0) { // one element: "reduce" it onto itself
                d[0] = 1;
                f[0] = true;
                m = 1;
            }
            int[] s = new int[m];
            for (int i = m - 1, acc = 1; i >= 0; i--) {
                s[i] = acc;
                acc *= d[i];
            }
            return new Axes(m, Arrays.copyOf(d, m), s, Arrays.copyOf(f, m));
        }

        /** Dims of the reduced (or kept) axes, in order, leaving out axis {@code skip}. */
        int[] select(boolean reducedAxes, int skip) {
            return pick(reducedAxes, skip, dims);
        }

        int[] strides(boolean reducedAxes, int skip) {
            return pick(reducedAxes, skip, strides);
        }

        private int[] pick(boolean reducedAxes, int skip, int[] values) {
            int[] r = new int[rank];
            int n = 0;
            for (int i = 0; i < rank; i++) {
                if (i != skip && reduced[i] == reducedAxes) {
                    r[n++] = values[i];
                }
            }
            return Arrays.copyOf(r, n);
        }
    }
}
