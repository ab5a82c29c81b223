package org.inceptionj.inception.train;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

import javax.imageio.ImageIO;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

import org.inceptionj.inception.io.SafeTensors;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The curves of one training run, drawn as one PNG of {@value #WIDTH}×{@value #HEIGHT} pixels with
 * three panels that share the x axis (epochs):
 * <pre>
 *   loss          training loss, the mean over each step bucket
 *   accuracy (%)  training accuracy (bucket mean), test top-1 and top-5 (and top-1 without the
 *                 parameter average, when {@link #addEvaluationRaw} was used)
 *   learning rate the schedule (bucket mean), a smaller panel
 * </pre>
 * Each panel is its own chart with its own epoch axis over the same range; their plot areas may
 * start a few pixels apart, as the library sizes each y axis by its tick labels.
 *
 * <p>Memory stays flat however long the run: each curve keeps at most {@value #MAX_POINTS} buckets.
 * A bucket holds the sums and counts of {@code width} consecutive samples; when the buckets are full,
 * neighbours are merged pairwise (sums and counts added, so a bucket's mean stays the exact mean of
 * its samples) and {@code width} doubles. After {@code n} steps every bucket but the last covers the
 * same number of steps, a power of two between {@code n / MAX_POINTS} and {@code 2n / MAX_POINTS}.
 * The drawing groups buckets further into at most {@value #DRAWN_POINTS} points per curve, which is
 * both the smoothing of the noisy per-step loss and what keeps {@link #write} fast.
 *
 * <p>What is accepted: steps and epochs are finite and {@code >= 0}, and steps do not go backwards
 * within a curve (a run resumed into a new plot simply starts later). The loss may be NaN or infinite
 * (a diverged step): such values are skipped, so a bucket's mean is that of its finite losses, and a
 * bucket with none is left out of the curve. Accuracies are in [0, 1]; training accuracy may be NaN for "not
 * measured" and is then skipped the same way. The learning rate is finite and {@code >= 0}. Anything
 * else is an {@link IllegalArgumentException} naming the argument and its value.
 *
 * <p>Rendering is headless: nothing here needs a display, and {@code java.awt.headless} is set to
 * true unless the application chose otherwise before this class was loaded. The methods are
 * synchronized, so a trainer may add from one thread and write from another.
 */
public final class TrainingPlot {
    static {
        // The chart library draws with Java2D into an image; that needs no display, and on a machine
        // without one (CI, a GPU server) AWT must not try to open one. Respect an explicit choice.
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    /** Image size in pixels. */
    public static final int WIDTH = 1200, HEIGHT = 900;
    /** The most buckets one curve keeps in memory (even, so that pairwise merging halves it exactly). */
    public static final int MAX_POINTS = 2000;
    /** The most points one curve is drawn with. */
    static final int DRAWN_POINTS = 500;

    // Channels of the step curve and of the evaluation curves.
    static final int LOSS = 0, TRAIN_ACCURACY = 1, LEARNING_RATE = 2;
    static final int TOP1 = 0, TOP5 = 1;

    private final String title;
    private final Buckets steps = new Buckets(MAX_POINTS, 3);
    private final Buckets evaluations = new Buckets(MAX_POINTS, 2);
    private final Buckets rawEvaluations = new Buckets(MAX_POINTS, 2);

    /** An empty plot; {@code title} heads the image. */
    public TrainingPlot(String title) {
        if (title == null) {
            throw new IllegalArgumentException("TrainingPlot: title must not be null");
        }
        this.title = title;
    }

    /**
     * Adds one training step: its loss, training accuracy in [0, 1] (NaN when not measured) and
     * learning rate, placed at {@code epoch} (fractional: step × batch / examples per epoch).
     *
     * @throws IllegalArgumentException for a negative or non-finite step or epoch, a step before the
     *                                  previous one, an accuracy outside [0, 1], or a NaN or negative
     *                                  learning rate (the loss is never rejected, see the class comment)
     */
    public synchronized void addStep(long step, double epoch, double loss, double trainAccuracy, double learningRate) {
        checkPosition("addStep", steps, step, epoch);
        if (!Double.isNaN(trainAccuracy)) {
            checkFraction("addStep", "trainAccuracy", trainAccuracy);
        }
        if (!(learningRate >= 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("TrainingPlot.addStep: learningRate " + learningRate
                    + " must be a finite number >= 0 (step " + step + ")");
        }
        steps.add(step, epoch, Double.isFinite(loss) ? loss : Double.NaN, trainAccuracy, learningRate);
    }

    /**
     * Adds one evaluation on the test set (with the parameter average, when the run keeps one):
     * top-1 and top-5 accuracy in [0, 1].
     *
     * @throws IllegalArgumentException as {@link #addStep} for step and epoch, and for an accuracy
     *                                  outside [0, 1] (NaN included)
     */
    public synchronized void addEvaluation(long step, double epoch, double top1, double top5) {
        addEvaluation("addEvaluation", evaluations, step, epoch, top1, top5);
    }

    /**
     * Like {@link #addEvaluation}, for the model's own weights when the test curve above is that of the
     * parameter average; drawn as a separate, dashed curve so the two can be compared.
     */
    public synchronized void addEvaluationRaw(long step, double epoch, double top1, double top5) {
        addEvaluation("addEvaluationRaw", rawEvaluations, step, epoch, top1, top5);
    }

    private static void addEvaluation(String op, Buckets into, long step, double epoch, double top1, double top5) {
        checkPosition(op, into, step, epoch);
        checkFraction(op, "top1", top1);
        checkFraction(op, "top5", top5);
        into.add(step, epoch, top1, top5);
    }

    private static void checkPosition(String op, Buckets curve, long step, double epoch) {
        if (step < 0) {
            throw new IllegalArgumentException("TrainingPlot." + op + ": step " + step + " must be >= 0");
        }
        if (!(epoch >= 0) || Double.isInfinite(epoch)) {
            throw new IllegalArgumentException("TrainingPlot." + op + ": epoch " + epoch
                    + " must be a finite number >= 0 (step " + step + ")");
        }
        if (step < curve.lastStep) {
            throw new IllegalArgumentException("TrainingPlot." + op + ": step " + step + " comes after step "
                    + curve.lastStep + "; steps must not go backwards");
        }
    }

    private static void checkFraction(String op, String name, double v) {
        if (!(v >= 0 && v <= 1)) {
            throw new IllegalArgumentException("TrainingPlot." + op + ": " + name + " " + v + " must be in [0, 1]");
        }
    }

    // ------------------------------------------------------------------------------- writing

    /**
     * Draws the plot and writes it to {@code png}, atomically: the image goes to a temporary file in
     * the same directory which then replaces {@code png}, so a viewer (or a crash) never sees half an
     * image; on failure {@code png} is untouched and the temporary file is removed. The temporary
     * file is named {@code <name>.<pid>.<nanos>.tmp}, as {@link SafeTensors#write} names its own, and
     * those that killed writers left behind are removed first ({@link SafeTensors#deleteStaleTemporaries}).
     * Not forced to disk: a plot lost to a power cut is redrawn at the next evaluation.
     *
     * @throws UncheckedIOException if the file cannot be written (the message names it)
     */
    public void write(Path png) {
        if (png == null) {
            throw new IllegalArgumentException("TrainingPlot.write: png must not be null");
        }
        BufferedImage image = render();
        Path target = png.toAbsolutePath();
        SafeTensors.deleteStaleTemporaries(target);
        Path tmp = target.resolveSibling(target.getFileName() + "." + ProcessHandle.current().pid() + "."
                + System.nanoTime() + ".tmp");
        try {
            // Our own stream: ImageIO.write(File) prints a stack trace and hides the reason when it cannot
            // open the file, and the memory cache keeps ImageIO from creating a cache file of its own in tmpdir.
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE));
                 ImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
                if (!ImageIO.write(image, "png", stream)) {
                    throw new IOException("no PNG writer in this JDK");
                }
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("TrainingPlot.write: cannot write " + png + ": " + e, e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the original failure, if any, is the one to report
            }
        }
    }

    /** The picture {@link #write} saves; the data is copied under the lock, drawing happens outside it. */
    BufferedImage render() {
        Curve loss, trainAccuracy, learningRate, top1, top5, rawTop1;
        long lastStep;
        double lastEpoch;
        synchronized (this) {
            loss = steps.curve(LOSS, DRAWN_POINTS, 1);
            trainAccuracy = steps.curve(TRAIN_ACCURACY, DRAWN_POINTS, 100);
            learningRate = steps.curve(LEARNING_RATE, DRAWN_POINTS, 1);
            top1 = evaluations.curve(TOP1, DRAWN_POINTS, 100);
            top5 = evaluations.curve(TOP5, DRAWN_POINTS, 100);
            rawTop1 = rawEvaluations.curve(TOP1, DRAWN_POINTS, 100);
            lastStep = Math.max(steps.lastStep, Math.max(evaluations.lastStep, rawEvaluations.lastStep));
            lastEpoch = Math.max(steps.lastEpoch, Math.max(evaluations.lastEpoch, rawEvaluations.lastEpoch));
        }
        // Shared x range, so that the panels line up; at least one epoch wide so an empty plot has axes.
        double xMax = Math.max(1, lastEpoch);
        String heading = lastStep < 0 ? title + " (no steps yet)"
                : String.format(Locale.ROOT, "%s: step %,d, epoch %.2f", title, lastStep, lastEpoch);

        int lossHeight = HEIGHT * 2 / 5, accuracyHeight = HEIGHT * 2 / 5, lrHeight = HEIGHT - lossHeight - accuracyHeight;
        XYChart lossPanel = panel(heading, "loss", lossHeight, xMax);
        line(lossPanel, "training loss", loss, new Color(31, 119, 180), false);

        XYChart accuracyPanel = panel(null, "accuracy (%)", accuracyHeight, xMax);
        accuracyPanel.getStyler().setYAxisMin(0.0).setYAxisMax(100.0);
        line(accuracyPanel, "training", trainAccuracy, new Color(31, 119, 180), false);
        line(accuracyPanel, "test top-1", top1, new Color(214, 39, 40), true);
        line(accuracyPanel, "test top-5", top5, new Color(255, 127, 14), true);
        XYSeries raw = line(accuracyPanel, "test top-1, no average", rawTop1, new Color(148, 103, 189), true);
        if (raw != null) {
            raw.setLineStyle(new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, new float[] {6f, 4f}, 0f));
        }

        XYChart lrPanel = panel(null, "learning rate", lrHeight, xMax);
        lrPanel.setXAxisTitle("epoch");
        // Plain decimals read best for the paper's 0.045 and its decays; tiny rates would all print as 0.
        double maxRate = java.util.Arrays.stream(learningRate.y()).max().orElse(1);
        lrPanel.getStyler().setYAxisDecimalPattern(maxRate < 1e-3 ? "0.##E0" : "0.####");
        line(lrPanel, "learning rate", learningRate, new Color(44, 160, 44), false);

        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            int y = 0;
            for (XYChart c : new XYChart[] {lossPanel, accuracyPanel, lrPanel}) {
                Graphics2D panel = (Graphics2D) g.create(0, y, WIDTH, c.getHeight());
                try {
                    c.paint(panel, WIDTH, c.getHeight());
                } finally {
                    panel.dispose();
                }
                y += c.getHeight();
            }
        } finally {
            g.dispose();
        }
        return image;
    }

    private static XYChart panel(String heading, String yTitle, int height, double xMax) {
        XYChart c = new XYChart(WIDTH, height);
        c.setYAxisTitle(yTitle);
        Styler s = c.getStyler();
        c.getStyler().setXAxisMin(0.0).setXAxisMax(xMax);
        s.setChartBackgroundColor(Color.WHITE);
        s.setLegendPosition(Styler.LegendPosition.InsideNE);
        s.setLegendBackgroundColor(new Color(255, 255, 255, 200));
        s.setMarkerSize(6);
        s.setChartTitleVisible(heading != null);
        if (heading != null) {
            c.setTitle(heading);
        }
        return c;
    }

    /** Adds {@code curve} to {@code chart} as a line (with markers when {@code marked}); null if it is empty. */
    private static XYSeries line(XYChart chart, String name, Curve curve, Color color, boolean marked) {
        if (curve.x().length == 0) {
            return null; // the library rejects empty series; the legend then lists only what was measured
        }
        XYSeries s = chart.addSeries(name, curve.x(), curve.y());
        s.setLineColor(color);
        s.setMarkerColor(color);
        s.setMarker(marked ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
        return s;
    }

    // ------------------------------------------------------------------------------- buckets

    /** Points of one drawn curve: mean epoch and mean value of each group of buckets with a value. */
    record Curve(double[] x, double[] y) {
    }

    /** The number of buckets the step curve holds now (at most {@link #MAX_POINTS}). */
    synchronized int stepBuckets() {
        return steps.size;
    }

    /** The step curve's buckets, ungrouped: {@code channel} is {@link #LOSS}, {@link #TRAIN_ACCURACY} or {@link #LEARNING_RATE}. */
    synchronized Curve stepCurve(int channel) {
        return steps.curve(channel, MAX_POINTS, 1);
    }

    /** The steps each full bucket of the step curve covers now. */
    synchronized long stepsPerBucket() {
        return steps.width;
    }

    /**
     * A sequence of at most {@code capacity} buckets, each the sums of {@code width} consecutive samples
     * (the last one possibly fewer): the epoch sum and sample count, and per channel the sum and count of
     * the values that were not NaN.
     */
    private static final class Buckets {
        final int capacity;
        final double[] epochSum;
        final long[] samples;
        final double[][] sum;
        final long[][] count;
        int size;
        long width = 1;
        long lastStep = -1;
        double lastEpoch;

        Buckets(int capacity, int channels) {
            this.capacity = capacity;
            epochSum = new double[capacity];
            samples = new long[capacity];
            sum = new double[channels][capacity];
            count = new long[channels][capacity];
        }

        void add(long step, double epoch, double... values) {
            if (size == 0 || samples[size - 1] == width) {
                if (size == capacity) {
                    mergePairs();
                }
                size++; // the arrays at [size - 1] are zero: never used, or cleared by mergePairs
            }
            int b = size - 1;
            epochSum[b] += epoch;
            samples[b]++;
            for (int c = 0; c < values.length; c++) {
                if (!Double.isNaN(values[c])) {
                    sum[c][b] += values[c];
                    count[c][b]++;
                }
            }
            lastStep = step;
            lastEpoch = epoch;
        }

        /** Buckets 2i and 2i+1 become bucket i; the freed upper half is cleared. Capacity is even, all are full. */
        private void mergePairs() {
            int half = size / 2;
            for (int i = 0; i < half; i++) {
                epochSum[i] = epochSum[2 * i] + epochSum[2 * i + 1];
                samples[i] = samples[2 * i] + samples[2 * i + 1];
                for (int c = 0; c < sum.length; c++) {
                    sum[c][i] = sum[c][2 * i] + sum[c][2 * i + 1];
                    count[c][i] = count[c][2 * i] + count[c][2 * i + 1];
                }
            }
            java.util.Arrays.fill(epochSum, half, size, 0);
            java.util.Arrays.fill(samples, half, size, 0);
            for (int c = 0; c < sum.length; c++) {
                java.util.Arrays.fill(sum[c], half, size, 0);
                java.util.Arrays.fill(count[c], half, size, 0);
            }
            size = half;
            width *= 2;
        }

        /**
         * {@code channel}'s curve with consecutive buckets grouped so that at most {@code maxPoints}
         * remain: x is the group's mean epoch, y the mean of its values times {@code scale}. Groups
         * without a value in the channel are left out.
         */
        Curve curve(int channel, int maxPoints, double scale) {
            int group = Math.max(1, (size + maxPoints - 1) / maxPoints);
            int groups = (size + group - 1) / group;
            double[] x = new double[groups], y = new double[groups];
            int n = 0;
            for (int g = 0; g < groups; g++) {
                double e = 0, v = 0;
                long k = 0, m = 0;
                for (int b = g * group; b < Math.min(size, (g + 1) * group); b++) {
                    e += epochSum[b];
                    k += samples[b];
                    v += sum[channel][b];
                    m += count[channel][b];
                }
                if (m > 0) {
                    x[n] = e / k;
                    y[n] = scale * v / m;
                    n++;
                }
            }
            return new Curve(java.util.Arrays.copyOf(x, n), java.util.Arrays.copyOf(y, n));
        }
    }
}
