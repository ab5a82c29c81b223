package org.inceptionj.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.stream.Stream;

import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.cpu.Conv2dBackwardTest.Case;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Conv2dBackwardWeightBlocked}, the weight gradient on the blocked kernel, called directly
 * (so that it runs whatever the vector width): within the formula's tolerance of the double-precision
 * reference, bit for bit the GEMM's ({@link Conv2dBackwardWeightGemm} over the whole reduction), on one to
 * three threads; for output channels in every group width and a part-filled last vector, chunks of
 * steps, runs of columns that do and do not fill the 16-wide transposes, every padding, strides and
 * dilation.
 */
class Conv2dBackwardWeightBlockedTest {

    static Stream<Arguments> shapes() {
        int l = Vectors.F.length();
        return Stream.of(
                // name, n, cin, h, w, cout, kh, kw, spec, seed
                new Case("the default run's 192 -> 48 over 3x3 planes, 64 images", 64, 192, 3, 3, 48, 1, 1,
                        Conv2dSpec.of(1, 0), 1),
                new Case("8x8 planes, Cin 300, Cout 40 (a part-filled vector)", 8, 300, 8, 8, 40, 1, 1, Conv2dSpec.of(1, 0), 2),
                new Case("Cout 17, Cin 33, 9 images of 5x5", 9, 33, 5, 5, 17, 1, 1, Conv2dSpec.of(1, 0), 3),
                new Case("Cout 5 L + 3: groups 3 + 3, the last part-filled", 4, 70, 6, 6, 5 * l + 3, 1, 1,
                        Conv2dSpec.of(1, 0), 4),
                new Case("1x1 planes, 300 images", 300, 20, 1, 1, 4 * l, 1, 1, Conv2dSpec.of(1, 0), 5),
                new Case("4 vectors: steps in chunks", 3, 40, 7, 7, 4 * l, 1, 1, Conv2dSpec.of(1, 0), 6),
                new Case("Cin 1, Cout 1", 5, 1, 4, 3, 1, 1, 1, Conv2dSpec.of(1, 0), 7),
                new Case("the default run's 1x7 pad (0,3), 48 -> 48 over 3x3, 64 images", 64, 48, 3, 3, 48, 1, 7,
                        Conv2dSpec.of(1, 0, 3), 8),
                new Case("7x1 pad (3,0), Cout 40", 9, 24, 5, 5, 40, 7, 1, Conv2dSpec.of(1, 3, 0), 9),
                new Case("3x3 pad 1 at 8x8, Cout 33", 8, 20, 8, 8, 33, 3, 3, Conv2dSpec.of(1, 1), 10),
                new Case("3x3 stride 2, unpadded", 6, 12, 9, 9, 2 * l, 3, 3, Conv2dSpec.of(2, 0), 11),
                new Case("TF SAME: pad bottom and right only, stride 2", 5, 7, 8, 7, 20, 3, 3,
                        new Conv2dSpec(2, 2, 0, 0, 1, 1, 1, 1), 12),
                new Case("dilated, asymmetric padding", 4, 5, 9, 8, 6, 3, 3, new Conv2dSpec(1, 1, 2, 1, 2, 1, 2, 2), 13),
                new Case("unpadded, rows left unread at the bottom", 3, 6, 10, 10, 7, 3, 3, Conv2dSpec.of(3, 0), 14)
        ).map(Arguments::of);
    }

    private static Conv2d.Geometry geometry(Case c) {
        return Conv2dBackwardWeightDirectTest.geometry(c);
    }

    private static float[] pointwise(Case c, int threads, float[] dy, float[] x) {
        float[] dw = new float[c.wShape().size()];
        Arrays.fill(dw, Float.NaN);   // every element must be written
        try (CpuBackend cpu = new CpuBackend(new CpuConfig(threads, true))) {
            Conv2dBackwardWeightBlocked.weight(cpu, dw, dy, x, geometry(c));
        }
        return dw;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void theGemmsBitsWithinTheReference(Case c) {
        float[] x = c.x(), dy = c.dy();
        float[] gemm = new float[c.wShape().size()];
        Conv2d.Geometry g = geometry(c);
        Conv2dBackwardWeightGemm.multiply(gemm, dy, x, g, 0, g.cout(), 0, g.depth());
        Conv2dBackwardTest.assertMatches(c, "dw pointwise", pointwise(c, 1, dy, x),
                Conv2dBackwardTest.referenceWeight(c, Conv2dBackwardTest.toDouble(dy), Conv2dBackwardTest.toDouble(x)));
        for (int threads = 1; threads <= 3; threads++) {
            assertArrayEquals(gemm, pointwise(c, threads, dy, x), c + ": pointwise against the GEMM, " + threads
                    + " thread(s), bit for bit");
        }
    }

    /** Taken over few positions with enough steps; not where another path serves or can serve. */
    @Test
    void takenWhereItPays() {
        boolean wide = Gemm.WIDE;
        assertEquals(wide, Conv2dBackwardWeightBlocked.applies(g(64, 192, 3, 48, 1, 0)), "192 -> 48 at 3x3, batch 64");
        assertEquals(wide, Conv2dBackwardWeightBlocked.applies(g(8, 2048, 8, 448, 1, 0)), "2048 -> 448 at 8x8, batch 8");
        assertEquals(false, Conv2dBackwardWeightBlocked.applies(g(64, 512, 1, 80, 1, 0)), "1x1 planes: 64 steps");
        assertEquals(false, Conv2dBackwardWeightBlocked.applies(g(8, 768, 17, 192, 1, 0)), "the dot products' (Rows)");
        assertEquals(false, Conv2dBackwardWeightBlocked.applies(g(64, 768, 8, 320, 1, 0)), "4096 steps: in parts");
        assertEquals(wide, Conv2dBackwardWeightBlocked.applies(g(8, 448, 8, 384, 3, 1)), "3x3 448 -> 384 at 8x8, batch 8");
        assertEquals(false, Conv2dBackwardWeightBlocked.applies(g(64, 16, 7, 16, 3, 1)), "3x3 at 7x7, batch 64: dot products");
    }

    /** A square-plane geometry: n images of Cin × side × side, Cout, a k×k kernel with padding pad. */
    private static Conv2d.Geometry g(int n, int cin, int side, int cout, int k, int pad) {
        int out = side + 2 * pad - k + 1;
        return new Conv2d.Geometry(n, cin, side, side, cout, k, k, out, out, 1, 1, pad, pad, 1, 1);
    }
}
