package org.inceptionj.inception.train;

import java.util.List;
import java.util.Locale;

import org.inceptionj.inception.InceptionV3;

/**
 * A named training recipe: the optimizer, schedule and regularization of a {@link TrainConfig} and
 * the batch size and length of run they were chosen for.
 *
 * <ul>
 *   <li>{@code paper} — §8 of the paper for ImageNet (50 replicas × batch 32): RMSProp ρ 0.9, ε 1.0
 *       (μ 0.9 from the reference scripts), lr 0.045 × 0.94 every 2 epochs, global-norm clipping at
 *       2.0, label smoothing 0.1, weight decay 4e-5, evaluation with a parameter average of decay
 *       0.9999. Batch 32.</li>
 *   <li>{@code small} — for a run of a few epochs on a small dataset on one machine (the default
 *       Fashion-MNIST run; chosen by measurement, see the README's table): SGD with Nesterov momentum
 *       0.9, lr {@value #SMALL_LR} after a linear warm-up of {@value #SMALL_WARMUP} epochs, then a
 *       half-cosine decay to 0 at the last epoch (all of the decay happens inside a short run), label
 *       smoothing 0.1, weight decay {@value #SMALL_WEIGHT_DECAY}, the paper's global-norm clipping at 2.0
 *       (typical norms are 0.7, but a few steps reach 10 to 150; unclipped, such a step at the peak rate
 *       knocked the test accuracy back by 10 points for an epoch, and the end point varied by 2.7
 *       points from seed to seed against 0.3 clipped), no parameter average (with the rate annealed to 0, the last
 *       weights are the averaged ones), He's initialization ({@link InceptionV3.Init#HE}), no dropout before the classifier (a run of a few epochs
 *       underfits: training and test accuracy stay within a point of each other). Batch
 *       {@value #SMALL_BATCH}.</li>
 * </ul>
 *
 * @param name        what {@code --recipe} calls it
 * @param config      the step settings; its learning-rate schedule's total epochs is set by {@link #config(int)}
 * @param batchSize   the batch size the rates were chosen for
 * @param epochs      the run length the recipe was chosen for (the CLI's default)
 * @param dropout     the dropout before the classifier the recipe was chosen with, or null to keep the
 *                    preset's (a model setting, applied by whoever builds the model)
 * @param init        how the recipe draws a new model's weights ({@link InceptionV3.Init}; applied by whoever
 *                    builds the model)
 */
public record Recipe(String name, TrainConfig config, int batchSize, int epochs, Float dropout, InceptionV3.Init init) {
    /** The small recipe's peak learning rate (for batch {@value #SMALL_BATCH}). */
    public static final double SMALL_LR = 0.1;
    /** The small recipe's warm-up, in epochs. */
    public static final double SMALL_WARMUP = 0.3;
    /** The small recipe's L2 rate on conv and fc weights. */
    public static final float SMALL_WEIGHT_DECAY = 5e-5f;
    /** The small recipe's batch size. */
    public static final int SMALL_BATCH = 64;
    /** The small recipe's run length (the default run). */
    public static final int SMALL_EPOCHS = 7;
    /** The small recipe's dropout before the classifier. */
    public static final float SMALL_DROPOUT = 0f;
    /** The small recipe's initialization. */
    public static final InceptionV3.Init SMALL_INIT = InceptionV3.Init.HE;

    /** Every recipe {@link #named} knows, in the order the help lists them. */
    public static final List<String> NAMES = List.of("small", "paper");

    public Recipe {
        if (name == null || name.isBlank() || config == null || init == null) {
            throw new IllegalArgumentException("Recipe: name, config and init must be given, got " + name + ", " + config
                    + ", " + init);
        }
        if (dropout != null && !(dropout >= 0f && dropout < 1f)) {
            throw new IllegalArgumentException("Recipe " + name + ": dropout must be in [0, 1), got " + dropout);
        }
        if (batchSize < 1 || epochs < 1) {
            throw new IllegalArgumentException("Recipe " + name + ": batch size and epochs must be >= 1, got "
                    + batchSize + " and " + epochs);
        }
    }

    /** The paper's ImageNet recipe (§8). */
    public static Recipe paper() {
        return new Recipe("paper", TrainConfig.paper(), 32, 100, null, InceptionV3.Init.TORCHVISION);
    }

    /** The small-data recipe of the default run. */
    public static Recipe small() {
        TrainConfig c = TrainConfig.paper()
                .withOptimizer(Optimizer.Kind.MOMENTUM, Momentum.DEFAULT_MOMENTUM, true)
                .withLearningRate(LearningRate.cosine(SMALL_LR, SMALL_WARMUP, SMALL_EPOCHS))
                .withClipping(GradientClipping.Mode.GLOBAL_NORM, GradientClipping.PAPER_THRESHOLD)
                .withWeightDecay(SMALL_WEIGHT_DECAY)
                .withEmaDecay(0f);
        return new Recipe("small", c, SMALL_BATCH, SMALL_EPOCHS, SMALL_DROPOUT, SMALL_INIT);
    }

    /** The recipe called {@code name} ({@link #NAMES}); fails naming the value and the choices. */
    public static Recipe named(String name) {
        if (name == null) {
            throw new IllegalArgumentException("Recipe: name is null; one of " + NAMES);
        }
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "small" -> small();
            case "paper" -> paper();
            default -> throw new IllegalArgumentException("recipe '" + name + "' is not one of " + NAMES);
        };
    }

    /**
     * The step settings for a run of {@code epochs} epochs: a schedule that ends (cosine, linear) is
     * stretched to end at the last epoch, its warm-up kept (and shortened to half the run when the run
     * is shorter than twice the warm-up); the paper's exponential decay has no end and is kept as it is.
     */
    public TrainConfig config(int epochs) {
        if (epochs < 1) {
            throw new IllegalArgumentException("Recipe " + name + ": epochs must be >= 1, got " + epochs);
        }
        LearningRate lr = config.learningRate();
        if (lr.decay() == LearningRate.Decay.EXPONENTIAL) {
            return config;
        }
        double warmup = Math.min(lr.warmupEpochs(), epochs / 2.0);
        return config.withLearningRate(lr.withWarmup(warmup).withTotalEpochs(epochs));
    }
}
