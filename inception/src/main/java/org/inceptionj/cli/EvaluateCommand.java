package org.inceptionj.cli;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.inceptionj.api.Backend;
import org.inceptionj.api.Backends;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.Presets;
import org.inceptionj.inception.data.DataSource;
import org.inceptionj.inception.data.Dataset;
import org.inceptionj.inception.io.ModelCard;
import org.inceptionj.inception.io.SafeTensors;
import org.inceptionj.inception.io.WeightsLoader;
import org.inceptionj.inception.predict.Predictor;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Top-1 and top-5 error on a labelled image folder, single-crop or 10-crop, one model or the average
 * of several (the paper's Tables 4 and 5). Labels are the folder's class indices: sorted class
 * folder names, which for ImageNet's synset folders (n01440764, ...) is the order of the 1000
 * classes of torchvision's weights. Weights with 1001 outputs (TF-slim, background first) are
 * scored on outputs 1..1000.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = "Top-1/top-5 error of one model or an ensemble on DIR/<class>/<image>, single-crop or 10-crop (paper Tables 4-5).")
final class EvaluateCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--data", required = true, paramLabel = "SOURCE",
            description = "Labelled images: the test split of " + DataSource.FORMS + "; a plain DIR is evaluated whole"
                    + " (DIR/<class>/<image>, classes in sorted order).")
    String data;

    @Option(names = "--weights", required = true, paramLabel = "FILE",
            description = "Weights (safetensors, torchvision names); repeat for an ensemble (softmax outputs averaged).")
    List<Path> weights;

    @CommandLine.Mixin
    ImageModelOptions model;

    @Option(names = "--size", description = "Input side (default: the weights' own when train wrote them, else the preset's, 299).")
    Integer size;

    @Option(names = "--ten-crop", description = "Average the softmax over 10 crops per image (corners, center, mirrored).")
    boolean tenCrop;

    @Option(names = {"-b", "--batch"}, defaultValue = "16", description = "Views per forward pass (default: ${DEFAULT-VALUE}).")
    int batch;

    @Override
    public Integer call() {
        if (batch < 1) {
            throw new IllegalArgumentException("--batch " + batch + " must be >= 1");
        }
        for (Path w : weights) {
            if (!Files.isRegularFile(w)) {
                throw new IllegalArgumentException("--weights " + w + ": no such file");
            }
        }
        // Weights written by train carry their architecture, input, preprocessing and class names.
        ModelCard card = ModelCard.read(SafeTensors.read(weights.get(0)), weights.get(0));
        int side = model.size(size, card);
        InceptionV3.Config base = model.config(card);
        if (tenCrop) {
            model.tenCrop(new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB), side, card); // fails early for resize
        }
        DataSource labelled = DataSource.open(data);
        Dataset folder = labelled.test() != null ? labelled.test() : labelled.train();
        int n = folder.size();
        var err = spec.commandLine().getErr();
        float[][] sum = new float[n][];
        try (Backend backend = Backends.load()) {
            for (Path source : weights) {
                SafeTensors w = SafeTensors.read(source);
                InceptionV3.Config config = WeightsLoader.fitHeads(base, w);
                int offset = config.numClasses() == folder.classes().size() + 1 ? 1 : 0; // TF-slim's background class
                if (config.numClasses() - offset != folder.classes().size()) {
                    throw new IllegalArgumentException("--weights " + source + " has " + config.numClasses()
                            + " classes, --data " + data + " has " + folder.classes().size());
                }
                ModelCard own = ModelCard.read(w, source);
                if (own != null && !own.classes().equals(folder.classes())) {
                    err.println("note: --weights " + source + " names its classes " + abbreviate(own.classes()) + ", --data "
                            + data + " " + abbreviate(folder.classes()) + "; scoring by index");
                }
                try (InceptionV3 net = new InceptionV3(backend, config, 0);
                     ProgressBar bar = new ProgressBarBuilder().setTaskName(source.getFileName().toString())
                             .setInitialMax(n).setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500)
                             .setConsumer(new ConsoleProgressBarConsumer(System.err)).build()) {
                    if (WeightsLoader.load(net, w, true).checksum() == SafeTensors.Checksum.ABSENT) {
                        err.println("note: " + source + " has no data checksum (written elsewhere), so corruption"
                                + " cannot be detected");
                        err.flush();
                    }
                    score(net, folder, card, side, offset, sum, bar);
                }
            }
        }
        long top1 = 0, top5 = 0;
        for (int i = 0; i < n; i++) {
            List<Predictor.Prediction> best = Predictor.topK(sum[i], 5);
            int label = folder.label(i);
            top1 += best.get(0).index() == label ? 1 : 0;
            top5 += best.stream().anyMatch(p -> p.index() == label) ? 1 : 0;
        }
        var out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "%s, %s, %d image(s), %d class(es):%n", weights.size() == 1 ? "1 model"
                : "ensemble of " + weights.size() + " models", tenCrop ? "10 crops" : "1 crop", n, folder.classes().size());
        out.printf(Locale.ROOT, "top-1 error %.2f%% (accuracy %.2f%%), top-5 error %.2f%% (accuracy %.2f%%)%n",
                100.0 * (n - top1) / n, 100.0 * top1 / n, 100.0 * (n - top5) / n, 100.0 * top5 / n);
        out.printf(Locale.ROOT, "test top-1 %.2f%% top-5 %.2f%% on %d images%n", 100.0 * top1 / n, 100.0 * top5 / n, n);
        out.flush();
        return 0;
    }

    private static String abbreviate(List<String> names) {
        String s = names.toString();
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }

    /** Adds each image's softmax (over its crops; outputs from {@code offset} on) to {@code sum[i]}. */
    private void score(InceptionV3 net, Dataset folder, ModelCard card, int side, int offset, float[][] sum,
                       ProgressBar bar) {
        int perImage = tenCrop ? 10 : 1;
        int imagesPerPass = Math.max(1, batch / perImage);
        for (int from = 0; from < folder.size(); from += imagesPerPass) {
            int to = Math.min(folder.size(), from + imagesPerPass);
            List<float[]> views = new ArrayList<>();
            for (int i = from; i < to; i++) {
                BufferedImage img = folder.image(i);
                if (tenCrop) {
                    views.addAll(model.tenCrop(img, side, card));
                } else {
                    views.add(model.view(img, side, card));
                }
            }
            List<float[]> p = Predictor.probabilities(net, views, side, batch);
            for (int i = from; i < to; i++) {
                float[] acc = sum[i] == null ? (sum[i] = new float[folder.classes().size()]) : sum[i];
                for (int v = 0; v < perImage; v++) {
                    float[] row = p.get((i - from) * perImage + v);
                    for (int c = 0; c < acc.length; c++) {
                        acc[c] += row[c + offset];
                    }
                }
            }
            bar.stepTo(to);
        }
    }
}
