package org.inceptionj.inception;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
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
import org.inceptionj.inception.cost.ShapeBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The cost table against the spec's figures (shared/spec/inception-v3.md §2, §3, §7, §8, §12) and
 * against a real model's parameters and forward shapes.
 */
class SummaryTest {
    static final InceptionV3.Config TV = InceptionV3.Config.torchvision();
    static final InceptionV3.Config NO_AUX = new InceptionV3.Config(1000, false, true, 0.5f);
    static final InceptionV3.Mode EVAL = InceptionV3.Mode.EVAL;
    static final InceptionV3.Mode TRAIN = InceptionV3.Mode.TRAIN;

    @Test
    void totalsAt299MatchTheSpec() {
        Summary eval = Summary.of(TV, 299, 299, EVAL);
        assertEquals(27_161_264L, eval.parameters(), "§7: torchvision with AuxLogits");
        assertEquals(23_834_568L, Summary.of(NO_AUX, 299, 299, EVAL).parameters(), "§7: without AuxLogits");
        assertEquals(5_713_216_096L, eval.macs(), "§8: evaluation, aux head idle");
        assertEquals(5_713_216_096L, Summary.of(NO_AUX, 299, 299, EVAL).macs());
        Summary train = Summary.of(TV, 299, 299, TRAIN);
        assertEquals(5_713_216_096L + 5_683_200L, train.macs(), "§8: the aux head adds 5,683,200 in training");
        assertEquals(5_718_899_296L, train.macs(), "§7.1");
        assertEquals(27_161_264L, train.parameters(), "the mode does not change what exists");
        assertEquals(5_713_216_096L, Summary.of(NO_AUX, 299, 299, TRAIN).macs(), "training without the aux head");
    }

    /** §7.1, every block row: name, TV params, MACs, output shape. */
    @Test
    void everyBlockRowOfTheSpec() {
        String[] spec = {
            "Conv2d_1a_3x3 928 19181664 32x149x149",
            "Conv2d_2a_3x3 9280 199148544 32x147x147",
            "Conv2d_2b_3x3 18560 398297088 64x147x147",
            "Conv2d_3b_1x1 5280 27284480 80x73x73",
            "Conv2d_4a_3x3 138624 696867840 192x71x71",
            "Mixed_5b 255904 312345600 256x35x35",
            "Mixed_5c 277472 338688000 288x35x35",
            "Mixed_5d 285152 348096000 288x35x35",
            "Mixed_6a 1153280 401937408 768x17x17",
            "Mixed_6b 1297408 374063104 768x17x17",
            "Mixed_6c 1691008 487702528 768x17x17",
            "Mixed_6d 1691008 487702528 768x17x17",
            "Mixed_6e 2141952 617914368 768x17x17",
            "AuxLogits 3326696 5683200 1000",
            "Mixed_7a 1698304 291004416 1280x8x8",
            "Mixed_7b 5044608 322437120 2048x8x8",
            "Mixed_7c 6076800 388497408 2048x8x8",
            "fc 2049000 2048000 1000",
        };
        Summary s = Summary.of(TV, 299, 299, TRAIN);
        for (String line : spec) {
            String[] f = line.split(" ");
            Summary.Row r = s.row(f[0]);
            assertEquals(0, r.depth(), f[0]);
            assertEquals(Long.parseLong(f[1]), r.parameters(), f[0] + " parameters");
            assertEquals(Long.parseLong(f[2]), r.macs(), f[0] + " MACs");
            assertEquals(shape(f[3]), r.output(), f[0] + " output");
        }
        // In evaluation the aux head exists (its parameters count) but does not run.
        Summary.Row aux = Summary.of(TV, 299, 299, EVAL).row("AuxLogits");
        assertEquals(3_326_696L, aux.parameters());
        assertEquals(0L, aux.macs());
        assertNull(aux.output());
    }

    /** §3 rows: name, Cin→Cout, conv weights (no BN), MACs, output. Params = weights + γ + β. */
    @Test
    void spotCheckOfTheConvolutionTable() {
        String[] spec = {
            "Conv2d_4a_3x3 192 138240 696867840 192x71x71",
            "Mixed_5b.branch5x5_2 64 76800 94080000 64x35x35",
            "Mixed_5c.branch_pool 64 16384 20070400 64x35x35",
            "Mixed_6a.branch3x3 384 995328 287649792 384x17x17",
            "Mixed_6a.branch3x3dbl_3 96 82944 23970816 96x17x17",
            "Mixed_6c.branch7x7_2 160 179200 51788800 160x17x17",
            "Mixed_6e.branch7x7dbl_5 192 258048 74575872 192x17x17",
            "AuxLogits.conv1 768 2457600 2457600 768x1x1",
            "Mixed_7a.branch7x7x3_4 192 331776 21233664 192x8x8",
            "Mixed_7b.branch3x3_2a 384 442368 28311552 384x8x8",
            "Mixed_7c.branch3x3dbl_1 448 917504 58720256 448x8x8",
            "Mixed_7c.branch_pool 192 393216 25165824 192x8x8",
        };
        Summary s = Summary.of(TV, 299, 299, TRAIN);
        for (String line : spec) {
            String[] f = line.split(" ");
            Summary.Row r = s.row(f[0]);
            assertEquals(Long.parseLong(f[2]) + 2 * Long.parseLong(f[1]), r.parameters(), f[0] + " parameters");
            assertEquals(Long.parseLong(f[3]), r.macs(), f[0] + " MACs");
            assertEquals(shape(f[4]), r.output(), f[0] + " output");
        }
        assertEquals("conv 1x7 /1 pad (0,3)", s.row("Mixed_6c.branch7x7_2").op());
        // §8: conv0 2,457,600 + conv1 2,457,600 + fc 768,000.
        assertEquals(2_457_600L, s.row("AuxLogits.conv0").macs());
        assertEquals(768_000L, s.row("AuxLogits.fc").macs());
        assertEquals(769_000L, s.row("AuxLogits.fc").parameters());
    }

    @Test
    void blockRowsAreTheSumOfTheirLayersAndConvCountsMatch() {
        Summary s = Summary.of(TV, 299, 299, TRAIN);
        Map<String, long[]> sums = new LinkedHashMap<>();
        Map<String, Integer> convs = new TreeMap<>();
        for (Summary.Row r : s.rows()) {
            if (r.depth() == 1) {
                String block = r.name().substring(0, r.name().indexOf('.'));
                long[] a = sums.computeIfAbsent(block, k -> new long[2]);
                a[0] += r.parameters();
                a[1] += r.macs();
                if (r.op().startsWith("conv")) {
                    convs.merge(block, 1, Integer::sum);
                }
            }
        }
        for (var e : sums.entrySet()) {
            assertEquals(s.row(e.getKey()).parameters(), e.getValue()[0], e.getKey());
            assertEquals(s.row(e.getKey()).macs(), e.getValue()[1], e.getKey());
        }
        // §7.1 "convs" column; 5 stem convs + these = 94 main + 2 aux.
        assertEquals(Map.of("AuxLogits", 2, "Mixed_5b", 7, "Mixed_5c", 7, "Mixed_5d", 7, "Mixed_6a", 4,
                "Mixed_6b", 10, "Mixed_6c", 10, "Mixed_6d", 10, "Mixed_6e", 10, "Mixed_7a", 6), without7bc(convs));
        assertEquals(9, convs.get("Mixed_7b"));
        assertEquals(9, convs.get("Mixed_7c"));
    }

    private static Map<String, Integer> without7bc(Map<String, Integer> m) {
        Map<String, Integer> r = new TreeMap<>(m);
        r.remove("Mixed_7b");
        r.remove("Mixed_7c");
        return r;
    }

    /** §2: 75 → Mixed_7c 1x1, 139 → 3x3, 151 → 3x3, 224 → 5x5, 342 → 9x9. */
    @Test
    void lastGridForOtherInputSizes() {
        int[][] sizeToGrid = {{75, 1}, {139, 3}, {151, 3}, {224, 5}, {342, 9}};
        for (int[] sg : sizeToGrid) {
            Summary s = Summary.of(TV, sg[0], sg[0], EVAL);
            assertEquals(Shape.of(2048, sg[1], sg[1]), s.row("Mixed_7c").output(), "input " + sg[0]);
            assertEquals(Shape.of(2048, 1, 1), s.row("avgpool").output());
            assertEquals(27_161_264L, s.parameters(), "parameters do not depend on the input size");
        }
        // Non-square inputs: each axis on its own.
        assertEquals(Shape.of(2048, 1, 9), Summary.of(TV, 75, 342, EVAL).row("Mixed_7c").output());
        // 75 at Conv2d_1a: (75 - 3) / 2 + 1 = 37.
        assertEquals(Shape.of(32, 37, 37), Summary.of(TV, 75, 75, EVAL).row("Conv2d_1a_3x3").output());
    }

    /** §12: the unmodified network on 151 and 79 costs 18.9 % and 3.7 % of the 299 figure. */
    @Test
    void smallerInputsCostWhatSection12Says() {
        double full = Summary.of(TV, 299, 299, EVAL).macs();
        assertEquals(18.9, 100 * Summary.of(TV, 151, 151, EVAL).macs() / full, 0.05);
        assertEquals(3.7, 100 * Summary.of(TV, 79, 79, EVAL).macs() / full, 0.05);
        assertEquals(1.08e9, Summary.of(TV, 151, 151, EVAL).macs(), 0.005e9);
        assertEquals(0.21e9, Summary.of(TV, 79, 79, EVAL).macs(), 0.005e9);
    }

    @Test
    void inputsTooSmallAreRejectedNamingTheMinimum() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Summary.of(TV, 74, 74, EVAL));
        assertTrue(e.getMessage().contains("74x74") && e.getMessage().contains("75"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Summary.of(TV, 299, 74, EVAL));
        assertTrue(e.getMessage().contains("299x74") && e.getMessage().contains("75"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Summary.of(TV, 298, 298, TRAIN));
        assertTrue(e.getMessage().contains("298x298") && e.getMessage().contains("299"), e.getMessage());
        // Without the aux head, training has the evaluation minimum.
        assertEquals(Shape.of(2048, 1, 1), Summary.of(NO_AUX, 75, 75, TRAIN).row("Mixed_7c").output());
    }

    /** The minimums are exactly where the geometry itself breaks, not just constants. */
    @Test
    void theMinimumsAreWhereTheGeometryBreaks() {
        Summary.walk(TV, 75, 75, EVAL);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Summary.walk(TV, 74, 74, EVAL));
        assertTrue(e.getMessage().contains("Mixed_7a"), "74 first fails at the 17 → 8 reduction: " + e.getMessage());
        Summary.walk(TV, 299, 299, TRAIN);
        e = assertThrows(IllegalArgumentException.class, () -> Summary.walk(TV, 298, 298, TRAIN));
        assertTrue(e.getMessage().contains("AuxLogits"), e.getMessage());
        // §2: 290–298 all fail in training with the aux head.
        for (int n = 290; n < 299; n++) {
            int size = n;
            assertThrows(IllegalArgumentException.class, () -> Summary.walk(TV, size, size, TRAIN), "size " + n);
        }
    }

    /** Ties the table to the model: each layer's parameters are exactly the trainable tensors under its name. */
    @ParameterizedTest(name = "width multiplier {0}")
    @ValueSource(doubles = {1.0, 0.5, 0.3})
    void parametersMatchARealModelLayerByLayer(double widthMultiplier) {
        InceptionV3.Config config = new InceptionV3.Config(10, true, true, 0.5f).withWidthMultiplier(widthMultiplier);
        try (Backend backend = Backends.load();
             InceptionV3 m = new InceptionV3(backend, config, 1)) {
            Map<String, Long> byLayer = new TreeMap<>();
            for (var e : m.parameters().trainable().entrySet()) {
                String layer = e.getKey().replaceFirst("\\.(conv|bn)\\.(weight|bias)$", "")
                        .replaceFirst("\\.(weight|bias)$", "");
                byLayer.merge(layer, (long) e.getValue().size(), Long::sum);
            }
            Map<String, Long> fromSummary = new TreeMap<>();
            for (Summary.Row r : Summary.of(m.config(), 299, 299, TRAIN).rows()) {
                boolean leaf = r.depth() == 1 || !r.name().startsWith("Mixed_") && !r.name().equals("AuxLogits");
                if (leaf && r.parameters() > 0) {
                    fromSummary.put(r.name(), r.parameters());
                }
            }
            assertEquals(byLayer, fromSummary);
            // Kernel orientation (1x7 vs 7x1 cost the same, so the counts alone cannot tell): op vs weight shape.
            Map<String, Tensor> all = m.parameters().asMap();
            int convRows = 0;
            for (Summary.Row r : Summary.of(m.config(), 299, 299, TRAIN).rows()) {
                if (r.op().startsWith("conv ")) {
                    int[] w = all.get(r.name() + ".conv.weight").shape().dims();
                    assertTrue(r.op().startsWith("conv " + w[2] + "x" + w[3] + " "), r.name() + ": " + r.op());
                    assertEquals(w[0], r.output().dim(0), r.name() + " Cout");
                    convRows++;
                }
            }
            assertEquals(96, convRows, "94 main + 2 aux convolutions (spec §1)");
            assertEquals(m.parameters().trainableCount(), Summary.of(m.config(), 299, 299, EVAL).parameters());
        }
    }

    /** Ties the table to the model: a real forward at 75 and 139 sees the shapes the table predicts. */
    @ParameterizedTest(name = "width multiplier {0}")
    @ValueSource(doubles = {1.0, 0.3})
    void shapesMatchARealForward(double widthMultiplier) {
        InceptionV3.Config config = new InceptionV3.Config(10, false, true, 0.5f).withWidthMultiplier(widthMultiplier);
        try (Backend backend = Backends.load();
             InceptionV3 m = new InceptionV3(backend, config, 2)) {
            for (int size : new int[] {75, 90}) {
                Map<String, Shape> seen = new LinkedHashMap<>();
                try (TensorScope s = TensorScope.open()) {
                    Tensor x = Ops.uniform(backend, Shape.of(1, 3, size, size + 3), 5, -1f, 1f);
                    m.forward(x, EVAL, (name, t) -> seen.put(name, t.shape()));
                }
                Summary table = Summary.of(m.config(), size, size + 3, EVAL);
                assertEquals(20, seen.size());
                for (var e : seen.entrySet()) {
                    int[] dims = e.getValue().dims();
                    Shape withoutBatch = Shape.of(java.util.Arrays.copyOfRange(dims, 1, dims.length));
                    assertEquals(withoutBatch, table.row(e.getKey()).output(), e.getKey() + " at " + size);
                }
            }
        }
    }

    /**
     * TF-slim's depth_multiplier rule, depth(d) = max(int(d·multiplier), 16), worked by hand for a few
     * layers: the stem, a concat (Mixed_5b), a block that passes its input through (Mixed_6a), the last
     * block and fc.
     */
    @Test
    void widthMultiplierFollowsSlimsDepthRule() {
        InceptionV3.Config half = NO_AUX.withWidthMultiplier(0.5);
        Summary s = Summary.of(half, 299, 299, EVAL);
        assertEquals(Shape.of(16, 149, 149), s.row("Conv2d_1a_3x3").output());
        assertEquals(Shape.of(96, 71, 71), s.row("Conv2d_4a_3x3").output());
        assertEquals(Shape.of(32 + 32 + 48 + 16, 35, 35), s.row("Mixed_5b").output());
        assertEquals(Shape.of(32 + 32 + 48 + 32, 35, 35), s.row("Mixed_5d").output());
        assertEquals(Shape.of(192 + 48 + 144, 17, 17), s.row("Mixed_6a").output(), "384/2 + 96/2 + the 144 passed through");
        assertEquals(Shape.of(160 + 2 * 192 + 2 * 192 + 96, 8, 8), s.row("Mixed_7c").output());
        assertEquals(1024L * 1000 + 1000, s.row("fc").parameters());
        // Quarter width: 32·0.25 = 8 is raised to slim's min_depth 16.
        Summary q = Summary.of(NO_AUX.withWidthMultiplier(0.25), 299, 299, EVAL);
        assertEquals(16, q.row("Conv2d_1a_3x3").output().dim(0));
        assertEquals(16 + 16 + 24 + 16, q.row("Mixed_5b").output().dim(0));
        // Cost falls roughly with the square of the multiplier.
        double ratio = (double) s.macs() / Summary.of(NO_AUX, 299, 299, EVAL).macs();
        assertTrue(ratio > 0.2 && ratio < 0.3, "half width costs " + ratio + " of the full network");
    }

    @Test
    void rejectsWidthMultipliersOutsideTheRange() {
        for (double bad : new double[] {0.0, -0.5, Double.NaN, 4.5}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> NO_AUX.withWidthMultiplier(bad));
            assertTrue(e.getMessage().contains("widthMultiplier") && e.getMessage().contains(String.valueOf(bad)),
                    e.getMessage());
        }
    }

    /**
     * One source of truth: the table's top-level rows are the modules the model's own forward reports,
     * in its order (the aux head and dropout only in training); in evaluation the idle aux head keeps
     * its row where the model builds it.
     */
    @Test
    void topLevelRowsAreTheModulesTheForwardReports() {
        for (InceptionV3.Mode mode : InceptionV3.Mode.values()) {
            ShapeBackend be = new ShapeBackend();
            List<String> reported = new ArrayList<>();
            try (InceptionV3 m = new InceptionV3(be, TV, 1); TensorScope s = TensorScope.open()) {
                m.forward(Ops.zeros(be, Shape.of(1, 3, 299, 299)), mode, (name, t) -> reported.add(name));
            }
            List<String> topLevel = new ArrayList<>();
            for (Summary.Row r : Summary.of(TV, 299, 299, mode).rows()) {
                if (r.depth() == 0) {
                    topLevel.add(r.name());
                }
            }
            if (mode == EVAL) {
                assertFalse(reported.contains("AuxLogits"));
                reported.add(reported.indexOf("Mixed_6e") + 1, "AuxLogits");
            } else {
                assertEquals(List.of("Mixed_6e", "AuxLogits", "Mixed_7a"),
                        reported.subList(reported.indexOf("Mixed_6e"), reported.indexOf("Mixed_6e") + 3));
                assertEquals("dropout", reported.get(reported.indexOf("fc") - 1));
            }
            assertEquals(reported, topLevel, mode.toString());
        }
        assertEquals("InceptionAux (training only)", Summary.of(TV, 299, 299, EVAL).row("AuxLogits").op());
        assertEquals("InceptionC c7=160", Summary.of(TV.withWidthMultiplier(0.5), 299, 299, EVAL).row("Mixed_6c").op(),
                "c7 as the paper writes it, before the multiplier");
    }

    /** torchvision's input transform (slices, affine maps, a concatenation) costs nothing and changes no row. */
    @Test
    void theInputTransformChangesNoRow() {
        assertEquals(Summary.of(TV, 299, 299, TRAIN).rows(),
                Summary.of(TV.withTransformInput(true), 299, 299, TRAIN).rows());
    }

    private static Shape shape(String s) {
        String[] p = s.split("x");
        int[] d = new int[p.length];
        for (int i = 0; i < p.length; i++) {
            d[i] = Integer.parseInt(p[i]);
        }
        return Shape.of(d);
    }
}
