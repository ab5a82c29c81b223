package org.inceptionj.inception.train;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import org.inceptionj.api.Ops;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;

/**
 * RMSProp with momentum as TensorFlow 1 implements it ({@code tf.train.RMSPropOptimizer}, kernel
 * {@code ApplyRMSProp}), the optimizer of the paper's best models (§8: "RMSProp with decay of 0.9 and
 * ε = 1.0"; the reference scripts add momentum 0.9, spec §11.1). For each parameter θ with gradient g
 * and learning rate lr, per element:
 *
 * <pre>
 *   ms  ← ρ·ms + (1 − ρ)·g²
 *   mom ← μ·mom + lr·g / √(ms + ε)
 *   θ   ← θ − mom
 * </pre>
 *
 * Mutates θ and the two slots in place, all parameters in one backend call. Slot initialization is TF1's: {@code rms} (ms) starts at
 * <b>ones</b> ({@code init_ops.ones_initializer} in {@code rmsprop.py}'s {@code _create_slots}),
 * {@code momentum} at zeros. With ones the first steps are damped (ms ≈ 0.9 + 0.1·g²), where a
 * zero start would divide the first gradient by √(0.1·g² + ε).
 *
 * <p>How PyTorch's {@code torch.optim.RMSprop(lr, alpha, eps, momentum)} differs: alpha is ρ; the
 * square average starts at <b>zeros</b>; ε is added <b>outside</b> the root,
 * buf ← μ·buf + g/(√v + ε), and lr multiplies the buffer when it is applied (θ ← θ − lr·buf), so a
 * changing lr acts at once instead of through the momentum. Keras' {@code RMSprop} also starts at
 * zeros. Reproducing the paper's ε = 1.0 with either changes the effective step size noticeably,
 * which is why this class follows TF1 exactly.
 *
 * <p>Slots are owned by the optimizer (freed by {@link #close()}) and named after their parameter,
 * {@code <param>.rms} and {@code <param>.momentum}, so a checkpoint can store them by name.
 */
public final class RMSProp implements Optimizer {
    /** Paper §8 / TF-slim {@code rmsprop_decay}. */
    public static final float DEFAULT_DECAY = 0.9f;
    /** TF-slim {@code rmsprop_momentum} and inception_train.py {@code RMSPROP_MOMENTUM}. */
    public static final float DEFAULT_MOMENTUM = 0.9f;
    /** Paper §8 "ε = 1.0"; TF-slim {@code opt_epsilon}. */
    public static final float DEFAULT_EPSILON = 1.0f;

    private final float decay;
    private final float momentum;
    private final float epsilon;
    private final Map<String, Tensor> params;
    private final Map<String, Tensor> rms = new LinkedHashMap<>();
    private final Map<String, Tensor> mom = new LinkedHashMap<>();
    private boolean closed;

    /** The paper's settings: ρ 0.9, μ 0.9, ε 1.0. */
    public RMSProp(Map<String, Tensor> params) {
        this(params, DEFAULT_DECAY, DEFAULT_MOMENTUM, DEFAULT_EPSILON);
    }

    /**
     * Allocates the slots for {@code params} (name → tensor) now, so memory is constant from the
     * first step on.
     *
     * @param decay    ρ in [0, 1)
     * @param momentum μ in [0, 1)
     * @param epsilon  ε &gt; 0 and finite (inside the root; with ε = 0 a parameter whose gradient
     *                 stays 0 would reach 0/0)
     */
    public RMSProp(Map<String, Tensor> params, float decay, float momentum, float epsilon) {
        if (!(decay >= 0f && decay < 1f)) {
            throw new IllegalArgumentException("RMSProp: decay must be in [0, 1), got " + decay);
        }
        if (!(momentum >= 0f && momentum < 1f)) {
            throw new IllegalArgumentException("RMSProp: momentum must be in [0, 1), got " + momentum);
        }
        if (!(epsilon > 0f && Float.isFinite(epsilon))) {
            throw new IllegalArgumentException("RMSProp: epsilon must be > 0 and finite, got " + epsilon);
        }
        if (params == null || params.isEmpty()) {
            throw new IllegalArgumentException("RMSProp: no parameters to optimize");
        }
        this.decay = decay;
        this.momentum = momentum;
        this.epsilon = epsilon;
        this.params = Collections.unmodifiableMap(new LinkedHashMap<>(params));
        try {
            for (Map.Entry<String, Tensor> e : this.params.entrySet()) {
                Tensor p = e.getValue();
                Ops.checkOpen("RMSProp: parameter '" + e.getKey() + "'", p);
                // Slots outlive every step scope: the optimizer owns them.
                rms.put(e.getKey(), TensorScope.detach(Ops.full(p.backend(), p.shape(), 1f)));
                mom.put(e.getKey(), TensorScope.detach(Ops.zeros(p.backend(), p.shape())));
            }
        } catch (RuntimeException ex) {
            close();
            throw ex;
        }
    }

    public float decay() {
        return decay;
    }

    public float momentum() {
        return momentum;
    }

    public float epsilon() {
        return epsilon;
    }

    /**
     * One update of every parameter with its gradient ({@code grads}: parameter name → gradient of the
     * same shape; every parameter must have one), each gradient multiplied by {@code gradScale} first
     * ({@link Optimizer#step(Map, float, Tensor)}). Mutates the parameters and the slots, in one
     * backend call ({@link Ops#rmsPropUpdate}).
     *
     * @param learningRate lr ≥ 0, finite
     */
    @Override
    public void step(Map<String, Tensor> grads, float learningRate, Tensor gradScale) {
        checkOpen("step");
        if (!(learningRate >= 0f && Float.isFinite(learningRate))) {
            throw new IllegalArgumentException("RMSProp.step: learning rate must be >= 0 and finite, got " + learningRate);
        }
        Tensor[] g = Gradients.inParameterOrder("RMSProp.step", params, grads);
        try (TensorScope s = TensorScope.open()) {
            Tensor scale = Gradients.scaleOrOne(gradScale, g[0]);
            Ops.rmsPropUpdate(params.values().toArray(Tensor[]::new), rms.values().toArray(Tensor[]::new),
                    mom.values().toArray(Tensor[]::new), g, scale, learningRate, decay, momentum, epsilon);
        }
    }

    /**
     * The slots by name, {@code <param>.rms} and {@code <param>.momentum}, in parameter order
     * (read-only view of tensors the optimizer owns: read or overwrite them, do not close them).
     */
    @Override
    public Map<String, Tensor> slots() {
        checkOpen("slots");
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String name : params.keySet()) {
            out.put(name + ".rms", rms.get(name));
            out.put(name + ".momentum", mom.get(name));
        }
        return Collections.unmodifiableMap(out);
    }

    private void checkOpen(String what) {
        if (closed) {
            throw new IllegalStateException("RMSProp." + what + ": the optimizer is closed");
        }
    }

    /** Frees the slots. Idempotent. */
    @Override
    public void close() {
        closed = true;
        for (Tensor t : rms.values()) {
            t.close();
        }
        for (Tensor t : mom.values()) {
            t.close();
        }
        rms.clear();
        mom.clear();
    }
}
