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
import org.inceptionj.inception.image.ImageLimits;
import org.inceptionj.inception.image.Images;
import org.inceptionj.inception.predict.Predictor;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Classifies JPEG/PNG images: preprocessing, batch inference, optional 10-crop, top-k with class names.
 * The images stream: --batch files are decoded, classified and printed at a time, so memory does not
 * grow with the number of files.
 */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = "Classify JPEG or PNG images with Inception-v3 and print the top-k classes (the weights' own class names"
                + " when train wrote them, else ImageNet's).",
        footer = {"",
                "Images are decoded to the pixels of Pillow's Image.open(f).convert(\"RGB\") (what torchvision models see):"
                        + " every PNG kind, and gray, YCbCr, RGB, CMYK and YCCK JPEGs. Truncated and corrupt files are rejected"
                        + " naming the file. Limits, checked from each file's header before decoding:"
                        + " -Dinceptionj.image.maxPixels=N (default 89478485, Pillow's MAX_IMAGE_PIXELS) and"
                        + " -Dinceptionj.image.maxAspectRatio=R (longer side at most R times the shorter; default 100).",
                "Files are read --batch at a time: memory does not grow with their number (an ensemble reads them once"
                        + " per model)."})
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
        // Check every file's header and structure first (no pixels decoded), so that a missing, foreign,
        // truncated or oversized file is reported before any inference runs.
        ImageLimits limits = ImageLimits.fromSystemProperties();
        for (Path p : images) {
            Images.readHeader(p, limits);
        }
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        InceptionV3.Config base = model.config(card);
        List<Path> sources = weights == null ? java.util.Collections.singletonList(null) : weights;
        try (Backend backend = Backends.load()) {
            if (sources.size() == 1) {
                // One model: each batch is decoded, classified and printed, then dropped.
                predictWith(backend, base, sources.get(0), card, side, limits,
                        (from, probabilities) -> print(out, from, probabilities, card));
                return 0;
            }
            // An ensemble, one model at a time (the memory of one model, not M): each model streams every
            // image again; what is kept between models is one summed probability vector per image.
            double[][] sums = new double[images.size()][]; // summed in double, as Predictor.average does
            for (Path source : sources) {
                predictWith(backend, base, source, card, side, limits, (from, probabilities) -> {
                    for (int i = 0; i < probabilities.size(); i++) {
                        float[] p = probabilities.get(i);
                        if (sums[from + i] == null) {
                            sums[from + i] = new double[p.length];
                        }
                        double[] sum = sums[from + i];
                        if (sum.length != p.length) {
                            throw new IllegalArgumentException("--weights " + source + " has " + p.length
                                    + " classes, the previous ones " + sum.length + ": an ensemble needs one label space");
                        }
                        for (int k = 0; k < p.length; k++) {
                            sum[k] += p[k];
                        }
                    }
                });
            }
            err.println("ensemble of " + sources.size() + " models: softmax outputs averaged");
            List<float[]> means = new ArrayList<>();
            for (double[] sum : sums) {
                float[] mean = new float[sum.length];
                for (int k = 0; k < sum.length; k++) {
                    mean[k] = (float) (sum[k] / sources.size());
                }
                means.add(mean);
            }
            print(out, 0, means, card);
        }
        return 0;
    }

    /** Prints the top classes of images {@code from}, {@code from + 1}, ... */
    private void print(java.io.PrintWriter out, int from, List<float[]> probabilities, ModelCard card) {
        for (int i = 0; i < probabilities.size(); i++) {
            float[] p = probabilities.get(i);
            out.println(images.get(from + i));
            List<String> names = card != null && card.classes().size() == p.length ? card.classes() : null;
            for (Predictor.Prediction pr : Predictor.topK(p, top, names)) {
                out.printf(Locale.ROOT, "  %6.2f%%  %4d  %s%n", 100 * pr.probability(), pr.index(), pr.label());
            }
        }
        out.flush();
    }

    /** Receives the softmax of images {@code from} … {@code from + probabilities.size() − 1}. */
    private interface Results {
        void accept(int from, List<float[]> probabilities);
    }

    /**
     * Streams the images through the weights in {@code source}: --batch files at a time are decoded,
     * turned into views and classified (with --ten-crop one file at a time, its 10 views averaged),
     * and handed to {@code results}; no more than one batch of decoded images is alive at once.
     */
    private void predictWith(Backend backend, InceptionV3.Config base, Path source, ModelCard card, int size,
                             ImageLimits limits, Results results) {
        var err = spec.commandLine().getErr();
        SafeTensors w = source == null ? null : SafeTensors.read(source);
        InceptionV3.Config config = w == null ? base : WeightsLoader.fitHeads(base, w); // 1000, 1001 (TF) or K classes
        try (InceptionV3 net = new InceptionV3(backend, config, seed)) {
            if (w == null) {
                err.println("warning: no --weights given: random weights (seed " + seed + "), the classes are meaningless");
            } else {
                WeightsLoader.Report report = WeightsLoader.load(net, w, true);
                err.println("loaded " + report.loaded().size() + " tensors from " + source
                        + (report.ignored().isEmpty() ? "" : " (ignored " + report.ignored().size() + ")")
                        + (report.checksum() == SafeTensors.Checksum.ABSENT
                        ? "; note: the file has no data checksum (written elsewhere), so corruption cannot be detected" : ""));
            }
            w = null; // the weights now live in the model
            int step = tenCrop ? 1 : batch;
            for (int from = 0; from < images.size(); from += step) {
                int n = Math.min(step, images.size() - from);
                List<float[]> views = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    BufferedImage img = Images.readRgb(images.get(from + i), limits);
                    if (tenCrop) {
                        views.addAll(model.tenCrop(img, size, card));
                    } else {
                        views.add(model.view(img, size, card));
                    }
                }
                results.accept(from, tenCrop
                        ? List.of(Predictor.multiCrop(net, views, size, batch))
                        : Predictor.probabilities(net, views, size, batch));
                if (tenCrop && images.size() > 1) {
                    err.printf(Locale.ROOT, "\r%d/%d images", from + 1, images.size());
                }
            }
            if (tenCrop && images.size() > 1) {
                err.println();
            }
        }
    }
}
