package org.inceptionj.inception;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.api.autograd.Tape;
import org.junit.jupiter.api.Test;

/** One real training step through the whole network: every parameter gets a gradient, nothing leaks. */
class InceptionV3TrainingTest extends BackendTest {
    @Test
    void aTrainingStepReachesEveryParameterAndFreesItsActivations() {
        InceptionV3.Config noAux = new InceptionV3.Config(10, false, true, 0.5f);
        try (InceptionV3 m = new InceptionV3(backend, noAux, 5)) {
            long paramBytes = backend.liveBytes();
            long trainableBytes = 4 * m.parameters().trainableCount();
            float before = m.parameters().asMap().get("Mixed_5b.branch1x1.bn.running_mean").toArray()[0];
            try (Tape tape = Tape.recording(); TensorScope step = TensorScope.open()) {
                m.watch(tape);
                Tensor x = Ops.uniform(backend, Shape.of(2, 3, 75, 75), 1, -1f, 1f);
                InceptionV3.Output y = m.forward(tape, x, InceptionV3.Mode.TRAIN, null);
                assertNull(y.auxLogits());
                Tensor loss = tape.crossEntropy(y.logits(), new int[] {3, 7}, 0.1f, null);
                float l = loss.item();
                assertTrue(Float.isFinite(l) && l > 0f, "loss " + l);
                tape.backward(loss);
                assertEquals(java.util.List.of(), tape.missingGradients(m.parameters().trainable()));
                Tensor g = tape.grad(m.parameters().asMap().get("Conv2d_1a_3x3.conv.weight"));
                double norm = 0;
                for (float v : g.toArray()) {
                    assertTrue(Float.isFinite(v));
                    norm += v * (double) v;
                }
                assertTrue(norm > 0, "the first layer's gradient is not zero");
                step.close();
                assertEquals(paramBytes + trainableBytes, backend.liveBytes(),
                        "after the step only parameters and their gradients remain");
            }
            assertEquals(paramBytes, backend.liveBytes(), "closing the tape frees the gradients");
            float after = m.parameters().asMap().get("Mixed_5b.branch1x1.bn.running_mean").toArray()[0];
            assertTrue(before != after, "training mode updated the BN running mean");
        }
    }

    @Test
    void trainingWithTheAuxHeadNeeds299() {
        try (InceptionV3 m = new InceptionV3(backend, InceptionV3.Config.torchvision(), 5);
             TensorScope s = TensorScope.open()) {
            Tensor x = Ops.zeros(backend, Shape.of(1, 3, 298, 298));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.forward(x, InceptionV3.Mode.TRAIN));
            assertTrue(e.getMessage().contains("299") && e.getMessage().contains("[1,3,298,298]"), e.getMessage());
            assertNotNull(m.forward(x, InceptionV3.Mode.EVAL).logits());
        }
    }
}
