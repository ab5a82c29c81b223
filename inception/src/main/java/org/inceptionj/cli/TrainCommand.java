package org.inceptionj.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Backends;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.Presets;
import org.inceptionj.inception.data.DataSource;
import org.inceptionj.inception.data.RasterDataset;
import org.inceptionj.inception.data.SmallImageAugmentation;
import org.inceptionj.inception.data.TrainAugmentation;
import org.inceptionj.inception.data.Transform;
import org.inceptionj.inception.distributed.Collective;
import org.inceptionj.inception.distributed.OpenMpi;
import org.inceptionj.inception.distributed.SingleProcess;
import org.inceptionj.inception.image.Preprocessing;
import org.inceptionj.inception.io.ModelCard;
import org.inceptionj.inception.io.SafeTensors;
import org.inceptionj.inception.io.WeightsLoader;
import org.inceptionj.inception.train.Adam;
import org.inceptionj.inception.train.Checkpoint;
import org.inceptionj.inception.train.ConsoleProgress;
import org.inceptionj.inception.train.CsvLog;
import org.inceptionj.inception.train.Evaluation;
import org.inceptionj.inception.train.GradientClipping;
import org.inceptionj.inception.train.LearningRate;
import org.inceptionj.inception.train.Optimizer;
import org.inceptionj.inception.train.PlotListener;
import org.inceptionj.inception.train.Recipe;
import org.inceptionj.inception.train.TrainConfig;
import org.inceptionj.inception.train.TrainStep;
import org.inceptionj.inception.train.Trainer;
import org.inceptionj.inception.train.TrainingListener;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code train}: the command-line shell of {@link Trainer}. It turns options into a data source, a
 * model, a recipe and a run folder, checks all of it before the first step — the output files
 * before the data is even read — and prints the final test line. No work is lost: every way a run
 * ends with trained weights (its last epoch, {@code --max-steps}, Ctrl-C, SIGTERM) saves the
 * checkpoint and exports the weights; a new run never replaces an earlier run's checkpoint or
 * weights; temporary files of interrupted writes are removed when the next run starts. With no
 * arguments it is the default run: a compact Inception-v3 on the Fashion-MNIST subset shipped in the
 * jar with the {@code small} recipe.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train Inception-v3. With no options: the default run, a compact Inception-v3 (75x75, width 0.25)"
                + " on the Fashion-MNIST images shipped in the jar with the 'small' recipe, into a new folder under runs/."})
final class TrainCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    // ------------------------------------------------------------------ data
    @Option(names = "--data", defaultValue = "fashion-mnist", paramLabel = "SOURCE",
            description = "Training and test data: " + DataSource.FORMS + ". Default: ${DEFAULT-VALUE}.")
    String data;

    @Option(names = "--val", paramLabel = "DIR", description = "Test images for a plain --data DIR (same classes).")
    Path val;

    @Option(names = "--augment", paramLabel = "VIEW",
            description = "Training view: none (the whole image resized), light (small shifts and scales, one resample),"
                    + " tf (TF-slim's crops, flip and colour), tf-full (also hue and contrast) or torchvision"
                    + " (RandomResizedCrop and flip). Default: " + DEFAULT_SMALL_AUGMENT + " for in-memory small images"
                    + " (fashion-mnist, idx:, cifar10:), tf for image folders.")
    String augment;

    @Option(names = "--flip", negatable = true,
            description = "With --augment light: mirror half the views. Default: on for fashion-mnist and cifar10, off for idx:"
                    + " (a mirrored digit is not a digit).")
    Boolean flip;

    // ------------------------------------------------------------------ model
    @Option(names = "--preset", defaultValue = "inception-v3", completionCandidates = ForwardCommand.PresetNames.class,
            description = "Architecture: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}); the classes come from the data.")
    String preset;

    @Option(names = {"-w", "--width"}, description = "Width multiplier (default: " + SMALL_WIDTH
            + " for small images, 1.0 for folders).")
    Double width;

    @Option(names = {"-s", "--size"}, description = "Input side (default: " + SMALL_SIZE
            + " for small images, the preset's for folders, 299 for inception-v3).")
    Integer size;

    @Option(names = "--no-aux", description = "Leave out the auxiliary head (it is left out anyway below its minimum input of 299).")
    boolean noAux;

    @Option(names = "--init", description = "Initial weights of a new model: torchvision (std 0.1 everywhere) or he"
            + " (std sqrt(2/fan-in)). Default: the recipe's.")
    String init;

    @Option(names = "--dropout", description = "Dropout probability before the classifier (default: the recipe's: "
            + Recipe.SMALL_DROPOUT + " for small, the preset's 0.5 for paper).")
    Float dropout;

    // ------------------------------------------------------------------ recipe
    @Option(names = "--recipe", defaultValue = "small",
            description = "Named recipe: small (SGD + Nesterov, warm-up, cosine to 0, clipping at 2.0, for short runs on small data) or paper"
                    + " (RMSProp, 0.045 x 0.94 every 2 epochs, clipping, parameter average; ImageNet). Default: ${DEFAULT-VALUE}."
                    + " The options below override single settings of it.")
    String recipe;

    @Option(names = "--epochs", description = "Epochs to train (default: the recipe's, " + Recipe.SMALL_EPOCHS
            + " for small); a resumed run counts the ones already done.")
    Integer epochs;

    @Option(names = {"-b", "--batch"}, description = "Batch size (default: the recipe's: " + Recipe.SMALL_BATCH
            + " for small, 32 for paper).")
    Integer batch;

    @Option(names = "--optimizer", description = "rmsprop, sgd (with momentum; Table 3's baseline) or adam (not in the"
            + " paper; --momentum is its beta1, --rms-decay its beta2, --rms-epsilon its epsilon).")
    String optimizer;

    @Option(names = "--lr", description = "Peak learning rate (after the warm-up).")
    Double lr;

    @Option(names = "--schedule", description = "exponential (the paper's), cosine or linear (both to 0 at the last epoch).")
    String schedule;

    @Option(names = "--warmup", paramLabel = "EPOCHS", description = "Linear warm-up from 0, in epochs.")
    Double warmup;

    @Option(names = "--lr-decay", description = "Exponential schedule: factor per decay (paper 0.94).")
    Double lrDecay;

    @Option(names = "--epochs-per-decay", description = "Exponential schedule: epochs between decays (paper 2).")
    Double epochsPerDecay;

    @Option(names = "--momentum", description = "Momentum of either optimizer (0.9 in both recipes).")
    Float momentum;

    @Option(names = "--nesterov", negatable = true, description = "sgd: Nesterov's momentum (on in the small recipe).")
    Boolean nesterov;

    @Option(names = "--rms-decay", description = "rmsprop: decay of the mean square (paper 0.9).")
    Float rmsDecay;

    @Option(names = "--rms-epsilon", description = "rmsprop: epsilon inside the root (paper 1.0).")
    Float rmsEpsilon;

    @Option(names = "--clip", description = "Gradient clipping: global, per-tensor or none.")
    String clip;

    @Option(names = "--clip-norm", description = "Clipping threshold (paper 2.0).")
    Float clipNorm;

    @Option(names = "--label-smoothing", description = "Label smoothing epsilon (paper 0.1; 0 = off, Table 3's ablation).")
    Float labelSmoothing;

    @Option(names = "--weight-decay", description = "L2 rate on conv and fc weights.")
    Float weightDecay;

    @Option(names = "--ema", description = "Decay of the parameter average used for evaluation and export; 0 = none.")
    Float ema;

    // ------------------------------------------------------------------ run
    @Option(names = "--out", paramLabel = "DIR",
            description = "Run folder for the checkpoint, log, plot and weights (default: runs/<data>-<date>-<time>; when"
                    + " resuming, the checkpoint's folder).")
    Path out;

    @Option(names = "--checkpoint", paramLabel = "FILE", description = "Checkpoint file (default: OUT/checkpoint.safetensors;"
            + " when resuming, the --resume file). A new run refuses an existing one: continue it with --resume.")
    Path checkpoint;

    @Option(names = "--log", paramLabel = "FILE", description = "CSV log, one line per step and evaluation (default: OUT/log.csv),"
            + " appended to: each run's lines follow a header line; a resumed run first removes the lines logged after"
            + " its checkpoint, so every step appears once.")
    Path log;

    @Option(names = "--plot", paramLabel = "FILE", description = "PNG of the curves, rewritten after every evaluation (default: OUT/curves.png).")
    Path plot;

    @Option(names = "--export", paramLabel = "FILE",
            description = "Weights for predict, evaluate and forward, with the class names and architecture in their metadata"
                    + " (default: OUT/weights.safetensors); written when the run ends, by its last epoch, --max-steps, Ctrl-C"
                    + " or SIGTERM. A new run refuses an existing file.")
    Path export;

    @Option(names = "--save-every", defaultValue = "0", description = "Also checkpoint every N steps; 0 = per epoch only (default).")
    int saveEvery;

    @Option(names = "--eval-every", defaultValue = "1", paramLabel = "EPOCHS",
            description = "Evaluate the test set every N epochs, 0 = only at the end (default: ${DEFAULT-VALUE}).")
    int evalEvery;

    @Option(names = "--eval-subset", defaultValue = "2000", paramLabel = "N",
            description = "Intermediate evaluations use the first N test images, 0 = all; the final one always uses all"
                    + " (default: ${DEFAULT-VALUE}).")
    int evalSubset;

    @Option(names = "--resume", paramLabel = "FILE",
            description = "Continue the run saved in FILE exactly: its architecture and recipe are used; --data, --batch,"
                    + " --seed, --size and --augment must be those of the saved run.")
    Path resume;

    @Option(names = "--max-steps", paramLabel = "N",
            description = "Stop after step N of the run (counting resumed steps), saving: a run in slices. Ctrl-C does the same"
                    + " at the end of the current step.")
    Long maxSteps;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the initial weights, the shuffling, the views and dropout (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--workers", description = "Image decoding threads (default: min(4, processors)).")
    Integer workers;

    // ------------------------------------------------------------------ several processes
    @Option(names = "--distributed", defaultValue = "none", paramLabel = "ENGINE",
            description = "none (default) or mpi: synchronous data-parallel training over the processes that"
                    + " 'mpirun -np N' started (Open MPI 4, libmpi.so.40). --batch is then each process's part of the global"
                    + " batch of N x batch; see --lr-scaling.")
    String distributed;

    @Option(names = "--lr-scaling", defaultValue = "linear", paramLabel = "RULE",
            description = "With --distributed: linear (default: the learning rate, the recipe's or --lr, is multiplied by the"
                    + " number of processes N, as the global batch is; Goyal et al. 2017) or none (used as given).")
    String lrScaling;

    @Option(names = "--reduction", defaultValue = "mpi", paramLabel = "ORDER",
            description = "With --distributed: mpi (default: MPI_Allreduce, Open MPI's order of additions) or rank-order"
                    + " (rank 0 adds the ranks' gradients in rank order: bit-identical to one process averaging N micro-batches,"
                    + " slower at scale).")
    String reduction;

    @Option(names = "--distributed-timeout", defaultValue = "300", paramLabel = "SECONDS",
            description = "With --distributed: a process that waits longer than this for the others in one step (one has"
                    + " died or hangs) stops with an error (default: ${DEFAULT-VALUE}).")
    int distributedTimeout;

    @Option(names = "--skip-corrupt", description = "Skip images that cannot be decoded, naming each on stderr"
            + " (default: stop at the first, naming it; the state up to the last step is saved first).")
    boolean skipCorrupt;

    static final String DEFAULT_SMALL_AUGMENT = "none";
    static final double SMALL_WIDTH = 0.25;
    static final int SMALL_SIZE = 75;

    /** Options that define the architecture or the recipe: the checkpoint's values hold when resuming. */
    private static final List<String> FIXED_ON_RESUME = List.of("--preset", "--width", "--no-aux", "--dropout", "--recipe", "--optimizer",
            "--lr", "--schedule", "--warmup", "--lr-decay", "--epochs-per-decay", "--momentum", "--nesterov", "--rms-decay",
            "--rms-epsilon", "--clip", "--clip-norm", "--label-smoothing", "--weight-decay", "--ema");

    /** Released once the loop has saved and left, so that the JVM exits only after the checkpoint is written. */
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile Trainer running;

    @Override
    public Integer call() {
        Collective collective = startDistributed();
        try {
            return train(collective);
        } catch (RuntimeException e) {
            if (collective.size() > 1) {
                // The others would wait for this rank at the next collective call: stop the whole job now.
                var err = spec.commandLine().getErr();
                err.println("inceptionj train: rank " + collective.rank() + " of " + collective.size() + ": " + e.getMessage());
                err.println("inceptionj train: stopping all " + collective.size() + " ranks");
                err.flush();
                collective.abort(2);
            }
            throw e;
        } finally {
            collective.close();
        }
    }

    /** The collective that --distributed names, started (MPI_Init), checked before anything else is. */
    private Collective startDistributed() {
        if (distributedTimeout < 1) {
            throw new IllegalArgumentException("--distributed-timeout " + distributedTimeout + " must be >= 1 (seconds)");
        }
        if (!List.of("linear", "none").contains(lrScaling.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException("--lr-scaling " + lrScaling + " is not one of: linear, none");
        }
        return switch (distributed.toLowerCase(Locale.ROOT)) {
            case "none" -> {
                if (OpenMpi.startedByMpirun()) {
                    spec.commandLine().getErr().println("note: started by mpirun without --distributed mpi: every process"
                            + " trains alone; add --distributed mpi to train one model on all of them");
                }
                yield SingleProcess.INSTANCE;
            }
            case "mpi" -> {
                if (!OpenMpi.startedByMpirun()) {
                    throw new IllegalArgumentException("--distributed mpi: this process was not started by Open MPI's mpirun"
                            + " (OMPI_COMM_WORLD_SIZE is not set). Start N processes with: mpirun -np N java -jar"
                            + " inceptionj.jar train --distributed mpi ... (install Open MPI with: apt-get install openmpi-bin"
                            + " libopenmpi-dev; as root add --allow-run-as-root)");
                }
                OpenMpi.Reduction order = switch (reduction.toLowerCase(Locale.ROOT)) {
                    case "mpi" -> OpenMpi.Reduction.MPI;
                    case "rank-order" -> OpenMpi.Reduction.RANK_ORDER;
                    default -> throw new IllegalArgumentException("--reduction " + reduction + " is not one of: mpi, rank-order");
                };
                yield OpenMpi.start(java.time.Duration.ofSeconds(distributedTimeout), order);
            }
            default -> throw new IllegalArgumentException("--distributed " + distributed + " is not one of: none, mpi");
        };
    }

    private Integer train(Collective collective) {
        var err = spec.commandLine().getErr();
        boolean root = collective.rank() == 0;
        if (!root) {
            // Only rank 0 reports; the others' errors still reach stderr (see call()).
            err = new java.io.PrintWriter(java.io.Writer.nullWriter());
        }
        var stdout = spec.commandLine().getOut();
        // Everything is checked before the data is read and before anything is written.
        Recipe named = Recipe.named(recipe);
        int runEpochs = positive("--epochs", epochs != null ? epochs : named.epochs());
        int runBatch = positive("--batch", batch != null ? batch : named.batchSize());
        if (saveEvery < 0 || evalEvery < 0 || evalSubset < 0) {
            throw new IllegalArgumentException(saveEvery < 0 ? "--save-every " + saveEvery + " must be >= 0"
                    : evalEvery < 0 ? "--eval-every " + evalEvery + " must be >= 0" : "--eval-subset " + evalSubset + " must be >= 0");
        }
        if (maxSteps != null && maxSteps < 1) {
            throw new IllegalArgumentException("--max-steps " + maxSteps + " must be >= 1");
        }
        if (resume != null && !Files.isRegularFile(resume)) { // rank 0 reads the state; every rank the architecture
            throw new IllegalArgumentException("--resume " + resume + ": no such file");
        }
        // Where the run writes, checked before the data is read (that can take minutes) or anything written.
        Outputs files = root ? plannedOutputs() : null;
        TrainConfig recipeConfig = scaled(applyOverrides(named.config(runEpochs), runEpochs), collective, err);
        InceptionV3.Init initial = initRule(named);
        DataSource source = DataSource.open(data, val);
        boolean small = source.kind().smallImages();
        String view = (augment != null ? augment : small ? DEFAULT_SMALL_AUGMENT : "tf").toLowerCase(Locale.ROOT);
        boolean mirror = flip != null ? flip : source.kind() != DataSource.Kind.IDX;
        if (flip != null && !view.equals("light")) {
            throw new IllegalArgumentException("--flip goes with --augment light (the other views decide their own flips), not "
                    + view);
        }
        int side = size != null ? size : small ? SMALL_SIZE : Presets.inputSize(preset);
        Transform trainView = trainView(view, side, mirror, small);
        Preprocessing photos = view.equals("torchvision") ? Preprocessing.TORCHVISION : Preprocessing.TF_INCEPTION;
        Transform testView = source.evalTransform(side, photos);
        if (source.test() == null) {
            err.println("note: no test set (--data DIR without --val): nothing will be evaluated");
        }
        Map<String, String> run = runInfo(source, side, view, mirror, runBatch);
        if (collective.size() > 1) {
            run.put("ranks", Integer.toString(collective.size())); // the shards and the scaled rate depend on it
            run.put("reduction", reduction.toLowerCase(Locale.ROOT)); // the order of the sums: the bits of every step
        }
        InceptionV3.Config model;
        TrainConfig config;
        if (resume == null) {
            model = modelConfig(source.train().classes().size(), side, small);
            config = recipeConfig;
        } else {
            model = Checkpoint.modelConfig(resume);
            config = Checkpoint.trainConfig(resume);
            checkResumable(run, model, config, source.train().classes().size(), side, small, recipeConfig);
        }
        if (source.train().size() < (long) runBatch * collective.size()) {
            throw new IllegalArgumentException("--data " + data + " has " + source.train().size()
                    + " training examples, fewer than one batch of " + runBatch + " (--batch)"
                    + (collective.size() > 1 ? " on each of " + collective.size() + " ranks" : ""));
        }
        if (root) {
            makeRunFolder(files, err);
        }
        String preprocessing = small ? "resize" : photos == Preprocessing.TORCHVISION ? "torchvision" : "tf";
        boolean gray = source.train() instanceof RasterDataset r && r.channels() == 1;
        ModelCard card = new ModelCard(model, source.train().classes(), side, preprocessing, gray);
        int threads = workers != null ? workers : Math.min(4, Runtime.getRuntime().availableProcessors());
        if (threads < 1) {
            throw new IllegalArgumentException("--workers " + threads + " must be >= 1");
        }
        if (root) {
            err.printf(Locale.ROOT, "run folder %s%n", files.folder);
        }
        if (collective.size() > 1) {
            err.printf(Locale.ROOT, "distributed: %s, %d ranks x batch %d = global batch %d; only rank 0 logs, evaluates and"
                    + " writes%n", collective.describe(), collective.size(), runBatch, collective.size() * runBatch);
        }
        PlotListener plotter = root ? new PlotListener(files.plot, "Inception-v3 on " + source.spec()) : null;
        var errors = err;
        try (Backend backend = Backends.load();
             InceptionV3 net = new InceptionV3(backend, model, seed, initial);
             // A resumed run redoes the steps after its last save: their lines go, and the plot gets the rest back.
             CsvLog csv = !root ? null : resume != null ? CsvLog.resuming(files.log, plotter::replay) : new CsvLog(files.log)) {
            Trainer.Builder builder = Trainer.builder(net, source.train()).test(source.test()).config(config)
                    .epochs(runEpochs).batchSize(runBatch).imageSize(side).transforms(trainView, testView).seed(seed)
                    .workers(threads).evaluation(evalEvery, evalSubset)
                    .skipCorrupt(skipCorrupt, what -> errors.println("\nskipped " + what)).runInfo(run).collective(collective);
            if (root) {
                builder.checkpoint(files.checkpoint, saveEvery).listener(new ConsoleProgress(System.err, err)).listener(csv)
                        .listener(plotter);
            }
            if (maxSteps != null) {
                builder.maxSteps(maxSteps);
            }
            if (resume != null) {
                builder.resume(resume);
            }
            try (Trainer trainer = builder.build()) {
                if (resume != null) {
                    err.println("resumed " + resume + " at step " + trainer.step().steps());
                }
                err.printf(Locale.ROOT, "training %s (%d classes, %dx%d, width %s%s) on %d images of %s, %d %sbatches of %s per"
                                + " epoch, %d epoch(s), recipe %s%n", preset, model.numClasses(), side, side,
                        model.widthMultiplier(), model.auxLogits() ? ", aux head" : "", source.train().size(), source.spec(),
                        trainer.batchesPerEpoch(), collective.size() > 1 ? "global " : "",
                        (collective.size() > 1 ? collective.size() + " x " : "") + runBatch, runEpochs, describe(config));
                Thread onInterrupt = new Thread(this::requestStop, "inceptionj-train-stop");
                running = trainer;
                Runtime.getRuntime().addShutdownHook(onInterrupt);
                Trainer.Outcome outcome;
                try {
                    outcome = trainer.fit();
                    if (!root) {
                        return 0;
                    }
                    TrainStep.AveragingTime at = trainer.step().averagingTime();
                    if (at != null && at.steps() > 0) {
                        err.printf(Locale.ROOT, "gradient averaging: %d steps, one all-reduce of %d floats (%.1f MB) each:"
                                        + " %.1f ms per step in the all-reduce, %.1f ms copying to and from the host%n", at.steps(),
                                at.floatsPerStep(), at.floatsPerStep() * 4e-6, 1e3 * at.allReduceSeconds() / at.steps(),
                                1e3 * at.hostCopySeconds() / at.steps());
                    }
                    exportWeights(trainer, net, card, files.export);
                    err.println((trainer.step().ema() != null ? "wrote the averaged weights to " : "wrote the weights to ")
                            + files.export);
                    if (outcome.stopped()) {
                        err.println("stopped after step " + outcome.steps() + "; the state is saved in " + files.checkpoint
                                + ": continue with --resume " + files.checkpoint);
                    }
                    err.flush(); // before the countDown: on SIGTERM the JVM ends as soon as the hook returns
                } finally {
                    stopped.countDown();
                    try {
                        Runtime.getRuntime().removeShutdownHook(onInterrupt);
                    } catch (IllegalStateException shuttingDown) {
                        // the hook is running: it is waiting for the countDown above
                    }
                }
                if (outcome.stopped()) {
                    return 0;
                }
                Trainer.Evaluated last = outcome.last();
                if (last != null) {
                    if (last.raw() != null) {
                        stdout.printf(Locale.ROOT, "without the parameter average: top-1 %.2f%% top-5 %.2f%% on %d images%n",
                                100 * last.raw().top1(), 100 * last.raw().top5(), last.raw().examples());
                    }
                    Evaluation.Result r = last.result();
                    stdout.printf(Locale.ROOT, "test top-1 %.2f%% top-5 %.2f%% on %d images%n", 100 * r.top1(), 100 * r.top5(),
                            r.examples());
                }
                stdout.flush();
            }
        }
        return 0;
    }

    /**
     * The learning rate for the global batch: with N ranks and --lr-scaling linear, the peak rate is
     * multiplied by N (the linear scaling rule of Goyal et al. 2017, "Accurate, Large Minibatch SGD":
     * N times the examples per step, N times the step; the warm-up of the recipe, or --warmup, eases
     * the start). A resumed run keeps the rate its checkpoint holds.
     */
    private TrainConfig scaled(TrainConfig c, Collective collective, java.io.PrintWriter err) {
        int n = collective.size();
        if (n == 1 || lrScaling.equalsIgnoreCase("none")) {
            return c;
        }
        LearningRate l = c.learningRate();
        if (resume == null) {
            err.printf(Locale.ROOT, "learning rate %s x %d ranks = %s (--lr-scaling linear)%n", l.initial(), n, l.initial() * n);
        }
        return c.withLearningRate(new LearningRate(l.decay(), l.initial() * n, l.decayRate(), l.epochsPerDecay(), l.staircase(),
                l.warmupEpochs(), l.totalEpochs()));
    }

    /** The shutdown hook (Ctrl-C, SIGTERM): ask the loop to stop, then wait (bounded) until it has saved. */
    private void requestStop() {
        Trainer t = running;
        if (t != null) {
            t.requestStop();
        }
        try {
            stopped.await(10, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private InceptionV3.Init initRule(Recipe named) {
        if (init == null) {
            return named.init();
        }
        return switch (init.toLowerCase(Locale.ROOT)) {
            case "torchvision" -> InceptionV3.Init.TORCHVISION;
            case "he" -> InceptionV3.Init.HE;
            default -> throw new IllegalArgumentException("--init " + init + " is not one of: torchvision, he");
        };
    }

    private static int positive(String option, int v) {
        if (v < 1) {
            throw new IllegalArgumentException(option + " " + v + " must be >= 1");
        }
        return v;
    }

    private Transform trainView(String view, int side, boolean mirror, boolean small) {
        return switch (view) {
            case "none" -> small ? SmallImageAugmentation.none(side) : Transform.eval(Preprocessing.TF_INCEPTION, side);
            case "light" -> {
                if (!small) {
                    throw new IllegalArgumentException("--augment light is for small in-memory images (fashion-mnist, idx:,"
                            + " cifar10:); for image folders use tf, tf-full, torchvision or none");
                }
                yield SmallImageAugmentation.light(side, seed, mirror);
            }
            case "tf" -> TrainAugmentation.tfSlim(side, seed);
            case "tf-full" -> TrainAugmentation.tfSlim(side, seed, false);
            case "torchvision" -> TrainAugmentation.torchvision(side, seed);
            default -> throw new IllegalArgumentException("--augment " + augment
                    + " is not one of: none, light, tf, tf-full, torchvision");
        };
    }

    /** The recipe's settings with every given option applied; options that the result would ignore are errors. */
    private TrainConfig applyOverrides(TrainConfig c, int runEpochs) {
        List<String> problems = new ArrayList<>();
        Optimizer.Kind kind = c.optimizer();
        if (optimizer != null) {
            kind = switch (optimizer.toLowerCase(Locale.ROOT)) {
                case "rmsprop" -> Optimizer.Kind.RMSPROP;
                case "sgd", "momentum" -> Optimizer.Kind.MOMENTUM;
                case "adam" -> Optimizer.Kind.ADAM;
                default -> throw new IllegalArgumentException("--optimizer " + optimizer + " is not one of: rmsprop, sgd, adam");
            };
        }
        boolean nest = nesterov != null ? nesterov : kind == Optimizer.Kind.MOMENTUM && c.nesterov();
        if (kind != Optimizer.Kind.MOMENTUM && Boolean.TRUE.equals(nesterov)) {
            problems.add("--nesterov needs --optimizer sgd (the optimizer is rmsprop)");
        }
        if (kind == Optimizer.Kind.MOMENTUM && (rmsDecay != null || rmsEpsilon != null)) {
            problems.add((rmsDecay != null ? "--rms-decay" : "--rms-epsilon") + " needs --optimizer rmsprop or adam (the optimizer"
                    + " is sgd)");
        }
        // Switching to Adam takes its own defaults for the settings it shares with RMSProp.
        boolean toAdam = kind == Optimizer.Kind.ADAM && c.optimizer() != Optimizer.Kind.ADAM;
        float mu = momentum != null ? momentum : toAdam ? Adam.DEFAULT_BETA1 : c.momentum();
        float rho = rmsDecay != null ? rmsDecay : toAdam ? Adam.DEFAULT_BETA2 : c.rmsDecay();
        float eps = rmsEpsilon != null ? rmsEpsilon : toAdam ? Adam.DEFAULT_EPSILON : c.epsilon();
        c = c.withOptimizer(kind, mu, nest).withRmsProp(rho, mu, eps);

        LearningRate l = c.learningRate();
        LearningRate.Decay decay = l.decay();
        if (schedule != null) {
            decay = switch (schedule.toLowerCase(Locale.ROOT)) {
                case "exponential" -> LearningRate.Decay.EXPONENTIAL;
                case "cosine" -> LearningRate.Decay.COSINE;
                case "linear" -> LearningRate.Decay.LINEAR;
                default -> throw new IllegalArgumentException("--schedule " + schedule + " is not one of: exponential, cosine, linear");
            };
        }
        double peak = lr != null ? lr : l.initial();
        double warm = warmup != null ? warmup : l.warmupEpochs();
        if (decay == LearningRate.Decay.EXPONENTIAL) {
            boolean wasExp = l.decay() == LearningRate.Decay.EXPONENTIAL;
            double rate = lrDecay != null ? lrDecay : wasExp ? l.decayRate() : 0.94;
            double every = epochsPerDecay != null ? epochsPerDecay : wasExp ? l.epochsPerDecay() : 2;
            l = new LearningRate(LearningRate.Decay.EXPONENTIAL, peak, rate, every, true, warm, 0);
        } else {
            if (lrDecay != null || epochsPerDecay != null) {
                problems.add((lrDecay != null ? "--lr-decay" : "--epochs-per-decay") + " belongs to the exponential schedule,"
                        + " the schedule is " + decay.name().toLowerCase(Locale.ROOT));
            }
            if (warm >= runEpochs) {
                problems.add("--warmup " + warm + " must be shorter than the run (--epochs " + runEpochs + ")");
                warm = 0;
            }
            l = new LearningRate(decay, peak, 1, 1, false, warm, runEpochs);
        }
        c = c.withLearningRate(l);

        GradientClipping.Mode mode = c.clipping();
        if (clip != null) {
            mode = switch (clip.toLowerCase(Locale.ROOT)) {
                case "global" -> GradientClipping.Mode.GLOBAL_NORM;
                case "per-tensor" -> GradientClipping.Mode.PER_TENSOR;
                case "none" -> GradientClipping.Mode.NONE;
                default -> throw new IllegalArgumentException("--clip " + clip + " is not one of: global, per-tensor, none");
            };
        }
        if (mode == GradientClipping.Mode.NONE && clipNorm != null) {
            problems.add("--clip-norm " + clipNorm + " has no effect without clipping (the recipe or --clip says none)");
        }
        c = c.withClipping(mode, clipNorm != null ? clipNorm : c.clipNorm());
        if (labelSmoothing != null) {
            c = c.withLabelSmoothing(labelSmoothing);
        }
        if (weightDecay != null) {
            c = c.withWeightDecay(weightDecay);
        }
        if (ema != null) {
            c = c.withEmaDecay(ema);
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("contradictory options: " + String.join("; ", problems));
        }
        return c;
    }

    private static String describe(TrainConfig c) {
        LearningRate l = c.learningRate();
        String opt = switch (c.optimizer()) {
            case MOMENTUM -> (c.nesterov() ? "SGD+Nesterov " : "SGD+momentum ") + c.momentum();
            case RMSPROP -> "RMSProp rho " + c.rmsDecay() + " mu " + c.momentum() + " eps " + c.epsilon();
            case ADAM -> "Adam beta1 " + c.momentum() + " beta2 " + c.rmsDecay() + " eps " + c.epsilon();
        };
        String sched = switch (l.decay()) {
            case EXPONENTIAL -> "lr " + l.initial() + " x" + l.decayRate() + " every " + l.epochsPerDecay() + " epochs";
            case COSINE -> "lr " + l.initial() + " cosine to 0";
            case LINEAR -> "lr " + l.initial() + " linear to 0";
        } + (l.warmupEpochs() > 0 ? " after " + l.warmupEpochs() + " warm-up epochs" : "");
        return opt + ", " + sched + ", label smoothing " + c.labelSmoothing() + ", weight decay " + c.weightDecay()
                + ", clipping " + c.clipping().name().toLowerCase(Locale.ROOT).replace('_', '-')
                + (c.clipping() != GradientClipping.Mode.NONE ? " " + c.clipNorm() : "")
                + (c.emaDecay() > 0 ? ", parameter average " + c.emaDecay() : "");
    }

    /** Where the run writes. */
    private record Outputs(Path folder, Path checkpoint, Path log, Path plot, Path export) {
    }

    /**
     * The run folder and files, checked before anything is read or written: each file's folder exists
     * and is writable (or is the run folder, which can be made), no file is a folder, no two outputs
     * share a file (nor an output and --resume, except the checkpoint that continues it), an existing
     * log can be appended to, and a new run (no --resume) does not replace the checkpoint or the
     * exported weights of an earlier run. Errors name the option and the path.
     */
    private Outputs plannedOutputs() {
        Path folder = out;
        if (folder == null && resume != null) {
            folder = resume.toAbsolutePath().getParent();
        }
        if (folder == null) {
            DataSource.Spec parsed = DataSource.parse(data);
            String name = parsed.kind() == DataSource.Kind.FASHION_MNIST ? "fashion-mnist"
                    : data.replaceAll("[^A-Za-z0-9._-]+", "_").replaceAll("^_+|_+$", "");
            String stem = name + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
            folder = Path.of("runs", stem);
            for (int k = 2; Files.exists(folder); k++) {
                folder = Path.of("runs", stem + "-" + k); // two runs started in the same second
            }
        }
        Outputs o = new Outputs(folder, or(checkpoint, resume != null ? resume : folder.resolve("checkpoint.safetensors")),
                or(log, folder.resolve("log.csv")), or(plot, folder.resolve("curves.png")),
                or(export, folder.resolve("weights.safetensors")));
        OutputFiles.checkCreatable("--out", folder, folder);
        Map<String, Path> given = new LinkedHashMap<>();
        given.put("--resume", resume);
        given.put("--checkpoint", o.checkpoint);
        given.put("--log", o.log);
        given.put("--plot", o.plot);
        given.put("--export", o.export);
        OutputFiles.checkDistinct(given, "--resume", "--checkpoint");
        given.remove("--resume");
        for (var e : given.entrySet()) {
            OutputFiles.checkWritable(e.getKey(), e.getValue(), folder);
        }
        if (Files.exists(o.log) && !Files.isWritable(o.log)) {
            throw new IllegalArgumentException("--log " + o.log + ": the file exists and is not writable (the log is appended to)");
        }
        if (resume == null && Files.exists(o.checkpoint)) {
            throw new IllegalArgumentException("--checkpoint " + o.checkpoint + " already exists (an earlier run's state?):"
                    + " a new run does not overwrite it; continue that run with --resume " + o.checkpoint
                    + ", or give another --checkpoint or --out");
        }
        if (resume == null && Files.exists(o.export)) {
            throw new IllegalArgumentException("--export " + o.export + " already exists (an earlier run's weights?):"
                    + " a new run does not overwrite it; move it, or give another --export or --out");
        }
        return o;
    }

    /**
     * Makes the run folder (everything has been checked) and removes the temporary files that
     * interrupted writes of these outputs left ({@code <name>.<pid>.<nanos>.tmp} of processes that are
     * gone; see {@link SafeTensors#deleteStaleTemporaries}); other files are left alone.
     */
    private static void makeRunFolder(Outputs o, java.io.PrintWriter err) {
        try {
            Files.createDirectories(o.folder);
        } catch (IOException e) {
            throw new UncheckedIOException(new IOException("--out " + o.folder + ": cannot create the run folder: " + e.getMessage(), e));
        }
        int removed = 0;
        for (Path p : List.of(o.checkpoint, o.log, o.plot, o.export)) {
            removed += SafeTensors.deleteStaleTemporaries(p);
        }
        if (removed > 0) {
            err.println("removed " + removed + " temporary file(s) that interrupted writes left beside the outputs");
        }
    }

    private static Path or(Path given, Path fallback) {
        return given != null ? given : fallback;
    }

    /** What, beyond the checkpoint's own state, must be the same for a resumed run to continue exactly. */
    private Map<String, String> runInfo(DataSource source, int side, String view, boolean mirror, int runBatch) {
        Map<String, String> run = new LinkedHashMap<>();
        run.put("data", source.spec());
        run.put("seed", Long.toString(seed));
        run.put("batch", Integer.toString(runBatch));
        run.put("size", Integer.toString(side));
        run.put("augment", view + (view.equals("light") ? (mirror ? "+flip" : "") : ""));
        run.put("images", Integer.toString(source.train().size()));
        run.put("classes", String.join("/", source.train().classes()));
        return run;
    }

    /**
     * A resumed run continues exactly or not at all: the data facts must match, and architecture or
     * recipe options, when given, must say what the checkpoint says (so the original command line with
     * {@code --resume} added works).
     */
    private void checkResumable(Map<String, String> run, InceptionV3.Config savedModel, TrainConfig savedTrain,
                                int classes, int side, boolean small, TrainConfig given) {
        CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
        List<String> problems = new ArrayList<>();
        if (FIXED_ON_RESUME.stream().anyMatch(parsed::hasMatchedOption)) {
            differences(modelConfig(classes, side, small), savedModel, problems);
            differences(given.withExamplesPerEpoch(savedTrain.examplesPerEpoch()), savedTrain, problems);
        }
        Map<String, String> saved = Checkpoint.runInfo(resume);
        for (var e : run.entrySet()) {
            String was = saved.get(e.getKey());
            if (!e.getValue().equals(was)) {
                problems.add(e.getKey() + " is " + abbreviate(e.getValue()) + " now, " + (was == null ? "not recorded"
                        : abbreviate(was)) + " in the checkpoint");
            }
        }
        if (!problems.isEmpty()) {
            LearningRate was = savedTrain.learningRate();
            if (was.decay() != LearningRate.Decay.EXPONENTIAL && given.learningRate().totalEpochs() != was.totalEpochs()) {
                problems.add("a " + was.decay().name().toLowerCase(Locale.ROOT) + " schedule ends at the run's last epoch: resume"
                        + " with the --epochs of the saved run (" + (long) was.totalEpochs() + ")");
            }
            throw new IllegalArgumentException("--resume " + resume + " cannot continue exactly: " + String.join("; ", problems));
        }
    }

    /** Adds "field: X given, Y in the checkpoint" for each record component that differs. */
    private static void differences(Record given, Record saved, List<String> out) {
        for (java.lang.reflect.RecordComponent c : given.getClass().getRecordComponents()) {
            try {
                Object a = c.getAccessor().invoke(given), b = c.getAccessor().invoke(saved);
                if (!java.util.Objects.equals(a, b)) {
                    out.add(c.getName() + " is " + a + " on this command line, " + b + " in the checkpoint");
                }
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }

    /** The exported weights: the parameter average when there is one, with the model card. */
    private static void exportWeights(Trainer trainer, InceptionV3 net, ModelCard card, Path file) {
        var ema = trainer.step().ema();
        if (ema == null) {
            WeightsLoader.save(net, file, card);
            return;
        }
        try (var averaged = ema.swapIn()) {
            WeightsLoader.save(net, file, card);
        }
    }

    private InceptionV3.Config modelConfig(int classes, int side, boolean small) {
        double w = width != null ? width : small ? SMALL_WIDTH : 1.0;
        InceptionV3.Config base = Presets.named(preset).withNumClasses(classes).withWidthMultiplier(w);
        Float p = dropout != null ? dropout : Recipe.named(recipe).dropout();
        if (p != null) {
            base = base.withDropout(p);
        }
        int minEval = base.minInput(false);
        if (side < minEval) {
            throw new IllegalArgumentException("--size " + side + " is too small: " + preset + " needs at least "
                    + minEval + "x" + minEval);
        }
        if (side > InceptionV3.Config.MAX_INPUT_SIDE) {
            throw new IllegalArgumentException("--size " + side + " is too large: at most " + InceptionV3.Config.MAX_INPUT_SIDE);
        }
        boolean aux = base.auxLogits() && !noAux && side >= base.minInput(true);
        if (base.auxLogits() && !noAux && !aux && size != null) {
            spec.commandLine().getErr().println("note: the auxiliary head needs inputs of at least " + base.minInput(true)
                    + "; training without it at " + side);
        }
        return base.withAuxLogits(aux);
    }
}
