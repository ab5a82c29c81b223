package org.inceptionj.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

import org.inceptionj.api.BinaryOp;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.RandomStream;
import org.inceptionj.api.ReduceOp;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.api.UnaryOp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The CPU ops other than conv2d and matmul, checked three ways: against references written here
 * from each op's formula (in double where it matters), against small cases worked out by hand,
 * and path against path: the Vector API kernels against the plain loops, at sizes around the
 * vector width, and 1 thread against 3.
 */
class CpuOpsTest {
    static final int LANES = Vectors.F.length();
    /** Sizes that hit an empty vector loop, a tail only, an exact fit, and a tail after a body. */
    static final int[] SIZES = {1, Math.max(1, LANES - 1), LANES, LANES + 1, 2 * LANES + 3, 37};

    static final CpuBackend PLAIN = new CpuBackend(new CpuConfig(1, false));
    static final CpuBackend VECTOR = new CpuBackend(new CpuConfig(1, true));
    static final CpuBackend PLAIN3 = new CpuBackend(new CpuConfig(3, false));
    static final CpuBackend VECTOR3 = new CpuBackend(new CpuConfig(3, true));
    static final CpuBackend[] ALL = {PLAIN, VECTOR, PLAIN3, VECTOR3};

    @AfterAll
    static void close() {
        for (CpuBackend b : ALL) {
            b.close();
        }
    }

    // ================================================================ helpers

    static float[] randoms(long seed, int n, float lo, float hi) {
        Random r = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = lo + (hi - lo) * r.nextFloat();
        }
        return a;
    }

    static int size(int... dims) {
        int n = 1;
        for (int d : dims) {
            n *= d;
        }
        return n;
    }

    static int[] unravel(int flat, int[] dims) {
        int[] idx = new int[dims.length];
        for (int i = dims.length - 1; i >= 0; i--) {
            idx[i] = flat % dims[i];
            flat /= dims[i];
        }
        return idx;
    }

    static int ravel(int[] idx, int[] dims) {
        int flat = 0;
        for (int i = 0; i < dims.length; i++) {
            flat = flat * dims[i] + idx[i];
        }
        return flat;
    }

    /** Runs op on a backend inside a scope and returns its result's values. */
    static float[] on(CpuBackend be, Function<CpuBackend, Tensor> op) {
        try (TensorScope _ = TensorScope.open()) {
            return op.apply(be).toArray();
        }
    }

    /** The results of op on every backend: the plain single-thread result, checked equal bit for bit to the others. */
    static float[] samePathsExactly(String what, Function<CpuBackend, Tensor> op) {
        float[] plain = on(PLAIN, op);
        for (CpuBackend be : ALL) {
            float[] other = on(be, op);
            for (int i = 0; i < plain.length; i++) {
                if (Float.floatToIntBits(plain[i]) != Float.floatToIntBits(other[i])) {
                    fail(what + ": " + be.describe() + " gives " + other[i] + " at " + i + ", the plain loop "
                            + plain[i]);
                }
            }
            assertEquals(plain.length, other.length, what);
        }
        return plain;
    }

    /** As {@link #samePathsExactly} but allowing rounding differences (sums in another order). */
    static float[] samePathsClose(String what, double tol, Function<CpuBackend, Tensor> op) {
        float[] plain = on(PLAIN, op);
        for (CpuBackend be : ALL) {
            float[] other = on(be, op);
            assertClose(what + " on " + be.describe(), toDouble(plain), other, tol);
        }
        // The thread count never changes the bits (each output is computed by one thread in a fixed order).
        assertArrayEquals(on(VECTOR, op), on(VECTOR3, op), what + ": 1 vs 3 threads");
        assertArrayEquals(plain, on(PLAIN3, op), what + ": 1 vs 3 threads, plain");
        return plain;
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    /** |actual − expected| ≤ tol·(1 + |expected|) everywhere; NaN must match NaN and infinities exactly. */
    static void assertClose(String what, double[] expected, float[] actual, double tol) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i], a = actual[i];
            boolean ok = Double.isNaN(e) ? Double.isNaN(a)
                    : Double.isInfinite(e) ? e == a
                    : Math.abs(a - e) <= tol * (1 + Math.abs(e));
            if (!ok) {
                fail(what + ": element " + i + " is " + a + ", expected " + e + " (tolerance " + tol + ")");
            }
        }
    }

    static Tensor t(CpuBackend be, float[] data, int... dims) {
        return Ops.fromArray(be, Shape.of(dims), data);
    }

    // ================================================================ fills

    @Test
    void fillWritesTheValueEverywhere() {
        for (int n : new int[] {0, 1, LANES + 1, 100_003}) {
            float[] v = samePathsExactly("fill " + n, be -> Ops.full(be, Shape.of(n), -2.5f));
            for (float x : v) {
                assertEquals(-2.5f, x);
            }
        }
    }

    @Test
    void randomFillsAreTheRandomStreamExactly() {
        int n = 20_011; // several parallel chunks on 3 threads
        for (RandomStream.Distribution d : RandomStream.Distribution.values()) {
            float a = d == RandomStream.Distribution.UNIFORM ? -3f : 0.5f, b = d == RandomStream.Distribution.UNIFORM
                    ? 5f : 2f;
            float[] v = samePathsExactly("random " + d, be -> Ops.random(be, Shape.of(7, n / 7 + 1), d, 42L, a, b));
            for (int i = 0; i < v.length; i++) {
                assertEquals(RandomStream.sample(d, 42L, i, a, b), v[i], d + " at " + i);
            }
            float[] other = on(VECTOR, be -> Ops.random(be, Shape.of(v.length), d, 43L, a, b));
            assertTrue(!Arrays.equals(v, other), d + ": another seed gives other numbers");
        }
    }

    @Test
    void randomFillsHaveTheirDistributionsMoments() {
        int n = 50_000;
        float[] u = on(VECTOR3, be -> Ops.uniform(be, Shape.of(n), 7L, 2f, 4f));
        float[] g = on(VECTOR3, be -> Ops.normal(be, Shape.of(n), 7L, 1f, 3f));
        float[] tn = on(VECTOR3, be -> Ops.truncatedNormal(be, Shape.of(n), 7L, -1f, 0.5f));
        double[] mu = moments(u), mg = moments(g), mt = moments(tn);
        assertEquals(3.0, mu[0], 0.02);
        assertEquals(Math.sqrt(4.0 / 12), mu[1], 0.01);
        assertEquals(1.0, mg[0], 0.06);
        assertEquals(3.0, mg[1], 0.05);
        assertEquals(-1.0, mt[0], 0.01);
        // A normal cut at ±2σ has standard deviation 0.8796σ.
        assertEquals(0.8796 * 0.5, mt[1], 0.01);
        for (float x : u) {
            assertTrue(x >= 2f && x < 4f, "uniform in [2, 4): " + x);
        }
        for (float x : tn) {
            assertTrue(x >= -2f && x <= 0f, "truncated normal within mean ± 2σ: " + x);
        }
    }

    static double[] moments(float[] a) {
        double s = 0, q = 0;
        for (float x : a) {
            s += x;
        }
        double m = s / a.length;
        for (float x : a) {
            q += (x - m) * (x - m);
        }
        return new double[] {m, Math.sqrt(q / a.length)};
    }

    // ================================================================ unary, affine, clip

    static final float[] SPECIAL = {0f, -0f, 1f, -1f, 0.5f, -3.25f, 1e-30f, -1e30f, Float.MIN_VALUE,
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 88f, -104f, 2f};

    static float[] withSpecials(long seed, int n) {
        float[] a = randoms(seed, n, -4f, 4f);
        for (int i = 0; i < n; i += 3) {
            a[i] = SPECIAL[(i / 3) % SPECIAL.length];
        }
        return a;
    }

    @Test
    void unaryOpsFollowTheirFormulasOnBothPaths() {
        for (UnaryOp op : UnaryOp.values()) {
            for (int n : SIZES) {
                float[] x = withSpecials(n, n + 5);
                float[] y = samePathsExactly(op + " n=" + n, be -> Ops.unary(op, t(be, x, x.length)));
                for (int i = 0; i < x.length; i++) {
                    double v = x[i];
                    double e = switch (op) {
                        case NEG -> -v;
                        case ABS -> Math.abs(v);
                        case SQRT -> Math.sqrt(v);
                        case EXP -> Math.exp(v);
                        case LOG -> Math.log(v);
                        case RELU -> v > 0 ? v : (Double.isNaN(v) ? Double.NaN : 0.0);
                        case SQUARE -> v * v;
                        case RECIPROCAL -> 1.0 / v;
                    };
                    float expected = (float) e;
                    boolean ok = Float.isNaN(expected) ? Float.isNaN(y[i])
                            : Math.abs(y[i] - expected) <= Math.ulp(expected) || y[i] == expected;
                    assertTrue(ok, op + "(" + x[i] + ") = " + y[i] + ", expected " + expected);
                }
            }
        }
        // The sign of zero: relu(−0) = +0 (Math.max), −(+0) = −0.
        float[] r = on(VECTOR, be -> Ops.relu(t(be, new float[] {-0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f,
                -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f}, 17)));
        for (float v : r) {
            assertEquals(0, Float.floatToIntBits(v));
        }
    }

    @Test
    void unaryMayWriteIntoItsInput() {
        for (CpuBackend be : ALL) {
            try (TensorScope _ = TensorScope.open()) {
                float[] x = randoms(3, 2 * LANES + 3, -1, 1);
                Tensor a = t(be, x, x.length);
                be.unary(UnaryOp.RELU, a, a);
                be.affine(a, a, 2f, 1f);
                be.clip(a, a, 1.5f, 2.5f);
                float[] v = a.toArray();
                for (int i = 0; i < x.length; i++) {
                    assertEquals(Math.min(Math.max(2f * Math.max(x[i], 0f) + 1f, 1.5f), 2.5f), v[i]);
                }
            }
        }
    }

    @Test
    void affineAndClipFollowTheirFormulas() {
        for (int n : SIZES) {
            float[] x = withSpecials(n + 100, n);
            float[] y = samePathsExactly("affine", be -> Ops.affine(t(be, x, n), -1.5f, 0.25f));
            float[] c = samePathsExactly("clip", be -> Ops.clip(t(be, x, n), -1f, 0.5f));
            float[] c1 = samePathsExactly("one-sided clip", be -> Ops.clip(t(be, x, n), 0f,
                    Float.POSITIVE_INFINITY));
            for (int i = 0; i < n; i++) {
                assertEquals(-1.5f * x[i] + 0.25f, y[i]);
                float expected = x[i] < -1f ? -1f : x[i] > 0.5f ? 0.5f : x[i];
                assertEquals(expected, c[i], "clip(" + x[i] + ")");
                assertEquals(Float.isNaN(x[i]) ? Float.NaN : (x[i] > 0 ? x[i] : 0f), c1[i], "clip(" + x[i] + ", 0, ∞)");
            }
        }
    }

    // ================================================================ binary with broadcasting

    /** Pairs of shapes that broadcast, each hitting one of the kernel's row cases. */
    static final int[][][] BROADCASTS = {
            {{2, 3, 5, 7}, {2, 3, 5, 7}},          // equal: one row
            {{2, 3, 5, 7}, {1, 3, 1, 1}},          // per-channel bias over NCHW: rows of H·W, b repeated
            {{2, 3, 5, 7}, {3, 1, 1}},             // the same, b of lower rank
            {{1, 3, 1, 1}, {2, 3, 5, 7}},          // a repeated, b contiguous
            {{4, LANES + 1}, {LANES + 1}},         // linear bias: a row per sample
            {{LANES - 1 > 0 ? LANES - 1 : 1, 1}, {1, 2 * LANES + 3}}, // outer product of a column and a row
            {{2, 1, 5}, {3, 1}},                   // both broadcast on different axes
            {{}, {2, LANES}},                      // a scalar
            {{2, LANES}, {1}},                     // b a one-element vector
            {{3, 1, 4, 1}, {1, 5, 1, 6}},
            {{1}, {1}},
            {{0, 3}, {3}},                         // empty
    };

    @Test
    void binaryOpsBroadcastLikeNumPy() {
        for (int[][] pair : BROADCASTS) {
            int[] ad = pair[0], bd = pair[1];
            float[] a = withSpecials(size(ad) + 1, size(ad)), b = randoms(size(bd) + 2, size(bd), -3f, 3f);
            for (int i = 0; i < b.length; i += 5) {
                b[i] = SPECIAL[i % SPECIAL.length];
            }
            int[] od = Ops.broadcastShape("test", Shape.of(ad), Shape.of(bd)).dims();
            for (BinaryOp op : BinaryOp.values()) {
                String what = op + " " + Arrays.toString(ad) + " with " + Arrays.toString(bd);
                float[] z = samePathsExactly(what, be -> Ops.binary(op, t(be, a, ad), t(be, b, bd)));
                assertEquals(size(od), z.length, what);
                for (int i = 0; i < z.length; i++) {
                    int[] idx = unravel(i, od);
                    float x = a[broadcastIndex(idx, ad)], y = b[broadcastIndex(idx, bd)];
                    float e = switch (op) {
                        case ADD -> x + y;
                        case SUB -> x - y;
                        case MUL -> x * y;
                        case DIV -> x / y;
                        case MAX -> Float.isNaN(x) || Float.isNaN(y) ? Float.NaN : (x >= y ? x : y);
                        case MIN -> Float.isNaN(x) || Float.isNaN(y) ? Float.NaN : (x <= y ? x : y);
                    };
                    if (!(Float.isNaN(e) && Float.isNaN(z[i])) && !(e == z[i])) {
                        fail(what + " at " + Arrays.toString(idx) + ": f(" + x + ", " + y + ") = " + z[i]
                                + ", expected " + e);
                    }
                }
            }
        }
    }

    /** The flat index in an input of shape dims (right-aligned) of output multi-index idx. */
    static int broadcastIndex(int[] idx, int[] dims) {
        int shift = idx.length - dims.length, flat = 0;
        for (int i = 0; i < dims.length; i++) {
            flat = flat * dims[i] + (dims[i] == 1 ? 0 : idx[i + shift]);
        }
        return flat;
    }

    @Test
    void binaryMayWriteIntoItsFirstInput() {
        for (CpuBackend be : ALL) {
            try (TensorScope _ = TensorScope.open()) {
                float[] y = randoms(1, 3 * (LANES + 1), -1, 1), bias = randoms(2, LANES + 1, -1, 1);
                Tensor a = t(be, y, 3, LANES + 1);
                be.binary(BinaryOp.ADD, a, a, t(be, bias, LANES + 1));
                float[] v = a.toArray();
                for (int i = 0; i < v.length; i++) {
                    assertEquals(y[i] + bias[i % (LANES + 1)], v[i]);
                }
            }
        }
    }

    // ================================================================ reductions

    @Test
    void reductionsOverEveryAxisSet() {
        int[][] shapes = {{2, 3, 4, 5}, {LANES + 1, 3}, {3, 2 * LANES + 1}, {1, 7, 1, 3}, {2, 1, LANES - 1 > 0
                ? LANES - 1 : 2, 1}, {5}};
        for (int[] dims : shapes) {
            int r = dims.length;
            float[] x = randoms(size(dims), size(dims), -2f, 3f);
            for (int mask = 0; mask < (1 << r); mask++) {
                int[] axes = new int[Integer.bitCount(mask)];
                boolean[] flag = new boolean[r];
                for (int i = 0, k = 0; i < r; i++) {
                    if ((mask & (1 << i)) != 0) {
                        axes[k++] = i;
                        flag[i] = true;
                    }
                }
                if (axes.length == 0) {
                    continue; // no axes given means all axes: covered by mask = all
                }
                for (ReduceOp op : ReduceOp.values()) {
                    String what = op + " of " + Arrays.toString(dims) + " over " + Arrays.toString(axes);
                    float[] got = samePathsClose(what, 1e-6, be -> Ops.reduce(op, t(be, x, dims), true, axes));
                    assertClose(what, referenceReduce(op, x, dims, flag), got, 1e-6);
                    // Without keepdims the same values in the same order.
                    float[] dropped = on(VECTOR, be -> Ops.reduce(op, t(be, x, dims), false, axes));
                    assertArrayEquals(on(VECTOR, be -> Ops.reduce(op, t(be, x, dims), true, axes)), dropped, what);
                }
            }
        }
    }

    static double[] referenceReduce(ReduceOp op, float[] x, int[] dims, boolean[] flag) {
        int[] od = dims.clone();
        for (int i = 0; i < dims.length; i++) {
            if (flag[i]) {
                od[i] = 1;
            }
        }
        double[] out = new double[size(od)];
        int[] count = new int[out.length];
        Arrays.fill(out, op == ReduceOp.MAX ? Double.NEGATIVE_INFINITY : 0);
        for (int i = 0; i < x.length; i++) {
            int[] idx = unravel(i, dims);
            for (int a = 0; a < idx.length; a++) {
                if (flag[a]) {
                    idx[a] = 0;
                }
            }
            int o = ravel(idx, od);
            out[o] = op == ReduceOp.MAX ? Math.max(out[o], x[i]) : out[o] + x[i];
            count[o]++;
        }
        if (op == ReduceOp.MEAN) {
            for (int o = 0; o < out.length; o++) {
                out[o] /= count[o];
            }
        }
        return out;
    }

    @Test
    void reductionEdgeCases() {
        // A long run: the sum is accumulated in double, so it is the exactly rounded sum of these values.
        int n = 1 << 20;
        float[] x = new float[n];
        Arrays.fill(x, 0.1f);
        double exact = (double) 0.1f * n;
        float[] s = samePathsClose("long sum", 0, be -> Ops.sum(t(be, x, n)));
        assertEquals((float) exact, s[0]);
        // Empty reduced axes: the sum is 0, the mean 0/0.
        assertEquals(0f, on(VECTOR, be -> Ops.sum(Ops.zeros(be, Shape.of(3, 0)), 1))[1]);
        assertTrue(Float.isNaN(on(PLAIN, be -> Ops.mean(Ops.zeros(be, Shape.of(3, 0)), 1))[2]));
        // A scalar reduces to itself.
        assertEquals(4f, on(VECTOR, be -> Ops.sum(t(be, new float[] {4f})))[0]);
        // The max sees −∞ and +∞; a global average pool is the mean over H, W.
        float[] m = on(VECTOR, be -> Ops.reduce(ReduceOp.MAX, t(be, new float[] {Float.NEGATIVE_INFINITY, -1e38f,
                Float.POSITIVE_INFINITY, 0f}, 2, 2), false, 1));
        assertArrayEquals(new float[] {-1e38f, Float.POSITIVE_INFINITY}, m);
        float[] g = on(VECTOR, be -> Ops.globalAvgPool(t(be, new float[] {1, 2, 3, 4, 10, 20, 30, 40}, 1, 2, 2, 2)));
        assertArrayEquals(new float[] {2.5f, 25f}, g);
    }

    // ================================================================ concat and slice

    @Test
    void concatAndSliceAlongEveryAxis() {
        int[] dims = {2, 3, LANES + 1, 5};
        for (int axis = 0; axis < dims.length; axis++) {
            int ax = axis;
            int[] sizes = {1, dims[axis] - 1 > 0 ? dims[axis] - 1 : 1, 2};
            float[][] parts = new float[sizes.length][];
            int[][] pd = new int[sizes.length][];
            for (int p = 0; p < sizes.length; p++) {
                pd[p] = dims.clone();
                pd[p][axis] = sizes[p];
                parts[p] = randoms(p * 10 + axis, size(pd[p]), -1, 1);
            }
            float[] cat = samePathsExactly("concat axis " + axis, be -> {
                Tensor[] ts = new Tensor[sizes.length];
                for (int p = 0; p < sizes.length; p++) {
                    ts[p] = t(be, parts[p], pd[p]);
                }
                return Ops.concat(ax, ts);
            });
            int[] od = dims.clone();
            od[axis] = Arrays.stream(sizes).sum();
            for (int i = 0; i < cat.length; i++) {
                int[] idx = unravel(i, od);
                int p = 0, k = idx[axis];
                while (k >= sizes[p]) {
                    k -= sizes[p++];
                }
                idx[axis] = k;
                assertEquals(parts[p][ravel(idx, pd[p])], cat[i], "concat axis " + axis + " at " + i);
            }
            // Slicing the concatenation gives the parts back; a split is the same slices.
            for (int p = 0, start = 0; p < sizes.length; start += sizes[p], p++) {
                int st = start, len = sizes[p];
                float[] back = samePathsExactly("slice axis " + axis, be -> Ops.slice(t(be, cat, od), ax, st, len));
                assertArrayEquals(parts[p], back, "slice " + p + " along axis " + axis);
            }
            float[] second = on(VECTOR3, be -> Ops.split(t(be, cat, od), ax, sizes)[1]);
            assertArrayEquals(parts[1], second, "split along axis " + axis);
        }
    }

    @Test
    void concatWithANegativeAxisAndEmptyParts() {
        float[] v = on(VECTOR, be -> Ops.concat(-1, t(be, new float[] {1, 2}, 2, 1), Ops.zeros(be, Shape.of(2, 0)),
                t(be, new float[] {3, 4, 5, 6}, 2, 2)));
        assertArrayEquals(new float[] {1, 3, 4, 2, 5, 6}, v);
    }

    // ================================================================ batch norm

    static final int[][] BN_SHAPES = {{2, 3, 5, 7}, {1, 2, LANES, 1}, {3, 2, LANES + 1, 1}, {2, 4, 1, 1},
            {4, 3}, {1, 5, 3, 3}, {2, 3, 11, 13},
            // Planes shorter than a vector with runs of channels longer than one (BatchNormSmallPlanes)
            {3, 2 * LANES + 3, 3, 3}, {5, 3 * LANES + 1, 1, 1}, {2, 4 * LANES + 1, 2, 2}};

    @Test
    void batchNormInferenceFollowsTheFormula() {
        for (int[] dims : BN_SHAPES) {
            int c = dims[1];
            float[] x = randoms(1, size(dims), -3, 3), g = randoms(2, c, 0.5f, 2f), b = randoms(3, c, -1, 1),
                    m = randoms(4, c, -1, 1), var = randoms(5, c, 0.25f, 2f);
            float eps = 1e-3f;
            float[] out = samePathsExactly("bn inference " + Arrays.toString(dims), be -> Ops.batchNorm(t(be, x, dims),
                    t(be, g, c), t(be, b, c), t(be, m, c), t(be, var, c), eps));
            double[] expected = new double[x.length];
            int s = x.length / (dims[0] * c);
            for (int i = 0; i < x.length; i++) {
                int ch = (i / s) % c;
                expected[i] = g[ch] * (x[i] - (double) m[ch]) / Math.sqrt(var[ch] + (double) eps) + b[ch];
            }
            assertClose("bn inference " + Arrays.toString(dims), expected, out, 1e-5);
        }
    }

    @Test
    void batchNormTrainingNormalizesAndUpdatesRunningStatistics() {
        for (int[] dims : BN_SHAPES) {
            int n = dims[0], c = dims[1], s = size(dims) / (n * c), m = n * s;
            float[] x = randoms(11, size(dims), -2, 4), g = randoms(12, c, 0.5f, 2f), b = randoms(13, c, -1, 1),
                    rm0 = randoms(14, c, -1, 1), rv0 = randoms(15, c, 0.5f, 2f);
            float eps = 1e-3f, momentum = 0.1f;
            String what = "bn training " + Arrays.toString(dims);
            List<float[]> results = new ArrayList<>();
            for (CpuBackend be : ALL) {
                try (TensorScope _ = TensorScope.open()) {
                    Tensor rm = t(be, rm0, c), rv = t(be, rv0, c);
                    Ops.BatchNormResult r = Ops.batchNormTraining(t(be, x, dims), t(be, g, c), t(be, b, c), rm, rv,
                            eps, momentum);
                    results.add(r.out().toArray());
                    results.add(r.mean().toArray());
                    results.add(r.invStd().toArray());
                    results.add(rm.toArray());
                    results.add(rv.toArray());
                }
            }
            // Reference in double, two passes.
            double[] mean = new double[c], var = new double[c];
            for (int i = 0; i < x.length; i++) {
                mean[(i / s) % c] += x[i];
            }
            for (int ch = 0; ch < c; ch++) {
                mean[ch] /= m;
            }
            for (int i = 0; i < x.length; i++) {
                int ch = (i / s) % c;
                var[ch] += (x[i] - mean[ch]) * (x[i] - mean[ch]);
            }
            double[] invStd = new double[c], rm = new double[c], rv = new double[c];
            for (int ch = 0; ch < c; ch++) {
                var[ch] /= m;
                invStd[ch] = 1 / Math.sqrt(var[ch] + eps);
                rm[ch] = (1 - momentum) * rm0[ch] + momentum * mean[ch];
                rv[ch] = (1 - momentum) * rv0[ch] + momentum * (m > 1 ? var[ch] * m / (m - 1) : var[ch]);
            }
            double[] out = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                int ch = (i / s) % c;
                out[i] = g[ch] * (x[i] - mean[ch]) * invStd[ch] + b[ch];
            }
            double[][] expected = {out, mean, invStd, rm, rv};
            String[] names = {"out", "saveMean", "saveInvStd", "runningMean", "runningVar"};
            for (int k = 0; k < results.size(); k++) {
                assertClose(what + " " + names[k % 5] + " on " + ALL[k / 5].describe(), expected[k % 5], results.get(k),
                        k % 5 == 0 ? 1e-5 : 2e-6);
            }
            // Per output, every path agrees to the last bit or nearly (double statistics, rounded once).
            for (int k = 5; k < results.size(); k++) {
                assertClose(what + " " + names[k % 5] + ": paths", toDouble(results.get(k % 5)), results.get(k), 1e-6);
            }
            // The same thread count or not, the bits do not depend on it.
            for (int k = 0; k < 5; k++) {
                assertArrayEquals(results.get(k), results.get(10 + k), what + " " + names[k] + ": 1 vs 3 threads, plain");
                assertArrayEquals(results.get(5 + k), results.get(15 + k), what + " " + names[k] + ": 1 vs 3 threads");
            }
        }
    }

    @Test
    void batchNormTrainingByHand() {
        // One channel, values 1, 2, 3, 6: μ = 3, σ² = (4 + 1 + 0 + 9)/4 = 3.5, unbiased 14/3.
        float[] x = {1, 2, 3, 6};
        for (CpuBackend be : ALL) {
            try (TensorScope _ = TensorScope.open()) {
                Tensor rm = t(be, new float[] {10f}, 1), rv = t(be, new float[] {2f}, 1);
                Ops.BatchNormResult r = Ops.batchNormTraining(t(be, x, 2, 1, 2), t(be, new float[] {2f}, 1),
                        t(be, new float[] {0.5f}, 1), rm, rv, 0.5f, 0.25f);
                float invStd = (float) (1 / Math.sqrt(4.0));
                assertEquals(3f, r.mean().item());
                assertEquals(invStd, r.invStd().item());
                assertArrayEquals(new float[] {-1.5f, -0.5f, 0.5f, 3.5f}, r.out().toArray(), 1e-6f);
                assertEquals(0.75f * 10f + 0.25f * 3f, rm.item(), 1e-6f);
                assertEquals(0.75f * 2f + 0.25f * 14f / 3f, rv.item(), 1e-6f);
            }
        }
        // M = 1: the unbiased variance is taken as σ² = 0.
        try (TensorScope _ = TensorScope.open()) {
            Tensor rv = t(VECTOR, new float[] {1f, 1f}, 2);
            Ops.batchNormTraining(t(VECTOR, new float[] {3f, 4f}, 1, 2), Ops.full(VECTOR, Shape.of(2), 1f),
                    Ops.zeros(VECTOR, Shape.of(2)), Ops.zeros(VECTOR, Shape.of(2)), rv, 1e-5f, 0.5f);
            assertArrayEquals(new float[] {0.5f, 0.5f}, rv.toArray());
        }
    }

    // ================================================================ pooling

    @Test
    void averagePoolBordersByHand() {
        // 3x3 all ones, 3x3 / stride 1 / pad 1: counting the padded zeros, a corner sees 4 ones of 9
        // cells and an edge 6; not counting them, every output is 1.
        float[] ones = new float[9];
        Arrays.fill(ones, 1f);
        Pool2dSpec spec = Pool2dSpec.of(3, 1, 1);
        float[] counted = samePathsExactly("avg counted", be -> Ops.avgPool2d(t(be, ones, 1, 1, 3, 3), spec));
        assertArrayEquals(new float[] {4 / 9f, 6 / 9f, 4 / 9f, 6 / 9f, 1f, 6 / 9f, 4 / 9f, 6 / 9f, 4 / 9f}, counted,
                1e-7f);
        float[] excluded = samePathsExactly("avg excluded", be -> Ops.avgPool2d(t(be, ones, 1, 1, 3, 3),
                spec.withCountIncludePad(false)));
        for (float v : excluded) {
            assertEquals(1f, v);
        }
    }

    @Test
    void maxPoolByHand() {
        // 4x4 of 0..15, 2x2 stride 2: the bottom-right of each block.
        float[] x = new float[16];
        for (int i = 0; i < 16; i++) {
            x[i] = i;
        }
        assertArrayEquals(new float[] {5, 7, 13, 15}, samePathsExactly("max 2x2/2", be -> Ops.maxPool2d(t(be, x, 1, 1,
                4, 4), Pool2dSpec.of(2, 2, 0))));
        // Padding is −∞: with all-negative input, a padded max is still the largest real value.
        float[] neg = {-5, -4, -3, -2};
        assertArrayEquals(new float[] {-5, -4, -4, -3, -2, -2, -3, -2, -2}, samePathsExactly("max padded",
                be -> Ops.maxPool2d(t(be, neg, 1, 1, 2, 2), Pool2dSpec.of(2, 1, 1))));
    }

    @Test
    void ceilModeWindowsByHand() {
        // 5x5 of 0..24, 2x2 stride 2, ceil mode: 3x3 outputs; the last row/column of windows hangs
        // past the input. Those cells are never counted, not even with countIncludePad.
        float[] x = new float[25];
        for (int i = 0; i < 25; i++) {
            x[i] = i;
        }
        Pool2dSpec ceil = new Pool2dSpec(2, 2, 2, 2, 0, 0, 0, 0, 1, 1, true, true);
        float[] avg = samePathsExactly("avg ceil", be -> Ops.avgPool2d(t(be, x, 1, 1, 5, 5), ceil));
        assertArrayEquals(new float[] {
                (0 + 1 + 5 + 6) / 4f, (2 + 3 + 7 + 8) / 4f, (4 + 9) / 2f,
                (10 + 11 + 15 + 16) / 4f, (12 + 13 + 17 + 18) / 4f, (14 + 19) / 2f,
                (20 + 21) / 2f, (22 + 23) / 2f, 24f}, avg);
        float[] max = samePathsExactly("max ceil", be -> Ops.maxPool2d(t(be, x, 1, 1, 5, 5), ceil));
        assertArrayEquals(new float[] {6, 8, 9, 16, 18, 19, 21, 23, 24}, max);
        // With padding 1 and ceil, 4x4 input, 3x3 stride 2: outputs 3x3 (ceil((4+2-3)/2)+1 = 3);
        // the last window starts at row 3 and covers rows 3 (real), 4 (end padding, counted), 5 (past it).
        float[] y = new float[16];
        Arrays.fill(y, 1f);
        Pool2dSpec padCeil = new Pool2dSpec(3, 3, 2, 2, 1, 1, 1, 1, 1, 1, true, true);
        float[] a = samePathsExactly("avg pad ceil", be -> Ops.avgPool2d(t(be, y, 1, 1, 4, 4), padCeil));
        // Rows of window 0: −1 (padding), 0, 1 → 2 real of 3 counted; window 1: 1, 2, 3 → 3 of 3;
        // window 2: 3, 4 (padding), 5 (past) → 1 real of 2 counted.
        float[] real = {2, 3, 1}, counted = {3, 3, 2};
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 3; c++) {
                assertEquals(real[r] * real[c] / (counted[r] * counted[c]), a[r * 3 + c], 1e-7f, "(" + r + "," + c + ")");
            }
        }
    }

    @Test
    void poolingMatchesTheReferenceOnInceptionAndOddShapes() {
        Object[][] cases = {
                {new int[] {2, 3, 35, 35}, Pool2dSpec.of(3, 2, 0)},                          // Inception reduction max pool
                {new int[] {2, 3, 15, 15}, Pool2dSpec.of(3, 2, 0)},                          // the same on small planes
                {new int[] {2, 3, 7, 7}, Pool2dSpec.of(3, 2, 0)},
                {new int[] {2, 3, 7, 7}, Pool2dSpec.of(3, 1, 1)},                            // branch avg pool, small plane
                {new int[] {1, 2, 7, 7}, Pool2dSpec.of(3, 1, 1).withCountIncludePad(false)},
                // Planes narrower than a vector (a 75x75 input's branch pools): blocks of as many
                // planes as lanes, across images, then the planes left over one at a time
                {new int[] {3, 2 * LANES - 5, 3, 3}, Pool2dSpec.of(3, 1, 1)},
                {new int[] {2, LANES + 3, 3, 3}, Pool2dSpec.of(3, 1, 1).withCountIncludePad(false)},
                {new int[] {4, LANES, 1, 1}, Pool2dSpec.of(3, 1, 1)},
                {new int[] {2, LANES + 1, 5, 4}, new Pool2dSpec(3, 2, 1, 2, 2, 1, 1, 0, 2, 1, true, true)},
                {new int[] {1, LANES - 1, 3, 3}, Pool2dSpec.of(3, 1, 1)},
                {new int[] {1, 2, 17, 17}, Pool2dSpec.of(3, 1, 1)},                          // Inception branch avg pool
                {new int[] {1, 2, 17, 17}, Pool2dSpec.of(3, 1, 1).withCountIncludePad(false)},
                {new int[] {1, 2, 8, 8}, Pool2dSpec.of(8, 1, 0)},                            // a global pool
                {new int[] {2, 1, LANES + 2, LANES + 3}, Pool2dSpec.of(3, 1, 1)},
                {new int[] {1, 1, 1, 1}, Pool2dSpec.of(1, 1, 0)},
                {new int[] {1, 1, 3, 2 * LANES + 1}, new Pool2dSpec(2, 3, 1, 1, 0, 1, 1, 2, 1, 2, false, false)},
                {new int[] {1, 2, 9, 2 * LANES + 5}, new Pool2dSpec(3, 2, 2, 1, 2, 0, 1, 1, 2, 1, true, true)},
                {new int[] {1, 1, 7, 30}, new Pool2dSpec(2, 4, 3, 1, 1, 3, 1, 0, 1, 1, true, false)},
        };
        for (Object[] c : cases) {
            int[] dims = (int[]) c[0];
            Pool2dSpec spec = (Pool2dSpec) c[1];
            checkPool(dims, spec, 17);
        }
    }

    /** Random geometries: both pools, both paths, against the reference. */
    @Test
    void poolingOnRandomGeometries() {
        Random r = new Random(2024);
        for (int trial = 0; trial < 150; trial++) {
            int kh = 1 + r.nextInt(4), kw = 1 + r.nextInt(4), dh = 1 + r.nextInt(2), dw = 1 + r.nextInt(2);
            int eh = dh * (kh - 1) + 1, ew = dw * (kw - 1) + 1;
            int h = eh + r.nextInt(12), w = ew + r.nextInt(2 * LANES + 6);
            Pool2dSpec spec = new Pool2dSpec(kh, kw, 1 + r.nextInt(3), r.nextInt(3) == 0 ? 2 : 1,
                    r.nextInt(eh), r.nextInt(ew), r.nextInt(eh), r.nextInt(ew), dh, dw, r.nextBoolean(),
                    r.nextBoolean());
            checkPool(new int[] {1 + r.nextInt(2), 1 + r.nextInt(3), h, w}, spec, trial);
        }
    }

    static void checkPool(int[] dims, Pool2dSpec spec, long seed) {
        // Multiples of 1/64: every window sum is exact in float, so the average is the exactly
        // rounded quotient and can be held to an ulp.
        float[] x = randoms(seed, size(dims), -5, 5);
        for (int i = 0; i < x.length; i++) {
            x[i] = Math.round(x[i] * 64) / 64f;
        }
        String what = Arrays.toString(dims) + " " + spec;
        float[] max = samePathsExactly("maxPool2d " + what, be -> Ops.maxPool2d(t(be, x, dims), spec));
        float[] avg = samePathsExactly("avgPool2d " + what, be -> Ops.avgPool2d(t(be, x, dims), spec));
        assertClose("maxPool2d " + what, referencePool(x, dims, spec, true), max, 0);
        assertClose("avgPool2d " + what, referencePool(x, dims, spec, false), avg, 1e-7);
    }

    /** Pooling from the definition, in double: every window cell visited, classified as real, padding or beyond. */
    static double[] referencePool(float[] x, int[] dims, Pool2dSpec s, boolean max) {
        int planes = dims[0] * dims[1], h = dims[2], w = dims[3], oh = s.outH(h), ow = s.outW(w);
        double[] out = new double[planes * oh * ow];
        for (int p = 0; p < planes; p++) {
            for (int r = 0; r < oh; r++) {
                for (int c = 0; c < ow; c++) {
                    double acc = max ? Double.NEGATIVE_INFINITY : 0;
                    int real = 0, inPadded = 0;
                    for (int i = 0; i < s.kernelH(); i++) {
                        for (int j = 0; j < s.kernelW(); j++) {
                            int ih = r * s.strideH() - s.padTop() + i * s.dilationH();
                            int iw = c * s.strideW() - s.padLeft() + j * s.dilationW();
                            boolean isReal = ih >= 0 && ih < h && iw >= 0 && iw < w;
                            boolean padded = ih >= -s.padTop() && ih < h + s.padBottom() && iw >= -s.padLeft()
                                    && iw < w + s.padRight();
                            if (isReal) {
                                double v = x[p * h * w + ih * w + iw];
                                acc = max ? Math.max(acc, v) : acc + v;
                                real++;
                            }
                            if (padded) {
                                inPadded++;
                            }
                        }
                    }
                    out[(p * oh + r) * ow + c] = max ? acc : acc / (s.countIncludePad() ? inPadded : real);
                }
            }
        }
        return out;
    }

    // ================================================================ softmax

    @Test
    void softmaxAlongEveryAxis() {
        int[] dims = {3, LANES + 1, 4};
        float[] x = randoms(9, size(dims), -10, 10);
        for (int axis = 0; axis < 3; axis++) {
            int ax = axis;
            float[] sm = samePathsExactly("softmax axis " + axis, be -> Ops.softmax(t(be, x, dims), ax));
            float[] lsm = samePathsExactly("logSoftmax axis " + axis, be -> Ops.logSoftmax(t(be, x, dims), ax));
            double[][] ref = referenceSoftmax(x, dims, axis);
            assertClose("softmax axis " + axis, ref[0], sm, 1e-6);
            assertClose("logSoftmax axis " + axis, ref[1], lsm, 1e-6);
        }
    }

    static double[][] referenceSoftmax(float[] x, int[] dims, int axis) {
        double[] sm = new double[x.length], lsm = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            int[] idx = unravel(i, dims);
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int k = 0; k < dims[axis]; k++) {
                idx[axis] = k;
                max = Math.max(max, x[ravel(idx, dims)]);
            }
            for (int k = 0; k < dims[axis]; k++) {
                idx[axis] = k;
                sum += Math.exp(x[ravel(idx, dims)] - max);
            }
            sm[i] = Math.exp(x[i] - max) / sum;
            lsm[i] = x[i] - max - Math.log(sum);
        }
        return new double[][] {sm, lsm};
    }

    @Test
    void softmaxIsStableForLargeLogits() {
        float[] x = {1000f, 1001f, 1002f, -1000f};
        float[] sm = on(VECTOR, be -> Ops.softmax(t(be, x, 1, 4), 1));
        double z = 1 + Math.exp(-1) + Math.exp(-2);
        assertArrayEquals(new float[] {(float) (Math.exp(-2) / z), (float) (Math.exp(-1) / z), (float) (1 / z), 0f}, sm,
                1e-7f);
        float[] lsm = on(VECTOR, be -> Ops.logSoftmax(t(be, x, 1, 4), -1));
        assertEquals((float) -Math.log(z), lsm[2], 1e-6f);
        assertEquals((float) (-2002 - Math.log(z)), lsm[3], 1e-3f);
    }

    // ================================================================ dropout

    @Test
    void dropoutMaskFollowsTheRandomStream() {
        int n = 100_003;
        float p = 0.3f;
        float[] x = randoms(5, n, -1, 1);
        List<float[]> masks = new ArrayList<>();
        for (CpuBackend be : ALL) {
            try (TensorScope _ = TensorScope.open()) {
                Ops.DropoutResult r = Ops.dropout(t(be, x, n), p, 99L);
                float[] out = r.out().toArray(), mask = r.mask().toArray();
                float keep = 1f / (1f - p);
                int dropped = 0;
                for (int i = 0; i < n; i++) {
                    boolean drop = RandomStream.uniform(99L, i) < p;
                    assertEquals(drop ? 0f : keep, mask[i], "mask at " + i);
                    assertEquals(x[i] * mask[i], out[i], "out at " + i);
                    dropped += drop ? 1 : 0;
                }
                // Binomial(n, p): within 5 standard deviations.
                assertEquals(p, dropped / (double) n, 5 * Math.sqrt(p * (1 - p) / n));
                masks.add(mask);
            }
        }
        for (float[] m : masks) {
            assertArrayEquals(masks.get(0), m, "the mask does not depend on the path or thread count");
        }
        float[] other = on(VECTOR, be -> Ops.dropout(t(be, x, n), p, 100L).mask());
        assertNotEquals(Arrays.hashCode(masks.get(0)), Arrays.hashCode(other), "another seed, another mask");
        float[] none = on(VECTOR, be -> Ops.dropout(t(be, x, n), 0f, 1L).out());
        assertArrayEquals(x, none, "p = 0 keeps everything unscaled");
    }

    // ================================================================ work split across threads

    /**
     * Inputs large enough that every kernel cuts its work into several chunks on 3 threads (rows of
     * a broadcast or a reduction cut in the middle included): the same bits as one thread.
     */
    @Test
    void largeInputsSplitAcrossThreadsGiveTheSameBits() {
        int[] dims = {2, 3, 101, 111}, wide = {3, 40_001};
        float[] x = randoms(41, size(dims), -2, 2), y = randoms(42, size(dims), -2, 2), ch = randoms(43, 3, 0.5f, 2),
                w = randoms(44, size(wide), -2, 2), row = randoms(45, wide[1], -1, 1);
        samePathsExactly("equal shapes", be -> Ops.sub(t(be, x, dims), t(be, y, dims)));
        samePathsExactly("per channel", be -> Ops.div(t(be, x, dims), t(be, ch, 3, 1, 1)));
        samePathsExactly("long rows", be -> Ops.binary(BinaryOp.MAX, t(be, w, wide), t(be, row, wide[1])));
        samePathsExactly("unary", be -> Ops.unary(UnaryOp.SQUARE, t(be, x, dims)));
        samePathsExactly("bn", be -> Ops.batchNorm(t(be, x, dims), t(be, ch, 3), t(be, ch, 3), t(be, ch, 3),
                t(be, ch, 3), 1e-3f));
        samePathsClose("bn training", 1e-6, be -> Ops.batchNormTraining(t(be, x, dims), t(be, ch, 3), t(be, ch, 3),
                Ops.zeros(be, Shape.of(3)), Ops.zeros(be, Shape.of(3)), 1e-3f, 0.1f).out());
        // 1×1 planes: channel ranges split across threads (BatchNormSmallPlanes), forward and backward.
        int[] flat = {2, 50_001, 1, 1};
        float[] f = randoms(46, size(flat), -2, 2), fg = randoms(47, flat[1], 0.5f, 2), fdy = randoms(48, size(flat), -1, 1);
        samePathsClose("bn training, 1x1 planes", 1e-6, be -> Ops.batchNormTraining(t(be, f, flat), t(be, fg, flat[1]),
                t(be, fg, flat[1]), Ops.zeros(be, Shape.of(flat[1])), Ops.zeros(be, Shape.of(flat[1])), 1e-3f, 0.1f).out());
        samePathsClose("bn backward, 1x1 planes", 1e-5, be -> Ops.batchNormBackward(t(be, fdy, flat), t(be, f, flat),
                t(be, fg, flat[1]), t(be, fg, flat[1]), t(be, fg, flat[1])).dx());
        samePathsExactly("pool", be -> Ops.avgPool2d(t(be, x, dims), Pool2dSpec.of(3, 1, 1)));
        samePathsExactly("max pool", be -> Ops.maxPool2d(t(be, x, dims), Pool2dSpec.of(3, 2, 0)));
        samePathsExactly("softmax", be -> Ops.softmax(t(be, w, wide), 0));
        samePathsExactly("concat", be -> Ops.concat(1, t(be, x, dims), t(be, y, dims)));
        samePathsExactly("max over rows", be -> Ops.reduce(ReduceOp.MAX, t(be, w, wide), false, 0));
        float[] sum = samePathsClose("sum over rows", 1e-6, be -> Ops.sum(t(be, w, wide), 0));
        assertClose("sum over rows", referenceReduce(ReduceOp.SUM, w, wide, new boolean[] {true, false}), sum, 1e-6);
        float[] mean = samePathsClose("mean over H, W", 1e-6, be -> Ops.mean(t(be, x, dims), 2, 3));
        assertClose("mean over H, W", referenceReduce(ReduceOp.MEAN, x, dims, new boolean[] {false, false, true, true}),
                mean, 1e-6);
    }

    // ================================================================ determinism under the JIT

    /**
     * The first calls of a kernel run interpreted, later ones JIT-compiled with the Vector API
     * intrinsics: the bits must not change between them (nor, for the exact kernels, differ from
     * the plain loop). Enough repetitions on a mid-size tensor get the vector loops compiled.
     */
    @Test
    void resultsDoNotChangeOnceTheKernelsAreCompiled() {
        int[] dims = {2, 8, 35, 35};
        int c = dims[1];
        float[] x = randoms(31, size(dims), -2, 2), y = randoms(32, size(dims), -2, 2), ch = randoms(33, c, 0.5f, 2);
        List<Function<CpuBackend, Tensor>> exact = List.of(
                be -> Ops.add(t(be, x, dims), t(be, y, dims)),
                be -> Ops.mul(t(be, x, dims), t(be, ch, 1, c, 1, 1)),
                be -> Ops.sqrt(Ops.relu(t(be, x, dims))),
                be -> Ops.clip(Ops.affine(t(be, x, dims), 3f, -1f), -1f, 1f),
                be -> Ops.batchNorm(t(be, x, dims), t(be, ch, c), t(be, ch, c), t(be, ch, c), t(be, ch, c), 1e-3f),
                be -> Ops.avgPool2d(t(be, x, dims), Pool2dSpec.of(3, 1, 1)),
                be -> Ops.avgPool2d(t(be, x, dims), Pool2dSpec.of(3, 1, 1).withCountIncludePad(false)),
                be -> Ops.maxPool2d(t(be, x, dims), Pool2dSpec.of(3, 2, 0)),
                be -> Ops.reduce(ReduceOp.MAX, t(be, x, dims), true, 0, 2));
        List<Function<CpuBackend, Tensor>> sums = List.of(
                be -> Ops.mean(t(be, x, dims), 2, 3),
                be -> Ops.sum(t(be, x, dims), 0),
                be -> Ops.batchNormTraining(t(be, x, dims), t(be, ch, c), t(be, ch, c), Ops.zeros(be, Shape.of(c)),
                        Ops.zeros(be, Shape.of(c)), 1e-3f, 0.1f).out());
        for (int k = 0; k < exact.size() + sums.size(); k++) {
            boolean isExact = k < exact.size();
            Function<CpuBackend, Tensor> op = isExact ? exact.get(k) : sums.get(k - exact.size());
            float[] plain = on(PLAIN, op), first = on(VECTOR, op);
            if (isExact) {
                assertArrayEquals(plain, first, "op " + k + ": vector vs plain");
            } else {
                assertClose("op " + k + ": vector vs plain", toDouble(plain), first, 1e-6);
            }
            for (int rep = 0; rep < 30; rep++) {
                assertArrayEquals(first, on(VECTOR, op), "op " + k + ", repetition " + rep);
            }
        }
    }

    // ================================================================ memory

    @Test
    void scopesFreeEveryOpsTensors() {
        CpuBackend be = new CpuBackend(new CpuConfig(2, true));
        try {
            try (TensorScope _ = TensorScope.open()) {
                Tensor x = Ops.uniform(be, Shape.of(2, 3, 9, 9), 1L, -1, 1);
                Tensor c = Ops.random(be, Shape.of(3), RandomStream.Distribution.NORMAL, 2L, 0, 1);
                Tensor y = Ops.add(Ops.relu(x), Ops.reshape(c, Shape.of(3, 1, 1)));
                y = Ops.affine(Ops.clip(y, -1, 1), 2, 0);
                Ops.batchNorm(y, Ops.full(be, Shape.of(3), 1f), Ops.zeros(be, Shape.of(3)), Ops.zeros(be, Shape.of(3)),
                        Ops.full(be, Shape.of(3), 1f), 1e-5f);
                Ops.batchNormTraining(y, Ops.full(be, Shape.of(3), 1f), Ops.zeros(be, Shape.of(3)),
                        Ops.zeros(be, Shape.of(3)), Ops.full(be, Shape.of(3), 1f), 1e-5f, 0.1f);
                Tensor p = Ops.concat(1, Ops.maxPool2d(y, Pool2dSpec.of(3, 2, 0)), Ops.avgPool2d(y, Pool2dSpec.of(3,
                        2, 0)));
                Tensor[] halves = Ops.split(p, 1, 3, 3);
                Ops.softmax(Ops.flatten(Ops.globalAvgPool(halves[0]), 1), 1);
                Ops.dropout(Ops.mean(halves[1], 0), 0.5f, 3L);
                Ops.reduce(ReduceOp.MAX, x, true, 1, 3);
                assertTrue(be.liveBytes() > 0);
            }
            assertEquals(0, be.liveBytes(), "every tensor of the scope is freed");
        } finally {
            be.close();
        }
    }
}
