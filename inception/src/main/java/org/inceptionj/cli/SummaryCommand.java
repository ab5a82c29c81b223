package org.inceptionj.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import org.inceptionj.api.Shape;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.Presets;
import org.inceptionj.inception.Summary;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The cost table: every layer's output shape, trainable parameters and multiply-adds for one input
 * size, read off the model's own forward on a shape-only backend (no weights, no arithmetic; see {@link Summary}).
 */
@Command(name = "summary", mixinStandardHelpOptions = true,
        description = "Print Inception-v3's layers with output shape, parameters and multiply-adds (no weights needed).")
final class SummaryCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--preset", defaultValue = "inception-v3", completionCandidates = ForwardCommand.PresetNames.class,
            description = "Configuration: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    String preset;

    @Option(names = {"-s", "--size"},
            description = "Input height and width (default: the preset's native size, 299 for inception-v3; at least "
                    + InceptionV3.MIN_EVAL_INPUT + " for the released stem, " + InceptionV3.MIN_AUX_INPUT
                    + " with --train and the aux head).")
    Integer size;

    @Option(names = "--train", description = "Training mode: the auxiliary head runs and its multiply-adds count.")
    boolean train;

    @Option(names = "--no-aux", description = "Build the model without the auxiliary head (AuxLogits).")
    boolean noAux;

    @Option(names = {"-w", "--width"}, defaultValue = "1.0",
            description = "Width multiplier (TF-slim's depth_multiplier): every convolution's channels d become"
                    + " max(floor(d*w), 16). Default: ${DEFAULT-VALUE}, the published network.")
    double widthMultiplier;

    @Option(names = "--classes", description = "Number of classes K (default: the preset's, 1000 for inception-v3).")
    Integer classes;

    @Override
    public Integer call() {
        InceptionV3.Config base = Presets.named(preset);
        int side = size != null ? size : Presets.inputSize(preset);
        if (classes != null && classes < 1) {
            throw new IllegalArgumentException("--classes must be >= 1, got " + classes);
        }
        InceptionV3.Config config = base.withAuxLogits(base.auxLogits() && !noAux)
                .withNumClasses(classes != null ? classes : base.numClasses())
                .withWidthMultiplier(widthMultiplier);
        int minEval = config.minInput(false), minAux = config.minInput(true);
        if (side < minEval) {
            throw new IllegalArgumentException("--size " + side + " is too small: Inception-v3 needs at least "
                    + minEval + "x" + minEval);
        }
        if (train && config.auxLogits() && side < minAux) {
            throw new IllegalArgumentException("--size " + side + " is too small for --train with the aux head, which needs at least "
                    + minAux + "x" + minAux + "; add --no-aux for smaller inputs");
        }
        InceptionV3.Mode mode = train ? InceptionV3.Mode.TRAIN : InceptionV3.Mode.EVAL;
        Summary s = Summary.of(config, side, side, mode);
        print(spec.commandLine().getOut(), s);
        return 0;
    }

    /** The table with aligned columns: name and op left-aligned, numbers right-aligned with thousands separators. */
    static void print(PrintWriter out, Summary s) {
        List<String[]> lines = new ArrayList<>();
        lines.add(new String[] {"layer", "op", "output", "parameters", "multiply-adds", "share"});
        double total = s.macs();
        for (Summary.Row r : s.rows()) {
            String name = (r.depth() > 0 ? "  " : "") + r.name();
            String share = r.depth() == 0 && r.macs() > 0 ? String.format(Locale.ROOT, "%.2f%%", 100 * r.macs() / total) : "";
            lines.add(new String[] {name, r.op(), shape(r.output()), grouped(r.parameters()), grouped(r.macs()), share});
        }
        lines.add(new String[] {"total", "", "", grouped(s.parameters()), grouped(s.macs()), "100.00%"});
        int[] width = new int[6];
        for (String[] l : lines) {
            for (int i = 0; i < l.length; i++) {
                width[i] = Math.max(width[i], l[i].length());
            }
        }
        double wm = s.config().widthMultiplier();
        out.printf(Locale.ROOT, "Inception-v3, input 3x%dx%d, %s%s, %,d classes%s%n%n", s.height(), s.width(),
                s.mode() == InceptionV3.Mode.TRAIN ? "training" : "evaluation",
                s.config().auxLogits() ? ", with the aux head" : ", without the aux head", s.config().numClasses(),
                wm == 1.0 ? "" : String.format(Locale.ROOT, ", width multiplier %s", wm));
        for (int k = 0; k < lines.size(); k++) {
            String[] l = lines.get(k);
            if (k == lines.size() - 1 || k == 1) {
                out.println(rule(width));
            }
            out.println(String.format(Locale.ROOT, "%-" + width[0] + "s  %-" + width[1] + "s  %" + width[2] + "s  %"
                    + width[3] + "s  %" + width[4] + "s  %" + width[5] + "s", (Object[]) l).stripTrailing());
        }
        out.printf(Locale.ROOT, "%nparameters     %,d trainable (conv weights, BN gamma and beta, fc weights and biases)%n",
                s.parameters());
        out.printf(Locale.ROOT, "multiply-adds  %,d per image (%.3f G; convolutions and fully connected layers only)%n",
                s.macs(), s.macs() / 1e9);
        if (s.config().auxLogits() && s.mode() == InceptionV3.Mode.EVAL) {
            out.println("(the aux head's parameters exist but it runs only in training: see --train)");
        }
        out.flush();
    }

    private static String rule(int[] width) {
        int n = 2 * (width.length - 1);
        for (int w : width) {
            n += w;
        }
        return "-".repeat(n);
    }

    private static String shape(Shape s) {
        if (s == null) {
            return "-";
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.rank(); i++) {
            b.append(i == 0 ? "" : "x").append(s.dim(i));
        }
        return b.toString();
    }

    private static String grouped(long v) {
        return String.format(Locale.ROOT, "%,d", v);
    }
}
