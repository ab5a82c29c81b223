package org.inceptionj.inception;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Backends;
import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.api.autograd.Tape;
import org.inceptionj.inception.train.TrainConfig;
import org.inceptionj.inception.train.TrainStep;
import org.junit.jupiter.api.Test;

/**
 * The Java snippets of the README's "Using it as a library", kept here so that they compile and run:
 * the code between each pair of markers below is, once its indentation is removed, one {@code java}
 * block of that section, in order, character for character. The variables a snippet takes from its
 * surroundings ({@code pixels}, {@code backend}, {@code model}, {@code images}, {@code labels},
 * {@code n}) are the methods' parameters. The model is the README's default one, torchvision's
 * {@code inception_v3()} with its aux head, on the configured backend.
 */
class ReadmeLibraryTest extends BackendTest {

    static void tensors(float[] pixels) {
        // README snippet begin
        try (Backend backend = Backends.load();                       // cpu unless configured otherwise
             TensorScope scope = TensorScope.open()) {                 // frees every temporary at the end
            Tensor x = Ops.fromArray(backend, Shape.of(1, 3, 5, 5), pixels);
            Tensor w = Ops.truncatedNormal(backend, Shape.of(8, 3, 3, 3), 42, 0f, 0.1f);
            Tensor y = Ops.relu(Ops.conv2d(x, w, null, Conv2dSpec.of(1, 1)));   // [1,8,5,5]
            float[] out = y.toArray();
        }
        // README snippet end
    }

    static InceptionV3 model(Backend backend, Tensor images) {
        // README snippet begin
        InceptionV3 model = new InceptionV3(backend, Presets.named("inception-v3"), 42);   // seed 42; close() frees it
        try (TensorScope scope = TensorScope.open()) {
            InceptionV3.Output y = model.forward(images, InceptionV3.Mode.EVAL);           // y.auxLogits() is null
            float[] logits = y.logits().toArray();                                         // [N,1000], row-major
        }
        // README snippet end
        return model;
    }

    static void tape(InceptionV3 model, Tensor images, int[] labels) {
        // README snippet begin
        try (Tape tape = Tape.recording(); TensorScope step = TensorScope.open()) {
            model.watch(tape);                                                   // every trainable parameter
            InceptionV3.Output y = model.forward(tape, images, InceptionV3.Mode.TRAIN, null);
            Tensor loss = tape.crossEntropy(y.logits(), labels, 0.1f, null);     // label smoothing, paper §7
            if (y.auxLogits() != null) {                                         // + 0.4 × the aux head's loss
                loss = tape.add(loss, tape.affine(tape.crossEntropy(y.auxLogits(), labels, 0.1f, null), 0.4f, 0f));
            }
            tape.backward(loss);
            Map<String, Tensor> grads = tape.gradients(model.parameters().trainable()); // throws naming any parameter without one
        }
        // README snippet end
    }

    static void trainStep(InceptionV3 model, Tensor images, int[] labels, long n) {
        // README snippet begin
        try (TrainStep train = new TrainStep(model, TrainConfig.paper().withExamplesPerEpoch(n))) {
            TrainStep.Result r = train.run(images, labels);          // loss, aux loss, lr, gradient norm
            try (var averaged = train.ema().swapIn();                // evaluate with the moving average
                 TensorScope eval = TensorScope.open()) {
                float[] logits = model.forward(images, InceptionV3.Mode.EVAL).logits().toArray();
            }
        }
        // README snippet end
    }

    /** Each snippet runs, on the default model (the Tape snippet's gradients call throws if a parameter has none). */
    @Test
    void theSnippetsRunOnTheDefaultModel() {
        float[] pixels = new float[75];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (i % 7) / 7f;
        }
        tensors(pixels);
        int[] labels = {3, 999};
        try (Tensor images = Ops.uniform(backend, Shape.of(2, 3, 299, 299), 7, -1f, 1f);
             InceptionV3 model = model(backend, images)) {
            assertTrue(model.config().auxLogits(), "the default model has the aux head");
            tape(model, images, labels);
            Tensor w = model.parameters().asMap().get("AuxLogits.fc.weight");
            float[] before = w.toArray();
            trainStep(model, images, labels, 1000);
            assertFalse(Arrays.equals(before, w.toArray()), "the step updated the aux head too");
        }
    }

    @Test
    void theReadmeShowsTheseSnippetsCharacterForCharacter() throws IOException {
        String source = Files.readString(Path.of("src", "test", "java", "org", "inceptionj", "inception",
                "ReadmeLibraryTest.java"));
        List<String> here = new ArrayList<>();
        String begin = "// README snippet begin\n", end = "// README snippet end";
        for (int at = source.indexOf(begin); at >= 0; at = source.indexOf(begin, at + 1)) {
            String body = source.substring(at + begin.length(), source.indexOf(end, at));
            here.add(dedent(body.substring(0, body.lastIndexOf('\n') + 1)));
        }
        String readme = Files.readString(Path.of("..", "README.md"));
        int from = readme.indexOf("## Using it as a library"), to = readme.indexOf("\n## ", from + 1);
        assertTrue(from >= 0 && to > from, "README.md has a section \"Using it as a library\"");
        List<String> there = new ArrayList<>();
        String section = readme.substring(from, to);
        for (int at = section.indexOf("```java\n"); at >= 0; at = section.indexOf("```java\n", at + 1)) {
            int start = at + "```java\n".length();
            there.add(section.substring(start, section.indexOf("```\n", start)));
        }
        assertFalse(here.isEmpty());
        assertEquals(here, there, "the README's library snippets and their copies in ReadmeLibraryTest");
    }

    /** The lines with their common leading spaces removed. */
    private static String dedent(String block) {
        List<String> lines = block.lines().toList();
        int common = Integer.MAX_VALUE;
        for (String l : lines) {
            if (!l.isBlank()) {
                common = Math.min(common, l.length() - l.stripLeading().length());
            }
        }
        StringBuilder b = new StringBuilder();
        for (String l : lines) {
            b.append(l.isBlank() ? "" : l.substring(common)).append('\n');
        }
        return b.toString();
    }
}
