package org.inceptionj.inception.train;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.inceptionj.api.Backend;
import org.inceptionj.api.BinaryOp;
import org.inceptionj.api.Ops;
import org.inceptionj.api.ReduceOp;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;

/**
 * Gradient clipping by norm (paper §8: "gradient clipping with threshold 2.0 was found to be useful
 * to stabilize the training", citing Pascanu et al. 2013). The paper does not say which form
 * (spec §11.1), so both are here:
 *
 * <ul>
 *   <li>{@link Mode#GLOBAL_NORM} — Pascanu's form, TF's {@code clip_by_global_norm}: with
 *       ‖g‖ = √(Σ_tensors Σ g²) over <b>all</b> gradients, every gradient is scaled by
 *       min(1, c / ‖g‖); the direction of the whole update is kept.</li>
 *   <li>{@link Mode#PER_TENSOR} — what TF-slim's {@code create_train_op(clip_gradient_norm=c)} does
 *       ({@code clip_gradient_norms} → {@code clip_by_norm} on each tensor): each gradient g_i is
 *       scaled by min(1, c / ‖g_i‖) on its own.</li>
 * </ul>
 * The norms and the factors min(1, c/‖g‖) are computed on the backend ({@link #squaredNorms},
 * {@link #factors}): a training step hands the factors to the optimizer, which multiplies each
 * gradient by its factor inside its one fused update, and nothing is read back to the host. Below
 * the threshold the factor is exactly 1 and the gradients' bits are unchanged. The methods that
 * return norms as numbers ({@link #clip}, {@link #globalNorm}, ...) read one tensor each.
 */
public final class GradientClipping {

    /** Which norm the threshold applies to. */
    public enum Mode {
        /** No clipping (the reference training scripts, spec §11.1). */
        NONE,
        /** One norm over all gradients (Pascanu et al.; TF {@code clip_by_global_norm}). */
        GLOBAL_NORM,
        /** Each gradient tensor against its own norm (TF-slim {@code clip_gradient_norms}). */
        PER_TENSOR
    }

    /** Paper §8. */
    public static final float PAPER_THRESHOLD = 2.0f;

    private GradientClipping() {
    }

    /**
     * The squared norms ‖g_i‖² = Σ g_i², one per gradient, as a [T] tensor: one backend call
     * ({@link Ops#sumOfSquares}), nothing read.
     */
    public static Tensor squaredNorms(Collection<Tensor> grads) {
        if (grads == null || grads.isEmpty()) {
            throw new IllegalArgumentException("GradientClipping: no gradients");
        }
        return Ops.sumOfSquares(grads.toArray(Tensor[]::new));
    }

    /**
     * The factors that clip, from {@link #squaredNorms} s [T], computed on the backend, nothing read:
     * <ul>
     *   <li>{@link Mode#GLOBAL_NORM}: [1] min(1, c/√Σ s_i);</li>
     *   <li>{@link Mode#PER_TENSOR}: [T] min(1, c/√s_i);</li>
     *   <li>{@link Mode#NONE}: [1] 1.</li>
     * </ul>
     * A zero norm gives c/0 = ∞, clipped to 1; a NaN norm gives NaN (the optimizers then skip the step).
     */
    public static Tensor factors(Mode mode, Tensor squaredNorms, double clipNorm) {
        if (mode == null || squaredNorms == null) {
            throw new IllegalArgumentException("GradientClipping.factors: " + (mode == null ? "mode" : "squared norms")
                    + " must not be null (use Mode.NONE for no clipping)");
        }
        Backend b = squaredNorms.backend();
        if (mode == Mode.NONE) {
            return Ops.full(b, Shape.of(1), 1f);
        }
        checkThreshold(clipNorm);
        try (TensorScope s = TensorScope.open()) {
            Tensor norms = Ops.sqrt(mode == Mode.GLOBAL_NORM
                    ? Ops.reduce(ReduceOp.SUM, squaredNorms, true, 0) : squaredNorms);
            Tensor f = Ops.div(Ops.full(b, Shape.of(1), (float) clipNorm), norms);   // c/‖g‖
            b.clip(f, f, Float.NEGATIVE_INFINITY, 1f);                           // min(1, ·)
            return s.keep(f);
        }
    }

    /** g_i ← f_i·g_i with f [1] (one factor for all) or [T] (one each): a broadcast multiply per gradient. */
    public static void scale(List<Tensor> grads, Tensor factors) {
        try (TensorScope s = TensorScope.open()) {
            for (int i = 0; i < grads.size(); i++) {
                Tensor g = grads.get(i);
                Tensor f = factors.size() == 1 ? factors : Ops.slice(factors, 0, i, 1);
                g.backend().binary(BinaryOp.MUL, g, g, f);
            }
        }
    }

    /** ‖g‖₂ of one tensor (one read). */
    public static double norm(Tensor g) {
        return globalNorm(List.of(g));
    }

    /** √(Σ ‖g_i‖²) over all tensors (one read). */
    public static double globalNorm(Collection<Tensor> grads) {
        try (TensorScope s = TensorScope.open()) {
            return Math.sqrt(Ops.sum(squaredNorms(grads)).item());
        }
    }

    /**
     * Scales every gradient by min(1, c/‖g‖) with ‖g‖ the global norm; returns ‖g‖ before clipping
     * (one read). Mutates the gradients (their bits change only when ‖g‖ &gt; c).
     */
    public static double clipByGlobalNorm(Collection<Tensor> grads, double clipNorm) {
        checkThreshold(clipNorm);
        try (TensorScope s = TensorScope.open()) {
            Tensor sq = squaredNorms(grads);
            scale(List.copyOf(grads), factors(Mode.GLOBAL_NORM, sq, clipNorm));
            return Math.sqrt(Ops.sum(sq).item());
        }
    }

    /**
     * Scales each gradient g_i by min(1, c/‖g_i‖); returns each ‖g_i‖ before clipping, by name (one
     * read). Mutates the gradients whose norm exceeds c.
     */
    public static Map<String, Double> clipByNorm(Map<String, Tensor> grads, double clipNorm) {
        checkThreshold(clipNorm);
        try (TensorScope s = TensorScope.open()) {
            Tensor sq = squaredNorms(grads.values());
            scale(List.copyOf(grads.values()), factors(Mode.PER_TENSOR, sq, clipNorm));
            float[] squared = sq.toArray();
            Map<String, Double> norms = new LinkedHashMap<>();
            int i = 0;
            for (String name : grads.keySet()) {
                norms.put(name, Math.sqrt(squared[i++]));
            }
            return norms;
        }
    }

    /**
     * Clips in the given mode and returns the global norm before clipping (also for
     * {@link Mode#NONE} and {@link Mode#PER_TENSOR}, so a trainer logs one number in every mode).
     * One read.
     */
    public static double clip(Mode mode, Map<String, Tensor> grads, double clipNorm) {
        if (mode == null || grads == null) {
            throw new IllegalArgumentException("GradientClipping.clip: " + (mode == null ? "mode" : "gradients")
                    + " must not be null (use Mode.NONE for no clipping)");
        }
        try (TensorScope s = TensorScope.open()) {
            Tensor sq = squaredNorms(grads.values());
            if (mode != Mode.NONE) {
                scale(List.copyOf(grads.values()), factors(mode, sq, clipNorm));
            }
            return Math.sqrt(Ops.sum(sq).item());
        }
    }

    private static void checkThreshold(double clipNorm) {
        if (!(clipNorm > 0 && Double.isFinite(clipNorm))) {
            throw new IllegalArgumentException("GradientClipping: threshold must be > 0 and finite, got " + clipNorm);
        }
    }
}
