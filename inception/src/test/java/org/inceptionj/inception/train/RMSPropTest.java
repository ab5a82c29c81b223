package org.inceptionj.inception.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.inception.BackendTest;
import org.junit.jupiter.api.Test;

/** RMSProp against TF1's ApplyRMSProp formulas evaluated by hand, in double. */
class RMSPropTest extends BackendTest {
    static final double[] THETA0 = {0.5, -1.0, 2.0, 0.0, 0.25};
    static final double[][] GRADS = {
            {1.0, -2.0, 0.5, 0.0, 3.0},
            {0.5, 1.0, -1.0, 0.0, -3.0},
            {-0.25, 4.0, 0.0, 0.0, 0.125},
    };

    /** TF1: ms starts at 1, mom at 0; ms ← ρ ms + (1−ρ) g²; mom ← μ mom + lr g/√(ms+ε); θ ← θ − mom. */
    static double[] tfReference(double rho, double mu, double eps, double lr, int steps) {
        double[] th = THETA0.clone();
        double[] ms = new double[th.length];
        double[] mom = new double[th.length];
        java.util.Arrays.fill(ms, 1.0);
        for (int s = 0; s < steps; s++) {
            for (int i = 0; i < th.length; i++) {
                double g = GRADS[s][i];
                ms[i] = rho * ms[i] + (1 - rho) * g * g;
                mom[i] = mu * mom[i] + lr * g / Math.sqrt(ms[i] + eps);
                th[i] -= mom[i];
            }
        }
        return th;
    }

    static float[] f(double[] d) {
        float[] r = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            r[i] = (float) d[i];
        }
        return r;
    }

    /** Runs {@code steps} updates on a fresh parameter and returns its values. */
    static float[] run(float rho, float mu, float eps, float lr, int steps) {
        long before = backend.liveBytes();
        float[] out;
        try (Tensor w = Ops.fromArray(backend, Shape.of(THETA0.length), f(THETA0));
             RMSProp opt = new RMSProp(Map.of("w", w), rho, mu, eps)) {
            for (int s = 0; s < steps; s++) {
                try (Tensor g = Ops.fromArray(backend, Shape.of(THETA0.length), f(GRADS[s]))) {
                    opt.step(Map.of("w", g), lr);
                }
            }
            out = w.toArray();
        }
        assertEquals(before, backend.liveBytes(), "parameter, slots and scratch are all freed");
        return out;
    }

    static void assertClose(double[] expected, float[] actual) {
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-6 * (1 + Math.abs(expected[i])), "element " + i);
        }
    }

    @Test
    void firstStepMatchesTheHandValueWithOnesInitializedRms() {
        float[] w = run(0.9f, 0.9f, 1.0f, 0.1f, 1);
        // θ = 0.5, g = 1: ms = 0.9·1 + 0.1·1 = 1; mom = 0.1·1/√(1 + 1) = 0.0707106781; θ = 0.4292893219.
        // (A zero-initialized ms would give 0.5 − 0.1/√1.1 = 0.4046537.)
        assertEquals(0.4292893219, w[0], 1e-7);
        // θ = −1, g = −2: ms = 0.9 + 0.4 = 1.3; mom = −0.2/√2.3 = −0.1318760946; θ = −0.8681239054.
        assertEquals(-0.8681239054, w[1], 1e-7);
        // g = 0: ms decays to 0.9 but mom stays 0: θ unchanged.
        assertEquals(0.0f, w[3]);
    }

    @Test
    void threeStepsWithMomentumFollowTheTfFormulas() {
        assertClose(tfReference(0.9, 0.9, 1.0, 0.1, 3), run(0.9f, 0.9f, 1.0f, 0.1f, 3));
        assertClose(tfReference(0.5, 0.7, 0.01, 0.03, 3), run(0.5f, 0.7f, 0.01f, 0.03f, 3));
    }

    @Test
    void momentumZeroIsPlainRmsProp() {
        // With μ = 0 each step moves θ by exactly lr·g/√(ms + ε).
        double[] th = THETA0.clone();
        double[] ms = {1, 1, 1, 1, 1};
        for (int s = 0; s < 2; s++) {
            for (int i = 0; i < th.length; i++) {
                ms[i] = 0.9 * ms[i] + 0.1 * GRADS[s][i] * GRADS[s][i];
                th[i] -= 0.05 * GRADS[s][i] / Math.sqrt(ms[i] + 1.0);
            }
        }
        assertClose(th, run(0.9f, 0f, 1.0f, 0.05f, 2));
        // and it differs from the momentum run, so the momentum slot really matters
        float[] withMomentum = run(0.9f, 0.9f, 1.0f, 0.05f, 2);
        assertTrue(Math.abs(withMomentum[0] - th[0]) > 1e-3);
    }

    @Test
    void slotsAreNamedByParameterAndStartAtOnesAndZeros() {
        try (Tensor a = Ops.zeros(backend, Shape.of(2, 3)); Tensor b = Ops.zeros(backend, Shape.of(4))) {
            Map<String, Tensor> params = new LinkedHashMap<>();
            params.put("Mixed_5b.branch1x1.conv.weight", a);
            params.put("fc.bias", b);
            long before = backend.liveBytes();
            try (RMSProp opt = new RMSProp(params)) {
                assertEquals(before + 2L * 4 * (6 + 4), backend.liveBytes(), "two slots per parameter");
                Map<String, Tensor> slots = opt.slots();
                assertEquals(List.of("Mixed_5b.branch1x1.conv.weight.rms", "Mixed_5b.branch1x1.conv.weight.momentum",
                        "fc.bias.rms", "fc.bias.momentum"), List.copyOf(slots.keySet()));
                assertArrayEquals(new float[] {1, 1, 1, 1, 1, 1}, slots.get("Mixed_5b.branch1x1.conv.weight.rms").toArray());
                assertArrayEquals(new float[4], slots.get("fc.bias.momentum").toArray());
                assertEquals(Shape.of(2, 3), slots.get("Mixed_5b.branch1x1.conv.weight.momentum").shape());
            }
            assertEquals(before, backend.liveBytes(), "close frees the slots");
        }
    }

    @Test
    void badHyperParametersAreRejectedByValue() {
        try (Tensor w = Ops.zeros(backend, Shape.of(2))) {
            Map<String, Tensor> p = Map.of("w", w);
            assertMessage(() -> new RMSProp(p, 1.0f, 0.9f, 1f), "decay", "1.0");
            assertMessage(() -> new RMSProp(p, -0.1f, 0.9f, 1f), "decay", "-0.1");
            assertMessage(() -> new RMSProp(p, Float.NaN, 0.9f, 1f), "decay", "NaN");
            assertMessage(() -> new RMSProp(p, 0.9f, 1.5f, 1f), "momentum", "1.5");
            assertMessage(() -> new RMSProp(p, 0.9f, 0.9f, 0f), "epsilon", "0.0");
            assertMessage(() -> new RMSProp(p, 0.9f, 0.9f, Float.POSITIVE_INFINITY), "epsilon", "Infinity");
            assertMessage(() -> new RMSProp(Map.of(), 0.9f, 0.9f, 1f), "no parameters");
            try (RMSProp opt = new RMSProp(p); Tensor g = Ops.zeros(backend, Shape.of(2));
                 Tensor bad = Ops.zeros(backend, Shape.of(3))) {
                assertMessage(() -> opt.step(Map.of("w", g), -0.01f), "learning rate", "-0.01");
                assertMessage(() -> opt.step(Map.of(), 0.01f), "no gradient", "'w'");
                assertMessage(() -> opt.step(Map.of("w", bad), 0.01f), "[3]", "[2]");
            }
        }
    }

    static void assertMessage(org.junit.jupiter.api.function.Executable e, String... parts) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
        for (String p : parts) {
            assertTrue(ex.getMessage().contains(p), ex.getMessage() + " should contain " + p);
        }
    }
}
