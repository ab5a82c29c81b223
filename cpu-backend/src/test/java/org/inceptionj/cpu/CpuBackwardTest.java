package org.inceptionj.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.Random;
import java.util.function.Function;

import org.inceptionj.api.Ops;
import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The CPU backward primitives other than conv2d's (batch norm, ReLU, max and average pool,
 * softmax), checked four ways: against references written here from each gradient's formula in
 * double; against central finite differences, of a small double forward written here (tight) and
 * of the CPU forward itself (loose, but it ties each gradient to the forward it belongs to); against
 * small cases worked out by hand; and path against path: the Vector API kernels against the plain
 * loops, at sizes around the vector width, and 1 thread against 3.
 */
class CpuBackwardTest {
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

    /** A backward op under test: its gradient outputs, computed on the given backend. */
    @FunctionalInterface
    interface Op {
        Tensor[] run(CpuBackend be);
    }

    static float[] randoms(long seed, int n, float lo, float hi) {
        Random r = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = lo + (hi - lo) * r.nextFloat();
        }
        return a;
    }

    /** Random multiples of 1/64 in [lo, hi]: sums of a few of them are exact in float. */
    static float[] grid(long seed, int n, float lo, float hi) {
        float[] a = randoms(seed, n, lo, hi);
        for (int i = 0; i < n; i++) {
            a[i] = Math.round(a[i] * 64) / 64f;
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

    static Tensor t(CpuBackend be, float[] data, int... dims) {
        return Ops.fromArray(be, Shape.of(dims), data);
    }

    static float[][] on(CpuBackend be, Op op) {
        try (TensorScope _ = TensorScope.open()) {
            Tensor[] ts = op.run(be);
            float[][] r = new float[ts.length][];
            for (int i = 0; i < ts.length; i++) {
                r[i] = ts[i].toArray();
            }
            return r;
        }
    }

    /** One forward on the plain backend, its values. */
    static float[] forward(Function<CpuBackend, Tensor> f) {
        try (TensorScope _ = TensorScope.open()) {
            return f.apply(PLAIN).toArray();
        }
    }

    /**
     * The outputs of op on every backend: the plain single-thread result, checked against the
     * others, bit for bit when {@code exact}, else within tol (sums in another order). The thread
     * count never changes the bits.
     */
    static float[][] samePaths(String what, boolean exact, double tol, Op op) {
        float[][] plain = on(PLAIN, op), vector = on(VECTOR, op);
        for (int k = 0; k < plain.length; k++) {
            String out = what + " output " + k;
            if (exact) {
                assertBitsEqual(out + ": vector vs plain", plain[k], vector[k]);
            } else {
                assertClose(out + ": vector vs plain", toDouble(plain[k]), vector[k], tol);
            }
        }
        float[][] plain3 = on(PLAIN3, op), vector3 = on(VECTOR3, op);
        for (int k = 0; k < plain.length; k++) {
            assertBitsEqual(what + " output " + k + ": 1 vs 3 threads, plain", plain[k], plain3[k]);
            assertBitsEqual(what + " output " + k + ": 1 vs 3 threads, vector", vector[k], vector3[k]);
        }
        return plain;
    }

    static void assertBitsEqual(String what, float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
                fail(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]);
            }
        }
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    /** |actual − expected| ≤ tol·(1 + |expected|) everywhere. */
    static void assertClose(String what, double[] expected, float[] actual, double tol) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i], a = actual[i];
            if (!(Math.abs(a - e) <= tol * (1 + Math.abs(e)))) {
                fail(what + ": element " + i + " is " + a + ", expected " + e + " (tolerance " + tol + ")");
            }
        }
    }

    /**
     * Central differences of L(v) = Σ dy·f(v) at v, in double: each element moved by ±h (the step
     * actually taken in float when v is float data of a float forward).
     */
    static double[] numericGradient(double[] v, double[] dy, double h, Function<double[], double[]> f) {
        double[] grad = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            double[] up = v.clone(), down = v.clone();
            up[i] += h;
            down[i] -= h;
            grad[i] = (dot(dy, f.apply(up)) - dot(dy, f.apply(down))) / (up[i] - down[i]);
        }
        return grad;
    }

    /** The same for a forward of the CPU backend on floats: the steps are taken and measured in float. */
    static double[] numericGradientOfCpu(float[] v, float[] dy, float h, Function<float[], float[]> f) {
        double[] grad = new double[v.length];
        double[] g = toDouble(dy);
        for (int i = 0; i < v.length; i++) {
            float[] up = v.clone(), down = v.clone();
            up[i] += h;
            down[i] -= h;
            grad[i] = (dot(g, toDouble(f.apply(up))) - dot(g, toDouble(f.apply(down)))) / ((double) up[i] - down[i]);
        }
        return grad;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    // ================================================================ ReLU

    @Test
    void reluBackwardPassesTheGradientWhereTheOutputIsPositive() {
        int[] sizes = Arrays.copyOf(SIZES, SIZES.length + 1);
        sizes[SIZES.length] = 3 * 40_001; // several chunks on 3 threads
        for (int n : sizes) {
            float[] y = randoms(n, n, -1, 1), dy = randoms(n + 1, n, -3, 3);
            // The edge cases the rule names: 0, −0 and NaN pass nothing; the smallest positive passes.
            float[] special = {0f, -0f, Float.NaN, Float.MIN_VALUE, Float.POSITIVE_INFINITY};
            for (int i = 0; i < Math.min(n, special.length); i++) {
                y[(i * 7) % n] = special[i];
            }
            float[] dx = samePaths("reluBackward n=" + n, true, 0,
                    be -> new Tensor[] {Ops.reluBackward(t(be, dy, n), t(be, y, n))})[0];
            float[] expected = new float[n];
            for (int i = 0; i < n; i++) {
                expected[i] = y[i] > 0 ? dy[i] : 0f;
            }
            assertBitsEqual("reluBackward n=" + n, expected, dx);
        }
    }

    @Test
    void reluBackwardMatchesFiniteDifferencesOfTheForward() {
        // Away from the kink, relu is linear piecewise: differences of the CPU forward are exact to rounding.
        int n = 2 * LANES + 3;
        float[] x = randoms(5, n, -2, 2), dy = randoms(6, n, -1, 1);
        for (int i = 0; i < n; i++) {
            x[i] = Math.abs(x[i]) < 0.1f ? 0.5f : x[i];
        }
        float[] y = forward(be -> Ops.relu(t(be, x, n)));
        double[] fd = numericGradientOfCpu(x, dy, 1e-2f, v -> forward(be -> Ops.relu(t(be, v, n))));
        for (CpuBackend be : ALL) {
            assertClose("reluBackward vs differences on " + be.describe(), fd,
                    on(be, b -> new Tensor[] {Ops.reluBackward(t(b, dy, n), t(b, y, n))})[0], 1e-5);
        }
    }

    // ================================================================ softmax

    /** Softmax and log-softmax along axis, from the definition, in double. */
    static double[] softmaxDouble(double[] x, int[] dims, int axis, boolean log) {
        int n = dims[axis], inner = size(Arrays.copyOfRange(dims, axis + 1, dims.length));
        int outer = x.length / (n * inner);
        double[] out = new double[x.length];
        for (int o = 0; o < outer; o++) {
            for (int in = 0; in < inner; in++) {
                int first = o * n * inner + in;
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int k = 0; k < n; k++) {
                    max = Math.max(max, x[first + k * inner]);
                }
                for (int k = 0; k < n; k++) {
                    sum += Math.exp(x[first + k * inner] - max);
                }
                for (int k = 0; k < n; k++) {
                    double shifted = x[first + k * inner] - max;
                    out[first + k * inner] = log ? shifted - Math.log(sum) : Math.exp(shifted) / sum;
                }
            }
        }
        return out;
    }

    /** The gradient from the forward output y, by the formula, in double. */
    static double[] referenceSoftmaxBackward(float[] dy, float[] y, int[] dims, int axis, boolean log) {
        int n = dims[axis], inner = size(Arrays.copyOfRange(dims, axis + 1, dims.length));
        int outer = y.length / (n * inner);
        double[] dx = new double[y.length];
        for (int o = 0; o < outer; o++) {
            for (int in = 0; in < inner; in++) {
                int first = o * n * inner + in;
                double sum = 0;
                for (int k = 0; k < n; k++) {
                    int i = first + k * inner;
                    sum += log ? dy[i] : (double) dy[i] * y[i];
                }
                for (int k = 0; k < n; k++) {
                    int i = first + k * inner;
                    dx[i] = log ? dy[i] - Math.exp(y[i]) * sum : y[i] * (dy[i] - sum);
                }
            }
        }
        return dx;
    }

    @Test
    void softmaxBackwardAlongEveryAxis() {
        int[][] shapes = {{3, LANES + 1, 4}, {2, 1, 5}, {1, 37}, {LANES - 1 > 0 ? LANES - 1 : 1, 2, 3}};
        for (int[] dims : shapes) {
            for (int axis = 0; axis < dims.length; axis++) {
                for (boolean log : new boolean[] {false, true}) {
                    int ax = axis;
                    String what = (log ? "logSoftmax" : "softmax") + " backward " + Arrays.toString(dims) + " axis "
                            + axis;
                    float[] x = randoms(31 + axis, size(dims), -4, 4), dy = randoms(37 + axis, size(dims), -1, 1);
                    float[] y = forward(be -> log ? Ops.logSoftmax(t(be, x, dims), ax) : Ops.softmax(t(be, x, dims), ax));
                    float[] dx = samePaths(what, true, 0,
                            be -> new Tensor[] {Ops.softmaxBackward(t(be, dy, dims), t(be, y, dims), ax, log)})[0];
                    assertClose(what, referenceSoftmaxBackward(dy, y, dims, axis, log), dx, 1e-6);
                    // Differences of the forward in double (tight), and of the CPU forward itself (loose).
                    double[] fd = numericGradient(toDouble(x), toDouble(dy), 1e-5,
                            v -> softmaxDouble(v, dims, ax, log));
                    assertClose(what + " vs differences", fd, dx, 2e-6);
                    double[] fdCpu = numericGradientOfCpu(x, dy, 1e-2f, v -> forward(be -> log
                            ? Ops.logSoftmax(t(be, v, dims), ax) : Ops.softmax(t(be, v, dims), ax)));
                    assertClose(what + " vs differences of the CPU forward", fdCpu, dx, 2e-4);
                }
            }
        }
    }

    @Test
    void softmaxBackwardByHand() {
        // y = (1/4, 1/4, 1/2), dy = (1, 0, 0): Σ dy·y = 1/4, dx = y·(dy − 1/4) = (3/16, −1/16, −1/8);
        // a gradient constant along the axis gives 0 (softmax is shift invariant).
        float[] y = {0.25f, 0.25f, 0.5f};
        for (CpuBackend be : ALL) {
            float[] dx = on(be, b -> new Tensor[] {Ops.softmaxBackward(t(b, new float[] {1, 0, 0}, 1, 3),
                    t(b, y, 1, 3), 1, false)})[0];
            assertArrayEquals(new float[] {3 / 16f, -1 / 16f, -1 / 8f}, dx);
            float[] flat = on(be, b -> new Tensor[] {Ops.softmaxBackward(t(b, new float[] {2, 2, 2}, 1, 3),
                    t(b, y, 1, 3), 1, false)})[0];
            assertArrayEquals(new float[] {0, 0, 0}, flat, 1e-7f);
            // Log-softmax with y = log(1/4, 1/4, 1/2), dy = (1, 1, 2): Σ dy = 4, dx = dy − 4·exp(y) = (0, 0, 0).
            float[] logY = {(float) Math.log(0.25), (float) Math.log(0.25), (float) Math.log(0.5)};
            float[] dl = on(be, b -> new Tensor[] {Ops.softmaxBackward(t(b, new float[] {1, 1, 2}, 3, 1),
                    t(b, logY, 3, 1), 0, true)})[0];
            assertArrayEquals(new float[] {0, 0, 0}, dl, 1e-6f);
        }
    }

    // ================================================================ batch norm

    static final int[][] BN_SHAPES = {{2, 3, 5, 7}, {1, 2, LANES, 1}, {3, 2, LANES + 1, 1}, {2, 4, 1, 1},
            {4, 3}, {1, 5, 3, 3}, {2, 3, 11, 13}, {1, 1, 2 * LANES + 3},
            // Planes shorter than a vector with runs of channels longer than one (BatchNormSmallPlanes)
            {3, 2 * LANES + 3, 3, 3}, {5, 3 * LANES + 1, 1, 1}, {2, 4 * LANES + 1, 2, 2}};

    /** Training batch norm from the definition, in double: two-pass biased variance. */
    static double[] batchNormDouble(double[] x, double[] gamma, double[] beta, int n, int c, double eps) {
        int s = x.length / (n * c), m = n * s;
        double[] out = new double[x.length];
        for (int ch = 0; ch < c; ch++) {
            double mean = 0, var = 0;
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < s; k++) {
                    mean += x[(i * c + ch) * s + k];
                }
            }
            mean /= m;
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < s; k++) {
                    double d = x[(i * c + ch) * s + k] - mean;
                    var += d * d;
                }
            }
            var /= m;
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < s; k++) {
                    int at = (i * c + ch) * s + k;
                    out[at] = gamma[ch] * (x[at] - mean) / Math.sqrt(var + eps) + beta[ch];
                }
            }
        }
        return out;
    }

    /** {dx, dgamma, dbeta} by the formula of the contract, in double, from the saved statistics. */
    static double[][] referenceBatchNormBackward(float[] dy, float[] x, float[] gamma, float[] mean, float[] invStd,
                                                 int n, int c) {
        int s = x.length / (n * c), m = n * s;
        double[] dx = new double[x.length], dgamma = new double[c], dbeta = new double[c];
        for (int i = 0; i < x.length; i++) {
            int ch = (i / s) % c;
            dbeta[ch] += dy[i];
            dgamma[ch] += dy[i] * ((x[i] - (double) mean[ch]) * invStd[ch]);
        }
        for (int i = 0; i < x.length; i++) {
            int ch = (i / s) % c;
            double xHat = (x[i] - (double) mean[ch]) * invStd[ch];
            dx[i] = (double) gamma[ch] * invStd[ch] / m * (m * (double) dy[i] - dbeta[ch] - xHat * dgamma[ch]);
        }
        return new double[][] {dx, dgamma, dbeta};
    }

    @Test
    void batchNormBackwardFollowsTheFormulaAndTheForward() {
        float eps = 1e-3f;
        for (int[] dims : BN_SHAPES) {
            int n = dims[0], c = dims[1];
            String what = "bn backward " + Arrays.toString(dims);
            float[] x = randoms(51, size(dims), -2, 4), gamma = randoms(52, c, -2f, 2f), beta = randoms(53, c, -1, 1),
                    dy = randoms(54, size(dims), -1, 1);
            float[][] saved = on(PLAIN, be -> {
                Ops.BatchNormResult r = Ops.batchNormTraining(t(be, x, dims), t(be, gamma, c), t(be, beta, c),
                        Ops.zeros(be, Shape.of(c)), Ops.zeros(be, Shape.of(c)), eps, 0.1f);
                return new Tensor[] {r.mean(), r.invStd()};
            });
            float[] mean = saved[0], invStd = saved[1];
            float[][] grads = samePaths(what, false, 1e-6, be -> {
                Ops.BatchNormGrads g = Ops.batchNormBackward(t(be, dy, dims), t(be, x, dims), t(be, gamma, c),
                        t(be, mean, c), t(be, invStd, c));
                return new Tensor[] {g.dx(), g.dgamma(), g.dbeta()};
            });
            double[][] ref = referenceBatchNormBackward(dy, x, gamma, mean, invStd, n, c);
            String[] names = {"dx", "dgamma", "dbeta"};
            for (int k = 0; k < 3; k++) {
                assertClose(what + " " + names[k], ref[k], grads[k], 2e-6);
            }
            // Differences of the forward in double, with respect to x, gamma and beta.
            double[] xd = toDouble(x), gd = toDouble(gamma), bd = toDouble(beta), dyd = toDouble(dy);
            double[][] fd = {
                    numericGradient(xd, dyd, 1e-5, v -> batchNormDouble(v, gd, bd, n, c, eps)),
                    numericGradient(gd, dyd, 1e-5, v -> batchNormDouble(xd, v, bd, n, c, eps)),
                    numericGradient(bd, dyd, 1e-5, v -> batchNormDouble(xd, gd, v, n, c, eps))};
            for (int k = 0; k < 3; k++) {
                assertClose(what + " " + names[k] + " vs differences", fd[k], grads[k], 1e-5);
            }
        }
    }

    @Test
    void batchNormBackwardMatchesDifferencesOfTheCpuForward() {
        int[] dims = {2, 3, 2, 3};
        int c = dims[1];
        float eps = 1e-3f;
        float[] x = randoms(61, size(dims), -2, 2), gamma = randoms(62, c, 0.5f, 2f), beta = randoms(63, c, -1, 1),
                dy = randoms(64, size(dims), -1, 1);
        Function<float[], float[]> ofX = v -> forward(be -> Ops.batchNormTraining(t(be, v, dims), t(be, gamma, c),
                t(be, beta, c), Ops.zeros(be, Shape.of(c)), Ops.zeros(be, Shape.of(c)), eps, 0.1f).out());
        Function<float[], float[]> ofGamma = v -> forward(be -> Ops.batchNormTraining(t(be, x, dims), t(be, v, c),
                t(be, beta, c), Ops.zeros(be, Shape.of(c)), Ops.zeros(be, Shape.of(c)), eps, 0.1f).out());
        for (CpuBackend be : ALL) {
            float[][] g = on(be, b -> {
                Ops.BatchNormResult r = Ops.batchNormTraining(t(b, x, dims), t(b, gamma, c), t(b, beta, c),
                        Ops.zeros(b, Shape.of(c)), Ops.zeros(b, Shape.of(c)), eps, 0.1f);
                Ops.BatchNormGrads grads = Ops.batchNormBackward(t(b, dy, dims), t(b, x, dims), t(b, gamma, c),
                        r.mean(), r.invStd());
                return new Tensor[] {grads.dx(), grads.dgamma()};
            });
            assertClose("bn dx vs differences of the CPU forward", numericGradientOfCpu(x, dy, 1e-2f, ofX), g[0],
                    2e-3);
            assertClose("bn dgamma vs differences of the CPU forward", numericGradientOfCpu(gamma, dy, 1e-2f, ofGamma),
                    g[1], 2e-3);
        }
    }

    @Test
    void batchNormBackwardByHand() {
        // [N=2, C=2, S=2]. Channel 0: x = 1, 2 | 3, 6: μ = 3, σ² = 3.5, eps 0.5 → invStd = 1/2,
        // x̂ = −1, −1/2, 0, 3/2; γ = 2, dy = 1, 2, 0, −1: dβ = 2, dγ = −1 − 1 + 0 − 3/2 = −7/2,
        // dx = γ·invStd/M·(M·dy − dβ − x̂·dγ) = (1/4)·(4dy − 2 + 7x̂/2) = −3/8, 17/16, −1/2, −3/16.
        // Channel 1: x = 13, 16 | 11, 12: μ = 13, the same σ²; γ = −1/2, dy = 0, 0 | 0, 4:
        // x̂ = 0, 3/2, −1, −1/2, dβ = 4, dγ = −2, dx = (−1/16)·(4dy − 4 + 2x̂) = 1/4, 1/16, 3/8, −11/16.
        float[] x = {1, 2, 13, 16, 3, 6, 11, 12}, dy = {1, 2, 0, 0, 0, -1, 0, 4};
        for (CpuBackend be : ALL) {
            float[][] g = on(be, b -> {
                Ops.BatchNormGrads r = Ops.batchNormBackward(t(b, dy, 2, 2, 2), t(b, x, 2, 2, 2),
                        t(b, new float[] {2f, -0.5f}, 2), t(b, new float[] {3f, 13f}, 2), t(b, new float[] {0.5f, 0.5f}, 2));
                return new Tensor[] {r.dx(), r.dgamma(), r.dbeta()};
            });
            assertArrayEquals(new float[] {-3 / 8f, 17 / 16f, 1 / 4f, 1 / 16f, -1 / 2f, -3 / 16f, 3 / 8f, -11 / 16f},
                    g[0], be.describe());
            assertArrayEquals(new float[] {-3.5f, -2f}, g[1], be.describe());
            assertArrayEquals(new float[] {2f, 4f}, g[2], be.describe());
        }
    }

    // ================================================================ pooling

    /** Average pool from the definition, in double (the forward for differences). */
    static double[] averagePoolDouble(double[] x, int[] dims, Pool2dSpec s) {
        int planes = dims[0] * dims[1], h = dims[2], w = dims[3], oh = s.outH(h), ow = s.outW(w);
        double[] out = new double[planes * oh * ow];
        for (int p = 0; p < planes; p++) {
            for (int r = 0; r < oh; r++) {
                for (int c = 0; c < ow; c++) {
                    double sum = 0;
                    for (int cell : windowCells(s, h, w, r, c)) {
                        sum += x[p * h * w + cell];
                    }
                    out[(p * oh + r) * ow + c] = sum / divisor(s, h, w, r, c);
                }
            }
        }
        return out;
    }

    /** The real cells ih·W + iw of window (r, c), in row-major window order. */
    static int[] windowCells(Pool2dSpec s, int h, int w, int r, int c) {
        int[] cells = new int[s.kernelH() * s.kernelW()];
        int n = 0;
        for (int i = 0; i < s.kernelH(); i++) {
            for (int j = 0; j < s.kernelW(); j++) {
                int ih = r * s.strideH() - s.padTop() + i * s.dilationH();
                int iw = c * s.strideW() - s.padLeft() + j * s.dilationW();
                if (ih >= 0 && ih < h && iw >= 0 && iw < w) {
                    cells[n++] = ih * w + iw;
                }
            }
        }
        return Arrays.copyOf(cells, n);
    }

    /** The average's divisor: window cells inside the padded input (countIncludePad), else real cells. */
    static int divisor(Pool2dSpec s, int h, int w, int r, int c) {
        int n = 0;
        for (int i = 0; i < s.kernelH(); i++) {
            for (int j = 0; j < s.kernelW(); j++) {
                int ih = r * s.strideH() - s.padTop() + i * s.dilationH();
                int iw = c * s.strideW() - s.padLeft() + j * s.dilationW();
                boolean counted = s.countIncludePad()
                        ? ih >= -s.padTop() && ih < h + s.padBottom() && iw >= -s.padLeft() && iw < w + s.padRight()
                        : ih >= 0 && ih < h && iw >= 0 && iw < w;
                n += counted ? 1 : 0;
            }
        }
        return n;
    }

    /** Pool gradients by the definition, in double: dy to the first maximum (max) or dy/divisor to every real cell. */
    static double[] referencePoolBackward(float[] dy, float[] x, int[] dims, Pool2dSpec s, boolean max) {
        int planes = dims[0] * dims[1], h = dims[2], w = dims[3], oh = s.outH(h), ow = s.outW(w);
        double[] dx = new double[planes * h * w];
        for (int p = 0; p < planes; p++) {
            for (int r = 0; r < oh; r++) {
                for (int c = 0; c < ow; c++) {
                    double g = dy[(p * oh + r) * ow + c];
                    int[] cells = windowCells(s, h, w, r, c);
                    if (max) {
                        int winner = cells[0];
                        for (int cell : cells) {
                            if (x[p * h * w + cell] > x[p * h * w + winner]) {
                                winner = cell;
                            }
                        }
                        dx[p * h * w + winner] += g;
                    } else {
                        for (int cell : cells) {
                            dx[p * h * w + cell] += g / divisor(s, h, w, r, c);
                        }
                    }
                }
            }
        }
        return dx;
    }

    static Op maxBackward(float[] dy, float[] x, int[] dims, Pool2dSpec spec) {
        int[] ys = {dims[0], dims[1], spec.outH(dims[2]), spec.outW(dims[3])};
        return be -> {
            Tensor xt = t(be, x, dims);
            return new Tensor[] {Ops.maxPool2dBackward(t(be, dy, ys), xt, Ops.maxPool2d(xt, spec), spec)};
        };
    }

    static Op avgBackward(float[] dy, int[] dims, Pool2dSpec spec) {
        int[] ys = {dims[0], dims[1], spec.outH(dims[2]), spec.outW(dims[3])};
        return be -> new Tensor[] {Ops.avgPool2dBackward(t(be, dy, ys), Shape.of(dims), spec)};
    }

    @Test
    void maxPoolBackwardTiesGoToTheFirstCellInRowMajorOrder() {
        // One 2x2 window [[1, 5], [5, 2]]: row-major order reaches (0, 1) before (1, 0).
        float[] dx = samePaths("max tie", true, 0,
                maxBackward(new float[] {7}, new float[] {1, 5, 5, 2}, new int[] {1, 1, 2, 2}, Pool2dSpec.of(2, 2, 0)))[0];
        assertArrayEquals(new float[] {0, 7, 0, 0}, dx);
        // All equal: the top-left cell, in every window of a 4x4 plane of ones, 2x2 stride 2.
        float[] ones = new float[16];
        Arrays.fill(ones, 1f);
        float[] all = samePaths("max all equal", true, 0,
                maxBackward(new float[] {1, 2, 3, 4}, ones, new int[] {1, 1, 4, 4}, Pool2dSpec.of(2, 2, 0)))[0];
        assertArrayEquals(new float[] {1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0, 0}, all);
        // The same on a plane wide enough for the vector kernel: 2 x (2·lanes + 2), dy = 1, 2, ...
        int w = 2 * LANES + 2, outs = w / 2;
        float[] wide = new float[2 * w], dy = new float[outs];
        Arrays.fill(wide, 1f);
        for (int c = 0; c < outs; c++) {
            dy[c] = c + 1;
        }
        float[] firsts = samePaths("max all equal, wide", true, 0,
                maxBackward(dy, wide, new int[] {1, 1, 2, w}, Pool2dSpec.of(2, 2, 0)))[0];
        for (int i = 0; i < 2 * w; i++) {
            assertEquals(i < w && i % 2 == 0 ? i / 2 + 1 : 0, firsts[i], "cell " + i);
        }
        // The same on a small plane, whose windows the flat-plane kernel takes: 15x15, 3x3 stride 2.
        float[] plane = new float[15 * 15], dy7 = new float[49];
        Arrays.fill(plane, 1f);
        for (int o = 0; o < 49; o++) {
            dy7[o] = o + 1;
        }
        float[] small = samePaths("max all equal, small plane", true, 0,
                maxBackward(dy7, plane, new int[] {1, 1, 15, 15}, Pool2dSpec.of(3, 2, 0)))[0];
        for (int i = 0; i < 15 * 15; i++) {
            int r = i / 15, c = i % 15;
            boolean first = r % 2 == 0 && c % 2 == 0 && r < 13 && c < 13;
            assertEquals(first ? (r / 2) * 7 + c / 2 + 1 : 0, small[i], "cell " + i);
        }
        // Windows of −∞ only: still the first real cell, never a padded one. 2x2 input, 2x2 windows,
        // stride 1, pad 1: window (r, c) covers rows r−1..r and columns c−1..c; dy = 1..9. Cell (0,0)
        // is first in windows 0, 1, 3, 4; (0,1) in 2, 5; (1,0) in 6, 7; (1,1) in 8.
        float[] inf = new float[4];
        Arrays.fill(inf, Float.NEGATIVE_INFINITY);
        float[] fromInf = samePaths("max of −∞", true, 0, maxBackward(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, inf,
                new int[] {1, 1, 2, 2}, Pool2dSpec.of(2, 1, 1)))[0];
        assertArrayEquals(new float[] {1 + 2 + 4 + 5, 3 + 6, 7 + 8, 9}, fromInf);
    }

    @Test
    void maxPoolBackwardByHand() {
        // 2x2 input [[-5, -4], [-3, -2]], 2x2 windows, stride 1, pad 1: 3x3 outputs, each window's
        // winner its largest real cell; dy = 1..9. (0,0) wins window 0; (0,1) windows 1, 2; (1,0)
        // windows 3, 6; (1,1) windows 4, 5, 7, 8: dx = 1, 2+3, 4+7, 5+6+8+9.
        float[] dy = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        float[] dx = samePaths("max padded", true, 0, maxBackward(dy, new float[] {-5, -4, -3, -2},
                new int[] {1, 1, 2, 2}, Pool2dSpec.of(2, 1, 1)))[0];
        assertArrayEquals(new float[] {1, 5, 11, 28}, dx);
        // 3x3 windows, stride 1, over a 5x5 plane whose maximum is its centre: the centre wins all 9
        // windows and receives their sum; every other cell nothing.
        float[] x = randoms(3, 25, -1, 0);
        x[12] = 1f;
        float[] g = randoms(4, 9, -1, 1);
        float[] overlap = samePaths("max overlap", true, 0, maxBackward(g, x, new int[] {1, 1, 5, 5},
                Pool2dSpec.of(3, 1, 0)))[0];
        float sum = 0f;
        for (float v : g) {
            sum += v;
        }
        assertEquals(sum, overlap[12], 1e-6f);
        for (int i = 0; i < 25; i++) {
            if (i != 12) {
                assertEquals(0f, overlap[i], "cell " + i);
            }
        }
    }

    @Test
    void averagePoolBackwardBorderDivisorsByHand() {
        // 3x3 input, 3x3 windows, stride 1, pad 1, dy = 1 everywhere. Counting padding, every divisor
        // is 9 and a cell gets (windows covering it)/9: corner 4/9, edge 6/9, centre 1. Not counting
        // it, windows have 4 (corner), 6 (edge) or 9 real cells: a corner cell is in one window of
        // each kind but the edge twice: 1/4 + 2/6 + 1/9 = 25/36; an edge cell 2/4 + 3/6 + 1/9 = 10/9;
        // the centre 4/4 + 4/6 + 1/9 = 16/9.
        float[] ones = new float[9];
        Arrays.fill(ones, 1f);
        Pool2dSpec spec = Pool2dSpec.of(3, 1, 1);
        float[] counted = samePaths("avg counted", true, 0, avgBackward(ones, new int[] {1, 1, 3, 3}, spec))[0];
        assertArrayEquals(new float[] {4 / 9f, 6 / 9f, 4 / 9f, 6 / 9f, 1f, 6 / 9f, 4 / 9f, 6 / 9f, 4 / 9f}, counted,
                1e-7f);
        float[] excluded = samePaths("avg excluded", true, 0, avgBackward(ones, new int[] {1, 1, 3, 3},
                spec.withCountIncludePad(false)))[0];
        float corner = 25 / 36f, edge = 10 / 9f, centre = 16 / 9f;
        assertArrayEquals(new float[] {corner, edge, corner, edge, centre, edge, corner, edge, corner}, excluded,
                1e-6f);
        // Divisors are (rows counted)·(columns counted), so with dy = 1 a cell gets a(ih)·b(iw), the
        // sums of 1/count over the windows covering it along each axis. 3 rows: not counting padding,
        // a = 1/2 + 1/3, 1/2 + 1/3 + 1/2, 1/2 + 1/3; counting it, 2/3, 1, 2/3. A row of 2·lanes + 1
        // (wide enough for the vector kernel): b = 5/6, 1/2 + 2/3, 1, ..., 1, 1/2 + 2/3, 5/6 and
        // 2/3, 1, ..., 1, 2/3.
        int w = 2 * LANES + 1;
        float[] wideOnes = new float[3 * w];
        Arrays.fill(wideOnes, 1f);
        for (boolean include : new boolean[] {true, false}) {
            float[] d = samePaths("avg wide " + include, true, 0, avgBackward(wideOnes, new int[] {1, 1, 3, w},
                    spec.withCountIncludePad(include)))[0];
            double[] a = include ? new double[] {2 / 3.0, 1, 2 / 3.0} : new double[] {5 / 6.0, 4 / 3.0, 5 / 6.0};
            double[] b = new double[w];
            Arrays.fill(b, 1);
            b[0] = b[w - 1] = include ? 2 / 3.0 : 5 / 6.0;
            b[1] = b[w - 2] = include ? 1 : 7 / 6.0;
            for (int ih = 0; ih < 3; ih++) {
                for (int iw = 0; iw < w; iw++) {
                    assertEquals(a[ih] * b[iw], d[ih * w + iw], 1e-6, "(" + ih + "," + iw + ") " + include);
                }
            }
        }
        // Ceil mode, 5x5, 2x2 stride 2: windows do not overlap; the last row and column of windows
        // hang past the input and count only their real cells (even with countIncludePad).
        float[] dy = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        Pool2dSpec ceil = new Pool2dSpec(2, 2, 2, 2, 0, 0, 0, 0, 1, 1, true, true);
        float[] dx = samePaths("avg ceil", true, 0, avgBackward(dy, new int[] {1, 1, 5, 5}, ceil))[0];
        for (int ih = 0; ih < 5; ih++) {
            for (int iw = 0; iw < 5; iw++) {
                int r = ih / 2, c = iw / 2;
                float div = (r == 2 ? 1 : 2) * (c == 2 ? 1 : 2);
                assertEquals(dy[r * 3 + c] / div, dx[ih * 5 + iw], "(" + ih + "," + iw + ")");
            }
        }
        // Padding 1 and ceil, 4x4, 3x3 stride 2: windows 0, 1, 2 of an axis cover −1..1, 1..3 and
        // 3..5, counted over 3, 3 and 2 cells (window 2 hangs one cell into the end padding, counted,
        // and one past it, not counted). dy = 1: cell 3 of an axis gets 1/3 + 1/2, cell 1 gets
        // 1/3 + 1/3, cells 0 and 2 get 1/3; the gradient of a cell is the product over its two axes.
        Pool2dSpec padCeil = new Pool2dSpec(3, 3, 2, 2, 1, 1, 1, 1, 1, 1, true, true);
        float[] d2 = samePaths("avg pad ceil", true, 0, avgBackward(ones, new int[] {1, 1, 4, 4}, padCeil))[0];
        double[] perAxis = {1 / 3.0, 2 / 3.0, 1 / 3.0, 5 / 6.0};
        for (int ih = 0; ih < 4; ih++) {
            for (int iw = 0; iw < 4; iw++) {
                assertEquals(perAxis[ih] * perAxis[iw], d2[ih * 4 + iw], 1e-6, "(" + ih + "," + iw + ")");
            }
        }
    }

    @Test
    void poolBackwardOnInceptionAndOddShapes() {
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
                {new int[] {1, 2, 17, 17}, Pool2dSpec.of(5, 3, 0)},                          // auxiliary head
                {new int[] {1, 2, 8, 8}, Pool2dSpec.of(8, 1, 0)},                            // a global pool
                {new int[] {2, 1, LANES + 2, LANES + 3}, Pool2dSpec.of(3, 1, 1)},
                {new int[] {1, 1, 1, 1}, Pool2dSpec.of(1, 1, 0)},
                {new int[] {1, 1, 3, 2 * LANES + 1}, new Pool2dSpec(2, 3, 1, 1, 0, 1, 1, 2, 1, 2, false, false)},
                {new int[] {1, 2, 9, 2 * LANES + 5}, new Pool2dSpec(3, 2, 2, 1, 2, 0, 1, 1, 2, 1, true, true)},
                {new int[] {1, 1, 7, 30}, new Pool2dSpec(2, 4, 3, 1, 1, 3, 1, 0, 1, 1, true, false)},
        };
        for (Object[] c : cases) {
            checkPoolBackward((int[]) c[0], (Pool2dSpec) c[1], 17);
        }
    }

    @Test
    void poolBackwardOnRandomGeometries() {
        Random r = new Random(2025);
        int checked = 0;
        for (int trial = 0; trial < 150; trial++) {
            int kh = 1 + r.nextInt(4), kw = 1 + r.nextInt(4), dh = 1 + r.nextInt(2), dw = 1 + r.nextInt(2);
            int eh = dh * (kh - 1) + 1, ew = dw * (kw - 1) + 1;
            int h = eh + r.nextInt(12), w = ew + r.nextInt(2 * LANES + 6);
            Pool2dSpec spec = new Pool2dSpec(kh, kw, 1 + r.nextInt(3), r.nextInt(3) == 0 ? 2 : 1,
                    r.nextInt(eh), r.nextInt(ew), r.nextInt(eh), r.nextInt(ew), dh, dw, r.nextBoolean(),
                    r.nextBoolean());
            int[] dims = {1 + r.nextInt(2), 1 + r.nextInt(3), h, w};
            try (TensorScope _ = TensorScope.open()) {
                Ops.maxPool2d(Ops.zeros(PLAIN, Shape.of(dims)), spec);
            } catch (IllegalArgumentException windowOfPaddingOnly) {
                continue; // a geometry the API rejects
            }
            checkPoolBackward(dims, spec, trial);
            checked++;
        }
        assertTrue(checked > 100, "only " + checked + " geometries checked");
    }

    /**
     * Both pool gradients on every path against the reference. x takes few distinct values, so
     * windows tie often and the tie rule is exercised; dy holds small integers, so the max's sums
     * are exact.
     */
    static void checkPoolBackward(int[] dims, Pool2dSpec spec, long seed) {
        int[] ys = {dims[0], dims[1], spec.outH(dims[2]), spec.outW(dims[3])};
        float[] x = randoms(seed, size(dims), -2, 2), dyInt = randoms(seed + 1, size(ys), -8, 8),
                dy = grid(seed + 2, size(ys), -2, 2);
        for (int i = 0; i < x.length; i++) {
            x[i] = Math.round(x[i]);
        }
        for (int i = 0; i < dyInt.length; i++) {
            dyInt[i] = Math.round(dyInt[i]);
        }
        String what = Arrays.toString(dims) + " " + spec;
        float[] max = samePaths("maxPool2dBackward " + what, true, 0, maxBackward(dyInt, x, dims, spec))[0];
        assertClose("maxPool2dBackward " + what, referencePoolBackward(dyInt, x, dims, spec, true), max, 0);
        float[] avg = samePaths("avgPool2dBackward " + what, true, 0, avgBackward(dy, dims, spec))[0];
        assertClose("avgPool2dBackward " + what, referencePoolBackward(dy, x, dims, spec, false), avg, 1e-6);
    }

    @Test
    void poolBackwardMatchesDifferencesOfTheForwards() {
        // The max pool returns input values, and with distinct values 1/8 apart a step of 1/32 moves
        // no maximum: its differences are exact. The average pool is linear: any step will do, and a
        // large one keeps the forward's rounding small against it.
        Object[][] cases = {
                {new int[] {1, 2, 7, 2 * LANES + 1}, Pool2dSpec.of(3, 2, 0)},
                {new int[] {2, 1, 6, LANES + 1}, Pool2dSpec.of(3, 1, 1)},
                {new int[] {2, 1, 6, LANES + 1}, Pool2dSpec.of(3, 1, 1).withCountIncludePad(false)},
                {new int[] {1, 1, 5, 9}, new Pool2dSpec(3, 2, 2, 1, 2, 0, 1, 1, 2, 1, true, true)},
                {new int[] {1, 1, 7, 9}, new Pool2dSpec(2, 4, 3, 1, 1, 3, 1, 0, 1, 1, true, false)},
                {new int[] {1, 1, 17, 17}, Pool2dSpec.of(5, 3, 0)},
        };
        for (Object[] c : cases) {
            int[] dims = (int[]) c[0];
            Pool2dSpec spec = (Pool2dSpec) c[1];
            int[] ys = {dims[0], dims[1], spec.outH(dims[2]), spec.outW(dims[3])};
            int n = size(dims);
            float[] distinct = new float[n];
            int[] order = shuffled(n, 71);
            for (int i = 0; i < n; i++) {
                distinct[i] = (order[i] - n / 2) / 8f;
            }
            float[] x = randoms(72, n, -1, 1), dy = randoms(73, size(ys), -1, 1);
            String what = Arrays.toString(dims) + " " + spec;
            double[] fdMax = numericGradientOfCpu(distinct, dy, 1 / 32f, v -> forward(be -> Ops.maxPool2d(t(be, v,
                    dims), spec)));
            double[] fdAvg = numericGradientOfCpu(x, dy, 0.25f, v -> forward(be -> Ops.avgPool2d(t(be, v, dims), spec)));
            double[] fdAvgDouble = numericGradient(toDouble(x), toDouble(dy), 1e-3, v -> averagePoolDouble(v, dims,
                    spec));
            for (CpuBackend be : ALL) {
                String on = " " + what + " on " + be.describe();
                float[] max = on(be, maxBackward(dy, distinct, dims, spec))[0];
                assertClose("max pool backward vs differences of the CPU forward" + on, fdMax, max, 1e-7);
                float[] avg = on(be, avgBackward(dy, dims, spec))[0];
                assertClose("avg pool backward vs differences of the CPU forward" + on, fdAvg, avg, 1e-5);
                assertClose("avg pool backward vs differences in double" + on, fdAvgDouble, avg, 1e-6);
            }
        }
    }

    static int[] shuffled(int n, long seed) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        Random r = new Random(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1), t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }

    // ================================================================ threads and the JIT

    /** Inputs large enough that every kernel cuts its work into several chunks on 3 threads. */
    @Test
    void largeInputsSplitAcrossThreadsGiveTheSameBits() {
        int[] dims = {2, 3, 101, 111}, wide = {3, 40_001};
        int c = dims[1];
        float[] x = randoms(81, size(dims), -2, 2), g = randoms(82, c, 0.5f, 2), w = randoms(83, size(wide), -2, 2);
        Pool2dSpec max = Pool2dSpec.of(3, 2, 0), avg = Pool2dSpec.of(3, 1, 1);
        int[] ys = {2, 3, max.outH(101), max.outW(111)};
        float[] dyMax = randoms(84, size(ys), -1, 1), dy = randoms(85, size(dims), -1, 1),
                dyWide = randoms(86, size(wide), -1, 1);
        samePaths("max pool", true, 0, maxBackward(dyMax, x, dims, max));
        samePaths("avg pool", true, 0, avgBackward(dy, dims, avg));
        samePaths("relu", true, 0, be -> new Tensor[] {Ops.reluBackward(t(be, dy, dims), t(be, x, dims))});
        samePaths("softmax", true, 0, be -> new Tensor[] {Ops.softmaxBackward(t(be, dyWide, wide), t(be, w, wide), 0,
                false)});
        samePaths("bn", false, 1e-6, be -> {
            Ops.BatchNormGrads r = Ops.batchNormBackward(t(be, dy, dims), t(be, x, dims), t(be, g, c), t(be, g, c),
                    t(be, g, c));
            return new Tensor[] {r.dx(), r.dgamma(), r.dbeta()};
        });
    }

    /**
     * The first calls run interpreted, later ones JIT-compiled with the Vector API intrinsics: the
     * bits must not change between them.
     */
    @Test
    void resultsDoNotChangeOnceTheKernelsAreCompiled() {
        int[] dims = {2, 8, 35, 35};
        int c = dims[1];
        float[] x = randoms(91, size(dims), -2, 2), dy = randoms(92, size(dims), -1, 1), g = randoms(93, c, 0.5f, 2);
        Pool2dSpec reduction = Pool2dSpec.of(3, 2, 0), branch = Pool2dSpec.of(3, 1, 1);
        int[] ys = {2, 8, 17, 17};
        float[] dyMax = randoms(94, size(ys), -1, 1);
        Op[] ops = {
                maxBackward(dyMax, x, dims, reduction),
                maxBackward(dy, x, dims, Pool2dSpec.of(3, 1, 1)),
                avgBackward(dy, dims, branch),
                avgBackward(dy, dims, branch.withCountIncludePad(false)),
                be -> new Tensor[] {Ops.reluBackward(t(be, dy, dims), t(be, x, dims))},
                be -> {
                    Ops.BatchNormGrads r = Ops.batchNormBackward(t(be, dy, dims), t(be, x, dims), t(be, g, c),
                            t(be, g, c), t(be, g, c));
                    return new Tensor[] {r.dx(), r.dgamma(), r.dbeta()};
                }};
        for (int k = 0; k < ops.length; k++) {
            float[][] first = on(VECTOR, ops[k]);
            for (int rep = 0; rep < 30; rep++) {
                float[][] again = on(VECTOR, ops[k]);
                for (int o = 0; o < first.length; o++) {
                    assertBitsEqual("op " + k + " output " + o + ", repetition " + rep, first[o], again[o]);
                }
            }
        }
    }

    @Test
    void gradientsOverwriteTheirOutputs() {
        // The primitives are called on outputs holding garbage: nothing of it may survive.
        int[] dims = {1, 2, 5, LANES + 1};
        int c = dims[1], n = size(dims);
        float[] x = randoms(101, n, -2, 2), dy = randoms(102, n, -1, 1), g = randoms(103, c, 0.5f, 2);
        Pool2dSpec spec = Pool2dSpec.of(3, 2, 0);
        int[] ys = {1, 2, spec.outH(5), spec.outW(LANES + 1)};
        float[] dyPool = randoms(104, size(ys), -1, 1);
        for (CpuBackend be : ALL) {
            try (TensorScope _ = TensorScope.open()) {
                Tensor dx = Ops.full(be, Shape.of(dims), 123f), dg = Ops.full(be, Shape.of(c), 123f),
                        db = Ops.full(be, Shape.of(c), 123f);
                Tensor xt = t(be, x, dims);
                be.maxPool2dBackward(dx, t(be, dyPool, ys), xt, Ops.maxPool2d(xt, spec), spec);
                assertArrayEquals(on(be, maxBackward(dyPool, x, dims, spec))[0], dx.toArray(), "max pool");
                be.avgPool2dBackward(dx, t(be, dyPool, ys), spec);
                assertArrayEquals(on(be, avgBackward(dyPool, dims, spec))[0], dx.toArray(), "avg pool");
                be.batchNormBackward(dx, dg, db, t(be, dy, dims), t(be, x, dims), t(be, g, c), t(be, g, c),
                        t(be, g, c));
                float[][] fresh = on(be, b -> {
                    Ops.BatchNormGrads r = Ops.batchNormBackward(t(b, dy, dims), t(b, x, dims), t(b, g, c),
                            t(b, g, c), t(b, g, c));
                    return new Tensor[] {r.dx(), r.dgamma(), r.dbeta()};
                });
                assertArrayEquals(fresh[0], dx.toArray(), "bn dx");
                assertArrayEquals(fresh[1], dg.toArray(), "bn dgamma");
                assertArrayEquals(fresh[2], db.toArray(), "bn dbeta");
            }
        }
    }
}
