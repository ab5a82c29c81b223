package org.inceptionj.cli;

import java.awt.image.BufferedImage;
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
import org.inceptionj.inception.data.ImageFolder;
import org.inceptionj.inception.io.SafeTensors;
import org.inceptionj.inception.io.WeightsLoader;
import org.inceptionj.inception.predict.Predictor;
import org.inceptionj.inception.image.Preprocessing;

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

    @Option(names = "--data", required = true, paramLabel = "DIR", description = "Labelled images: DIR/<class>/<image>, classes in sorted order.")
    Path data;

    @Option(names = "--weights", required = true, paramLabel = "FILE",
            description = "Weights (safetensors, torchvision names); repeat for an ensemble (softmax outputs averaged).")
    List<Path> weights;

    @CommandLine.Mixin
    ImageModelOptions model;

    @Option(names = "--size", description = "Crop size (default: the preset's, 299 for inception-v3).")
    Integer size;

    @Option(names = "--ten-crop", description = "Average the softmax over 10 crops per image (corners, center, mirrored).")
    boolean tenCrop;

    @Option(names = {"-b", "--batch"}, defaultValue = "16", description = "Views per forward pass (default: ${DEFAULT-VALUE}).")
    int batch;

    @Override
    public Integer call() {
        Preprocessing pre = model.preprocessing();
        if (batch < 1) {
            throw new IllegalArgumentException("--batch " + batch + " must be >= 1");
        }
        int side = size != null ? size : Presets.inputSize(model.preset);
        model.checkSize(side);
        InceptionV3.Config base = model.config();
        ImageFolder folder = ImageFolder.open(data);
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
                try (InceptionV3 net = new InceptionV3(backend, config, 0);
                     ProgressBar bar = new ProgressBarBuilder().setTaskName(source.getFileName().toString())
                             .setInitialMax(n).setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500)
                             .setConsumer(new ConsoleProgressBarConsumer(System.err)).build()) {
                    WeightsLoader.load(net, w, true);
                    score(net, folder, pre, side, offset, sum, bar);
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
        out.flush();
        return 0;
    }

    /** Adds each image's softmax (over its crops; outputs from {@code offset} on) to {@code sum[i]}. */
    private void score(InceptionV3 model, ImageFolder folder, Preprocessing pre, int side, int offset, float[][] sum,
                       ProgressBar bar) {
        int perImage = tenCrop ? 10 : 1;
        int imagesPerPass = Math.max(1, batch / perImage);
        for (int from = 0; from < folder.size(); from += imagesPerPass) {
            int to = Math.min(folder.size(), from + imagesPerPass);
            List<float[]> views = new ArrayList<>();
            for (int i = from; i < to; i++) {
                BufferedImage img = folder.image(i);
                if (tenCrop) {
                    views.addAll(pre.tenCrop(img, side));
                } else {
                    views.add(pre.apply(img, side));
                }
            }
            List<float[]> p = Predictor.probabilities(model, views, side, batch);
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
