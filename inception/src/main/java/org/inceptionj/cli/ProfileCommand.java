package org.inceptionj.cli;

import java.util.concurrent.Callable;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Backends;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.Presets;
import org.inceptionj.inception.cost.OpProfile;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Where an evaluation forward or a training step spends its time, op by op, on the configured
 * backend ({@link OpProfile}): what to look at before making anything faster.
 */
@Command(name = "profile", mixinStandardHelpOptions = true,
        description = "Time every backend call of an Inception-v3 forward (or training step with --train) on random"
                + " weights and input; print time per op and the most expensive calls with their layers and GFLOP/s.")
final class ProfileCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--preset", defaultValue = "inception-v3", completionCandidates = ForwardCommand.PresetNames.class,
            description = "Configuration: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    String preset;

    @Option(names = {"-s", "--size"}, description = "Input height and width (default: the preset's, 299 for inception-v3).")
    Integer size;

    @Option(names = {"-b", "--batch"}, defaultValue = "1", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--train", description = "Profile a training step of the paper's recipe instead of a forward.")
    boolean train;

    @Option(names = "--no-aux", description = "Build the model without the auxiliary head (AuxLogits).")
    boolean noAux;

    @Option(names = {"-w", "--width"}, defaultValue = "1.0", description = "Width multiplier (default: ${DEFAULT-VALUE}).")
    double widthMultiplier;

    // Why 20: the JIT compiles the vector kernels only after a few passes; with 2 a batch-1 forward
    // read 94 ms per pass, with 30 68 ms (the same build, one machine).
    @Option(names = "--warmup", defaultValue = "20",
            description = "Passes run before timing, while the JIT compiles the kernels (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--steps", defaultValue = "5", description = "Passes timed and averaged (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--top", defaultValue = "25", description = "Rows of the most expensive calls (default: ${DEFAULT-VALUE}).")
    int top;

    @Override
    public Integer call() {
        if (top < 1) {
            throw new IllegalArgumentException("--top must be >= 1, got " + top);
        }
        InceptionV3.Config base = Presets.named(preset);
        InceptionV3.Config config = base.withAuxLogits(base.auxLogits() && !noAux).withWidthMultiplier(widthMultiplier);
        int side = size != null ? size : Presets.inputSize(preset);
        try (Backend backend = Backends.load()) {
            OpProfile p = OpProfile.of(backend, config, side, batch, train ? OpProfile.Pass.TRAIN : OpProfile.Pass.EVAL,
                    warmup, steps);
            var out = spec.commandLine().getOut();
            out.print(p.table(top));
            out.flush();
        }
        return 0;
    }
}
