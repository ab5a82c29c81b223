package org.inceptionj.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.stream.Stream;

import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.cpu.Conv2dBackwardTest.Case;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Conv2dBackwardWeightDirect}, the weight gradient as dot products along the positions,
 * called directly (so that it is tested whatever the vector width, also where the backend would not
 * pick it) against the double-precision reference of {@link Conv2dBackwardTest}, and for the same
 * bits on any thread count.
 */
class Conv2dBackwardWeightDirectTest {

    static Stream<Arguments> shapes() {
        return Stream.of(
                // name, n, cin, h, w, cout, kh, kw, spec, seed
                new Case("the default run's Conv2d_2b: 3x3 pad 1 at 35x35", 3, 16, 35, 35, 16, 3, 3, Conv2dSpec.of(1, 1), 1),
                new Case("Conv2d_2a: unpadded 3x3 at 37x37", 2, 16, 37, 37, 16, 3, 3, Conv2dSpec.of(1, 0), 2),
                // Cout 5 and 17: tiles past Cout; K = 63 and 25: tiles past K.
                new Case("Cout 5, K 63", 2, 7, 20, 19, 5, 3, 3, Conv2dSpec.of(1, 1), 3),
                new Case("Cout 17, 5x5 pad 2, K 25", 2, 1, 18, 18, 17, 5, 5, Conv2dSpec.of(1, 2), 4),
                new Case("1x7 pad (0,3): the grid wider than the output", 2, 6, 17, 17, 9, 1, 7, Conv2dSpec.of(1, 0, 3), 5),
                new Case("7x1 pad (3,0): the grid taller than the output", 2, 6, 17, 17, 9, 7, 1, Conv2dSpec.of(1, 3, 0), 6),
                new Case("padded in height only", 2, 5, 21, 21, 6, 3, 3, Conv2dSpec.of(1, 1, 0), 7),
                new Case("TF SAME: pad bottom and right only", 2, 4, 16, 16, 5, 3, 3, new Conv2dSpec(1, 1, 0, 0, 2, 2, 1, 1), 8),
                new Case("pads larger than the kernel reaches", 1, 3, 9, 9, 4, 3, 3, new Conv2dSpec(1, 1, 3, 2, 1, 3, 1, 1), 9),
                new Case("dilated 3x3", 2, 5, 19, 17, 6, 3, 3, new Conv2dSpec(1, 1, 2, 1, 2, 1, 2, 2), 10),
                new Case("1x1 (the path does not take it, but computes it)", 2, 9, 12, 12, 7, 1, 1, Conv2dSpec.of(1, 0), 11),
                new Case("a plane shorter than one vector", 3, 4, 3, 3, 6, 3, 3, Conv2dSpec.of(1, 1), 12),
                // 11 images in 8 parts of 1 or 2; 40 channels of 35x35 take a group of one image
                // (GROUP_BYTES), so the parts of two images run two groups.
                new Case("11 images, parts of one and two, groups of one", 11, 40, 35, 35, 8, 3, 3, Conv2dSpec.of(1, 1), 13),
                // Small planes: many images in one group.
                new Case("20 images in groups", 20, 3, 12, 12, 4, 3, 3, Conv2dSpec.of(1, 1), 14),
                // Cout 48, K 360: 720 tiles; fewer parts, so that the accumulators fit ACC_BYTES.
                new Case("many tiles", 9, 40, 12, 12, 48, 3, 3, Conv2dSpec.of(1, 1), 15),
                // Strides: phase planes.
                new Case("the stem: 3x3 stride 2, 3 channels", 3, 3, 31, 31, 16, 3, 3, Conv2dSpec.of(2, 0), 19),
                new Case("3x3 stride 2 pad 1, even size", 2, 5, 16, 16, 6, 3, 3, Conv2dSpec.of(2, 1), 20),
                new Case("TF SAME stride 2", 2, 4, 16, 15, 5, 3, 3, new Conv2dSpec(2, 2, 0, 0, 1, 1, 1, 1), 21),
                new Case("stride 3, dilation 2", 2, 3, 23, 22, 7, 3, 3, new Conv2dSpec(3, 3, 1, 2, 1, 2, 2, 2), 22),
                new Case("stride (2, 1), 1x7", 2, 4, 17, 17, 6, 1, 7, new Conv2dSpec(2, 1, 0, 3, 0, 3, 1, 1), 23),
                new Case("1x1 stride 2", 2, 5, 9, 9, 4, 1, 1, Conv2dSpec.of(2, 0), 24)
        ).map(Arguments::of);
    }

    static Conv2d.Geometry geometry(Case c) {
        Conv2dSpec s = c.spec();
        return new Conv2d.Geometry(c.n(), c.cin(), c.h(), c.w(), c.cout(), c.kh(), c.kw(), c.outH(), c.outW(),
                s.strideH(), s.strideW(), s.padTop(), s.padLeft(), s.dilationH(), s.dilationW());
    }

    static float[] direct(Case c, int threads, float[] dy, float[] x) {
        float[] dw = new float[c.wShape().size()];
        Arrays.fill(dw, Float.NaN);   // every element must be written
        try (CpuBackend cpu = new CpuBackend(new CpuConfig(threads, true))) {
            Conv2dBackwardWeightDirect.weight(cpu, dw, dy, x, geometry(c));
        }
        return dw;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void matchesReferenceWithTheSameBitsOnAnyThreadCount(Case c) {
        float[] x = c.x(), dy = c.dy();
        assertTrue(Conv2dBackwardWeightDirect.fits(geometry(c)), c + ": stride up to 4, small");
        Conv2dBackwardTest.Reference ref = Conv2dBackwardTest.referenceWeight(c, Conv2dBackwardTest.toDouble(dy),
                Conv2dBackwardTest.toDouble(x));
        float[] one = direct(c, 1, dy, x);
        Conv2dBackwardTest.assertMatches(c, "dw direct", one, ref);
        // 3 and 5 threads with 1 part (one image): the tiles are cut into ranges.
        for (int threads : new int[]{2, 3, 5}) {
            assertArrayEquals(one, direct(c, threads, dy, x), c + ": dw direct, 1 vs " + threads + " threads");
        }
    }

    @Test
    void batchOfOneSplitsTilesAmongThreads() {
        Case c = new Case("one image", 1, 10, 23, 23, 12, 3, 3, Conv2dSpec.of(1, 1), 16);
        float[] x = c.x(), dy = c.dy();
        Conv2dBackwardTest.Reference ref = Conv2dBackwardTest.referenceWeight(c, Conv2dBackwardTest.toDouble(dy),
                Conv2dBackwardTest.toDouble(x));
        for (int threads : new int[]{1, 4, 7}) {
            Conv2dBackwardTest.assertMatches(c, "dw direct, " + threads + " threads", direct(c, threads, dy, x), ref);
        }
    }

    /**
     * The grid positions past the outputs multiply x by a zero of dyw, and 0·NaN is NaN: so every
     * float of the scratch that a call reads must be written by that call. A first call with NaN
     * everywhere leaves NaN in the per-thread scratch; the second, smaller one must not see it.
     */
    @Test
    void nothingStaleIsReadFromTheScratch() {
        Case large = new Case("large", 2, 6, 30, 30, 8, 3, 3, Conv2dSpec.of(1, 1), 17);
        Case small = new Case("small", 3, 5, 13, 14, 7, 3, 3, Conv2dSpec.of(1, 0, 1), 18);
        float[] nanX = new float[large.xShape().size()], nanDy = new float[large.yShape().size()];
        Arrays.fill(nanX, Float.NaN);
        Arrays.fill(nanDy, Float.NaN);
        float[] x = small.x(), dy = small.dy();
        try (CpuBackend cpu = new CpuBackend(new CpuConfig(1, true))) {
            Conv2dBackwardWeightDirect.weight(cpu, new float[large.wShape().size()], nanDy, nanX, geometry(large));
            float[] dw = new float[small.wShape().size()];
            Conv2dBackwardWeightDirect.weight(cpu, dw, dy, x, geometry(small));
            Conv2dBackwardTest.assertMatches(small, "dw direct after a call on NaN", dw,
                    Conv2dBackwardTest.referenceWeight(small, Conv2dBackwardTest.toDouble(dy), Conv2dBackwardTest.toDouble(x)));
        }
    }

    /** Parts: up to 8, one image each at least, and fewer where their accumulators would not fit. */
    @Test
    void partsDependOnTheGeometryOnly() {
        assertEquals(1, Conv2dBackwardWeightDirect.parts(1, 10));
        assertEquals(5, Conv2dBackwardWeightDirect.parts(5, 10));
        assertEquals(Conv2dBackwardWeightDirect.PARTS, Conv2dBackwardWeightDirect.parts(64, 96));
        int perPart = Conv2dBackwardWeightDirect.TR * Conv2dBackwardWeightDirect.TC * Vectors.F.length() * Float.BYTES;
        int tiles = Conv2dBackwardWeightDirect.ACC_BYTES / perPart / 3;
        assertEquals(3, Conv2dBackwardWeightDirect.parts(64, tiles));
        assertEquals(1, Conv2dBackwardWeightDirect.parts(64, 100 * tiles));
    }

    /** What the backend sends here: strides up to 4, wider than 1×1, few output channels, large planes, 16 lanes. */
    @Test
    void takesOnlyTheShapesItWasMeasuredFasterOn() {
        Case stem = new Case("Conv2d_2b", 64, 16, 35, 35, 16, 3, 3, Conv2dSpec.of(1, 1), 0);
        assertEquals(Gemm.WIDE, Conv2dBackwardWeightDirect.applies(geometry(stem)), "16 lanes or not");
        assertEquals(Gemm.WIDE, Conv2dBackwardWeightDirect.applies(geometry(
                new Case("the stem, stride 2", 64, 3, 75, 75, 16, 3, 3, Conv2dSpec.of(2, 0), 0))));
        assertFalse(Conv2dBackwardWeightDirect.applies(geometry(
                new Case("stride 5", 64, 3, 75, 75, 16, 3, 3, Conv2dSpec.of(5, 0), 0))));
        assertFalse(Conv2dBackwardWeightDirect.applies(geometry(
                new Case("1x1", 64, 16, 35, 35, 16, 1, 1, Conv2dSpec.of(1, 0), 0))));
        assertFalse(Conv2dBackwardWeightDirect.applies(geometry(
                new Case("64 channels", 8, 64, 35, 35, 64, 3, 3, Conv2dSpec.of(1, 1), 0))));
        assertFalse(Conv2dBackwardWeightDirect.applies(geometry(
                new Case("7x7", 64, 24, 7, 7, 24, 3, 3, Conv2dSpec.of(1, 1), 0))));
        assertFalse(Conv2dBackwardWeightDirect.fits(geometry(
                new Case("too large for int indices", 1, 3000, 1000, 1000, 16, 3, 3, Conv2dSpec.of(1, 1), 0))));
        assertFalse(Conv2dBackwardWeightDirect.fits(geometry(
                new Case("accumulators too many for int indices", 1, 200_000, 1, 1, 48, 3, 3, Conv2dSpec.of(1, 1), 0))));
    }
}
