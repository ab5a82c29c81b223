package org.inceptionj.api.autograd;

import org.inceptionj.api.Ops;
import org.inceptionj.api.Tensor;

/** ReLU. Forward y = max(x, 0); saves y; backward dx = dy·[y &gt; 0] (the derivative at 0 is 0). */
final class ReluFn {
    private ReluFn() {
    }

    static Tensor apply(Tape tape, Tensor x) {
        Tensor y = Ops.relu(x);
        if (tape.needsGrad(x)) {
            tape.record("relu", new Tensor[] {x}, y, dy -> new Tensor[] {Ops.reluBackward(dy, y)}, y);
        }
        return y;
    }
}
