package org.inceptionj.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.inceptionj.api.Backend;
import org.inceptionj.api.Backends;
import org.inceptionj.api.Tensor;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.Presets;
import org.inceptionj.inception.data.DataLoader;
import org.inceptionj.inception.data.ImageFolder;
import org.inceptionj.inception.data.TrainAugmentation;
import org.inceptionj.inception.data.Transform;
import org.inceptionj.inception.io.WeightsLoader;
import org.inceptionj.inception.image.Preprocessing;
import org.inceptionj.inception.train.Checkpoint;
import org.inceptionj.inception.train.Evaluation;
import org.inceptionj.inception.train.GradientClipping;
import org.inceptionj.inception.train.LearningRate;
import org.inceptionj.inception.train.TrainConfig;
import org.inceptionj.inception.train.TrainStep;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Trains Inception-v3 on an image folder with the paper's recipe (label smoothing, RMSProp, the
 * 0.94-every-2-epochs schedule, clipping, parameter averaging), showing progress, logging every step
 * to CSV, checkpointing so that a stopped run resumes exactly, and evaluating the averaged parameters.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train Inception-v3 on a folder of images (root/<class>/<image>) with the paper's recipe.")
final class TrainCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--data", required = true, paramLabel = "DIR", description = "Training images: DIR/<class>/<image>.jpg|png.")
    Path data;

    @Option(names = "--val", paramLabel = "DIR", description = "Validation images, same layout and classes; evaluated after every epoch.")
    Path val;

    @Option(names = "--preset", defaultValue = "inception-v3", completionCandidates = ForwardCommand.PresetNames.class,
            description = "Architecture: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}); the classes come from --data.")
    String preset;

    @Option(names = {"-w", "--width"}, defaultValue = "1.0", description = "Width multiplier (default: ${DEFAULT-VALUE}).")
    double width;

    @Option(names = {"-s", "--size"}, description = "Input side (default: the preset's, 299 for inception-v3).")
    Integer size;

    @Option(names = "--no-aux", description = "Leave out the auxiliary head (it is left out anyway below its minimum input of 299).")
    boolean noAux;

    @Option(names = "--epochs", defaultValue = "1", description = "Epochs to train (default: ${DEFAULT-VALUE}); a resumed run counts the ones already done.")
    int epochs;

    @Option(names = {"-b", "--batch"}, defaultValue = "32", description = "Batch size (default: ${DEFAULT-VALUE}, the paper's per replica).")
    int batch;

    @Option(names = "--lr", defaultValue = "0.045", description = "Initial learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--lr-decay", defaultValue = "0.94", description = "Learning-rate factor (default: ${DEFAULT-VALUE}) ...")
    double lrDecay;

    @Option(names = "--epochs-per-decay", defaultValue = "2", description = "... applied every this many epochs (default: ${DEFAULT-VALUE}).")
    double epochsPerDecay;

    @Option(names = "--clip", defaultValue = "global", description = "Gradient clipping: global, per-tensor or none (default: ${DEFAULT-VALUE}).")
    String clip;

    @Option(names = "--clip-norm", defaultValue = "2.0", description = "Clipping threshold (default: ${DEFAULT-VALUE}).")
    float clipNorm;

    @Option(names = "--label-smoothing", defaultValue = "0.1", description = "Label smoothing epsilon (default: ${DEFAULT-VALUE}).")
    float labelSmoothing;

    @Option(names = "--weight-decay", defaultValue = "4e-5", description = "L2 weight decay on conv and fc weights (default: ${DEFAULT-VALUE}).")
    float weightDecay;

    @Option(names = "--ema", defaultValue = "0.9999", description = "Decay of the parameter average used for evaluation; 0 = none (default: ${DEFAULT-VALUE}).")
    float ema;

    @Option(names = "--augment", defaultValue = "tf",
            description = "Training view: tf (TF-slim's preprocess_for_train: its box sampler, flip, brightness and saturation"
                    + " in random order, [-1,1]), tf-full (also hue and contrast, slim's fast_mode=False) or torchvision"
                    + " (RandomResizedCrop 8-100%% of the area, flip, ImageNet mean/std). Default: ${DEFAULT-VALUE}.")
    String augment;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the initial weights, the shuffling, the crops and dropout (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--workers", description = "Image decoding threads (default: min(4, processors)).")
    Integer workers;

    @Option(names = "--skip-corrupt", description = "Skip images that cannot be decoded, naming each on stderr"
            + " (default: stop at the first, naming it; the state up to the last step is saved first).")
    boolean skipCorrupt;

    @Option(names = "--log", paramLabel = "FILE", description = "Append one CSV line per step (step, epoch, lr, losses, gradient norm, images/s).")
    Path log;

    @Option(names = "--checkpoint", paramLabel = "FILE",
            description = "Save the whole training state here (atomically) after every epoch, every --save-every steps and at the end.")
    Path checkpoint;

    @Option(names = "--save-every", defaultValue = "0", description = "Also checkpoint every N steps; 0 = only per epoch (default: ${DEFAULT-VALUE}).")
    int saveEvery;

    @Option(names = "--resume", paramLabel = "FILE",
            description = "Continue the run saved in FILE exactly: its architecture and recipe are used; --data, --batch, --seed, --size and --augment must be those of the saved run.")
    Path resume;

    @Option(names = "--max-steps", paramLabel = "N",
            description = "Stop after step N of the run (counting resumed steps), saving the checkpoint: a run in slices."
                    + " Ctrl-C does the same at the end of the current step.")
    Long maxSteps;

    @Option(names = "--export", paramLabel = "FILE",
            description = "At the end, write the weights (the parameter average when --ema > 0) as safetensors with torchvision names, for predict and forward.")
    Path export;

    /** Options that define the architecture or the recipe: the checkpoint's values hold when resuming. */
    private static final List<String> FIXED_ON_RESUME = List.of("--preset", "--width", "--no-aux", "--lr", "--lr-decay",
            "--epochs-per-decay", "--clip", "--clip-norm", "--label-smoothing", "--weight-decay", "--ema");

    @Override
    public Integer call() {
        Augment aug = Augment.parse(augment);
        if (epochs < 1 || batch < 1 || saveEvery < 0) {
            throw new IllegalArgumentException((epochs < 1 ? "--epochs " + epochs : batch < 1 ? "--batch " + batch
                    : "--save-every " + saveEvery) + (saveEvery < 0 ? " must be >= 0" : " must be >= 1"));
        }
        if (maxSteps != null && maxSteps < 1) {
            throw new IllegalArgumentException("--max-steps " + maxSteps + " must be >= 1");
        }
        if (resume != null && !Files.isRegularFile(resume)) {
            throw new IllegalArgumentException("--resume " + resume + ": no such file");
        }
        ImageFolder train = ImageFolder.open(data);
        ImageFolder validation = val == null ? null : ImageFolder.open(val);
        if (validation != null && !validation.classes().equals(train.classes())) {
            throw new IllegalArgumentException("--val " + val + " has classes " + validation.classes()
                    + ", --data " + data + " has " + train.classes());
        }
        int side = size != null ? size : Presets.inputSize(preset);
        Map<String, String> run = runInfo(train, side, aug);
        InceptionV3.Config model;
        TrainConfig config;
        if (resume == null) {
            model = modelConfig(train.classes().size(), side);
            config = trainConfig();
        } else {
            model = Checkpoint.modelConfig(resume);
            config = Checkpoint.trainConfig(resume);
            checkResumable(run, model, config, train.classes().size(), side);
        }
        if (train.size() < batch) {
            throw new IllegalArgumentException("--data " + data + " has " + train.size() + " images, fewer than one batch of "
                    + batch);
        }
        var err = spec.commandLine().getErr();
        var out = spec.commandLine().getOut();
        int threads = workers != null ? workers : Math.min(4, Runtime.getRuntime().availableProcessors());
        Transform trainView = switch (aug) {
            case TF -> TrainAugmentation.tfSlim(side, seed);
            case TF_FULL -> TrainAugmentation.tfSlim(side, seed, false);
            case TORCHVISION -> TrainAugmentation.torchvision(side, seed);
        };
        try (Backend backend = Backends.load();
             InceptionV3 net = new InceptionV3(backend, model, seed);
             DataLoader loader = DataLoader.builder(train, trainView, side).batchSize(batch).seed(seed).workers(threads)
                     .skipCorrupt(skipCorrupt, what -> spec.commandLine().getErr().println("\nskipped " + what)).build();
             DataLoader valLoader = validation == null ? null : DataLoader.builder(validation,
                     Transform.eval(aug.preprocessing, side), side).batchSize(batch).shuffle(false).dropLast(false)
                     .workers(threads).build();
             TrainStep step = new TrainStep(net, config.withExamplesPerEpoch((long) loader.batchesPerEpoch() * batch));
             PrintWriter csv = openLog()) {
            if (resume != null) {
                Checkpoint.load(step, resume);
                err.println("resumed " + resume + " at step " + step.steps());
            }
            err.printf(Locale.ROOT, "training %s (%d classes, %dx%d, width %s%s) on %d images, %d batches of %d per epoch%n",
                    preset, model.numClasses(), side, side, model.widthMultiplier(), model.auxLogits() ? ", aux head" : "",
                    train.size(), loader.batchesPerEpoch(), batch);
            // One step per batch: the step count places a resumed run (short batches from --skip-corrupt included).
            int first = (int) (step.steps() / loader.batchesPerEpoch());
            int fromBatch = (int) (step.steps() % loader.batchesPerEpoch());
            if (first >= epochs) {
                err.println("the run already has " + first + " epoch(s); nothing to do for --epochs " + epochs);
            }
            Thread onInterrupt = new Thread(this::requestStop, "inceptionj-train-stop");
            Runtime.getRuntime().addShutdownHook(onInterrupt);
            try {
                for (int epoch = first; epoch < epochs; epoch++) {
                    boolean complete = runEpoch(step, loader, backend, epoch, epoch == first ? fromBatch : 0, csv, run);
                    save(step, run);
                    if (!complete) {
                        err.println("stopped after step " + step.steps() + (checkpoint != null ? "; the state is saved in "
                                + checkpoint + ": continue with --resume " + checkpoint : "; no --checkpoint: nothing saved"));
                        return 0;
                    }
                    if (valLoader != null) {
                        Evaluation.Result r = evaluate(step, net, valLoader, backend);
                        out.printf(Locale.ROOT, "epoch %d: validation top-1 %.2f%%, top-5 %.2f%% on %d images%s%n",
                                epoch + 1, 100 * r.top1(), 100 * r.top5(), r.examples(),
                                step.ema() != null ? " (parameter average)" : "");
                    }
                }
            } finally {
                stopped.countDown();
                try {
                    Runtime.getRuntime().removeShutdownHook(onInterrupt);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is running: it is waiting for the countDown above
                }
            }
            if (export != null) {
                exportWeights(step, net);
                out.println("wrote the " + (step.ema() != null ? "averaged " : "") + "weights to " + export);
            }
            out.flush();
        }
        return 0;
    }

    /** Set by Ctrl-C (the shutdown hook) or --max-steps; the loop stops at the end of the current step. */
    private final java.util.concurrent.atomic.AtomicBoolean stopRequested = new java.util.concurrent.atomic.AtomicBoolean();
    /** Released once the loop has saved and left, so that the JVM exits only after the checkpoint is written. */
    private final java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);

    /** The shutdown hook: ask the loop to stop, then wait (bounded) until it has saved. */
    private void requestStop() {
        stopRequested.set(true);
        try {
            stopped.await(10, java.util.concurrent.TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Trains one epoch (from batch {@code fromBatch}); false when a stop was requested before its end. */
    private boolean runEpoch(TrainStep step, DataLoader loader, Backend backend, int epoch, int fromBatch, PrintWriter csv,
                             Map<String, String> run) {
        try (DataLoader.Epoch batches = loader.epoch(epoch, fromBatch);
             ProgressBar bar = progress("epoch " + (epoch + 1) + "/" + epochs, batches.batches())) {
            bar.stepTo(fromBatch);
            while (batches.hasNext()) {
                DataLoader.Batch b;
                try {
                    b = batches.next();
                } catch (RuntimeException e) {
                    // Between steps the state is whole: keep what was trained before reporting the bad input.
                    save(step, run);
                    if (checkpoint != null) {
                        spec.commandLine().getErr().println("saved the state after step " + step.steps() + " in "
                                + checkpoint + " before stopping");
                    }
                    throw e;
                }
                if (b.size() == 0) {
                    continue; // every image of the batch was skipped with --skip-corrupt
                }
                long t0 = System.nanoTime();
                TrainStep.Result r;
                try (Tensor x = b.toTensor(backend)) {
                    r = step.run(x, b.labels());
                }
                double imagesPerSecond = b.size() / ((System.nanoTime() - t0) / 1e9);
                if (!Double.isFinite(r.totalLoss())) {
                    throw new IllegalStateException("training diverged at step " + r.step() + " (loss " + r.totalLoss()
                            + "); lower --lr or keep --clip");
                }
                bar.step();
                bar.setExtraMessage(String.format(Locale.ROOT, " loss %.3f lr %.4g", r.totalLoss(), r.learningRate()));
                if (csv != null) {
                    csv.printf(Locale.ROOT, "%d,%.6f,%.6g,%.6f,%.6f,%.6g,%.6f,%.6g,%.2f%n", r.step(), r.epoch(),
                            r.learningRate(), r.loss(), r.auxLoss(), r.weightDecayLoss(), r.totalLoss(), r.gradientNorm(),
                            imagesPerSecond);
                    csv.flush(); // a killed run keeps every step it finished
                }
                if (saveEvery > 0 && step.steps() % saveEvery == 0) {
                    save(step, run);
                }
                if (maxSteps != null && step.steps() >= maxSteps) {
                    stopRequested.set(true);
                }
                if (stopRequested.get() && batches.hasNext()) {
                    return false;
                }
            }
        }
        return !stopRequested.get() || epoch == epochs - 1;
    }

    private void save(TrainStep step, Map<String, String> run) {
        if (checkpoint != null) {
            Checkpoint.save(step, checkpoint, run);
        }
    }

    /** What, beyond the checkpoint's own state, must be the same for a resumed run to continue exactly. */
    private Map<String, String> runInfo(ImageFolder train, int side, Augment aug) {
        Map<String, String> run = new LinkedHashMap<>();
        run.put("seed", Long.toString(seed));
        run.put("batch", Integer.toString(batch));
        run.put("size", Integer.toString(side));
        run.put("augment", aug.name().toLowerCase(Locale.ROOT));
        run.put("images", Integer.toString(train.size()));
        run.put("classes", String.join("/", train.classes()));
        return run;
    }

    /**
     * A resumed run continues exactly or not at all: the data facts must match, and architecture or
     * recipe options, when given, must say what the checkpoint says (so the original command line with
     * {@code --resume} added works).
     */
    private void checkResumable(Map<String, String> run, InceptionV3.Config savedModel, TrainConfig savedTrain,
                                int classes, int side) {
        CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
        List<String> problems = new ArrayList<>();
        if (FIXED_ON_RESUME.stream().anyMatch(parsed::hasMatchedOption)) {
            differences("", modelConfig(classes, side), savedModel, problems);
            differences("", trainConfig().withExamplesPerEpoch(savedTrain.examplesPerEpoch()), savedTrain, problems);
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
            throw new IllegalArgumentException("--resume " + resume + " cannot continue exactly: "
                    + String.join("; ", problems));
        }
    }

    /** Adds "field: X given, Y in the checkpoint" for each record component that differs. */
    private static void differences(String prefix, Record given, Record saved, List<String> out) {
        for (java.lang.reflect.RecordComponent c : given.getClass().getRecordComponents()) {
            try {
                Object a = c.getAccessor().invoke(given), b = c.getAccessor().invoke(saved);
                if (!java.util.Objects.equals(a, b)) {
                    out.add(prefix + c.getName() + " is " + a + " on this command line, " + b + " in the checkpoint");
                }
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }

    private static Evaluation.Result evaluate(TrainStep step, InceptionV3 net, DataLoader valLoader, Backend backend) {
        if (step.ema() == null) {
            return Evaluation.run(net, valLoader, backend, null);
        }
        try (var averaged = step.ema().swapIn()) {
            return Evaluation.run(net, valLoader, backend, null);
        }
    }

    private void exportWeights(TrainStep step, InceptionV3 net) {
        if (step.ema() == null) {
            WeightsLoader.save(net, export);
            return;
        }
        try (var averaged = step.ema().swapIn()) {
            WeightsLoader.save(net, export);
        }
    }

    private ProgressBar progress(String task, int total) {
        return new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
                .setConsumer(new ConsoleProgressBarConsumer(System.err))
                .setUpdateIntervalMillis(500).continuousUpdate().build();
    }

    private PrintWriter openLog() {
        if (log == null) {
            return null;
        }
        try {
            boolean fresh = !Files.exists(log) || Files.size(log) == 0;
            PrintWriter w = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND));
            if (fresh) {
                w.println("step,epoch,lr,loss,aux_loss,weight_decay_loss,total_loss,gradient_norm,images_per_second");
            }
            return w;
        } catch (IOException e) {
            throw new UncheckedIOException(new IOException("--log " + log + ": " + e.getMessage(), e));
        }
    }

    private TrainConfig trainConfig() {
        GradientClipping.Mode mode = switch (clip.toLowerCase(Locale.ROOT)) {
            case "global" -> GradientClipping.Mode.GLOBAL_NORM;
            case "per-tensor" -> GradientClipping.Mode.PER_TENSOR;
            case "none" -> GradientClipping.Mode.NONE;
            default -> throw new IllegalArgumentException("--clip " + clip + " is not one of: global, per-tensor, none");
        };
        return TrainConfig.paper()
                .withLearningRate(new LearningRate(lr, lrDecay, epochsPerDecay, true))
                .withClipping(mode, clipNorm)
                .withLabelSmoothing(labelSmoothing)
                .withWeightDecay(weightDecay)
                .withEmaDecay(ema);
    }

    private InceptionV3.Config modelConfig(int classes, int side) {
        InceptionV3.Config base = Presets.named(preset).withNumClasses(classes).withWidthMultiplier(width);
        int minEval = base.minInput(false);
        if (side < minEval) {
            throw new IllegalArgumentException("--size " + side + " is too small: " + preset + " needs at least "
                    + minEval + "x" + minEval);
        }
        boolean aux = base.auxLogits() && !noAux && side >= base.minInput(true);
        if (base.auxLogits() && !noAux && !aux) {
            spec.commandLine().getErr().println("note: the auxiliary head needs inputs of at least " + base.minInput(true)
                    + "; training without it at " + side);
        }
        return base.withAuxLogits(aux);
    }

    /** The two training recipes: crop range and scaling. */
    enum Augment {
        TF(Preprocessing.TF_INCEPTION), TF_FULL(Preprocessing.TF_INCEPTION), TORCHVISION(Preprocessing.TORCHVISION);

        final Preprocessing preprocessing;

        Augment(Preprocessing p) {
            this.preprocessing = p;
        }

        static Augment parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "tf" -> TF;
                case "tf-full" -> TF_FULL;
                case "torchvision" -> TORCHVISION;
                default -> throw new IllegalArgumentException("--augment " + s + " is not one of: tf, tf-full, torchvision");
            };
        }
    }
}
