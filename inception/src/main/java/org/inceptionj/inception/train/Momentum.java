package org.inceptionj.inception.train;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import org.inceptionj.api.Ops;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;

/**
 * SGD with momentum, the baseline of the paper's Table 3 ("Inception-v2 … SGD with momentum"), as
 * TensorFlow 1 implements it ({@code tf.train.MomentumOptimizer}, kernel {@code ApplyMomentum}).
 * For each parameter θ with gradient g, per element:
 *
 * <pre>
 *   acc ← μ·acc + g
 *   θ   ← θ − lr·acc                   (heavy ball)
 *   θ   ← θ − lr·(g + μ·acc)           (Nesterov, use_nesterov=True; acc already updated)
 * </pre>
 *
 * The accumulator starts at zeros. PyTorch's {@code torch.optim.SGD(momentum=μ, dampening=0)} is the
 * same update (buf = μ·buf + g; θ −= lr·buf; Nesterov: θ −= lr·(g + μ·buf)). Because lr multiplies
 * the accumulator when it is applied, a change of the learning rate acts at once.
 *
 * <p>Slots are owned by the optimizer and named {@code <param>.momentum}.
 */
public final class Momentum implements Optimizer {
    /** The usual μ (TF-slim's {@code momentum} flag, PyTorch's ImageNet reference scripts). */
    public static final float DEFAULT_MOMENTUM = 0.9f;

    private final float momentum;
    private final boolean nesterov;
    private final Map<String, Tensor> params;
    private final Map<String, Tensor> acc = new LinkedHashMap<>();
    private boolean closed;

    /**
     * Allocates the accumulators for {@code params} now.
     *
     * @param momentum μ in [0, 1)
     * @param nesterov Nesterov's look-ahead form
     */
    public Momentum(Map<String, Tensor> params, float momentum, boolean nesterov) {
        if (!(momentum >= 0f && momentum < 1f)) {
            throw new IllegalArgumentException("Momentum: momentum must be in [0, 1), got " + momentum);
        }
        if (params == null || params.isEmpty()) {
            throw new IllegalArgumentException("Momentum: no parameters to optimize");
        }
        this.momentum = momentum;
        this.nesterov = nesterov;
        this.params = Collections.unmodifiableMap(new LinkedHashMap<>(params));
        try {
            for (Map.Entry<String, Tensor> e : this.params.entrySet()) {
                Tensor p = e.getValue();
                Ops.checkOpen("Momentum: parameter '" + e.getKey() + "'", p);
                acc.put(e.getKey(), TensorScope.detach(Ops.zeros(p.backend(), p.shape())));
            }
        } catch (RuntimeException ex) {
            close();
            throw ex;
        }
    }

    public float momentum() {
        return momentum;
    }

    public boolean nesterov() {
        return nesterov;
    }

    /** One update of every parameter, in one backend call ({@link Ops#momentumUpdate}); see {@link Optimizer}. */
    @Override
    public void step(Map<String, Tensor> grads, float learningRate, Tensor gradScale) {
        if (closed) {
            throw new IllegalStateException("Momentum.step: the optimizer is closed");
        }
        if (!(learningRate >= 0f && Float.isFinite(learningRate))) {
            throw new IllegalArgumentException("Momentum.step: learning rate must be >= 0 and finite, got " + learningRate);
        }
        Tensor[] g = Gradients.inParameterOrder("Momentum.step", params, grads);
        try (TensorScope s = TensorScope.open()) {
            Tensor scale = Gradients.scaleOrOne(gradScale, g[0]);
            Ops.momentumUpdate(params.values().toArray(Tensor[]::new), acc.values().toArray(Tensor[]::new), g, scale,
                    learningRate, momentum, nesterov);
        }
    }

    @Override
    public Map<String, Tensor> slots() {
        if (closed) {
            throw new IllegalStateException("Momentum.slots: the optimizer is closed");
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String name : params.keySet()) {
            out.put(name + ".momentum", acc.get(name));
        }
        return Collections.unmodifiableMap(out);
    }

    @Override
    public void close() {
        closed = true;
        for (Tensor t : acc.values()) {
            t.close();
        }
        acc.clear();
    }
}
