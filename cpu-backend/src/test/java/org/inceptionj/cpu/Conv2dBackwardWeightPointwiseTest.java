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
 * {@link Conv2dBackwardWeightPointwise}, a 1×1's weight gradient on the blocked kernel, called directly
 * (so that it runs whatever the vector width): within the formula's tolerance of the double-precision
 * reference, bit for bit the GEMM's ({@link Conv2dBackwardWeightGemm} over the whole reduction), on one to
 * three threads; for output channels in every group width and a part-filled last vector, chunks of
 * steps, and runs of input channels that do and do not fill the 16-wide transposes.
 */
class Conv2dBackwardWeightPointwiseTest {

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
                new Case("Cin 1, Cout 1", 5, 1, 4, 3, 1, 1, 1, Conv2dSpec.of(1, 0), 7)
        ).map(Arguments::of);
    }

    private static Conv2d.Geometry geometry(Case c) {
        return Conv2dBackwardWeightDirectTest.geometry(c);
    }

    private static float[] pointwise(Case c, int threads, float[] dy, float[] x) {
        float[] dw = new float[c.wShape().size()];
        Arrays.fill(dw, Float.NaN);   // every element must be written
        try (CpuBackend cpu = new CpuBackend(new CpuConfig(threads, true))) {
            Conv2dBackwardWeightPointwise.weight(cpu, dw, dy, x, geometry(c));
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

    /** Taken for 1×1s over few positions with enough steps; not where another path serves or can serve. */
    @Test
    void takenWhereItPays() {
        boolean wide = Gemm.WIDE;
        assertEquals(wide, Conv2dBackwardWeightPointwise.applies(g(64, 192, 3, 48, 1, 0)), "192 -> 48 at 3x3, batch 64");
        assertEquals(wide, Conv2dBackwardWeightPointwise.applies(g(8, 2048, 8, 448, 1, 0)), "2048 -> 448 at 8x8, batch 8");
        assertEquals(false, Conv2dBackwardWeightPointwise.applies(g(64, 512, 1, 80, 1, 0)), "1x1 planes: 64 steps");
        assertEquals(false, Conv2dBackwardWeightPointwise.applies(g(8, 768, 17, 192, 1, 0)), "the dot products' (Rows)");
        assertEquals(false, Conv2dBackwardWeightPointwise.applies(g(64, 768, 8, 320, 1, 0)), "4096 steps: in parts");
        assertEquals(false, Conv2dBackwardWeightPointwise.applies(g(64, 192, 3, 48, 3, 1)), "a 3x3");
    }

    /** A square-plane geometry: n images of Cin × side × side, Cout, a k×k kernel with padding pad. */
    private static Conv2d.Geometry g(int n, int cin, int side, int cout, int k, int pad) {
        int out = side + 2 * pad - k + 1;
        return new Conv2d.Geometry(n, cin, side, side, cout, k, k, out, out, 1, 1, pad, pad, 1, 1);
    }
}
