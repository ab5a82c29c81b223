package org.inceptionj.inception.train;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/**
 * One CSV line per step (and per evaluation), appended and flushed as it goes, so that a killed run
 * keeps every step it finished. Columns:
 * {@code step,epoch,lr,loss,aux_loss,weight_decay_loss,total_loss,gradient_norm,train_accuracy,images_per_second,test_top1,test_top5}
 * — a step line leaves the test columns empty; an evaluation line has only step, epoch and the test columns.
 */
public final class CsvLog implements TrainingListener, AutoCloseable {
    /** The header line. */
    public static final String HEADER = "step,epoch,lr,loss,aux_loss,weight_decay_loss,total_loss,gradient_norm,"
            + "train_accuracy,images_per_second,test_top1,test_top5";

    private final Path file;
    private final PrintWriter w;

    /** Opens {@code file} for appending (creating it with the header when it is new or empty); errors name the file. */
    public CsvLog(Path file) {
        if (file == null) {
            throw new IllegalArgumentException("CsvLog: file is null");
        }
        this.file = file;
        try {
            boolean fresh = !Files.exists(file) || Files.size(file) == 0;
            w = new PrintWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND));
            if (fresh) {
                w.println(HEADER);
                w.flush();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(new IOException("log " + file + ": " + e.getMessage(), e));
        }
    }

    @Override
    public void onStep(TrainStep.Result r, double imagesPerSecond) {
        w.printf(Locale.ROOT, "%d,%.6f,%.6g,%.6f,%.6f,%.6g,%.6f,%.6g,%.6f,%.2f,,%n", r.step(), r.epoch(), r.learningRate(),
                r.loss(), r.auxLoss(), r.weightDecayLoss(), r.totalLoss(), r.gradientNorm(),
                (double) r.correct() / r.examples(), imagesPerSecond);
        flush();
    }

    @Override
    public void onEvaluation(Trainer.Evaluated e) {
        w.printf(Locale.ROOT, "%d,%d,,,,,,,,,%.6f,%.6f%n", e.step(), e.epoch() + 1, e.result().top1(), e.result().top5());
        flush();
    }

    private void flush() {
        w.flush();
        if (w.checkError()) {
            throw new UncheckedIOException(new IOException("log " + file + ": write failed (disk full or file gone?)"));
        }
    }

    @Override
    public void close() {
        w.close();
    }
}
