package org.inceptionj.inception.train;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;

/**
 * Adam (Kingma &amp; Ba, 2015) as TensorFlow 1 implements it ({@code tf.train.AdamOptimizer}, kernel
 * {@code ApplyAdam}); not in the paper, offered because it adapts each weight's step to its gradient's
 * scale, which makes short runs less sensitive to the learning rate. For each parameter θ with
 * gradient g, step t = 1, 2, …:
 *
 * <pre>
 *   m  ← β₁·m + (1 − β₁)·g
 *   v  ← β₂·v + (1 − β₂)·g²
 *   αₜ = lr · √(1 − β₂ᵗ) / (1 − β₁ᵗ)
 *   θ  ← θ − αₜ · m / (√v + ε̂)
 * </pre>
 *
 * ε̂ is TF's "epsilon hat" (added after the bias correction of the rate), which is what PyTorch's
 * {@code Adam(eps=ε)} approximates; weight decay, when the recipe has any, is the L2 term added to g
 * before (Adam with L2, not AdamW's decoupled decay). Slots: {@code <param>.m}, {@code <param>.v}, and
 * the running powers β₁ᵗ and β₂ᵗ as one-element tensors {@code adam.beta1_power} and
 * {@code adam.beta2_power} (TF keeps them as two non-slot variables), so a checkpoint resumes exactly.
 */
public final class Adam implements Optimizer {
    /** Kingma &amp; Ba's defaults. */
    public static final float DEFAULT_BETA1 = 0.9f, DEFAULT_BETA2 = 0.999f, DEFAULT_EPSILON = 1e-8f;

    private final float beta1;
    private final float beta2;
    private final float epsilon;
    private final Map<String, Tensor> params;
    private final Map<String, Tensor> m = new LinkedHashMap<>();
    private final Map<String, Tensor> v = new LinkedHashMap<>();
    private Tensor beta1Power;
    private Tensor beta2Power;
    private boolean closed;

    /**
     * @param beta1   β₁ in [0, 1)
     * @param beta2   β₂ in [0, 1)
     * @param epsilon ε̂ &gt; 0 and finite
     */
    public Adam(Map<String, Tensor> params, float beta1, float beta2, float epsilon) {
        if (!(beta1 >= 0f && beta1 < 1f) || !(beta2 >= 0f && beta2 < 1f)) {
            throw new IllegalArgumentException("Adam: beta1 and beta2 must be in [0, 1), got " + beta1 + " and " + beta2);
        }
        if (!(epsilon > 0f && Float.isFinite(epsilon))) {
            throw new IllegalArgumentException("Adam: epsilon must be > 0 and finite, got " + epsilon);
        }
        if (params == null || params.isEmpty()) {
            throw new IllegalArgumentException("Adam: no parameters to optimize");
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        this.params = Collections.unmodifiableMap(new LinkedHashMap<>(params));
        try {
            Backend b = null;
            for (Map.Entry<String, Tensor> e : this.params.entrySet()) {
                Tensor p = e.getValue();
                Ops.checkOpen("Adam: parameter '" + e.getKey() + "'", p);
                b = p.backend();
                m.put(e.getKey(), TensorScope.detach(Ops.zeros(b, p.shape())));
                v.put(e.getKey(), TensorScope.detach(Ops.zeros(b, p.shape())));
            }
            // β^t before the first step is β^0 = 1; the step multiplies first (TF's _finish order differs, same αₜ).
            beta1Power = TensorScope.detach(Ops.full(b, Shape.of(1), 1f));
            beta2Power = TensorScope.detach(Ops.full(b, Shape.of(1), 1f));
        } catch (RuntimeException ex) {
            close();
            throw ex;
        }
    }

    /**
     * One update of every parameter and of the running powers, in one backend call
     * ({@link Ops#adamUpdate}: αₜ is computed there from the powers, so nothing is read back to the
     * host); see {@link Optimizer}.
     */
    @Override
    public void step(Map<String, Tensor> grads, float learningRate, Tensor gradScale) {
        if (closed) {
            throw new IllegalStateException("Adam.step: the optimizer is closed");
        }
        if (!(learningRate >= 0f && Float.isFinite(learningRate))) {
            throw new IllegalArgumentException("Adam.step: learning rate must be >= 0 and finite, got " + learningRate);
        }
        Tensor[] g = Gradients.inParameterOrder("Adam.step", params, grads);
        try (TensorScope s = TensorScope.open()) {
            Tensor scale = Gradients.scaleOrOne(gradScale, g[0]);
            Ops.adamUpdate(params.values().toArray(Tensor[]::new), m.values().toArray(Tensor[]::new),
                    v.values().toArray(Tensor[]::new), g, beta1Power, beta2Power, scale, learningRate, beta1, beta2,
                    epsilon);
        }
    }

    @Override
    public Map<String, Tensor> slots() {
        if (closed) {
            throw new IllegalStateException("Adam.slots: the optimizer is closed");
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String name : params.keySet()) {
            out.put(name + ".m", m.get(name));
            out.put(name + ".v", v.get(name));
        }
        out.put("adam.beta1_power", beta1Power);
        out.put("adam.beta2_power", beta2Power);
        return Collections.unmodifiableMap(out);
    }

    @Override
    public void close() {
        closed = true;
        for (Tensor t : m.values()) {
            t.close();
        }
        for (Tensor t : v.values()) {
            t.close();
        }
        m.clear();
        v.clear();
        if (beta1Power != null) {
            beta1Power.close();
        }
        if (beta2Power != null) {
            beta2Power.close();
        }
    }
}
