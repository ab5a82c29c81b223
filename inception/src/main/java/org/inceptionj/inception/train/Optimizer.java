package org.inceptionj.inception.train;

import java.util.Map;

import org.inceptionj.api.Tensor;

/**
 * What a {@link TrainStep} needs of an optimizer: one in-place update of every parameter from its
 * gradient, and its per-parameter state ("slots") by name, so that a {@link Checkpoint} stores and
 * restores it exactly. The two of the paper: {@link RMSProp} (its best models, §8) and
 * {@link Momentum} (SGD with momentum, the baseline of Table 3); and {@link Adam}, which is not in the paper.
 * Each update is one backend call for all parameters together (a fused primitive of the backend).
 */
public interface Optimizer extends AutoCloseable {
    /** The optimizers {@link TrainConfig} can name. */
    enum Kind { RMSPROP, MOMENTUM, ADAM }

    /**
     * Updates every parameter in place with its gradient ({@code grads}: parameter name → gradient of
     * the same shape; every parameter must have one) at learning rate {@code learningRate} ≥ 0.
     */
    default void step(Map<String, Tensor> grads, float learningRate) {
        step(grads, learningRate, null);
    }

    /**
     * The same update with every gradient multiplied by {@code gradScale} first: one element for all
     * gradients, or one per parameter in parameter order (the factors of {@link GradientClipping}).
     * When any element of gradScale is NaN or ±∞ the update changes nothing, no parameter and no
     * slot: how {@link TrainStep} refuses a step whose loss or gradient is not finite without reading
     * anything from the backend first. Null means 1.
     */
    void step(Map<String, Tensor> grads, float learningRate, Tensor gradScale);

    /** The slots by name ({@code <param>.<slot>}), in parameter order: read or overwrite them, never close them. */
    Map<String, Tensor> slots();

    /** Frees the slots. Idempotent. */
    @Override
    void close();
}
