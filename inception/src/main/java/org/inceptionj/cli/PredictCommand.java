package org.inceptionj.cli;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Backends;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.io.SafeTensors;
import org.inceptionj.inception.io.WeightsLoader;
import org.inceptionj.inception.predict.Images;
import org.inceptionj.inception.predict.Predictor;
import org.inceptionj.inception.predict.Preprocessing;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Classifies JPEG/PNG images: preprocessing, batch inference, optional 10-crop, top-k with class names. */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = "Classify JPEG or PNG images with Inception-v3 and print the top-k ImageNet classes.")
final class PredictCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "JPEG or PNG files.")
    List<Path> images;

    @Option(names = "--weights", paramLabel = "FILE",
            description = "Weights (safetensors with torchvision state-dict names, loaded strictly). Without it the weights are random.")
    Path weights;

    @Option(names = "--preprocess", defaultValue = "torchvision",
            description = "torchvision (resize 342, crop 299, ImageNet mean/std) or tf (central 87.5% crop, resize, [-1,1]). Default: ${DEFAULT-VALUE}.")
    String preprocess;

    @Option(names = "--size", defaultValue = "299", description = "Crop size (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = {"-k", "--top"}, defaultValue = "5", description = "How many classes to print (default: ${DEFAULT-VALUE}).")
    int top;

    @Option(names = "--ten-crop", description = "Average the softmax over 10 crops (corners, center, mirrored).")
    boolean tenCrop;

    @Option(names = {"-b", "--batch"}, defaultValue = "8", description = "Images per forward pass (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--transform-input", negatable = true,
            description = "Apply torchvision's transform_input (ImageNet-normalized input back to [-1,1]) inside the model, as"
                    + " torchvision's pretrained inception_v3 does. Default: on with --preprocess torchvision (its pretrained"
                    + " weights were ported from TF and expect [-1,1]), off with tf.")
    Boolean transformInput;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the random weights when --weights is absent.")
    long seed;

    @Override
    public Integer call() {
        Preprocessing pre = switch (preprocess.toLowerCase(Locale.ROOT)) {
            case "torchvision" -> Preprocessing.TORCHVISION;
            case "tf" -> Preprocessing.TF_INCEPTION;
            default -> throw new IllegalArgumentException("--preprocess " + preprocess + " is not one of: torchvision, tf");
        };
        if (size < InceptionV3.MIN_EVAL_INPUT) {
            throw new IllegalArgumentException("--size " + size + " is too small: Inception-v3 needs at least "
                    + InceptionV3.MIN_EVAL_INPUT);
        }
        if (top < 1 || batch < 1) {
            throw new IllegalArgumentException((top < 1 ? "--top " + top : "--batch " + batch) + " must be >= 1");
        }
        // Decode every image first, so a bad file is reported before any inference runs.
        List<BufferedImage> decoded = new ArrayList<>();
        for (Path p : images) {
            decoded.add(Images.readRgb(p));
        }
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        boolean transform = transformInput != null ? transformInput : pre == Preprocessing.TORCHVISION;
        InceptionV3.Config config = InceptionV3.Config.torchvision().withTransformInput(transform);
        SafeTensors w = null;
        if (weights != null) {
            w = SafeTensors.read(weights);
            config = WeightsLoader.fitHeads(config, w); // 1000, 1001 (TF, background first) or K unnamed classes
        }
        try (Backend backend = Backends.load();
             InceptionV3 model = new InceptionV3(backend, config, seed)) {
            if (w == null) {
                err.println("warning: no --weights given: random weights (seed " + seed + "), the classes are meaningless");
            } else {
                WeightsLoader.Report report = WeightsLoader.load(model, w, true);
                err.println("loaded " + report.loaded().size() + " tensors from " + weights
                        + (report.ignored().isEmpty() ? "" : " (ignored " + report.ignored().size() + ")"));
            }
            List<float[]> probabilities;
            if (tenCrop) {
                probabilities = new ArrayList<>();
                for (int i = 0; i < decoded.size(); i++) {
                    probabilities.add(Predictor.multiCrop(model, pre.tenCrop(decoded.get(i), size), size, batch));
                    err.printf(Locale.ROOT, "\r%d/%d images", i + 1, decoded.size());
                }
                err.println();
            } else {
                List<float[]> views = new ArrayList<>();
                for (BufferedImage img : decoded) {
                    views.add(pre.apply(img, size));
                }
                probabilities = Predictor.probabilities(model, views, size, batch);
            }
            for (int i = 0; i < images.size(); i++) {
                out.println(images.get(i));
                for (Predictor.Prediction p : Predictor.topK(probabilities.get(i), top)) {
                    out.printf(Locale.ROOT, "  %6.2f%%  %4d  %s%n", 100 * p.probability(), p.index(), p.label());
                }
            }
        }
        return 0;
    }
}
