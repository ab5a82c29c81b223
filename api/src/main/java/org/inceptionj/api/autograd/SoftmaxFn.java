package org.inceptionj.api.autograd;

import org.inceptionj.api.Ops;
import org.inceptionj.api.Tensor;

/**
 * Softmax and log-softmax along an axis. Saves the output y. Backward:
 * softmax dx = y·(dy − Σ dy·y); log-softmax dx = dy − exp(y)·Σ dy.
 */
final class SoftmaxFn {
    private SoftmaxFn() {
    }

    static Tensor apply(Tape tape, Tensor x, int axis, boolean log) {
        Tensor y = log ? Ops.logSoftmax(x, axis) : Ops.softmax(x, axis);
        if (tape.needsGrad(x)) {
            tape.record(log ? "logSoftmax" : "softmax", new Tensor[] {x}, y,
                    dy -> new Tensor[] {Ops.softmaxBackward(dy, y, axis, log)}, y);
        }
        return y;
    }
}
