package org.inceptionj.inception.train;

/**
 * Every setting of a training step, defaults from the paper (§7, §8) and, where the paper is silent,
 * from the reference scripts (spec §11.1). Validated on construction; messages name the value.
 *
 * @param learningRate     schedule over epochs ({@link LearningRate#paper()}: 0.045 · 0.94^⌊epoch/2⌋)
 * @param examplesPerEpoch epoch = examples seen / this (ImageNet-1k train: 1,281,167)
 * @param rmsDecay         RMSProp ρ (paper 0.9)
 * @param momentum         RMSProp μ (reference scripts 0.9)
 * @param epsilon          RMSProp ε, inside the root as in TF1 (paper 1.0)
 * @param clipping         which norm is clipped (the paper does not say; Pascanu's global norm by default)
 * @param clipNorm         clipping threshold (paper 2.0)
 * @param weightDecay      L2 rate on conv/fc weights (reference scripts 4e-5)
 * @param labelSmoothing   ε of label smoothing, uniform prior (paper §7: 0.1)
 * @param auxWeight        weight of the aux head's loss (reference scripts 0.4)
 * @param emaDecay         decay of the parameter average (inception_train.py 0.9999); 0 = no average
 * @param optimizer        RMSPROP (the paper's), MOMENTUM (SGD with momentum, Table 3's baseline; uses
 *                         {@code momentum}; {@code rmsDecay} and {@code epsilon} are then unused) or ADAM
 *                         (β₁ = {@code momentum}, β₂ = {@code rmsDecay}, ε̂ = {@code epsilon})
 * @param nesterov         MOMENTUM only: Nesterov's form
 */
public record TrainConfig(LearningRate learningRate, long examplesPerEpoch, float rmsDecay, float momentum,
                          float epsilon, GradientClipping.Mode clipping, float clipNorm, float weightDecay,
                          float labelSmoothing, float auxWeight, float emaDecay, Optimizer.Kind optimizer,
                          boolean nesterov) {

    public TrainConfig {
        if (learningRate == null) {
            throw new IllegalArgumentException("TrainConfig: learning rate schedule is null");
        }
        if (examplesPerEpoch <= 0) {
            throw new IllegalArgumentException("TrainConfig: examples per epoch must be > 0, got " + examplesPerEpoch);
        }
        if (!(rmsDecay >= 0f && rmsDecay < 1f)) {
            throw new IllegalArgumentException("TrainConfig: RMSProp decay must be in [0, 1), got " + rmsDecay);
        }
        if (!(momentum >= 0f && momentum < 1f)) {
            throw new IllegalArgumentException("TrainConfig: momentum must be in [0, 1), got " + momentum);
        }
        if (!(epsilon > 0f && Float.isFinite(epsilon))) {
            throw new IllegalArgumentException("TrainConfig: RMSProp epsilon must be > 0 and finite, got " + epsilon);
        }
        if (clipping == null) {
            throw new IllegalArgumentException("TrainConfig: clipping mode is null (use NONE)");
        }
        if (!(clipNorm > 0f && Float.isFinite(clipNorm))) {
            throw new IllegalArgumentException("TrainConfig: clip norm must be > 0 and finite, got " + clipNorm);
        }
        if (!(weightDecay >= 0f && Float.isFinite(weightDecay))) {
            throw new IllegalArgumentException("TrainConfig: weight decay must be >= 0 and finite, got " + weightDecay);
        }
        if (!(labelSmoothing >= 0f && labelSmoothing < 1f)) {
            throw new IllegalArgumentException("TrainConfig: label smoothing must be in [0, 1), got " + labelSmoothing);
        }
        if (!(auxWeight >= 0f && Float.isFinite(auxWeight))) {
            throw new IllegalArgumentException("TrainConfig: aux weight must be >= 0 and finite, got " + auxWeight);
        }
        if (optimizer == null) {
            throw new IllegalArgumentException("TrainConfig: optimizer is null (RMSPROP or MOMENTUM)");
        }
        if (nesterov && optimizer != Optimizer.Kind.MOMENTUM) {
            throw new IllegalArgumentException("TrainConfig: Nesterov's form is for the MOMENTUM optimizer, not " + optimizer);
        }
        if (!(emaDecay == 0f || (emaDecay > 0f && emaDecay < 1f))) {
            throw new IllegalArgumentException("TrainConfig: EMA decay must be 0 (off) or in (0, 1), got " + emaDecay);
        }
    }

    /** The paper's recipe on ImageNet-1k, global-norm clipping at 2.0 and inception_train.py's EMA 0.9999. */
    public static TrainConfig paper() {
        return new TrainConfig(LearningRate.paper(), LearningRate.IMAGENET_TRAIN_EXAMPLES,
                RMSProp.DEFAULT_DECAY, RMSProp.DEFAULT_MOMENTUM, RMSProp.DEFAULT_EPSILON,
                GradientClipping.Mode.GLOBAL_NORM, GradientClipping.PAPER_THRESHOLD, WeightDecay.PAPER,
                0.1f, 0.4f, ExponentialMovingAverage.DEFAULT_DECAY, Optimizer.Kind.RMSPROP, false);
    }

    public TrainConfig withLearningRate(LearningRate lr) {
        return new TrainConfig(lr, examplesPerEpoch, rmsDecay, momentum, epsilon, clipping, clipNorm, weightDecay,
                labelSmoothing, auxWeight, emaDecay, optimizer, nesterov);
    }

    public TrainConfig withExamplesPerEpoch(long n) {
        return new TrainConfig(learningRate, n, rmsDecay, momentum, epsilon, clipping, clipNorm, weightDecay,
                labelSmoothing, auxWeight, emaDecay, optimizer, nesterov);
    }

    public TrainConfig withRmsProp(float decay, float mu, float eps) {
        return new TrainConfig(learningRate, examplesPerEpoch, decay, mu, eps, clipping, clipNorm, weightDecay,
                labelSmoothing, auxWeight, emaDecay, optimizer, nesterov);
    }

    public TrainConfig withClipping(GradientClipping.Mode mode, float threshold) {
        return new TrainConfig(learningRate, examplesPerEpoch, rmsDecay, momentum, epsilon, mode, threshold, weightDecay,
                labelSmoothing, auxWeight, emaDecay, optimizer, nesterov);
    }

    public TrainConfig withWeightDecay(float wd) {
        return new TrainConfig(learningRate, examplesPerEpoch, rmsDecay, momentum, epsilon, clipping, clipNorm, wd,
                labelSmoothing, auxWeight, emaDecay, optimizer, nesterov);
    }

    public TrainConfig withLabelSmoothing(float eps) {
        return new TrainConfig(learningRate, examplesPerEpoch, rmsDecay, momentum, epsilon, clipping, clipNorm, weightDecay,
                eps, auxWeight, emaDecay, optimizer, nesterov);
    }

    public TrainConfig withAuxWeight(float w) {
        return new TrainConfig(learningRate, examplesPerEpoch, rmsDecay, momentum, epsilon, clipping, clipNorm, weightDecay,
                labelSmoothing, w, emaDecay, optimizer, nesterov);
    }

    public TrainConfig withEmaDecay(float d) {
        return new TrainConfig(learningRate, examplesPerEpoch, rmsDecay, momentum, epsilon, clipping, clipNorm, weightDecay,
                labelSmoothing, auxWeight, d, optimizer, nesterov);
    }

    /** The optimizer: RMSPROP, or MOMENTUM (plain or Nesterov) with the config's {@code momentum}. */
    public TrainConfig withOptimizer(Optimizer.Kind kind, float mu, boolean nesterov) {
        return new TrainConfig(learningRate, examplesPerEpoch, rmsDecay, mu, epsilon, clipping, clipNorm, weightDecay,
                labelSmoothing, auxWeight, emaDecay, kind, nesterov);
    }

    /** Builds the optimizer this config names over {@code params}. */
    Optimizer newOptimizer(java.util.Map<String, org.inceptionj.api.Tensor> params) {
        return switch (optimizer) {
            case RMSPROP -> new RMSProp(params, rmsDecay, momentum, epsilon);
            case MOMENTUM -> new Momentum(params, momentum, nesterov);
            case ADAM -> new Adam(params, momentum, rmsDecay, epsilon);
        };
    }
}
