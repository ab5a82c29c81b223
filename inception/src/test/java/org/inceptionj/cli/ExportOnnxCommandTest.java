package org.inceptionj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Backends;
import org.inceptionj.api.Tensor;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.Presets;
import org.inceptionj.inception.io.SafeTensors;
import org.inceptionj.inception.io.WeightsLoader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code export-onnx}: what it writes and the bad input it refuses, each error naming the value. */
class ExportOnnxCommandTest {
    @TempDir
    static Path tmp;
    static Path small;

    /** Weights of inception-v3 at width 0.25 (no model card). */
    @BeforeAll
    static void weights() {
        small = tmp.resolve("small.safetensors");
        try (Backend backend = Backends.load();
             InceptionV3 m = new InceptionV3(backend, Presets.named("inception-v3").withWidthMultiplier(0.25), 4)) {
            WeightsLoader.save(m, small);
        }
    }

    @Test
    void writesTheFileAndSaysWhatItHolds() {
        Path out = tmp.resolve("ok.onnx");
        CliRun r = CliRun.of("export-onnx", "--width", "0.25", "--size", "75", "--weights", small.toString(), "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.isRegularFile(out));
        assertTrue(r.out().contains("opset 17") && r.out().contains("[N,3,75,75]") && r.out().contains("Conv=94"), r.out());

        CliRun again = CliRun.of("export-onnx", "--width", "0.25", "--size", "75", "--weights", small.toString(), "--output", out.toString());
        assertEquals(2, again.code());
        assertTrue(again.err().contains("--output " + out + " already exists") && again.err().contains("--force"), again.err());
        CliRun forced = CliRun.of("export-onnx", "--width", "0.25", "--size", "75", "--weights", small.toString(),
                "--output", out.toString(), "--force");
        assertEquals(0, forced.code(), forced.err());
    }

    @Test
    void weightsThatDoNotMatchThePresetAreNamed() {
        Path out = tmp.resolve("mismatch.onnx");
        // Width 0.25 weights exported as the full-width preset: every mis-shaped tensor is listed.
        CliRun r = CliRun.of("export-onnx", "--weights", small.toString(), "--output", out.toString());
        assertEquals(2, r.code(), r.out());
        assertTrue(r.err().contains("does not match the model") && r.err().contains("Conv2d_1a_3x3.conv.weight: shape"), r.err());
        assertFalse(Files.exists(out), "nothing written");
    }

    @Test
    void missingAndExtraTensorsAreNamed() throws IOException {
        Path partial = tmp.resolve("partial.safetensors");
        Map<String, Tensor> kept = new LinkedHashMap<>();
        try (Backend backend = Backends.load();
             InceptionV3 m = new InceptionV3(backend, Presets.named("inception-v3").withWidthMultiplier(0.25), 4)) {
            kept.putAll(m.parameters().asMap());
            kept.remove("Mixed_6b.branch7x7_2.bn.running_var");
            kept.put("Mixed_9z.extra", m.parameters().asMap().get("fc.bias"));
            SafeTensors.write(partial, kept, Map.of());
        }
        CliRun r = CliRun.of("export-onnx", "--width", "0.25", "--weights", partial.toString(), "--output", tmp.resolve("p.onnx").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("missing (1): [Mixed_6b.branch7x7_2.bn.running_var]"), r.err());
        assertTrue(r.err().contains("unexpected (1): [Mixed_9z.extra]"), r.err());
    }

    @Test
    void badOptionsAreNamed() {
        String w = small.toString(), o = tmp.resolve("bad.onnx").toString();
        assertError("--preset inception-v9 is not one of", "export-onnx", "--preset", "inception-v9", "--weights", w, "--output", o);
        assertError("--width 0.0 must be in", "export-onnx", "--width", "0", "--weights", w, "--output", o);
        assertError("--size 74 is outside [75, 2048]", "export-onnx", "--width", "0.25", "--size", "74", "--weights", w, "--output", o);
        assertError("--size 4096 is outside", "export-onnx", "--width", "0.25", "--size", "4096", "--weights", w, "--output", o);
        assertError("--weights " + tmp.resolve("none.safetensors") + ": no such file", "export-onnx",
                "--weights", tmp.resolve("none.safetensors").toString(), "--output", o);
        assertError("must end in .onnx", "export-onnx", "--width", "0.25", "--weights", w, "--output", tmp.resolve("x.bin").toString());
        assertError("does not exist", "export-onnx", "--width", "0.25", "--weights", w, "--output", tmp.resolve("no/dir/x.onnx").toString());
        assertFalse(Files.exists(tmp.resolve("bad.onnx")));
    }

    @Test
    void aPresetThatContradictsTheWeightsModelCardIsRefused() {
        Path carded = tmp.resolve("carded.safetensors");
        try (Backend backend = Backends.load();
             InceptionV3 m = new InceptionV3(backend, Presets.named("inception-v3").withWidthMultiplier(0.25).withNumClasses(3)
                     .withAuxLogits(false), 4)) {
            WeightsLoader.save(m, carded, new org.inceptionj.inception.io.ModelCard(m.config(),
                    java.util.List.of("a", "b", "c"), 75, "resize", false));
        }
        // The card alone decides: no flags needed.
        CliRun ok = CliRun.of("export-onnx", "--weights", carded.toString(), "--output", tmp.resolve("card.onnx").toString());
        assertEquals(0, ok.code(), ok.err());
        assertTrue(ok.out().contains("[N,3,75,75]") && ok.out().contains("'logits' [N,3]"), ok.out());
        // TF-slim pools at the card's width: the tensors would load, the network would differ.
        assertError("--preset inception-v3-tf --width 0.25 does not match the architecture recorded in --weights", "export-onnx",
                "--preset", "inception-v3-tf", "--width", "0.25", "--weights", carded.toString(), "--output", tmp.resolve("tf.onnx").toString());
    }

    private static void assertError(String expected, String... args) {
        CliRun r = CliRun.of(args);
        assertEquals(2, r.code(), String.join(" ", args) + "\n" + r.out() + r.err());
        assertTrue(r.err().contains(expected), "expected '" + expected + "' in: " + r.err());
    }
}
