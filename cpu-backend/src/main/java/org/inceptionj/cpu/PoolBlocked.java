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
 * <p>The same bits as the plain loops of {@link Pooling}: the maximum is Math.max's (the Vector API's MAX)
 * over the real cells from −∞; the average sums each real column from +0 in row order, the columns from +0
 * in column order, and divides by {@link Pooling#divisor}. The nine cells are written out, each under its
 * own test, rather than looped over: a running vector through nested loops was kept on the heap by C2 in
 * some compilations (see {@link Pooling}).
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
        float[] xb = CpuBackend.blockedView(x);
        int batch = x.shape().dim(0), channels = x.shape().dim(1), h = x.shape().dim(2), w = x.shape().dim(3);
        int oh = out.shape().dim(2), ow = out.shape().dim(3), blocks = (channels + L - 1) / L;
        float[] o = CpuBackend.writeBlocked(out);
        // The average's divisor of each output position, the same for every block of channels.
        float[] divisors = new float[max ? 0 : oh * ow];
        for (int i = 0; i < divisors.length; i++) {
            divisors[i] = Pooling.divisor(s, h, w, i / ow * s.strideH() - s.padTop(), i % ow * s.strideW() - s.padLeft());
        }
        cpu.parallel().forRange(batch * blocks, 1, (lo, hi) -> {
            for (int t = lo; t < hi; t++) {
                int in = t * h * w * L, at = t * oh * ow * L;
                for (int r = 0; r < oh; r++) {
                    int top = r * s.strideH() - s.padTop();
                    boolean r0 = top >= 0 && top < h, r1 = top + 1 >= 0 && top + 1 < h, r2 = top + 2 >= 0 && top + 2 < h;
                    for (int c = 0; c < ow; c++) {
                        int left = c * s.strideW() - s.padLeft();
                        boolean c0 = left >= 0 && left < w, c1 = left + 1 >= 0 && left + 1 < w;
                        boolean c2 = left + 2 >= 0 && left + 2 < w;
                        int corner = in + (top * w + left) * L, dst = at + (r * ow + c) * L;
                        if (max) {
                            maxWindow(xb, corner, w * L, r0, r1, r2, c0, c1, c2, o, dst);
                        } else {
                            averageWindow(xb, corner, w * L, r0, r1, r2, c0, c1, c2, divisors[r * ow + c], o, dst);
                        }
                    }
                }
            }
        });
    }

    /** o[dst] = Math.max over the real cells of the window from corner (rows row apart), from −∞, row by row. */
    private static void maxWindow(float[] x, int corner, int row, boolean r0, boolean r1, boolean r2, boolean c0,
                                  boolean c1, boolean c2, float[] o, int dst) {
        FloatVector m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        if (r0) {
            m = c0 ? m.lanewise(VectorOperators.MAX, FloatVector.fromArray(F, x, corner)) : m;
            m = c1 ? m.lanewise(VectorOperators.MAX, FloatVector.fromArray(F, x, corner + L)) : m;
            m = c2 ? m.lanewise(VectorOperators.MAX, FloatVector.fromArray(F, x, corner + 2 * L)) : m;
        }
        if (r1) {
            m = c0 ? m.lanewise(VectorOperators.MAX, FloatVector.fromArray(F, x, corner + row)) : m;
            m = c1 ? m.lanewise(VectorOperators.MAX, FloatVector.fromArray(F, x, corner + row + L)) : m;
            m = c2 ? m.lanewise(VectorOperators.MAX, FloatVector.fromArray(F, x, corner + row + 2 * L)) : m;
        }
        if (r2) {
            m = c0 ? m.lanewise(VectorOperators.MAX, FloatVector.fromArray(F, x, corner + 2 * row)) : m;
            m = c1 ? m.lanewise(VectorOperators.MAX, FloatVector.fromArray(F, x, corner + 2 * row + L)) : m;
            m = c2 ? m.lanewise(VectorOperators.MAX, FloatVector.fromArray(F, x, corner + 2 * row + 2 * L)) : m;
        }
        m.intoArray(o, dst);
    }

    /** o[dst] = (Σ_j Σ_i x over the real cells, each column from +0, the columns from +0) / divisor. */
    private static void averageWindow(float[] x, int corner, int row, boolean r0, boolean r1, boolean r2,
                                      boolean c0, boolean c1, boolean c2, float divisor, float[] o, int dst) {
        FloatVector zero = FloatVector.zero(F), sum = zero;
        if (c0) {
            sum = sum.add(column(x, corner, row, r0, r1, r2));
        }
        if (c1) {
            sum = sum.add(column(x, corner + L, row, r0, r1, r2));
        }
        if (c2) {
            sum = sum.add(column(x, corner + 2 * L, row, r0, r1, r2));
        }
        sum.div(divisor).intoArray(o, dst);
    }

    /** Σ_i from +0 of the real cells of one window column. */
    private static FloatVector column(float[] x, int top, int row, boolean r0, boolean r1, boolean r2) {
        FloatVector c = FloatVector.zero(F);
        c = r0 ? c.add(FloatVector.fromArray(F, x, top)) : c;
        c = r1 ? c.add(FloatVector.fromArray(F, x, top + row)) : c;
        return r2 ? c.add(FloatVector.fromArray(F, x, top + 2 * row)) : c;
    }
}
