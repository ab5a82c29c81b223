package org.inceptionj.api.autograd;

import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;

/**
 * Concatenation and its inverse. concat: each part's gradient is its slice of dy. slice: the
 * gradient is dy placed back at its offset, zeros elsewhere (a concat of zeros, dy, zeros).
 */
final class ConcatFn {
    private ConcatFn() {
    }

    static Tensor concat(Tape tape, int axis, Tensor... parts) {
        Tensor y = Ops.concat(axis, parts);
        if (tape.needsGrad(parts)) {
            Tensor[] inputs = parts.clone();
            int a = axis < 0 ? axis + y.shape().rank() : axis;
            int[] sizes = new int[inputs.length];
            for (int i = 0; i < sizes.length; i++) {
                sizes[i] = inputs[i].shape().dim(a);
            }
            tape.record("concat", inputs, y, dy -> {
                Tensor[] g = new Tensor[inputs.length];
                int start = 0;
                for (int i = 0; i < g.length; i++) {
                    g[i] = tape.wantsGrad(inputs[i]) ? Ops.slice(dy, a, start, sizes[i]) : null;
                    start += sizes[i];
                }
                return g;
            });
        }
        return y;
    }

    static Tensor slice(Tape tape, Tensor x, int axis, int start, int length) {
        Tensor y = Ops.slice(x, axis, start, length);
        if (tape.needsGrad(x)) {
            Shape xs = x.shape();
            int a = axis < 0 ? axis + xs.rank() : axis;
            tape.record("slice", new Tensor[] {x}, y, dy -> {
                int after = xs.dim(a) - start - length;
                Tensor before = Ops.zeros(dy.backend(), xs.with(a, start));
                Tensor rest = Ops.zeros(dy.backend(), xs.with(a, after));
                return new Tensor[] {Ops.concat(a, before, dy, rest)};
            });
        }
        return y;
    }
}
