package org.inceptionj.conformance.reference;

import org.inceptionj.api.ReduceOp;
import org.inceptionj.api.Shape;

/** Reference of {@code reduce}: SUM, MEAN and MAX over a set of axes, in double precision. */
public final class ReduceReference {
    private ReduceReference() {
    }

    /**
     * out[j] = Σ, mean or max of x[i] over every i whose index equals j's on the kept axes.
     * The result has x's rank with each reduced axis set to 1 (keepdims), or, without
     * {@code keepDims}, the reduced axes removed. MEAN divides by the product of the reduced
     * dimensions; MAX starts from −∞.
     */
    public static DTensor reduce(ReduceOp op, DTensor x, boolean[] reduceAxis, boolean keepDims) {
        Shape xs = x.shape();
        int rank = xs.rank();
        int[] keptDims = new int[rank];
        long count = 1;
        for (int a = 0; a < rank; a++) {
            keptDims[a] = reduceAxis[a] ? 1 : xs.dim(a);
            if (reduceAxis[a]) {
                count *= xs.dim(a);
            }
        }
        DTensor out = DTensor.full(Shape.of(keptDims), op == ReduceOp.MAX ? Double.NEGATIVE_INFINITY : 0.0);
        for (int flat = 0; flat < x.size(); flat++) {
            int[] idx = DTensor.unravel(xs, flat);
            for (int a = 0; a < rank; a++) {
                if (reduceAxis[a]) {
                    idx[a] = 0;
                }
            }
            int o = out.offset(idx);
            double v = x.data()[flat];
            out.data()[o] = op == ReduceOp.MAX ? Math.max(out.data()[o], v) : out.data()[o] + v;
        }
        if (op == ReduceOp.MEAN) {
            for (int i = 0; i < out.size(); i++) {
                out.data()[i] /= count;
            }
        }
        return keepDims ? out : out.reshape(dropReduced(xs, reduceAxis));
    }

    /** x's shape without the reduced axes. */
    public static Shape dropReduced(Shape xs, boolean[] reduceAxis) {
        int kept = 0;
        for (boolean r : reduceAxis) {
            kept += r ? 0 : 1;
        }
        int[] d = new int[kept];
        for (int a = 0, j = 0; a < xs.rank(); a++) {
            if (!reduceAxis[a]) {
                d[j++] = xs.dim(a);
            }
        }
        return Shape.of(d);
    }

    /** The number of elements that each output of the reduction combines. */
    public static int reducedCount(Shape xs, boolean[] reduceAxis) {
        int n = 1;
        for (int a = 0; a < xs.rank(); a++) {
            if (reduceAxis[a]) {
                n *= xs.dim(a);
            }
        }
        return n;
    }
}
