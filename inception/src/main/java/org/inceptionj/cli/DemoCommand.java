package org.inceptionj.cli;

import java.util.Locale;
import java.util.concurrent.Callable;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Backends;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.inception.InceptionV3;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A real forward pass of the full Inception-v3 on seeded random weights and a random image batch:
 * prints each top-level module's output shape and time as it goes, then the totals.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run Inception-v3 forward (evaluation mode) on random weights and input; print shapes and timing.")
final class DemoCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-b", "--batch"}, defaultValue = "1", description = "Batch size N (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = {"-s", "--size"}, defaultValue = "299",
            description = "Input height and width (default: ${DEFAULT-VALUE}; at least " + InceptionV3.MIN_EVAL_INPUT + ").")
    int size;

    @Option(names = {"-r", "--repeat"}, defaultValue = "2",
            description = "Forward passes; the first warms up the JIT (default: ${DEFAULT-VALUE}).")
    int repeat;

    @Option(names = "--seed", defaultValue = "42", description = "Seed for weights and input (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() {
        if (batch < 1) {
            throw new IllegalArgumentException("--batch must be >= 1, got " + batch);
        }
        if (size < InceptionV3.MIN_EVAL_INPUT) {
            throw new IllegalArgumentException("--size " + size + " is too small: Inception-v3 needs at least "
                    + InceptionV3.MIN_EVAL_INPUT + "x" + InceptionV3.MIN_EVAL_INPUT + " in evaluation");
        }
        if (size > InceptionV3.Config.MAX_INPUT_SIDE) {
            throw new IllegalArgumentException("--size " + size + " is too large: at most " + InceptionV3.Config.MAX_INPUT_SIDE);
        }
        if (repeat < 1) {
            throw new IllegalArgumentException("--repeat must be >= 1, got " + repeat);
        }
        var out = spec.commandLine().getOut();
        try (Backend backend = Backends.load();
             InceptionV3 model = new InceptionV3(backend, InceptionV3.Config.torchvision(), seed)) {
            out.printf(Locale.ROOT, "backend   %s%n", backend.describe());
            out.printf(Locale.ROOT, "model     Inception-v3 (torchvision layout), %,d parameter values, random weights (seed %d)%n",
                    model.parameters().count(), seed);
            for (int r = 1; r <= repeat; r++) {
                try (TensorScope step = TensorScope.open()) {
                    Tensor x = Ops.uniform(backend, Shape.of(batch, 3, size, size), seed + r, -1f, 1f);
                    out.printf(Locale.ROOT, "%npass %d/%d%s: input %s%n", r, repeat, r == 1 && repeat > 1 ? " (warm-up)" : "",
                            x.shape());
                    long start = System.nanoTime();
                    long[] last = {start};
                    InceptionV3.Output y = model.forward(x, InceptionV3.Mode.EVAL, (name, t) -> {
                        backend.synchronize(); // an asynchronous backend's module time is only known once it is done
                        long now = System.nanoTime();
                        out.printf(Locale.ROOT, "  %-14s %-20s %9.1f ms%n", name, t.shape(), (now - last[0]) / 1e6);
                        out.flush();
                        last[0] = now;
                    });
                    backend.synchronize();
                    double total = (System.nanoTime() - start) / 1e6;
                    float[] logits = y.logits().toArray();
                    int best = 0;
                    for (int i = 1; i < model.config().numClasses(); i++) {
                        if (logits[i] > logits[best]) {
                            best = i;
                        }
                    }
                    out.printf(Locale.ROOT, "  total          %.1f ms for %d image(s), %.1f ms/image; logits %s, argmax of image 0: class %d%n",
                            total, batch, total / batch, y.logits().shape(), best);
                }
            }
            long leaked = backend.liveBytes() - model.parameters().count() * 4;
            out.printf(Locale.ROOT, "%nmemory    %,d bytes of activations still held after the passes (expected 0)%n", leaked);
        }
        return 0;
    }
}
