package org.inceptionj.cli;

import java.util.Locale;

import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.Presets;
import org.inceptionj.inception.image.Preprocessing;

import picocli.CommandLine.Option;

/**
 * What {@code predict} and {@code evaluate} share: the architecture the weights belong to and how
 * images become its input (a picocli mixin, so both commands spell and document them alike).
 */
final class ImageModelOptions {
    @Option(names = "--preset", defaultValue = "inception-v3", completionCandidates = ForwardCommand.PresetNames.class,
            description = "Architecture of the weights: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    String preset;

    @Option(names = {"-w", "--width"}, defaultValue = "1.0", description = "Width multiplier the weights were trained with (default: ${DEFAULT-VALUE}).")
    double width;

    @Option(names = "--preprocess", defaultValue = "torchvision",
            description = "torchvision (resize 342, crop 299, ImageNet mean/std) or tf (central 87.5% crop, resize, [-1,1]). Default: ${DEFAULT-VALUE}.")
    String preprocess;

    @Option(names = "--transform-input", negatable = true,
            description = "Apply torchvision's transform_input (ImageNet-normalized input back to [-1,1]) inside the model, as"
                    + " torchvision's pretrained inception_v3 does. Default: on with --preprocess torchvision (its pretrained"
                    + " weights were ported from TF and expect [-1,1]), off with tf.")
    Boolean transformInput;

    Preprocessing preprocessing() {
        return switch (preprocess.toLowerCase(Locale.ROOT)) {
            case "torchvision" -> Preprocessing.TORCHVISION;
            case "tf" -> Preprocessing.TF_INCEPTION;
            default -> throw new IllegalArgumentException("--preprocess " + preprocess + " is not one of: torchvision, tf");
        };
    }

    /** The preset at this width, with transform_input as asked or as the preprocessing implies. */
    InceptionV3.Config config() {
        boolean transform = transformInput != null ? transformInput : preprocessing() == Preprocessing.TORCHVISION;
        return Presets.named(preset).withWidthMultiplier(width).withTransformInput(transform);
    }

    /** Rejects a crop size below what the architecture carries, naming the minimum. */
    void checkSize(int size) {
        int min = Presets.named(preset).minInput(false);
        if (size < min) {
            throw new IllegalArgumentException("--size " + size + " is too small: " + preset + " needs at least " + min);
        }
    }
}
