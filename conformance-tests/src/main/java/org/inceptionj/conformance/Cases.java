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
}
