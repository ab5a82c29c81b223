package org.inceptionj.inception.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.inception.BackendTest;
import org.junit.jupiter.api.Test;

/** Global-norm (Pascanu) and per-tensor (TF-slim) clipping at the paper's threshold 2.0. */
class GradientClippingTest extends BackendTest {
    @Test
    void globalNormFourIsScaledByExactlyOneHalf() {
        try (TensorScope s = TensorScope.open()) {
            // ‖g‖² = 4·(2²) = 16 over two tensors: ‖g‖ = 4, factor 2/4 = 0.5
            Tensor a = Ops.fromArray(backend, Shape.of(2), 2f, -2f);
            Tensor b = Ops.fromArray(backend, Shape.of(1, 2), 2f, 2f);
            assertEquals(4.0, GradientClipping.clipByGlobalNorm(List.of(a, b), 2.0), 0);
            assertArrayEquals(new float[] {1f, -1f}, a.toArray());
            assertArrayEquals(new float[] {1f, 1f}, b.toArray());
        }
    }

    @Test
    void belowTheThresholdNothingChanges() {
        try (TensorScope s = TensorScope.open()) {
            float[] va = {0.3f, -0.7f, 1.1f};
            float[] vb = {0.123456789f};
            Tensor a = Ops.fromArray(backend, Shape.of(3), va);
            Tensor b = Ops.fromArray(backend, Shape.of(1), vb);
            double n = GradientClipping.clipByGlobalNorm(List.of(a, b), 2.0);
            assertEquals(Math.sqrt(0.09 + 0.49 + 1.21 + 0.123456789 * 0.123456789), n, 1e-6);
            assertArrayEquals(va, a.toArray(), 0f);
            assertArrayEquals(vb, b.toArray(), 0f);
        }
    }

    @Test
    void perTensorClipsEachOnItsOwn() {
        try (TensorScope s = TensorScope.open()) {
            Tensor a = Ops.fromArray(backend, Shape.of(2), 3f, 4f);      // ‖a‖ = 5 → × 2/5
            Tensor b = Ops.fromArray(backend, Shape.of(2), 0.6f, 0.8f);  // ‖b‖ = 1 → untouched
            Map<String, Tensor> g = new LinkedHashMap<>();
            g.put("a", a);
            g.put("b", b);
            Map<String, Double> norms = GradientClipping.clipByNorm(g, 2.0);
            assertEquals(5.0, norms.get("a"), 1e-6);
            assertEquals(1.0, norms.get("b"), 1e-6);
            assertArrayEquals(new float[] {1.2f, 1.6f}, a.toArray(), 1e-6f);
            assertArrayEquals(new float[] {0.6f, 0.8f}, b.toArray(), 0f);
        }
    }

    @Test
    void theTwoFormsDifferOnTheSameGradients() {
        try (TensorScope s = TensorScope.open()) {
            Map<String, Tensor> g = new LinkedHashMap<>();
            g.put("a", Ops.fromArray(backend, Shape.of(2), 3f, 4f));
            g.put("b", Ops.fromArray(backend, Shape.of(2), 0.6f, 0.8f));
            // global: ‖g‖ = √26, every tensor × 2/√26 (b shrinks too)
            assertEquals(Math.sqrt(26), GradientClipping.clip(GradientClipping.Mode.GLOBAL_NORM, g, 2.0), 1e-6);
            double f = 2 / Math.sqrt(26);
            assertArrayEquals(new float[] {(float) (0.6 * f), (float) (0.8 * f)}, g.get("b").toArray(), 1e-6f);
            assertEquals(2.0, GradientClipping.globalNorm(g.values()), 1e-6);
            assertThrows(IllegalArgumentException.class, () -> GradientClipping.clipByGlobalNorm(g.values(), 0));
        }
    }
}
