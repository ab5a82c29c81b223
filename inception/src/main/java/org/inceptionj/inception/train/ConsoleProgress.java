package org.inceptionj.inception.train;

import java.io.PrintStream;
import java.util.Locale;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A progress bar per epoch on a console stream: steps done, elapsed time and ETA, and after them the
 * running mean loss and training accuracy of the epoch so far (training mode: batch statistics,
 * dropout) and the images per second of wall time, data loading included. Evaluations and
 * checkpoints get a line each.
 */
public final class ConsoleProgress implements TrainingListener {
    private final PrintStream out;
    private final java.io.PrintWriter lines;
    private ProgressBar bar;
    private int epochs;
    private long epochStartNanos;
    private long images;
    private int correct;
    private double lossSum;
    private int steps;

    /** Draws the bars on {@code out} and writes the evaluation lines there too (usually System.err, so that stdout keeps only results). */
    public ConsoleProgress(PrintStream out) {
        this(out, new java.io.PrintWriter(out, true));
    }

    /** Draws the bars on {@code bars} and writes the evaluation lines to {@code lines}. */
    public ConsoleProgress(PrintStream bars, java.io.PrintWriter lines) {
        if (bars == null || lines == null) {
            throw new IllegalArgumentException("ConsoleProgress: stream is null");
        }
        this.out = bars;
        this.lines = lines;
    }

    @Override
    public void onStart(Trainer.Run run) {
        epochs = run.epochs();
    }

    @Override
    public void onEpochStart(int epoch, int batches, int fromBatch) {
        bar = new ProgressBarBuilder().setTaskName("epoch " + (epoch + 1) + "/" + epochs).setInitialMax(batches)
                .setStyle(ProgressBarStyle.ASCII).setConsumer(new ConsoleProgressBarConsumer(out))
                .setUpdateIntervalMillis(500).continuousUpdate().build();
        bar.stepTo(fromBatch);
        epochStartNanos = System.nanoTime();
        images = 0;
        correct = 0;
        lossSum = 0;
        steps = 0;
    }

    @Override
    public void onStep(TrainStep.Result r, double imagesPerSecond) {
        images += r.examples();
        correct += r.correct();
        lossSum += r.loss();
        steps++;
        double seconds = (System.nanoTime() - epochStartNanos) / 1e9;
        bar.step();
        bar.setExtraMessage(String.format(Locale.ROOT, " loss %.3f acc %.1f%% %.0f img/s",
                lossSum / steps, 100.0 * correct / images, images / seconds));
    }

    @Override
    public void onEpochEnd(int epoch) {
        closeBar();
    }

    @Override
    public void onEvaluation(Trainer.Evaluated e) {
        closeBar();
        lines.printf(Locale.ROOT, "epoch %d: test top-1 %.2f%% top-5 %.2f%% on %d images%s%n", e.epoch() + 1,
                100 * e.result().top1(), 100 * e.result().top5(), e.result().examples(),
                (e.averaged() ? " (parameter average)" : "") + (e.complete() ? "" : " (the first of the test set)"));
        lines.flush();
    }

    @Override
    public void onEnd(Trainer.Outcome outcome) {
        closeBar();
    }

    private void closeBar() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
