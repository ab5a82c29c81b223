package org.inceptionj.conformance.reference;

import org.inceptionj.api.BinaryOp;
import org.inceptionj.api.Shape;

/**
 * Gradients of the pointwise ops and of the reductions the tape differentiates, in double
 * precision: ReLU, dropout, add/sub/mul with NumPy broadcasting, affine, and the means.
 */
public final class ElementwiseBackwardReference {
    private ElementwiseBackwardReference() {
    }

    /** ReLU from its output y: dx = dy where y &gt; 0, else 0 (the derivative at 0 taken as 0). */
    public static DTensor relu(DTensor dy, DTensor y) {
        DTensor dx = DTensor.zeros(y.shape());
        for (int i = 0; i < dx.size(); i++) {
            dx.data()[i] = y.data()[i] > 0 ? dy.data()[i] : 0;
        }
        return dx;
    }

    /** Dropout y = x·mask: dx = dy·mask. */
    public static DTensor dropout(DTensor dy, DTensor mask) {
        DTensor dx = DTensor.zeros(dy.shape());
        for (int i = 0; i < dx.size(); i++) {
            dx.data()[i] = dy.data()[i] * mask.data()[i];
        }
        return dx;
    }

    /** affine y = α·x + β: dx = α·dy. */
    public static DTensor affine(DTensor dy, double alpha) {
        return ElementwiseReference.affine(dy, alpha, 0);
    }

    /**
     * z = a ± b or a·b with broadcasting: ∂z/∂a = 1 and ∂z/∂b = ±1, or ∂z/∂a = b and ∂z/∂b = a,
     * both taken at the broadcast position; each operand element then receives the sum over
     * every output element it was broadcast to. Returns {da, db}.
     */
    public static DTensor[] binary(BinaryOp op, DTensor a, DTensor b, DTensor dz) {
        DTensor da = DTensor.zeros(a.shape()), db = DTensor.zeros(b.shape());
        for (int flat = 0; flat < dz.size(); flat++) {
            int[] idx = DTensor.unravel(dz.shape(), flat);
            int ia = a.offset(broadcastIndex(idx, a.shape())), ib = b.offset(broadcastIndex(idx, b.shape()));
            double g = dz.data()[flat];
            switch (op) {
                case ADD -> {
                    da.data()[ia] += g;
                    db.data()[ib] += g;
                }
                case SUB -> {
                    da.data()[ia] += g;
                    db.data()[ib] -= g;
                }
                case MUL -> {
                    da.data()[ia] += g * b.data()[ib];
                    db.data()[ib] += g * a.data()[ia];
                }
                default -> throw new IllegalArgumentException("reference binary backward: " + op + " is not differentiated");
            }
        }
        return new DTensor[] {da, db};
    }

    /** The index of the operand element that output index {@code idx} reads under broadcasting. */
    private static int[] broadcastIndex(int[] idx, Shape operand) {
        int lead = idx.length - operand.rank();
        int[] o = new int[operand.rank()];
        for (int i = 0; i < o.length; i++) {
            o[i] = operand.dim(i) == 1 ? 0 : idx[lead + i];
        }
        return o;
    }

    /** Mean of all K elements: dx = dy/K everywhere (dy has one element). */
    public static DTensor mean(double dy, Shape xShape) {
        return DTensor.full(xShape, dy / xShape.size());
    }

    /** Global average pool [N,C,H,W] → [N,C,1,1]: dx[n,c,h,w] = dy[n,c]/(H·W). */
    public static DTensor globalAvgPool(DTensor dy, Shape xShape) {
        int plane = xShape.dim(2) * xShape.dim(3);
        DTensor dx = DTensor.zeros(xShape);
        for (int i = 0; i < dx.size(); i++) {
            dx.data()[i] = dy.data()[i / plane] / plane;
        }
        return dx;
    }
}
