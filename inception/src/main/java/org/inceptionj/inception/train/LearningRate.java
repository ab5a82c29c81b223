package org.inceptionj.inception.train;

/**
 * A learning-rate schedule over (fractional) epochs: an optional linear warm-up, then one of three
 * decays. The paper's (§8: "learning rate of 0.045, decayed every two epoch using an exponential rate
 * of 0.94") is TF's {@code tf.train.exponential_decay}; the other two end at zero after
 * {@code totalEpochs}, which is what short runs on small data need (all the decay fits in the run):
 *
 * <pre>
 *   warm-up (e &lt; w):   lr(e) = lr0 · e / w                                   (from 0, linear; Goyal et al. 2017)
 *   EXPONENTIAL:        lr(e) = lr0 · rate^⌊e / epochsPerDecay⌋   (staircase, paper, TF-slim)
 *                       lr(e) = lr0 · rate^(e / epochsPerDecay)   (continuous)
 *   COSINE:             lr(e) = lr0 · ½ · (1 + cos(π · (e − w) / (T − w)))     (Loshchilov &amp; Hutter 2017), 0 for e ≥ T
 *   LINEAR:             lr(e) = lr0 · (1 − (e − w) / (T − w)),  0 for e ≥ T
 * </pre>
 *
 * with e = examples seen / examples per epoch, w = {@code warmupEpochs}, T = {@code totalEpochs}. The
 * exponential decay counts epochs from 0 (the warm-up does not shift it). TF-slim's
 * {@code train_image_classifier.py} uses the staircase form with decay_steps =
 * int(examplesPerEpoch · epochsPerDecay / batchSize); the truncation of decay_steps there makes its
 * steps come up to one batch early. Here the boundary is exact: the first decay is at epoch 2.0.
 * Pure arithmetic, in double.
 *
 * @param decay          the shape after the warm-up
 * @param initial        lr0 &gt; 0 (paper 0.045): the rate at the end of the warm-up
 * @param decayRate      EXPONENTIAL: rate in (0, 1] (paper 0.94; 1 = constant); 1 for the others
 * @param epochsPerDecay EXPONENTIAL: &gt; 0 (paper 2); 1 for the others
 * @param staircase      EXPONENTIAL: true decays in steps (paper, TF-slim); false for the others
 * @param warmupEpochs   w ≥ 0; 0 = no warm-up
 * @param totalEpochs    COSINE and LINEAR: T &gt; w, where the rate reaches 0; 0 for EXPONENTIAL
 */
public record LearningRate(Decay decay, double initial, double decayRate, double epochsPerDecay, boolean staircase,
                           double warmupEpochs, double totalEpochs) {

    /** The shape of the schedule after the warm-up. */
    public enum Decay { EXPONENTIAL, COSINE, LINEAR }

    /** ImageNet-1k (ILSVRC-2012) training images: TF-slim's {@code imagenet.py} SPLITS_TO_SIZES['train']. */
    public static final long IMAGENET_TRAIN_EXAMPLES = 1_281_167L;

    public LearningRate {
        if (decay == null) {
            throw new IllegalArgumentException("LearningRate: decay is null (EXPONENTIAL, COSINE or LINEAR)");
        }
        if (!(initial > 0 && Double.isFinite(initial))) {
            throw new IllegalArgumentException("LearningRate: initial rate must be > 0 and finite, got " + initial);
        }
        if (!(decayRate > 0 && decayRate <= 1)) {
            throw new IllegalArgumentException("LearningRate: decay rate must be in (0, 1], got " + decayRate);
        }
        if (!(epochsPerDecay > 0 && Double.isFinite(epochsPerDecay))) {
            throw new IllegalArgumentException("LearningRate: epochs per decay must be > 0 and finite, got "
                    + epochsPerDecay);
        }
        if (!(warmupEpochs >= 0 && Double.isFinite(warmupEpochs))) {
            throw new IllegalArgumentException("LearningRate: warm-up epochs must be >= 0 and finite, got " + warmupEpochs);
        }
        if (decay == Decay.EXPONENTIAL) {
            if (totalEpochs != 0) {
                throw new IllegalArgumentException("LearningRate: an exponential decay has no end; total epochs must be 0,"
                        + " got " + totalEpochs);
            }
        } else {
            if (!(totalEpochs > warmupEpochs && Double.isFinite(totalEpochs))) {
                throw new IllegalArgumentException("LearningRate: a " + decay.name().toLowerCase(java.util.Locale.ROOT)
                        + " decay needs total epochs > warm-up epochs (" + warmupEpochs + "), got " + totalEpochs);
            }
            if (decayRate != 1 || epochsPerDecay != 1 || staircase) {
                throw new IllegalArgumentException("LearningRate: decay rate, epochs per decay and staircase belong to the"
                        + " exponential decay; a " + decay.name().toLowerCase(java.util.Locale.ROOT)
                        + " decay takes 1, 1, false, got " + decayRate + ", " + epochsPerDecay + ", " + staircase);
            }
        }
    }

    /** The exponential decay without warm-up (the paper's form): lr0 · rate^⌊epoch / epochsPerDecay⌋. */
    public LearningRate(double initial, double decayRate, double epochsPerDecay, boolean staircase) {
        this(Decay.EXPONENTIAL, initial, decayRate, epochsPerDecay, staircase, 0, 0);
    }

    /** lr0 after {@code warmupEpochs} of linear warm-up, decayed to 0 at {@code totalEpochs} by a half cosine. */
    public static LearningRate cosine(double lr0, double warmupEpochs, double totalEpochs) {
        return new LearningRate(Decay.COSINE, lr0, 1, 1, false, warmupEpochs, totalEpochs);
    }

    /** lr0 after {@code warmupEpochs} of linear warm-up, decayed linearly to 0 at {@code totalEpochs}. */
    public static LearningRate linear(double lr0, double warmupEpochs, double totalEpochs) {
        return new LearningRate(Decay.LINEAR, lr0, 1, 1, false, warmupEpochs, totalEpochs);
    }

    /** The same schedule with a linear warm-up over the first {@code epochs}. */
    public LearningRate withWarmup(double epochs) {
        return new LearningRate(decay, initial, decayRate, epochsPerDecay, staircase, epochs, totalEpochs);
    }

    /** The same schedule ending at {@code epochs} (COSINE, LINEAR). */
    public LearningRate withTotalEpochs(double epochs) {
        return new LearningRate(decay, initial, decayRate, epochsPerDecay, staircase, warmupEpochs, epochs);
    }

    /** The paper's schedule: 0.045 · 0.94^⌊epoch/2⌋. */
    public static LearningRate paper() {
        return new LearningRate(0.045, 0.94, 2.0, true);
    }

    /** A constant rate (decay rate 1). */
    public static LearningRate constant(double lr) {
        return new LearningRate(lr, 1.0, 1.0, true);
    }

    /** The same schedule with another initial rate. */
    public LearningRate withInitial(double lr0) {
        return new LearningRate(decay, lr0, decayRate, epochsPerDecay, staircase, warmupEpochs, totalEpochs);
    }

    /** The same schedule, staircase or continuous. */
    public LearningRate withStaircase(boolean on) {
        return new LearningRate(decay, initial, decayRate, epochsPerDecay, on, warmupEpochs, totalEpochs);
    }

    /** The rate at a (fractional) epoch ≥ 0. */
    public double at(double epoch) {
        if (!(epoch >= 0 && Double.isFinite(epoch))) {
            throw new IllegalArgumentException("LearningRate.at: epoch must be >= 0 and finite, got " + epoch);
        }
        if (epoch < warmupEpochs) {
            return initial * epoch / warmupEpochs;
        }
        return switch (decay) {
            case EXPONENTIAL -> {
                double p = epoch / epochsPerDecay;
                yield initial * Math.pow(decayRate, staircase ? Math.floor(p) : p);
            }
            case COSINE -> epoch >= totalEpochs ? 0
                    : initial * 0.5 * (1 + Math.cos(Math.PI * (epoch - warmupEpochs) / (totalEpochs - warmupEpochs)));
            case LINEAR -> epoch >= totalEpochs ? 0
                    : initial * (1 - (epoch - warmupEpochs) / (totalEpochs - warmupEpochs));
        };
    }

    /** The rate after {@code step} steps of {@code batchSize} examples each, an epoch being {@code examplesPerEpoch}. */
    public double atStep(long step, int batchSize, long examplesPerEpoch) {
        return at(epoch(step, batchSize, examplesPerEpoch));
    }

    /** epoch = step · batchSize / examplesPerEpoch. */
    public static double epoch(long step, int batchSize, long examplesPerEpoch) {
        if (step < 0 || batchSize <= 0 || examplesPerEpoch <= 0) {
            throw new IllegalArgumentException("LearningRate.epoch: need step >= 0, batch size > 0, examples per epoch > 0;"
                    + " got step " + step + ", batch size " + batchSize + ", examples per epoch " + examplesPerEpoch);
        }
        return (double) step * batchSize / examplesPerEpoch;
    }
}
