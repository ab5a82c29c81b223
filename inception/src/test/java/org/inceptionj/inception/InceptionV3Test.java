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
import org.junit.jupiter.api.Test;

/** Structure facts from the spec (shared/spec/inception-v3.md §2, §3, §10, §13). */
class InceptionV3Test extends BackendTest {
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

    /**
     * Each stage's output is closed once the next stage has made its own (InceptionV3.Stages): an evaluation
     * forward's activations peak well below the sum of its stage outputs, which the forward's scope used to
     * hold until the logits. With an observer every stage stays alive, so that sum is measured that way.
     */
    @Test
    void evaluationForwardClosesEachStageOutputOnceConsumed() {
        try (org.inceptionj.cpu.CpuBackend cpu = new org.inceptionj.cpu.CpuBackend(new org.inceptionj.cpu.CpuConfig(2, true));
             InceptionV3 m = new InceptionV3(cpu, InceptionV3.Config.torchvision(), 3);
             TensorScope s = TensorScope.open()) {
            Tensor x = Ops.uniform(cpu, Shape.of(2, 3, 75, 75), 11, -1f, 1f);
            long[] stages = {0};
            float[] observed;
            try (TensorScope pass = TensorScope.open()) {
                observed = m.forward(x, InceptionV3.Mode.EVAL, (name, t) -> stages[0] += 4L * t.shape().size())
                        .logits().toArray();
            }
            long before = cpu.liveBytes();
            cpu.resetPeakLiveBytes();
            float[] logits;
            try (TensorScope pass = TensorScope.open()) {
                logits = m.forward(x, InceptionV3.Mode.EVAL).logits().toArray();
            }
            long peak = cpu.peakLiveBytes() - before;
            assertTrue(peak < stages[0] / 2, "activations peaked at " + peak + " bytes; stage outputs " + stages[0]);
            assertEquals(before, cpu.liveBytes(), "the pass leaves nothing alive");
            for (int i = 0; i < logits.length; i++) {
                assertEquals(Float.floatToIntBits(observed[i]), Float.floatToIntBits(logits[i]), "logit " + i);
            }
        }
    }

    /**
     * An evaluation that records nothing runs each BasicConv2d as one fused call (Ops.conv2dBatchNorm);
     * one on a recording tape runs conv2d, batch norm and ReLU apart. The same logits within 1e-5 on any
     * backend, and bit for bit on the CPU backend with its direct sums and the branch pools averaging first,
     * whose fused epilogue does batch norm's float operations; running statistics and affine parameters are
     * drawn away from the identity so that the normalization does something.
     */
    @Test
    void fusedEvaluationGivesTheLogitsOfTheUnfusedOne() {
        float[][] logits = fusedAndUnfused(backend);
        float[] fused = logits[0], unfused = logits[1];
        double diff = 0, norm = 0;
        for (int i = 0; i < fused.length; i++) {
            diff += (double) (fused[i] - unfused[i]) * (fused[i] - unfused[i]);
            norm += (double) unfused[i] * unfused[i];
        }
        assertTrue(norm > 0 && Math.sqrt(diff / norm) <= 1e-5, "relative L2 " + Math.sqrt(diff / norm));
        if (backend.name().equals("cpu")) {
            // Bit for bit with the direct sums (Winograd's 3×3s, on by default, round differently) and the branch
            // pools averaging first (with activations left blocked, the default, they average after their 1×1).
            try (Backend direct = new org.inceptionj.cpu.CpuBackend(new org.inceptionj.cpu.CpuConfig(2, true,
                    Runtime.getRuntime().maxMemory() / 2, true, false, false))) {
                float[][] bits = fusedAndUnfused(direct);
                for (int i = 0; i < bits[0].length; i++) {
                    assertEquals(Float.floatToIntBits(bits[1][i]), Float.floatToIntBits(bits[0][i]),
                            "logit " + i + ": fused " + bits[0][i] + ", unfused " + bits[1][i]);
                }
            }
        }
    }

    /** The logits of a small model's evaluation forward, fused (an inference tape) and unfused (a recording one). */
    private static float[][] fusedAndUnfused(Backend b) {
        InceptionV3.Config config = new InceptionV3.Config(10, false, true, 0.5f).withWidthMultiplier(0.25);
        try (InceptionV3 model = new InceptionV3(b, config, 3); TensorScope s = TensorScope.open()) {
            java.util.Random r = new java.util.Random(11);
            model.parameters().asMap().forEach((name, t) -> {
                float lo = name.endsWith(".bn.running_var") || name.endsWith(".bn.weight") ? 0.5f : -0.5f;
                if (name.contains(".bn.")) {
                    float[] v = new float[t.size()];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = lo + r.nextFloat();
                    }
                    b.write(t, v, 0);
                }
            });
            Tensor x = Ops.uniform(b, Shape.of(2, 3, 75, 75), 5L, -1f, 1f);
            float[] fused, unfused;
            try (org.inceptionj.api.autograd.Tape none = org.inceptionj.api.autograd.Tape.inference()) {
                fused = model.forward(none, x, InceptionV3.Mode.EVAL, null).logits().toArray();
            }
            try (org.inceptionj.api.autograd.Tape recording = org.inceptionj.api.autograd.Tape.recording()) {
                unfused = model.forward(recording, x, InceptionV3.Mode.EVAL, null).logits().toArray();
            }
            return new float[][]{fused, unfused};
        }
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

    /**
     * torchvision's transform_input (spec §6): for x_c = (p − mean_c)/std_c it feeds the stem 2p − 1, so a model
     * with it on, given ImageNet-normalized p, matches a model with it off given 2p − 1 — up to the float
     * rounding of the remap (spec: 1.2e-7 on the input).
     */
    @Test
    void transformInputTurnsImageNetNormalizationIntoTheMinusOneToOneScale() {
        float[] mean = {0.485f, 0.456f, 0.406f}, std = {0.229f, 0.224f, 0.225f};
        int n = 2, h = 75, w = 79, plane = h * w;
        java.util.Random r = new java.util.Random(11);
        float[] normalized = new float[n * 3 * plane], signed = new float[n * 3 * plane];
        for (int i = 0; i < normalized.length; i++) {
            int c = (i / plane) % 3;
            float p = r.nextFloat();
            normalized[i] = (p - mean[c]) / std[c];
            signed[i] = 2 * p - 1;
        }
        InceptionV3.Config base = new InceptionV3.Config(1000, false, true, 0.5f);
        try (Backend backend = Backends.load();
             InceptionV3 off = new InceptionV3(backend, base, 5);
             InceptionV3 on = new InceptionV3(backend, base.withTransformInput(true), 5);
             TensorScope s = TensorScope.open()) {
            Shape shape = Shape.of(n, 3, h, w);
            float[] expected = off.forward(Ops.fromArray(backend, shape, signed), InceptionV3.Mode.EVAL).logits().toArray();
            float[] got = on.forward(Ops.fromArray(backend, shape, normalized), InceptionV3.Mode.EVAL).logits().toArray();
            float[] raw = off.forward(Ops.fromArray(backend, shape, normalized), InceptionV3.Mode.EVAL).logits().toArray();
            double err = 0, norm = 0, rawErr = 0;
            for (int i = 0; i < expected.length; i++) {
                err += (got[i] - expected[i]) * (double) (got[i] - expected[i]);
                rawErr += (raw[i] - expected[i]) * (double) (raw[i] - expected[i]);
                norm += expected[i] * (double) expected[i];
            }
            double rel = Math.sqrt(err / norm), rawRel = Math.sqrt(rawErr / norm);
            assertTrue(rel < 1e-5, "relative L2 error " + rel);
            assertTrue(rawRel > 1e-2, "without the transform the logits differ (" + rawRel + "), so the check can fail");
        }
    }
}
