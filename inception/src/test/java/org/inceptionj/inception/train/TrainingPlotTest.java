package org.inceptionj.inception.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingPlotTest {
    @TempDir
    Path tmp;

    /** A run of {@code steps} steps of 100 per epoch: decaying noisy loss, rising accuracy, the paper's schedule. */
    private static TrainingPlot run(int steps, int evaluateEvery) {
        TrainingPlot plot = new TrainingPlot("test run");
        SplittableRandom random = new SplittableRandom(1);
        for (int s = 1; s <= steps; s++) {
            double epoch = s / 100.0;
            double loss = 3 * Math.exp(-epoch / 5) + 0.3 * random.nextDouble();
            double accuracy = Math.min(1, 0.1 + epoch / 20 + 0.1 * random.nextDouble());
            plot.addStep(s, epoch, loss, accuracy, 0.045 * Math.pow(0.94, Math.floor(epoch / 2)));
            if (s % evaluateEvery == 0) {
                double top1 = Math.min(1, 0.05 + epoch / 25);
                plot.addEvaluation(s, epoch, top1, Math.min(1, 2 * top1));
                plot.addEvaluationRaw(s, epoch, 0.9 * top1, Math.min(1, 1.8 * top1));
            }
        }
        return plot;
    }

    private static BufferedImage read(Path png) throws IOException {
        BufferedImage image = ImageIO.read(png.toFile());
        assertNotNull(image, png + " does not decode as an image");
        return image;
    }

    private static Set<Integer> colours(BufferedImage image) {
        Set<Integer> out = new HashSet<>();
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                out.add(image.getRGB(x, y) & 0xFFFFFF);
            }
        }
        return out;
    }

    private List<Path> filesIn(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    @Test
    void writesAPngOfTheDocumentedSizeWithEveryCurveDrawn() throws IOException {
        Path png = tmp.resolve("curves.png");
        run(3000, 500).write(png);
        BufferedImage image = read(png);
        assertEquals(TrainingPlot.WIDTH, image.getWidth());
        assertEquals(TrainingPlot.HEIGHT, image.getHeight());
        Set<Integer> colours = colours(image);
        // Text, axes and antialiased lines give hundreds of shades; a blank or one-colour image has 1 or 2.
        assertTrue(colours.size() > 100, colours.size() + " distinct colours");
        // The line colours themselves: loss/training accuracy blue, test top-1 red, learning rate green.
        for (int rgb : new int[] {0x1F77B4, 0xD62728, 0x2CA02C, 0xFF7F0E, 0x9467BD}) {
            assertTrue(colours.contains(rgb), String.format("no pixel of colour #%06X", rgb));
        }
        assertEquals(List.of(png), filesIn(tmp), "the temporary file is gone after the move");
    }

    @Test
    void anEmptyPlotStillWritesItsAxes() throws IOException {
        Path png = tmp.resolve("empty.png");
        new TrainingPlot("nothing yet").write(png);
        BufferedImage image = read(png);
        assertEquals(TrainingPlot.WIDTH, image.getWidth());
        assertTrue(colours(image).size() > 10, "axes and titles are drawn");
    }

    @Test
    void writingReplacesThePreviousImage() throws IOException {
        Path png = tmp.resolve("curves.png");
        TrainingPlot plot = run(200, 100);
        plot.write(png);
        byte[] first = Files.readAllBytes(png);
        for (int s = 201; s <= 400; s++) {
            plot.addStep(s, s / 100.0, 0.1, 0.9, 0.01);
        }
        plot.write(png);
        assertTrue(!java.util.Arrays.equals(first, Files.readAllBytes(png)), "the second write changed the file");
        read(png);
    }

    @Test
    void aFailedWriteNamesThePathLeavesNoTemporaryFileAndKeepsTheTarget() throws IOException {
        // A non-empty directory cannot be replaced by a file: the move fails after the image was written.
        Path target = Files.createDirectory(tmp.resolve("plot.png"));
        Files.writeString(target.resolve("keep"), "x");
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> run(10, 5).write(target));
        assertTrue(e.getMessage().contains(target.toString()), e.getMessage());
        assertEquals(List.of(target), filesIn(tmp), "no temporary file left beside the target");
        assertEquals(List.of(target.resolve("keep")), filesIn(target));

        Path missing = tmp.resolve("no-such-dir").resolve("plot.png");
        UncheckedIOException e2 = assertThrows(UncheckedIOException.class, () -> run(10, 5).write(missing));
        assertTrue(e2.getMessage().contains(missing.toString()), e2.getMessage());
    }

    @Test
    void aMillionStepsKeepTheBucketCountBoundedAndTheMeansExact() {
        TrainingPlot plot = new TrainingPlot("long run");
        int n = 1_000_000;
        for (int s = 0; s < n; s++) {
            // loss = step and lr = step / 1e6 make each bucket's mean its middle step; accuracy alternates 0/1.
            plot.addStep(s, s / 1000.0, s, s % 2, s / 1e6);
            assertTrue(plot.stepBuckets() <= TrainingPlot.MAX_POINTS, "after step " + s);
        }
        long w = plot.stepsPerBucket();
        // 1e6 steps in at most 2000 buckets of a power-of-two width: 512 (1954 buckets) is the smallest that fits.
        assertEquals(512, w);
        int buckets = plot.stepBuckets();
        assertEquals((n + w - 1) / w, buckets);
        TrainingPlot.Curve loss = plot.stepCurve(TrainingPlot.LOSS);
        TrainingPlot.Curve accuracy = plot.stepCurve(TrainingPlot.TRAIN_ACCURACY);
        TrainingPlot.Curve lr = plot.stepCurve(TrainingPlot.LEARNING_RATE);
        assertEquals(buckets, loss.y().length);
        for (int b = 0; b < buckets; b++) {
            long first = b * w, last = Math.min(n, (b + 1) * w) - 1;
            double middle = (first + last) / 2.0;
            assertEquals(middle, loss.y()[b], 0, "loss of bucket " + b);
            assertEquals(middle / 1000, loss.x()[b], 1e-9, "epoch of bucket " + b);
            assertEquals(middle / 1e6, lr.y()[b], 1e-12, "learning rate of bucket " + b);
            long odd = (last + 1) / 2 - first / 2;
            assertEquals((double) odd / (last - first + 1), accuracy.y()[b], 1e-12, "accuracy of bucket " + b);
        }
    }

    @Test
    void mergingStartsWhenTheBucketsAreFull() {
        TrainingPlot plot = new TrainingPlot("merge");
        for (int s = 0; s < TrainingPlot.MAX_POINTS; s++) {
            plot.addStep(s, 0, s, Double.NaN, 0);
        }
        assertEquals(TrainingPlot.MAX_POINTS, plot.stepBuckets());
        assertEquals(1, plot.stepsPerBucket());
        plot.addStep(TrainingPlot.MAX_POINTS, 0, TrainingPlot.MAX_POINTS, Double.NaN, 0);
        assertEquals(TrainingPlot.MAX_POINTS / 2 + 1, plot.stepBuckets());
        assertEquals(2, plot.stepsPerBucket());
        double[] y = plot.stepCurve(TrainingPlot.LOSS).y();
        assertArrayEquals(new double[] {0.5, 2.5, 4.5}, java.util.Arrays.copyOf(y, 3));
        assertEquals(TrainingPlot.MAX_POINTS, y[y.length - 1], "the new step opens a bucket of its own");
        assertEquals(0, plot.stepCurve(TrainingPlot.TRAIN_ACCURACY).y().length, "no accuracy was measured");
    }

    @Test
    void nonFiniteLossesAndUnknownAccuraciesAreSkipped() {
        TrainingPlot plot = new TrainingPlot("gaps");
        plot.addStep(0, 0.0, 1.0, 0.5, 0.1);
        plot.addStep(1, 0.1, Double.NaN, Double.NaN, 0.1);
        plot.addStep(2, 0.2, Double.POSITIVE_INFINITY, 0.25, 0.1);
        plot.addStep(3, 0.3, 3.0, Double.NaN, 0.1);
        assertArrayEquals(new double[] {1.0, 3.0}, plot.stepCurve(TrainingPlot.LOSS).y());
        assertArrayEquals(new double[] {0.0, 0.3}, plot.stepCurve(TrainingPlot.LOSS).x());
        assertArrayEquals(new double[] {0.5, 0.25}, plot.stepCurve(TrainingPlot.TRAIN_ACCURACY).y());
        assertEquals(4, plot.stepCurve(TrainingPlot.LEARNING_RATE).y().length);
    }

    @Test
    void badValuesAreRejectedNamingThem() {
        TrainingPlot plot = new TrainingPlot("bad");
        plot.addStep(5, 0.5, 1, 0.5, 0.1);
        assertMessage("step -1", () -> plot.addStep(-1, 0, 1, 0.5, 0.1));
        assertMessage("epoch NaN", () -> plot.addStep(6, Double.NaN, 1, 0.5, 0.1));
        assertMessage("epoch -0.5", () -> plot.addStep(6, -0.5, 1, 0.5, 0.1));
        assertMessage("epoch Infinity", () -> plot.addStep(6, Double.POSITIVE_INFINITY, 1, 0.5, 0.1));
        assertMessage("step 4 comes after step 5", () -> plot.addStep(4, 0.6, 1, 0.5, 0.1));
        assertMessage("trainAccuracy 1.5", () -> plot.addStep(6, 0.6, 1, 1.5, 0.1));
        assertMessage("learningRate NaN", () -> plot.addStep(6, 0.6, 1, 0.5, Double.NaN));
        assertMessage("learningRate -0.1", () -> plot.addStep(6, 0.6, 1, 0.5, -0.1));
        assertMessage("top1 NaN", () -> plot.addEvaluation(6, 0.6, Double.NaN, 0.5));
        assertMessage("top5 1.01", () -> plot.addEvaluationRaw(6, 0.6, 0.5, 1.01));
        assertMessage("step -3", () -> plot.addEvaluation(-3, 0.6, 0.5, 0.5));
        assertEquals(1, plot.stepBuckets(), "nothing rejected was added");
        assertThrows(IllegalArgumentException.class, () -> new TrainingPlot(null));
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expected), "'" + e.getMessage() + "' does not name " + expected);
    }

    /** The caller redraws after every evaluation: with 100k steps a write takes well under half a second. */
    @Test
    void writingAHundredThousandStepsIsFast() throws IOException {
        TrainingPlot plot = run(100_000, 1000);
        Path png = tmp.resolve("fast.png");
        plot.write(png); // the first write loads fonts and the PNG writer
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            long t0 = System.nanoTime();
            plot.write(png);
            best = Math.min(best, System.nanoTime() - t0);
        }
        assertTrue(best < 500_000_000L, "the fastest of 3 writes took " + best / 1_000_000 + " ms");
        read(png);
    }
}
