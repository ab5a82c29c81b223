package org.inceptionj.inception.train;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.inceptionj.api.Tensor;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.io.InvalidFileException;
import org.inceptionj.inception.io.RecordText;
import org.inceptionj.inception.io.SafeTensors;
import org.inceptionj.inception.io.WeightsLoader;

/**
 * The whole state of a training run in one safetensors file, so that a run stopped after step k and
 * resumed from the file reaches, bit for bit, the parameters of a run that never stopped.
 *
 * <pre>
 *   &lt;torchvision name&gt;            every parameter and BN running statistic of the model (F32)
 *   optimizer.&lt;param&gt;.rms          RMSProp's mean square, per trainable parameter
 *   optimizer.&lt;param&gt;.momentum     RMSProp's momentum
 *   ema.&lt;name&gt;                     the parameter average (only when the TrainConfig has one)
 *   __metadata__                    format "pt"; {@value #VERSION_KEY} "1"; step, examplesSeen;
 *                                   dropout.seedBase, dropout.step (the model's dropout stream);
 *                                   train.&lt;field&gt; (every TrainConfig field, learningRate.* flattened)
 *                                   and model.&lt;field&gt; (every InceptionV3.Config field), as Java's
 *                                   shortest round-trip decimal (Float/Double.toString) or enum name
 * </pre>
 *
 * The model part keeps torchvision's names and {@link WeightsLoader} ignores the
 * {@link WeightsLoader#TRAINING_STATE_PREFIXES training-state prefixes}, so the file is also a weights
 * file: {@code WeightsLoader.load(model, file, true)} puts the trained (not averaged) weights into a
 * plain model for {@code forward} or {@code predict}. For the averaged weights, {@code ema().copyTo} a model
 * and {@link WeightsLoader#save} it.
 *
 * <p>Exactness: every tensor is stored as its float bits, the counters and the dropout stream exactly,
 * so a resumed step computes what the uninterrupted one did (given the same batches in the same order:
 * the data pipeline's position is the caller's to keep, e.g. from {@code examplesSeen}).
 *
 * <p>Safety: {@link #save} is atomic (written to a temporary file beside the target, forced to disk,
 * then moved over it): a process dying while saving leaves the previous checkpoint whole, and the
 * temporary file it leaves is deleted by the next save to the same file (see
 * {@link SafeTensors#deleteStaleTemporaries}); {@code CheckpointKillTest} kills training runs mid-save
 * to check both.
 * {@link #load} validates everything first (file format, version, both configs field by field, every
 * tensor's presence, dtype and shape, the counters), reports every problem in one message, and changes
 * nothing unless all of it fits. A checkpoint only loads into a TrainStep built with the same TrainConfig
 * and model config: resuming is exact or refused. {@link #trainConfig} and {@link #modelConfig} read the
 * configs back to build that TrainStep.
 *
 * <p>Trust: a checkpoint is a file, so everything in it is checked before it is used, and every problem is
 * an {@link InvalidFileException} naming the file.
 * <ul>
 *   <li>Integrity: {@link SafeTensors#write} records a CRC32C of the data region and {@link SafeTensors#read}
 *       verifies it, so a corrupted byte of any tensor is refused ("data checksum mismatch"). {@link #load}
 *       returns whether the file had the checksum (files of this code always do).</li>
 *   <li>Configuration: {@link #modelConfig} holds every field to {@link InceptionV3.Config}'s limits and
 *       refuses a configuration whose model is larger than the tensors the file holds
 *       ({@link WeightsLoader#checkHolds}), so no tampered class count or width makes the caller build a
 *       model the file does not back.</li>
 *   <li>Values: parameters, BN statistics, optimizer slots and averages must all be finite; a NaN would
 *       make every later step NaN, or evaluation a silent constant.</li>
 *   <li>Counters: {@code step} in [0, {@value #MAX_STEPS}] (the trainer counts epochs and batches in
 *       {@code int}); {@code examplesSeen} in [{@code step}, {@code step × examplesPerEpoch}], since every
 *       step sees at least one example and at most an epoch's worth (a batch is never larger than an epoch);
 *       so the epoch the schedule sees, examplesSeen / examplesPerEpoch, is at most {@code step};
 *       {@code dropout.step} ≥ 0; {@code dropout.seedBase} any 64-bit integer.</li>
 * </ul>
 */
public final class Checkpoint {
    private Checkpoint() {
    }

    /** The metadata key marking a training checkpoint; its value is the format version. */
    public static final String VERSION_KEY = "inceptionj.checkpoint";
    /**
     * The format version this code writes and reads. 2: the TrainConfig names its optimizer (RMSProp
     * or momentum) and the learning rate its decay shape, warm-up and end; version 1 files are refused.
     */
    public static final int VERSION = 2;

    static final String OPTIMIZER = "optimizer.";
    static final String EMA = "ema.";
    static final String STEP = "step";
    static final String EXAMPLES_SEEN = "examplesSeen";
    static final String DROPOUT_SEED = "dropout.seedBase";
    static final String DROPOUT_STEP = "dropout.step";
    static final String TRAIN = "train.";
    static final String MODEL = "model.";
    static final String RUN = "run.";

    /** How many names a section of an error message lists before "...". */
    private static final int EXAMPLES = 10;

    /** The largest step count a checkpoint may hold: the trainer's epoch and batch numbers are {@code int}s. */
    public static final long MAX_STEPS = Integer.MAX_VALUE;

    /** How messages name the file. */
    private static final String WHAT = "checkpoint";

    /**
     * Writes {@code step}'s model, optimizer slots, EMA shadows, counters and configs to {@code file},
     * atomically (see the class comment). Reads only; must not be called while the EMA is swapped in
     * (the model would hold the averages).
     *
     * @throws IllegalStateException    if the step is closed
     * @throws java.io.UncheckedIOException if writing fails (the previous file, if any, is untouched)
     */
    public static void save(TrainStep step, Path file) {
        save(step, file, Map.of());
    }

    /**
     * {@link #save(TrainStep, Path)} with the caller's own facts about the run (what a trainer needs to
     * continue it exactly, e.g. the data seed and batch size), stored as metadata {@code run.<key>} and
     * read back by {@link #runInfo}; they are not checked by {@link #load}.
     */
    public static void save(TrainStep step, Path file, Map<String, String> run) {
        if (step == null || file == null || run == null) {
            throw new IllegalArgumentException("Checkpoint.save: step, file and run info must not be null");
        }
        checkNotSwapped(step, "save");
        InceptionV3 model = step.model();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put(VERSION_KEY, Integer.toString(VERSION));
        meta.put(STEP, Long.toString(step.steps()));
        meta.put(EXAMPLES_SEEN, Long.toString(step.examplesSeen()));
        meta.put(DROPOUT_SEED, Long.toString(model.dropoutSeedBase()));
        meta.put(DROPOUT_STEP, Long.toString(model.dropoutStep()));
        RecordText.flatten(TRAIN, step.config(), meta);
        RecordText.flatten(MODEL, model.config(), meta);
        run.forEach((k, v) -> meta.put(RUN + k, v));
        SafeTensors.write(file, state(step), meta);
    }

    /** The run facts given to {@link #save(TrainStep, Path, Map)}, without their {@code run.} prefix. */
    public static Map<String, String> runInfo(Path file) {
        Map<String, String> out = new LinkedHashMap<>();
        header(file).metadata().forEach((k, v) -> {
            if (k.startsWith(RUN)) {
                out.put(k.substring(RUN.length()), v);
            }
        });
        return out;
    }

    private static void checkNotSwapped(TrainStep step, String op) {
        if (step.ema() != null && step.ema().isSwappedIn()) {
            throw new IllegalStateException("Checkpoint." + op + ": the parameter average is swapped into the model;"
                    + " close the swap first");
        }
    }

    /**
     * Restores {@code step} (its model's parameters, BN statistics and dropout stream, the optimizer
     * slots, the EMA shadows, the step and example counters) from {@code file}. Validates everything
     * first (see the class comment); on any problem throws with all of them listed and leaves {@code step}
     * unchanged. Must not be called while the EMA is swapped in (closing the swap would put the old weights
     * back).
     *
     * @return VERIFIED when the file carried a data checksum and it matched, ABSENT when it carried none
     * @throws InvalidFileException if the file is missing, not a valid safetensors file, not a training
     *                              checkpoint, of another version, or does not fit {@code step}
     */
    public static SafeTensors.Checksum load(TrainStep step, Path file) {
        if (step == null || file == null) {
            throw new IllegalArgumentException("Checkpoint.load: step and file must not be null");
        }
        checkNotSwapped(step, "load");
        SafeTensors st = read(file);
        Map<String, String> meta = st.metadata();
        InceptionV3 model = step.model();

        List<String> config = new ArrayList<>();
        compare(TRAIN, step.config(), meta, config);
        compare(MODEL, model.config(), meta, config);

        List<String> counters = new ArrayList<>();
        long steps = counter(meta, STEP, 0, MAX_STEPS, counters);
        long examples = counter(meta, EXAMPLES_SEEN, 0, Long.MAX_VALUE, counters);
        long dropoutSeed = counter(meta, DROPOUT_SEED, Long.MIN_VALUE, Long.MAX_VALUE, counters);
        long dropoutStep = counter(meta, DROPOUT_STEP, 0, Long.MAX_VALUE, counters);
        if (counters.isEmpty()) {
            checkProgress(steps, examples, step.config().examplesPerEpoch(), counters);
        }

        Map<String, Tensor> targets = state(step);
        List<String> unexpected = new ArrayList<>();
        List<String> mismatched = new ArrayList<>();
        List<String> nonFinite = new ArrayList<>();
        for (SafeTensors.Entry e : st.entries().values()) {
            Tensor t = targets.get(e.name());
            if (t == null) {
                unexpected.add(e.name());
            } else if (e.dtype() != SafeTensors.DType.F32) {
                mismatched.add(e.name() + ": dtype " + e.dtype() + " in the checkpoint, F32 here");
            } else if (!e.tensorShape().equals(t.shape())) {
                mismatched.add(e.name() + ": shape " + e.tensorShape() + " in the checkpoint, " + t.shape() + " here");
            } else {
                String where = e.nonFinite();
                if (where != null) {
                    nonFinite.add(e.name() + ": " + where);
                }
            }
        }
        List<String> missing = new ArrayList<>();
        for (String name : targets.keySet()) {
            if (!st.entries().containsKey(name)) {
                missing.add(name);
            }
        }
        if (!(config.isEmpty() && counters.isEmpty() && unexpected.isEmpty() && mismatched.isEmpty()
                && missing.isEmpty() && nonFinite.isEmpty())) {
            StringBuilder m = new StringBuilder("does not fit this TrainStep (nothing restored):");
            section(m, "config differs", config);
            section(m, "bad counters", counters);
            section(m, "missing", missing);
            section(m, "unexpected", unexpected);
            section(m, "mismatched", mismatched);
            section(m, "non-finite values", nonFinite);
            throw new InvalidFileException(WHAT, file, m.toString());
        }
        for (SafeTensors.Entry e : st.entries().values()) {
            Tensor t = targets.get(e.name());
            t.backend().write(t, e.floats(), 0);
        }
        step.restoreCounters(steps, examples);
        model.restoreDropoutStream(dropoutSeed, dropoutStep);
        return st.checksum();
    }

    /** The TrainConfig a checkpoint was saved with (to build the TrainStep to {@link #load} it into). */
    public static TrainConfig trainConfig(Path file) {
        return RecordText.unflatten(TRAIN, TrainConfig.class, header(file).metadata(), file);
    }

    /**
     * The model config a checkpoint was saved with (to build the model to {@link #load} it into), checked
     * before anything is built from it: within {@link InceptionV3.Config}'s limits, and no larger than the
     * tensors the file holds.
     *
     * @throws InvalidFileException naming the file and the offending field
     */
    public static InceptionV3.Config modelConfig(Path file) {
        SafeTensors.Header h = header(file);
        InceptionV3.Config config = RecordText.unflatten(MODEL, InceptionV3.Config.class, h.metadata(), file);
        WeightsLoader.checkHolds(h, config, WHAT);
        return config;
    }

    /** The step count stored in a checkpoint, in [0, {@value #MAX_STEPS}]. */
    public static long steps(Path file) {
        List<String> problems = new ArrayList<>();
        long s = counter(header(file).metadata(), STEP, 0, MAX_STEPS, problems);
        if (!problems.isEmpty()) {
            throw new InvalidFileException(WHAT, file, problems.get(0));
        }
        return s;
    }

    // ------------------------------------------------------------------------------- internals

    /** Every tensor a checkpoint holds, by its name in the file, in file order. */
    private static Map<String, Tensor> state(TrainStep step) {
        Map<String, Tensor> out = new LinkedHashMap<>(step.model().parameters().asMap());
        for (var e : step.optimizer().slots().entrySet()) {
            out.put(OPTIMIZER + e.getKey(), e.getValue());
        }
        if (step.ema() != null) {
            for (var e : step.ema().shadows().entrySet()) {
                out.put(EMA + e.getKey(), e.getValue());
            }
        }
        return out;
    }

    /**
     * Reads the whole file and checks that it is a training checkpoint of this version (the data, its
     * checksum included): what {@link #load} needs.
     */
    private static SafeTensors read(Path file) {
        exists(file);
        SafeTensors st;
        try {
            st = SafeTensors.read(file);
        } catch (InvalidFileException e) {
            throw new InvalidFileException(WHAT, file, "the file is corrupt or truncated: " + e.problem(), e);
        }
        checkVersion(file, st.metadata());
        return st;
    }

    /**
     * Reads the header alone, with the same checks of kind and version: the configuration, counters
     * and run facts without reading hundreds of megabytes of tensors for each ({@link #load} reads
     * and verifies the data once).
     */
    private static SafeTensors.Header header(Path file) {
        exists(file);
        SafeTensors.Header h;
        try {
            h = SafeTensors.readHeader(file);
        } catch (InvalidFileException e) {
            throw new InvalidFileException(WHAT, file, "the file is corrupt or truncated: " + e.problem(), e);
        }
        checkVersion(file, h.metadata());
        return h;
    }

    private static void exists(Path file) {
        if (file == null) {
            throw new IllegalArgumentException("Checkpoint: file must not be null");
        }
        if (!Files.exists(file)) {
            throw new InvalidFileException(WHAT, file, "the file does not exist");
        }
    }

    private static void checkVersion(Path file, Map<String, String> metadata) {
        String version = metadata.get(VERSION_KEY);
        if (version == null) {
            throw new InvalidFileException(WHAT, file, "this is not a training checkpoint"
                    + " (no '" + VERSION_KEY + "' metadata; plain weights load with WeightsLoader)");
        }
        if (!version.equals(Integer.toString(VERSION))) {
            throw new InvalidFileException(WHAT, file, "the file has checkpoint version '" + abbreviate(version)
                    + "', this code reads " + VERSION);
        }
    }

    /** A counter: a decimal integer in [min, max]; problems are added to {@code problems}, naming key and value. */
    private static long counter(Map<String, String> meta, String key, long min, long max, List<String> problems) {
        String v = meta.get(key);
        if (v == null) {
            problems.add("'" + key + "' is absent");
            return 0;
        }
        try {
            long n = Long.parseLong(v);
            if (n < min) {
                problems.add("'" + key + "' is " + n + ", must be >= " + min);
            } else if (n > max) {
                problems.add("'" + key + "' is " + n + ", more than the limit of " + max);
            }
            return n;
        } catch (NumberFormatException e) {
            problems.add("'" + key + "' is '" + abbreviate(v) + "', not a 64-bit integer");
            return 0;
        }
    }

    /**
     * The counters against each other: each step saw at least one example and at most an epoch's worth,
     * so steps ≤ examplesSeen ≤ steps × examplesPerEpoch (see the class comment).
     */
    private static void checkProgress(long steps, long examples, long examplesPerEpoch, List<String> problems) {
        if (examples < steps) {
            problems.add("'" + EXAMPLES_SEEN + "' is " + examples + ", fewer than the " + steps
                    + " steps taken (each step sees at least one example)");
        } else if (examples / examplesPerEpoch > steps
                || (examples / examplesPerEpoch == steps && examples % examplesPerEpoch != 0)) {
            problems.add("'" + EXAMPLES_SEEN + "' is " + examples + ", more than " + steps + " steps of at most one"
                    + " epoch (" + examplesPerEpoch + " examples) each");
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }

    private static void section(StringBuilder m, String title, List<String> items) {
        if (items.isEmpty()) {
            return;
        }
        m.append("\n  ").append(title).append(" (").append(items.size()).append("): ");
        m.append(items.subList(0, Math.min(EXAMPLES, items.size())));
        if (items.size() > EXAMPLES) {
            m.append(" ... and ").append(items.size() - EXAMPLES).append(" more");
        }
    }

    /**
     * Lists each field of {@code expected} whose text differs from the checkpoint's, and each field the
     * checkpoint has under {@code prefix} that {@code expected} has not. Texts are the shortest round-trip
     * decimals, so equal text is equal bits.
     */
    private static void compare(String prefix, Record expected, Map<String, String> meta, List<String> out) {
        Map<String, String> here = new LinkedHashMap<>();
        RecordText.flatten(prefix, expected, here);
        for (var e : here.entrySet()) {
            String saved = meta.get(e.getKey());
            if (saved == null) {
                out.add(e.getKey() + ": absent in the checkpoint, " + e.getValue() + " here");
            } else if (!saved.equals(e.getValue())) {
                out.add(e.getKey() + ": " + saved + " in the checkpoint, " + e.getValue() + " here");
            }
        }
        for (String key : meta.keySet()) {
            if (key.startsWith(prefix) && !here.containsKey(key)) {
                out.add(key + ": " + meta.get(key) + " in the checkpoint, no such field here");
            }
        }
    }
}
