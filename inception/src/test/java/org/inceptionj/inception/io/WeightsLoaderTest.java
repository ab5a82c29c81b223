package org.inceptionj.inception.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
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
import org.inceptionj.inception.Parameters;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Saving and loading Inception-v3 under torchvision's state-dict names (spec §10). */
class WeightsLoaderTest {
    static final InceptionV3.Config NO_AUX = new InceptionV3.Config(10, false, true, 0.5f);
    static final InceptionV3.Config WITH_AUX = new InceptionV3.Config(10, true, true, 0.5f);

    static Backend backend;
    /** Saved weights of a model whose every tensor, BN statistics included, differs from a fresh model's. */
    static InceptionV3 source;
    static Path sourceFile;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() {
        backend = Backends.load();
        source = new InceptionV3(backend, NO_AUX, 1);
        perturb(source, 99);
        sourceFile = dir.resolve("source.safetensors");
        WeightsLoader.save(source, sourceFile);
    }

    @AfterAll
    static void stop() {
        source.close();
        assertEquals(0, backend.liveBytes(), "every model and tensor closed");
        backend.close();
    }

    /**
     * Overwrites every tensor with seeded values (running variances positive), so a load that
     * skipped any tensor, BN buffers included, would be visible against a fresh model.
     */
    static void perturb(InceptionV3 m, long seed) {
        java.util.Random r = new java.util.Random(seed);
        for (var e : m.parameters().asMap().entrySet()) {
            Tensor t = e.getValue();
            float[] v = new float[t.size()];
            boolean variance = e.getKey().endsWith(".running_var");
            for (int k = 0; k < v.length; k++) {
                float g = (float) r.nextGaussian() * 0.05f;
                v[k] = variance ? 0.5f + Math.abs(g) : g;
            }
            t.backend().write(t, v, 0);
        }
    }

    static Map<String, float[]> snapshot(InceptionV3 m) {
        Map<String, float[]> out = new LinkedHashMap<>();
        m.parameters().asMap().forEach((k, t) -> out.put(k, t.toArray()));
        return out;
    }

    static boolean bitEqual(float[] a, float[] b) {
        if (a.length != b.length) {
            return false;
        }
        for (int k = 0; k < a.length; k++) {
            if (Float.floatToRawIntBits(a[k]) != Float.floatToRawIntBits(b[k])) {
                return false;
            }
        }
        return true;
    }

    static float[] evalLogits(InceptionV3 m) {
        float[] x = new float[3 * 75 * 75];
        for (int k = 0; k < x.length; k++) {
            x[k] = (float) Math.cos(0.37 * k);
        }
        try (TensorScope s = TensorScope.open()) {
            Tensor in = Ops.fromArray(backend, Shape.of(1, 3, 75, 75), x);
            return m.forward(in, InceptionV3.Mode.EVAL).logits().toArray();
        }
    }

    @Test
    void saveThenLoadReproducesEveryTensorAndTheLogitsBitExactly() {
        Map<String, float[]> expected = snapshot(source);
        try (InceptionV3 target = new InceptionV3(backend, NO_AUX, 2)) {
            Map<String, float[]> before = snapshot(target);
            long differing = expected.keySet().stream().filter(k -> !bitEqual(expected.get(k), before.get(k))).count();
            assertEquals(expected.size(), differing, "the test is meaningless unless every tensor starts different");

            WeightsLoader.Report r = WeightsLoader.load(target, sourceFile, true);
            assertTrue(r.complete(), r.toString());
            assertEquals(List.copyOf(expected.keySet()), r.loaded(), "state-dict order kept");
            Map<String, float[]> after = snapshot(target);
            for (String k : expected.keySet()) {
                assertTrue(bitEqual(expected.get(k), after.get(k)), k);
            }
            assertTrue(bitEqual(evalLogits(source), evalLogits(target)), "eval logits bit-exact");
        }
    }

    @Test
    void theSavedFileHasTorchvisionNamesShapesAndOrder() {
        SafeTensors st = SafeTensors.read(sourceFile);
        assertEquals(List.copyOf(source.parameters().asMap().keySet()), List.copyOf(st.entries().keySet()));
        assertEquals("Conv2d_1a_3x3.conv.weight", st.entries().keySet().iterator().next());
        assertEquals(Shape.of(192, 160, 1, 7), st.entries().get("Mixed_6c.branch7x7dbl_5.conv.weight").tensorShape());
        assertEquals(Shape.of(10, 2048), st.entries().get("fc.weight").tensorShape());
        assertEquals(Map.of("format", "pt"), st.metadata());
    }

    /** The source's tensors as a file, edited: fc.bias dropped, one key added, one conv weight reshaped. */
    static Path editedFile() {
        Path f = dir.resolve("edited.safetensors");
        try (TensorScope s = TensorScope.open()) {
            Map<String, Tensor> m = new LinkedHashMap<>(source.parameters().asMap());
            m.remove("fc.bias");
            m.put("Mixed_9z.conv.weight", Ops.zeros(backend, Shape.of(2, 2)));
            m.put("Mixed_5b.branch1x1.conv.weight", Ops.zeros(backend, Shape.of(64, 192, 3, 3)));
            SafeTensors.write(f, m, null);
        }
        return f;
    }

    @Test
    void strictLoadReportsMissingUnexpectedAndMisshapedAtOnceAndChangesNothing() {
        Path f = editedFile();
        try (InceptionV3 target = new InceptionV3(backend, NO_AUX, 3)) {
            Map<String, float[]> before = snapshot(target);
            var e = assertThrows(IllegalArgumentException.class, () -> WeightsLoader.load(target, f, true));
            String m = e.getMessage();
            assertTrue(m.contains("missing (1): [fc.bias]"), m);
            assertTrue(m.contains("unexpected (1): [Mixed_9z.conv.weight]"), m);
            assertTrue(m.contains("mismatched (1): [Mixed_5b.branch1x1.conv.weight: shape [64,192,3,3] in the file,"
                    + " [64,192,1,1] in the model]"), m);
            Map<String, float[]> after = snapshot(target);
            for (String k : before.keySet()) {
                assertTrue(bitEqual(before.get(k), after.get(k)), "a failed strict load changed " + k);
            }
        }
    }

    @Test
    void lenientLoadTakesWhatMatchesAndReportsTheRest() {
        Path f = editedFile();
        Map<String, float[]> expected = snapshot(source);
        try (InceptionV3 target = new InceptionV3(backend, NO_AUX, 4)) {
            float[] fcBiasBefore = target.parameters().asMap().get("fc.bias").toArray();
            float[] convBefore = target.parameters().asMap().get("Mixed_5b.branch1x1.conv.weight").toArray();
            WeightsLoader.Report r = WeightsLoader.load(target, f, false);
            assertEquals(List.of("fc.bias"), r.missing());
            assertEquals(List.of("Mixed_9z.conv.weight"), r.unexpected());
            assertEquals(1, r.mismatched().size());
            assertTrue(r.mismatched().get(0).startsWith("Mixed_5b.branch1x1.conv.weight"), r.toString());
            assertEquals(expected.size() - 2, r.loaded().size());
            assertFalse(r.complete());
            Map<String, float[]> after = snapshot(target);
            for (String k : r.loaded()) {
                assertTrue(bitEqual(expected.get(k), after.get(k)), k);
            }
            assertTrue(bitEqual(fcBiasBefore, after.get("fc.bias")), "missing key left alone");
            assertTrue(bitEqual(convBefore, after.get("Mixed_5b.branch1x1.conv.weight")), "mis-shaped key left alone");
        }
    }

    @Test
    void auxLogitsKeysAreSkippedWithoutTheHeadAndRequiredWithIt() throws IOException {
        Path f = dir.resolve("aux.safetensors");
        try (InceptionV3 aux = new InceptionV3(backend, WITH_AUX, 5)) {
            WeightsLoader.save(aux, f);
            List<String> auxKeys = aux.parameters().asMap().keySet().stream()
                    .filter(k -> k.startsWith("AuxLogits.")).toList();
            assertEquals(2 * 5 + 2, auxKeys.size());
            try (InceptionV3 plain = new InceptionV3(backend, NO_AUX, 6)) {
                WeightsLoader.Report r = WeightsLoader.load(plain, f, true);
                assertTrue(r.complete(), r.toString());
                assertEquals(auxKeys, r.ignored());
                assertTrue(bitEqual(aux.parameters().asMap().get("fc.weight").toArray(),
                        plain.parameters().asMap().get("fc.weight").toArray()));
            }
            // The other way round the aux head's weights are missing: a strict load says which.
            var e = assertThrows(IllegalArgumentException.class, () -> WeightsLoader.load(aux, sourceFile, true));
            assertTrue(e.getMessage().contains("missing (12): [AuxLogits.conv0.conv.weight"), e.getMessage());
        }
    }

    @Test
    void numBatchesTrackedIsAcceptedAndIgnored() throws IOException {
        // A torchvision-style file written byte by byte: every tensor of the source plus one
        // I64 [] num_batches_tracked after each BN's running_var.
        StringBuilder h = new StringBuilder("{");
        RawFile raw = new RawFile();
        List<String> counters = new ArrayList<>();
        for (var e : source.parameters().asMap().entrySet()) {
            h.append(h.length() > 1 ? "," : "");
            long begin = raw.dataSize();
            raw.f32(e.getValue().toArray());
            h.append('"').append(e.getKey()).append("\":{\"dtype\":\"F32\",\"shape\":")
                    .append(Arrays.toString(e.getValue().shape().dims()).replace(" ", ""))
                    .append(",\"data_offsets\":[").append(begin).append(',').append(raw.dataSize()).append("]}");
            if (e.getKey().endsWith(".bn.running_var")) {
                String name = e.getKey().replace("running_var", "num_batches_tracked");
                counters.add(name);
                begin = raw.dataSize();
                raw.i64(12345L);
                h.append(",\"").append(name).append("\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[")
                        .append(begin).append(',').append(raw.dataSize()).append("]}");
            }
        }
        h.append('}');
        Path f = dir.resolve("torchvision-style.safetensors");
        Files.write(f, raw.build(h.toString()));

        try (InceptionV3 target = new InceptionV3(backend, NO_AUX, 7)) {
            WeightsLoader.Report r = WeightsLoader.load(target, f, true);
            assertTrue(r.complete(), r.toString());
            assertEquals(94, counters.size(), "one counter per BasicConv2d without the aux head");
            assertEquals(counters, r.ignored());
            assertTrue(bitEqual(source.parameters().asMap().get("Mixed_7c.branch_pool.bn.running_mean").toArray(),
                    target.parameters().asMap().get("Mixed_7c.branch_pool.bn.running_mean").toArray()));
        }
    }

    @Test
    void aTrainingCheckpointsOptimizerAndAverageKeysAreIgnoredAndOnlyThose() {
        // A checkpoint holds the model under torchvision names plus optimizer.* and ema.*: a strict load
        // takes the model part. A look-alike name without the dot is still unexpected.
        Path f = dir.resolve("checkpoint-like.safetensors");
        try (TensorScope s = TensorScope.open()) {
            Map<String, Tensor> all = new LinkedHashMap<>(source.parameters().asMap());
            Tensor fc = source.parameters().asMap().get("fc.weight");
            all.put("optimizer.fc.weight.rms", Ops.full(backend, fc.shape(), 1f));
            all.put("optimizer.fc.weight.momentum", Ops.zeros(backend, fc.shape()));
            all.put("ema.fc.weight", Ops.zeros(backend, fc.shape()));
            SafeTensors.write(f, all, Map.of("format", "pt"));
            try (InceptionV3 target = new InceptionV3(backend, NO_AUX, 5)) {
                WeightsLoader.Report r = WeightsLoader.load(target, f, true);
                assertTrue(r.complete(), r.toString());
                assertEquals(List.of("optimizer.fc.weight.rms", "optimizer.fc.weight.momentum", "ema.fc.weight"), r.ignored());
                assertTrue(bitEqual(fc.toArray(), target.parameters().asMap().get("fc.weight").toArray()));
            }
            all.put("emaX.fc.weight", Ops.zeros(backend, fc.shape()));
            SafeTensors.write(f, all, Map.of("format", "pt"));
            try (InceptionV3 target = new InceptionV3(backend, NO_AUX, 5)) {
                var e = assertThrows(IllegalArgumentException.class, () -> WeightsLoader.load(target, f, true));
                assertTrue(e.getMessage().contains("unexpected (1): [emaX.fc.weight]"), e.getMessage());
            }
        }
    }

    @Test
    void aFileForAnotherArchitectureIsRejectedClearly() {
        Path f = dir.resolve("resnet.safetensors");
        try (TensorScope s = TensorScope.open()) {
            Map<String, Tensor> m = new LinkedHashMap<>();
            m.put("conv1.weight", Ops.zeros(backend, Shape.of(64, 3, 7, 7)));
            m.put("bn1.running_mean", Ops.zeros(backend, Shape.of(64)));
            m.put("fc.weight", Ops.zeros(backend, Shape.of(10, 2048)));
            m.put("fc.bias", Ops.zeros(backend, Shape.of(10)));
            SafeTensors.write(f, m, null);
        }
        try (InceptionV3 target = new InceptionV3(backend, NO_AUX, 8)) {
            int expected = target.parameters().asMap().size();
            for (boolean strict : new boolean[] {true, false}) {
                var e = assertThrows(IllegalArgumentException.class, () -> WeightsLoader.load(target, f, strict));
                String msg = e.getMessage();
                assertTrue(msg.contains("does not look like Inception-v3: " + (expected - 2) + " of " + expected
                        + " expected keys missing, e.g. [Conv2d_1a_3x3.conv.weight"), msg);
                assertTrue(msg.contains("conv1.weight"), msg);
            }
        }
    }

    @Test
    void aWrongDtypeIsAMismatch() {
        // fc.bias stored as I64 (hand-built), everything else matching.
        Map<String, Tensor> params = source.parameters().asMap();
        StringBuilder h = new StringBuilder("{");
        RawFile raw = new RawFile();
        for (var e : params.entrySet()) {
            h.append(h.length() > 1 ? "," : "");
            long begin = raw.dataSize();
            boolean asLong = e.getKey().equals("fc.bias");
            if (asLong) {
                raw.i64(new long[e.getValue().size()]);
            } else {
                raw.f32(e.getValue().toArray());
            }
            h.append('"').append(e.getKey()).append("\":{\"dtype\":\"").append(asLong ? "I64" : "F32")
                    .append("\",\"shape\":").append(Arrays.toString(e.getValue().shape().dims()).replace(" ", ""))
                    .append(",\"data_offsets\":[").append(begin).append(',').append(raw.dataSize()).append("]}");
        }
        Path f = dir.resolve("dtype.safetensors");
        try {
            Files.write(f, raw.build(h.append('}').toString()));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        try (InceptionV3 target = new InceptionV3(backend, NO_AUX, 9)) {
            WeightsLoader.Report r = WeightsLoader.load(target, f, false);
            assertEquals(List.of("fc.bias: dtype I64 in the file, F32 in the model"), r.mismatched());
            assertTrue(Parameters.isRunningStatistic(r.loaded().get(4)), "BN buffers load like parameters");
        }
    }
}
