package org.inceptionj.inception.train;

import java.nio.file.Path;

/**
 * Draws a run's curves ({@link TrainingPlot}) into a PNG: every step's loss, batch accuracy and
 * learning rate, every evaluation's test accuracy; the file is rewritten (atomically) after every
 * evaluation and at the end, so it can be watched while the run goes on.
 */
public final class PlotListener implements TrainingListener {
    private final Path file;
    private final TrainingPlot plot;

    public PlotListener(Path file, String title) {
        if (file == null) {
            throw new IllegalArgumentException("PlotListener: file is null");
        }
        this.file = file;
        this.plot = new TrainingPlot(title);
    }

    @Override
    public void onStep(TrainStep.Result r, double imagesPerSecond) {
        plot.addStep(r.step(), r.epoch(), r.loss(), (double) r.correct() / r.examples(), r.learningRate());
    }

    @Override
    public void onEvaluation(Trainer.Evaluated e) {
        // Evaluations happen at the end of an epoch: plot them there, not at the start of the next one.
        plot.addEvaluation(e.step(), e.epoch() + 1, e.result().top1(), e.result().top5());
        if (e.raw() != null) {
            plot.addEvaluationRaw(e.step(), e.epoch() + 1, e.raw().top1(), e.raw().top5());
        }
        plot.write(file);
    }

    @Override
    public void onEnd(Trainer.Outcome outcome) {
        plot.write(file);
    }
}
