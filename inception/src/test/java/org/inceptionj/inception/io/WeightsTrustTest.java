package org.inceptionj.inception.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Backends;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.Presets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A weights file is untrusted: the configuration it implies (its class count, its model card) is checked
 * before a model is built from it, and values a model must not hold are refused.
 */
class WeightsTrustTest {
    /** The smallest width (every convolution at 16 channels): 160 thousand parameters, quick to build and save. */
    static final InceptionV3.Config TINY = new InceptionV3.Config(10, false, true, 0.5f).withWidthMultiplier(0.01);
    static final List<String> CLASSES = List.of("c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9");

    static Backend backend;

    @TempDir
    static Path dir;
    static Path carded;

    @BeforeAll
    static void start() {
        backend = Backends.load("cpu");
        carded = dir.resolve("carded.safetensors");
        try (InceptionV3 m = new InceptionV3(backend, TINY, 1)) {
            WeightsLoader.save(m, carded, new ModelCard(TINY, CLASSES, 75, "resize", false));
        }
    }

    @AfterAll
    static void stop() {
        assertEquals(0, backend.liveBytes(), "every model and tensor closed");
        backend.close();
    }

    /** {@code from}'s tensors and metadata, edited, written by {@link SafeTensors#write} (so with a valid checksum). */
    static Path rewrite(Path from, String name, Map<String, String> metadata, BiConsumer<String, float[]> edit) {
        SafeTensors st = SafeTensors.read(from);
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

    static InvalidFileException assertRefused(Path file, Runnable load, String... phrases) {
        var e = assertThrows(InvalidFileException.class, load::run);
        for (String p : phrases) {
            assertTrue(e.getMessage().contains(p), "'" + p + "' not in: " + e.getMessage());
        }
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        return e;
    }

    @Test
    void aTinyFileClaimingAMillionClassesIsRefusedBeforeAModelIsBuilt() throws IOException {
        // The format allows a [1000000, 0] tensor of no bytes; the class count read from it must not be believed.
        Path f = dir.resolve("million.safetensors");
        Files.write(f, new RawFile().build("{\"fc.weight\":{\"dtype\":\"F32\",\"shape\":[1000000,0],\"data_offsets\":[0,0]}}"));
        assertTrue(Files.size(f) < 100, Files.size(f) + " bytes");
        SafeTensors st = SafeTensors.read(f);
        assertRefused(f, () -> WeightsLoader.fitHeads(Presets.named("inception-v3"), st), "1000000", "fc.weight");
    }

    @Test
    void aClassCountWhoseRowsDoNotFitTheClassifierIsNotTaken() throws IOException {
        // [5, 7]: five classes of a classifier reading 7 features; the model reads 2048, so K is not adopted
        // and the strict load reports the mismatch instead.
        Path f = dir.resolve("five-by-seven.safetensors");
        Files.write(f, new RawFile().f32(new float[35]).build(
                "{\"fc.weight\":{\"dtype\":\"F32\",\"shape\":[5,7],\"data_offsets\":[0,140]}}"));
        InceptionV3.Config base = Presets.named("inception-v3");
        assertEquals(base.numClasses(), WeightsLoader.fitHeads(base, SafeTensors.read(f)).numClasses());
    }

    @Test
    void aModelCardDescribingAModelLargerThanItsFileIsRefused() {
        Path wide = rewrite(carded, "wide.safetensors", Map.of("model.widthMultiplier", "4.0"), (n, v) -> { });
        assertRefused(wide, () -> ModelCard.read(SafeTensors.read(wide), wide), "the configuration does not belong");
        Path many = rewrite(carded, "many.safetensors", Map.of("model.numClasses", "1000000"), (n, v) -> { });
        assertRefused(many, () -> ModelCard.read(SafeTensors.read(many), many), "numClasses", "1000000");
        Path side = rewrite(carded, "side.safetensors", Map.of("inceptionj.input_size", "1000000000"), (n, v) -> { });
        assertRefused(side, () -> ModelCard.read(SafeTensors.read(side), side), "input size", "1000000000");
        Path nan = rewrite(carded, "nan-dropout.safetensors", Map.of("model.dropout", "NaN"), (n, v) -> { });
        assertRefused(nan, () -> ModelCard.read(SafeTensors.read(nan), nan), "model.dropout");
    }

    @Test
    void nonFiniteWeightsAreRefusedNamingTheTensorsAndNothingIsLoaded() {
        Path bad = rewrite(carded, "nan.safetensors", Map.of(), (name, v) -> {
            if (name.equals("fc.weight")) {
                v[3] = Float.NaN;
            } else if (name.equals("Mixed_7c.branch_pool.bn.running_var")) {
                v[0] = Float.POSITIVE_INFINITY;
            }
        });
        try (InceptionV3 m = new InceptionV3(backend, TINY, 2)) {
            float[] before = m.parameters().asMap().get("fc.weight").toArray();
            assertRefused(bad, () -> WeightsLoader.load(m, bad, true), "fc.weight: NaN at index 3",
                    "Mixed_7c.branch_pool.bn.running_var: Infinity at index 0", "non-finite");
            assertTrue(java.util.Arrays.equals(before, m.parameters().asMap().get("fc.weight").toArray()), "nothing loaded");
        }
    }
}
