package org.inceptionj.inception.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.inception.BackendTest;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.Presets;
import org.junit.jupiter.api.Test;

/**
 * A training step reads from the backend once, when its figures are asked for, and its update is a
 * handful of backend calls: on a GPU every read is a pipeline stall and every call a launch.
 * Counted with {@link CountingBackend} around the CPU backend.
 */
class StepHostReadsTest extends BackendTest {
    /** The default run's model (small recipe: width 0.25, no aux head, no dropout) at 75×75. */
    static final InceptionV3.Config SMALL = Presets.named("inception-v3").withNumClasses(10).withWidthMultiplier(0.25)
            .withAuxLogits(false).withDropout(0f);
    static final int[] LABELS = {3, 7, 1, 3};

    /** The default run's recipe, the paper's (RMSProp, global-norm clipping, EMA), and the other optimizers and modes. */
    static Map<String, TrainConfig> recipes() {
        Map<String, TrainConfig> r = new LinkedHashMap<>();
        r.put("small", Recipe.small().config(7).withExamplesPerEpoch(4));
        r.put("paper", TrainConfig.paper().withLearningRate(LearningRate.constant(0.01)).withExamplesPerEpoch(4));
        r.put("per-tensor clipping, heavy ball", TrainConfig.paper().withClipping(GradientClipping.Mode.PER_TENSOR, 2f)
                .withOptimizer(Optimizer.Kind.MOMENTUM, 0.9f, false).withExamplesPerEpoch(4));
        r.put("adam", TrainConfig.paper().withOptimizer(Optimizer.Kind.ADAM, 0.9f, false).withRmsProp(0.999f, 0.9f, 1e-8f)
                .withLearningRate(LearningRate.constant(1e-3)).withExamplesPerEpoch(4));
        return r;
    }

    @Test
    void aStepReadsOnceAndOnlyWhenItsFiguresAreAskedFor() {
        CountingBackend counting = new CountingBackend(backend);
        Backend be = counting.backend();
        recipes().forEach((name, cfg) -> {
            try (InceptionV3 m = new InceptionV3(be, SMALL, 11, InceptionV3.Init.HE);
                 Tensor x = Ops.uniform(be, Shape.of(4, 3, 75, 75), 3, -1f, 1f);
                 TrainStep step = new TrainStep(m, cfg)) {
                counting.reset();
                TrainStep.Result r = step.run(x, LABELS);
                assertEquals(1, counting.hostReads(), name + ": " + counting);
                assertTrue(Float.isFinite(r.loss()) && r.gradientNorm() > 0 && r.weightDecayLoss() > 0, name + ": " + r);

                counting.reset();
                try (TrainStep.Pending p = step.enqueue(x, LABELS)) {
                    assertEquals(0, counting.hostReads(), name + ", before the figures are asked for: " + counting);
                    assertEquals(1, p.result().step());
                    assertEquals(p.result(), p.result());
                    assertEquals(1, counting.hostReads(), name + ", asked twice: " + counting);
                }
                System.out.println("StepHostReadsTest " + name + ": one step is " + counting);
            }
        });
    }

    @Test
    void aNonFiniteStepChangesNoParameterSlotOrShadowAndIsReported() {
        recipes().forEach((name, cfg) -> {
            try (InceptionV3 m = new InceptionV3(backend, SMALL, 11, InceptionV3.Init.HE);
                 Tensor x = Ops.uniform(backend, Shape.of(4, 3, 75, 75), 3, -1f, 1f);
                 Tensor bad = Ops.full(backend, Shape.of(4, 3, 75, 75), Float.NaN);
                 TrainStep step = new TrainStep(m, cfg)) {
                step.run(x, LABELS);
                Map<String, float[]> before = state(step);
                TrainStep.NonFiniteLossException e = assertThrows(TrainStep.NonFiniteLossException.class,
                        () -> step.run(bad, LABELS), name);
                assertEquals(1, e.step(), name + ": " + e.getMessage());
                assertEquals(1, step.steps(), name + ": run leaves the counters of a refused step as they were");
                assertSame(before, state(step), name);

                // Enqueued, the step is skipped on the backend; its result tells.
                try (TrainStep.Pending p = step.enqueue(bad, LABELS)) {
                    assertSame(before, state(step), name + " (enqueued)");
                    assertThrows(TrainStep.NonFiniteLossException.class, p::result, name);
                }
                assertEquals(2, step.steps(), name + ": an enqueued step counts whatever its result");
            }
        });
    }

    /** The trainable parameters, optimizer slots and EMA shadows of trainable parameters, by name. */
    private static Map<String, float[]> state(TrainStep step) {
        Map<String, float[]> s = new LinkedHashMap<>();
        step.model().parameters().trainable().forEach((n, t) -> s.put(n, t.toArray()));
        step.optimizer().slots().forEach((n, t) -> s.put("slot " + n, t.toArray()));
        if (step.ema() != null) {
            step.model().parameters().trainable().keySet()
                    .forEach(n -> s.put("shadow " + n, step.ema().shadows().get(n).toArray()));
        }
        return s;
    }

    private static void assertSame(Map<String, float[]> expected, Map<String, float[]> actual, String what) {
        assertEquals(expected.keySet(), actual.keySet());
        expected.forEach((n, v) -> assertArrayEquals(v, actual.get(n), 0f, what + ": " + n + " changed"));
    }

    @Test
    void eachUpdateIsOneBackendCall() {
        CountingBackend counting = new CountingBackend(backend);
        Backend be = counting.backend();
        try (InceptionV3 m = new InceptionV3(be, SMALL, 11, InceptionV3.Init.HE);
             TensorScope s = TensorScope.open()) {
            Map<String, Tensor> trainable = m.parameters().trainable();
            Map<String, Tensor> grads = new LinkedHashMap<>();
            trainable.forEach((n, t) -> grads.put(n, Ops.full(be, t.shape(), 1e-3f)));
            Tensor scale = Ops.full(be, Shape.of(1), 0.5f);
            for (TrainConfig cfg : recipes().values()) {
                try (Optimizer opt = cfg.newOptimizer(trainable)) {
                    counting.reset();
                    opt.step(grads, 0.01f, scale);
                    assertEquals(1, counting.calls(), opt.getClass().getSimpleName() + " over " + trainable.size()
                            + " tensors: " + counting);
                }
            }
            try (ExponentialMovingAverage ema = ExponentialMovingAverage.of(m, 0.9999f)) {
                counting.reset();
                ema.update(3, scale);
                assertEquals(1, counting.calls(), "EMA: " + counting);
            }
            WeightDecay wd = new WeightDecay(4e-5f, trainable);
            counting.reset();
            wd.addGradient(grads);
            assertEquals(1, counting.calls(), "weight decay: " + counting);
            counting.reset();
            GradientClipping.squaredNorms(grads.values());
            assertEquals(List.of(1L, 1L), List.of(counting.calls("empty"), counting.calls("sumOfSquares")),
                    "squared norms: " + counting);
        }
    }
}
