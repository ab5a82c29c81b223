package org.inceptionj.inception.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.inception.BackendTest;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.Presets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The exported file, read back by a decoder of the test's own ({@link OnnxFile}) and run on our ops:
 * its logits must be the model's within relative L2 1e-4 (the folded batch norms round differently),
 * and its structure what the README promises. ONNX Runtime itself runs the file in the {@code peers}
 * profile ({@code OnnxRuntimeAgreementTest} in the benchmarks module).
 */
class OnnxExportTest extends BackendTest {
    @TempDir
    Path tmp;

    /** A model whose batch norms are not the identity (random γ, β, μ, σ²), so that folding them is tested. */
    static InceptionV3 model(InceptionV3.Config config, long seed) {
        InceptionV3 m = new InceptionV3(backend, config, seed, InceptionV3.Init.HE);
        java.util.Random r = new java.util.Random(seed);
        for (Map.Entry<String, Tensor> e : m.parameters().asMap().entrySet()) {
            String n = e.getKey();
            Tensor t = e.getValue();
            float[] v = new float[t.size()];
            if (n.endsWith(".bn.running_mean") || n.endsWith(".bn.bias")) {
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (r.nextGaussian() * 0.2);
                }
            } else if (n.endsWith(".bn.running_var") || n.endsWith(".bn.weight")) {
                for (int i = 0; i < v.length; i++) {
                    v[i] = 0.5f + r.nextFloat();
                }
            } else if (n.equals("fc.bias")) {
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) r.nextGaussian();
                }
            } else {
                continue;
            }
            backend.write(t, v, 0);
        }
        return m;
    }

    static double relativeL2(float[] got, float[] want) {
        double d = 0, w = 0;
        for (int i = 0; i < want.length; i++) {
            d += ((double) got[i] - want[i]) * ((double) got[i] - want[i]);
            w += (double) want[i] * want[i];
        }
        return Math.sqrt(d / w);
    }

    static Stream<Arguments> variants() {
        InceptionV3.Config small = Presets.named("inception-v3").withWidthMultiplier(0.25);
        return Stream.of(
                Arguments.of("inception-v3 w0.25", small, 75),
                Arguments.of("inception-v3 w0.25 at 83x83", small, 83),
                Arguments.of("inception-v3-tf w0.25", Presets.named("inception-v3-tf").withWidthMultiplier(0.25), 75),
                Arguments.of("unfactorized stem", Presets.named("inception-v3-unfactorized-stem").withWidthMultiplier(0.25), 75),
                Arguments.of("inception-v3-79", Presets.named("inception-v3-79").withWidthMultiplier(0.25), 79),
                Arguments.of("transform_input, 10 classes, no aux", small.withTransformInput(true).withNumClasses(10)
                        .withAuxLogits(false), 75));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void theFileComputesTheModelsLogits(String label, InceptionV3.Config config, int side) {
        Path file = tmp.resolve("m.onnx");
        try (InceptionV3 m = model(config, 3); TensorScope s = TensorScope.open()) {
            OnnxExport.Result r = OnnxExport.write(m, side, file, false);
            assertEquals(r.bytes(), sizeOf(file));
            Tensor x = Ops.uniform(backend, Shape.of(2, 3, side, side), 5, -1f, 1f);
            float[] want = m.forward(x, InceptionV3.Mode.EVAL).logits().toArray();
            OnnxFile f = new OnnxFile(file);
            float[] got = f.run(backend, x).toArray();
            assertEquals(want.length, got.length);
            double rel = relativeL2(got, want);
            assertTrue(rel <= 1e-4, label + ": relative L2 " + rel);
        }
    }

    @Test
    void structure() {
        Path file = tmp.resolve("m.onnx");
        InceptionV3.Config c = Presets.named("inception-v3").withWidthMultiplier(0.25);
        try (InceptionV3 m = model(c, 1)) {
            OnnxExport.Result r = OnnxExport.write(m, 75, file, false);
            OnnxFile f = new OnnxFile(file);
            assertEquals(8, f.irVersion);
            assertEquals(17, f.opset);
            assertArrayEquals(new long[] {-1, 3, 75, 75}, f.inputs.get("input"));
            assertArrayEquals(new long[] {-1, 1000}, f.outputs.get("logits"));
            assertEquals("N", f.symbols.get("input[0]"));
            assertEquals("N", f.symbols.get("logits[0]"));
            Map<String, Integer> ops = new TreeMap<>();
            f.nodes.forEach(n -> ops.merge(n.op(), 1, Integer::sum));
            assertEquals(Map.of("AveragePool", 9, "Concat", 15, "Conv", 94, "Flatten", 1, "Gemm", 1, "GlobalAveragePool", 1,
                    "MaxPool", 4, "Relu", 94), ops);
            assertEquals(ops, r.ops());
            for (OnnxFile.Node n : f.nodes) {
                if (n.op().equals("AveragePool")) {
                    assertEquals(1, n.i("count_include_pad", -1), "torchvision counts padding");
                }
                if (n.op().equals("Conv")) {
                    assertEquals(3, n.inputs().size(), "a folded Conv has its bias: " + n);
                }
            }
            // Every parameter of the evaluation forward, BN folded: conv weight+bias per layer, fc weight+bias.
            assertEquals(94 * 2 + 2, f.initializers.size());
            assertTrue(f.initializers.containsKey("Mixed_5b.branch1x1.weight"));
            assertTrue(f.initializers.containsKey("fc.weight"));
            assertFalse(f.initializers.keySet().stream().anyMatch(k -> k.startsWith("AuxLogits")), "no aux head in evaluation");
            long values = f.initializers.values().stream().mapToLong(i -> i.floats().length).sum();
            assertEquals(r.parameters(), values);
            assertTrue(f.metadata.get("inceptionj.config").contains("widthMultiplier=0.25"), f.metadata.toString());
        }
        try (InceptionV3 m = model(Presets.named("inception-v3-tf").withWidthMultiplier(0.25), 1)) {
            OnnxExport.write(m, 75, file, true);
            for (OnnxFile.Node n : new OnnxFile(file).nodes) {
                if (n.op().equals("AveragePool")) {
                    assertEquals(0, n.i("count_include_pad", -1), "TF-slim does not count padding");
                }
            }
        }
    }

    @Test
    void refusesAnExistingFileUnlessAskedAndLeavesNoTemporaryFile() throws IOException {
        Path file = tmp.resolve("m.onnx");
        Files.writeString(file, "keep me");
        try (InceptionV3 m = model(Presets.named("inception-v3").withWidthMultiplier(0.25), 1)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OnnxExport.write(m, 75, file, false));
            assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("already exists"), e.getMessage());
            assertEquals("keep me", Files.readString(file));
            OnnxExport.write(m, 75, file, true);
            assertEquals(17, new OnnxFile(file).opset);
        }
        try (Stream<Path> l = Files.list(tmp)) {
            assertEquals(1, l.count(), "only the file itself");
        }
    }

    @Test
    void refusesASideTheModelCannotCarryNamingIt() {
        try (InceptionV3 m = model(Presets.named("inception-v3").withWidthMultiplier(0.25), 1)) {
            for (int side : new int[] {74, 0, -3, 2049}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> OnnxExport.write(m, side, tmp.resolve("s.onnx"), false));
                assertTrue(e.getMessage().contains("side " + side), e.getMessage());
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> OnnxExport.write(m, 75, tmp.resolve("no/such/folder/m.onnx"), false));
            assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        }
        assertFalse(Files.exists(tmp.resolve("s.onnx")));
    }

    private static long sizeOf(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return -1;
        }
    }
}
