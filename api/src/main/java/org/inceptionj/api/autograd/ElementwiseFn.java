package org.inceptionj.api.autograd;

import org.inceptionj.api.BinaryOp;
import org.inceptionj.api.Ops;
import org.inceptionj.api.ReduceOp;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;

/**
 * Elementwise arithmetic with broadcasting. z = a ± b: da = dz, db = ±dz; z = a·b: da = dz·b,
 * db = dz·a; then each gradient is summed over the axes its input was broadcast along, back to
 * the input's shape. z = α·x + β: dx = α·dz.
 */
final class ElementwiseFn {
    private ElementwiseFn() {
    }

    static Tensor binary(Tape tape, BinaryOp op, Tensor a, Tensor b) {
        if (op != BinaryOp.ADD && op != BinaryOp.SUB && op != BinaryOp.MUL) {
            throw new IllegalArgumentException("tape: " + op + " is not differentiable here (add, sub, mul are)");
        }
        Tensor z = Ops.binary(op, a, b);
        if (tape.needsGrad(a, b)) {
            boolean ga = tape.wantsGrad(a), gb = tape.wantsGrad(b);
            Shape as = a.shape(), bs = b.shape();
            tape.record(op.name().toLowerCase(), new Tensor[] {a, b}, z, dz -> {
                Tensor da = null, db = null;
                switch (op) {
                    case ADD -> {
                        da = ga ? unbroadcast(dz, as) : null;
                        db = gb ? unbroadcast(dz, bs) : null;
                    }
                    case SUB -> {
                        da = ga ? unbroadcast(dz, as) : null;
                        db = gb ? unbroadcast(Ops.neg(dz), bs) : null;
                    }
                    default -> {
                        da = ga ? unbroadcast(Ops.mul(dz, b), as) : null;
                        db = gb ? unbroadcast(Ops.mul(dz, a), bs) : null;
                    }
                }
                return new Tensor[] {da, db};
            }, op == BinaryOp.MUL && gb ? a : null, op == BinaryOp.MUL && ga ? b : null);
        }
        return z;
    }

    static Tensor affine(Tape tape, Tensor x, float alpha, float beta) {
        Tensor y = Ops.affine(x, alpha, beta);
        if (tape.needsGrad(x)) {
            tape.record("affine", new Tensor[] {x}, y, dy -> new Tensor[] {Ops.scale(dy, alpha)});
        }
        return y;
    }

    /** Sums g over the axes along which a tensor of shape {@code to} was broadcast to g's shape. */
    static Tensor unbroadcast(Tensor g, Shape to) {
        Shape gs = g.shape();
        if (gs.equals(to)) {
            return Ops.copy(g);
        }
        int lead = gs.rank() - to.rank();
        int[] axes = new int[gs.rank()];
        int n = 0;
        for (int i = 0; i < gs.rank(); i++) {
            int td = i < lead ? 1 : to.dim(i - lead);
            if (i < lead || (td == 1 && gs.dim(i) != 1)) {
                axes[n++] = i;
            }
        }
        Tensor summed = Ops.reduce(ReduceOp.SUM, g, true, java.util.Arrays.copyOf(axes, n));
        return Ops.reshape(summed, to);
    }
}
