package org.inceptionj.api.autograd;

import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;

/** Flatten/reshape moves no element: the gradient is dy reshaped back to the input's shape. */
final class ReshapeFn {
    private ReshapeFn() {
    }

    static Tensor flatten(Tape tape, Tensor x, int axis) {
        Tensor y = Ops.flatten(x, axis);
        if (tape.needsGrad(x)) {
            Shape xs = x.shape();
            tape.record("flatten", new Tensor[] {x}, y, dy -> new Tensor[] {Ops.reshape(dy, xs)});
        }
        return y;
    }
}
