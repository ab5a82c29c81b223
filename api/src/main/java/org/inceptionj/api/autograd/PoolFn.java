package org.inceptionj.api.autograd;

import org.inceptionj.api.Ops;
import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.Tensor;

/**
 * Pooling. Max: saves x and y (cuDNN's pooling backward takes both); backward routes each dy to its
 * window's winning cell (first maximum in row-major order on ties). Average: saves nothing but the geometry; backward spreads dy over the
 * window with the forward's divisor (count-include-pad or not).
 */
final class PoolFn {
    private PoolFn() {
    }

    static Tensor max(Tape tape, Tensor x, Pool2dSpec spec) {
        Tensor y = Ops.maxPool2d(x, spec);
        if (tape.needsGrad(x)) {
            tape.record("maxPool2d", new Tensor[] {x}, y, dy -> new Tensor[] {Ops.maxPool2dBackward(dy, x, y, spec)}, x, y);
        }
        return y;
    }

    static Tensor average(Tape tape, Tensor x, Pool2dSpec spec) {
        Tensor y = Ops.avgPool2d(x, spec);
        if (tape.needsGrad(x)) {
            var xs = x.shape();
            tape.record("avgPool2d", new Tensor[] {x}, y, dy -> new Tensor[] {Ops.avgPool2dBackward(dy, xs, spec)});
        }
        return y;
    }
}
