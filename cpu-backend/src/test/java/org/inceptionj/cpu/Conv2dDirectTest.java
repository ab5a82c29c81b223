package org.inceptionj.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;

import org.inceptionj.api.Conv2dSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Conv2dDirect}, the forward with positions in the lanes, called directly (so tested at any
 * vector width): the GEMM's bits, bit for bit, with bias or a batch-norm epilogue, on 1–3 threads and
 * over bands of 1–3 rows;
 * within the reference; and, as the turned convolution, data gradients of padded and unpadded layers.
 */
class Conv2dDirectTest {

    static Stream<Arguments> shapes() {
        return Stream.of(
                // name, n, cin, h, w, cout, kh, kw, spec, bias, seed
                new Conv2dTest.Case("Conv2d_2a: unpadded 3x3 at 37x37", 3, 16, 37, 37, 16, 3, 3, Conv2dSpec.of(1, 0), true, 1),
                new Conv2dTest.Case("3x3 pad 1, Cout 5 (a part-filled tile)", 2, 7, 20, 19, 5, 3, 3, Conv2dSpec.of(1, 1), true, 2),
                new Conv2dTest.Case("Cout 1, one image", 1, 3, 11, 13, 1, 3, 3, Conv2dSpec.of(1, 1), false, 3),
                new Conv2dTest.Case("5x5 pad 2, Cout 32", 2, 9, 15, 15, 32, 5, 5, Conv2dSpec.of(1, 2), true, 4),
                new Conv2dTest.Case("1x7 pad (0,3)", 2, 6, 17, 17, 9, 1, 7, Conv2dSpec.of(1, 0, 3), false, 5),
                new Conv2dTest.Case("7x1 pad (3,0)", 2, 6, 17, 17, 10, 7, 1, Conv2dSpec.of(1, 3, 0), true, 6),
                new Conv2dTest.Case("TF SAME: pad bottom and right only", 2, 4, 16, 15, 6, 3, 3,
                        new Conv2dSpec(1, 1, 0, 0, 2, 2, 1, 1), true, 7),
                new Conv2dTest.Case("dilated, asymmetric padding", 2, 5, 13, 11, 7, 3, 3, new Conv2dSpec(1, 1, 2, 1, 2, 1, 2, 2),
                        true, 8),
                new Conv2dTest.Case("a plane smaller than one tile, 9 images", 9, 4, 3, 3, 6, 3, 3, Conv2dSpec.of(1, 1), true, 9),
                new Conv2dTest.Case("1x1 (not taken by applies, still exact)", 2, 12, 9, 9, 7, 1, 1, Conv2dSpec.of(1, 0), true, 10),
                // Strides: phase planes.
                new Conv2dTest.Case("the stem: 3x3 stride 2, 3 channels", 2, 3, 31, 31, 16, 3, 3, Conv2dSpec.of(2, 0), true, 11),
                new Conv2dTest.Case("3x3 stride 2 pad 1, even size", 2, 5, 16, 16, 6, 3, 3, Conv2dSpec.of(2, 1), true, 12),
                new Conv2dTest.Case("TF SAME stride 2: pad bottom and right only", 2, 4, 16, 15, 5, 3, 3,
                        new Conv2dSpec(2, 2, 0, 0, 1, 1, 1, 1), false, 13),
                new Conv2dTest.Case("stride 3, dilation 2", 1, 3, 23, 22, 7, 3, 3, new Conv2dSpec(3, 3, 1, 2, 1, 2, 2, 2), true, 14),
                new Conv2dTest.Case("stride (2, 1), 1x7", 2, 4, 17, 17, 6, 1, 7, new Conv2dSpec(2, 1, 0, 3, 0, 3, 1, 1), true, 15),
                new Conv2dTest.Case("1x1 stride 2", 2, 5, 9, 9, 4, 1, 1, Conv2dSpec.of(2, 0), true, 16)
        ).map(Arguments::of);
    }

    static Conv2d.Geometry geometry(Conv2dTest.Case c) {
        Conv2dSpec s = c.spec();
        return new Conv2d.Geometry(c.n(), c.cin(), c.h(), c.w(), c.cout(), c.kh(), c.kw(), c.outH(), c.outW(),
                s.strideH(), s.strideW(), s.padTop(), s.padLeft(), s.dilationH(), s.dilationW());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void sameBitsAsTheGemmAndWithinTheReference(Conv2dTest.Case c) {
        float[] x = c.x(), w = c.weight(), b = c.biasValues();
        Conv2d.Geometry g = geometry(c);
        Random r = new Random(c.seed());
        BatchNormEpilogue bn = epilogue(r, c.cout());
        for (int threads = 1; threads <= 3; threads++) {
            try (CpuBackend cpu = new CpuBackend(new CpuConfig(threads, true))) {
                float[] gemm = againstTheGemm(c, threads, cpu, "direct", Conv2dDirect::forward, bn);
                float[] direct = new float[gemm.length];
                // Short bands: several per image, the last one shorter where rows do not divide outH.
                for (int rows : bandRows(g)) {
                    Arrays.fill(direct, Float.NaN);
                    Conv2dDirect.forward(cpu, direct, x, w, null, g, bn, Conv2dDirect.Band.withRows(g, rows));
                    assertArrayEquals(gemm, direct, c + " on " + threads + " thread(s), bands of " + rows + " rows");
                }
            }
        }
    }

    /** A fast path's forward: out = the convolution of x with w, plus b (or null), then the epilogue (or null). */
    interface Forward {
        void run(CpuBackend cpu, float[] out, float[] x, float[] w, float[] b, Conv2d.Geometry g, BatchNormEpilogue e);
    }

    /**
     * The path against the GEMM ({@link Conv2d#forwardVector}), bit for bit, with c's bias (and then within
     * the double-precision reference) and with the epilogue bn; every output must be written. Returns the
     * GEMM's output with the epilogue.
     */
    static float[] againstTheGemm(Conv2dTest.Case c, int threads, CpuBackend cpu, String name, Forward path,
                                  BatchNormEpilogue bn) {
        float[] x = c.x(), w = c.weight(), b = c.biasValues();
        Conv2d.Geometry g = geometry(c);
        int size = c.n() * c.cout() * c.outH() * c.outW();
        float[] gemm = new float[size], fast = new float[size];
        Arrays.fill(fast, Float.NaN);   // every element must be written
        Conv2d.forwardVector(cpu, gemm, x, w, b, g, null);
        path.run(cpu, fast, x, w, b, g, null);
        assertArrayEquals(gemm, fast, c + " on " + threads + " thread(s): " + name + " against the GEMM, bit for bit");
        Conv2dTest.assertMatchesReference(c, name, fast, Conv2dTest.reference(c, x, w, b));
        Arrays.fill(fast, Float.NaN);
        Conv2d.forwardVector(cpu, gemm, x, w, null, g, bn);
        path.run(cpu, fast, x, w, null, g, bn);
        assertArrayEquals(gemm, fast, c + " on " + threads + " thread(s), BN + ReLU: " + name + " against the GEMM");
        return gemm;
    }

    /** 1, 2 and 3 rows, where the plane has more. */
    static int[] bandRows(Conv2d.Geometry g) {
        return java.util.stream.IntStream.of(1, 2, 3).filter(r -> r < g.outH()).toArray();
    }

    @Test
    void bandsStayWithinTheirBudgetAndRejectImpossibleRowCounts() {
        Conv2d.Geometry conv2b = new Conv2d.Geometry(8, 32, 147, 147, 64, 3, 3, 147, 147, 1, 1, 1, 1, 1, 1);
        Conv2dDirect.Band band = Conv2dDirect.Band.of(conv2b);
        long bytes = 4L * (32L * band.planeStride() + 64L * band.tiles() * Conv2dDirect.TP);
        assertTrue(bytes <= Conv2dDirect.BAND_BYTES, "Conv2d_2b's band: " + bytes + " bytes");
        assertTrue(band.rows() > 1 && band.rows() < 147, "Conv2d_2b's band: " + band.rows() + " rows");
        Conv2d.Geometry small = new Conv2d.Geometry(64, 16, 35, 35, 16, 3, 3, 35, 35, 1, 1, 1, 1, 1, 1);
        assertEquals(35, Conv2dDirect.Band.of(small).rows(), "a 35x35 plane fits in one band");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Conv2dDirect.Band.withRows(small, 36));
        assertTrue(e.getMessage().contains("36"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Conv2dDirect.Band.withRows(small, 0));
        assertTrue(Conv2dDirect.fitsBand(conv2b), "Conv2d_2b's band fits int indices");
        // One band row of 30 000 channels × 3 rows × 100 002 columns is past int indices.
        Conv2d.Geometry huge = new Conv2d.Geometry(1, 30000, 4, 100000, 16, 3, 3, 4, 100000, 1, 1, 1, 1, 1, 1);
        assertFalse(Conv2dDirect.fitsBand(huge), "a band past int indices");
    }

    static Stream<Arguments> dataShapes() {
        return Stream.of(
                // name, n, cin, h, w, cout, kh, kw, spec, seed
                new Conv2dBackwardTest.Case("Conv2d_2a's data gradient: unpadded 3x3", 2, 16, 37, 37, 16, 3, 3,
                        Conv2dSpec.of(1, 0), 1),
                new Conv2dBackwardTest.Case("Conv2d_4a's: unpadded 3x3, Cin 20, Cout 48", 2, 20, 17, 17, 48, 3, 3,
                        Conv2dSpec.of(1, 0), 2),
                new Conv2dBackwardTest.Case("3x3 pad 1", 2, 9, 16, 16, 13, 3, 3, Conv2dSpec.of(1, 1), 3),
                new Conv2dBackwardTest.Case("1x7 pad (0,3)", 2, 11, 17, 17, 8, 1, 7, Conv2dSpec.of(1, 0, 3), 4),
                new Conv2dBackwardTest.Case("TF SAME", 2, 6, 16, 15, 5, 3, 3, new Conv2dSpec(1, 1, 0, 0, 2, 2, 1, 1), 5),
                new Conv2dBackwardTest.Case("dilated, asymmetric padding", 1, 5, 13, 11, 6, 3, 3,
                        new Conv2dSpec(1, 1, 2, 1, 2, 1, 2, 2), 6)
        ).map(Arguments::of);
    }

    /** dx as the direct forward of dy with the turned kernel ({@link Conv2d#turned}), against the double reference. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dataShapes")
    void dataGradientAsTheTurnedConvolution(Conv2dBackwardTest.Case c) {
        float[] w = c.weight(), dy = c.dy();
        Conv2d.Geometry g = c.geometry();   // stride 1, as every data shape here
        Conv2d.Geometry t = Conv2d.turned(g);
        try (CpuBackend cpu = new CpuBackend(new CpuConfig(2, true))) {
            float[] dx = new float[c.n() * c.cin() * c.h() * c.w()], gemm = new float[dx.length];
            Conv2dDirect.forward(cpu, dx, dy, Conv2d.turnedWeights(w, g), null, t, null);
            Conv2d.forwardVector(cpu, gemm, dy, Conv2d.turnedWeights(w, g), null, t, null);
            assertArrayEquals(gemm, dx, c + ": direct against the GEMM's turned convolution");
            for (int rows : bandRows(t)) {
                float[] banded = new float[dx.length];
                Arrays.fill(banded, Float.NaN);
                Conv2dDirect.forward(cpu, banded, dy, Conv2d.turnedWeights(w, g), null, t, null,
                        Conv2dDirect.Band.withRows(t, rows));
                assertArrayEquals(gemm, banded, c + ": bands of " + rows + " rows");
            }
            Conv2dBackwardTest.assertMatches(c, "dx direct", dx, Conv2dBackwardTest.referenceData(c,
                    Conv2dBackwardTest.toDouble(dy), Conv2dBackwardTest.toDouble(w)));
        }
    }

    /**
     * What the backend sends here: stride 1 (or any stride below a vector of input channels), wider than
     * 1×1, up to 32 output channels (64 with K ≤ 288), large planes, AVX-512, the setting on.
     */
    @Test
    void takesOnlyTheShapesItWasMeasuredFasterOn() {
        try (CpuBackend cpu = new CpuBackend(new CpuConfig(1, true));
             CpuBackend off = new CpuBackend(new CpuConfig(1, true, CpuConfig.defaultCacheBytes(), false))) {
            Conv2d.Geometry stem = new Conv2d.Geometry(64, 16, 35, 35, 16, 3, 3, 35, 35, 1, 1, 1, 1, 1, 1);
            assertEquals(Gemm.WIDE, Conv2dDirect.applies(cpu, stem), "16 lanes or not");
            assertFalse(Conv2dDirect.applies(off, stem), "blockedConv=false keeps the GEMM");
            assertFalse(Conv2dDirect.applies(cpu, new Conv2d.Geometry(64, 16, 35, 35, 16, 1, 1, 35, 35, 1, 1, 0, 0, 1, 1)),
                    "1x1");
            assertEquals(Gemm.WIDE, Conv2dDirect.applies(cpu, new Conv2d.Geometry(8, 32, 147, 147, 64, 3, 3, 147, 147,
                    1, 1, 1, 1, 1, 1)), "64 channels, K = 288");
            assertFalse(Conv2dDirect.applies(cpu, new Conv2d.Geometry(8, 48, 35, 35, 64, 5, 5, 35, 35, 1, 1, 2, 2, 1, 1)),
                    "64 channels, K = 1200");
            assertFalse(Conv2dDirect.applies(cpu, new Conv2d.Geometry(8, 16, 35, 35, 96, 3, 3, 35, 35, 1, 1, 1, 1, 1, 1)),
                    "96 channels");
            assertEquals(Gemm.WIDE, Conv2dDirect.applies(cpu, new Conv2d.Geometry(64, 3, 75, 75, 16, 3, 3, 37, 37, 2, 2,
                    0, 0, 1, 1)), "the stem: stride 2 with fewer input channels than a vector");
            assertFalse(Conv2dDirect.applies(cpu, new Conv2d.Geometry(64, 16, 35, 35, 16, 3, 3, 17, 17, 2, 2, 0, 0, 1, 1)),
                    "stride 2 over a vector of input channels: the blocked kernel's");
            assertFalse(Conv2dDirect.applies(cpu, new Conv2d.Geometry(64, 24, 7, 7, 24, 3, 3, 7, 7, 1, 1, 1, 1, 1, 1)),
                    "7x7");
        }
    }

    /** A BN + ReLU epilogue over cout channels with random statistics (variances up to 3). */
    static BatchNormEpilogue epilogue(Random r, int cout) {
        return BatchNormEpilogue.of(values(r, cout, 1), values(r, cout, 1), values(r, cout, 1), values(r, cout, 3),
                1e-3f, true);
    }

    static float[] values(Random r, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = r.nextFloat() * scale;
        }
        return a;
    }
}
