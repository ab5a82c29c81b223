package org.inceptionj.inception.train;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

import org.inceptionj.api.Ops;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.api.UnaryOp;

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
 * Gradients are scaled in place; norms are returned as measured <b>before</b> clipping, for logs.
 * A gradient within the threshold is not touched at all (its bits are unchanged). Norms are summed
 * in double from per-tensor float sums of squares.
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

    /** ‖g‖₂ of one tensor. */
    public static double norm(Tensor g) {
        return Math.sqrt(sumOfSquares(g));
    }

    /** √(Σ ‖g_i‖²) over all tensors. */
    public static double globalNorm(Collection<Tensor> grads) {
        double s = 0;
        for (Tensor g : grads) {
            s += sumOfSquares(g);
        }
        return Math.sqrt(s);
    }

    /**
     * Scales every gradient by min(1, c/‖g‖) with ‖g‖ the global norm; returns ‖g‖ before clipping.
     * Mutates the gradients (only when ‖g‖ &gt; c).
     */
    public static double clipByGlobalNorm(Collection<Tensor> grads, double clipNorm) {
        checkThreshold(clipNorm);
        double n = globalNorm(grads);
        if (n > clipNorm) {
            float f = (float) (clipNorm / n);
            for (Tensor g : grads) {
                g.backend().affine(g, g, f, 0f);
            }
        }
        return n;
    }

    /**
     * Scales each gradient g_i by min(1, c/‖g_i‖); returns each ‖g_i‖ before clipping, by name.
     * Mutates the gradients whose norm exceeds c.
     */
    public static Map<String, Double> clipByNorm(Map<String, Tensor> grads, double clipNorm) {
        checkThreshold(clipNorm);
        Map<String, Double> norms = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : grads.entrySet()) {
            Tensor g = e.getValue();
            double n = norm(g);
            if (n > clipNorm) {
                g.backend().affine(g, g, (float) (clipNorm / n), 0f);
            }
            norms.put(e.getKey(), n);
        }
        return norms;
    }

    /**
     * Clips in the given mode and returns the global norm before clipping (also for
     * {@link Mode#NONE} and {@link Mode#PER_TENSOR}, so a trainer logs one number in every mode).
     */
    public static double clip(Mode mode, Map<String, Tensor> grads, double clipNorm) {
        if (mode == null || grads == null) {
            throw new IllegalArgumentException("GradientClipping.clip: " + (mode == null ? "mode" : "gradients")
                    + " must not be null (use Mode.NONE for no clipping)");
        }
        return switch (mode) {
            case NONE -> globalNorm(grads.values());
            case GLOBAL_NORM -> clipByGlobalNorm(grads.values(), clipNorm);
            case PER_TENSOR -> {
                double s = 0;
                for (double n : clipByNorm(grads, clipNorm).values()) {
                    s += n * n;
                }
                yield Math.sqrt(s);
            }
        };
    }

    private static double sumOfSquares(Tensor g) {
        Ops.checkOpen("GradientClipping", g);
        try (TensorScope s = TensorScope.open()) {
            return Ops.sum(Ops.unary(UnaryOp.SQUARE, g)).item();
        }
    }

    private static void checkThreshold(double clipNorm) {
        if (!(clipNorm > 0 && Double.isFinite(clipNorm))) {
            throw new IllegalArgumentException("GradientClipping: threshold must be > 0 and finite, got " + clipNorm);
        }
    }
}
