package org.inceptionj.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.ReduceOp;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.junit.jupiter.api.Test;

/**
 * Activations left channel-blocked between the inference forward's operators ({@link BlockedActivations})
 * change no bit of anything a caller reads: a small network of the kinds of layers Inception-v3 chains (a
 * 3×3 on the blocked path, 1×1s reading blocked inputs, Winograd's 3×3, a stride-2 3×3, concatenations of
 * blocked and NCHW parts, 3×3 max and average pools, channel counts that do not fill whole vectors, planes
 * that are not square, global sums, means and maxima over the planes) gives every intermediate tensor bit for
 * bit as with the setting off, on one and on two threads.
 */
class BlockedActivationsTest {

    @Test
    void everyIntermediateKeepsItsBits() {
        for (int threads = 1; threads <= 2; threads++) {
            List<float[]> off = network(new CpuConfig(threads, true, 1L << 26, true, true, false), Expect.NONE);
            // The blocked and Winograd paths' register tiles need AVX-512's registers (Gemm.WIDE).
            List<float[]> on = network(new CpuConfig(threads, true, 1L << 26, true, true, true),
                    Gemm.WIDE ? Expect.BLOCKED : Expect.EITHER);
            assertEquals(off.size(), on.size());
            for (int i = 0; i < off.size(); i++) {
                CpuBackwardTest.assertBitsEqual("tensor " + i + ", " + threads + " thread(s)", off.get(i), on.get(i));
            }
        }
    }

    /**
     * Runs the network on a backend of this configuration and returns every tensor's values (read only at
     * the end, so that the blocked values are what the later layers read), checking which outputs were left
     * blocked.
     */
    private static List<float[]> network(CpuConfig config, Expect expect) {
        Random r = new Random(7);
        List<Tensor> all = new ArrayList<>();
        try (CpuBackend cpu = new CpuBackend(config); TensorScope s = TensorScope.open()) {
            Tensor x = Ops.fromArray(cpu, Shape.of(2, 16, 11, 9), values(r, 2 * 16 * 11 * 9));
            Tensor a = conv(cpu, r, x, 80, 3, 3, Conv2dSpec.of(1, 1));        // blocked path, x NCHW
            Tensor b = conv(cpu, r, a, 48, 1, 1, Conv2dSpec.of(1, 0));        // 1×1 reading a blocked
            Tensor c = conv(cpu, r, b, 64, 3, 3, Conv2dSpec.of(1, 1));        // Winograd, padded from blocked
            Tensor d = conv(cpu, r, a, 40, 1, 1, Conv2dSpec.of(1, 0));        // 40 channels: a part-filled vector
            Tensor e = conv(cpu, r, d, 32, 1, 1, Conv2dSpec.of(1, 0));        // reads d's blocked values
            Tensor cat = Ops.zeros(cpu, Shape.of(2, 48 + 64 + 16, 11, 9));
            cpu.concat(cat, new Tensor[] {b, c, x}, 1);                       // blocked, blocked and NCHW parts
            Tensor avg = Ops.zeros(cpu, Shape.of(2, 128, 11, 9));
            cpu.avgPool2d(avg, cat, Pool2dSpec.of(3, 1, 1));
            Tensor max = Ops.zeros(cpu, Shape.of(2, 128, 5, 4));
            cpu.maxPool2d(max, cat, Pool2dSpec.of(3, 2, 0));
            Tensor f = conv(cpu, r, avg, 32, 1, 1, Conv2dSpec.of(1, 0));      // after the blocked average pool
            Tensor g = conv(cpu, r, cat, 96, 3, 3, Conv2dSpec.of(2, 0));      // stride 2 from blocked
            Tensor avgUncounted = Ops.zeros(cpu, Shape.of(2, 80, 11, 9));
            cpu.avgPool2d(avgUncounted, a, Pool2dSpec.of(3, 1, 1).withCountIncludePad(false));
            all.addAll(stem(cpu, r));
            // Global reductions over H and W read blocked inputs as they lie: a plane with a tail past the
            // double vectors' loop bound (11 × 9), a part-filled vector of channels (d), a blocked concat, stride 2.
            boolean[] planes = {false, false, true, true};
            List<Tensor> reduced = new ArrayList<>();
            for (Object[] job : new Object[][] {{ReduceOp.MEAN, a}, {ReduceOp.SUM, d}, {ReduceOp.MAX, cat},
                    {ReduceOp.MEAN, g}, {ReduceOp.SUM, c}}) {
                Tensor in = (Tensor) job[1];
                Tensor red = Ops.zeros(cpu, Shape.of(2, in.shape().dim(1), 1, 1));
                cpu.reduce((ReduceOp) job[0], red, in, planes);
                reduced.add(red);
            }
            all.addAll(List.of(a, b, c, d, e, cat, avg, max, f, g, avgUncounted));
            for (Tensor t : all) {
                if (expect == Expect.BLOCKED) {
                    assertNotNull(CpuBackend.blockedView(t), "left channel-blocked: " + t.shape());
                } else if (expect == Expect.NONE) {
                    assertNull(CpuBackend.blockedView(t), "setting off: nothing blocked, " + t.shape());
                }
            }
            Tensor mixed = Ops.zeros(cpu, Shape.of(2, 48 + 40, 11, 9));
            cpu.concat(mixed, new Tensor[] {b, d}, 1);                        // a part-filled part: NCHW concat
            all.add(mixed);
            all.addAll(reduced);
            List<float[]> out = new ArrayList<>();
            for (Tensor t : all) {
                out.add(t.toArray());
            }
            return out;
        }
    }

    /**
     * A stem as Inception's, with Winograd off so that every 3×3 of it is one that {@link Conv2dDirect} takes
     * with the setting off: on, they run blocked ({@link Conv2d#stemBlocked}), x read in place (the image,
     * NCHW, at stride 2; then blocked), then padded from blocked; a stride-2 max pool and a 1×1 read their
     * blocked outputs. Every tensor bit for bit as with the setting off, on one and two threads.
     */
    @Test
    void aStemOnTheBlockedPathKeepsItsBits() {
        for (int threads = 1; threads <= 2; threads++) {
            List<float[]> values = new ArrayList<>();
            for (boolean on : new boolean[] {false, true}) {
                try (CpuBackend cpu = new CpuBackend(new CpuConfig(threads, true, 1L << 26, true, false, on));
                     TensorScope s = TensorScope.open()) {
                    List<Tensor> stem = stem(cpu, new Random(11));
                    for (Tensor t : stem) {
                        assertEquals(on && Gemm.WIDE, CpuBackend.blockedView(t) != null, "left blocked: " + t.shape());
                    }
                    for (Tensor t : stem) {
                        values.add(t.toArray());
                    }
                }
            }
            int n = values.size() / 2;
            for (int i = 0; i < n; i++) {
                CpuBackwardTest.assertBitsEqual("stem tensor " + i + ", " + threads + " thread(s)", values.get(i),
                        values.get(n + i));
            }
        }
    }

    /** The stem of {@link #aStemOnTheBlockedPathKeepsItsBits} (also run, with Winograd, in the network above). */
    private static List<Tensor> stem(CpuBackend cpu, Random r) {
        Tensor image = Ops.fromArray(cpu, Shape.of(2, 3, 35, 33), values(r, 2 * 3 * 35 * 33));
        Tensor s1 = conv(cpu, r, image, 32, 3, 3, Conv2dSpec.of(2, 0));
        Tensor s2 = conv(cpu, r, s1, 32, 3, 3, Conv2dSpec.of(1, 0));
        Tensor s3 = conv(cpu, r, s2, 48, 3, 3, Conv2dSpec.of(1, 1));
        Tensor pooled = Ops.zeros(cpu, Shape.of(2, 48, 7, 6));
        cpu.maxPool2d(pooled, s3, Pool2dSpec.of(3, 2, 0));
        Tensor s4 = conv(cpu, r, pooled, 40, 1, 1, Conv2dSpec.of(1, 0));
        return List.of(s1, s2, s3, pooled, s4);
    }

    /**
     * The stem's layers that {@link Conv2dDirect} takes in training run blocked in the inference forward where
     * they have two vectors of output channels or more (Conv2d_1a at 299 × 299, and 2a and 2b by this rule, which
     * Winograd takes first; the stem of {@link #aStemOnTheBlockedPathKeepsItsBits}), not with one (the default
     * run's 16-channel stem).
     */
    @Test
    void stemLayersWithTwoVectorsOfChannelsRunBlocked() {
        try (CpuBackend cpu = new CpuBackend(new CpuConfig(2, true)); TensorScope s = TensorScope.open()) {
            Object[][] layers = {
                    {Shape.of(1, 3, 299, 299), 32, Conv2dSpec.of(2, 0), true},   // Conv2d_1a_3x3
                    {Shape.of(1, 32, 149, 149), 32, Conv2dSpec.of(1, 0), true},  // Conv2d_2a_3x3
                    {Shape.of(1, 32, 147, 147), 64, Conv2dSpec.of(1, 1), true},  // Conv2d_2b_3x3
                    {Shape.of(2, 3, 35, 33), 32, Conv2dSpec.of(2, 0), true},     // the test's stem
                    {Shape.of(2, 32, 17, 16), 32, Conv2dSpec.of(1, 0), true},
                    {Shape.of(2, 32, 15, 14), 48, Conv2dSpec.of(1, 1), true},
                    {Shape.of(64, 3, 75, 75), 16, Conv2dSpec.of(2, 0), false},   // the default run's
                    {Shape.of(64, 16, 37, 37), 16, Conv2dSpec.of(1, 0), false}};
            for (Object[] layer : layers) {
                Shape xs = (Shape) layer[0];
                int cout = (Integer) layer[1];
                Conv2dSpec spec = (Conv2dSpec) layer[2];
                Tensor x = cpu.empty(xs), w = cpu.empty(Shape.of(cout, xs.dim(1), 3, 3));
                Tensor out = cpu.empty(Shape.of(xs.dim(0), cout, spec.outH(xs.dim(2), 3), spec.outW(xs.dim(3), 3)));
                Conv2d.Geometry g = Conv2d.Geometry.of(out, x, w, spec);
                assertEquals(Gemm.WIDE && (Boolean) layer[3], Conv2d.stemBlocked(cpu, g), xs + " -> " + cout);
                assertEquals(Gemm.WIDE, Conv2dDirect.applies(cpu, g), "Direct's shape: " + xs + " -> " + cout);
            }
        }
    }

    /** A write through the backend after a blocked output replaces its values: the next reader sees the write. */
    @Test
    void aWriteAfterABlockedOutputIsWhatTheNextLayerReads() {
        Random r = new Random(3);
        try (CpuBackend cpu = new CpuBackend(new CpuConfig(2, true)); TensorScope s = TensorScope.open()) {
            Tensor x = Ops.fromArray(cpu, Shape.of(1, 32, 6, 6), values(r, 32 * 36));
            Tensor a = conv(cpu, new Random(1), x, 32, 3, 3, Conv2dSpec.of(1, 1));
            float[] replaced = values(r, 32 * 36);
            cpu.write(a, replaced, 0);
            assertNull(CpuBackend.blockedView(a), "the blocked values are stale after a write");
            Tensor b = conv(cpu, new Random(2), a, 48, 1, 1, Conv2dSpec.of(1, 0));
            Tensor fresh = Ops.fromArray(cpu, Shape.of(1, 32, 6, 6), replaced);
            Tensor expected = conv(cpu, new Random(2), fresh, 48, 1, 1, Conv2dSpec.of(1, 0));
            CpuBackwardTest.assertBitsEqual("1×1 after the write", expected.toArray(), b.toArray());
        }
    }

    /**
     * A tensor holds one array at a time: the blocked values replace the NCHW array, which comes back when it is
     * read, and the blocked one then goes (memory as without the setting).
     */
    @Test
    void oneArrayATensor() {
        Random r = new Random(5);
        try (CpuBackend cpu = new CpuBackend(new CpuConfig(2, true)); TensorScope s = TensorScope.open()) {
            Tensor x = Ops.fromArray(cpu, Shape.of(1, 32, 8, 8), values(r, 32 * 64));
            long before = cpu.liveBytes();
            Tensor a = conv(cpu, r, x, 32, 3, 3, Conv2dSpec.of(1, 1));
            long weights = 4L * (32 * 32 * 9 + 4 * 32);
            assertEquals(before + weights + 4L * 32 * 64, cpu.liveBytes(), "blocked: one array");
            a.toArray();
            assertEquals(before + weights + 4L * 32 * 64, cpu.liveBytes(), "read: one array");
            if (Gemm.WIDE) {
                assertNull(CpuBackend.blockedView(a), "read as NCHW, the blocked values are let go");
            }
        }
    }

    @Test
    void settingIsReadAndChecked() {
        String property = CpuConfig.BLOCKED_ACTIVATIONS_PROPERTY, before = System.getProperty(property);
        try {
            System.clearProperty(property);
            assertTrue(CpuConfig.fromSystemProperties().blockedActivations(), "unset: on");
            System.setProperty(property, "maybe");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, CpuConfig::fromSystemProperties);
            assertTrue(e.getMessage().contains(property + "=maybe"), e.getMessage());
            System.setProperty(property, "false");
            assertFalse(CpuConfig.fromSystemProperties().blockedActivations(), "false: off");
            assertTrue(CpuConfig.fromSystemProperties().winograd(), "Winograd's setting is its own");
        } finally {
            if (before == null) {
                System.clearProperty(property);
            } else {
                System.setProperty(property, before);
            }
        }
    }

    private enum Expect { BLOCKED, NONE, EITHER }

    /** out = ReLU(BatchNorm(conv(x, w))) with random weights and statistics from r. */
    private static Tensor conv(CpuBackend cpu, Random r, Tensor x, int cout, int kh, int kw, Conv2dSpec spec) {
        int cin = x.shape().dim(1);
        Tensor w = Ops.fromArray(cpu, Shape.of(cout, cin, kh, kw), values(r, cout * cin * kh * kw));
        Tensor gamma = Ops.fromArray(cpu, Shape.of(cout), values(r, cout));
        Tensor beta = Ops.fromArray(cpu, Shape.of(cout), values(r, cout));
        Tensor mean = Ops.fromArray(cpu, Shape.of(cout), values(r, cout));
        float[] v = new float[cout];
        for (int i = 0; i < cout; i++) {
            v[i] = 0.5f + r.nextFloat();
        }
        Tensor var = Ops.fromArray(cpu, Shape.of(cout), v);
        int h = x.shape().dim(2), wd = x.shape().dim(3);
        Tensor out = cpu.empty(Shape.of(x.shape().dim(0), cout, spec.outH(h, kh), spec.outW(wd, kw)));
        cpu.conv2dBatchNormInference(out, x, w, gamma, beta, mean, var, 1e-3f, spec, true);
        return out;
    }

    private static float[] values(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = r.nextFloat() * 2 - 1;
        }
        return a;
    }
}
