package org.inceptionj.api.autograd;

import org.inceptionj.api.Ops;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;

/**
 * Inverted dropout (Srivastava et al., 2014): y = x·m with m = 0 (probability p) or 1/(1 − p), so
 * that evaluation needs no rescaling. Saves the mask; backward dx = dy·m.
 */
final class DropoutFn {
    private DropoutFn() {
    }

    static Tensor apply(Tape tape, Tensor x, float p, long seed) {
        Ops.DropoutResult r = Ops.dropout(x, p, seed);
        if (tape.needsGrad(x)) {
            Tensor mask = r.mask();
            tape.record("dropout", new Tensor[] {x}, r.out(), dy -> new Tensor[] {Ops.mul(dy, mask)}, mask);
        }
        TensorScope.detach(r.mask()).close(); // freed now, or after backward if the tape retained it
        return r.out();
    }
}
