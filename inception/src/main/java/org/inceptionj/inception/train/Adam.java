package org.inceptionj.inception.train;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import org.inceptionj.api.Backend;
import org.inceptionj.api.BinaryOp;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.api.UnaryOp;

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

    @Override
    public void step(Map<String, Tensor> grads, float learningRate) {
        if (closed) {
            throw new IllegalStateException("Adam.step: the optimizer is closed");
        }
        if (!(learningRate >= 0f && Float.isFinite(learningRate))) {
            throw new IllegalArgumentException("Adam.step: learning rate must be >= 0 and finite, got " + learningRate);
        }
        if (grads == null) {
            throw new IllegalArgumentException("Adam.step: gradients must not be null");
        }
        for (String name : params.keySet()) {
            Tensor g = grads.get(name);
            if (g == null) {
                throw new IllegalArgumentException("Adam.step: no gradient for parameter '" + name + "'");
            }
            if (!g.shape().equals(params.get(name).shape())) {
                throw new IllegalArgumentException("Adam.step: gradient of '" + name + "' has shape " + g.shape()
                        + ", the parameter " + params.get(name).shape());
            }
            Ops.checkOpen("Adam.step '" + name + "'", params.get(name), g);
        }
        // The powers live in tensors so that a checkpoint carries them; the rate is computed on the host
        // from two one-element reads per step.
        Backend b = beta1Power.backend();
        b.affine(beta1Power, beta1Power, beta1, 0f);
        b.affine(beta2Power, beta2Power, beta2, 0f);
        double p1 = beta1Power.item(), p2 = beta2Power.item();
        float alpha = (float) (learningRate * Math.sqrt(1 - p2) / (1 - p1));
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            update(e.getValue(), grads.get(e.getKey()), m.get(e.getKey()), v.get(e.getKey()), alpha);
        }
    }

    /** The ApplyAdam update of one parameter, in place, with one scratch tensor. */
    private void update(Tensor theta, Tensor g, Tensor mt, Tensor vt, float alpha) {
        Backend b = theta.backend();
        try (TensorScope s = TensorScope.open()) {
            Tensor t = b.allocate(g.shape());
            // m ← β₁·m + (1 − β₁)·g
            b.affine(mt, mt, beta1, 0f);
            b.affine(t, g, 1f - beta1, 0f);
            b.binary(BinaryOp.ADD, mt, mt, t);
            // v ← β₂·v + (1 − β₂)·g²
            b.unary(UnaryOp.SQUARE, t, g);
            b.affine(t, t, 1f - beta2, 0f);
            b.affine(vt, vt, beta2, 0f);
            b.binary(BinaryOp.ADD, vt, vt, t);
            // θ ← θ − αₜ·m / (√v + ε̂)
            b.unary(UnaryOp.SQRT, t, vt);
            b.affine(t, t, 1f, epsilon);
            b.binary(BinaryOp.DIV, t, mt, t);
            b.affine(t, t, alpha, 0f);
            b.binary(BinaryOp.SUB, theta, theta, t);
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
