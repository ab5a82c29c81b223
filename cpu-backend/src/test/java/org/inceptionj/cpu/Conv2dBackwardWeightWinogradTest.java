package org.inceptionj.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * Where {@link Conv2dBackwardWeightWinograd} takes a weight gradient, and the one-dimensional transform's
 * term lists. Its sums are checked against the double-precision references, and for the same bits on any
 * thread count, in {@link Conv2dBackwardTest} ("dw Winograd" cases).
 */
class Conv2dBackwardWeightWinogradTest {

    private static CpuBackend backend(boolean winograd) {
        return new CpuBackend(new CpuConfig(2, true, 1L << 26, true, winograd));
    }

    @Test
    void takenByInceptionsStrideOneLayersOnly() {
        boolean wide = Vectors.F.length() >= Conv2dBackwardWeightWinograd.ROWS;
        try (CpuBackend on = backend(true); CpuBackend off = backend(false)) {
            assertEquals(wide, Conv2dBackwardWeightWinograd.applies(on, g(8, 80, 73, 73, 192, 3, 3, 0, 0)), "Conv2d_4a");
            assertEquals(wide, Conv2dBackwardWeightWinograd.applies(on, g(8, 48, 35, 35, 64, 5, 5, 2, 2)), "5x5 48 -> 64");
            assertEquals(wide, Conv2dBackwardWeightWinograd.applies(on, g(8, 192, 17, 17, 192, 1, 7, 0, 3)), "1x7 at 17x17");
            assertEquals(wide, Conv2dBackwardWeightWinograd.applies(on, g(8, 160, 17, 17, 192, 7, 1, 3, 0)), "7x1 at 17x17");
            assertEquals(false, Conv2dBackwardWeightWinograd.applies(off, g(8, 80, 73, 73, 192, 3, 3, 0, 0)),
                    "-Dinceptionj.cpu.winograd=false");
            assertEquals(false, Conv2dBackwardWeightWinograd.applies(on, g(64, 16, 35, 35, 16, 3, 3, 1, 1)),
                    "the default run's 16 -> 16 at 35x35 (Direct)");
            assertEquals(false, Conv2dBackwardWeightWinograd.applies(on, g(8, 448, 8, 8, 384, 3, 3, 1, 1)),
                    "3x3 at 8x8: too few tiles");
            assertEquals(false, Conv2dBackwardWeightWinograd.applies(on, g(8, 384, 8, 8, 384, 1, 3, 0, 1)), "1x3");
            assertEquals(false, Conv2dBackwardWeightWinograd.applies(on, g(8, 192, 35, 35, 64, 1, 1, 0, 0)), "1x1");
            Conv2d.Geometry strided = new Conv2d.Geometry(8, 288, 35, 35, 384, 3, 3, 17, 17, 2, 2, 0, 0, 1, 1);
            assertEquals(false, Conv2dBackwardWeightWinograd.applies(on, strided), "stride 2");
        }
    }

    @Test
    void columnTermsListTheNonZeroRows() {
        int[][] terms = Conv2dBackwardWeightWinograd.columnTerms(new float[][]{{1, 0}, {0, 0}, {2, 3}});
        assertEquals(2, terms.length);
        assertEquals("[0, 2]", java.util.Arrays.toString(terms[0]));
        assertEquals("[2]", java.util.Arrays.toString(terms[1]));
    }

    /** n images of Cin × h × w, Cout, a kh × kw kernel at stride 1 with padding (padH, padW) on both sides. */
    private static Conv2d.Geometry g(int n, int cin, int h, int w, int cout, int kh, int kw, int padH, int padW) {
        int outH = h + 2 * padH - kh + 1, outW = w + 2 * padW - kw + 1;
        return new Conv2d.Geometry(n, cin, h, w, cout, kh, kw, outH, outW, 1, 1, padH, padW, 1, 1);
    }
}
