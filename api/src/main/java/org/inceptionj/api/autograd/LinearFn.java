package org.inceptionj.api.autograd;

import org.inceptionj.api.Ops;
import org.inceptionj.api.ReduceOp;
import org.inceptionj.api.Tensor;

/**
 * Fully connected layer y = x·wᵀ + b, x [N,in], w [out,in]. Saves x and w. Backward:
 * dx = dy·w, dw = dyᵀ·x, db = Σ_n dy[n].
 */
final class LinearFn {
    private LinearFn() {
    }

    static Tensor apply(Tape tape, Tensor x, Tensor w, Tensor bias) {
        Tensor y = Ops.linear(x, w, bias);
        if (tape.needsGrad(x, w, bias)) {
            boolean gx = tape.wantsGrad(x), gw = tape.wantsGrad(w), gb = tape.wantsGrad(bias);
            tape.record("linear", new Tensor[] {x, w, bias}, y, dy -> new Tensor[] {
                gx ? Ops.matmul(dy, w, false, false) : null,
                gw ? Ops.matmul(dy, x, true, false) : null,
                gb ? Ops.reduce(ReduceOp.SUM, dy, false, 0) : null,
            }, gw ? x : null, gx ? w : null);
        }
        return y;
    }
}
