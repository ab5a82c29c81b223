package org.inceptionj.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Backends;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.Presets;
import org.inceptionj.inception.io.SafeTensors;
import org.inceptionj.inception.io.WeightsLoader;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Tensor in, tensors out, for porting checks: runs the model in evaluation mode on the tensor named
 * {@code input} of a safetensors file and writes {@code logits} and, with --capture, the output of
 * every top-level module under its torchvision attribute name, so two implementations can be
 * compared layer by layer.
 */
@Command(name = "forward", mixinStandardHelpOptions = true,
        description = "Run evaluation on an N x 3 x H x W tensor 'input' (safetensors) and write 'logits' (and, with --capture, every module's output).")
final class ForwardCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--preset", defaultValue = "inception-v3", description = "Configuration: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).",
            completionCandidates = PresetNames.class)
    String preset;

    @Option(names = "--weights", required = true, paramLabel = "FILE", description = "Weights (safetensors, torchvision names), loaded strictly.")
    Path weights;

    @Option(names = "--input", required = true, paramLabel = "FILE", description = "safetensors file with an F32 tensor 'input' [N,3,H,W].")
    Path input;

    @Option(names = "--output", required = true, paramLabel = "FILE", description = "safetensors file to write (an existing one is replaced atomically; its folder must exist).")
    Path output;

    @Option(names = "--capture", description = "Also write each top-level module's output (Conv2d_1a_3x3 ... Mixed_7c, avgpool).")
    boolean capture;

    @Option(names = {"-w", "--width"}, defaultValue = "1.0", description = "Width multiplier the weights were trained with (default: ${DEFAULT-VALUE}).")
    double width;

    @Option(names = "--transform-input", description = "Apply torchvision's transform_input first (ImageNet-normalized"
            + " input back to [-1,1]). torchvision's Inception3 constructor leaves it off; inception_v3(weights=...) turns it on,"
            + " so pass this when the PyTorch model was built that way.")
    boolean transformInput;

    static final class PresetNames extends java.util.ArrayList<String> {
        private static final long serialVersionUID = 1L;

        PresetNames() {
            super(Presets.AVAILABLE);
        }
    }

    @Override
    public Integer call() {
        InceptionV3.Config base = Presets.named(preset).withWidthMultiplier(width).withTransformInput(transformInput);
        for (Path p : new Path[] {weights, input}) {
            if (!java.nio.file.Files.isRegularFile(p)) {
                throw new IllegalArgumentException((p == weights ? "--weights " : "--input ") + p + ": no such file");
            }
        }
        // The output is checked before the model runs: a bad path fails now, not after the forward pass.
        OutputFiles.checkWritable("--output", output, null);
        for (Map.Entry<String, Path> read : Map.of("--weights", weights, "--input", input).entrySet()) {
            Map<String, Path> files = new LinkedHashMap<>();
            files.put(read.getKey(), read.getValue());
            files.put("--output", output);
            OutputFiles.checkDistinct(files, null, null);
        }
        SafeTensors in = SafeTensors.read(input);
        SafeTensors.Entry x = in.entries().get("input");
        if (x == null) {
            throw new IllegalArgumentException("--input " + input + " has no tensor named 'input' (it has "
                    + in.entries().keySet() + ")");
        }
        if (x.floats() == null) {
            throw new IllegalArgumentException("--input " + input + ": tensor 'input' is " + x.dtype() + ", not F32");
        }
        SafeTensors w = SafeTensors.read(weights);
        if (!transformInput) {
            spec.commandLine().getErr().println("note: transform_input is off, as in torchvision's Inception3 constructor;"
                    + " a PyTorch model built with inception_v3(weights=...) has it on: add --transform-input");
        }
        // The heads follow the file (eval never runs the aux head; K is whatever fc was trained for).
        InceptionV3.Config config = WeightsLoader.fitHeads(base, w);
        if (config.auxLogits() != base.auxLogits() || config.numClasses() != base.numClasses()) {
            spec.commandLine().getErr().println("note: " + weights + " has " + config.numClasses() + " classes and "
                    + (config.auxLogits() ? "an" : "no") + " aux head; the model is built to match");
        }
        try (Backend backend = Backends.load();
             InceptionV3 model = new InceptionV3(backend, config, 0);
             TensorScope scope = TensorScope.open()) {
            WeightsLoader.load(model, w, true);
            Tensor t = Ops.fromArray(backend, x.tensorShape(), x.floats());
            Map<String, Tensor> out = new LinkedHashMap<>();
            InceptionV3.Output y = model.forward(t, InceptionV3.Mode.EVAL, capture
                    ? (name, v) -> {
                        if (!name.equals("fc")) {
                            // Detached: the model's own scopes free their outputs; these copies are ours.
                            out.put(name, TensorScope.detach(Ops.copy(v)));
                        }
                    }
                    : null);
            try {
                Map<String, Tensor> all = new LinkedHashMap<>(out); // network order, so compare's first mismatch is the earliest
                all.put("logits", y.logits());
                SafeTensors.write(output, all, Map.of("preset", preset, "weights", weights.getFileName().toString(),
                        "transform_input", String.valueOf(transformInput)));
                spec.commandLine().getOut().println("wrote " + all.size() + " tensor(s) to " + output + ": logits "
                        + y.logits().shape() + (capture ? " and " + out.size() + " module outputs" : ""));
            } finally {
                out.values().forEach(Tensor::close);
            }
        }
        return 0;
    }
}
