package org.inceptionj.inception.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.io.SafeTensors;
import org.inceptionj.inception.io.WeightsLoader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stop, save, resume: bit-identical to a run that never stopped; bad checkpoints change nothing. */
class CheckpointTest {
    static Backend backend;

    @TempDir
    static Path dir;

    /** Width 0.25 at 75×75, 10 classes, no aux head (it needs ≥ 299 input), dropout 0.5 active in TRAIN. */
    static final InceptionV3.Config SMALL = new InceptionV3.Config(10, false, true, 0.5f).withWidthMultiplier(0.25);
    /**
     * lr 0.01 decaying ×0.94 every 2 epochs of 4 examples (so the restored examplesSeen matters), no clipping
     * (see TrainStepTest for why), the rest the paper's recipe with its EMA (warm-up depends on the step).
     */
    static final TrainConfig CFG = TrainConfig.paper().withLearningRate(LearningRate.paper().withInitial(0.01))
            .withExamplesPerEpoch(4).withClipping(GradientClipping.Mode.NONE, 2f);
    static final int BATCH = 4;
    static final int[][] LABELS = {{3, 7, 1, 3}, {0, 9, 9, 2}, {5, 5, 1, 8}, {4, 6, 2, 0}, {1, 1, 7, 3}, {8, 2, 6, 4}};

    static final List<Tensor> batches = new ArrayList<>();

    @BeforeAll
    static void start() {
        backend = Backends.load();
        for (int k = 0; k < LABELS.length; k++) {
            batches.add(TensorScope.detach(Ops.uniform(backend, Shape.of(BATCH, 3, 75, 75), 100 + k, -1f, 1f)));
        }
    }

    @AfterAll
    static void stop() {
        batches.forEach(Tensor::close);
        assertEquals(0, backend.liveBytes(), "every model, slot, shadow and batch closed");
        backend.close();
    }

    static void train(TrainStep step, int from, int to) {
        for (int k = from; k < to; k++) {
            TrainStep.Result r = step.run(batches.get(k), LABELS[k]);
            assertTrue(Float.isFinite(r.loss()), r.toString());
        }
    }

    /** Every tensor of the run (parameters, BN statistics, slots, shadows) and its counters, as bits. */
    static Map<String, float[]> snapshot(TrainStep step) {
        Map<String, float[]> out = new LinkedHashMap<>();
        step.model().parameters().asMap().forEach((k, t) -> out.put(k, t.toArray()));
        step.optimizer().slots().forEach((k, t) -> out.put("optimizer." + k, t.toArray()));
        step.ema().shadows().forEach((k, t) -> out.put("ema." + k, t.toArray()));
        out.put("#counters", new float[] {Float.intBitsToFloat((int) step.steps()),
                Float.intBitsToFloat((int) step.examplesSeen()),
                Float.intBitsToFloat((int) step.model().dropoutStep()),
                Float.intBitsToFloat((int) step.model().dropoutSeedBase())});
        return out;
    }

    static List<String> differing(Map<String, float[]> a, Map<String, float[]> b) {
        assertEquals(a.keySet(), b.keySet());
        List<String> out = new ArrayList<>();
        for (String k : a.keySet()) {
            float[] x = a.get(k);
            float[] y = b.get(k);
            boolean same = x.length == y.length;
            for (int i = 0; same && i < x.length; i++) {
                same = Float.floatToRawIntBits(x[i]) == Float.floatToRawIntBits(y[i]);
            }
            if (!same) {
                out.add(k);
            }
        }
        return out;
    }

    /** Run A: 6 steps straight, from a model of seed 1. */
    static Map<String, float[]> straightRun() {
        try (InceptionV3 m = new InceptionV3(backend, SMALL, 1); TrainStep step = new TrainStep(m, CFG)) {
            train(step, 0, 6);
            return snapshot(step);
        }
    }

    /** Run B's first half: 3 steps from seed 1, saved; everything closed afterwards. */
    static Path firstHalf(String name) {
        Path file = dir.resolve(name);
        try (InceptionV3 m = new InceptionV3(backend, SMALL, 1); TrainStep step = new TrainStep(m, CFG)) {
            train(step, 0, 3);
            Checkpoint.save(step, file);
        }
        return file;
    }

    @Test
    void resumingFromACheckpointIsBitIdenticalToNeverStopping() {
        Map<String, float[]> a = straightRun();
        Path file = firstHalf("half.safetensors");
        assertEquals(3, Checkpoint.steps(file));
        assertEquals(CFG, Checkpoint.trainConfig(file));
        assertEquals(SMALL, Checkpoint.modelConfig(file));

        Map<String, float[]> fresh;
        Map<String, float[]> b;
        long[] restored;
        // Resumed into a model of another seed: its weights and its dropout stream both differ until loaded.
        try (InceptionV3 m = new InceptionV3(backend, Checkpoint.modelConfig(file), 2);
             TrainStep step = new TrainStep(m, Checkpoint.trainConfig(file))) {
            fresh = snapshot(step);
            Checkpoint.load(step, file);
            restored = new long[] {step.steps(), step.examplesSeen(), m.dropoutStep(), m.dropoutSeedBase()};
            train(step, 3, 6);
            b = snapshot(step);
        }
        assertEquals(List.of(), differing(a, b), "resumed run differs from the straight one");
        assertEquals(List.of(3L, 12L, 3L, 1L), List.of(restored[0], restored[1], restored[2], restored[3]),
                "steps, examples seen, dropout draws (one per training forward), dropout seed");
        assertEquals(a.size(), differing(a, fresh).size(),
                "the test is meaningless unless every tensor and counter of the fresh run differs from the trained one");
    }

    @Test
    void withoutTheDropoutStreamTheResumedRunDiffers() {
        // The control for the test above: the same resume with the fresh model's own dropout stream kept
        // gives different parameters, so restoring the stream is what makes the resume exact.
        Map<String, float[]> a = straightRun();
        Path file = firstHalf("half-control.safetensors");
        try (InceptionV3 m = new InceptionV3(backend, SMALL, 2); TrainStep step = new TrainStep(m, CFG)) {
            Checkpoint.load(step, file);
            m.restoreDropoutStream(2, 0);   // undo the restore: the fresh model's own stream, as if never restored
            train(step, 3, 6);
            List<String> diff = differing(a, snapshot(step));
            assertTrue(diff.contains("fc.weight") && diff.contains("Conv2d_1a_3x3.conv.weight"), diff.toString());
        }
    }

    @Test
    void badCheckpointsAreRejectedClearlyAndChangeNothing() throws IOException {
        Path good = firstHalf("good.safetensors");
        try (InceptionV3 m = new InceptionV3(backend, SMALL, 5); TrainStep target = new TrainStep(m, CFG)) {
            train(target, 0, 1);
            Map<String, float[]> before = snapshot(target);

            // Truncated: the last 100 bytes lost.
            byte[] bytes = Files.readAllBytes(good);
            Path truncated = dir.resolve("truncated.safetensors");
            Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length - 100));
            assertRejected(target, truncated, "corrupt or truncated", "lie outside the data buffer");

            // Corrupt header: a byte of the JSON replaced.
            byte[] corrupt = bytes.clone();
            corrupt[8] = '[';
            Path bad = dir.resolve("corrupt.safetensors");
            Files.write(bad, corrupt);
            assertRejected(target, bad, "corrupt or truncated");

            assertRejected(target, dir.resolve("nowhere.safetensors"), "does not exist");

            // Plain weights are no checkpoint.
            Path weights = dir.resolve("weights.safetensors");
            WeightsLoader.save(m, weights);
            assertRejected(target, weights, "is not a training checkpoint");

            // Another width: every convolution changes shape.
            Path wide = save(SMALL.withWidthMultiplier(0.5), CFG, "wide.safetensors");
            assertRejected(target, wide, "model.widthMultiplier: 0.5 in the checkpoint, 0.25 here",
                    "mismatched (", "Conv2d_2b_3x3.conv.weight: shape [32,16,3,3] in the checkpoint, [16,16,3,3] here");

            // Another class count: only the classifier's shapes differ.
            Path five = save(SMALL.withNumClasses(5), CFG, "five.safetensors");
            assertRejected(target, five, "model.numClasses: 5 in the checkpoint, 10 here",
                    "fc.weight: shape [5,", "optimizer.fc.bias.rms: shape [5] in the checkpoint, [10] here");

            // Same shapes, other recipe: the tensors would fit, the config does not.
            TrainConfig other = CFG.withLearningRate(LearningRate.constant(0.02)).withWeightDecay(0f);
            Path recipe = save(SMALL, other, "recipe.safetensors");
            var e = assertRejected(target, recipe, "train.learningRate.initial: 0.02 in the checkpoint, 0.01 here",
                    "train.learningRate.decayRate: 1.0 in the checkpoint, 0.94 here",
                    "train.weightDecay: 0.0 in the checkpoint, 4.0E-5 here");
            assertFalse(e.getMessage().contains("missing") || e.getMessage().contains("mismatched"), e.getMessage());

            assertEquals(List.of(), differing(before, snapshot(target)), "a rejected load changed the target");
        }
    }

    @Test
    void everyProblemOfATamperedCheckpointIsReportedAtOnce() {
        Path good = firstHalf("to-tamper.safetensors");
        SafeTensors st = SafeTensors.read(good);
        Path tampered = dir.resolve("tampered.safetensors");
        Path newer = dir.resolve("newer.safetensors");
        try (TensorScope s = TensorScope.open()) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (SafeTensors.Entry e : st.entries().values()) {
                if (!e.name().equals("optimizer.fc.bias.momentum")) {
                    tensors.put(e.name(), Ops.fromArray(backend, e.tensorShape(), e.floats()));
                }
            }
            tensors.put("ema.extra", Ops.zeros(backend, Shape.of(2)));
            Map<String, String> meta = new LinkedHashMap<>(st.metadata());
            meta.put("step", "-1");
            meta.remove("dropout.step");
            meta.put("train.futureField", "7");
            SafeTensors.write(tampered, tensors, meta);
            meta.put(Checkpoint.VERSION_KEY, Integer.toString(Checkpoint.VERSION + 1));
            SafeTensors.write(newer, tensors, meta);
        }
        try (InceptionV3 m = new InceptionV3(backend, SMALL, 5); TrainStep target = new TrainStep(m, CFG)) {
            assertRejected(target, tampered, "nothing restored",
                    "config differs (1): [train.futureField: 7 in the checkpoint, no such field here]",
                    "bad counters (2): ['step' is -1, must be >= 0, 'dropout.step' is absent]",
                    "missing (1): [optimizer.fc.bias.momentum]", "unexpected (1): [ema.extra]");
            assertRejected(target, newer, "has checkpoint version '" + (Checkpoint.VERSION + 1) + "', this code reads " + Checkpoint.VERSION);
        }
    }

    static Path save(InceptionV3.Config model, TrainConfig cfg, String name) {
        Path file = dir.resolve(name);
        try (InceptionV3 m = new InceptionV3(backend, model, 9); TrainStep step = new TrainStep(m, cfg)) {
            Checkpoint.save(step, file);
        }
        return file;
    }

    static IllegalArgumentException assertRejected(TrainStep target, Path file, String... phrases) {
        Map<String, float[]> before = snapshot(target);
        var e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(target, file));
        for (String p : phrases) {
            assertTrue(e.getMessage().contains(p), "'" + p + "' not in: " + e.getMessage());
        }
        assertTrue(e.getMessage().contains(file.getFileName().toString()), e.getMessage());
        assertEquals(List.of(), differing(before, snapshot(target)), "rejecting " + file.getFileName() + " changed the target");
        return e;
    }

    @Test
    void theModelPartLoadsIntoAPlainModelForForward() {
        Path file = dir.resolve("for-forward.safetensors");
        Tensor x = batches.get(0);
        try (InceptionV3 m = new InceptionV3(backend, SMALL, 1); TrainStep step = new TrainStep(m, CFG)) {
            train(step, 0, 2);
            Checkpoint.save(step, file);
            SafeTensors st = SafeTensors.read(file);
            assertEquals("pt", st.metadata().get("format"));
            assertEquals("2", st.metadata().get("step"));
            float[] expected;
            try (TensorScope s = TensorScope.open()) {
                expected = m.forward(x, InceptionV3.Mode.EVAL).logits().toArray();
            }
            try (InceptionV3 plain = new InceptionV3(backend, SMALL, 3)) {
                WeightsLoader.Report r = WeightsLoader.load(plain, file, true);
                assertTrue(r.complete(), r.toString());
                assertEquals(m.parameters().asMap().size(), r.loaded().size());
                assertEquals(2 * m.parameters().trainable().size() + m.parameters().asMap().size(), r.ignored().size(),
                        "the optimizer slots and the averages are ignored");
                try (TensorScope s = TensorScope.open()) {
                    float[] got = plain.forward(x, InceptionV3.Mode.EVAL).logits().toArray();
                    assertEquals(List.of(), differing(Map.of("logits", expected), Map.of("logits", got)));
                }
            }
        }
    }

    @Test
    void saveReplacesAnOlderCheckpointAndLeavesNoTemporaryFile() throws IOException {
        Path file = dir.resolve("replaced/ckpt.safetensors");
        Files.createDirectories(file.getParent());
        try (InceptionV3 m = new InceptionV3(backend, SMALL, 1); TrainStep step = new TrainStep(m, CFG)) {
            Checkpoint.save(step, file);
            train(step, 0, 1);
            Checkpoint.save(step, file);
        }
        assertEquals(1, Checkpoint.steps(file));
        try (var files = Files.list(file.getParent())) {
            assertEquals(List.of(file.getFileName().toString()),
                    files.map(p -> p.getFileName().toString()).toList());
        }
    }
}
