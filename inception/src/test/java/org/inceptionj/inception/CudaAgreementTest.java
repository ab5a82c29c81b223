package org.inceptionj.inception;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.TreeMap;

import org.inceptionj.api.Backend;
import org.inceptionj.api.BackendUnavailableException;
import org.inceptionj.api.Backends;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.api.autograd.Tape;
import org.inceptionj.inception.train.TrainConfig;
import org.inceptionj.inception.train.TrainStep;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The whole model on the {@code cuda} backend against the CPU backend, from the same seeds: the
 * logits of a forward pass at 299×299 (torchvision's configuration, evaluation mode), the loss and
 * every parameter gradient of one training step, and every parameter and running statistic after a
 * full {@link TrainStep} (RMSProp, clipping, EMA: the optimizer primitives). Skipped, with the reason,
 * where the cuda backend cannot start.
 *
 * <p>Tolerance: per tensor, ‖cuda − cpu‖₂ ≤ tol·‖cpu‖₂ (+ 1e-6 for all-zero tensors), tol = 1e-3 for
 * logits, loss and parameters, 1e-2 for gradients. Both backends compute in float32 with different
 * summation orders (cuDNN's algorithms, the CPU's blocked GEMM), so they differ by rounding, about
 * 1e-6 relative per op, grown through ~100 layers and batch norm over small batches; a wrong kernel
 * misses by O(1). The worst tensor is printed either way.
 *
 * <p><b>Never run on a GPU</b>: written without one.
 */
@Tag("gpu")
class CudaAgreementTest {
    private static Backend cuda;
    private static Backend cpu;

    @BeforeAll
    static void start() {
        try {
            cuda = Backends.load("cuda");
        } catch (BackendUnavailableException e) {
            Assumptions.abort("needs the cuda backend (an NVIDIA GPU, its driver and cuDNN): " + e.getMessage());
        }
        cpu = Backends.load("cpu");
    }

    @AfterAll
    static void stop() {
        if (cuda != null) {
            cuda.close();
        }
        if (cpu != null) {
            cpu.close();
        }
    }

    /** ‖a − b‖₂ / ‖b‖₂ (absolute when b is all zero). */
    static double relativeError(float[] a, float[] b) {
        assertEquals(b.length, a.length);
        double diff = 0, norm = 0;
        for (int i = 0; i < a.length; i++) {
            double d = (double) a[i] - b[i];
            diff += d * d;
            norm += (double) b[i] * b[i];
        }
        return norm == 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
    }

    /** Compares each named pair; fails naming every tensor over tol, prints the worst. */
    static void agree(String what, Map<String, float[]> gpu, Map<String, float[]> host, double tol) {
        assertEquals(host.keySet(), gpu.keySet(), what);
        String worst = null;
        double worstErr = -1;
        StringBuilder over = new StringBuilder();
        for (String k : host.keySet()) {
            double e = relativeError(gpu.get(k), host.get(k));
            if (!(e <= tol + 1e-6)) {
                over.append("\n  ").append(k).append(": relative error ").append(e);
            }
            if (!(e <= worstErr)) {
                worstErr = e;
                worst = k;
            }
        }
        System.out.printf("cuda vs cpu, %s: %d tensors, worst %s at %.3g (tolerance %.0e)%n", what, host.size(), worst,
                worstErr, tol);
        assertTrue(over.isEmpty(), what + ": over the tolerance " + tol + ":" + over);
    }

    private static Map<String, float[]> values(Map<String, Tensor> ts) {
        Map<String, float[]> m = new TreeMap<>();
        ts.forEach((k, t) -> m.put(k, t.toArray()));
        return m;
    }

    @Test
    void forwardAt299MatchesTheCpu() {
        InceptionV3.Config cfg = InceptionV3.Config.torchvision();
        Map<String, float[]> logits = new TreeMap<>();
        for (Backend be : new Backend[] {cuda, cpu}) {
            try (InceptionV3 m = new InceptionV3(be, cfg, 7); TensorScope s = TensorScope.open()) {
                Tensor x = Ops.uniform(be, Shape.of(2, 3, 299, 299), 11, -1f, 1f);
                logits.put(be.name(), m.forward(x, InceptionV3.Mode.EVAL).logits().toArray());
            }
        }
        agree("logits", Map.of("logits", logits.get("cuda")), Map.of("logits", logits.get("cpu")), 1e-3);
    }

    @Test
    void aTrainingStepsLossAndEveryGradientMatchTheCpu() {
        InceptionV3.Config cfg = new InceptionV3.Config(10, false, true, 0.5f);
        int[] labels = {3, 7, 0, 9};
        Map<String, Map<String, float[]>> grads = new TreeMap<>();
        Map<String, float[]> loss = new TreeMap<>();
        for (Backend be : new Backend[] {cuda, cpu}) {
            try (InceptionV3 m = new InceptionV3(be, cfg, 5); Tape tape = Tape.recording();
                 TensorScope s = TensorScope.open()) {
                m.watch(tape);
                Tensor x = Ops.uniform(be, Shape.of(4, 3, 75, 75), 1, -1f, 1f);
                InceptionV3.Output y = m.forward(tape, x, InceptionV3.Mode.TRAIN, null);
                Tensor l = tape.crossEntropy(y.logits(), labels, 0.1f, null);
                loss.put(be.name(), l.toArray());
                tape.backward(l);
                grads.put(be.name(), values(tape.gradients(m.parameters().trainable())));
            }
        }
        agree("loss", Map.of("loss", loss.get("cuda")), Map.of("loss", loss.get("cpu")), 1e-3);
        agree("gradients", grads.get("cuda"), grads.get("cpu"), 1e-2);
    }

    @Test
    void aFullTrainStepLeavesTheSameParameters() {
        InceptionV3.Config cfg = new InceptionV3.Config(10, false, true, 0.5f);
        int[] labels = {1, 2, 3, 4};
        Map<String, Map<String, float[]>> params = new TreeMap<>();
        for (Backend be : new Backend[] {cuda, cpu}) {
            try (InceptionV3 m = new InceptionV3(be, cfg, 9);
                 TrainStep step = new TrainStep(m, TrainConfig.paper().withExamplesPerEpoch(1000));
                 TensorScope s = TensorScope.open()) {
                Tensor x = Ops.uniform(be, Shape.of(4, 3, 75, 75), 2, -1f, 1f);
                for (int i = 0; i < 2; i++) {
                    step.run(x, labels);
                }
                params.put(be.name(), values(m.parameters().asMap()));
            }
        }
        agree("parameters and running statistics after two steps", params.get("cuda"), params.get("cpu"), 1e-3);
    }
}
