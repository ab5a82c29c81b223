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

    /**
     * Puts a row of the log back into the plot (a resumed run's earlier steps and evaluations, see
     * {@link CsvLog#resumed}), so that the image shows the whole run and not only its last slice.
     * A row the plot refuses (an edited log: a value out of range, a step out of order) is skipped.
     */
    public void replay(CsvLog.Row row) {
        try {
            if (row.evaluation()) {
                plot.addEvaluation(row.step(), row.epoch(), row.top1(), row.top5());
            } else {
                plot.addStep(row.step(), row.epoch(), row.loss(), row.trainAccuracy(), row.learningRate());
            }
        } catch (IllegalArgumentException skipped) {
            // not a row this run could have written; the plot goes on without it
        }
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
