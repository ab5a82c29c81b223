package org.inceptionj.inception.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.inception.BackendTest;
import org.junit.jupiter.api.Test;

/** Adam against TF1's ApplyAdam evaluated by hand, in double. */
class AdamTest extends BackendTest {
    static final double[] LR = {0.1, 0.05, 0.2};

    /** m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; θ ← θ − lr·√(1−β₂ᵗ)/(1−β₁ᵗ)·m/(√v + ε). */
    static double[] reference(double b1, double b2, double eps, int steps) {
        double[] th = RMSPropTest.THETA0.clone();
        double[] m = new double[th.length], v = new double[th.length];
        for (int t = 1; t <= steps; t++) {
            double alpha = LR[t - 1] * Math.sqrt(1 - Math.pow(b2, t)) / (1 - Math.pow(b1, t));
            for (int i = 0; i < th.length; i++) {
                double g = RMSPropTest.GRADS[t - 1][i];
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                th[i] -= alpha * m[i] / (Math.sqrt(v[i]) + eps);
            }
        }
        return th;
    }

    @Test
    void matchesTheFormulaWithBiasCorrectionAndKeepsItsPowersAsSlots() {
        long before = backend.liveBytes();
        for (int steps = 1; steps <= 3; steps++) {
            try (Tensor w = Ops.fromArray(backend, Shape.of(5), RMSPropTest.f(RMSPropTest.THETA0));
                 Adam opt = new Adam(Map.of("w", w), 0.9f, 0.999f, 1e-8f)) {
                for (int s = 0; s < steps; s++) {
                    try (Tensor g = Ops.fromArray(backend, Shape.of(5), RMSPropTest.f(RMSPropTest.GRADS[s]))) {
                        opt.step(Map.of("w", g), (float) LR[s]);
                    }
                }
                assertArrayEquals(RMSPropTest.f(reference(0.9, 0.999, 1e-8, steps)), w.toArray(), 1e-5f, "steps " + steps);
                assertEquals(Math.pow(0.9, steps), opt.slots().get("adam.beta1_power").item(), 1e-6);
                assertEquals(Math.pow(0.999, steps), opt.slots().get("adam.beta2_power").item(), 1e-6);
                assertTrue(opt.slots().containsKey("w.m") && opt.slots().containsKey("w.v"));
            }
        }
        assertEquals(before, backend.liveBytes(), "slots and scratch are freed");
    }

    @Test
    void theFirstStepMovesEveryWeightByAboutTheRate() {
        // The bias correction makes step 1 θ − lr·g/(|g| + ε): a move of lr whatever the gradient's scale.
        try (Tensor w = Ops.fromArray(backend, Shape.of(2), new float[] {0f, 0f});
             Tensor g = Ops.fromArray(backend, Shape.of(2), new float[] {1e-3f, -50f});
             Adam opt = new Adam(Map.of("w", w), 0.9f, 0.999f, 1e-8f)) {
            opt.step(Map.of("w", g), 0.01f);
            assertArrayEquals(new float[] {-0.01f, 0.01f}, w.toArray(), 1e-5f); // ε shifts the small one by 3e-4 of it
        }
    }

    @Test
    void rejectsBadSettingsNamingThem() {
        try (Tensor w = Ops.zeros(backend, Shape.of(2))) {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> new Adam(Map.of("w", w), 0.9f, 1f, 1e-8f))
                    .getMessage().contains("got 0.9 and 1.0"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> new Adam(Map.of("w", w), 0.9f, 0.99f, 0f))
                    .getMessage().contains("got 0.0"));
        }
    }
}
