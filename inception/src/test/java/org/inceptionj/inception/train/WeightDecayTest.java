package org.inceptionj.inception.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;

import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.inception.BackendTest;
import org.inceptionj.inception.InceptionV3;
import org.junit.jupiter.api.Test;

/** L2 on conv and fc weights only: loss wd·Σw²/2, gradient wd·w. */
class WeightDecayTest extends BackendTest {
    @Test
    void lossAndGradientByHand() {
        try (TensorScope s = TensorScope.open()) {
            Map<String, Tensor> p = new LinkedHashMap<>();
            p.put("c.conv.weight", Ops.fromArray(backend, Shape.of(1, 1, 1, 2), 1f, 2f));
            p.put("c.bn.weight", Ops.fromArray(backend, Shape.of(1), 10f));
            p.put("fc.weight", Ops.fromArray(backend, Shape.of(1, 1), 3f));
            p.put("fc.bias", Ops.fromArray(backend, Shape.of(1), 10f));
            WeightDecay wd = new WeightDecay(0.1f, p);
            assertEquals(java.util.List.of("c.conv.weight", "fc.weight"), java.util.List.copyOf(wd.weights().keySet()));
            // 0.1 · (1 + 4 + 9) / 2 = 0.7; γ and biases (10² each) are not counted
            assertEquals(0.7, wd.loss(), 1e-7);
            Map<String, Tensor> g = new LinkedHashMap<>();
            g.put("c.conv.weight", Ops.fromArray(backend, Shape.of(1, 1, 1, 2), 0.5f, -0.5f));
            g.put("c.bn.weight", Ops.fromArray(backend, Shape.of(1), 1f));
            g.put("fc.weight", Ops.fromArray(backend, Shape.of(1, 1), 0f));
            g.put("fc.bias", Ops.fromArray(backend, Shape.of(1), 1f));
            wd.addGradient(g);
            assertArrayEquals(new float[] {0.6f, -0.3f}, g.get("c.conv.weight").toArray(), 1e-7f);
            assertArrayEquals(new float[] {0.3f}, g.get("fc.weight").toArray(), 1e-7f);
            assertArrayEquals(new float[] {1f}, g.get("c.bn.weight").toArray(), 0f);
            assertArrayEquals(new float[] {1f}, g.get("fc.bias").toArray(), 0f);
        }
    }

    @Test
    void inTheModelItPicksTheConvAndFcWeights() {
        InceptionV3.Config c = new InceptionV3.Config(10, false, true, 0.5f).withWidthMultiplier(0.25);
        try (InceptionV3 m = new InceptionV3(backend, c, 1)) {
            WeightDecay wd = new WeightDecay(WeightDecay.PAPER, m.parameters().trainable());
            // 94 BasicConv2d convolutions in the main network + fc (spec: "All 94 convolutions")
            assertEquals(95, wd.weights().size());
            for (String name : wd.weights().keySet()) {
                assertTrue(name.endsWith(".conv.weight") || name.equals("fc.weight"), name);
            }
        }
    }
}
