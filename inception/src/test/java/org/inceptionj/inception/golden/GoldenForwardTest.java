package org.inceptionj.inception.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.conformance.reference.Conv2dReference;
import org.inceptionj.conformance.reference.DTensor;
import org.inceptionj.inception.BackendTest;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.Presets;
import org.junit.jupiter.api.Test;

/**
 * Golden test of the whole evaluation forward: the model (float32, on the configured backend) against
 * {@link TorchvisionReference} (double precision, geometry from the spec's convolution table) with
 * the same non-trivial weights, compared module by module by relative L2 error ‖a − b‖ / ‖b‖.
 *
 * <p>The weights are not torchvision's initialization: its BN statistics (mean 0, var 1, γ 1, β 0)
 * would make a swapped or dropped BN tensor invisible. Here every BN tensor is random in a range
 * of its own, and the convolutions are He-scaled so that activations stay of order one.
 */
class GoldenForwardTest extends BackendTest {
    /** float32 against double through ~20 layers; measured errors are near 1e-7 (printed by each case). */
    static final double TOL = 1e-5;

    @Test
    void torchvisionPresetMatchesTheReferenceAtTheSmallestInput() {
        golden("inception-v3 2x3x75x75", InceptionV3.Config.torchvision(), true, Shape.of(2, 3, 75, 75), 101, true);
    }

    @Test
    void tfPresetMatchesTheReferenceWithoutCountedPadding() {
        InceptionV3.Config tf = Presets.named("inception-v3-tf");
        assertEquals(1001, tf.numClasses(), "inception-v3-tf has TF-slim's 1001 classes");
        golden("inception-v3-tf 2x3x75x75", tf, false, Shape.of(2, 3, 75, 75), 202, true);
    }

    /** Non-square and larger: grids above 1×1 in Mixed_7 (2×1) and a real adaptive average. */
    @Test
    void torchvisionPresetMatchesTheReferenceOnANonSquareInput() {
        golden("inception-v3 2x3x107x91", InceptionV3.Config.torchvision(), true, Shape.of(2, 3, 107, 91), 303, false);
    }

    /** Every convolution the model owns is a row of the table, with the same weight shape, and vice versa. */
    @Test
    void theTableListsEveryConvolutionOfTheModel() {
        Map<String, TorchvisionReference.ConvRow> table = TorchvisionReference.table();
        assertEquals(96, table.size(), "94 main-network convolutions + 2 in AuxLogits (spec §3)");
        try (InceptionV3 m = new InceptionV3(backend, InceptionV3.Config.torchvision(), 1)) {
            Map<String, Shape> modelConvs = new TreeMap<>();
            for (var e : m.parameters().asMap().entrySet()) {
                if (e.getKey().endsWith(".conv.weight")) {
                    modelConvs.put(e.getKey().substring(0, e.getKey().length() - ".conv.weight".length()),
                            e.getValue().shape());
                }
            }
            Map<String, Shape> tableConvs = new TreeMap<>();
            for (var r : table.values()) {
                tableConvs.put(r.prefix(), Shape.of(r.cout(), r.cin(), r.kh(), r.kw()));
            }
            assertEquals(tableConvs, modelConvs);
        }
    }

    /** The reference's fast convolution against the conformance kit's plain one, strides and pads of the table. */
    @Test
    void referenceConvolutionMatchesTheKit() {
        SplittableRandom r = new SplittableRandom(9);
        int[][] cases = {{3, 3, 2, 0, 0}, {3, 3, 1, 1, 1}, {1, 7, 1, 0, 3}, {7, 1, 1, 3, 0}, {5, 5, 1, 2, 2}, {3, 3, 2, 1, 0}};
        for (int[] c : cases) {
            DTensor x = random(r, Shape.of(2, 3, 9, 8));
            DTensor w = random(r, Shape.of(4, 3, c[0], c[1]));
            DTensor ours = TorchvisionReference.conv2d(x, w, c[2], c[3], c[4]);
            DTensor kit = Conv2dReference.forward(x, w, null, Conv2dSpec.of(c[2], c[3], c[4]));
            assertEquals(kit.shape(), ours.shape());
            assertTrue(relL2(ours.data(), kit.data()) < 1e-14, "conv " + java.util.Arrays.toString(c));
        }
    }

    // ---------------------------------------------------------------- the golden comparison

    /**
     * Runs the model built from {@code config} in EVAL and the reference with {@code countIncludePad}
     * on the same weights and input; every captured module must agree within {@link #TOL}. With
     * {@code sensitivity}, the reference with the opposite switch must disagree by far more, from
     * Mixed_5b (the first block with a padded average pool) on, while the stem still agrees.
     */
    private static void golden(String label, InceptionV3.Config config, boolean countIncludePad, Shape inputShape,
                               long seed, boolean sensitivity) {
        long t0 = System.nanoTime();
        Map<String, DTensor> stateDict;
        Map<String, DTensor> model = new LinkedHashMap<>();
        float[] input = uniform(new SplittableRandom(seed), inputShape.size(), -1, 1);
        try (InceptionV3 m = new InceptionV3(backend, config, seed);
             TensorScope s = TensorScope.open()) {
            stateDict = randomizeParameters(m, new SplittableRandom(seed + 1));
            Tensor x = Ops.fromArray(backend, inputShape, input);
            InceptionV3.Output y = m.forward(x, InceptionV3.Mode.EVAL,
                    (name, t) -> model.put(name, DTensor.of(t.shape(), t.toArray())));
            assertEquals(Shape.of(inputShape.dim(0), config.numClasses()), y.logits().shape());
            model.put("logits", DTensor.of(y.logits().shape(), y.logits().toArray()));
        }
        long t1 = System.nanoTime();
        DTensor x = DTensor.of(inputShape, input);
        TorchvisionReference.Result ref = new TorchvisionReference(stateDict, countIncludePad).forward(x);
        long t2 = System.nanoTime();

        Map<String, Double> errors = compare(label, model, ref);
        report(label + " (countIncludePad " + countIncludePad + ")", errors);
        List<String> bad = new ArrayList<>();
        errors.forEach((name, e) -> {
            if (!(e <= TOL)) {
                bad.add(name + " rel L2 error " + e);
            }
        });
        assertTrue(bad.isEmpty(), label + ": modules beyond " + TOL + " of the double reference: " + bad);

        if (sensitivity) {
            TorchvisionReference.Result opposite = new TorchvisionReference(stateDict, !countIncludePad).forward(x);
            Map<String, Double> off = compare(label, model, opposite);
            report(label + " against the reference with countIncludePad " + !countIncludePad + " (must differ)", off);
            for (String stem : List.of("Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "maxpool1", "Conv2d_3b_1x1",
                    "Conv2d_4a_3x3", "maxpool2")) {
                assertTrue(off.get(stem) <= TOL, label + ": the stem has no average pool, " + stem + " must still agree");
            }
            for (String changed : List.of("Mixed_5b", "Mixed_6e", "Mixed_7c", "logits")) {
                assertTrue(off.get(changed) > 100 * TOL, label + ": with the opposite countIncludePad, " + changed
                        + " differs by only " + off.get(changed) + " — the test would not see that switch");
            }
        }
        System.out.printf("%s: model %.2f s, double reference %.2f s%s%n", label, (t1 - t0) * 1e-9,
                (t2 - t1) * 1e-9, sensitivity ? " (plus the opposite reference)" : "");
    }

    /** Relative L2 error of each module of the model against the reference; names and shapes must match. */
    private static Map<String, Double> compare(String label, Map<String, DTensor> model,
                                               TorchvisionReference.Result ref) {
        Map<String, DTensor> expected = new LinkedHashMap<>(ref.modules());
        expected.put("logits", ref.logits());
        Map<String, DTensor> actual = new LinkedHashMap<>(model);
        assertEquals(expected.keySet(), actual.keySet(), label + ": the model observes other modules than torchvision");
        Map<String, Double> errors = new LinkedHashMap<>();
        for (var e : expected.entrySet()) {
            DTensor a = actual.get(e.getKey());
            assertEquals(e.getValue().shape(), a.shape(), label + ": shape of " + e.getKey());
            errors.put(e.getKey(), relL2(a.data(), e.getValue().data()));
        }
        return errors;
    }

    private static void report(String title, Map<String, Double> errors) {
        StringBuilder b = new StringBuilder(title).append(": relative L2 error per module\n");
        String worst = null;
        for (var e : errors.entrySet()) {
            b.append(String.format("  %-14s %.3e%n", e.getKey(), e.getValue()));
            if (worst == null || e.getValue() > errors.get(worst)) {
                worst = e.getKey();
            }
        }
        b.append(String.format("  worst: %s %.3e", worst, errors.get(worst)));
        System.out.println(b);
    }

    // ---------------------------------------------------------------- weights and data

    /**
     * Overwrites every parameter and BN statistic of {@code m} with seeded random values and returns
     * them as a state dict (the exact float values, as doubles): conv weights N(0, 2/fan_in), BN γ in
     * [0.5, 1.5], β in [−0.2, 0.2], running mean in [−0.1, 0.1], running var in [0.5, 2]; classifier
     * weights N(0, 1/in), biases in [−0.1, 0.1].
     */
    private static Map<String, DTensor> randomizeParameters(InceptionV3 m, SplittableRandom r) {
        Map<String, DTensor> stateDict = new LinkedHashMap<>();
        for (var e : m.parameters().asMap().entrySet()) {
            String name = e.getKey();
            Tensor t = e.getValue();
            Shape s = t.shape();
            float[] v;
            if (name.endsWith(".conv.weight")) {
                v = normal(r, s.size(), Math.sqrt(2.0 / (s.dim(1) * s.dim(2) * s.dim(3))));
            } else if (name.endsWith(".bn.weight")) {
                v = uniform(r, s.size(), 0.5, 1.5);
            } else if (name.endsWith(".bn.bias")) {
                v = uniform(r, s.size(), -0.2, 0.2);
            } else if (name.endsWith(".bn.running_mean")) {
                v = uniform(r, s.size(), -0.1, 0.1);
            } else if (name.endsWith(".bn.running_var")) {
                v = uniform(r, s.size(), 0.5, 2.0);
            } else if (name.endsWith("fc.weight")) {
                v = normal(r, s.size(), Math.sqrt(1.0 / s.dim(1)));
            } else if (name.endsWith("fc.bias")) {
                v = uniform(r, s.size(), -0.1, 0.1);
            } else {
                throw new AssertionError("unexpected parameter " + name + " " + s);
            }
            backend.write(t, v, 0);
            stateDict.put(name, DTensor.of(s, v));
        }
        // the write really landed: read one back
        float[] back = m.parameters().asMap().get("Mixed_6e.branch_pool.bn.running_var").toArray();
        DTensor want = stateDict.get("Mixed_6e.branch_pool.bn.running_var");
        for (int i = 0; i < back.length; i++) {
            if (back[i] != want.data()[i]) {
                fail("backend.write did not overwrite the parameter");
            }
        }
        return stateDict;
    }

    private static float[] uniform(SplittableRandom r, int n, double lo, double hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextDouble(lo, hi);
        }
        return v;
    }

    private static float[] normal(SplittableRandom r, int n, double std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (std * gaussian(r));
        }
        return v;
    }

    /** Box–Muller, so the draws do not depend on the JDK's choice of normal sampler. */
    private static double gaussian(SplittableRandom r) {
        double u = 1.0 - r.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    private static DTensor random(SplittableRandom r, Shape s) {
        return DTensor.of(s, uniform(r, s.size(), -1, 1));
    }

    /** ‖a − b‖₂ / ‖b‖₂. */
    static double relL2(double[] a, double[] b) {
        double num = 0, den = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            num += d * d;
            den += b[i] * b[i];
        }
        return Math.sqrt(num / den);
    }
}
