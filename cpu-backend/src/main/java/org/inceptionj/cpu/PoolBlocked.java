package org.inceptionj.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.Tensor;

/**
 * 3×3 max and average pools of an x left channel-blocked ({@link BlockedActivations}), written blocked: each
 * output is one vector of L channels, its window's cells loaded as vectors where they lie. Inception's
 * branch pools (3×3, stride 1, padding 1) and its grid reductions (3×3, stride 2) read the modules' inputs,
 * which stay blocked, and the branch pools' outputs go on to 1×1s that read them blocked too.
 *
 * <p>Each output row first reduces every input column over the window's real rows ({@link #column},
 * {@link #columnMax}), once, into a row of scratch; each window then combines its (up to three) real
 * columns from there. Neighbouring windows share columns (two of three at stride 1, one at stride 2), so
 * each cell is loaded once per output row instead of once per window: Inception's pools 1.1–1.35× faster
 * (alone, two threads, batch 1 and 8, alternating in one process with the per-window loop they replace).
 *
 * <p>The same bits as the plain loops of {@link Pooling}: the maximum is Math.max's (the Vector API's MAX)
 * over the real cells from −∞, and Math.max over a set of floats does not depend on the grouping (NaN if
 * any is NaN, +0 over −0, −∞ the identity); the average sums each real column from +0 in row order, the
 * columns from +0 in column order, and divides by {@link Pooling#divisor}: the grouping used here. The
 * cells of a column and the columns of a window are written out, each under its own test, rather than
 * looped over: a running vector through nested loops was kept on the heap by C2 in some compilations (see
 * {@link Pooling}).
 */
final class PoolBlocked {
    private PoolBlocked() {
    }

    private static final VectorSpecies<Float> F = Vectors.F;
    private static final int L = F.length();

    /** Whether out = pool(x) takes this path: x blocked, a 3×3 window without dilation. */
    static boolean applies(CpuBackend cpu, Tensor x, Pool2dSpec s) {
        return cpu.config().blockedActivations() && cpu.vectorized() && s.kernelH() == 3 && s.kernelW() == 3 && s.dilationH() == 1
                && s.dilationW() == 1 && CpuBackend.blockedView(x) != null;
    }

    static void forward(CpuBackend cpu, Tensor out, Tensor x, Pool2dSpec s, boolean max) {
        forward(cpu, out, x, s, max, null);
    }

    /**
     * {@link #forward(CpuBackend, Tensor, Tensor, Pool2dSpec, boolean)}, then the epilogue (or null) on each output
     * row while it is in cache: the batch norm and ReLU of a branch pool run after its 1×1 ({@link BranchPool}).
     */
    static void forward(CpuBackend cpu, Tensor out, Tensor x, Pool2dSpec s, boolean max, BatchNormEpilogue epilogue) {
        float[] xb = CpuBackend.blockedView(x);
        int batch = x.shape().dim(0), channels = x.shape().dim(1), h = x.shape().dim(2), w = x.shape().dim(3);
        int oh = out.shape().dim(2), ow = out.shape().dim(3), blocks = (channels + L - 1) / L;
        float[] o = CpuBackend.writeBlocked(out);
        // The average's divisor of each output position, the same for every block of channels.
        float[] divisors = new float[max ? 0 : oh * ow];
        for (int i = 0; i < divisors.length; i++) {
            divisors[i] = Pooling.divisor(s, h, w, i / ow * s.strideH() - s.padTop(), i % ow * s.strideW() - s.padLeft());
        }
        int row = w * L;
        cpu.parallel().forRange(batch * blocks, 1, (lo, hi) -> {
            float[] columns = Conv2dBatched.scratch(COLUMNS, row);
            float[] consts = epilogue == null ? null : new float[3 * L];
            for (int t = lo; t < hi; t++) {
                int in = t * h * row, at = t * oh * ow * L;
                if (epilogue != null) {
                    epilogue.constants(t % blocks * L, channels, consts);
                }
                for (int r = 0; r < oh; r++) {
                    int top = r * s.strideH() - s.padTop();
                    boolean r0 = top >= 0 && top < h, r1 = top + 1 >= 0 && top + 1 < h, r2 = top + 2 >= 0 && top + 2 < h;
                    // Each input column's real window cells once, for the (up to three) windows that share it.
                    int first = in + top * row;
                    for (int j = 0; j < row; j += L) {
                        if (max) {
                            columnMax(xb, first + j, row, r0, r1, r2).intoArray(columns, j);
                        } else {
                            column(xb, first + j, row, r0, r1, r2).intoArray(columns, j);
                        }
                    }
                    for (int c = 0; c < ow; c++) {
                        int left = c * s.strideW() - s.padLeft();
                        boolean c0 = left >= 0 && left < w, c1 = left + 1 >= 0 && left + 1 < w;
                        boolean c2 = left + 2 >= 0 && left + 2 < w;
                        int dst = at + (r * ow + c) * L;
                        if (max) {
                            windowMax(columns, left * L, c0, c1, c2).intoArray(o, dst);
                        } else {
                            windowSum(columns, left * L, c0, c1, c2).div(divisors[r * ow + c]).intoArray(o, dst);
                        }
                    }
                    if (epilogue != null) {
                        epilogue.normalizeVectors(o, at + r * ow * L, L, ow, consts);
                    }
                }
            }
        });
    }

    /** Per-thread scratch: one row's column sums or maxima, [W][L]. */
    private static final ThreadLocal<float[]> COLUMNS = ThreadLocal.withInitial(() -> new float[0]);

    /** Math.max over the real cells of one window column, from −∞ (Math.max(−∞, v) is v, NaN and −0 included). */
    private static FloatVector columnMax(float[] x, int top, int row, boolean r0, boolean r1, boolean r2) {
        FloatVector m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        m = r0 ? m.lanewise(VectorOperators.MAX, FloatVector.fromArray(F, x, top)) : m;
        m = r1 ? m.lanewise(VectorOperators.MAX, FloatVector.fromArray(F, x, top + row)) : m;
        return r2 ? m.lanewise(VectorOperators.MAX, FloatVector.fromArray(F, x, top + 2 * row)) : m;
    }

    /** Math.max over the real columns of one window, from −∞. */
    private static FloatVector windowMax(float[] columns, int left, boolean c0, boolean c1, boolean c2) {
        FloatVector m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        m = c0 ? m.lanewise(VectorOperators.MAX, FloatVector.fromArray(F, columns, left)) : m;
        m = c1 ? m.lanewise(VectorOperators.MAX, FloatVector.fromArray(F, columns, left + L)) : m;
        return c2 ? m.lanewise(VectorOperators.MAX, FloatVector.fromArray(F, columns, left + 2 * L)) : m;
    }

    /** The real columns of one window summed from +0 in column order. */
    private static FloatVector windowSum(float[] columns, int left, boolean c0, boolean c1, boolean c2) {
        FloatVector sum = FloatVector.zero(F);
        sum = c0 ? sum.add(FloatVector.fromArray(F, columns, left)) : sum;
        sum = c1 ? sum.add(FloatVector.fromArray(F, columns, left + L)) : sum;
        return c2 ? sum.add(FloatVector.fromArray(F, columns, left + 2 * L)) : sum;
    }

    /** Σ_i from +0 of the real cells of one window column. */
    private static FloatVector column(float[] x, int top, int row, boolean r0, boolean r1, boolean r2) {
        FloatVector c = FloatVector.zero(F);
        c = r0 ? c.add(FloatVector.fromArray(F, x, top)) : c;
        c = r1 ? c.add(FloatVector.fromArray(F, x, top + row)) : c;
        return r2 ? c.add(FloatVector.fromArray(F, x, top + 2 * row)) : c;
    }
}
