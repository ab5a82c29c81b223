package org.inceptionj.conformance;

import java.util.List;

import org.inceptionj.api.BinaryOp;
import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.RandomStream;
import org.inceptionj.api.ReduceOp;
import org.inceptionj.api.Shape;
import org.inceptionj.api.UnaryOp;

/**
 * The inputs of one property try, as plain records: what jqwik generates (see {@link Generators}),
 * prints when a try fails, and shrinks. Tensor values are not stored; they follow from
 * {@code (values, seed)} through {@link Values}, so a printed case reproduces exactly:
 * pass it to the property method of {@link BackendConformance} by hand.
 */
public final class Cases {
    private Cases() {
    }

    /** out = f(x). */
    public record Unary(UnaryOp op, Shape shape, Values.Kind values, long seed) {
    }

    /** out = f(a, b) with broadcasting; a and b need not have the same rank. */
    public record Binary(BinaryOp op, Shape a, Shape b, Values.Kind values, long seed) {
    }

    /** out = alpha·x + beta. */
    public record Affine(Shape shape, float alpha, float beta, Values.Kind values, long seed) {
    }

    /** out = min(max(x, lo), hi). */
    public record Clip(Shape shape, float lo, float hi, Values.Kind values, long seed) {
    }

    /** A reduction over {@code axes} as given to {@link org.inceptionj.api.Ops#reduce} (negative allowed, empty = all). */
    public record Reduce(ReduceOp op, Shape shape, List<Integer> axes, boolean keepDims, Values.Kind values,
                         long seed) {
    }

    /** Concatenation of parts along {@code axis} (negative allowed). */
    public record Concat(List<Shape> parts, int axis, Values.Kind values, long seed) {
    }

    /** x[..., start : start + length, ...] along {@code axis}. */
    public record Slice(Shape shape, int axis, int start, int length, Values.Kind values, long seed) {
    }

    /** A copy of x under shape {@code to} (same element count). */
    public record Copy(Shape from, Shape to, Values.Kind values, long seed) {
    }

    /** out[m,n] = op(a)·op(b) with inner dimension k. */
    public record MatMul(int m, int k, int n, boolean transA, boolean transB, Values.Kind values, long seed) {
        public Shape aShape() {
            return transA ? Shape.of(k, m) : Shape.of(m, k);
        }

        public Shape bShape() {
            return transB ? Shape.of(n, k) : Shape.of(k, n);
        }
    }

    /** conv2d of x [N,Cin,H,W] with w [Cout,Cin,kh,kw] and, if {@code bias}, a bias [Cout]. */
    public record Conv2d(Shape x, Shape w, boolean bias, Conv2dSpec spec, Values.Kind values, long seed) {
    }

    /** A max or average pool of x [N,C,H,W]. */
    public record Pool(Shape x, Pool2dSpec spec, Values.Kind values, long seed) {
    }

    /** Batch norm of x [N,C,...] (values from {@link Values#channels}). */
    public record BatchNorm(Shape x, float eps, float momentum, long seed) {
    }

    /** Softmax or log-softmax along {@code axis} (negative allowed). */
    public record Softmax(Shape shape, int axis, boolean log, Values.Kind values, long seed) {
    }

    /** out[i] = value. */
    public record Fill(Shape shape, float value) {
    }

    /** A seeded random fill with parameters (a, b). */
    public record RandomFill(Shape shape, RandomStream.Distribution distribution, long seed, float a, float b) {
    }

    /** Inverted dropout with drop probability p; {@code seed} seeds both x and the mask. */
    public record Dropout(Shape shape, float p, Values.Kind values, long seed) {
    }

    /** How an optimizer primitive's gradient scale is drawn (see {@link org.inceptionj.api.Backend#momentumUpdate}). */
    public enum GradScale {
        /** [1] = 1: no clipping. */
        ONE,
        /** [1] in (0, 1]: a global-norm clip factor. */
        GLOBAL,
        /** [T] in (0, 1]: per-tensor clip factors. */
        PER_TENSOR,
        /** one element NaN or ±∞: the step is skipped and nothing is written. */
        NOT_FINITE
    }

    /** out[i] = Σ x_i² over a list of tensors; with {@code repeat} the first tensor is passed again at the end. */
    public record SumOfSquares(List<Shape> shapes, boolean repeat, Values.Kind values, long seed) {
    }

    /** y[i] ← y[i] + α·x[i]; with {@code inPlace} x[i] is y[i] itself. */
    public record Axpy(List<Shape> shapes, float alpha, boolean inPlace, Values.Kind values, long seed) {
    }

    /** One SGD-with-momentum update of a list of parameters. */
    public record MomentumUpdate(List<Shape> shapes, float lr, float mu, boolean nesterov, GradScale scale,
                                 Values.Kind values, long seed) {
    }

    /** One RMSProp update of a list of parameters (ms drawn non-negative). */
    public record RmsPropUpdate(List<Shape> shapes, float lr, float rho, float mu, float eps, GradScale scale,
                                Values.Kind values, long seed) {
    }

    /** One Adam update of a list of parameters after {@code t} earlier steps (powers β^t; v drawn non-negative). */
    public record AdamUpdate(List<Shape> shapes, float lr, float beta1, float beta2, float eps, int t, GradScale scale,
                             Values.Kind values, long seed) {
    }

    /** One parameter-average update; with {@code skip} the gate is NaN and nothing may change. */
    public record EmaUpdate(List<Shape> shapes, float decay, boolean skip, Values.Kind values, long seed) {
    }
}
