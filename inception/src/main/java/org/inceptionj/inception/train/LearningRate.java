package org.inceptionj.inception.train;

/**
 * The paper's learning-rate schedule (§8: "learning rate of 0.045, decayed every two epoch using an
 * exponential rate of 0.94"), TF's {@code tf.train.exponential_decay}:
 *
 * <pre>
 *   staircase:   lr(epoch) = lr0 · rate^⌊epoch / epochsPerDecay⌋
 *   continuous:  lr(epoch) = lr0 · rate^(epoch / epochsPerDecay)
 * </pre>
 *
 * with epoch = step · batchSize / examplesPerEpoch (fractional). TF-slim's
 * {@code train_image_classifier.py} uses the staircase form with decay_steps =
 * int(examplesPerEpoch · epochsPerDecay / batchSize); the truncation of decay_steps there makes its
 * steps come up to one batch early. Here the boundary is exact: the first decay is at epoch 2.0.
 * Pure arithmetic, in double.
 *
 * @param initial        lr0 &gt; 0 (paper 0.045)
 * @param decayRate      rate in (0, 1] (paper 0.94; 1 = constant)
 * @param epochsPerDecay &gt; 0 (paper 2)
 * @param staircase      true: decay in steps (paper, TF-slim); false: the continuous form
 */
public record LearningRate(double initial, double decayRate, double epochsPerDecay, boolean staircase) {

    /** ImageNet-1k (ILSVRC-2012) training images: TF-slim's {@code imagenet.py} SPLITS_TO_SIZES['train']. */
    public static final long IMAGENET_TRAIN_EXAMPLES = 1_281_167L;

    public LearningRate {
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
        return new LearningRate(lr0, decayRate, epochsPerDecay, staircase);
    }

    /** The same schedule, staircase or continuous. */
    public LearningRate withStaircase(boolean on) {
        return new LearningRate(initial, decayRate, epochsPerDecay, on);
    }

    /** The rate at a (fractional) epoch ≥ 0. */
    public double at(double epoch) {
        if (!(epoch >= 0 && Double.isFinite(epoch))) {
            throw new IllegalArgumentException("LearningRate.at: epoch must be >= 0 and finite, got " + epoch);
        }
        double p = epoch / epochsPerDecay;
        return initial * Math.pow(decayRate, staircase ? Math.floor(p) : p);
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
