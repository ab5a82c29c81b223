package org.inceptionj.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Backends;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.Presets;
import org.inceptionj.inception.io.SafeTensors;
import org.inceptionj.inception.io.WeightsLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ForwardCommandTest {
    @TempDir
    Path tmp;

    private static int run(ByteArrayOutputStream err, String... args) {
        PrintStream old = System.err;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            return Main.run(args);
        } finally {
            System.setErr(old);
        }
    }

    @Test
    void writesTheSameLogitsAsTheModelAndEveryModuleOutput() {
        Path weights = tmp.resolve("w.safetensors"), input = tmp.resolve("x.safetensors"), output = tmp.resolve("y.safetensors");
        float[] expected;
        try (Backend backend = Backends.load();
             InceptionV3 m = new InceptionV3(backend, Presets.named("inception-v3"), 9);
             TensorScope s = TensorScope.open()) {
            WeightsLoader.save(m, weights);
            Tensor x = Ops.uniform(backend, Shape.of(1, 3, 80, 77), 4, -1f, 1f);
            SafeTensors.write(input, Map.of("input", x), Map.of());
            expected = m.forward(x, InceptionV3.Mode.EVAL).logits().toArray();
        }
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = run(err, "forward", "--weights", weights.toString(), "--input", input.toString(),
                "--output", output.toString(), "--capture");
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        SafeTensors y = SafeTensors.read(output);
        assertArrayEquals(expected, y.entries().get("logits").floats(), "bit-exact logits");
        for (String name : new String[] {"Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "maxpool1", "Conv2d_3b_1x1",
                "Conv2d_4a_3x3", "maxpool2", "Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c",
                "Mixed_6d", "Mixed_6e", "Mixed_7a", "Mixed_7b", "Mixed_7c", "avgpool"}) {
            assertTrue(y.entries().containsKey(name), name + " captured: " + y.entries().keySet());
        }
        assertEquals(Shape.of(1, 2048, 1, 1), y.entries().get("avgpool").tensorShape());
        assertEquals(Shape.of(1, 32, 39, 38), y.entries().get("Conv2d_1a_3x3").tensorShape());
    }

    /**
     * A checkpoint from a model built with aux_logits=False and 10 classes loads into the default preset (the
     * heads follow the file), and --transform-input gives the logits of a model built with transform_input.
     */
    @Test
    void headsFollowTheCheckpointAndTransformInputIsAnOption() {
        Path weights = tmp.resolve("w10.safetensors"), input = tmp.resolve("x.safetensors");
        InceptionV3.Config tenNoAux = Presets.named("inception-v3").withAuxLogits(false).withNumClasses(10);
        float[] plain;
        float[] transformed;
        try (Backend backend = Backends.load();
             InceptionV3 m = new InceptionV3(backend, tenNoAux, 3);
             InceptionV3 t = new InceptionV3(backend, tenNoAux.withTransformInput(true), 3);
             TensorScope s = TensorScope.open()) {
            WeightsLoader.save(m, weights);
            Tensor x = Ops.uniform(backend, Shape.of(2, 3, 75, 75), 8, -2f, 2f);
            SafeTensors.write(input, Map.of("input", x), Map.of());
            plain = m.forward(x, InceptionV3.Mode.EVAL).logits().toArray();
            transformed = t.forward(x, InceptionV3.Mode.EVAL).logits().toArray();
        }
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Path out1 = tmp.resolve("y1.safetensors"), out2 = tmp.resolve("y2.safetensors");
        assertEquals(0, run(err, "forward", "--weights", weights.toString(), "--input", input.toString(),
                "--output", out1.toString()), err.toString(StandardCharsets.UTF_8));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("10 classes and no aux head"), err.toString(StandardCharsets.UTF_8));
        assertEquals(0, run(err, "forward", "--weights", weights.toString(), "--input", input.toString(),
                "--output", out2.toString(), "--transform-input"), err.toString(StandardCharsets.UTF_8));
        SafeTensors y1 = SafeTensors.read(out1), y2 = SafeTensors.read(out2);
        assertArrayEquals(plain, y1.entries().get("logits").floats());
        assertArrayEquals(transformed, y2.entries().get("logits").floats());
        assertEquals("true", y2.metadata().get("transform_input"));
        assertTrue(!java.util.Arrays.equals(plain, transformed), "the transform changes the logits");
    }

    /** compare finds the first module where two captures part: a changed Mixed_6b weight shows at Mixed_6b. */
    @Test
    void compareNamesTheFirstModuleWhereTwoCapturesPart() {
        Path w1 = tmp.resolve("w1.safetensors"), w2 = tmp.resolve("w2.safetensors"), input = tmp.resolve("x.safetensors");
        InceptionV3.Config c = Presets.named("inception-v3").withAuxLogits(false).withNumClasses(10);
        try (Backend backend = Backends.load();
             InceptionV3 m = new InceptionV3(backend, c, 4);
             TensorScope s = TensorScope.open()) {
            WeightsLoader.save(m, w1);
            Tensor w = m.parameters().asMap().get("Mixed_6b.branch1x1.conv.weight");
            float[] v = w.toArray();
            for (int i = 0; i < v.length; i += 7) {
                v[i] = -v[i];
            }
            backend.write(w, v, 0);
            WeightsLoader.save(m, w2);
            SafeTensors.write(input, Map.of("input", Ops.uniform(backend, Shape.of(1, 3, 75, 75), 2, -1f, 1f)), Map.of());
        }
        Path y1 = tmp.resolve("y1.safetensors"), y2 = tmp.resolve("y2.safetensors"), y3 = tmp.resolve("y3.safetensors");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        for (Path[] run : new Path[][] {{w1, y1}, {w2, y2}, {w1, y3}}) {
            assertEquals(0, run(err, "forward", "--weights", run[0].toString(), "--input", input.toString(),
                    "--output", run[1].toString(), "--capture"), err.toString(StandardCharsets.UTF_8));
        }
        CliRun same = CliRun.of("compare", y1.toString(), y3.toString());
        assertEquals(0, same.code(), same.out() + same.err());
        assertTrue(same.out().contains("all 20 shared tensors within"), same.out());
        CliRun differ = CliRun.of("compare", y2.toString(), y1.toString());
        assertEquals(1, differ.code(), differ.out() + differ.err());
        assertTrue(differ.out().contains("first tensor above 1.0E-4: Mixed_6b"), differ.out());
        String mixed6a = differ.out().lines().filter(l -> l.startsWith("Mixed_6a ")).findFirst().orElseThrow();
        assertTrue(mixed6a.contains("0.000e+00") && !mixed6a.contains("<-"), mixed6a);
        CliRun nothing = CliRun.of("compare", y1.toString(), input.toString());
        assertEquals(2, nothing.code());
        assertTrue(nothing.err().contains("share no F32 tensor"), nothing.err());
    }

    @Test
    void badPresetsAndInputsAreOneLineErrors() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Path nowhere = tmp.resolve("missing.safetensors");
        int code = run(err, "forward", "--preset", "inception-v9", "--weights", nowhere.toString(), "--input",
                nowhere.toString(), "--output", tmp.resolve("o").toString());
        String m = err.toString(StandardCharsets.UTF_8);
        assertEquals(2, code, m);
        assertTrue(m.contains("unknown preset 'inception-v9'") && m.contains("inception-v3-tf"), m);
        err.reset();
        code = run(err, "forward", "--weights", nowhere.toString(), "--input", nowhere.toString(), "--output",
                tmp.resolve("o").toString());
        assertEquals(2, code);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("missing.safetensors"), err.toString(StandardCharsets.UTF_8));
    }

    /**
     * --output is checked before anything is read or run (the inputs here are not even safetensors, so
     * a later check would report them instead): a missing folder, a folder given as the file, and the
     * input file itself are errors naming --output and the path.
     */
    @Test
    void theOutputIsCheckedBeforeTheModelRuns() throws java.io.IOException {
        Path weights = java.nio.file.Files.writeString(tmp.resolve("w.safetensors"), "not read");
        Path input = java.nio.file.Files.writeString(tmp.resolve("x.safetensors"), "not read");
        Path missing = tmp.resolve("no-such-folder").resolve("y.safetensors");
        for (String[] c : new String[][] {
            {missing.toString(), "--output " + missing + ": the folder " + missing.getParent() + " does not exist"},
            {tmp.toString(), "--output " + tmp + " is a folder, not a file"},
            {input.toString(), "--output " + input + " is the file of --input too"},
            {weights.toString(), "--output " + weights + " is the file of --weights too"}}) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int code = run(err, "forward", "--weights", weights.toString(), "--input", input.toString(), "--output", c[0]);
            String m = err.toString(StandardCharsets.UTF_8);
            assertEquals(2, code, m);
            assertTrue(m.contains(c[1]), m);
        }
        assertEquals("not read", java.nio.file.Files.readString(input));
    }
}
