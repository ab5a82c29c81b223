package org.inceptionj.api.autograd;

import org.inceptionj.api.Ops;
import org.inceptionj.api.ReduceOp;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;

/**
 * Means. Global average pool y[n,c] = (1/HW)·Σ x[n,c,h,w]; backward dx[n,c,h,w] = dy[n,c]/HW,
 * broadcast over the plane. Mean of all elements: dx = dy/size everywhere.
 */
final class MeanFn {
    private MeanFn() {
    }

    static Tensor globalAvgPool(Tape tape, Tensor x) {
        Tensor y = Ops.globalAvgPool(x);
        if (tape.needsGrad(x)) {
            Shape xs = x.shape();
            float inv = 1f / (xs.dim(2) * xs.dim(3));
            tape.record("globalAvgPool", new Tensor[] {x}, y, dy -> new Tensor[] {spread(dy, xs, inv)});
        }
        return y;
    }

    static Tensor all(Tape tape, Tensor x) {
        Tensor y = Ops.reduce(ReduceOp.MEAN, x, false);
        if (tape.needsGrad(x)) {
            Shape xs = x.shape();
            float inv = 1f / xs.size();
            tape.record("mean", new Tensor[] {x}, y, dy -> new Tensor[] {spread(dy, xs, inv)});
        }
        return y;
    }

    /** zeros(xs) + scale·dy, dy broadcasting over the reduced axes. */
    private static Tensor spread(Tensor dy, Shape xs, float scale) {
        Tensor zeros = Ops.zeros(dy.backend(), xs);
        int[] keep = new int[xs.rank()];
        for (int i = 0; i < keep.length; i++) {
            keep[i] = 1;
        }
        // dy has the keepdims layout of the reduction (or fewer axes of size 1): view it as such.
        Shape kd = dy.size() == 1 ? Shape.of(keep) : Shape.of(xs.dim(0), xs.dim(1), 1, 1);
        return Ops.add(zeros, Ops.scale(Ops.reshape(dy, kd), scale));
    }
}
