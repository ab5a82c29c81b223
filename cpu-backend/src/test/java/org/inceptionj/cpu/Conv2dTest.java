package org.inceptionj.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import java.util.stream.Stream;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CPU conv2d, plain and vectorized, against a double-precision reference written here from
 * the formula in {@code Backend#conv2d}.
 *
 * <p>Tolerance: |got − ref| ≤ 1e-5·√K·Σ_k |x_k·w_k| (plus |bias|), K = Cin·kh·kw, per output
 * element. A float sum of K terms is off by at most about K·2⁻²⁴·Σ|terms|, which stays below this
 * bound for K up to about 27,000; a wrong index or a missed term is off by the size of a term.
 */
class Conv2dTest {

    /** One problem: input [n, cin, h, w], weight [cout, cin, kh, kw], the geometry, and a seed for the data. */
    record Case(String name, int n, int cin, int h, int w, int cout, int kh, int kw, Conv2dSpec spec,
                boolean bias, long seed) {
        int depth() {
            return cin * kh * kw;
        }

        int outH() {
            return spec.outH(h, kh);
        }

        int outW() {
            return spec.outW(w, kw);
        }

        float[] x() {
            return uniform(seed, n * cin * h * w);
        }

        float[] weight() {
            return uniform(seed + 1, cout * cin * kh * kw);
        }

        float[] biasValues() {
            return bias ? uniform(seed + 2, cout) : null;
        }

        @Override
        public String toString() {
            return name + ": x[" + n + "," + cin + "," + h + "," + w + "] w[" + cout + "," + cin + "," + kh + ","
                    + kw + "] " + spec + (bias ? " +bias" : "");
        }
    }

    static float[] uniform(long seed, int size) {
        Random r = new Random(seed);
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = r.nextFloat() * 2 - 1;
        }
        return a;
    }

    /** The formula in double: out[0] the result, out[1] the magnitude Σ|terms| + |bias|, per output element. */
    static double[][] reference(Case c, float[] x, float[] w, float[] b) {
        int oh = c.outH(), ow = c.outW();
        Conv2dSpec s = c.spec();
        double[] out = new double[c.n() * c.cout() * oh * ow], mag = new double[out.length];
        for (int n = 0; n < c.n(); n++) {
            for (int co = 0; co < c.cout(); co++) {
                for (int y = 0; y < oh; y++) {
                    for (int z = 0; z < ow; z++) {
                        double sum = b == null ? 0 : b[co], abs = b == null ? 0 : Math.abs(b[co]);
                        for (int ci = 0; ci < c.cin(); ci++) {
                            for (int i = 0; i < c.kh(); i++) {
                                for (int j = 0; j < c.kw(); j++) {
                                    int ih = y * s.strideH() - s.padTop() + i * s.dilationH();
                                    int iw = z * s.strideW() - s.padLeft() + j * s.dilationW();
                                    if (ih >= 0 && ih < c.h() && iw >= 0 && iw < c.w()) {
                                        double t = (double) x[((n * c.cin() + ci) * c.h() + ih) * c.w() + iw]
                                                * w[((co * c.cin() + ci) * c.kh() + i) * c.kw() + j];
                                        sum += t;
                                        abs += Math.abs(t);
                                    }
                                }
                            }
                        }
                        int at = ((n * c.cout() + co) * oh + y) * ow + z;
                        out[at] = sum;
                        mag[at] = abs;
                    }
                }
            }
        }
        return new double[][]{out, mag};
    }

    /** conv2d through {@link Ops} on a fresh backend; every tensor is closed on return. */
    static float[] run(Case c, int threads, boolean vectorized, float[] x, float[] w, float[] b) {
        try (CpuBackend cpu = new CpuBackend(new CpuConfig(threads, vectorized));
             TensorScope _ = TensorScope.open()) {
            Tensor xt = Ops.fromArray(cpu, Shape.of(c.n(), c.cin(), c.h(), c.w()), x);
            Tensor wt = Ops.fromArray(cpu, Shape.of(c.cout(), c.cin(), c.kh(), c.kw()), w);
            Tensor bt = b == null ? null : Ops.fromArray(cpu, Shape.of(c.cout()), b);
            Tensor out = Ops.conv2d(xt, wt, bt, c.spec());
            assertEquals(Shape.of(c.n(), c.cout(), c.outH(), c.outW()), out.shape(), c.toString());
            return out.toArray();
        }
    }

    static void assertMatchesReference(Case c, String path, float[] got, double[][] ref) {
        double scale = 1e-5 * Math.sqrt(Math.max(1, c.depth()));
        for (int i = 0; i < got.length; i++) {
            double err = Math.abs(got[i] - ref[0][i]);
            if (!(err <= scale * ref[1][i])) {
                fail(path + " " + c + ": out[" + i + "] = " + got[i] + ", reference " + ref[0][i]
                        + " (error " + err + " > " + scale * ref[1][i] + ")");
            }
        }
    }

    /** Plain on one thread, vectorized on two, both against the reference. */
    static void check(Case c) {
        float[] x = c.x(), w = c.weight(), b = c.biasValues();
        double[][] ref = reference(c, x, w, b);
        assertMatchesReference(c, "plain", run(c, 1, false, x, w, b), ref);
        assertMatchesReference(c, "vectorized", run(c, 2, true, x, w, b), ref);
    }

    // ---------------------------------------------------------------- random geometry

    @Provide
    Arbitrary<Integer> channels() {
        // Around the vector widths (8 with AVX2, 16 with AVX-512) and the 4-row register tile.
        return Arbitraries.of(1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17);
    }

    @Property(tries = 120)
    void randomGeometryMatchesReference(@ForAll @IntRange(min = 1, max = 2) int n,
                                        @ForAll("channels") int cin, @ForAll("channels") int cout,
                                        @ForAll @IntRange(min = 1, max = 19) int h,
                                        @ForAll @IntRange(min = 1, max = 19) int w,
                                        @ForAll @IntRange(min = 1, max = 7) int kh,
                                        @ForAll @IntRange(min = 1, max = 7) int kw,
                                        @ForAll @IntRange(min = 1, max = 3) int strideH,
                                        @ForAll @IntRange(min = 1, max = 3) int strideW,
                                        @ForAll @IntRange(min = 1, max = 2) int dilationH,
                                        @ForAll @IntRange(min = 1, max = 2) int dilationW,
                                        @ForAll @IntRange(min = 0, max = 3) int padTop,
                                        @ForAll @IntRange(min = 0, max = 3) int padLeft,
                                        @ForAll @IntRange(min = 0, max = 3) int padBottom,
                                        @ForAll @IntRange(min = 0, max = 3) int padRight,
                                        @ForAll boolean bias, @ForAll long seed) {
        // Bring the draw into the valid range rather than discard it: padding at most the kernel
        // extent − 1 (as Ops requires), input at least big enough for one output.
        int extentH = dilationH * (kh - 1) + 1, extentW = dilationW * (kw - 1) + 1;
        padTop = Math.min(padTop, extentH - 1);
        padBottom = Math.min(padBottom, extentH - 1);
        padLeft = Math.min(padLeft, extentW - 1);
        padRight = Math.min(padRight, extentW - 1);
        h = Math.max(h, extentH - padTop - padBottom);
        w = Math.max(w, extentW - padLeft - padRight);
        Conv2dSpec spec = new Conv2dSpec(strideH, strideW, padTop, padLeft, padBottom, padRight, dilationH, dilationW);
        check(new Case("random", n, cin, h, w, cout, kh, kw, spec, bias, seed));
    }

    // ---------------------------------------------------------------- the shapes Inception-v3 uses

    static Stream<Arguments> inceptionShapes() {
        return Stream.of(
                // name, n, cin, h, w, cout, kh, kw, spec
                new Case("1x1 (pointwise GEMM)", 2, 16, 17, 17, 9, 1, 1, Conv2dSpec.of(1, 0), true, 1),
                new Case("1x1, padded bottom/right", 1, 7, 9, 8, 5, 1, 1,
                        new Conv2dSpec(1, 1, 0, 0, 0, 0, 1, 1), false, 2),
                new Case("3x3 pad 1 at 35x35", 1, 9, 35, 35, 17, 3, 3, Conv2dSpec.of(1, 1), true, 3),
                new Case("5x5 pad 2 at 35x35", 1, 7, 35, 35, 8, 5, 5, Conv2dSpec.of(1, 2), true, 4),
                new Case("1x7 pad (0,3) at 17x17", 2, 17, 17, 17, 16, 1, 7, Conv2dSpec.of(1, 0, 3), true, 5),
                new Case("7x1 pad (3,0) at 17x17", 2, 16, 17, 17, 15, 7, 1, Conv2dSpec.of(1, 3, 0), false, 6),
                new Case("1x3 pad (0,1) at 8x8", 3, 8, 8, 8, 9, 1, 3, Conv2dSpec.of(1, 0, 1), true, 7),
                new Case("3x1 pad (1,0) at 8x8", 3, 9, 8, 8, 8, 3, 1, Conv2dSpec.of(1, 1, 0), true, 8),
                new Case("3x3 stride 2 35->17", 1, 8, 35, 35, 7, 3, 3, Conv2dSpec.of(2, 0), true, 9),
                new Case("3x3 stride 2 17->8", 2, 15, 17, 17, 17, 3, 3, Conv2dSpec.of(2, 0), false, 10),
                new Case("stem 3x3 stride 2, 3 channels, 299x299", 1, 3, 299, 299, 32, 3, 3, Conv2dSpec.of(2, 0), false, 11),
                new Case("3x3 at 73x73 (Conv2d_4a)", 1, 5, 73, 73, 6, 3, 3, Conv2dSpec.of(1, 0), false, 12),
                new Case("TF SAME: 3x3 stride 2, pad bottom/right only", 1, 4, 16, 16, 5, 3, 3,
                        new Conv2dSpec(2, 2, 0, 0, 1, 1, 1, 1), true, 13),
                new Case("dilated 3x3", 1, 5, 13, 11, 6, 3, 3, new Conv2dSpec(1, 1, 2, 1, 2, 1, 2, 2), true, 14),
                new Case("dilated 3x3, same size", 2, 6, 12, 13, 5, 3, 3, new Conv2dSpec(1, 1, 2, 2, 2, 2, 2, 2), true, 18),
                new Case("1-wide input, 3x3 pad 1", 2, 3, 5, 1, 4, 3, 3, Conv2dSpec.of(1, 1), true, 19),
                new Case("1-high input, 1x7 pad (0,3)", 2, 9, 1, 7, 4, 1, 7, Conv2dSpec.of(1, 0, 3), false, 20),
                // Past every block of the GEMM: K = 360 > KC, outH·outW = 441 > NC, Cout = 133 > MC
                // and not a multiple of the 4-row tile.
                new Case("all GEMM blocks crossed", 2, 40, 21, 21, 133, 3, 3, Conv2dSpec.of(1, 1), true, 15),
                new Case("pointwise with K > KC", 1, 300, 9, 9, 5, 1, 1, Conv2dSpec.of(1, 0), true, 16),
                new Case("empty reduction (Cin = 0): out = bias", 1, 0, 4, 4, 3, 3, 3, Conv2dSpec.of(1, 1), true, 17),
                // Small images, one product across the batch (Conv2dBatched): columns cross images,
                // and blocks of NC columns (33·9 > 256); 1×1 images; Cout not a multiple of the tile.
                new Case("1x7 pad (0,3) at 3x3, 33 images", 33, 10, 3, 3, 13, 1, 7, Conv2dSpec.of(1, 0, 3), true, 22),
                new Case("3x3 pad 1 at 1x1, 5 images", 5, 19, 1, 1, 21, 3, 3, Conv2dSpec.of(1, 1), false, 23),
                new Case("1x1 at 1x1, K > KC", 7, 300, 1, 1, 6, 1, 1, Conv2dSpec.of(1, 0), true, 24),
                // Fewer positions than a vector, gathered through the window table: one position read
                // from a 3×3 plane, and "same"-padded 7×1 over 2×5 planes (runs of 10 across images).
                new Case("3x3 stride 2 at 3x3 -> 1x1, 6 images", 6, 7, 3, 3, 9, 3, 3, Conv2dSpec.of(2, 0), true, 41),
                new Case("7x1 pad (3,0) at 2x5, 7 images", 7, 6, 2, 5, 11, 7, 1, Conv2dSpec.of(1, 3, 0), false, 42),
                // Few columns, so W is read in place (Conv2d.weightsInPlace): past KC and MC, and
                // Cout = 133 leaves an 8-row, a 4-row and a 1-row tile.
                new Case("W in place: 3x3 pad 1 at 8x8, batch 1, K > KC, Cout > MC", 1, 40, 8, 8, 133, 3, 3,
                        Conv2dSpec.of(1, 1), true, 26),
                new Case("W in place, small images across the batch", 3, 300, 5, 5, 133, 1, 1,
                        Conv2dSpec.of(1, 0), false, 27),
                new Case("17x17: a one-column strip, K > KC", 2, 300, 17, 17, 133, 1, 1, Conv2dSpec.of(1, 0), true, 31),
                new Case("17x17: a one-column strip, W in place", 1, 40, 17, 17, 21, 7, 1, Conv2dSpec.of(1, 3, 0),
                        true, 32),
                // Stride 1 with outW < W: the product runs over the wide grid of outH rows of W
                // columns (Conv2dIm2col.wide) and keeps outW of each; pieces end mid-row.
                new Case("wide grid: unpadded 3x3 at 37x37, K > KC, 2 images", 2, 30, 37, 37, 21, 3, 3,
                        Conv2dSpec.of(1, 0), true, 33),
                new Case("wide grid: 5x5 pad 1, outW = W - 2", 1, 6, 19, 23, 10, 5, 5, Conv2dSpec.of(1, 1), false, 34),
                new Case("wide grid: 1x3 unpadded, W in place", 1, 12, 6, 9, 7, 1, 3, Conv2dSpec.of(1, 0), true, 36)
        ).map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("inceptionShapes")
    void inceptionShapesMatchReference(Case c) {
        check(c);
    }

    // ---------------------------------------------------------------- determinism and overwrite

    /**
     * Same bits from two runs and from any thread count, vectorized and plain: each output element
     * is summed in one fixed order whichever thread computes it. Exact equality, not a tolerance.
     */
    static Stream<Arguments> determinismShapes() {
        return Stream.of(
                new Case("determinism", 3, 40, 21, 21, 133, 3, 3, Conv2dSpec.of(1, 1), true, 21),
                // Small images: one product across the batch (Conv2dBatched).
                new Case("determinism, small images", 9, 40, 3, 3, 45, 3, 3, Conv2dSpec.of(1, 1), true, 25),
                new Case("determinism, W in place", 1, 40, 8, 8, 133, 3, 3, Conv2dSpec.of(1, 1), true, 28),
                // 17×17 = 9 strips and one column: the one-vector tile (Gemm.narrow8), packed and in place.
                new Case("determinism, a one-column strip", 2, 30, 17, 17, 133, 1, 7, Conv2dSpec.of(1, 0, 3), true, 29),
                new Case("determinism, a one-column strip, W in place", 1, 300, 17, 17, 21, 1, 1, Conv2dSpec.of(1, 0),
                        false, 30),
                new Case("determinism, wide grid", 2, 30, 37, 37, 21, 3, 3, Conv2dSpec.of(1, 0), true, 35)
        ).map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("determinismShapes")
    void resultsAreBitIdenticalAcrossRunsAndThreadCounts(Case c) {
        float[] x = c.x(), w = c.weight(), b = c.biasValues();
        float[] vector1 = run(c, 1, true, x, w, b);
        assertArrayEquals(vector1, run(c, 1, true, x, w, b), "vectorized, two runs on 1 thread");
        assertArrayEquals(vector1, run(c, 2, true, x, w, b), "vectorized, 1 vs 2 threads");
        assertArrayEquals(vector1, run(c, 3, true, x, w, b), "vectorized, 1 vs 3 threads");
        float[] plain1 = run(c, 1, false, x, w, b);
        assertArrayEquals(plain1, run(c, 1, false, x, w, b), "plain, two runs on 1 thread");
        assertArrayEquals(plain1, run(c, 3, false, x, w, b), "plain, 1 vs 3 threads");
    }

    /** The primitive overwrites its output (Backend's convention): stale contents must not leak in. */
    @Test
    void outputIsOverwrittenNotAccumulated() {
        Case c = new Case("overwrite", 2, 9, 11, 10, 7, 3, 3, Conv2dSpec.of(1, 1), false, 31);
        float[] x = c.x(), w = c.weight();
        double[][] ref = reference(c, x, w, null);
        for (boolean vectorized : new boolean[]{false, true}) {
            try (CpuBackend cpu = new CpuBackend(new CpuConfig(2, vectorized));
                 TensorScope _ = TensorScope.open()) {
                Tensor out = Ops.zeros(cpu, Shape.of(c.n(), c.cout(), c.outH(), c.outW()));
                float[] stale = new float[out.size()];
                java.util.Arrays.fill(stale, 1e6f);
                cpu.write(out, stale, 0);
                cpu.conv2d(out, Ops.fromArray(cpu, Shape.of(c.n(), c.cin(), c.h(), c.w()), x),
                        Ops.fromArray(cpu, Shape.of(c.cout(), c.cin(), c.kh(), c.kw()), w), null, c.spec());
                assertMatchesReference(c, vectorized ? "vectorized" : "plain", out.toArray(), ref);
            }
        }
    }
}
