package org.inceptionj.inception;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Backends;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.junit.jupiter.api.Test;

/** The named presets and the architecture options behind them (spec §10–§12). */
class PresetsTest {
    static final InceptionV3.Mode EVAL = InceptionV3.Mode.EVAL;
    static final InceptionV3.Mode TRAIN = InceptionV3.Mode.TRAIN;

    @Test
    void namesMapToTheirOptions() {
        assertEquals(List.of("inception-v3", "inception-v3-tf", "inception-v3-paper", "inception-v3-151",
                "inception-v3-79", "inception-v3-unfactorized-stem"), Presets.AVAILABLE);
        InceptionV3.Config tv = Presets.named("inception-v3");
        assertEquals(new InceptionV3.Config(1000, true, true, 0.5f, false, 2, true), tv);
        assertEquals(new InceptionV3.Config(1001, true, false, 0.2f, false, 2, true), Presets.named("inception-v3-tf"));
        assertEquals(new InceptionV3.Config(1000, true, true, 0.5f, true, 2, true), Presets.named("inception-v3-paper"));
        assertEquals(new InceptionV3.Config(1000, true, true, 0.5f, false, 1, true), Presets.named("inception-v3-151"));
        assertEquals(new InceptionV3.Config(1000, true, true, 0.5f, false, 1, false), Presets.named("inception-v3-79"));
        assertEquals(299, Presets.inputSize("inception-v3"));
        assertEquals(299, Presets.inputSize("inception-v3-tf"));
        assertEquals(299, Presets.inputSize("inception-v3-paper"));
        assertEquals(151, Presets.inputSize("inception-v3-151"));
        assertEquals(79, Presets.inputSize("inception-v3-79"));
        assertEquals(new InceptionV3.Config(1000, true, true, 0.5f, false, 2, true, false),
                Presets.named("inception-v3-unfactorized-stem"));
        assertEquals(299, Presets.inputSize("inception-v3-unfactorized-stem"));
        assertTrue(tv.factorizedStem(), "the released stem is the default");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Presets.named("inception-v4"));
        assertTrue(e.getMessage().contains("unknown preset 'inception-v4'") && e.getMessage().contains("inception-v3-79"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Presets.inputSize(null));
    }

    @Test
    void configChecksAndWithers() {
        InceptionV3.Config tv = InceptionV3.Config.torchvision();
        assertThrows(IllegalArgumentException.class, () -> tv.withAuxLogits(false).withAuxBatchNorm(true));
        assertThrows(IllegalArgumentException.class, () -> tv.withFirstStride(0));
        assertFalse(tv.withAuxBatchNorm(true).withAuxLogits(false).auxBatchNorm(), "no aux head, no aux BN");
        assertEquals(10, tv.withNumClasses(10).numClasses());
        InceptionV3.Config u = tv.withFactorizedStem(false);
        assertFalse(u.withNumClasses(10).withAuxLogits(false).withAuxBatchNorm(false).withFirstStride(1)
                .withFirstMaxPool(false).factorizedStem(), "every wither keeps the stem");
        assertTrue(u.withFactorizedStem(true).equals(tv));
        assertEquals(InceptionV3.MIN_EVAL_INPUT, tv.minInput(false));
        assertEquals(InceptionV3.MIN_AUX_INPUT, tv.minInput(true));
    }

    /** Spec §12: the MACs of each §9 network at its own input, and its grids. */
    @Test
    void lowResolutionMacsMatchTheSpec() {
        Summary v1 = Summary.of(Presets.named("inception-v3"), 299, 299, EVAL);
        Summary v2 = Summary.of(Presets.named("inception-v3-151"), 151, 151, EVAL);
        Summary v3a = Summary.of(Presets.named("inception-v3-79"), 79, 79, EVAL);
        assertEquals(5_713_216_096L, v1.macs());
        assertEquals(5_713_216_096L, v2.macs(), "V2: every layer sees the 299 network's grid");
        assertEquals(5_361_703_520L, v3a.macs(), "V3a");
        for (Summary.Row r : v1.rows()) {
            assertEquals(r.output(), v2.row(r.name()).output(), r.name());
        }
        assertEquals(Shape.of(32, 77, 77), v3a.row("Conv2d_1a_3x3").output());
        assertEquals(Shape.of(64, 75, 75), v3a.row("Conv2d_2b_3x3").output());
        assertThrows(IllegalArgumentException.class, () -> v3a.row("maxpool1"));
        assertEquals(Shape.of(192, 73, 73), v3a.row("Conv2d_4a_3x3").output());
        assertEquals(Shape.of(288, 36, 36), v3a.row("Mixed_5d").output());
        assertEquals(Shape.of(768, 17, 17), v3a.row("Mixed_6e").output());
        assertEquals(Shape.of(2048, 8, 8), v3a.row("Mixed_7c").output());
        assertEquals(v1.parameters(), v3a.parameters(), "stride and pooling change no parameter");
    }

    /** The minimum sizes of the low-resolution stems are exactly where the walk stops working. */
    @Test
    void minimumSizesFollowTheStem() {
        for (String name : List.of("inception-v3-151", "inception-v3-79")) {
            InceptionV3.Config c = Presets.named(name);
            int eval = c.minInput(false);
            int aux = c.minInput(true);
            assertNotNull(Summary.walk(c, eval, eval, EVAL));
            assertThrows(IllegalArgumentException.class, () -> Summary.walk(c, eval - 1, eval - 1, EVAL), name);
            assertNotNull(Summary.walk(c, aux, aux, TRAIN));
            assertThrows(IllegalArgumentException.class, () -> Summary.walk(c, aux - 1, aux - 1, TRAIN), name);
            assertThrows(IllegalArgumentException.class, () -> Summary.of(c, eval - 1, eval, EVAL), name);
            assertTrue(aux <= Presets.inputSize(name), name + " can train with its aux head at its own size");
        }
        assertEquals(151, Presets.named("inception-v3-151").minInput(true));
    }

    @Test
    void paperPresetAddsTheAuxBatchNorm() {
        try (Backend backend = Backends.load();
             InceptionV3 tv = new InceptionV3(backend, Presets.named("inception-v3"), 1);
             InceptionV3 paper = new InceptionV3(backend, Presets.named("inception-v3-paper"), 1)) {
            assertEquals(tv.parameters().count() + 4 * 1000, paper.parameters().count(), "weight, bias, mean, var");
            assertEquals(tv.parameters().trainableCount() + 2 * 1000, paper.parameters().trainableCount());
            Map<String, Tensor> p = paper.parameters().asMap();
            for (String s : new String[] {"weight", "bias", "running_mean", "running_var"}) {
                assertEquals(Shape.of(1000), p.get("AuxLogits.fc_bn." + s).shape(), s);
            }
            assertEquals(paper.parameters().trainableCount(),
                    Summary.of(paper.config(), 299, 299, EVAL).parameters(), "the table counts fc_bn too");
        }
    }

    /** The table's per-layer parameters against the paper model's tensors, fc_bn included. */
    @Test
    void paperParametersMatchTheTableLayerByLayer() {
        InceptionV3.Config c = Presets.named("inception-v3-paper").withNumClasses(10);
        try (Backend backend = Backends.load();
             InceptionV3 m = new InceptionV3(backend, c, 1)) {
            Map<String, Long> byLayer = new TreeMap<>();
            for (var e : m.parameters().trainable().entrySet()) {
                String layer = e.getKey().replaceFirst("\\.(conv|bn)\\.(weight|bias)$", "")
                        .replaceFirst("\\.(weight|bias)$", "");
                byLayer.merge(layer, (long) e.getValue().size(), Long::sum);
            }
            Map<String, Long> fromSummary = new TreeMap<>();
            for (Summary.Row r : Summary.of(c, 299, 299, TRAIN).rows()) {
                boolean leaf = r.depth() == 1 || !r.name().startsWith("Mixed_") && !r.name().equals("AuxLogits");
                if (leaf && r.parameters() > 0) {
                    fromSummary.put(r.name(), r.parameters());
                }
            }
            assertEquals(byLayer, fromSummary);
            assertEquals(20L, byLayer.get("AuxLogits.fc_bn"));
        }
    }

    /**
     * Training with the BN-auxiliary head: its aux logits are the plain head's logits r (same seed, so
     * the same weights up to Mixed_6e and in the head) normalized over the batch per class,
     * (r − mean) / sqrt(var + 0.001) with γ = 1, β = 0; and that layer's running mean moves.
     */
    @Test
    void auxBatchNormNormalizesTheAuxLogitsInTraining() {
        InceptionV3.Config plainCfg = Presets.named("inception-v3").withNumClasses(4);
        try (Backend backend = Backends.load();
             InceptionV3 plain = new InceptionV3(backend, plainCfg, 3);
             InceptionV3 paper = new InceptionV3(backend, plainCfg.withAuxBatchNorm(true), 3);
             TensorScope s = TensorScope.open()) {
            Tensor x = Ops.uniform(backend, Shape.of(2, 3, 299, 299), 7, -1f, 1f);
            float[] r = plain.forward(x, TRAIN).auxLogits().toArray();
            Tensor aux = paper.forward(x, TRAIN).auxLogits();
            assertEquals(Shape.of(2, 4), aux.shape());
            float[] z = aux.toArray();
            for (int k = 0; k < 4; k++) {
                double mean = (r[k] + r[4 + k]) / 2.0;
                double var = ((r[k] - mean) * (r[k] - mean) + (r[4 + k] - mean) * (r[4 + k] - mean)) / 2.0;
                for (int n = 0; n < 2; n++) {
                    double want = (r[n * 4 + k] - mean) / Math.sqrt(var + 0.001);
                    assertEquals(want, z[n * 4 + k], 1e-3 * Math.max(1, Math.abs(want)), "n " + n + " class " + k);
                }
            }
            assertTrue(Math.abs(z[0]) > 1e-3, "the check is not trivially zero: " + Arrays.toString(z));
            float[] running = paper.parameters().asMap().get("AuxLogits.fc_bn.running_mean").toArray();
            assertEquals(0.1 * (r[0] + r[4]) / 2.0, running[0], 1e-6 + 1e-3 * Math.abs(running[0]), "momentum 0.1");
        }
    }

    /** Each §9 network at its own input: the logits, and every module's shape as the table predicts. */
    @Test
    void lowResolutionForwardAtNativeSize() {
        for (String name : List.of("inception-v3-151", "inception-v3-79")) {
            InceptionV3.Config c = Presets.named(name).withNumClasses(10).withAuxLogits(false);
            int size = Presets.inputSize(name);
            try (Backend backend = Backends.load();
                 InceptionV3 m = new InceptionV3(backend, c, 4);
                 TensorScope s = TensorScope.open()) {
                Map<String, Shape> seen = new LinkedHashMap<>();
                Tensor x = Ops.uniform(backend, Shape.of(1, 3, size, size), 5, -1f, 1f);
                InceptionV3.Output out = m.forward(x, EVAL, (n, t) -> seen.put(n, t.shape()));
                assertEquals(Shape.of(1, 10), out.logits().shape(), name);
                Summary table = Summary.of(c, size, size, EVAL);
                assertEquals(c.firstMaxPool() ? 20 : 19, seen.size(), name + " " + seen.keySet());
                for (var e : seen.entrySet()) {
                    int[] dims = e.getValue().dims();
                    Shape withoutBatch = Shape.of(Arrays.copyOfRange(dims, 1, dims.length));
                    assertEquals(withoutBatch, table.row(e.getKey()).output(), name + " " + e.getKey());
                }
                assertEquals(Shape.of(1, 2048, 8, 8), seen.get("Mixed_7c"), name);
            }
        }
    }

    /**
     * Table 3's "factorized 7×7" baseline: the three stem convolutions (3→32 3×3/2, 32→32 3×3,
     * 32→64 3×3 pad 1, each with BN γ, β) give way to one 3→64 7×7/2; every later layer is unchanged.
     */
    @Test
    void unfactorizedStemCostsFollowTheArithmetic() {
        Summary tv = Summary.of(Presets.named("inception-v3"), 299, 299, EVAL);
        Summary u = Summary.of(Presets.named("inception-v3-unfactorized-stem"), 299, 299, EVAL);
        long factorizedParams = (864 + 2 * 32) + (9216 + 2 * 32) + (18432 + 2 * 64);
        long sevenParams = 7 * 7 * 3 * 64 + 2 * 64;
        assertEquals(27_161_264L - factorizedParams + sevenParams, u.parameters());
        assertEquals(5_713_216_096L - (19_181_664L + 199_148_544L + 398_297_088L) + 147L * 147 * 64 * 3 * 7 * 7,
                u.macs());
        assertEquals(Shape.of(64, 147, 147), u.row("Conv2d_1a_7x7").output());
        assertEquals("conv 7x7 /2", u.row("Conv2d_1a_7x7").op());
        for (String gone : List.of("Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3")) {
            assertThrows(IllegalArgumentException.class, () -> u.row(gone), gone);
        }
        assertThrows(IllegalArgumentException.class, () -> tv.row("Conv2d_1a_7x7"));
        // From maxpool1 on, the same rows with the same shapes and costs.
        List<Summary.Row> after = u.rows().subList(1, u.rows().size());
        assertEquals(tv.rows().subList(3, tv.rows().size()), after);
        assertEquals("maxpool1", after.get(0).name());
    }

    /** The unfactorized stem's minimum inputs, at both strides, are where its own walk stops working. */
    @Test
    void unfactorizedStemMinimumSizes() {
        InceptionV3.Config u = Presets.named("inception-v3-unfactorized-stem");
        // At stride 2 the 7x7 gives floor((s - 5) / 2), the same as the factorized stem: same minimums.
        assertEquals(InceptionV3.MIN_EVAL_INPUT, u.minInput(false));
        assertEquals(InceptionV3.MIN_AUX_INPUT, u.minInput(true));
        for (InceptionV3.Config c : List.of(u, u.withFirstStride(1), u.withFirstStride(1).withFirstMaxPool(false))) {
            int eval = c.minInput(false);
            int aux = c.minInput(true);
            assertNotNull(Summary.walk(c, eval, eval, EVAL));
            assertThrows(IllegalArgumentException.class, () -> Summary.walk(c, eval - 1, eval - 1, EVAL), c.toString());
            assertNotNull(Summary.walk(c, aux, aux, TRAIN));
            assertThrows(IllegalArgumentException.class, () -> Summary.walk(c, aux - 1, aux - 1, TRAIN), c.toString());
        }
        // At stride 1 the 7x7 loses 6 pixels where the factorized stem loses 4: two more input pixels needed.
        InceptionV3.Config f1 = Presets.named("inception-v3-151");
        assertEquals(f1.minInput(false) + 2, u.withFirstStride(1).minInput(false));
    }

    /** A real model with the 7x7 stem: its tensors and its forward at 299 match the table. */
    @Test
    void unfactorizedStemForwardMatchesTheTable() {
        InceptionV3.Config c = Presets.named("inception-v3-unfactorized-stem");
        try (Backend backend = Backends.load();
             InceptionV3 m = new InceptionV3(backend, c, 6);
             TensorScope s = TensorScope.open()) {
            Map<String, Tensor> p = m.parameters().asMap();
            assertEquals(Shape.of(64, 3, 7, 7), p.get("Conv2d_1a_7x7.conv.weight").shape());
            assertEquals(Shape.of(64), p.get("Conv2d_1a_7x7.bn.running_var").shape());
            assertFalse(p.containsKey("Conv2d_1a_3x3.conv.weight"));
            assertFalse(p.containsKey("Conv2d_2a_3x3.conv.weight"));
            assertFalse(p.containsKey("Conv2d_2b_3x3.conv.weight"));
            Summary table = Summary.of(c, 299, 299, EVAL);
            assertEquals(m.parameters().trainableCount(), table.parameters());

            Map<String, Shape> seen = new LinkedHashMap<>();
            Tensor x = Ops.uniform(backend, Shape.of(1, 3, 299, 299), 5, -1f, 1f);
            InceptionV3.Output out = m.forward(x, EVAL, (n, t) -> seen.put(n, t.shape()));
            assertEquals(Shape.of(1, 1000), out.logits().shape());
            assertEquals(18, seen.size(), seen.keySet().toString());
            assertEquals("Conv2d_1a_7x7", seen.keySet().iterator().next());
            for (var e : seen.entrySet()) {
                int[] dims = e.getValue().dims();
                Shape withoutBatch = Shape.of(Arrays.copyOfRange(dims, 1, dims.length));
                assertEquals(withoutBatch, table.row(e.getKey()).output(), e.getKey());
            }
            assertEquals(Shape.of(1, 64, 147, 147), seen.get("Conv2d_1a_7x7"));
            assertEquals(Shape.of(1, 2048, 8, 8), seen.get("Mixed_7c"));
        }
    }
}
