package org.inceptionj.inception.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;

import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.inception.BackendTest;
import org.junit.jupiter.api.Test;

/** tf.train.ExponentialMovingAverage semantics: warm-up decay, the update, and evaluation swaps. */
class ExponentialMovingAverageTest extends BackendTest {
    @Test
    void warmUpDecayIsMinOfDecayAndOnePlusNOverTenPlusN() {
        try (Tensor v = Ops.zeros(backend, Shape.of(1));
             ExponentialMovingAverage ema = new ExponentialMovingAverage(Map.of("v", v), 0.9999f)) {
            assertEquals(0.1f, ema.effectiveDecay(0));
            assertEquals((float) (2.0 / 11), ema.effectiveDecay(1));
            assertEquals(0.25f, ema.effectiveDecay(2));
            assertEquals((float) (4.0 / 13), ema.effectiveDecay(3));
            assertEquals((float) (100.0 / 109), ema.effectiveDecay(99));
            // (1+n)/(10+n) reaches 0.9999 at n = 89,990; before that the warm-up value wins
            assertEquals((float) (1001.0 / 1010), ema.effectiveDecay(1000));
            assertEquals(0.9999f, ema.effectiveDecay(100_000));
            assertEquals(0.9999f, ema.effectiveDecay(1_000_000));
        }
    }

    @Test
    void updatesFollowTheTfDocumentationExample() {
        // TF's doc example: v = 0, decay 0.99, num_updates 0 → d = 0.1: set v = 5, shadow = 0.1·0 + 0.9·5 = 4.5;
        // then num_updates 10000 → d = 0.99: v = 10, shadow = 0.99·4.5 + 0.01·10 = 4.555; again: 4.60945.
        try (Tensor v = Ops.zeros(backend, Shape.of(1));
             ExponentialMovingAverage ema = new ExponentialMovingAverage(Map.of("v", v), 0.99f)) {
            Tensor shadow = ema.shadows().get("v");
            assertEquals(0f, shadow.item());
            backend.fill(v, 5f);
            ema.update(0);
            assertEquals(4.5, shadow.item(), 1e-6);
            backend.fill(v, 10f);
            ema.update(10_000);
            assertEquals(4.555, shadow.item(), 1e-6);
            ema.update();   // constant decay 0.99
            assertEquals(4.60945, shadow.item(), 1e-6);
        }
    }

    @Test
    void swapInPutsTheAveragesInAndCloseRestoresTheExactBits() {
        try (Tensor a = Ops.uniform(backend, Shape.of(3, 5), 7, -1f, 1f);
             Tensor b = Ops.uniform(backend, Shape.of(4), 8, -1f, 1f)) {
            Map<String, Tensor> vars = new LinkedHashMap<>();
            vars.put("a", a);
            vars.put("b", b);
            long before = backend.liveBytes();
            try (ExponentialMovingAverage ema = new ExponentialMovingAverage(vars, 0.9f)) {
                assertEquals(before + 4L * (15 + 4), backend.liveBytes(), "one shadow per variable");
                backend.affine(a, a, 1.7f, 0.3f);  // "training" moves the variables away from the shadows
                backend.affine(b, b, -2f, 0.01f);
                ema.update(5);
                float[] trainedA = a.toArray(), trainedB = b.toArray();
                float[] avgA = ema.shadows().get("a").toArray(), avgB = ema.shadows().get("b").toArray();
                assertTrue(trainedA[0] != avgA[0]);
                try (ExponentialMovingAverage.Swap swap = ema.swapIn()) {
                    assertArrayEquals(avgA, a.toArray(), 0f);
                    assertArrayEquals(avgB, b.toArray(), 0f);
                    assertThrows(IllegalStateException.class, () -> ema.update(6));
                    assertThrows(IllegalStateException.class, ema::swapIn);
                }
                assertArrayEquals(trainedA, a.toArray(), 0f);
                assertArrayEquals(trainedB, b.toArray(), 0f);
                assertArrayEquals(avgA, ema.shadows().get("a").toArray(), 0f);
                assertEquals(before + 4L * (15 + 4), backend.liveBytes(), "the swap's backups are freed");

                try (TensorScope s = TensorScope.open()) {
                    Map<String, Tensor> other = new LinkedHashMap<>();
                    other.put("a", Ops.zeros(backend, Shape.of(3, 5)));
                    other.put("b", Ops.zeros(backend, Shape.of(4)));
                    ema.copyTo(other);
                    assertArrayEquals(avgB, other.get("b").toArray(), 0f);
                    other.put("b", Ops.zeros(backend, Shape.of(5)));
                    assertThrows(IllegalArgumentException.class, () -> ema.copyTo(other));
                }
            }
            assertEquals(before, backend.liveBytes(), "close frees the shadows");
        }
    }

    @Test
    void badDecayIsRejected() {
        try (Tensor v = Ops.zeros(backend, Shape.of(1))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new ExponentialMovingAverage(Map.of("v", v), 1.0f));
            assertTrue(e.getMessage().contains("1.0"), e.getMessage());
        }
    }
}
