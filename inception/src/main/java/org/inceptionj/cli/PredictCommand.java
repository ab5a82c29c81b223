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
import org.inceptionj.inception.io.ModelCard;
import org.inceptionj.inception.io.SafeTensors;
import org.inceptionj.inception.io.WeightsLoader;
import org.inceptionj.inception.image.Images;
import org.inceptionj.inception.predict.Predictor;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Classifies JPEG/PNG images: preprocessing, batch inference, optional 10-crop, top-k with class names. */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = "Classify JPEG or PNG images with Inception-v3 and print the top-k classes (the weights' own class names"
                + " when train wrote them, else ImageNet's).")
final class PredictCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "JPEG or PNG files.")
    List<Path> images;

    @Option(names = "--weights", paramLabel = "FILE",
            description = "Weights (safetensors with torchvision state-dict names, loaded strictly). Repeat it for an ensemble:"
                    + " the softmax outputs of the models are averaged (the paper's Table 5). Without it the weights are random.")
    List<Path> weights;

    @Option(names = "--size", description = "Input side (default: the weights' own when train wrote them, else the preset's, 299).")
    Integer size;

    @Option(names = {"-k", "--top"}, defaultValue = "5", description = "How many classes to print (default: ${DEFAULT-VALUE}).")
    int top;

    @Option(names = "--ten-crop", description = "Average the softmax over 10 crops (corners, center, mirrored).")
    boolean tenCrop;

    @Option(names = {"-b", "--batch"}, defaultValue = "8", description = "Images per forward pass (default: ${DEFAULT-VALUE}).")
    int batch;

    @CommandLine.Mixin
    ImageModelOptions model;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the random weights when --weights is absent.")
    long seed;

    @Override
    public Integer call() {
        // Weights written by train carry their architecture, input, preprocessing and class names.
        ModelCard card = weights == null ? null : ModelCard.read(SafeTensors.read(weights.get(0)), weights.get(0));
        int side = model.size(size, card);
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
        InceptionV3.Config base = model.config(card);
        List<Path> sources = weights == null ? java.util.Collections.singletonList(null) : weights;
        try (Backend backend = Backends.load()) {
            // One model at a time: an ensemble of M models needs the memory of one, not M.
            List<List<float[]>> perModel = new ArrayList<>();
            int classes = -1;
            for (Path source : sources) {
                List<float[]> probabilities = predictWith(backend, base, source, card, side, decoded);
                int k = probabilities.get(0).length;
                if (classes >= 0 && k != classes) {
                    throw new IllegalArgumentException("--weights " + source + " has " + k + " classes, the previous ones "
                            + classes + ": an ensemble needs one label space");
                }
                classes = k;
                perModel.add(probabilities);
            }
            List<float[]> probabilities = new ArrayList<>();
            for (int i = 0; i < decoded.size(); i++) {
                List<float[]> members = new ArrayList<>();
                for (List<float[]> m : perModel) {
                    members.add(m.get(i));
                }
                probabilities.add(members.size() == 1 ? members.get(0) : Predictor.average(members));
            }
            if (perModel.size() > 1) {
                err.println("ensemble of " + perModel.size() + " models: softmax outputs averaged");
            }
            for (int i = 0; i < images.size(); i++) {
                out.println(images.get(i));
                List<String> names = card != null && card.classes().size() == classes ? card.classes() : null;
                for (Predictor.Prediction p : Predictor.topK(probabilities.get(i), top, names)) {
                    out.printf(Locale.ROOT, "  %6.2f%%  %4d  %s%n", 100 * p.probability(), p.index(), p.label());
                }
            }
        }
        return 0;
    }

    /** The softmax of every image (averaged over its 10 crops with --ten-crop) under the weights in {@code source}. */
    private List<float[]> predictWith(Backend backend, InceptionV3.Config base, Path source, ModelCard card, int size,
                                      List<BufferedImage> decoded) {
        var err = spec.commandLine().getErr();
        SafeTensors w = source == null ? null : SafeTensors.read(source);
        InceptionV3.Config config = w == null ? base : WeightsLoader.fitHeads(base, w); // 1000, 1001 (TF) or K classes
        try (InceptionV3 net = new InceptionV3(backend, config, seed)) {
            if (w == null) {
                err.println("warning: no --weights given: random weights (seed " + seed + "), the classes are meaningless");
            } else {
                WeightsLoader.Report report = WeightsLoader.load(net, w, true);
                err.println("loaded " + report.loaded().size() + " tensors from " + source
                        + (report.ignored().isEmpty() ? "" : " (ignored " + report.ignored().size() + ")"));
            }
            if (!tenCrop) {
                List<float[]> views = new ArrayList<>();
                for (BufferedImage img : decoded) {
                    views.add(model.view(img, size, card));
                }
                return Predictor.probabilities(net, views, size, batch);
            }
            List<float[]> probabilities = new ArrayList<>();
            for (int i = 0; i < decoded.size(); i++) {
                probabilities.add(Predictor.multiCrop(net, model.tenCrop(decoded.get(i), size, card), size, batch));
                err.printf(Locale.ROOT, "\r%d/%d images", i + 1, decoded.size());
            }
            err.println();
            return probabilities;
        }
    }
}
