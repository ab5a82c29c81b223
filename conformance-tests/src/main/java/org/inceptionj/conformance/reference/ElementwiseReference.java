package org.inceptionj.conformance.reference;

import org.inceptionj.api.BinaryOp;
import org.inceptionj.api.Shape;
import org.inceptionj.api.UnaryOp;

/**
 * References of {@code unary}, {@code binary} (with NumPy broadcasting), {@code affine} and
 * {@code clip}: the formulas of {@link org.inceptionj.api.Backend}, in double precision.
 */
public final class ElementwiseReference {
    private ElementwiseReference() {
    }

    /** y = f(x) for one value. */
    public static double unary(UnaryOp op, double x) {
        return switch (op) {
            case NEG -> -x;
            case ABS -> Math.abs(x);
            case SQRT -> Math.sqrt(x);          // NaN for x < 0
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);            // −∞ at 0, NaN for x < 0
            case RELU -> Math.max(x, 0.0);
            case SQUARE -> x * x;
            case RECIPROCAL -> 1.0 / x;
        };
    }

    /** out[i] = f(x[i]). */
    public static DTensor unary(UnaryOp op, DTensor x) {
        double[] out = new double[x.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = unary(op, x.data()[i]);
        }
        return new DTensor(x.shape(), out);
    }

    /** z = f(a, b) for one pair. */
    public static double binary(BinaryOp op, double a, double b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
        };
    }

    /**
     * The NumPy broadcast of two shapes: align at the right, pad the shorter with leading 1s;
     * each pair of dimensions must be equal or contain a 1, and the result takes the other one.
     *
     * @return the broadcast shape, or null if the shapes do not broadcast
     */
    public static Shape broadcastShape(Shape a, Shape b) {
        int rank = Math.max(a.rank(), b.rank());
        int[] dims = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = dimAligned(a, i, rank), db = dimAligned(b, i, rank);
            if (da != db && da != 1 && db != 1) {
                return null;
            }
            dims[i] = da == 1 ? db : da;
        }
        return Shape.of(dims);
    }

    /** Dimension i of s after left-padding s with 1s to {@code rank}. */
    private static int dimAligned(Shape s, int i, int rank) {
        int j = i - (rank - s.rank());
        return j < 0 ? 1 : s.dim(j);
    }

    /**
     * z[idx] = f(a[idx broadcast to a], b[idx broadcast to b]), where broadcasting an index to an
     * operand drops its extra leading axes and sets the index to 0 on axes where the operand has
     * size 1.
     */
    public static DTensor binary(BinaryOp op, DTensor a, DTensor b) {
        Shape outShape = broadcastShape(a.shape(), b.shape());
        if (outShape == null) {
            throw new IllegalArgumentException("reference binary: " + a.shape() + " and " + b.shape()
                    + " do not broadcast");
        }
        DTensor out = DTensor.zeros(outShape);
        for (int flat = 0; flat < out.size(); flat++) {
            int[] idx = DTensor.unravel(outShape, flat);
            out.data()[flat] = binary(op, a.get(broadcastIndex(idx, a.shape())), b.get(broadcastIndex(idx, b.shape())));
        }
        return out;
    }

    private static int[] broadcastIndex(int[] outIndex, Shape operand) {
        int lead = outIndex.length - operand.rank();
        int[] idx = new int[operand.rank()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = operand.dim(i) == 1 ? 0 : outIndex[lead + i];
        }
        return idx;
    }

    /** out = alpha·x + beta. */
    public static DTensor affine(DTensor x, double alpha, double beta) {
        double[] out = new double[x.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = alpha * x.data()[i] + beta;
        }
        return new DTensor(x.shape(), out);
    }

    /** out = min(max(x, lo), hi), in that order (so lo &gt; hi gives hi everywhere). */
    public static DTensor clip(DTensor x, double lo, double hi) {
        double[] out = new double[x.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = Math.min(Math.max(x.data()[i], lo), hi);
        }
        return new DTensor(x.shape(), out);
    }
}
