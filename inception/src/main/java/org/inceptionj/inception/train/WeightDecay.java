package org.inceptionj.inception.train;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Ops;
import org.inceptionj.api.ReduceOp;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;

/**
 * L2 weight decay as TF-slim's {@code inception_v3_arg_scope(weight_decay=0.00004)} applies it:
 * {@code slim.l2_regularizer(wd)} on the weights of every {@code conv2d} and {@code fully_connected}
 * layer — <b>not</b> on batch-norm γ/β, not on biases (spec §11.1). Its loss term and gradient:
 *
 * <pre>
 *   L_wd = wd · Σ_w Σ w² / 2        ∂L_wd/∂w = wd · w
 * </pre>
 *
 * Selected by name and rank: a tensor named {@code *.weight} of rank ≥ 2 (conv weights
 * [Cout,Cin,kh,kw], fc weights [K,C]); BN γ ({@code bn.weight}, {@code fc_bn.weight}) is rank 1.
 *
 * <p>Why a gradient add and not a loss term on the tape: the gradient wd·w is known in closed form,
 * so recording Σw² for ~95 weight tensors would only add tape nodes, saved tensors and a backward
 * pass over them for the same result. {@link #addGradient} does g ← g + wd·w in place <b>before</b>
 * clipping, which is where TF puts it (the regularization loss is part of the total loss whose
 * gradient is clipped); {@link #lossOnBackend()} gives L_wd for the log (TF-slim's total loss
 * includes it) without reading it, so that a step reads all its scalars at once.
 */
public final class WeightDecay {
    /** TF-slim / inception_train.py default. */
    public static final float PAPER = 4e-5f;

    private final float rate;
    private final Map<String, Tensor> weights;
    private final Tensor[] weightArray;
    private final Backend backend;

    /**
     * @param rate      wd ≥ 0, finite (0 disables)
     * @param trainable the trainable parameters by name; the decayed ones are picked by {@link #applies}
     */
    public WeightDecay(float rate, Map<String, Tensor> trainable) {
        if (!(rate >= 0f && Float.isFinite(rate))) {
            throw new IllegalArgumentException("WeightDecay: rate must be >= 0 and finite, got " + rate);
        }
        this.rate = rate;
        Map<String, Tensor> w = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : trainable.entrySet()) {
            if (applies(e.getKey(), e.getValue())) {
                w.put(e.getKey(), e.getValue());
            }
        }
        this.weights = Collections.unmodifiableMap(w);
        this.weightArray = w.values().toArray(Tensor[]::new);
        this.backend = trainable.isEmpty() ? null : trainable.values().iterator().next().backend();
    }

    /** Conv and fc weights: name ends in {@code .weight} and rank ≥ 2 (BN γ and all biases are rank 1). */
    public static boolean applies(String name, Tensor t) {
        return name.endsWith(".weight") && t.shape().rank() >= 2;
    }

    public float rate() {
        return rate;
    }

    /** The decayed weights by name. */
    public Map<String, Tensor> weights() {
        return weights;
    }

    /** L_wd = wd · Σ w² / 2, read from {@link #lossOnBackend()} (one read). */
    public double loss() {
        if (rate == 0f || weights.isEmpty()) {
            return 0;
        }
        try (TensorScope scope = TensorScope.open()) {
            return lossOnBackend().item();
        }
    }

    /**
     * L_wd = wd · Σ w² / 2 as a one-element tensor [1], computed on the backend (a handful of calls,
     * nothing read): what a training step logs, read with its other scalars. Zero when wd is 0 or
     * nothing is decayed.
     */
    public Tensor lossOnBackend() {
        if (rate == 0f || weights.isEmpty()) {
            return Ops.zeros(backend, Shape.of(1));
        }
        try (TensorScope scope = TensorScope.open()) {
            Tensor sumOfSquares = Ops.reduce(ReduceOp.SUM, Ops.sumOfSquares(weightArray), true, 0);
            return scope.keep(Ops.affine(sumOfSquares, rate / 2, 0f));
        }
    }

    /**
     * g ← g + wd·w for every decayed weight, in one backend call ({@link Ops#axpy}); {@code grads} by
     * parameter name must hold each of them. Mutates grads.
     */
    public void addGradient(Map<String, Tensor> grads) {
        if (rate == 0f || weights.isEmpty()) {
            return;
        }
        Tensor[] g = new Tensor[weightArray.length];
        int i = 0;
        for (Map.Entry<String, Tensor> e : weights.entrySet()) {
            Tensor gi = grads.get(e.getKey());
            if (gi == null) {
                throw new IllegalArgumentException("WeightDecay.addGradient: no gradient for '" + e.getKey() + "'");
            }
            if (!gi.shape().equals(e.getValue().shape())) {
                throw new IllegalArgumentException("WeightDecay.addGradient: gradient of '" + e.getKey() + "' is "
                        + gi.shape() + ", the weight " + e.getValue().shape());
            }
            g[i++] = gi;
        }
        Ops.axpy(g, rate, weightArray);
    }
}
