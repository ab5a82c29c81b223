package org.inceptionj.inception.train;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.function.Consumer;

import org.inceptionj.inception.io.SafeTensors;

/**
 * One CSV line per step (and per evaluation), appended and flushed as it goes, so that a killed run
 * keeps every step it finished. Columns:
 * {@code step,epoch,lr,loss,aux_loss,weight_decay_loss,total_loss,gradient_norm,train_accuracy,images_per_second,test_top1,test_top5}
 * — a step line leaves the test columns empty; an evaluation line has only step, epoch and the test columns.
 *
 * <p>Each run's lines follow a header line of their own: a new run that is given a log which already
 * holds lines (of an earlier run) appends the header again rather than mixing its steps into the
 * earlier ones, and never removes anything. A resumed run ({@link #resumed}) repeats the steps the
 * interrupted run took after its last checkpoint; before it starts, those lines are removed from the
 * last run's lines, so every step of a run appears exactly once.
 */
public final class CsvLog implements TrainingListener, AutoCloseable {
    /** The header line. */
    public static final String HEADER = "step,epoch,lr,loss,aux_loss,weight_decay_loss,total_loss,gradient_norm,"
            + "train_accuracy,images_per_second,test_top1,test_top5";

    /**
     * One parsed line: a step ({@code evaluation} false; {@code top1}, {@code top5} NaN) or an
     * evaluation ({@code evaluation} true; {@code learningRate}, {@code loss}, {@code trainAccuracy} NaN).
     */
    public record Row(long step, double epoch, boolean evaluation, double learningRate, double loss, double trainAccuracy,
                      double top1, double top5) {
    }

    private final Path file;
    private final Consumer<Row> earlier; // resuming: receives the kept rows when the run starts
    private PrintWriter w; // null until a resuming log has been trimmed

    /**
     * Opens {@code file} for a new run: created with the header when it is new or empty; when it
     * already holds lines, a line an interrupted writer left unfinished is ended and the header is
     * appended again (see the class comment). Errors name the file.
     */
    public CsvLog(Path file) {
        if (file == null) {
            throw new IllegalArgumentException("CsvLog: file is null");
        }
        this.file = file;
        this.earlier = null;
        try {
            long size = Files.exists(file) ? Files.size(file) : 0;
            boolean unfinished = size > 0 && lastByte(file) != '\n';
            w = new PrintWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND));
            if (unfinished) {
                w.println();
            }
            w.println(HEADER);
            flush();
        } catch (IOException e) {
            throw new UncheckedIOException(new IOException("log " + file + ": " + e.getMessage(), e));
        }
    }

    private CsvLog(Path file, Consumer<Row> earlier) {
        this.file = file;
        this.earlier = earlier;
    }

    /**
     * A log for a run that resumes a checkpoint: when the run starts ({@link #onStart}, once the
     * checkpoint is loaded and its step count {@link Trainer.Run#firstStep} known and valid), the
     * file is trimmed to that step and opened as {@link #resumed} says; {@code earlier} (may be
     * null) then receives the run's kept rows. Nothing is read or changed before.
     */
    public static CsvLog resuming(Path file, Consumer<Row> earlier) {
        if (file == null) {
            throw new IllegalArgumentException("CsvLog: file is null");
        }
        return new CsvLog(file, earlier == null ? row -> { } : earlier);
    }

    @Override
    public void onStart(Trainer.Run run) {
        if (w == null) {
            w = trim(file, run.firstStep(), earlier);
        }
    }

    /**
     * Opens {@code file} for a run resumed from a checkpoint saved after {@code steps} steps. Among
     * the lines after the last header (the run being resumed), it removes the step lines of steps
     * {@code >= steps} and the evaluation lines after step {@code steps} — what the interrupted run
     * logged after its last save, which the resumed run logs again — and an unfinished last line.
     * The rewrite is atomic (a temporary file {@code <name>.<pid>.<nanos>.tmp} beside the log
     * replaces it, and those of killed writers are removed first, as
     * {@link SafeTensors#deleteStaleTemporaries} does), so a kill during it leaves the old log whole;
     * nothing is rewritten when nothing is removed. Lines before the last header (earlier runs) are
     * kept untouched; a log without any header is taken as the resumed run's and gets one on top. A
     * missing or empty file starts with the header. {@code earlier} receives the kept rows of the resumed run, oldest
     * first (to redraw its curves); it may be null.
     */
    public static CsvLog resumed(Path file, long steps, Consumer<Row> earlier) {
        if (file == null || steps < 0) {
            throw new IllegalArgumentException("CsvLog.resumed: file " + file + ", steps " + steps + " (must be >= 0)");
        }
        CsvLog log = new CsvLog(file, earlier);
        log.w = trim(file, steps, earlier);
        return log;
    }

    private static PrintWriter trim(Path file, long steps, Consumer<Row> earlier) {
        try {
            if (!Files.exists(file) || Files.size(file) == 0) {
                PrintWriter w = new PrintWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND));
                w.println(HEADER);
                w.flush();
                return w;
            }
            SafeTensors.deleteStaleTemporaries(file);
            // Pass 1: where the last run's lines begin, whether the last line is finished, what goes.
            long lines = 0, lastHeader = -1, dropped = 0;
            try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                for (String line; (line = r.readLine()) != null; lines++) {
                    if (line.startsWith("step,")) {
                        lastHeader = lines;
                        dropped = 0; // only the last run's lines are judged
                    } else if (!keep(parse(line), steps)) {
                        dropped++;
                    }
                }
            }
            long unfinished = lastByte(file) != '\n' ? lines - 1 : -1;
            boolean rewrite = dropped > 0 || unfinished >= 0 || lastHeader < 0;
            // Pass 2: the rows of the resumed run to `earlier`; the kept lines into a temporary file.
            Path target = file.toAbsolutePath();
            Path tmp = rewrite ? target.resolveSibling(target.getFileName() + "." + ProcessHandle.current().pid() + "."
                    + System.nanoTime() + ".tmp") : null;
            try {
                try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8);
                     BufferedWriter out = rewrite ? Files.newBufferedWriter(tmp, StandardCharsets.UTF_8,
                             StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE) : null) {
                    if (out != null && lastHeader < 0) {
                        out.write(HEADER); // a log without a header (not written here): all of it is the run's
                        out.newLine();
                    }
                    long i = 0;
                    for (String line; (line = r.readLine()) != null; i++) {
                        Row row = i > lastHeader ? parse(line) : null;
                        if (i > lastHeader && (i == unfinished || !keep(row, steps))) {
                            continue;
                        }
                        if (out != null) {
                            out.write(line);
                            out.newLine();
                        }
                        if (row != null && earlier != null) {
                            earlier.accept(row);
                        }
                    }
                }
                if (rewrite) {
                    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                        ch.force(true);
                    }
                    try {
                        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    } catch (AtomicMoveNotSupportedException e) {
                        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            } finally {
                if (tmp != null) {
                    Files.deleteIfExists(tmp);
                }
            }
            return new PrintWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND));
        } catch (IOException e) {
            throw new UncheckedIOException(new IOException("log " + file + ": " + e.getMessage(), e));
        }
    }

    /** Whether a line of the resumed run stays: anything but a step {@code >= steps} or an evaluation after {@code steps}. */
    private static boolean keep(Row row, long steps) {
        return row == null || (row.evaluation() ? row.step() <= steps : row.step() < steps);
    }

    /** A step or evaluation line, or null for anything else (a header, a line this class did not write). */
    static Row parse(String line) {
        String[] f = line.split(",", -1);
        if (f.length != 12) {
            return null;
        }
        try {
            long step = Long.parseLong(f[0]);
            double epoch = Double.parseDouble(f[1]);
            if (f[2].isEmpty() && !f[10].isEmpty()) {
                return new Row(step, epoch, true, Double.NaN, Double.NaN, Double.NaN, Double.parseDouble(f[10]),
                        Double.parseDouble(f[11]));
            }
            if (!f[2].isEmpty() && f[10].isEmpty()) {
                return new Row(step, epoch, false, Double.parseDouble(f[2]), Double.parseDouble(f[3]), Double.parseDouble(f[8]),
                        Double.NaN, Double.NaN);
            }
            return null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static int lastByte(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (ch.size() == 0) {
                return -1;
            }
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, ch.size() - 1);
            return b.get(0);
        }
    }

    @Override
    public void onStep(TrainStep.Result r, double imagesPerSecond) {
        started();
        w.printf(Locale.ROOT, "%d,%.6f,%.6g,%.6f,%.6f,%.6g,%.6f,%.6g,%.6f,%.2f,,%n", r.step(), r.epoch(), r.learningRate(),
                r.loss(), r.auxLoss(), r.weightDecayLoss(), r.totalLoss(), r.gradientNorm(),
                (double) r.correct() / r.examples(), imagesPerSecond);
        flush();
    }

    @Override
    public void onEvaluation(Trainer.Evaluated e) {
        started();
        w.printf(Locale.ROOT, "%d,%d,,,,,,,,,%.6f,%.6f%n", e.step(), e.epoch() + 1, e.result().top1(), e.result().top5());
        flush();
    }

    private void started() {
        if (w == null) {
            throw new IllegalStateException("CsvLog " + file + ": a resuming log is written only after onStart");
        }
    }

    private void flush() {
        w.flush();
        if (w.checkError()) {
            throw new UncheckedIOException(new IOException("log " + file + ": write failed (disk full or file gone?)"));
        }
    }

    @Override
    public void close() {
        if (w != null) {
            w.close();
        }
    }
}
