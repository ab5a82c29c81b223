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

/** SGD with momentum against TF1's ApplyMomentum (and PyTorch's SGD) evaluated by hand, in double. */
class MomentumTest extends BackendTest {
    static final double[] LR = {0.1, 0.05, 0.2};

    /** acc ← μ acc + g; θ ← θ − lr·acc, or θ ← θ − lr·(g + μ acc) with Nesterov. */
    static double[] reference(double mu, boolean nesterov, int steps) {
        double[] th = RMSPropTest.THETA0.clone();
        double[] acc = new double[th.length];
        for (int s = 0; s < steps; s++) {
            for (int i = 0; i < th.length; i++) {
                double g = RMSPropTest.GRADS[s][i];
                acc[i] = mu * acc[i] + g;
                th[i] -= LR[s] * (nesterov ? g + mu * acc[i] : acc[i]);
            }
        }
        return th;
    }

    static float[] run(float mu, boolean nesterov, int steps) {
        long before = backend.liveBytes();
        float[] out;
        try (Tensor w = Ops.fromArray(backend, Shape.of(RMSPropTest.THETA0.length), RMSPropTest.f(RMSPropTest.THETA0));
             Momentum opt = new Momentum(Map.of("w", w), mu, nesterov)) {
            for (int s = 0; s < steps; s++) {
                try (Tensor g = Ops.fromArray(backend, Shape.of(RMSPropTest.THETA0.length), RMSPropTest.f(RMSPropTest.GRADS[s]))) {
                    opt.step(Map.of("w", g), (float) LR[s]);
                }
            }
            out = w.toArray();
            assertEquals(Map.of("w.momentum", 0).keySet(), opt.slots().keySet());
        }
        assertEquals(before, backend.liveBytes(), "slots and scratch are freed");
        return out;
    }

    @Test
    void heavyBallMatchesTheFormulaOverStepsWithAChangingRate() {
        for (int steps = 1; steps <= 3; steps++) {
            assertArrayEquals(RMSPropTest.f(reference(0.9, false, steps)), run(0.9f, false, steps), 1e-6f, "steps " + steps);
        }
    }

    @Test
    void nesterovLooksAhead() {
        float[] nesterov = run(0.9f, true, 3);
        assertArrayEquals(RMSPropTest.f(reference(0.9, true, 3)), nesterov, 1e-6f);
        // The two forms differ after the first step: the test would not notice a Nesterov flag that is ignored.
        float[] plain = run(0.9f, false, 3);
        assertTrue(Math.abs(nesterov[0] - plain[0]) > 1e-3, nesterov[0] + " vs " + plain[0]);
    }

    @Test
    void zeroMomentumIsPlainSgd() {
        float[] w = run(0f, false, 1);
        for (int i = 0; i < w.length; i++) {
            assertEquals(RMSPropTest.THETA0[i] - LR[0] * RMSPropTest.GRADS[0][i], w[i], 1e-6);
        }
    }

    @Test
    void rejectsBadSettingsNamingThem() {
        try (Tensor w = Ops.zeros(backend, Shape.of(2))) {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> new Momentum(Map.of("w", w), 1f, false))
                    .getMessage().contains("got 1.0"));
            try (Momentum m = new Momentum(Map.of("w", w), 0.9f, false)) {
                assertTrue(assertThrows(IllegalArgumentException.class, () -> m.step(Map.of(), 0.1f))
                        .getMessage().contains("'w'"));
                assertTrue(assertThrows(IllegalArgumentException.class, () -> m.step(Map.of("w", w), Float.NaN))
                        .getMessage().contains("NaN"));
            }
        }
    }
}
