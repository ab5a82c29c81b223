package org.inceptionj.inception.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Backends;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.io.InvalidFileException;
import org.inceptionj.inception.io.SafeTensors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint is a file like any other: a tampered configuration is refused before a model is built
 * from it, and tampered values, counters or bytes before anything is restored.
 */
class CheckpointTrustTest {
    /** The smallest width (every convolution at 16 channels) at 75×75: a step takes milliseconds. */
    static final InceptionV3.Config TINY = new InceptionV3.Config(10, false, true, 0.5f).withWidthMultiplier(0.01);
    /** The paper's recipe (RMSProp, EMA) with 4-example epochs, as CheckpointTest's. */
    static final TrainConfig CFG = TrainConfig.paper().withLearningRate(LearningRate.paper().withInitial(0.01))
            .withExamplesPerEpoch(4).withClipping(GradientClipping.Mode.NONE, 2f);

    static Backend backend;

    @TempDir
    static Path dir;
    /** Three steps of batches of 4: step 3, examplesSeen 12. */
    static Path good;

    @BeforeAll
    static void start() {
        backend = Backends.load("cpu");
        good = dir.resolve("good.safetensors");
        try (InceptionV3 m = new InceptionV3(backend, TINY, 1); TrainStep step = new TrainStep(m, CFG)) {
            for (int k = 0; k < 3; k++) {
                try (TensorScope s = TensorScope.open()) {
                    step.run(Ops.uniform(backend, Shape.of(4, 3, 75, 75), 10 + k, -1f, 1f), new int[] {k, 1, 2, 3});
                }
            }
            Checkpoint.save(step, good);
        }
    }

    @AfterAll
    static void stop() {
        assertEquals(0, backend.liveBytes(), "every model, slot, shadow and batch closed");
        backend.close();
    }

    /** {@code good} with metadata entries replaced and tensors edited, rewritten (so with a valid checksum). */
    static Path tampered(String name, Map<String, String> metadata, BiConsumer<String, float[]> edit) {
        SafeTensors st = SafeTensors.read(good);
        Path to = dir.resolve(name);
        Map<String, String> meta = new LinkedHashMap<>(st.metadata());
        meta.putAll(metadata);
        try (TensorScope s = TensorScope.open()) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (SafeTensors.Entry e : st.entries().values()) {
                float[] v = e.floats().clone();
                edit.accept(e.name(), v);
                tensors.put(e.name(), Ops.fromArray(backend, e.tensorShape(), v));
            }
            SafeTensors.write(to, tensors, meta);
        }
        return to;
    }

    static Path tampered(String name, String key, String value) {
        return tampered(name, Map.of(key, value), (n, v) -> { });
    }

    static void assertRefused(Path file, Runnable action, String... phrases) {
        var e = assertThrows(InvalidFileException.class, action::run);
        for (String p : phrases) {
            assertTrue(e.getMessage().contains(p), "'" + p + "' not in: " + e.getMessage());
        }
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    /** Loads {@code file} the way a resume does: configs from the file, a model built from them, then load. */
    static void resume(Path file) {
        InceptionV3.Config model = Checkpoint.modelConfig(file);
        TrainConfig train = Checkpoint.trainConfig(file);
        try (InceptionV3 m = new InceptionV3(backend, model, 0); TrainStep step = new TrainStep(m, train)) {
            Checkpoint.load(step, file);
        }
    }

    @Test
    void theUntamperedCheckpointResumes() {
        resume(good);
    }

    @Test
    void aTamperedConfigurationIsRefusedBeforeAnyModelIsBuilt() {
        Path classes = tampered("classes.safetensors", "model.numClasses", "1000000");
        assertRefused(classes, () -> Checkpoint.modelConfig(classes), "numClasses", "1000000");
        Path wide = tampered("wide.safetensors", "model.widthMultiplier", "4.0");
        assertRefused(wide, () -> Checkpoint.modelConfig(wide), "the configuration does not belong", "width 4.0");
        Path stride = tampered("stride.safetensors", "model.firstStride", "1000000");
        assertRefused(stride, () -> Checkpoint.modelConfig(stride), "firstStride", "1000000");
        Path odd = tampered("odd.safetensors", "model.dropout", "0x1p-1");
        assertRefused(odd, () -> Checkpoint.modelConfig(odd), "model.dropout");
    }

    @Test
    void nonFiniteParametersStatisticsSlotsAndAveragesAreRefusedNamingEach() {
        Path bad = tampered("nan.safetensors", Map.of(), (name, v) -> {
            switch (name) {
                case "fc.weight" -> v[5] = Float.NaN;
                case "Conv2d_1a_3x3.bn.running_mean" -> v[0] = Float.NEGATIVE_INFINITY;
                case "optimizer.fc.bias.rms" -> v[1] = Float.POSITIVE_INFINITY;
                case "ema.fc.bias" -> v[2] = Float.NaN;
                default -> { }
            }
        });
        assertRefused(bad, () -> resume(bad), "nothing restored", "non-finite values (4)", "fc.weight: NaN at index 5",
                "Conv2d_1a_3x3.bn.running_mean: -Infinity at index 0", "optimizer.fc.bias.rms: Infinity at index 1",
                "ema.fc.bias: NaN at index 2");
    }

    @Test
    void countersOutOfRangeOrInconsistentAreRefusedNamingFieldAndValue() {
        Path huge = tampered("huge-step.safetensors", "step", "99999999999");
        assertRefused(huge, () -> resume(huge), "'step' is 99999999999, more than the limit of 2147483647");
        assertRefused(huge, () -> Checkpoint.steps(huge), "'step' is 99999999999");
        Path fewer = tampered("fewer.safetensors", "examplesSeen", "2");
        assertRefused(fewer, () -> resume(fewer), "'examplesSeen' is 2, fewer than the 3 steps");
        Path more = tampered("more.safetensors", "examplesSeen", "13");
        assertRefused(more, () -> resume(more), "'examplesSeen' is 13, more than 3 steps of at most one epoch (4 examples)");
        Path dropout = tampered("dropout.safetensors", "dropout.step", "-5");
        assertRefused(dropout, () -> resume(dropout), "'dropout.step' is -5, must be >= 0");
        // Within every bound: 3 steps of 1 to 4 examples (some skipped) resume.
        resume(tampered("skipped.safetensors", "examplesSeen", "3"));
    }

    @Test
    void aFlippedByteInTheDataIsRefusedByTheChecksum() throws IOException {
        byte[] bytes = Files.readAllBytes(good);
        int start = (int) (8 + ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0));
        java.util.Random random = new java.util.Random(3);
        for (int k = 0; k < 20; k++) {
            byte[] copy = bytes.clone();
            copy[start + random.nextInt(bytes.length - start)] ^= (byte) (1 << random.nextInt(8));
            Path flipped = dir.resolve("flipped.safetensors");
            Files.write(flipped, copy);
            assertRefused(flipped, () -> resume(flipped), "data checksum mismatch", "the file is corrupt");
        }
    }
}
