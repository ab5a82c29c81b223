package org.inceptionj.inception.train;

import java.util.Map;

import org.inceptionj.api.Tensor;

/**
 * What a {@link TrainStep} needs of an optimizer: one in-place update of every parameter from its
 * gradient, and its per-parameter state ("slots") by name, so that a {@link Checkpoint} stores and
 * restores it exactly. The two of the paper: {@link RMSProp} (its best models, §8) and
 * {@link Momentum} (SGD with momentum, the baseline of Table 3); and {@link Adam}, which is not in the paper.
 */
public interface Optimizer extends AutoCloseable {
    /** The optimizers {@link TrainConfig} can name. */
    enum Kind { RMSPROP, MOMENTUM, ADAM }

    /**
     * Updates every parameter in place with its gradient ({@code grads}: parameter name → gradient of
     * the same shape; every parameter must have one) at learning rate {@code learningRate} ≥ 0.
     */
    void step(Map<String, Tensor> grads, float learningRate);

    /** The slots by name ({@code <param>.<slot>}), in parameter order: read or overwrite them, never close them. */
    Map<String, Tensor> slots();

    /** Frees the slots. Idempotent. */
    @Override
    void close();
}
