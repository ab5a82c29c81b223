package org.inceptionj.conformance;

import org.inceptionj.api.BinaryOp;
import org.inceptionj.api.Shape;

/**
 * The inputs of the gradient suite's tries that {@link Cases} does not already describe, as plain
 * records (printed by jqwik on failure; values follow from the seed, so a case reproduces).
 */
public final class GradientCases {
    private GradientCases() {
    }

    /** A pointwise op (ReLU, affine, the means) on x of {@code shape}. */
    public record Pointwise(Shape shape, Values.Kind values, long seed) {
    }

    /** Label-smoothed cross-entropy of logits [n,k]; labels and the prior (if any) follow from the seed. */
    public record CrossEntropy(int n, int k, float epsilon, boolean prior, Values.Kind values, long seed) {
    }

    /** y = x·wᵀ + b with x [n,in], w [out,in]. */
    public record Linear(int n, int in, int out, boolean bias, Values.Kind values, long seed) {
    }

    /** add, sub or mul of a and b with broadcasting. */
    public record Binary(BinaryOp op, Shape a, Shape b, Values.Kind values, long seed) {
    }

    /** A whole network of {@link GradientComposites}; its parameters and data follow from the seed. */
    public record Composite(String network, long seed) {
    }
}
