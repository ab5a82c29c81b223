package org.inceptionj.inception.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Tensor;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.data.DataLoader;
import org.inceptionj.inception.data.Dataset;
import org.inceptionj.inception.data.Transform;
import org.inceptionj.inception.distributed.Collective;
import org.inceptionj.inception.distributed.SingleProcess;

/**
 * The training loop: epochs of {@link TrainStep}s over a {@link DataLoader}, evaluation of the test
 * set, checkpoints, stopping, and {@link TrainingListener}s for everything a person watches. The
 * command-line {@code train} is a thin shell around it; a library user trains with
 *
 * <pre>{@code
 * try (Backend backend = Backends.load();
 *      InceptionV3 model = new InceptionV3(backend, config, seed);
 *      Trainer trainer = Trainer.builder(model, train).test(test).recipe(Recipe.small(), 7)
 *              .imageSize(75).transforms(trainView, testView).build()) {
 *     Trainer.Outcome outcome = trainer.fit();
 * }
 * }</pre>
 *
 * <p>Per epoch e (0-based): the loader's batches of epoch e (seeded: the same for any number of
 * workers), one step each; then the checkpoint is saved (when a file is given; also every
 * {@code saveEvery} steps), and the test set is evaluated every {@code evaluateEvery} epochs and
 * after the last one. Intermediate evaluations may use the first {@code evaluationSubset} test
 * examples to save time; the final one always uses all of them, with the parameter average when
 * the recipe keeps one and also without it.
 *
 * <p>A step with a NaN or infinite loss or gradient stops the run with an exception naming the step;
 * nothing is saved after it, so the checkpoint on disk holds the last good state. A stop requested by
 * {@link #requestStop()} (Ctrl-C) or {@code maxSteps} takes effect at the end of the current step and
 * saves. {@link #close()} frees the loaders and the optimizer state, never the model.
 *
 * <p>Synchronous data parallelism ({@link Builder#collective}): every rank of a {@link Collective}
 * builds the same trainer. At the start the ranks check that they agree on the options and the
 * data (naming what differs) and take rank 0's parameters, optimizer state and counters (rank 0
 * alone reads a checkpoint to resume). Each rank then reads its own shard of every epoch
 * ({@link DataLoader.Builder#shard}: part r of each global batch of N·batchSize) and a step averages
 * the gradients of all ranks ({@link TrainStep}). The learning-rate schedule counts global
 * examples: an epoch is ⌊n/(N·B)⌋ global batches. Only rank 0 reports to the listeners, evaluates
 * and writes checkpoints; the others wait at a barrier meanwhile. A stop requested on any rank
 * stops all of them after the same step.
 */
public final class Trainer implements AutoCloseable {

    /** What the run is, for the listeners' headers. */
    public record Run(InceptionV3.Config model, Dataset train, Dataset test, int imageSize, int batchSize,
                      int epochs, int batchesPerEpoch, long firstStep, TrainConfig config) {
    }

    /**
     * One evaluation of the test set after epoch {@code epoch} (0-based) and {@code step} steps.
     *
     * @param result   the figures of the weights that are exported: the parameter average when there is one
     * @param raw      the figures of the trained weights themselves when they differ from {@code result}
     *                 (a parameter average is kept and this is the final evaluation), else null
     * @param complete whether the whole test set was evaluated (not only its first examples)
     */
    public record Evaluated(int epoch, long step, Evaluation.Result result, Evaluation.Result raw, boolean averaged,
                            boolean complete) {
    }

    /**
     * How the run ended.
     *
     * @param steps    steps taken, counting those of a resumed run
     * @param stopped  true when a stop was requested before the last epoch ended
     * @param last     the last evaluation, or null when none ran
     */
    public record Outcome(long steps, boolean stopped, Evaluated last) {
    }

    private final InceptionV3 model;
    private final Backend backend;
    private final Builder b;
    private final DataLoader trainLoader;
    private final DataLoader testLoader;
    private final DataLoader subsetLoader;
    private final TrainStep step;
    private final Collective collective;
    /** The listeners on rank 0; none on the other ranks. */
    private final List<TrainingListener> listeners;
    private final AtomicBoolean stopRequested = new AtomicBoolean();
    /** Whether the run stops after the current step: stopRequested as the ranks agreed on it after the last step. */
    private boolean stopping;

    private Trainer(Builder b) {
        this.b = b;
        this.model = b.model;
        this.backend = b.model.parameters().trainable().values().iterator().next().backend();
        this.collective = b.collective;
        boolean root = collective.rank() == 0;
        this.listeners = root ? b.listeners : List.of();
        List<AutoCloseable> made = new ArrayList<>();
        try {
            if (collective.size() > 1) {
                Replicas.checkAgreement(collective, facts(b));
            }
            trainLoader = track(made, DataLoader.builder(b.train, b.trainTransform, b.imageSize).batchSize(b.batchSize)
                    .seed(b.seed).workers(b.workers).skipCorrupt(b.skipCorrupt, b.onSkip)
                    .shard(collective.rank(), collective.size()).build());
            // Only rank 0 evaluates.
            testLoader = b.test == null || !root ? null : track(made, evalLoader(b.test));
            subsetLoader = testLoader == null || b.evaluationSubset <= 0 || b.evaluationSubset >= b.test.size() ? testLoader
                    : track(made, evalLoader(head(b.test, b.evaluationSubset)));
            // An epoch is the global batches of all ranks: the schedule counts global examples.
            TrainConfig cfg = b.config.withExamplesPerEpoch((long) trainLoader.batchesPerEpoch() * b.batchSize
                    * collective.size());
            step = track(made, new TrainStep(model, cfg, collective));
            if (b.resume != null && root) {
                checkRunInfo(b.resume, b.runInfo);
                Checkpoint.load(step, b.resume);
            }
            if (collective.size() > 1) {
                Replicas.broadcastState(collective, step);
            }
        } catch (RuntimeException e) {
            for (AutoCloseable c : made.reversed()) {
                try {
                    c.close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    /**
     * A resumed run continues exactly or not at all: every fact in {@code runInfo} (the data, its
     * size and classes, the seed, ...: {@link Builder#runInfo}) must be what the checkpoint recorded.
     * The model and the step settings are compared by {@link Checkpoint#load} itself.
     */
    private static void checkRunInfo(Path resume, Map<String, String> runInfo) {
        if (runInfo.isEmpty()) {
            return;
        }
        Map<String, String> saved = Checkpoint.runInfo(resume);
        List<String> problems = new ArrayList<>();
        runInfo.forEach((k, v) -> {
            if (!v.equals(saved.get(k))) {
                problems.add(k + " is " + v + " here, " + (saved.containsKey(k) ? saved.get(k) : "not recorded")
                        + " in the checkpoint");
            }
        });
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("Trainer: " + resume + " cannot be resumed exactly: " + String.join("; ", problems));
        }
    }

    /** What every rank must share for the ranks to train one model: the options and the data's fingerprint. */
    private static Map<String, String> facts(Builder b) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("model", b.model.config().toString());
        f.put("train config", b.config.toString());
        f.put("epochs", Integer.toString(b.epochs));
        f.put("batch", Integer.toString(b.batchSize));
        f.put("image size", Integer.toString(b.imageSize));
        f.put("seed", Long.toString(b.seed));
        // Its class (a lambda's hidden class is named by where it was written: its name carries an address).
        Class<?> view = b.trainTransform.getClass();
        f.put("training view", view.isHidden() ? "a lambda in " + view.getNestHost().getName() : view.getName());
        f.put("max steps", Long.toString(b.maxSteps));
        f.put("resume", String.valueOf(b.resume != null));
        f.put("test set", String.valueOf(b.test != null));
        f.put("evaluation", b.evaluateEvery + "/" + b.evaluationSubset);
        f.put("ranks", Integer.toString(b.collective.size()));
        b.runInfo.forEach((k, v) -> f.put("run " + k, v));
        f.put("training data", Replicas.fingerprint(b.train));
        return f;
    }

    private static <T extends AutoCloseable> T track(List<AutoCloseable> made, T t) {
        made.add(t);
        return t;
    }

    private DataLoader evalLoader(Dataset d) {
        return DataLoader.builder(d, b.testTransform, b.imageSize).batchSize(b.batchSize).shuffle(false).dropLast(false)
                .workers(b.workers).build();
    }

    /** A builder for training {@code model} on {@code train}. */
    public static Builder builder(InceptionV3 model, Dataset train) {
        return new Builder(model, train);
    }

    /** The step (model, optimizer, parameter average, counters) this trainer drives. */
    public TrainStep step() {
        return step;
    }

    /** Batches of the training set per epoch. */
    public int batchesPerEpoch() {
        return trainLoader.batchesPerEpoch();
    }

    /** Asks the loop to stop at the end of the current step and save (thread-safe; Ctrl-C calls this). */
    public void requestStop() {
        stopRequested.set(true);
    }

    /** Trains until the last epoch or a requested stop; see the class comment. */
    public Outcome fit() {
        int perEpoch = trainLoader.batchesPerEpoch();
        int first = (int) (step.steps() / perEpoch);
        int fromBatch = (int) (step.steps() % perEpoch);
        Run run = new Run(model.config(), b.train, b.test, b.imageSize, b.batchSize, b.epochs, perEpoch, step.steps(),
                step.config());
        listeners.forEach(l -> l.onStart(run));
        Evaluated last = null;
        for (int epoch = first; epoch < b.epochs; epoch++) {
            boolean complete = runEpoch(epoch, epoch == first ? fromBatch : 0);
            save();
            if (!complete) {
                collective.barrier(); // while rank 0 saves
                Outcome o = new Outcome(step.steps(), true, last);
                listeners.forEach(l -> l.onEnd(o));
                return o;
            }
            int epochNo = epoch;
            listeners.forEach(l -> l.onEpochEnd(epochNo));
            boolean isLast = epoch == b.epochs - 1;
            if (b.test != null && (isLast || (b.evaluateEvery > 0 && (epoch + 1) % b.evaluateEvery == 0))) {
                if (testLoader != null) {
                    Evaluated ev = evaluate(epoch, isLast);
                    last = ev;
                    listeners.forEach(l -> l.onEvaluation(ev));
                }
                // The other ranks wait (without a time bound) while rank 0 evaluates.
                collective.barrier();
            }
        }
        Outcome o = new Outcome(step.steps(), false, last);
        listeners.forEach(l -> l.onEnd(o));
        return o;
    }

    /** Evaluates the test set now (the whole set when {@code complete}); figures as in {@link Evaluated}. */
    public Evaluated evaluate(int epoch, boolean complete) {
        if (testLoader == null) {
            throw new IllegalStateException("Trainer.evaluate: no test set was given");
        }
        DataLoader loader = complete ? testLoader : subsetLoader;
        ExponentialMovingAverage ema = step.ema();
        if (ema == null) {
            return new Evaluated(epoch, step.steps(), Evaluation.run(model, loader, backend, null), null, false,
                    loader == testLoader);
        }
        Evaluation.Result averaged;
        try (var swap = ema.swapIn()) {
            averaged = Evaluation.run(model, loader, backend, null);
        }
        Evaluation.Result raw = complete ? Evaluation.run(model, loader, backend, null) : null;
        return new Evaluated(epoch, step.steps(), averaged, raw, true, loader == testLoader);
    }

    /** Trains one epoch from batch {@code fromBatch}; false when a stop was requested before its end. */
    private boolean runEpoch(int epoch, int fromBatch) {
        try (DataLoader.Epoch batches = trainLoader.epoch(epoch, fromBatch)) {
            int total = batches.batches();
            listeners.forEach(l -> l.onEpochStart(epoch, total, fromBatch));
            while (batches.hasNext()) {
                DataLoader.Batch batch;
                try {
                    batch = batches.next();
                } catch (RuntimeException e) {
                    // Between steps the state is whole: keep what was trained before reporting the bad input.
                    save();
                    throw new IllegalStateException(e.getMessage() + (b.checkpoint == null ? ""
                            : "; saved the state after step " + step.steps() + " in " + b.checkpoint + " before stopping"), e);
                }
                if (batch.size() == 0) {
                    continue; // every image of the batch was skipped (skipCorrupt)
                }
                long t0 = System.nanoTime();
                TrainStep.Result r;
                try (Tensor x = batch.toTensor(backend)) {
                    r = step.run(x, batch.labels());
                } catch (TrainStep.NonFiniteLossException e) {
                    throw new IllegalStateException(e.getMessage() + (b.checkpoint == null ? ""
                            : "; " + b.checkpoint + " keeps the state after step " + lastSaved + " (the last one saved)"), e);
                }
                // Of all ranks together (each takes as long, the all-reduce waits for the slowest).
                double imagesPerSecond = (double) batch.size() * collective.size() / ((System.nanoTime() - t0) / 1e9);
                listeners.forEach(l -> l.onStep(r, imagesPerSecond));
                if (b.saveEvery > 0 && step.steps() % b.saveEvery == 0) {
                    save();
                }
                if (b.maxSteps > 0 && step.steps() >= b.maxSteps) {
                    stopRequested.set(true);
                }
                // Decided once per step, and by all ranks together: a signal may reach one rank at any moment.
                stopping = stopRequested.get();
                if (collective.size() > 1) {
                    stopping = Replicas.anyRank(collective, stopping); // a signal reached some rank: all stop after this step
                }
                if (stopping && batches.hasNext()) {
                    return false;
                }
            }
        }
        return !stopping || epoch == b.epochs - 1;
    }

    private long lastSaved = -1;

    /** Writes the checkpoint (rank 0 only; atomically, see {@link Checkpoint#save}). */
    private void save() {
        if (b.checkpoint != null && lastSaved != step.steps() && collective.rank() == 0) {
            Checkpoint.save(step, b.checkpoint, b.runInfo);
            lastSaved = step.steps();
            listeners.forEach(l -> l.onCheckpoint(b.checkpoint, step.steps()));
        }
    }

    /** Frees the loaders' threads and the optimizer state and parameter average; the model stays. */
    @Override
    public void close() {
        RuntimeException first = null;
        for (AutoCloseable c : new AutoCloseable[] {step, trainLoader, testLoader,
                subsetLoader == testLoader ? null : subsetLoader}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                if (first == null) {
                    first = e instanceof RuntimeException re ? re : new IllegalStateException(e);
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** The first {@code n} examples of {@code d} (in dataset order). */
    static Dataset head(Dataset d, int n) {
        return new Dataset() {
            @Override
            public String source() {
                return d.source() + " (first " + n + ")";
            }

            @Override
            public int size() {
                return n;
            }

            @Override
            public List<String> classes() {
                return d.classes();
            }

            @Override
            public int label(int i) {
                return d.label(check(i));
            }

            @Override
            public java.awt.image.BufferedImage image(int i) {
                return d.image(check(i));
            }

            @Override
            public String describe(int i) {
                return d.describe(check(i));
            }

            private int check(int i) {
                if (i < 0 || i >= n) {
                    throw new IndexOutOfBoundsException(source() + ": example " + i + " out of range [0, " + n + ")");
                }
                return i;
            }
        };
    }

    /** Options of a run; {@link #build()} checks them together. */
    public static final class Builder {
        private final InceptionV3 model;
        private final Dataset train;
        private Dataset test;
        private TrainConfig config = Recipe.small().config(Recipe.SMALL_EPOCHS);
        private int epochs = Recipe.SMALL_EPOCHS;
        private int batchSize = Recipe.SMALL_BATCH;
        private int imageSize = -1;
        private Transform trainTransform;
        private Transform testTransform;
        private long seed;
        private int workers = Math.min(4, Runtime.getRuntime().availableProcessors());
        private Path checkpoint;
        private int saveEvery;
        private long maxSteps;
        private Path resume;
        private int evaluateEvery = 1;
        private int evaluationSubset;
        private boolean skipCorrupt;
        private Consumer<String> onSkip = m -> System.err.println("skipped " + m);
        private Map<String, String> runInfo = Map.of();
        private Collective collective = SingleProcess.INSTANCE;
        private final List<TrainingListener> listeners = new ArrayList<>();

        private Builder(InceptionV3 model, Dataset train) {
            if (model == null || train == null) {
                throw new IllegalArgumentException("Trainer: model and training data must not be null (got "
                        + (model == null ? "no model" : "no training data") + ")");
            }
            this.model = model;
            this.train = train;
        }

        /** The test set, evaluated after epochs and at the end (same classes as the training set). */
        public Builder test(Dataset test) {
            this.test = test;
            return this;
        }

        /** The recipe's step settings for a run of {@code epochs}, its batch size and that length. */
        public Builder recipe(Recipe recipe, int epochs) {
            if (recipe == null) {
                throw new IllegalArgumentException("Trainer: recipe is null");
            }
            this.config = recipe.config(epochs);
            this.batchSize = recipe.batchSize();
            this.epochs = epochs;
            return this;
        }

        /** Explicit step settings (examples per epoch is set from the data). */
        public Builder config(TrainConfig config) {
            this.config = config;
            return this;
        }

        public Builder epochs(int epochs) {
            this.epochs = epochs;
            return this;
        }

        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /** The side of the square input the transforms produce. */
        public Builder imageSize(int imageSize) {
            this.imageSize = imageSize;
            return this;
        }

        /** The training view (augmentation) and the test view (deterministic). */
        public Builder transforms(Transform train, Transform test) {
            this.trainTransform = train;
            this.testTransform = test;
            return this;
        }

        /** Seed of the shuffling and the augmentation (the weights' seed is the model's). */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Threads that decode and transform images. */
        public Builder workers(int workers) {
            this.workers = workers;
            return this;
        }

        /** Save the whole state to {@code file} after every epoch, on a stop, and every {@code everySteps} steps (0 = not). */
        public Builder checkpoint(Path file, int everySteps) {
            this.checkpoint = file;
            this.saveEvery = everySteps;
            return this;
        }

        /** Continue the run saved in {@code file} (built with the same model config and TrainConfig). */
        public Builder resume(Path file) {
            this.resume = file;
            return this;
        }

        /** Stop (and save) after step {@code n} of the run, counting resumed steps; 0 = no limit. */
        public Builder maxSteps(long n) {
            this.maxSteps = n;
            return this;
        }

        /**
         * Evaluate the test set every {@code epochs} epochs (0 = only after the last), on its first
         * {@code subset} examples (0 = all); the final evaluation always uses the whole set.
         */
        public Builder evaluation(int epochs, int subset) {
            this.evaluateEvery = epochs;
            this.evaluationSubset = subset;
            return this;
        }

        /** Skip undecodable images, reporting each to {@code onSkip}, instead of stopping at the first. */
        public Builder skipCorrupt(boolean skip, Consumer<String> onSkip) {
            this.skipCorrupt = skip;
            if (onSkip != null) {
                this.onSkip = onSkip;
            }
            return this;
        }

        /**
         * Facts a resumed run must share, stored in the checkpoint ({@link Checkpoint#runInfo}); a
         * {@link #resume} whose checkpoint recorded other values is refused, naming each.
         */
        public Builder runInfo(Map<String, String> info) {
            this.runInfo = info == null ? Map.of() : new LinkedHashMap<>(info);
            return this;
        }

        /**
         * Train as one of {@code collective.size()} replicas (see the class comment); {@code batchSize}
         * is then each rank's part of the global batch. Default: a single process.
         */
        public Builder collective(Collective collective) {
            if (collective == null) {
                throw new IllegalArgumentException("Trainer: collective is null (a single process is SingleProcess.INSTANCE)");
            }
            this.collective = collective;
            return this;
        }

        public Builder listener(TrainingListener listener) {
            if (listener == null) {
                throw new IllegalArgumentException("Trainer: listener is null");
            }
            listeners.add(listener);
            return this;
        }

        /** Checks the options together and builds the loaders and the step. */
        public Trainer build() {
            List<String> problems = new ArrayList<>();
            if (config == null) {
                problems.add("no TrainConfig");
            }
            if (epochs < 1) {
                problems.add("epochs " + epochs + " must be >= 1");
            }
            if (batchSize < 1) {
                problems.add("batch size " + batchSize + " must be >= 1");
            }
            int min = model.config().minInput(model.config().auxLogits());
            if (imageSize < 0) {
                imageSize = min;
            } else if (imageSize < min) {
                problems.add("image size " + imageSize + " is below the model's minimum input " + min);
            }
            if (trainTransform == null || testTransform == null) {
                problems.add("no training or test transform (Builder.transforms)");
            }
            if (workers < 1) {
                problems.add("workers " + workers + " must be >= 1");
            }
            if (saveEvery < 0 || maxSteps < 0 || evaluateEvery < 0 || evaluationSubset < 0) {
                problems.add("save-every, max steps, evaluation interval and subset must be >= 0, got " + saveEvery
                        + ", " + maxSteps + ", " + evaluateEvery + ", " + evaluationSubset);
            }
            if (train.size() < (long) batchSize * collective.size()) {
                problems.add("training data " + train.source() + " has " + train.size() + " examples, fewer than one batch of "
                        + batchSize + (collective.size() > 1 ? " on each of " + collective.size() + " ranks" : ""));
            }
            if (skipCorrupt && collective.size() > 1) {
                problems.add("skipping corrupt images is not supported with " + collective.size() + " ranks (a rank would"
                        + " take a shorter or no step; every rank must take the same steps)");
            }
            if (train.classes().size() < 2) {
                problems.add("training data " + train.source() + " has " + train.classes().size()
                        + " class(es); classification needs at least 2");
            }
            if (train.classes().size() != model.config().numClasses()) {
                problems.add("training data " + train.source() + " has " + train.classes().size() + " classes, the model "
                        + model.config().numClasses());
            }
            if (test != null && !test.classes().equals(train.classes())) {
                problems.add("test data " + test.source() + " has classes " + abbreviate(test.classes()) + ", training data "
                        + abbreviate(train.classes()));
            }
            if (resume != null && collective.rank() == 0 && !java.nio.file.Files.isRegularFile(resume)) {
                problems.add("checkpoint to resume " + resume + " does not exist");
            }
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException("Trainer: " + String.join("; ", problems));
            }
            return new Trainer(this);
        }

        private static String abbreviate(List<String> classes) {
            String s = classes.toString();
            return s.length() <= 80 ? s : s.substring(0, 77) + "...";
        }
    }
}
