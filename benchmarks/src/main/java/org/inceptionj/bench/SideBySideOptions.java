package org.inceptionj.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.inceptionj.inception.InceptionV3;

/**
 * The options of the side-by-side runner ({@code org.inceptionj.bench.peers.SideBySide}, profile
 * {@code peers}), parsed and checked here, where no peer library is needed, so that the default build
 * tests them. Every bad value is an {@link IllegalArgumentException} that names the option and the value.
 *
 * @param threads     threads for every engine, in [1, {@value #MAX_THREADS}]
 * @param batches     inference batch sizes, each in [1, {@value #MAX_BATCH}], no repeats
 * @param trainBatch  the training step's batch, in [1, {@value #MAX_BATCH}]
 * @param steps       timed calls per figure, in [1, {@value #MAX_STEPS}]
 * @param warmup      untimed calls first, in [0, {@value #MAX_STEPS}]
 * @param size        square input side, in [{@value InceptionV3#MIN_EVAL_INPUT}, {@value InceptionV3.Config#MAX_INPUT_SIDE}]
 * @param weights     inception-v3 weights, or null for seeded ones
 * @param torchscript the PyTorch training step, or null to skip PyTorch
 * @param work        the folder for the weights and the exported model, or null for a fresh temporary one
 * @param train       measure the training step
 */
public record SideBySideOptions(int threads, int[] batches, int trainBatch, int steps, int warmup, int size, Path weights,
                                Path torchscript, Path work, boolean train) {
    /** The most threads accepted (the CPU backend's own bound): above any machine this runs on, and a typo is caught. */
    public static final int MAX_THREADS = 1024;
    public static final int MAX_BATCH = 1024;
    public static final int MAX_STEPS = 100_000;

    public static final String USAGE = """
            SideBySide [--threads N] [--batches 1,8] [--train-batch 8] [--steps 10] [--warmup 60] [--size 299]
                       [--weights W.safetensors] [--torchscript STEP.pt] [--work DIR] [--no-train]
              --threads N      threads for every engine, 1 to %d (default: the available processors)
              --batches LIST   inference batch sizes, each 1 to %d (default 1,8)
              --train-batch B  training-step batch, 1 to %d (default 8)
              --steps S        timed calls per figure, 1 to %d (default 10); --warmup W untimed calls first, 0 to %d (default 60: C2 compiles the tile kernels late)
              --size S         square input side, %d to %d (default 299; below %d training runs without the aux head)
              --weights FILE   inception-v3 weights (torchvision names); default: seeded weights, written to the work folder
              --torchscript F  the PyTorch training step (benchmarks/tools/make_torchscript_step.py); without it PyTorch is skipped
              --work DIR       where the weights and the exported model go (default: a fresh temporary folder)
              --no-train       inference only
            """.formatted(MAX_THREADS, MAX_BATCH, MAX_BATCH, MAX_STEPS, MAX_STEPS, InceptionV3.MIN_EVAL_INPUT,
            InceptionV3.Config.MAX_INPUT_SIDE, InceptionV3.MIN_AUX_INPUT);

    /** The options in {@code args}, checked; null when {@code --help} asks for {@link #USAGE}. */
    public static SideBySideOptions parse(String... args) {
        int threads = Math.min(Runtime.getRuntime().availableProcessors(), MAX_THREADS);
        int[] batches = {1, 8};
        int trainBatch = 8, steps = 10, warmup = 60, size = 299;
        Path weights = null, torchscript = null, work = null;
        boolean train = true;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help") || a.equals("-h")) {
                return null;
            }
            if (a.equals("--no-train")) {
                train = false;
                continue;
            }
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + a + "'\n" + USAGE);
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(a + " needs a value");
            }
            String v = args[++i];
            switch (a) {
                case "--threads" -> threads = intIn(a, v, 1, MAX_THREADS);
                case "--batches" -> {
                    String[] parts = v.split(",", -1);
                    batches = new int[parts.length];
                    for (int k = 0; k < parts.length; k++) {
                        batches[k] = intIn(a, parts[k].trim(), 1, MAX_BATCH);
                    }
                    if (Arrays.stream(batches).distinct().count() != batches.length) {
                        throw new IllegalArgumentException("--batches " + v + " names a batch size twice");
                    }
                }
                case "--train-batch" -> trainBatch = intIn(a, v, 1, MAX_BATCH);
                case "--steps" -> steps = intIn(a, v, 1, MAX_STEPS);
                case "--warmup" -> warmup = intIn(a, v, 0, MAX_STEPS);
                case "--size" -> size = intIn(a, v, InceptionV3.MIN_EVAL_INPUT, InceptionV3.Config.MAX_INPUT_SIDE);
                case "--weights" -> weights = existing(a, v);
                case "--torchscript" -> torchscript = existing(a, v);
                case "--work" -> {
                    work = Path.of(v);
                    if (Files.exists(work) && !Files.isDirectory(work)) {
                        throw new IllegalArgumentException("--work " + v + " is a file, not a folder");
                    }
                }
                default -> throw new IllegalArgumentException("unknown option " + a + "\n" + USAGE);
            }
        }
        if (torchscript != null && !train) {
            throw new IllegalArgumentException("--torchscript " + torchscript + " is a training step, but --no-train was given");
        }
        return new SideBySideOptions(threads, batches, trainBatch, steps, warmup, size, weights, torchscript, work, train);
    }

    private static int intIn(String option, String value, int lo, int hi) {
        int n;
        try {
            n = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " '" + value + "' is not a whole number");
        }
        if (n < lo || n > hi) {
            throw new IllegalArgumentException(option + " " + n + " is outside [" + lo + ", " + hi + "]");
        }
        return n;
    }

    private static Path existing(String option, String value) {
        Path p = Path.of(value);
        if (!Files.isRegularFile(p)) {
            throw new IllegalArgumentException(option + " " + value + ": no such file");
        }
        return p;
    }
}
