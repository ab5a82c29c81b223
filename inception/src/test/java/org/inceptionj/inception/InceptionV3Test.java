package org.inceptionj.inception;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Backends;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Structure facts from the spec (shared/spec/inception-v3.md §2, §3, §10, §13). */
class InceptionV3Test {
    static Backend backend;

    @BeforeAll
    static void start() {
        backend = Backends.load("cpu");
    }

    @AfterAll
    static void stop() {
        backend.close();
    }

    @Test
    void parameterCountsMatchTorchvision() {
        try (InceptionV3 withAux = new InceptionV3(backend, InceptionV3.Config.torchvision(), 1);
             InceptionV3 noAux = new InceptionV3(backend, new InceptionV3.Config(1000, false, true, 0.5f), 1)) {
            assertEquals(27_161_264L, withAux.parameters().trainableCount());
            assertEquals(23_834_568L, noAux.parameters().trainableCount());
        }
        assertEquals(0, backend.liveBytes(), "closing the models frees every parameter");
    }

    @Test
    void stateDictNamesAndShapesFollowTorchvisionOrder() {
        try (InceptionV3 m = new InceptionV3(backend, InceptionV3.Config.torchvision(), 1)) {
            List<String> names = new ArrayList<>(m.parameters().asMap().keySet());
            // 96 BasicConv2d x (conv.weight + 4 bn tensors) + fc and AuxLogits.fc weight and bias;
            // torchvision adds one num_batches_tracked per BN (96 more keys, 580 in all).
            assertEquals(96 * 5 + 4, names.size());
            assertEquals("Conv2d_1a_3x3.conv.weight", names.get(0));
            assertEquals("fc.bias", names.get(names.size() - 1));
            Map<String, Tensor> p = m.parameters().asMap();
            assertEquals(Shape.of(32, 3, 3, 3), p.get("Conv2d_1a_3x3.conv.weight").shape());
            assertEquals(Shape.of(160, 160, 7, 1), p.get("Mixed_6c.branch7x7dbl_2.conv.weight").shape());
            assertEquals(Shape.of(192, 160, 1, 7), p.get("Mixed_6c.branch7x7dbl_5.conv.weight").shape());
            assertEquals(Shape.of(384, 384, 1, 3), p.get("Mixed_7c.branch3x3dbl_3a.conv.weight").shape());
            assertEquals(Shape.of(768, 128, 5, 5), p.get("AuxLogits.conv1.conv.weight").shape());
            assertEquals(Shape.of(1000, 768), p.get("AuxLogits.fc.weight").shape());
            assertEquals(Shape.of(1000, 2048), p.get("fc.weight").shape());
            // AuxLogits sits between Mixed_6e and Mixed_7a in state-dict order (spec §14).
            int aux = names.indexOf("AuxLogits.conv0.conv.weight");
            assertTrue(names.get(aux - 1).startsWith("Mixed_6e."), names.get(aux - 1));
            assertTrue(names.get(aux + 5 * 2 + 2).startsWith("Mixed_7a."), names.get(aux + 12));
        }
    }

    @Test
    void sameSeedSameWeights() {
        try (InceptionV3 a = new InceptionV3(backend, InceptionV3.Config.torchvision(), 7);
             InceptionV3 b = new InceptionV3(backend, InceptionV3.Config.torchvision(), 7)) {
            float[] wa = a.parameters().asMap().get("Mixed_7c.branch1x1.conv.weight").toArray();
            float[] wb = b.parameters().asMap().get("Mixed_7c.branch1x1.conv.weight").toArray();
            assertEquals(java.util.Arrays.hashCode(wa), java.util.Arrays.hashCode(wb));
            double sq = 0;
            for (float v : wa) {
                sq += v * (double) v;
            }
            double std = Math.sqrt(sq / wa.length);  // 320·2048 draws: std within 1% of 0.1
            assertTrue(Math.abs(std - 0.1) < 0.001, "torchvision's init has std 0.1, got " + std);
        }
    }

    @Test
    void evaluationForwardAtTheSmallestInputHasEveryBlockShape() {
        Map<String, Shape> seen = new LinkedHashMap<>();
        try (InceptionV3 m = new InceptionV3(backend, InceptionV3.Config.torchvision(), 3);
             TensorScope s = TensorScope.open()) {
            Tensor x = Ops.uniform(backend, Shape.of(2, 3, 75, 75), 11, -1f, 1f);
            InceptionV3.Output y = m.forward(x, InceptionV3.Mode.EVAL, (name, t) -> seen.put(name, t.shape()));
            assertEquals(Shape.of(2, 1000), y.logits().shape());
            assertEquals(null, y.auxLogits());
            for (float v : y.logits().toArray()) {
                assertTrue(Float.isFinite(v), "finite logits");
            }
        }
        // 75 -> 37 -> 35 -> 35 -> 17 -> 17 -> 15 -> 7 -> 7 -> 3 -> 1 (spec §2: 75 reaches Mixed_7c at 1x1)
        assertEquals(Shape.of(2, 32, 37, 37), seen.get("Conv2d_1a_3x3"));
        assertEquals(Shape.of(2, 64, 17, 17), seen.get("maxpool1"));
        assertEquals(Shape.of(2, 192, 7, 7), seen.get("maxpool2"));
        assertEquals(Shape.of(2, 288, 7, 7), seen.get("Mixed_5d"));
        assertEquals(Shape.of(2, 768, 3, 3), seen.get("Mixed_6e"));
        assertEquals(Shape.of(2, 2048, 1, 1), seen.get("Mixed_7c"));
        assertEquals(Shape.of(2, 2048, 1, 1), seen.get("avgpool"));
        assertEquals(0, backend.liveBytes(), "activations and parameters are all freed");
    }

    @Test
    void rejectsInputsItCannotCarry() {
        try (InceptionV3 m = new InceptionV3(backend, InceptionV3.Config.torchvision(), 3);
             TensorScope s = TensorScope.open()) {
            Tensor small = Ops.zeros(backend, Shape.of(1, 3, 74, 74));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.forward(small, InceptionV3.Mode.EVAL));
            assertTrue(e.getMessage().contains("[1,3,74,74]") && e.getMessage().contains("75"), e.getMessage());
            Tensor gray = Ops.zeros(backend, Shape.of(1, 1, 80, 80));
            e = assertThrows(IllegalArgumentException.class, () -> m.forward(gray, InceptionV3.Mode.EVAL));
            assertTrue(e.getMessage().contains("[1,1,80,80]"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> m.forward(gray, null));
        }
    }
}
