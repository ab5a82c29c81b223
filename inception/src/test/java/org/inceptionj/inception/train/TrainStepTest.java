package org.inceptionj.inception.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.inception.BackendTest;
import org.inceptionj.inception.InceptionV3;
import org.junit.jupiter.api.Test;

/** The whole step on a small Inception-v3: it learns a fixed batch, and memory stays flat. */
class TrainStepTest extends BackendTest {
    /** Width 0.25 at 75×75, 10 classes, no aux head (it needs ≥ 299 input). */
    static final InceptionV3.Config SMALL = new InceptionV3.Config(10, false, true, 0.5f).withWidthMultiplier(0.25);
    static final int[] LABELS = {3, 7, 1, 3};
    static final int STEPS = 30;

    @Test
    void repeatedStepsOnOneBatchDriveTheLossDownWithFlatMemory() {
        // Constant lr 0.01 and no clipping; everything else is the paper's recipe (RMSProp ρ 0.9, μ 0.9,
        // ε 1, wd 4e-5, label smoothing 0.1, EMA 0.9999). Why no clipping here: at batch 4 and 75×75 the
        // last grids are 1×1, so batch norm there normalizes 4 values per channel and the first step's
        // global gradient norm is ~5·10⁴ (mostly in the stem); clipping that to 2 scales every gradient by
        // ~4·10⁻⁵ and, with ε = 1 dominating RMSProp's denominator, nothing moves in 30 steps. Unclipped,
        // the conv weights grow in the first steps (BN makes the loss scale-invariant in them), the norm
        // falls to single digits, and the batch is learned. Measured: 4.71 → ~1.0 by step 8.
        TrainConfig cfg = TrainConfig.paper().withLearningRate(LearningRate.constant(0.01)).withExamplesPerEpoch(4)
                .withClipping(GradientClipping.Mode.NONE, 2f);
        try (InceptionV3 m = new InceptionV3(backend, SMALL, 11);
             Tensor x = Ops.uniform(backend, Shape.of(4, 3, 75, 75), 3, -1f, 1f)) {
            long modelBytes = backend.liveBytes();
            long trainable = m.parameters().trainableCount();
            long all = m.parameters().count();
            List<Float> losses = new ArrayList<>();
            long afterFirst = -1;
            try (TrainStep step = new TrainStep(m, cfg)) {
                assertEquals(modelBytes + 4 * (2 * trainable + all), backend.liveBytes(),
                        "slots (2× trainable) and shadows (1× everything) are allocated up front");
                for (int k = 0; k < STEPS; k++) {
                    TrainStep.Result r = step.run(x, LABELS);
                    assertEquals(k, r.step());
                    assertEquals(0.01f, r.learningRate());
                    assertTrue(Float.isNaN(r.auxLoss()));
                    assertTrue(Float.isFinite(r.loss()) && r.gradientNorm() > 0, r.toString());
                    assertEquals(r.loss() + r.weightDecayLoss(), r.totalLoss(), 1e-6);
                    losses.add(r.loss());
                    if (k == 0) {
                        afterFirst = backend.liveBytes();
                    } else {
                        assertEquals(afterFirst, backend.liveBytes(), "live bytes after step " + k);
                    }
                }
                assertEquals(modelBytes + 4 * (2 * trainable + all), afterFirst,
                        "after a step only parameters, slots and shadows remain");
                assertEquals(STEPS, step.steps());
            }
            assertEquals(modelBytes, backend.liveBytes(), "closing the step frees slots and shadows");
            System.out.println("TrainStepTest loss curve: " + losses);
            float first = losses.get(0);
            // Dropout (0.5, a fresh mask each step) and batch norm over 4 values make single losses noisy,
            // with a spike of 3-6 now and then once the batch is learned (seen at steps 15, 21, 22 and 25
            // with different rounding of the same sums): compare the median of the last 10 steps, which
            // a spike or two cannot move, while a step that does not learn leaves it near 4.
            double[] last = losses.subList(STEPS - 10, STEPS).stream().mapToDouble(Float::doubleValue).sorted().toArray();
            double median = (last[4] + last[5]) / 2;
            assertTrue(median < 0.5 * first, "loss " + first + " → " + median + " (median of the last 10): " + losses);
        }
    }

    @Test
    void globalNormClippingBoundsTheFirstUpdate() {
        // First step, μ·mom = 0 and ms = 0.9 + 0.1·g² per element, so Δθ_i = lr·g_i/√(1.9 + 0.1·g_i²).
        // Clipped to ‖g‖ = 2 (|g_i| ≤ 2): ‖Δθ‖ lies in [lr·2/√2.3, lr·2/√1.9] over all trainable values.
        float lr = 0.01f;
        TrainConfig cfg = TrainConfig.paper().withLearningRate(LearningRate.constant(lr)).withEmaDecay(0f);
        try (InceptionV3 m = new InceptionV3(backend, SMALL, 11);
             Tensor x = Ops.uniform(backend, Shape.of(4, 3, 75, 75), 3, -1f, 1f);
             TrainStep step = new TrainStep(m, cfg)) {
            assertEquals(null, step.ema());
            Map<String, float[]> before = new LinkedHashMap<>();
            m.parameters().trainable().forEach((k, v) -> before.put(k, v.toArray()));
            TrainStep.Result r = step.run(x, LABELS);
            assertTrue(r.gradientNorm() > 100, "the unclipped norm is large at batch 4, 75×75: " + r.gradientNorm());
            double sq = 0;
            for (var e : m.parameters().trainable().entrySet()) {
                float[] a = before.get(e.getKey()), b = e.getValue().toArray();
                for (int i = 0; i < a.length; i++) {
                    double d = (double) b[i] - a[i];
                    sq += d * d;
                }
            }
            double moved = Math.sqrt(sq);
            assertTrue(moved >= lr * 2 / Math.sqrt(2.3) * 0.999 && moved <= lr * 2 / Math.sqrt(1.9) * 1.001,
                    "‖Δθ‖ = " + moved);
        }
    }

    @Test
    void theFirstEmaUpdateUsesDecayOneTenthOnParametersAndRunningStatistics() {
        // num_updates = 0 on the first step: d = min(0.9999, 1/10) = 0.1, so shadow = 0.1·θ_before + 0.9·θ_after.
        // (No clipping, so that fc moves visibly in float; see the overfit test for why.)
        TrainConfig cfg = TrainConfig.paper().withLearningRate(LearningRate.constant(0.01))
                .withClipping(GradientClipping.Mode.NONE, 2f);
        try (InceptionV3 m = new InceptionV3(backend, SMALL, 11);
             Tensor x = Ops.uniform(backend, Shape.of(4, 3, 75, 75), 3, -1f, 1f);
             TrainStep step = new TrainStep(m, cfg)) {
            Map<String, Tensor> p = m.parameters().asMap();
            List<String> names = List.of("fc.weight", "Mixed_5b.branch1x1.bn.running_mean", "Conv2d_1a_3x3.bn.bias");
            Map<String, float[]> before = new LinkedHashMap<>();
            for (String n : names) {
                before.put(n, p.get(n).toArray());
            }
            step.run(x, LABELS);
            for (String n : names) {
                float[] a = before.get(n), b = p.get(n).toArray(), sh = step.ema().shadows().get(n).toArray();
                assertTrue(a[0] != b[0], n + " moved");
                for (int i = 0; i < a.length; i++) {
                    assertEquals(0.1 * a[i] + 0.9 * b[i], sh[i], 1e-6 * (1 + Math.abs(a[i]) + Math.abs(b[i])), n + "[" + i + "]");
                }
            }
        }
    }

    @Test
    void withTheAuxHeadTheLossAddsFourTenthsOfTheAuxCrossEntropy() {
        InceptionV3.Config aux = new InceptionV3.Config(10, true, true, 0.5f).withWidthMultiplier(0.25);
        TrainConfig cfg = TrainConfig.paper().withEmaDecay(0f);
        try (InceptionV3 m = new InceptionV3(backend, aux, 11);
             Tensor x = Ops.uniform(backend, Shape.of(2, 3, 299, 299), 3, -1f, 1f);
             TrainStep step = new TrainStep(m, cfg)) {
            long before = backend.liveBytes();
            TrainStep.Result r = step.run(x, new int[] {4, 9});
            assertTrue(Float.isFinite(r.auxLoss()) && r.auxLoss() > 0, r.toString());
            assertTrue(r.weightDecayLoss() > 0, r.toString());
            assertEquals(r.loss() + 0.4 * r.auxLoss() + r.weightDecayLoss(), r.totalLoss(), 1e-6);
            assertEquals(0.045f, r.learningRate());
            assertEquals(before, backend.liveBytes(), "nothing of the step remains");
            // the aux head's parameters were trained: RMSProp moved them (momentum slot no longer zero)
            float[] mom = step.optimizer().slots().get("AuxLogits.fc.weight.momentum").toArray();
            boolean moved = false;
            for (float v : mom) {
                moved |= v != 0f;
            }
            assertTrue(moved, "the aux head received a gradient and an update");
        }
    }

    @Test
    void labelsMustMatchTheBatch() {
        try (InceptionV3 m = new InceptionV3(backend, SMALL, 11);
             TrainStep step = new TrainStep(m, TrainConfig.paper());
             Tensor x = Ops.zeros(backend, Shape.of(2, 3, 75, 75))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> step.run(x, new int[] {1}));
            assertTrue(e.getMessage().contains("[2,3,75,75]"), e.getMessage());
        }
    }

    @Test
    void configRejectsBadValuesByName() {
        TrainConfig p = TrainConfig.paper();
        assertEquals(0.045, p.learningRate().at(0), 1e-12);
        assertEquals(2.0f, p.clipNorm());
        assertEquals(0.1f, p.labelSmoothing());
        assertEquals(0.4f, p.auxWeight());
        assertEquals(4e-5f, p.weightDecay());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> p.withLabelSmoothing(1f)).getMessage().contains("1.0"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> p.withEmaDecay(1.5f)).getMessage().contains("1.5"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> p.withClipping(GradientClipping.Mode.GLOBAL_NORM, -2f))
                .getMessage().contains("-2.0"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> p.withWeightDecay(Float.NaN)).getMessage().contains("NaN"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> p.withRmsProp(0.9f, 1f, 1f)).getMessage().contains("momentum"));
    }
}
