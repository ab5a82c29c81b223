package org.inceptionj.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
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
 * The CPU conv2d gradients (data and weight), plain and vectorized, against double-precision
 * references written here from the formulas in {@code Backend#conv2dBackwardData} and
 * {@code Backend#conv2dBackwardWeight}; and those references against central finite differences
 * of the forward convolution, so that a transposition mistaken in both the reference and the
 * kernels cannot pass.
 *
 * <p>Tolerance: |got − ref| ≤ 1e-5·√T·Σ|terms| per output element, T the number of terms in its
 * sum (Cout·kh·kw for dx, N·outH·outW for dw); see {@code Conv2dTest} for why. A wrong index or a
 * lost term is off by the size of a term.
 */
class Conv2dBackwardTest {

    /** One problem: input [n, cin, h, w], weight [cout, cin, kh, kw], the geometry, and a seed for the data. */
    record Case(String name, int n, int cin, int h, int w, int cout, int kh, int kw, Conv2dSpec spec, long seed) {
        int outH() {
            return spec.outH(h, kh);
        }

        int outW() {
            return spec.outW(w, kw);
        }

        Shape xShape() {
            return Shape.of(n, cin, h, w);
        }

        Shape wShape() {
            return Shape.of(cout, cin, kh, kw);
        }

        Shape yShape() {
            return Shape.of(n, cout, outH(), outW());
        }

        /** The backend's sizes of this problem. */
        Conv2d.Geometry geometry() {
            return new Conv2d.Geometry(n, cin, h, w, cout, kh, kw, outH(), outW(), spec.strideH(), spec.strideW(),
                    spec.padTop(), spec.padLeft(), spec.dilationH(), spec.dilationW());
        }

        float[] x() {
            return uniform(seed, n * cin * h * w);
        }

        float[] weight() {
            return uniform(seed + 1, cout * cin * kh * kw);
        }

        float[] dy() {
            return uniform(seed + 2, n * cout * outH() * outW());
        }

        @Override
        public String toString() {
            return name + ": x[" + n + "," + cin + "," + h + "," + w + "] w[" + cout + "," + cin + "," + kh + ","
                    + kw + "] " + spec;
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

    // ---------------------------------------------------------------- references in double

    /** A gradient in double: value[i] and magnitude[i] = Σ|terms|, and the term count of the largest sum. */
    record Reference(double[] value, double[] magnitude, int terms) {
    }

    /**
     * dx by the formula, written as a gather: for each input cell, every (co, i, j) whose window
     * position (oh, ow) exists, i.e. ih + padTop − i·dH = oh·sH with 0 ≤ oh &lt; outH (same for w).
     */
    static Reference referenceData(Case c, double[] dy, double[] w) {
        Conv2dSpec s = c.spec();
        int oh = c.outH(), ow = c.outW();
        double[] dx = new double[c.n() * c.cin() * c.h() * c.w()], mag = new double[dx.length];
        for (int n = 0; n < c.n(); n++) {
            for (int ci = 0; ci < c.cin(); ci++) {
                for (int ih = 0; ih < c.h(); ih++) {
                    for (int iw = 0; iw < c.w(); iw++) {
                        double sum = 0, abs = 0;
                        for (int co = 0; co < c.cout(); co++) {
                            for (int i = 0; i < c.kh(); i++) {
                                for (int j = 0; j < c.kw(); j++) {
                                    int y = ih + s.padTop() - i * s.dilationH();
                                    int z = iw + s.padLeft() - j * s.dilationW();
                                    if (y < 0 || z < 0 || y % s.strideH() != 0 || z % s.strideW() != 0) {
                                        continue;
                                    }
                                    y /= s.strideH();
                                    z /= s.strideW();
                                    if (y < oh && z < ow) {
                                        double t = dy[((n * c.cout() + co) * oh + y) * ow + z]
                                                * w[((co * c.cin() + ci) * c.kh() + i) * c.kw() + j];
                                        sum += t;
                                        abs += Math.abs(t);
                                    }
                                }
                            }
                        }
                        int at = ((n * c.cin() + ci) * c.h() + ih) * c.w() + iw;
                        dx[at] = sum;
                        mag[at] = abs;
                    }
                }
            }
        }
        return new Reference(dx, mag, c.cout() * c.kh() * c.kw());
    }

    /** dw by the formula: for each weight, the sum over every window position of every image. */
    static Reference referenceWeight(Case c, double[] dy, double[] x) {
        Conv2dSpec s = c.spec();
        int oh = c.outH(), ow = c.outW();
        double[] dw = new double[c.cout() * c.cin() * c.kh() * c.kw()], mag = new double[dw.length];
        for (int co = 0; co < c.cout(); co++) {
            for (int ci = 0; ci < c.cin(); ci++) {
                for (int i = 0; i < c.kh(); i++) {
                    for (int j = 0; j < c.kw(); j++) {
                        double sum = 0, abs = 0;
                        for (int n = 0; n < c.n(); n++) {
                            for (int y = 0; y < oh; y++) {
                                for (int z = 0; z < ow; z++) {
                                    int ih = y * s.strideH() - s.padTop() + i * s.dilationH();
                                    int iw = z * s.strideW() - s.padLeft() + j * s.dilationW();
                                    if (ih >= 0 && ih < c.h() && iw >= 0 && iw < c.w()) {
                                        double t = dy[((n * c.cout() + co) * oh + y) * ow + z]
                                                * x[((n * c.cin() + ci) * c.h() + ih) * c.w() + iw];
                                        sum += t;
                                        abs += Math.abs(t);
                                    }
                                }
                            }
                        }
                        int at = ((co * c.cin() + ci) * c.kh() + i) * c.kw() + j;
                        dw[at] = sum;
                        mag[at] = abs;
                    }
                }
            }
        }
        return new Reference(dw, mag, c.n() * oh * ow);
    }

    /** The forward convolution in double (no bias), for finite differences. */
    static double[] forward(Case c, double[] x, double[] w) {
        Conv2dSpec s = c.spec();
        int oh = c.outH(), ow = c.outW();
        double[] out = new double[c.n() * c.cout() * oh * ow];
        for (int n = 0; n < c.n(); n++) {
            for (int co = 0; co < c.cout(); co++) {
                for (int y = 0; y < oh; y++) {
                    for (int z = 0; z < ow; z++) {
                        double sum = 0;
                        for (int ci = 0; ci < c.cin(); ci++) {
                            for (int i = 0; i < c.kh(); i++) {
                                for (int j = 0; j < c.kw(); j++) {
                                    int ih = y * s.strideH() - s.padTop() + i * s.dilationH();
                                    int iw = z * s.strideW() - s.padLeft() + j * s.dilationW();
                                    if (ih >= 0 && ih < c.h() && iw >= 0 && iw < c.w()) {
                                        sum += x[((n * c.cin() + ci) * c.h() + ih) * c.w() + iw]
                                                * w[((co * c.cin() + ci) * c.kh() + i) * c.kw() + j];
                                    }
                                }
                            }
                        }
                        out[((n * c.cout() + co) * oh + y) * ow + z] = sum;
                    }
                }
            }
        }
        return out;
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    // ---------------------------------------------------------------- running the backend

    /** conv2dBackwardData through {@link Ops} on a fresh backend; every tensor is closed on return. */
    static float[] runData(Case c, int threads, boolean vectorized, float[] dy, float[] w) {
        try (CpuBackend cpu = new CpuBackend(new CpuConfig(threads, vectorized));
             TensorScope scope = TensorScope.open()) {
            Tensor dx = Ops.conv2dBackwardData(Ops.fromArray(cpu, c.yShape(), dy), Ops.fromArray(cpu, c.wShape(), w),
                    c.xShape(), c.spec());
            assertEquals(c.xShape(), dx.shape(), c.toString());
            return dx.toArray();
        }
    }

    /** conv2dBackwardWeight through {@link Ops} on a fresh backend; every tensor is closed on return. */
    static float[] runWeight(Case c, int threads, boolean vectorized, float[] dy, float[] x) {
        try (CpuBackend cpu = new CpuBackend(new CpuConfig(threads, vectorized));
             TensorScope scope = TensorScope.open()) {
            Tensor dw = Ops.conv2dBackwardWeight(Ops.fromArray(cpu, c.yShape(), dy), Ops.fromArray(cpu, c.xShape(), x),
                    c.wShape(), c.spec());
            assertEquals(c.wShape(), dw.shape(), c.toString());
            return dw.toArray();
        }
    }

    static void assertMatches(Case c, String what, float[] got, Reference ref) {
        assertEquals(ref.value().length, got.length, what + " " + c + ": size");
        double scale = 1e-5 * Math.sqrt(Math.max(1, ref.terms()));
        for (int i = 0; i < got.length; i++) {
            double err = Math.abs(got[i] - ref.value()[i]);
            if (!(err <= scale * ref.magnitude()[i])) {
                fail(what + " " + c + ": [" + i + "] = " + got[i] + ", reference " + ref.value()[i]
                        + " (error " + err + " > " + scale * ref.magnitude()[i] + ")");
            }
        }
    }

    /** Plain on one thread, vectorized on two and three, both gradients against the references. */
    static void check(Case c) {
        float[] x = c.x(), w = c.weight(), dy = c.dy();
        Reference data = referenceData(c, toDouble(dy), toDouble(w));
        Reference weight = referenceWeight(c, toDouble(dy), toDouble(x));
        assertMatches(c, "dx plain", runData(c, 1, false, dy, w), data);
        assertMatches(c, "dx vectorized", runData(c, 2, true, dy, w), data);
        assertMatches(c, "dx vectorized, 3 threads", runData(c, 3, true, dy, w), data);
        assertMatches(c, "dw plain", runWeight(c, 1, false, dy, x), weight);
        assertMatches(c, "dw vectorized", runWeight(c, 2, true, dy, x), weight);
        assertMatches(c, "dw vectorized, 3 threads", runWeight(c, 3, true, dy, x), weight);
    }

    // ---------------------------------------------------------------- random geometry

    @Provide
    Arbitrary<Integer> channels() {
        // Around the vector width (8 with AVX2, 16 with AVX-512) and the 4-row register tile.
        return Arbitraries.of(1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17);
    }

    @Property(tries = 100)
    void randomGeometryMatchesReference(@ForAll @IntRange(min = 1, max = 2) int n,
                                        @ForAll("channels") int cin, @ForAll("channels") int cout,
                                        @ForAll @IntRange(min = 1, max = 17) int h,
                                        @ForAll @IntRange(min = 1, max = 17) int w,
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
                                        @ForAll long seed) {
        check(fit("random", n, cin, h, w, cout, kh, kw,
                new int[]{strideH, strideW, padTop, padLeft, padBottom, padRight, dilationH, dilationW}, seed));
    }

    /**
     * Brings a draw into the valid range rather than discarding it: padding at most the kernel
     * extent − 1 (as Ops requires), input at least big enough for one output.
     * geometry = {sH, sW, padTop, padLeft, padBottom, padRight, dH, dW}.
     */
    static Case fit(String name, int n, int cin, int h, int w, int cout, int kh, int kw, int[] geometry, long seed) {
        int extentH = geometry[6] * (kh - 1) + 1, extentW = geometry[7] * (kw - 1) + 1;
        int padTop = Math.min(geometry[2], extentH - 1), padBottom = Math.min(geometry[4], extentH - 1);
        int padLeft = Math.min(geometry[3], extentW - 1), padRight = Math.min(geometry[5], extentW - 1);
        h = Math.max(h, extentH - padTop - padBottom);
        w = Math.max(w, extentW - padLeft - padRight);
        Conv2dSpec spec = new Conv2dSpec(geometry[0], geometry[1], padTop, padLeft, padBottom, padRight,
                geometry[6], geometry[7]);
        return new Case(name, n, cin, h, w, cout, kh, kw, spec, seed);
    }

    // ---------------------------------------------------------------- the references against finite differences

    /**
     * With L(x, w) = Σ dy·conv(x, w), dL/dx = conv2dBackwardData(dy, w) and dL/dw =
     * conv2dBackwardWeight(dy, x). L is linear in each argument, so the central difference
     * (L(x + h·e) − L(x − h·e)) / 2h is exact up to double rounding: every element of both
     * references, and of both float paths, is checked against it on tiny shapes.
     */
    @Property(tries = 40)
    void gradientsMatchFiniteDifferencesOfTheForward(@ForAll @IntRange(min = 1, max = 2) int n,
                                                     @ForAll @IntRange(min = 1, max = 3) int cin,
                                                     @ForAll @IntRange(min = 1, max = 3) int cout,
                                                     @ForAll @IntRange(min = 1, max = 7) int h,
                                                     @ForAll @IntRange(min = 1, max = 7) int w,
                                                     @ForAll @IntRange(min = 1, max = 3) int kh,
                                                     @ForAll @IntRange(min = 1, max = 3) int kw,
                                                     @ForAll @IntRange(min = 1, max = 3) int strideH,
                                                     @ForAll @IntRange(min = 1, max = 3) int strideW,
                                                     @ForAll @IntRange(min = 1, max = 2) int dilationH,
                                                     @ForAll @IntRange(min = 1, max = 2) int dilationW,
                                                     @ForAll @IntRange(min = 0, max = 2) int padTop,
                                                     @ForAll @IntRange(min = 0, max = 2) int padLeft,
                                                     @ForAll @IntRange(min = 0, max = 2) int padBottom,
                                                     @ForAll @IntRange(min = 0, max = 2) int padRight,
                                                     @ForAll long seed) {
        Case c = fit("tiny", n, cin, h, w, cout, kh, kw,
                new int[]{strideH, strideW, padTop, padLeft, padBottom, padRight, dilationH, dilationW}, seed);
        float[] xf = c.x(), wf = c.weight(), dyf = c.dy();
        double[] x = toDouble(xf), wt = toDouble(wf), dy = toDouble(dyf);
        double step = 0.5;
        double[] fdX = new double[x.length];
        for (int e = 0; e < x.length; e++) {
            double keep = x[e];
            x[e] = keep + step;
            double up = dot(dy, forward(c, x, wt));
            x[e] = keep - step;
            double down = dot(dy, forward(c, x, wt));
            x[e] = keep;
            fdX[e] = (up - down) / (2 * step);
        }
        double[] fdW = new double[wt.length];
        for (int e = 0; e < wt.length; e++) {
            double keep = wt[e];
            wt[e] = keep + step;
            double up = dot(dy, forward(c, x, wt));
            wt[e] = keep - step;
            double down = dot(dy, forward(c, x, wt));
            wt[e] = keep;
            fdW[e] = (up - down) / (2 * step);
        }
        Reference data = referenceData(c, dy, wt), weight = referenceWeight(c, dy, x);
        for (int e = 0; e < x.length; e++) {
            if (Math.abs(data.value()[e] - fdX[e]) > 1e-9 * (1 + data.magnitude()[e])) {
                fail("reference dx " + c + ": [" + e + "] = " + data.value()[e] + ", finite difference " + fdX[e]);
            }
        }
        for (int e = 0; e < wt.length; e++) {
            if (Math.abs(weight.value()[e] - fdW[e]) > 1e-9 * (1 + weight.magnitude()[e])) {
                fail("reference dw " + c + ": [" + e + "] = " + weight.value()[e] + ", finite difference " + fdW[e]);
            }
        }
        // The kernels against the finite differences directly, with the references' magnitudes for scale.
        Reference fdData = new Reference(fdX, data.magnitude(), data.terms());
        Reference fdWeight = new Reference(fdW, weight.magnitude(), weight.terms());
        assertMatches(c, "dx plain vs finite differences", runData(c, 1, false, dyf, wf), fdData);
        assertMatches(c, "dx vectorized vs finite differences", runData(c, 2, true, dyf, wf), fdData);
        assertMatches(c, "dw plain vs finite differences", runWeight(c, 1, false, dyf, xf), fdWeight);
        assertMatches(c, "dw vectorized vs finite differences", runWeight(c, 2, true, dyf, xf), fdWeight);
    }

    // ---------------------------------------------------------------- the shapes Inception-v3 uses

    static Stream<Arguments> inceptionShapes() {
        return Stream.of(
                // name, n, cin, h, w, cout, kh, kw, spec
                new Case("1x1 (pointwise)", 2, 16, 17, 17, 9, 1, 1, Conv2dSpec.of(1, 0), 1),
                new Case("1x1, channels not a multiple of the tile", 3, 7, 9, 8, 5, 1, 1, Conv2dSpec.of(1, 0), 2),
                new Case("3x3 pad 1 at 35x35", 1, 9, 35, 35, 17, 3, 3, Conv2dSpec.of(1, 1), 3),
                new Case("5x5 pad 2 at 35x35", 1, 7, 35, 35, 8, 5, 5, Conv2dSpec.of(1, 2), 4),
                new Case("1x7 pad (0,3) at 17x17", 2, 17, 17, 17, 16, 1, 7, Conv2dSpec.of(1, 0, 3), 5),
                new Case("7x1 pad (3,0) at 17x17", 2, 16, 17, 17, 15, 7, 1, Conv2dSpec.of(1, 3, 0), 6),
                new Case("1x3 pad (0,1) at 8x8", 3, 8, 8, 8, 9, 1, 3, Conv2dSpec.of(1, 0, 1), 7),
                new Case("3x1 pad (1,0) at 8x8", 3, 9, 8, 8, 8, 3, 1, Conv2dSpec.of(1, 1, 0), 8),
                new Case("3x3 stride 2 35->17", 1, 8, 35, 35, 7, 3, 3, Conv2dSpec.of(2, 0), 9),
                new Case("3x3 stride 2 17->8: last row and column untouched", 2, 15, 17, 17, 17, 3, 3,
                        Conv2dSpec.of(2, 0), 10),
                new Case("stem 3x3 stride 2, 3 channels, 149x149", 1, 3, 149, 149, 32, 3, 3, Conv2dSpec.of(2, 0), 11),
                new Case("3x3 at 73x73 (Conv2d_4a)", 1, 5, 73, 73, 6, 3, 3, Conv2dSpec.of(1, 0), 12),
                new Case("TF SAME: 3x3 stride 2, pad bottom/right only", 1, 4, 16, 16, 5, 3, 3,
                        new Conv2dSpec(2, 2, 0, 0, 1, 1, 1, 1), 13),
                new Case("dilated 3x3", 1, 5, 13, 11, 6, 3, 3, new Conv2dSpec(1, 1, 2, 1, 2, 1, 2, 2), 14),
                // dx: Cout > KC (the sum over co in two k-blocks), several channel groups, 441
                // positions > one col2im block. dw: the reduction 2·441 > KC with an image boundary
                // inside a k-block, K = 360 or 369 > NR, Cout > MC, and 133 not a multiple of the
                // 4-row tile.
                new Case("every block crossed (Cout 260)", 2, 40, 21, 21, 260, 3, 3, Conv2dSpec.of(1, 1), 15),
                new Case("every block crossed (Cout 133)", 2, 41, 21, 21, 133, 3, 3, Conv2dSpec.of(1, 1), 16),
                new Case("pointwise with K > KC", 1, 300, 9, 9, 5, 1, 1, Conv2dSpec.of(1, 0), 17),
                new Case("pointwise with Cout > KC", 2, 6, 9, 9, 300, 1, 1, Conv2dSpec.of(1, 0), 18),
                new Case("1x1 stride 2 (not pointwise)", 2, 9, 9, 9, 6, 1, 1, Conv2dSpec.of(2, 0), 19),
                // dw: the reduction 4·1225 is long enough to be cut into parts, summed apart.
                new Case("stem 3x3 pad 1 at 35x35, long reduction", 4, 5, 35, 35, 6, 3, 3, Conv2dSpec.of(1, 1), 20),
                // The same with K = 540 > one chunk of rows of col (Conv2dBackwardWeightRows.CHUNK_ROWS).
                new Case("long reduction, K too long for dot products", 4, 60, 35, 35, 5, 3, 3, Conv2dSpec.of(1, 1), 27),
                // dx over small images, one product across the batch (Conv2dBatched): columns cross
                // images and NC blocks (33·9 > 256); 1×1 images; channel groups of MR channels.
                new Case("7x1 pad (3,0) at 3x3, 33 images", 33, 10, 3, 3, 13, 7, 1, Conv2dSpec.of(1, 3, 0), 23),
                new Case("3x3 pad 1 at 1x1, 5 images", 5, 19, 1, 1, 21, 3, 3, Conv2dSpec.of(1, 1), 24),
                new Case("1x1 at 1x1, Cout > KC", 3, 9, 1, 1, 300, 1, 1, Conv2dSpec.of(1, 0), 25),
                // dx with one output position per image, as colGrad's transpose (Conv2dBatched.dataAtOnePosition):
                // the auxiliary head's 5×5 on 5×5 (Cin·25 = 175 columns, several strips, the last part-filled);
                // taps in the padding; a stride that leaves input cells no tap reaches; Cout > KC.
                new Case("one position: 5x5 on 5x5 (the aux head), 6 images", 6, 7, 5, 5, 40, 5, 5, Conv2dSpec.of(1, 0), 41),
                new Case("one position: 5x5 pad 2 on 1x1", 5, 9, 1, 1, 11, 5, 5, Conv2dSpec.of(1, 2), 42),
                new Case("one position: 3x3 stride 2 on 4x4, last row and column unreached", 3, 6, 4, 4, 9, 3, 3,
                        Conv2dSpec.of(2, 0), 43),
                new Case("one position: Cout > KC", 2, 3, 3, 3, 300, 3, 3, Conv2dSpec.of(1, 0), 44),
                // dw with col as A (Conv2dBackwardWeightRows) over small images, gathered through the window table.
                new Case("5x5 pad 2 at 7x7, 33 images", 33, 6, 7, 7, 13, 5, 5, Conv2dSpec.of(1, 2), 28),
                // ... with two strips of dyᵀ, the last part-filled (Cout 40), and K = 45 not a whole tile
                new Case("dw rows: 3x3 pad 1 at 35x35, Cout 40, K 45", 2, 5, 35, 35, 40, 3, 3, Conv2dSpec.of(1, 1), 32),
                // ... rows built run by run (unpadded, stride 2) rather than as whole planes
                new Case("dw rows: unpadded 3x3 at 37x37", 2, 4, 37, 37, 24, 3, 3, Conv2dSpec.of(1, 0), 33),
                new Case("dw rows: 3x3 stride 2 at 75x75", 2, 3, 75, 75, 16, 3, 3, Conv2dSpec.of(2, 0), 34),
                new Case("dw rows: 1x7 pad (0,3) at 17x17, 8 images", 8, 7, 17, 17, 17, 1, 7, Conv2dSpec.of(1, 0, 3), 35),
                // ... K = 1200 in chunks of rows of col, Cout 70 in three strips (the last part-filled)
                new Case("dw rows: 5x5 pad 2 at 35x35, K 1200, Cout 70", 1, 48, 35, 35, 70, 5, 5, Conv2dSpec.of(1, 2), 37),
                // ... over the wide grid (outW < W: unpadded in width, padded in height), part
                // boundaries inside grid rows
                new Case("dw rows: 3x3 pad (1,0) at 37x37, wide grid", 3, 5, 37, 37, 20, 3, 3, Conv2dSpec.of(1, 1, 0), 38),
                // ... 1×1: col read in place from x's planes, blocks within one image, parts starting mid-image;
                // the last image's last tile runs past x (Cin 21 is no multiple of 8) and is copied instead
                new Case("dw rows, 1x1 in place: Cin 21, Cout 9, 4 images at 17x17", 4, 21, 17, 17, 9, 1, 1,
                        Conv2dSpec.of(1, 0), 48),
                new Case("dw rows, 1x1 in place: planes shorter than a block, Cout 40", 5, 19, 15, 15, 40, 1, 1,
                        Conv2dSpec.of(1, 0), 49),
                // ... planes of 4096 positions and more, whose dyᵀ is copied in short pieces
                // (Conv2dBackwardWeightRows.transposeBlock), the last piece of a block part-filled
                new Case("dw rows: 3x3 pad 1 at 67x67, Cout 50", 1, 2, 67, 67, 50, 3, 3, Conv2dSpec.of(1, 1), 52),
                new Case("dw rows: unpadded 3x3 at 67x67 (wide grid), Cout 50", 1, 2, 67, 67, 50, 3, 3,
                        Conv2dSpec.of(1, 0), 53),
                // dw by F(3×3, 4×4) (Conv2dBackwardWeightWinograd): more tiles a part than one chunk
                // holds, windows past x's last row and column; padding in height only, Cin and Cout no
                // multiples of the vector, an odd number of vectors of output channels
                new Case("dw Winograd: unpadded 3x3 at 67x67, 4 images", 4, 32, 67, 67, 32, 3, 3, Conv2dSpec.of(1, 0), 54),
                new Case("dw Winograd: 3x3 pad (1,0) at 19x23, Cin 33, Cout 47", 3, 33, 19, 23, 47, 3, 3,
                        Conv2dSpec.of(1, 1, 0), 55),
                // ... F(7, 2) along a row and a column: odd planes (the last tile half past the outputs)
                new Case("dw Winograd: 1x7 pad (0,3) at 17x17, Cin 33, Cout 40", 2, 33, 17, 17, 40, 1, 7,
                        Conv2dSpec.of(1, 0, 3), 57),
                new Case("dw Winograd: unpadded 7x1 at 23x17, Cin 40, Cout 33", 3, 40, 23, 17, 33, 7, 1,
                        Conv2dSpec.of(1, 0), 58),
                // ... F(5×5, 2×2): an odd plane in height (the last tile half past the outputs)
                new Case("dw Winograd: unpadded 5x5 at 21x20, Cin 32, Cout 33", 2, 32, 21, 20, 33, 5, 5,
                        Conv2dSpec.of(1, 0), 60)
        ).map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("inceptionShapes")
    void inceptionShapesMatchReference(Case c) {
        check(c);
    }

    // ---------------------------------------------------------------- determinism and overwrite

    static Stream<Arguments> determinismShapes() {
        return Stream.of(
                new Case("determinism", 3, 41, 21, 21, 133, 3, 3, Conv2dSpec.of(1, 1), 21),
                // dw's reduction 5·1225 is cut into parts (Conv2dBackward.REDUCTION_SPLIT).
                new Case("determinism, long reduction", 5, 6, 35, 35, 16, 3, 3, Conv2dSpec.of(1, 1), 22),
                new Case("determinism, small images", 9, 41, 3, 3, 45, 3, 3, Conv2dSpec.of(1, 1), 26),
                new Case("determinism, small images, long reduction", 30, 9, 7, 7, 21, 3, 3, Conv2dSpec.of(1, 1), 29),
                new Case("determinism, dw rows, Cout 40", 2, 5, 35, 35, 40, 3, 3, Conv2dSpec.of(1, 1), 36),
                // 5 threads > 4 parts: each part's K is cut into ranges (Conv2dBackwardWeightRows.depthPieces).
                new Case("determinism, dw rows in K ranges", 2, 30, 35, 35, 70, 5, 5, Conv2dSpec.of(1, 2), 39),
                new Case("determinism, dw rows over the wide grid", 2, 6, 37, 37, 20, 3, 3, Conv2dSpec.of(1, 0), 40),
                new Case("determinism, one position (the aux head)", 6, 9, 5, 5, 70, 5, 5, Conv2dSpec.of(1, 0), 45),
                new Case("determinism, dw rows, 1x1 in place", 6, 30, 14, 14, 24, 1, 1, Conv2dSpec.of(1, 0), 50),
                // F(3×3, 4×4) in parts and, past 4 threads, ranges of output channels (Conv2dBackwardWeightWinograd)
                new Case("determinism, dw Winograd", 3, 33, 19, 23, 100, 3, 3, Conv2dSpec.of(1, 1), 56),
                new Case("determinism, dw Winograd F(7, 2)", 3, 33, 17, 17, 100, 7, 1, Conv2dSpec.of(1, 3, 0), 59),
                // dx of a 1×1 over small planes across the batch: col2im is a copy (Conv2dBatched.data)
                new Case("determinism, 1x1 on 3x3 planes, 33 images", 33, 20, 3, 3, 40, 1, 1, Conv2dSpec.of(1, 0), 51)
        ).map(Arguments::of);
    }

    /**
     * Same bits from two runs and from any thread count, vectorized and plain: each output element
     * is summed in one fixed order whichever thread computes it. Exact equality, not a tolerance.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("determinismShapes")
    void resultsAreBitIdenticalAcrossRunsAndThreadCounts(Case c) {
        float[] x = c.x(), w = c.weight(), dy = c.dy();
        float[] data1 = runData(c, 1, true, dy, w), weight1 = runWeight(c, 1, true, dy, x);
        assertArrayEquals(data1, runData(c, 1, true, dy, w), "dx vectorized, two runs on 1 thread");
        assertArrayEquals(weight1, runWeight(c, 1, true, dy, x), "dw vectorized, two runs on 1 thread");
        for (int threads : new int[]{2, 3, 5}) {
            assertArrayEquals(data1, runData(c, threads, true, dy, w), "dx vectorized, 1 vs " + threads + " threads");
            assertArrayEquals(weight1, runWeight(c, threads, true, dy, x), "dw vectorized, 1 vs " + threads + " threads");
        }
        float[] plainData = runData(c, 1, false, dy, w), plainWeight = runWeight(c, 1, false, dy, x);
        assertArrayEquals(plainData, runData(c, 3, false, dy, w), "dx plain, 1 vs 3 threads");
        assertArrayEquals(plainWeight, runWeight(c, 3, false, dy, x), "dw plain, 1 vs 3 threads");
    }

    /**
     * dx at one output position per image, computed as colGradᵀ = dy · w, is bit for bit what the
     * per-image product colGrad = Wᵀ · dy and its scatter give (the path every other geometry of
     * this size took before): the same sums in the same order. Exact equality.
     */
    @Test
    void onePositionGivesTheBitsOfThePerImageProduct() {
        for (Case c : new Case[]{
                new Case("aux head", 6, 7, 5, 5, 40, 5, 5, Conv2dSpec.of(1, 0), 46),
                new Case("padded, Cout > KC", 3, 5, 1, 1, 300, 3, 3, Conv2dSpec.of(1, 1), 47)}) {
            float[] w = c.weight(), dy = c.dy();
            try (CpuBackend cpu = new CpuBackend(new CpuConfig(2, true))) {
                Conv2d.Geometry g = c.geometry();
                float[] got = stale(c.xShape().size());
                Conv2dBatched.dataAtOnePosition(cpu, got, dy, w, g);
                int k = g.depth(), cout = g.cout();
                float[] packedWt = Gemm.packA(cpu.parallel(), w, 0, 1, k, k, cout);
                float[] want = stale(c.xShape().size());
                for (int n = 0; n < c.n(); n++) {
                    int image = n * cout;
                    Gemm.PanelB dyPanel = (dst, k0, kc, q0, nc) -> {
                        for (int kk = 0; kk < kc; kk++) {
                            Gemm.packRow(dy, image + k0 + kk + q0, nc, dst, kk * Gemm.NR, kc * Gemm.NR);
                        }
                    };
                    Conv2dBackwardCol2im.dataGroup(want, packedWt, dyPanel, n, 0, k, g);
                }
                assertArrayEquals(want, got, c.toString());
            }
        }
    }

    /**
     * The primitives overwrite their outputs (Backend's convention): stale contents must not leak
     * in, and input cells that no window reaches (here the last row and column: 17 − 3 is not a
     * multiple of the stride 4) must come out exactly 0.
     */
    @Test
    void outputsAreOverwrittenNotAccumulated() {
        Case c = new Case("overwrite", 2, 9, 17, 17, 7, 3, 3, Conv2dSpec.of(4, 0), 31);
        float[] x = c.x(), w = c.weight(), dy = c.dy();
        Reference data = referenceData(c, toDouble(dy), toDouble(w));
        Reference weight = referenceWeight(c, toDouble(dy), toDouble(x));
        for (boolean vectorized : new boolean[]{false, true}) {
            String path = vectorized ? "vectorized" : "plain";
            try (CpuBackend cpu = new CpuBackend(new CpuConfig(2, vectorized));
                 TensorScope scope = TensorScope.open()) {
                Tensor dyt = Ops.fromArray(cpu, c.yShape(), dy);
                Tensor dx = Ops.fromArray(cpu, c.xShape(), stale(c.xShape().size()));
                Tensor dw = Ops.fromArray(cpu, c.wShape(), stale(c.wShape().size()));
                cpu.conv2dBackwardData(dx, dyt, Ops.fromArray(cpu, c.wShape(), w), c.spec());
                cpu.conv2dBackwardWeight(dw, dyt, Ops.fromArray(cpu, c.xShape(), x), c.spec());
                float[] got = dx.toArray();
                assertMatches(c, "dx " + path, got, data);
                assertMatches(c, "dw " + path, dw.toArray(), weight);
                for (int n = 0; n < c.n(); n++) {
                    for (int ci = 0; ci < c.cin(); ci++) {
                        for (int t = 0; t < c.w(); t++) {
                            int plane = (n * c.cin() + ci) * c.h() * c.w();
                            assertEquals(0f, got[plane + (c.h() - 1) * c.w() + t], "dx " + path + ": last row");
                            assertEquals(0f, got[plane + t * c.w() + c.w() - 1], "dx " + path + ": last column");
                        }
                    }
                }
            }
        }
    }

    static float[] stale(int size) {
        float[] a = new float[size];
        Arrays.fill(a, 1e6f);
        return a;
    }
}
