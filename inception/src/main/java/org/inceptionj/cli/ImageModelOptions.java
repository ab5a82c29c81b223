package org.inceptionj.cli;

import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Locale;

import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.Presets;
import org.inceptionj.inception.data.SmallImageAugmentation;
import org.inceptionj.inception.image.Images;
import org.inceptionj.inception.image.Preprocessing;
import org.inceptionj.inception.io.ModelCard;

import picocli.CommandLine.Option;

/**
 * What {@code predict} and {@code evaluate} share: the architecture the weights belong to and how
 * images become its input (a picocli mixin, so both commands spell and document them alike). Weights
 * exported by {@code train} carry a {@link ModelCard}: its architecture, input size, preprocessing
 * and class names are then the defaults, and an option given explicitly overrides it.
 */
final class ImageModelOptions {
    @Option(names = "--preset", completionCandidates = ForwardCommand.PresetNames.class,
            description = "Architecture of the weights: ${COMPLETION-CANDIDATES} (default: the weights' own when train wrote"
                    + " them, else inception-v3).")
    String preset;

    @Option(names = {"-w", "--width"}, description = "Width multiplier the weights were trained with (default: the weights'"
            + " own, else 1.0).")
    Double width;

    @Option(names = "--preprocess",
            description = "torchvision (resize 342, crop 299, ImageNet mean/std), tf (central 87.5% crop, resize, [-1,1]) or"
                    + " resize (the whole image resized, [0,1]: small images such as Fashion-MNIST). Default: the weights'"
                    + " own, else torchvision.")
    String preprocess;

    @Option(names = "--transform-input", negatable = true,
            description = "Apply torchvision's transform_input (ImageNet-normalized input back to [-1,1]) inside the model, as"
                    + " torchvision's pretrained inception_v3 does. Default: on with --preprocess torchvision (its pretrained"
                    + " weights were ported from TF and expect [-1,1]), off otherwise.")
    Boolean transformInput;

    /** The preprocessing's name: given, the card's, or torchvision. */
    String preprocessName(ModelCard card) {
        String name = preprocess != null ? preprocess : card != null ? card.preprocessing() : "torchvision";
        name = name.toLowerCase(Locale.ROOT);
        if (!List.of("torchvision", "tf", "resize").contains(name)) {
            throw new IllegalArgumentException("--preprocess " + preprocess + " is not one of: torchvision, tf, resize");
        }
        return name;
    }

    /** The crop recipe for photographs, or null for {@code resize}. */
    Preprocessing preprocessing(ModelCard card) {
        return switch (preprocessName(card)) {
            case "torchvision" -> Preprocessing.TORCHVISION;
            case "tf" -> Preprocessing.TF_INCEPTION;
            default -> null;
        };
    }

    /**
     * The architecture: the card's when neither --preset nor --width is given, else the preset at this
     * width; transform_input as asked or as the preprocessing implies.
     */
    InceptionV3.Config config(ModelCard card) {
        boolean fromCard = card != null && preset == null && width == null;
        InceptionV3.Config c = fromCard ? card.config()
                : Presets.named(preset != null ? preset : "inception-v3").withWidthMultiplier(width != null ? width : 1.0);
        boolean transform = transformInput != null ? transformInput
                : fromCard ? card.config().transformInput() : preprocessing(card) == Preprocessing.TORCHVISION;
        return c.withTransformInput(transform);
    }

    /** The input side: given, the card's, or the preset's; rejects one below what the architecture carries. */
    int size(Integer given, ModelCard card) {
        int side = given != null ? given : card != null ? card.inputSize() : Presets.inputSize(preset != null ? preset : "inception-v3");
        int min = Presets.named(preset != null ? preset : "inception-v3").minInput(false);
        if (side < min) {
            throw new IllegalArgumentException("--size " + side + " is too small: " + (preset != null ? preset : "inception-v3")
                    + " needs at least " + min);
        }
        if (side > InceptionV3.Config.MAX_INPUT_SIDE) {
            throw new IllegalArgumentException("--size " + side + " is too large: at most " + InceptionV3.Config.MAX_INPUT_SIDE);
        }
        return side;
    }

    /** The single evaluation view of {@code img} at {@code side}, as the weights were trained to see it. */
    float[] view(BufferedImage img, int side, ModelCard card) {
        Preprocessing p = preprocessing(card);
        if (p != null) {
            return p.apply(img, side);
        }
        // Weights trained on grayscale images see a colour picture as its luminance, as their training images were.
        BufferedImage in = card != null && card.grayscale() ? Images.luminance(img) : img;
        return SmallImageAugmentation.none(side).apply(in, 0, 0);
    }

    /** The ten views (corners and center, and their mirrors) of {@code img}: photographs only. */
    List<float[]> tenCrop(BufferedImage img, int side, ModelCard card) {
        Preprocessing p = preprocessing(card);
        if (p == null) {
            throw new IllegalArgumentException("--ten-crop needs --preprocess tf or torchvision: the resize preprocessing of"
                    + " small images keeps the whole image, there is nothing to crop");
        }
        return p.tenCrop(img, side);
    }
}
