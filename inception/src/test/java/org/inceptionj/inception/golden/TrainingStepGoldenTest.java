package org.inceptionj.inception.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import org.inceptionj.api.Ops;
import org.inceptionj.api.RandomStream;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.api.autograd.Tape;
import org.inceptionj.inception.BackendTest;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.io.SafeTensors;
import org.inceptionj.inception.train.TrainConfig;
import org.junit.jupiter.api.Test;

/**
 * The end-to-end training golden trace: one training step of the whole network (aux head included)
 * against PyTorch. {@code training-step.safetensors} was made by {@code inception/tools/make_training_golden.py}
 * with torchvision's own {@code Inception3} (width 1/16, 10 classes, 4 images of 299×299, float64):
 * the logits and aux logits, the loss, every trainable parameter's gradient and every batch-norm
 * running statistic after the step. The weights and the input are not stored: the script draws them
 * from {@link RandomStream} (its port is checked exactly on the input's first values) and the file's
 * metadata names each tensor's seed and range, so this test draws the same float32 values.
 *
 * <p>The step is the paper's, as {@code TrainStep} computes it: label-smoothed cross-entropy
 * (ε = 0.1, uniform prior) of the logits plus 0.4 times that of the aux logits, batch statistics,
 * running statistics updated with momentum 0.1 and the unbiased variance. It runs on the configured
 * backend ({@link BackendTest}), so a new backend is checked on the whole network, not only op by op.
 *
 * <p>Each tensor is compared by its relative L2 error ‖ours − torch‖ / ‖torch‖: float32 through the
 * ~100 layers and batch norms of the forward and the backward pass, against a float64 reference. The
 * test prints the errors it measured; the tolerances are about ten times those measured on the CPU
 * backend (2 threads on the Vector API, and 1 thread on the plain loops).
 */
class TrainingStepGoldenTest extends BackendTest {
    /** Logits, aux logits, losses, running statistics: measured 1e-7 … 2.2e-6 on the CPU backend. */
    static final double FORWARD_TOL = 2e-5;
    /**
     * Each parameter's gradient: measured worst 1.8e-3 (both CPU paths). The worst tensors lie upstream
     * of a ReLU input or max-pool winner that float32 decides differently from float64 (one flipped value
     * in an 8×8 channel of Mixed_7c, spread over its channel by batch norm's backward, moves every gradient
     * before it): rare with these weights (see the script), not avoidable, as likely in PyTorch's own
     * float32. A wrong rule or wiring misses by far more.
     */
    static final double GRADIENT_TOL = 2e-2;
    /** All gradients as one vector: measured 1.0e-4 (Vector API, 2 threads) and 2.7e-4 (plain loops, 1 thread). */
    static final double ALL_GRADIENTS_TOL = 2e-3;

    /**
     * A gradient that is zero in exact arithmetic is measured against this fraction of the model's RMS
     * gradient (times √n) instead of its own norm: the β of a batch norm whose channel's ReLU is always on
     * and feeds only conv → batch norm (the next batch norm removes any shift, so the loss does not depend
     * on it) has a computed gradient that is rounding noise.
     */
    static final double ZERO_GRADIENT_FLOOR = 1e-2;

    private static final String FILE = "training-step.safetensors";

    @Test
    void oneTrainingStepMatchesPyTorch() throws URISyntaxException {
        SafeTensors golden = SafeTensors.read(Path.of(TrainingStepGoldenTest.class.getResource(FILE).toURI()));
        Map<String, String> meta = golden.metadata();
        Map<String, SafeTensors.Entry> want = golden.entries();
        TrainConfig paper = TrainConfig.paper();
        assertEquals(paper.labelSmoothing(), Float.parseFloat(meta.get("label_smoothing")), "the trace's ε is TrainStep's");
        assertEquals(paper.auxWeight(), Float.parseFloat(meta.get("aux_weight")), "the trace's aux weight is TrainStep's");

        InceptionV3.Config config = new InceptionV3.Config(Integer.parseInt(meta.get("num_classes")),
                Boolean.parseBoolean(meta.get("aux_logits")), Boolean.parseBoolean(meta.get("count_include_pad")),
                Float.parseFloat(meta.get("dropout"))).withWidthMultiplier(Double.parseDouble(meta.get("width_multiplier")));
        int[] inputDims = Arrays.stream(meta.get("input_shape").split(",")).mapToInt(Integer::parseInt).toArray();
        int[] labels = Arrays.stream(meta.get("labels").split(",")).mapToInt(Integer::parseInt).toArray();
        float[] input = draw(meta.get("input"), Shape.of(inputDims).size());
        assertArrayEquals(want.get("input_head").floats(), Arrays.copyOf(input, 64), "the script's RandomStream port");

        List<String> report = new ArrayList<>();
        double worstGradient = 0;
        String worstGradientName = "";
        try (InceptionV3 model = new InceptionV3(backend, config, 0)) {
            Map<String, Tensor> params = model.parameters().asMap();
            TreeSet<String> initialized = new TreeSet<>();
            meta.keySet().stream().filter(k -> k.startsWith("init.")).forEach(k -> initialized.add(k.substring(5)));
            assertEquals(initialized, new TreeSet<>(params.keySet()), "the trace's tensors are the model's, by torchvision name");
            for (Map.Entry<String, Tensor> e : params.entrySet()) {
                String name = e.getKey();
                String key = (model.parameters().trainable().containsKey(name) ? "grad." : "running.") + name;
                assertNotNull(want.get(key), key);
                assertEquals(want.get(key).tensorShape(), e.getValue().shape(), name + ": torchvision's shape at this width");
                backend.write(e.getValue(), draw(meta.get("init." + name), e.getValue().size()), 0);
            }

            try (Tape tape = Tape.recording(); TensorScope step = TensorScope.open()) {
                model.watch(tape);
                Tensor x = Ops.fromArray(backend, Shape.of(inputDims), input);
                InceptionV3.Output out = model.forward(tape, x, InceptionV3.Mode.TRAIN, null);
                Tensor main = tape.crossEntropy(out.logits(), labels, paper.labelSmoothing(), null);
                Tensor aux = tape.crossEntropy(out.auxLogits(), labels, paper.labelSmoothing(), null);
                Tensor total = tape.add(main, tape.affine(aux, paper.auxWeight(), 0f));
                tape.backward(total);

                Map<String, float[]> forward = new TreeMap<>();
                forward.put("logits", out.logits().toArray());
                forward.put("aux_logits", out.auxLogits().toArray());
                forward.put("loss", main.toArray());
                forward.put("aux_loss", aux.toArray());
                forward.put("total_loss", total.toArray());
                for (Map.Entry<String, float[]> f : forward.entrySet()) {
                    double err = relativeL2(f.getValue(), want.get(f.getKey()).floats());
                    report.add(String.format("  %-12s rel. L2 error %.2e", f.getKey(), err));
                    assertTrue(err <= FORWARD_TOL, f.getKey() + ": relative L2 error " + err + " > " + FORWARD_TOL);
                }
                double worstRunning = 0;
                String worstRunningName = "";
                for (Map.Entry<String, Tensor> e : params.entrySet()) {
                    if (model.parameters().trainable().containsKey(e.getKey())) {
                        continue;
                    }
                    double err = relativeL2(e.getValue().toArray(), want.get("running." + e.getKey()).floats());
                    if (err > worstRunning) {
                        worstRunning = err;
                        worstRunningName = e.getKey();
                    }
                    assertTrue(err <= FORWARD_TOL, e.getKey() + " after the step: relative L2 error " + err);
                }
                report.add(String.format("  running statistics: worst rel. L2 error %.2e (%s)", worstRunning, worstRunningName));

                Map<String, Tensor> grads = tape.gradients(model.parameters().trainable());
                double rms = rmsOfAllGradients(want);
                double allErr2 = 0, allRef2 = 0;
                for (Map.Entry<String, Tensor> g : grads.entrySet()) {
                    float[] ref = want.get("grad." + g.getKey()).floats();
                    double err = l2Error(g.getValue().toArray(), ref)
                            / Math.max(l2(ref), ZERO_GRADIENT_FLOOR * rms * Math.sqrt(ref.length));
                    float[] ours = g.getValue().toArray();
                    double e2 = l2Error(ours, ref);
                    allErr2 += e2 * e2;
                    allRef2 += l2(ref) * l2(ref);
                    if (err > worstGradient) {
                        worstGradient = err;
                        worstGradientName = g.getKey();
                    }
                    assertTrue(err <= GRADIENT_TOL, "gradient of " + g.getKey() + ": relative L2 error " + err + " > "
                            + GRADIENT_TOL);
                }
                double all = Math.sqrt(allErr2 / allRef2);
                report.add(String.format("  gradients (%d tensors): worst rel. L2 error %.2e (%s); all together %.2e",
                        grads.size(), worstGradient, worstGradientName, all));
                assertTrue(all <= ALL_GRADIENTS_TOL, "relative L2 error of all gradients together " + all + " > "
                        + ALL_GRADIENTS_TOL);
            }
        }
        System.out.println("training step against PyTorch on '" + backend.name() + "' (" + backend.describe() + "):\n"
                + String.join("\n", report));
    }

    /** The values the trace's "seed lo hi" names: RandomStream's uniform on [lo, hi), as the script draws them. */
    private static float[] draw(String spec, int n) {
        String[] f = spec.split(" ");
        long seed = Long.parseLong(f[0]);
        float lo = Float.parseFloat(f[1]), hi = Float.parseFloat(f[2]);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = RandomStream.sample(RandomStream.Distribution.UNIFORM, seed, i, lo, hi);
        }
        return v;
    }

    /** ‖a − b‖₂ / ‖b‖₂, in double. */
    static double relativeL2(float[] a, float[] b) {
        return l2Error(a, b) / l2(b);
    }

    /** ‖a − b‖₂, in double. */
    static double l2Error(float[] a, float[] b) {
        assertEquals(b.length, a.length, "element count");
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double d = (double) a[i] - b[i];
            s += d * d;
        }
        return Math.sqrt(s);
    }

    static double l2(float[] b) {
        double s = 0;
        for (float v : b) {
            s += (double) v * v;
        }
        return Math.sqrt(s);
    }

    /** The root mean square of every element of every reference gradient. */
    private static double rmsOfAllGradients(Map<String, SafeTensors.Entry> want) {
        double s = 0;
        long n = 0;
        for (Map.Entry<String, SafeTensors.Entry> e : want.entrySet()) {
            if (e.getKey().startsWith("grad.")) {
                for (float v : e.getValue().floats()) {
                    s += (double) v * v;
                    n++;
                }
            }
        }
        return Math.sqrt(s / n);
    }
}
