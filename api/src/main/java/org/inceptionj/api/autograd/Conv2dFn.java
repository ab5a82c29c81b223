package org.inceptionj.api.autograd;

import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Ops;
import org.inceptionj.api.ReduceOp;
import org.inceptionj.api.Tensor;

/**
 * Convolution. Forward y = conv2d(x, w) + b. Saves x and w. Backward:
 * dx = conv2dBackwardData(dy, w) (the transposed convolution), dw = conv2dBackwardWeight(dy, x)
 * (the correlation of dy with x), db[co] = Σ_{n,oh,ow} dy[n,co,oh,ow].
 */
final class Conv2dFn {
    private Conv2dFn() {
    }

    static Tensor apply(Tape tape, Tensor x, Tensor w, Tensor bias, Conv2dSpec spec) {
        Tensor y = Ops.conv2d(x, w, bias, spec);
        if (tape.needsGrad(x, w, bias)) {
            boolean gx = tape.wantsGrad(x), gw = tape.wantsGrad(w), gb = tape.wantsGrad(bias);
            tape.record("conv2d", new Tensor[] {x, w, bias}, y, dy -> new Tensor[] {
                gx ? Ops.conv2dBackwardData(dy, w, x.shape(), spec) : null,
                gw ? Ops.conv2dBackwardWeight(dy, x, w.shape(), spec) : null,
                gb ? Ops.reduce(ReduceOp.SUM, dy, false, 0, 2, 3) : null,
            }, gw ? x : null, gx ? w : null);
        }
        return y;
    }
}
