package org.inceptionj.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Backends;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.Presets;
import org.inceptionj.inception.io.ModelCard;
import org.inceptionj.inception.io.SafeTensors;
import org.inceptionj.inception.io.WeightsLoader;
import org.inceptionj.inception.onnx.OnnxExport;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code export-onnx}: the evaluation forward of a preset with its weights as an ONNX file
 * ({@link OnnxExport}). The weights are loaded strictly: a file that does not match the preset is
 * refused with every missing, unexpected and mis-shaped tensor named. Weights written by
 * {@code train} carry their architecture (a model card), which is then the default.
 */
@Command(name = "export-onnx", mixinStandardHelpOptions = true,
        description = "Write the evaluation forward with its weights as an ONNX model (opset " + OnnxExport.OPSET
                + "; input 'input' [N,3,S,S], output 'logits' [N,K]; batch norm folded into the convolutions).")
final class ExportOnnxCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--preset", completionCandidates = ForwardCommand.PresetNames.class,
            description = "Architecture of the weights: ${COMPLETION-CANDIDATES} (default: the weights' own when train wrote"
                    + " them, else inception-v3).")
    String preset;

    @Option(names = {"-w", "--width"}, description = "Width multiplier the weights were trained with (default: the weights'"
            + " own, else 1.0).")
    Double width;

    @Option(names = "--weights", required = true, paramLabel = "FILE", description = "Weights (safetensors, torchvision names), loaded strictly.")
    Path weights;

    @Option(names = "--output", required = true, paramLabel = "FILE", description = "The .onnx file to write (its folder must exist).")
    Path output;

    @Option(names = "--force", description = "Replace an existing --output file (default: refuse).")
    boolean force;

    @Option(names = "--size", paramLabel = "S", description = "Square input side of the exported graph (default: the"
            + " weights' own, else the preset's: 299, 151 or 79).")
    Integer size;

    @Option(names = "--transform-input", negatable = true, description = "Put torchvision's transform_input (ImageNet-normalized"
            + " input back to [-1,1]) into the graph. Default: the weights' own, else off (torchvision's Inception3 constructor).")
    Boolean transformInput;

    @Override
    public Integer call() {
        if (preset != null && !Presets.AVAILABLE.contains(preset)) {
            throw new IllegalArgumentException("--preset " + preset + " is not one of: " + String.join(", ", Presets.AVAILABLE));
        }
        if (width != null && !(width > 0 && width <= InceptionV3.Config.MAX_WIDTH_MULTIPLIER)) {
            throw new IllegalArgumentException("--width " + width + " must be in (0, " + InceptionV3.Config.MAX_WIDTH_MULTIPLIER + "]");
        }
        if (!Files.isRegularFile(weights)) {
            throw new IllegalArgumentException("--weights " + weights + ": no such file");
        }
        if (!output.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".onnx")) {
            throw new IllegalArgumentException("--output " + output + " must end in .onnx");
        }
        // The output first, so that a bad path fails before the weights are read.
        OutputFiles.checkWritable("--output", output, null);
        if (!force && Files.exists(output)) {
            throw new IllegalArgumentException("--output " + output + " already exists: pass --force to replace it");
        }
        Map<String, Path> files = new LinkedHashMap<>();
        files.put("--weights", weights);
        files.put("--output", output);
        OutputFiles.checkDistinct(files, null, null);

        SafeTensors st = SafeTensors.read(weights);
        ModelCard card = ModelCard.read(st, weights);
        boolean fromCard = card != null && preset == null && width == null;
        String presetName = preset != null ? preset : "inception-v3";
        InceptionV3.Config base = fromCard ? card.config()
                : Presets.named(presetName).withWidthMultiplier(width != null ? width : 1.0);
        if (card != null && !fromCard) {
            // An explicit preset that disagrees with the architecture the file says it was trained as
            // would export a different network (a pool that counts padding, a stem) that loads all the same.
            InceptionV3.Config theirs = card.config().withTransformInput(false);
            InceptionV3.Config ours = base.withAuxLogits(theirs.auxLogits()).withNumClasses(theirs.numClasses())
                    .withDropout(theirs.dropout()).withTransformInput(false);
            if (!ours.equals(theirs)) {
                throw new IllegalArgumentException("--preset " + presetName + (width != null ? " --width " + width : "")
                        + " does not match the architecture recorded in --weights " + weights + ": " + card.config()
                        + "; leave out --preset and --width to export what the file describes");
            }
        }
        boolean transform = transformInput != null ? transformInput : fromCard && card.config().transformInput();
        base = base.withTransformInput(transform);
        InceptionV3.Config config = WeightsLoader.fitHeads(base, st);
        int side = size != null ? size : card != null ? card.inputSize() : Presets.inputSize(presetName);
        int min = config.minInput(false);
        if (side < min || side > InceptionV3.Config.MAX_INPUT_SIDE) {
            throw new IllegalArgumentException("--size " + side + " is outside [" + min + ", "
                    + InceptionV3.Config.MAX_INPUT_SIDE + "] for this architecture");
        }
        try (Backend backend = Backends.load();
             InceptionV3 model = new InceptionV3(backend, config, 0)) {
            WeightsLoader.load(model, st, true);
            OnnxExport.Result r = OnnxExport.write(model, side, output, force);
            spec.commandLine().getOut().printf(Locale.ROOT,
                    "wrote %s: ONNX opset %d, input '%s' [N,3,%d,%d], output '%s' [N,%d]; %d nodes %s, %d initializers"
                            + " (%,d values), %,d bytes%n",
                    output, OnnxExport.OPSET, OnnxExport.INPUT, side, side, OnnxExport.OUTPUT, config.numClasses(),
                    r.nodes(), r.ops(), r.initializers(), r.parameters(), r.bytes());
        }
        return 0;
    }
}
