package org.inceptionj.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.stream.Stream;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
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
 * The blocked direct convolution ({@link Conv2dBlocked}) gives the GEMM's bits ({@link Conv2d#forwardVector}),
 * with bias or with the batch-norm epilogue, for every group width (1 to 4 vectors of output channels
 * and remainders), partial channel blocks, several chunks of input channels, tiles that run across
 * images, every padding, stride and dilation; and both are within the formula's tolerance of the
 * double-precision reference ({@link Conv2dTest#reference}). Called directly, so it runs at any vector
 * width, whether or not {@link Conv2dBlocked#applies} would take it on this machine.
 */
class Conv2dBlockedTest {
    private static final int L = Vectors.F.length();

    static Stream<Arguments> shapes() {
        return Stream.of(
                // name, n, cin, h, w, cout, kh, kw, spec, bias
                new Conv2dTest.Case("one group of 4 vectors, 3x3 pad 1", 1, L, 9, 9, 4 * L, 3, 3, Conv2dSpec.of(1, 1), true, 1),
                new Conv2dTest.Case("groups of 4 + 1 vectors, 1x7 pad (0,3), 3 images", 3, 2 * L, 17, 17, 5 * L, 1, 7,
                        Conv2dSpec.of(1, 0, 3), true, 2),
                new Conv2dTest.Case("4 + 2 vectors, 7x1 pad (3,0), partial input block", 2, L + 3, 8, 8, 6 * L, 7, 1,
                        Conv2dSpec.of(1, 3, 0), false, 3),
                new Conv2dTest.Case("4 + 3 vectors, 3x3 stride 2", 2, 2 * L, 17, 17, 7 * L, 3, 3, Conv2dSpec.of(2, 0), true, 4),
                new Conv2dTest.Case("one vector, 5x5 pad 2", 1, L, 11, 10, L, 5, 5, Conv2dSpec.of(1, 2), true, 5),
                // Rows of 35: copied by three transposes, the last overlapping; the partial block position by position.
                new Conv2dTest.Case("35 wide, Cin 2 L + 3, 5x5 pad 2", 2, 2 * L + 3, 6, 35, L, 5, 5, Conv2dSpec.of(1, 2), true, 20),
                new Conv2dTest.Case("two vectors, 3 vectors: chunks of input channels (Cin 300)", 1, 300, 6, 7, 3 * L, 3, 3,
                        Conv2dSpec.of(1, 1), true, 6),
                new Conv2dTest.Case("1x1 positions across 9 images", 9, L, 3, 3, 2 * L, 3, 3, Conv2dSpec.of(2, 0), false, 7),
                new Conv2dTest.Case("1x1 images, 3x3 pad 1", 5, 20, 1, 1, 2 * L, 3, 3, Conv2dSpec.of(1, 1), true, 8),
                new Conv2dTest.Case("TF SAME: pad bottom/right only, stride 2", 2, L, 16, 15, 4 * L, 3, 3,
                        new Conv2dSpec(2, 2, 0, 0, 1, 1, 1, 1), true, 9),
                new Conv2dTest.Case("dilated, asymmetric padding", 1, L, 13, 11, 3 * L, 3, 3,
                        new Conv2dSpec(1, 1, 2, 1, 2, 1, 2, 2), true, 10),
                new Conv2dTest.Case("unpadded, rows left unread at the bottom", 1, 17, 10, 10, L, 3, 3, Conv2dSpec.of(3, 0), true, 11),
                new Conv2dTest.Case("1x1 read in place, 2 images", 2, 40, 5, 5, 2 * L, 1, 1, Conv2dSpec.of(1, 0), true, 12),
                new Conv2dTest.Case("1x1 read in place, 3 images of 17x17, Cout 3 L - 1", 3, 130, 17, 17, 3 * L - 1, 1, 1,
                        Conv2dSpec.of(1, 0), true, 17),
                new Conv2dTest.Case("1x1 read in place, chunks of input channels (Cin 300), 1x1 images", 9, 300, 1, 1, 40,
                        1, 1, Conv2dSpec.of(1, 0), false, 18),
                new Conv2dTest.Case("1x1 read in place, 33 images of 3x3", 33, 192, 3, 3, 48, 1, 1, Conv2dSpec.of(1, 0),
                        true, 19),
                // Cout not a multiple of L: the last vector part-filled (zero weights, lanes not stored).
                new Conv2dTest.Case("Cout L + 4: a full and a part-filled vector", 2, L, 9, 9, L + 4, 3, 3, Conv2dSpec.of(1, 1), true, 13),
                new Conv2dTest.Case("Cout 5: one part-filled vector", 3, L + 2, 7, 8, 5, 3, 3, Conv2dSpec.of(1, 1), true, 14),
                new Conv2dTest.Case("Cout 4.5 L: groups 3 + 2, the last part-filled", 2, L, 9, 9, 4 * L + L / 2, 1, 7,
                        Conv2dSpec.of(1, 0, 3), true, 15),
                new Conv2dTest.Case("Cout 3 L - 1, stride 2", 2, 2 * L, 11, 11, 3 * L - 1, 3, 3, Conv2dSpec.of(2, 0), false, 16)
        ).map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void sameBitsAsTheGemmAndWithinTheReference(Conv2dTest.Case c) {
        for (int threads = 1; threads <= 3; threads++) {
            check(c, threads, null);
        }
        Random r = new Random(c.seed());
        check(c, 2, epilogue(r, c.cout(), true));
        check(c, 1, epilogue(r, c.cout(), false));
    }

    @Property(tries = 40)
    void randomGeometry(@ForAll @IntRange(min = 1, max = 3) int n, @ForAll @IntRange(min = 1, max = 40) int cin,
                        @ForAll @IntRange(min = 1, max = 9) int blocks, @ForAll @IntRange(min = 1, max = 12) int size,
                        @ForAll @IntRange(min = 1, max = 7) int kh, @ForAll @IntRange(min = 1, max = 7) int kw,
                        @ForAll @IntRange(min = 1, max = 2) int stride, @ForAll boolean pad, @ForAll boolean bias,
                        @ForAll @IntRange(min = 1, max = 3) int threads, @ForAll @IntRange(min = 0, max = 15) int short_,
                        @ForAll long seed) {
        int padH = pad ? kh / 2 : 0, padW = pad ? kw / 2 : 0;
        int h = Math.max(size, kh), w = Math.max(size + 1, kw);
        // Cout: whole vectors, or the last one part-filled.
        int cout = blocks * L - short_ % L;
        check(new Conv2dTest.Case("random", n, cin, h, w, cout, kh, kw, Conv2dSpec.of(stride, padH, padW), bias,
                seed), threads, null);
    }

    private static BatchNormEpilogue epilogue(Random r, int cout, boolean relu) {
        float[] gamma = new float[cout], beta = new float[cout], mean = new float[cout], var = new float[cout];
        for (int i = 0; i < cout; i++) {
            gamma[i] = r.nextFloat() * 2 - 1;
            beta[i] = r.nextFloat() - 0.5f;
            mean[i] = r.nextFloat() - 0.5f;
            var[i] = r.nextFloat() * 3;
        }
        return BatchNormEpilogue.of(gamma, beta, mean, var, 1e-3f, relu);
    }

    private static void check(Conv2dTest.Case c, int threads, BatchNormEpilogue epilogue) {
        float[] x = c.x(), w = c.weight(), b = epilogue == null ? c.biasValues() : null;
        int outSize = c.n() * c.cout() * c.outH() * c.outW();
        Conv2d.Geometry g = new Conv2d.Geometry(c.n(), c.cin(), c.h(), c.w(), c.cout(), c.kh(), c.kw(), c.outH(), c.outW(),
                c.spec().strideH(), c.spec().strideW(), c.spec().padTop(), c.spec().padLeft(), c.spec().dilationH(),
                c.spec().dilationW());
        try (CpuBackend cpu = new CpuBackend(new CpuConfig(threads, true))) {
            float[] gemm = new float[outSize], blocked = new float[outSize];
            java.util.Arrays.fill(blocked, Float.NaN);   // every element must be written
            Conv2d.forwardVector(cpu, gemm, x, w, b, g, epilogue);
            float[] wb = new float[Conv2dBlocked.packedLength(g)];
            Conv2dBlocked.packWeights(cpu.parallel(), w, g, wb);
            Conv2dBlocked.forward(cpu, blocked, x, wb, b, g, epilogue);
            String what = c + " on " + threads + " thread(s)" + (epilogue == null ? "" : epilogue.relu() ? ", BN + ReLU" : ", BN");
            assertArrayEquals(gemm, blocked, what + ": blocked against GEMM, bit for bit");
            if (epilogue == null) {
                Conv2dTest.assertMatchesReference(c, "blocked", blocked, Conv2dTest.reference(c, x, w, b));
            }
        }
    }

    // ---------------------------------------------------------------- data gradients

    static Stream<Arguments> dataShapes() {
        return Stream.of(
                // name, n, cin, h, w, cout, kh, kw, spec
                new Conv2dBackwardTest.Case("3x3 pad 1, Cin 4 vectors", 2, 4 * L, 7, 6, 24, 3, 3, Conv2dSpec.of(1, 1), 1),
                new Conv2dBackwardTest.Case("1x7 pad (0,3), Cin 6 vectors (3 + 3)", 3, 6 * L, 5, 9, L, 1, 7,
                        Conv2dSpec.of(1, 0, 3), 2),
                new Conv2dBackwardTest.Case("7x1 pad (3,0), 1x1 images", 5, L, 1, 1, 40, 7, 1, Conv2dSpec.of(1, 3, 0), 3),
                new Conv2dBackwardTest.Case("5x5 pad 2, Cout 300: chunks", 1, 2 * L, 6, 6, 300, 5, 5, Conv2dSpec.of(1, 2), 4),
                new Conv2dBackwardTest.Case("dilated 3x3, same size", 2, L, 9, 8, 17, 3, 3,
                        new Conv2dSpec(1, 1, 2, 2, 2, 2, 2, 2), 5),
                // Cin not a multiple of L: the turned convolution's last output vector part-filled.
                new Conv2dBackwardTest.Case("3x3 pad 1, Cin L + 8", 2, L + 8, 7, 7, 24, 3, 3, Conv2dSpec.of(1, 1), 6),
                new Conv2dBackwardTest.Case("5x5 pad 2, Cin 5", 2, 5, 9, 9, 2 * L, 5, 5, Conv2dSpec.of(1, 2), 7)
        ).map(Arguments::of);
    }

    /**
     * A same-padded, stride-1 data gradient as the blocked forward of the turned kernel ({@link Conv2d#turned},
     * weights by {@link Conv2dBlocked#packTurnedWeights}): the GEMM's bits for the same turned convolution, and
     * within the formula's tolerance of the double-precision gradient.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dataShapes")
    void dataGradientAsTheTurnedConvolution(Conv2dBackwardTest.Case c) {
        float[] w = c.weight(), dy = c.dy();
        Conv2d.Geometry g = c.geometry();   // stride 1, as every data shape here
        Conv2d.Geometry t = Conv2d.turned(g);
        float[] turned = new float[w.length];
        int taps = c.kh() * c.kw();
        for (int co = 0; co < c.cout(); co++) {
            for (int ci = 0; ci < c.cin(); ci++) {
                for (int k = 0; k < taps; k++) {
                    turned[(ci * c.cout() + co) * taps + taps - 1 - k] = w[(co * c.cin() + ci) * taps + k];
                }
            }
        }
        float[] packed = new float[Conv2dBlocked.packedLength(t)], direct = new float[packed.length];
        try (CpuBackend cpu = new CpuBackend(new CpuConfig(2, true))) {
            Conv2dBlocked.packWeights(cpu.parallel(), turned, t, packed);
            Conv2dBlocked.packTurnedWeights(cpu.parallel(), w, g, direct);
        }
        assertArrayEquals(packed, direct, c + ": packTurnedWeights against turning, then packing");
        for (int threads = 1; threads <= 2; threads++) {
            try (CpuBackend cpu = new CpuBackend(new CpuConfig(threads, true))) {
                float[] gemm = new float[c.n() * c.cin() * c.h() * c.w()], blocked = new float[gemm.length];
                Conv2d.forwardVector(cpu, gemm, dy, turned, null, t, null);
                Conv2dBlocked.forward(cpu, blocked, dy, direct, null, t, null);
                assertArrayEquals(gemm, blocked, c + " on " + threads + " thread(s): blocked against GEMM");
                Conv2dBackwardTest.assertMatches(c, "dx blocked", blocked, Conv2dBackwardTest.referenceData(c,
                        Conv2dBackwardTest.toDouble(dy), Conv2dBackwardTest.toDouble(w)));
            }
        }
    }

    // ---------------------------------------------------------------- the setting

    /**
     * -Dinceptionj.cpu.blockedConv: unset means on, false keeps every convolution on the GEMM (same
     * results), and anything but true or false is rejected with the value named.
     */
    /**
     * The packed layouts, element by element against their formulas, on one and two threads: vectors of
     * channels that fill whole 16 × 16 transposes and that do not (Cout or Cin not a multiple of L, steps
     * not a multiple of L, weights at the very end of their array).
     */
    @Property(tries = 60)
    void packingFollowsItsFormula(@ForAll @IntRange(min = 1, max = 130) int cout, @ForAll @IntRange(min = 1, max = 70) int cin,
                                  @ForAll @IntRange(min = 1, max = 5) int kh, @ForAll @IntRange(min = 1, max = 3) int kw,
                                  @ForAll @IntRange(min = 1, max = 2) int threads) {
        Conv2d.Geometry g = new Conv2d.Geometry(1, cin, 8, 8, cout, kh, kw, 8 - kh + 1, 8 - kw + 1, 1, 1, 0, 0, 1, 1);
        int taps = kh * kw, k = cin * taps;
        float[] w = new float[cout * k];
        Random r = new Random(cout * 7919L + cin * 31L + taps);
        for (int i = 0; i < w.length; i++) {
            w[i] = r.nextFloat() - 0.5f;
        }
        int[] starts = Conv2dBlocked.groupStarts(Conv2dBlocked.outBlocks(g));
        float[] expected = new float[layoutLength(starts, k)];
        assertEquals(expected.length, Conv2dBlocked.packedLength(g), "packedLength");
        for (int gr = 0, base = 0; gr + 1 < starts.length; base += groupFloats(starts, gr, k), gr++) {
            int co0 = starts[gr] * L, fb = starts[gr + 1] - starts[gr];
            for (int s = 0; s < k; s++) {
                for (int c = 0; c < fb * L; c++) {
                    expected[layoutAt(base, fb, s, c)] = co0 + c < cout ? w[(co0 + c) * k + s] : 0f;
                }
            }
        }
        int[] turnedStarts = Conv2dBlocked.groupStarts((cin + L - 1) / L);
        int kt = cout * taps;
        float[] expectedTurned = new float[layoutLength(turnedStarts, kt)];
        for (int gr = 0, base = 0; gr + 1 < turnedStarts.length; base += groupFloats(turnedStarts, gr, kt), gr++) {
            int ci0 = turnedStarts[gr] * L, fb = turnedStarts[gr + 1] - turnedStarts[gr];
            for (int co = 0; co < cout; co++) {
                for (int tap = 0; tap < taps; tap++) {
                    for (int c = 0; c < fb * L; c++) {
                        expectedTurned[layoutAt(base, fb, co * taps + tap, c)] =
                                ci0 + c < cin ? w[((co * cin) + ci0 + c) * taps + taps - 1 - tap] : 0f;
                    }
                }
            }
        }
        try (CpuBackend cpu = new CpuBackend(new CpuConfig(threads, true))) {
            float[] packed = new float[expected.length], turned = new float[expectedTurned.length];
            java.util.Arrays.fill(packed, Float.NaN);
            java.util.Arrays.fill(turned, Float.NaN);
            Conv2dBlocked.packWeights(cpu.parallel(), w, g, packed);
            Conv2dBlocked.packTurnedWeights(cpu.parallel(), w, g, turned);
            String what = "Cout " + cout + ", Cin " + cin + ", " + kh + "x" + kw + ", " + threads + " thread(s)";
            assertArrayEquals(expected, packed, what + ": packWeights");
            assertArrayEquals(expectedTurned, turned, what + ": packTurnedWeights");
        }
    }

    /**
     * The packed layout, written out again from its description: a group of fb vectors in chunks of cs steps,
     * cs the largest multiple of L with cs·fb·L ≤ CHUNK_WEIGHTS, each chunk its fb vectors' runs of cs steps one
     * after the other; c is the channel within the group (vector c / L, lane c % L).
     */
    private static int layoutAt(int base, int fb, int s, int c) {
        int cs = chunkSteps(fb);
        return base + (s / cs) * cs * fb * L + (c / L) * cs * L + (s % cs) * L + c % L;
    }

    private static int chunkSteps(int fb) {
        int cs = Conv2dBlocked.CHUNK_WEIGHTS / (fb * L) / L * L;
        return Math.max(L, cs);
    }

    private static int groupFloats(int[] starts, int gr, int k) {
        int fb = starts[gr + 1] - starts[gr], cs = chunkSteps(fb);
        return (k + cs - 1) / cs * cs * fb * L;
    }

    private static int layoutLength(int[] starts, int k) {
        int n = 0;
        for (int gr = 0; gr + 1 < starts.length; gr++) {
            n += groupFloats(starts, gr, k);
        }
        return n;
    }

    @Test
    void settingIsReadAndCheckedAndTurnsThePathOff() {
        String property = CpuConfig.BLOCKED_CONV_PROPERTY, before = System.getProperty(property);
        try {
            System.clearProperty(property);
            assertTrue(CpuConfig.fromSystemProperties().blockedConv(), "unset: on");
            System.setProperty(property, "flase");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, CpuConfig::fromSystemProperties);
            assertTrue(e.getMessage().contains(property + "=flase"), e.getMessage());
            System.setProperty(property, " FALSE ");
            CpuConfig off = CpuConfig.fromSystemProperties();
            assertFalse(off.blockedConv(), "false: off");
            Conv2d.Geometry g = new Conv2d.Geometry(1, L, 6, 6, 2 * L, 3, 3, 6, 6, 1, 1, 1, 1, 1, 1);
            float[] x = Conv2dTest.uniform(1, L * 36), w = Conv2dTest.uniform(2, 2 * L * L * 9);
            float[][] results = new float[2][];
            for (int k = 0; k < 2; k++) {
                boolean blocked = k == 1;
                try (CpuBackend cpu = new CpuBackend(new CpuConfig(2, true, off.cacheBytes(), blocked));
                     TensorScope s = TensorScope.open()) {
                    assertEquals(blocked && Gemm.WIDE, Conv2dBlocked.applies(cpu, g),
                            "blockedConv=" + blocked + ": taken exactly when on, on AVX-512");
                    results[k] = Ops.conv2d(Ops.fromArray(cpu, Shape.of(1, L, 6, 6), x),
                            Ops.fromArray(cpu, Shape.of(2 * L, L, 3, 3), w), null, Conv2dSpec.of(1, 1)).toArray();
                }
            }
            assertArrayEquals(results[0], results[1], "the same bits with the setting off and on");
        } finally {
            if (before == null) {
                System.clearProperty(property);
            } else {
                System.setProperty(property, before);
            }
        }
    }

    /**
     * 1×1 stride-1 convolutions take this path only where {@link Conv2dBlocked#pointwisePays}: a long
     * reduction over small planes across a batch, or over planes of 256 positions or more when there are
     * fewer images than threads or too few columns for the GEMM to pack its weights.
     */
    @Test
    void pointwiseTakenWhereItPays() {
        try (CpuBackend cpu = new CpuBackend(new CpuConfig(2, true))) {
            // batch, Cin, size, Cout, taken
            Object[][] cases = {
                    {64, 192, 3, 48, true},      // small planes across the batch
                    {64, 512, 1, 80, true},
                    {2, 128, 7, 16, true},
                    {64, 72, 7, 16, false},      // a short reduction
                    {1, 768, 17, 192, true},     // fewer images than threads, 289 positions
                    {1, 2048, 8, 448, false},    // fewer images than threads, but 64 positions
                    {8, 768, 17, 192, false},    // large planes: the GEMM per image, weights packed
                    {64, 192, 17, 48, false},
            };
            for (Object[] c : cases) {
                int n = (int) c[0], cin = (int) c[1], size = (int) c[2], cout = (int) c[3];
                Conv2d.Geometry g = new Conv2d.Geometry(n, cin, size, size, cout, 1, 1, size, size, 1, 1, 0, 0, 1, 1);
                assertEquals((boolean) c[4] && Gemm.WIDE, Conv2dBlocked.applies(cpu, g), g.toString());
            }
            Conv2d.Geometry padded = new Conv2d.Geometry(64, 192, 3, 3, 48, 1, 1, 5, 5, 1, 1, 1, 1, 1, 1);
            assertFalse(Conv2dBlocked.applies(cpu, padded), "a padded 1×1 is not read in place: " + padded);
        }
        try (CpuBackend one = new CpuBackend(new CpuConfig(1, true))) {
            Conv2d.Geometry g = new Conv2d.Geometry(1, 768, 17, 17, 192, 1, 1, 17, 17, 1, 1, 0, 0, 1, 1);
            assertEquals(Gemm.WIDE, Conv2dBlocked.applies(one, g),
                    "one image on one thread: 289 columns, too few for the GEMM to pack W, " + g);
            Conv2d.Geometry two = new Conv2d.Geometry(2, 768, 17, 17, 192, 1, 1, 17, 17, 1, 1, 0, 0, 1, 1);
            assertFalse(Conv2dBlocked.applies(one, two), "two images on one thread: the GEMM, W packed, " + two);
            Conv2d.Geometry small = new Conv2d.Geometry(1, 768, 8, 8, 192, 1, 1, 8, 8, 1, 1, 0, 0, 1, 1);
            assertFalse(Conv2dBlocked.applies(one, small), "one image of 64 positions on one thread: the GEMM, " + small);
        }
    }

    // ---------------------------------------------------------------- the packed weights' cache

    /**
     * The packed copy kept on the weight's storage is used again while nothing touched the weights,
     * and packed again after any write through the backend: an optimizer's update, a copy, a write.
     */
    @Test
    void packedWeightsFollowEveryWrite() {
        int cin = L, cout = 2 * L;
        Conv2dSpec spec = Conv2dSpec.of(1, 1);
        try (CpuBackend cpu = new CpuBackend(new CpuConfig(2, true)); TensorScope s = TensorScope.open()) {
            Tensor x = Ops.fromArray(cpu, Shape.of(1, cin, 6, 6), Conv2dTest.uniform(1, cin * 36));
            Tensor w = Ops.fromArray(cpu, Shape.of(cout, cin, 3, 3), Conv2dTest.uniform(2, cout * cin * 9));
            Conv2d.Geometry g = Conv2d.Geometry.of(Ops.zeros(cpu, Shape.of(1, cout, 6, 6)), x, w, spec);
            float[] first = CpuBackend.blockedWeights(w, g);
            assertSame(first, CpuBackend.blockedWeights(w, g), "packed again with no write in between");
            float[] before = Ops.conv2d(x, w, null, spec).toArray();
            if (Conv2dBlocked.applies(cpu, g)) {
                // Taken here: the convolution reads w without marking it changed.
                assertSame(first, CpuBackend.blockedWeights(w, g), "a convolution reading w counted as a write");
            }

            cpu.write(w, Conv2dTest.uniform(3, cout * cin * 9), 0);
            float[] afterWrite = Ops.conv2d(x, w, null, spec).toArray();
            assertNotEquals(before[0], afterWrite[0], "the new weights were not used");
            assertArrayEquals(reference(cpu, x, w, spec), afterWrite, "after a write");

            cpu.copy(w, Ops.fromArray(cpu, w.shape(), Conv2dTest.uniform(4, cout * cin * 9)));
            assertArrayEquals(reference(cpu, x, w, spec), Ops.conv2d(x, w, null, spec).toArray(), "after a copy");

            Tensor grad = Ops.fromArray(cpu, w.shape(), Conv2dTest.uniform(5, cout * cin * 9));
            Tensor ms = Ops.zeros(cpu, w.shape()), mom = Ops.zeros(cpu, w.shape());
            Tensor scale = Ops.fromArray(cpu, Shape.of(1), new float[]{1f});
            cpu.rmsPropUpdate(new Tensor[]{w}, new Tensor[]{ms}, new Tensor[]{mom}, new Tensor[]{grad}, scale, 0.5f, 0.9f,
                    0f, 1f);
            assertArrayEquals(reference(cpu, x, w, spec), Ops.conv2d(x, w, null, spec).toArray(),
                    "after an optimizer step");
            assertTrue(cpu.liveBytes() > 0);
        }
    }

    /**
     * Convolutions on the blocked path through the backend see x as it is now: after a write to x, a
     * read of it by another op, for another tensor of x's shape. (It once kept an unpadded input's
     * blocked copy for the next convolution; a stale copy would fail here.)
     */
    @Test
    void blockedInputFollowsEveryWrite() {
        int cin = L + 5, cout = 2 * L;
        Conv2dSpec spec = Conv2dSpec.of(1, 0);
        try (CpuBackend cpu = new CpuBackend(new CpuConfig(2, true)); TensorScope s = TensorScope.open()) {
            Tensor x = Ops.fromArray(cpu, Shape.of(2, cin, 5, 7), Conv2dTest.uniform(1, 2 * cin * 35));
            Tensor other = Ops.fromArray(cpu, Shape.of(2, cin, 5, 7), Conv2dTest.uniform(6, 2 * cin * 35));
            // Unpadded 3×3s (1×1s over 21 channels stay on the GEMM, and planes this small off Conv2dDirect); w3 a 1×3.
            Tensor w1 = Ops.fromArray(cpu, Shape.of(cout, cin, 3, 3), Conv2dTest.uniform(2, cout * cin * 9));
            Tensor w2 = Ops.fromArray(cpu, Shape.of(cout, cin, 3, 3), Conv2dTest.uniform(3, cout * cin * 9));
            Tensor w3 = Ops.fromArray(cpu, Shape.of(cout, cin, 1, 3), Conv2dTest.uniform(4, cout * cin * 3));
            Conv2d.Geometry g = Conv2d.Geometry.of(Ops.zeros(cpu, Shape.of(2, cout, 3, 5)), x, w1, spec);
            assertEquals(Gemm.WIDE, Conv2dBlocked.applies(cpu, g) && !Conv2dDirect.applies(cpu, g),
                    "the blocked path takes these on AVX-512");
            assertArrayEquals(reference(cpu, x, w1, spec), Ops.conv2d(x, w1, null, spec).toArray(), "first read of x");
            assertArrayEquals(reference(cpu, x, w2, spec), Ops.conv2d(x, w2, null, spec).toArray(), "x again");
            assertArrayEquals(reference(cpu, other, w2, spec), Ops.conv2d(other, w2, null, spec).toArray(),
                    "another tensor of x's shape");
            assertArrayEquals(reference(cpu, x, w3, spec), Ops.conv2d(x, w3, null, spec).toArray(),
                    "x, read by a 1×3");
            cpu.write(x, Conv2dTest.uniform(5, 2 * cin * 35), 0);
            assertArrayEquals(reference(cpu, x, w1, spec), Ops.conv2d(x, w1, null, spec).toArray(), "after a write to x");
            Tensor y = Ops.relu(x);   // another op reading x marks it too: still right
            assertArrayEquals(reference(cpu, x, w2, spec), Ops.conv2d(x, w2, null, spec).toArray(), "after a read of x");
            assertArrayEquals(reference(cpu, y, w2, spec), Ops.conv2d(y, w2, null, spec).toArray(), "relu(x)");
        }
    }

    /**
     * The GEMM's result for the weights w holds now. Reads x and w without {@link CpuBackend#data}, which
     * would mark them changed and so hide a stale cache.
     */
    private static float[] reference(CpuBackend cpu, Tensor x, Tensor w, Conv2dSpec spec) {
        Tensor out = Ops.zeros(cpu, Shape.of(x.shape().dim(0), w.shape().dim(0),
                spec.outH(x.shape().dim(2), w.shape().dim(2)), spec.outW(x.shape().dim(3), w.shape().dim(3))));
        Conv2d.Geometry g = Conv2d.Geometry.of(out, x, w, spec);
        float[] o = new float[out.size()];
        Conv2d.forwardVector(cpu, o, CpuBackend.read(x), CpuBackend.read(w), null, g, null);
        return o;
    }
}
