package org.inceptionj.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import java.util.SplittableRandom;

import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.junit.jupiter.api.Test;

/**
 * Reading ahead ({@link ReadAhead}): each convolution's weights learn which came next; a convolution's main
 * loop posts them; each thread reads its share (or, for Winograd's weights, all of them) in batches up to the
 * cap and then stops; the backend's results are the same bits with it and without; the setting is checked.
 */
class ReadAheadTest {

    private static CpuStorage storage(CpuBackend be, int n) {
        return be.empty(Shape.of(n)).storage(CpuStorage.class);
    }

    /** How many times readSome(t) says it read, until it says there is nothing more. */
    private static int batches(ReadAhead r, int t) {
        int n = 0;
        while (r.readSome(t)) {
            n++;
            assertTrue(n < 1_000_000, "readSome never stops");
        }
        return n;
    }

    @Test
    void theWeightsThatCameNextLastTimeArePostedAndConsumedByOnePost() {
        try (CpuBackend be = new CpuBackend(new CpuConfig(2, true)); TensorScope s = TensorScope.open()) {
            CpuStorage a = storage(be, 4), b = storage(be, 4);
            float[] pa = new float[1000], pb = new float[3000];
            ReadAhead r = new ReadAhead(2);
            r.used(a, pa, false);
            r.post();
            assertNull(r.posted(), "first pass: nothing known to follow a");
            assertFalse(r.readSome(0));
            r.used(b, pb, true);
            r.post();
            r.used(a, pa, false);
            assertNull(r.posted(), "used() alone posts nothing: the main loop posts");
            r.post();
            assertNotNull(r.posted(), "second pass: b followed a");
            assertSame(pb, r.posted().packed());
            assertTrue(r.posted().whole(), "b's weights were Winograd's, read whole by each thread");
            r.post();
            assertNull(r.posted(), "a post without a use before it posts nothing");
            r.used(b, pb, true);
            r.post();
            assertSame(pa, r.posted().packed(), "a followed b");
            assertFalse(r.posted().whole());
            r.clear();
            assertNull(r.posted());
        }
    }

    @Test
    void eachThreadReadsItsShareInBatchesThenStops() {
        try (CpuBackend be = new CpuBackend(new CpuConfig(2, true)); TensorScope s = TensorScope.open()) {
            CpuStorage a = storage(be, 4), b = storage(be, 4);
            int length = 10 * ReadAhead.BATCH + 100;
            float[] pb = new float[length];
            ReadAhead r = new ReadAhead(2);
            for (int pass = 0; pass < 2; pass++) {
                r.used(a, new float[16], false);
                r.post();
                r.used(b, pb, false);
                r.post();
            }
            r.used(a, new float[16], false);
            r.post();
            int half = length / 2;
            assertEquals((half + ReadAhead.BATCH - 1) / ReadAhead.BATCH, batches(r, 0), "thread 0's share in batches");
            assertTrue(r.cursor(0) >= half && r.cursor(0) < half + 16, "thread 0 stops at its half: " + r.cursor(0));
            assertEquals((length - half + ReadAhead.BATCH - 1) / ReadAhead.BATCH, batches(r, 1), "thread 1's share");
            assertTrue(r.cursor(1) >= length && r.cursor(1) < length + 16, "thread 1 reads to the end: " + r.cursor(1));
            assertFalse(r.readSome(0), "read once per post");
        }
    }

    @Test
    void winogradsWeightsAreReadWholeByEveryThreadUpToTheCap() {
        try (CpuBackend be = new CpuBackend(new CpuConfig(3, true)); TensorScope s = TensorScope.open()) {
            CpuStorage a = storage(be, 4), b = storage(be, 4);
            int length = 2 * ReadAhead.MOST + 1000;
            float[] pa = new float[16], pb = new float[length];
            ReadAhead r = new ReadAhead(3);
            r.used(a, pa, false);
            r.used(b, pb, true);
            r.used(a, pa, false);
            r.post();
            for (int t = 0; t < 3; t++) {
                assertEquals(ReadAhead.MOST / ReadAhead.BATCH, batches(r, t), "thread " + t + ": capped");
                assertEquals(ReadAhead.MOST, r.cursor(t), "thread " + t + " read from the start");
            }
            // The blocked convolution's weights: thirds, each under the cap.
            r.used(b, pb, false);
            r.used(a, pa, false);
            r.post();
            batches(r, 0);
            batches(r, 2);
            assertTrue(r.cursor(0) >= length / 3 && r.cursor(0) < length / 3 + 16,
                    "thread 0 to a third: " + r.cursor(0));
            assertTrue(r.cursor(2) >= length && r.cursor(2) < length + 16, "thread 2 to the end: " + r.cursor(2));
        }
    }

    @Test
    void aPassOfTheBackendPostsTheConvolutionThatFollows() {
        assumeTrue(Gemm.WIDE, "the blocked convolution (where weights are packed) needs 512-bit vectors; this machine's"
                + " are " + Vectors.F.vectorBitSize() + "-bit");
        try (CpuBackend be = new CpuBackend(new CpuConfig(2, true)); TensorScope s = TensorScope.open()) {
            SplittableRandom r = new SplittableRandom(3);
            Tensor x = Ops.fromArray(be, Shape.of(1, 48, 9, 9), random(r, 48 * 81));
            Tensor w1 = Ops.fromArray(be, Shape.of(64, 48, 3, 3), random(r, 64 * 48 * 9));
            Tensor w2 = Ops.fromArray(be, Shape.of(48, 64, 3, 3), random(r, 48 * 64 * 9));
            for (int pass = 0; pass < 2; pass++) {
                block(be, block(be, x, w1), w2);
            }
            // The second pass's last convolution (w2) posted what followed it in that pass: w1.
            assertNotNull(be.readAhead().posted(), "after two passes the next weights are known");
            float[] posted = be.readAhead().posted().packed();
            Tensor y1 = be.empty(Shape.of(1, 64, 9, 9));
            assertSame(CpuBackend.blockedWeights(w1, Conv2d.Geometry.of(y1, x, w1, Conv2dSpec.of(1, 1))), posted,
                    "the posted array is w1's packed weights");
        }
    }

    @Test
    void theSameBitsWithAndWithoutIt() {
        float[][] out = new float[2][];
        for (int k = 0; k < 2; k++) {
            try (CpuBackend be = new CpuBackend(new CpuConfig(2, true, 1L << 26, true, true, true, k == 1));
                 TensorScope s = TensorScope.open()) {
                assertEquals(k == 1, be.readAhead() != null);
                SplittableRandom r = new SplittableRandom(5);
                Tensor x = Ops.fromArray(be, Shape.of(1, 48, 17, 17), random(r, 48 * 289));
                Tensor w1 = Ops.fromArray(be, Shape.of(64, 48, 3, 3), random(r, 64 * 48 * 9));
                Tensor w2 = Ops.fromArray(be, Shape.of(80, 64, 1, 7), random(r, 80 * 64 * 7));
                Tensor y = null;
                for (int pass = 0; pass < 3; pass++) {
                    y = block(be, block(be, x, w1), w2);
                }
                out[k] = y.toArray();
            }
        }
        assertArrayEquals(out[0], out[1]);
    }

    @Test
    void settingIsReadAndChecked() {
        String property = CpuConfig.READ_AHEAD_PROPERTY, before = System.getProperty(property);
        try {
            System.clearProperty(property);
            assertTrue(CpuConfig.fromSystemProperties().readAhead(), "unset: on");
            System.setProperty(property, "maybe");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, CpuConfig::fromSystemProperties);
            assertTrue(e.getMessage().contains(property + "=maybe"), e.getMessage());
            System.setProperty(property, "false");
            assertFalse(CpuConfig.fromSystemProperties().readAhead(), "false: off");
            try (CpuBackend be = new CpuBackend(CpuConfig.fromSystemProperties())) {
                assertNull(be.readAhead());
            }
        } finally {
            if (before == null) {
                System.clearProperty(property);
            } else {
                System.setProperty(property, before);
            }
        }
    }

    private static float[] random(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextDouble() - 0.5);
        }
        return v;
    }

    /** ReLU(BatchNorm(conv(x, w))) with unit statistics, same-padded, stride 1. */
    private static Tensor block(CpuBackend be, Tensor x, Tensor w) {
        Shape ws = w.shape();
        int cout = ws.dim(0), kh = ws.dim(2), kw = ws.dim(3);
        Tensor ones = Ops.fromArray(be, Shape.of(cout), filled(cout, 1f));
        Tensor zeros = Ops.zeros(be, Shape.of(cout));
        Tensor out = be.empty(Shape.of(x.shape().dim(0), cout, x.shape().dim(2), x.shape().dim(3)));
        Conv2dSpec spec = Conv2dSpec.of(1, (kh - 1) / 2, (kw - 1) / 2);
        be.conv2dBatchNormInference(out, x, w, ones, zeros, zeros, ones, 1e-3f, spec, true);
        return out;
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        Arrays.fill(a, v);
        return a;
    }
}
