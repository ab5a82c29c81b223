package org.inceptionj.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.Random;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.junit.jupiter.api.Test;

/**
 * Winograd's inference convolutions (F(2×2, 3×3), and F(2, 3) along rows and columns)
 * against the formula in double precision, within float
 * rounding of the terms' magnitudes: every padding (asymmetric too), odd and even output sizes (the
 * last tile's dropped row and column), channels that do not fill vectors, several tile blocks and
 * ranges of output channels, and the batch-norm epilogue with and without the ReLU. Run directly, so
 * at any vector width; and through the backend where it applies.
 */
class Conv2dWinogradTest {
    private static final int L = Vectors.F.length();

    /** Kernels of the plans: F(2×2, 3×3), and F(2, 3) along rows and columns. */
    private static final int[][] KERNELS = {{3, 3}, {1, 3}, {3, 1}};

    @Property(tries = 80)
    void theFormulaWithinRounding(@ForAll @IntRange(min = 1, max = 3) int n,
                                  @ForAll @IntRange(min = 0, max = 30) int extraCin,
                                  @ForAll @IntRange(min = 1, max = 40) int cout, @ForAll @IntRange(min = 1, max = 19) int h,
                                  @ForAll @IntRange(min = 1, max = 19) int w, @ForAll @IntRange(min = 0, max = 2) int kernel,
                                  @ForAll @IntRange(min = 0, max = 3) int top, @ForAll @IntRange(min = 0, max = 3) int left,
                                  @ForAll @IntRange(min = 0, max = 3) int bottom, @ForAll @IntRange(min = 0, max = 3) int right,
                                  @ForAll @IntRange(min = 0, max = 2) int epilogue,
                                  @ForAll @IntRange(min = 1, max = 2) int threads) {
        int kh = KERNELS[kernel][0], kw = KERNELS[kernel][1];
        // Padding below the kernel's extent (the API's rule), and at least one output.
        int t = Math.min(top, kh - 1), b = Math.min(bottom, kh - 1), l = Math.min(left, kw - 1), r = Math.min(right, kw - 1);
        int hh = Math.max(h, kh - t - b), ww = Math.max(w, kw - l - r);
        check(n, L + extraCin, hh, ww, cout, kh, kw, new Conv2dSpec(1, 1, t, l, b, r, 1, 1), epilogue, threads,
                31L * n + 7L * cout + h);
    }

    /** Many tiles (several blocks, the 16-position transposes), and an 8×8 plane whose one block is cut by channels. */
    @Test
    void largePlanesAndFewTiles() {
        check(2, 40, 37, 36, 70, 3, 3, Conv2dSpec.of(1, 1), 2, 2, 1);
        check(1, 80, 21, 21, 3 * L + 5, 3, 3, Conv2dSpec.of(1, 0), 1, 2, 2);
        check(1, 3 * L, 8, 8, 130, 3, 3, Conv2dSpec.of(1, 1), 2, 2, 3);
        check(3, L, 35, 35, 4 * L, 3, 3, Conv2dSpec.of(1, 1), 0, 1, 4);
        // Inception's factorized 8×8 layers: 1×3 and 3×1 padded by 1.
        check(1, 3 * L, 8, 8, 3 * L, 1, 3, Conv2dSpec.of(1, 0, 1), 2, 1, 7);
        check(1, 3 * L, 8, 8, 3 * L, 3, 1, Conv2dSpec.of(1, 1, 0), 2, 2, 8);
    }

    /** The blocks, ranges and threads cut the work; each output's sum is the same whatever the cut. */
    @Test
    void theSameBitsOnOneAndTwoThreads() {
        for (int[] k : KERNELS) {
            Conv2d.Geometry g = geometry(2, 2 * L + 3, 19, 23, 50, k[0], k[1], Conv2dSpec.of(1, k[0] / 2, k[1] / 2));
            float[] x = Conv2dTest.uniform(5, 2 * g.cin() * 19 * 23), w = Conv2dTest.uniform(6, 50 * g.cin() * k[0] * k[1]);
            float[][] out = new float[2][];
            for (int threads = 1; threads <= 2; threads++) {
                out[threads - 1] = run(g, x, w, null, threads);
            }
            assertArrayEquals(out[0], out[1], k[0] + "x" + k[1] + ": one thread against two");
        }
    }

    /**
     * Through the backend: the fused inference convolution takes this path exactly where it applies (on, on
     * AVX-512, 3×3 stride 1 with a vector of input channels), follows every write to the weights (the
     * transformed weights are cached per version), and agrees with the direct sum within rounding.
     */
    @Test
    void theBackendTakesItWhereItAppliesAndFollowsEveryWrite() {
        int cin = 4 * L, cout = 48, h = 12;   // a depth past Conv2dDirect's short one
        Conv2d.Geometry g = geometry(1, cin, h, h, cout, 3, 3, Conv2dSpec.of(1, 1));
        float[] x = Conv2dTest.uniform(11, cin * h * h), w = Conv2dTest.uniform(12, cout * cin * 9);
        float[] gamma = Conv2dTest.uniform(13, cout), beta = Conv2dTest.uniform(14, cout),
                mean = Conv2dTest.uniform(15, cout), var = new float[cout];
        Arrays.fill(var, 0.5f);
        float[][][] results = new float[2][][];
        for (int k = 0; k < 2; k++) {
            boolean on = k == 1;
            try (CpuBackend cpu = new CpuBackend(new CpuConfig(2, true, CpuConfig.defaultCacheBytes(), true, on));
                 TensorScope s = TensorScope.open()) {
                assertEquals(on && Gemm.WIDE, Conv2dWinograd.applies(cpu, g), "winograd=" + on);
                Tensor xt = Ops.fromArray(cpu, Shape.of(1, cin, h, h), x), wt = Ops.fromArray(cpu, Shape.of(cout, cin, 3, 3), w);
                Tensor gt = Ops.fromArray(cpu, Shape.of(cout), gamma), bt = Ops.fromArray(cpu, Shape.of(cout), beta);
                Tensor mt = Ops.fromArray(cpu, Shape.of(cout), mean), vt = Ops.fromArray(cpu, Shape.of(cout), var);
                float[] first = Ops.conv2dBatchNorm(xt, wt, gt, bt, mt, vt, 1e-3f, Conv2dSpec.of(1, 1), true).toArray();
                cpu.write(wt, Conv2dTest.uniform(16, cout * cin * 9), 0);   // the cached transform is now stale
                float[] second = Ops.conv2dBatchNorm(xt, wt, gt, bt, mt, vt, 1e-3f, Conv2dSpec.of(1, 1), true).toArray();
                results[k] = new float[][]{first, second};
            }
        }
        for (int r = 0; r < 2; r++) {
            float[] direct = results[0][r], winograd = results[1][r];
            assertNotEquals(0, Arrays.stream(box(direct)).filter(v -> v > 0).count(), "some outputs pass the ReLU");
            for (int i = 0; i < direct.length; i++) {
                if (!(Math.abs(direct[i] - winograd[i]) <= 1e-4 * (1 + Math.abs(direct[i])))) {
                    fail((r == 0 ? "before" : "after") + " the write: out[" + i + "] Winograd " + winograd[i]
                            + ", direct " + direct[i]);
                }
            }
        }
        assertFalse(Arrays.equals(results[0][0], results[0][1]), "the write changed the result");
    }

    /** The 1×7, 7×1 and 5×5 kernels have no plan (F(2, 7)'s error outgrew the kit's bound): the direct sums. */
    @Test
    void otherKernelsStayOnTheDirectSums() {
        for (int[] k : new int[][]{{1, 7}, {7, 1}, {5, 5}, {1, 1}}) {
            Conv2d.Geometry g = geometry(1, 4 * L, 17, 17, 64, k[0], k[1], Conv2dSpec.of(1, k[0] / 2, k[1] / 2));
            assertEquals(null, Conv2dWinograd.Plan.of(g), k[0] + "x" + k[1]);
            try (CpuBackend cpu = new CpuBackend(new CpuConfig(1, true))) {
                assertFalse(Conv2dWinograd.applies(cpu, g), k[0] + "x" + k[1]);
            }
        }
    }

    @Test
    void settingIsReadAndChecked() {
        String property = CpuConfig.WINOGRAD_PROPERTY, before = System.getProperty(property);
        try {
            System.clearProperty(property);
            assertTrue(CpuConfig.fromSystemProperties().winograd(), "unset: on");
            System.setProperty(property, "no");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, CpuConfig::fromSystemProperties);
            assertTrue(e.getMessage().contains(property + "=no"), e.getMessage());
            System.setProperty(property, "false");
            assertFalse(CpuConfig.fromSystemProperties().winograd(), "false: off");
            assertTrue(CpuConfig.fromSystemProperties().blockedConv(), "the blocked setting is its own");
        } finally {
            if (before == null) {
                System.clearProperty(property);
            } else {
                System.setProperty(property, before);
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    private static Conv2d.Geometry geometry(int n, int cin, int h, int w, int cout, int kh, int kw, Conv2dSpec s) {
        return new Conv2d.Geometry(n, cin, h, w, cout, kh, kw, s.outH(h, kh), s.outW(w, kw), 1, 1, s.padTop(), s.padLeft(),
                1, 1);
    }

    /** Conv2dWinograd.forward on a fresh backend; every output is written (NaN-filled first). */
    private static float[] run(Conv2d.Geometry g, float[] x, float[] w, BatchNormEpilogue epilogue, int threads) {
        try (CpuBackend cpu = new CpuBackend(new CpuConfig(threads, true))) {
            float[] out = new float[g.batch() * g.cout() * g.positions()];
            Arrays.fill(out, Float.NaN);
            Conv2dWinograd.forward(cpu, out, x, Conv2dWinograd.transformWeights(cpu.parallel(), w, g), g, epilogue);
            return out;
        }
    }

    /** epilogue: 0 none, 1 batch norm, 2 batch norm and ReLU. */
    private static void check(int n, int cin, int h, int w, int cout, int kh, int kw, Conv2dSpec s, int epilogue,
                              int threads, long seed) {
        Conv2d.Geometry g = geometry(n, cin, h, w, cout, kh, kw, s);
        float[] x = Conv2dTest.uniform(seed, n * cin * h * w), wt = Conv2dTest.uniform(seed + 1, cout * cin * kh * kw);
        BatchNormEpilogue bn = null;
        if (epilogue > 0) {
            Random r = new Random(seed + 2);
            float[] gamma = new float[cout], beta = new float[cout], mean = new float[cout], var = new float[cout];
            for (int c = 0; c < cout; c++) {
                gamma[c] = r.nextFloat() * 2 - 1;
                beta[c] = r.nextFloat() - 0.5f;
                mean[c] = r.nextFloat() - 0.5f;
                var[c] = r.nextFloat() * 3;
            }
            bn = BatchNormEpilogue.of(gamma, beta, mean, var, 1e-3f, epilogue == 2);
        }
        float[] got = run(g, x, wt, bn, threads);
        Conv2dTest.Case c = new Conv2dTest.Case("winograd", n, cin, h, w, cout, kh, kw, s, false, seed);
        double[][] ref = Conv2dTest.reference(c, x, wt, null);
        String what = "x[" + n + "," + cin + "," + h + "," + w + "] w[" + cout + "," + cin + "," + kh + "," + kw + "] " + s
                + " epilogue "
                + epilogue + " on " + threads + " thread(s)";
        for (int i = 0; i < got.length; i++) {
            int co = i / g.positions() % cout;
            double expected = ref[0][i], magnitude = ref[1][i], scale = 1;
            if (bn != null) {
                expected = (expected - bn.mean()[co]) * bn.scale()[co] + bn.beta()[co];
                if (bn.relu()) {
                    expected = Math.max(0, expected);
                }
                scale = Math.abs(bn.scale()[co]);
                magnitude = magnitude * scale + Math.abs(bn.mean()[co] * scale) + Math.abs(bn.beta()[co]);
            }
            // The transforms add up to nine terms around each product: a few float roundings of the terms'
            // magnitude, against the direct sum's one per term.
            if (!(Math.abs(got[i] - expected) <= 2e-6 * Math.sqrt(cin * kh * kw) * magnitude + 1e-6)) {
                fail(what + ": out[" + i + "] = " + got[i] + ", formula " + expected + " (magnitude " + magnitude + ")");
            }
        }
    }

    private static Float[] box(float[] a) {
        Float[] b = new Float[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = a[i];
        }
        return b;
    }
}
