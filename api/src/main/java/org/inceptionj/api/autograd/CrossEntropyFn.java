package org.inceptionj.api.autograd;

import org.inceptionj.api.Ops;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;

/**
 * Label-smoothing regularization (paper §7). The target is q'(k) = (1 − ε)·δ(k, y) + ε·u(k) and the
 * loss the cross-entropy H(q', p) = −Σ_k q'(k)·log p(k), averaged over the batch. Its gradient with
 * respect to the logits is the famously simple p − q' (divided by N for the mean), which the
 * backend computes in the same pass as the loss; backward only scales it by dL/dloss, a broadcast
 * multiply by the one-element upstream gradient (nothing is read back to the host).
 */
final class CrossEntropyFn {
    private CrossEntropyFn() {
    }

    static Tensor apply(Tape tape, Tensor logits, int[] labels, float epsilon, Tensor prior) {
        boolean grad = tape.needsGrad(logits);
        Ops.CrossEntropyResult r = Ops.softmaxCrossEntropy(logits, labels, epsilon, prior, grad);
        if (grad) {
            Tensor d = r.dlogits();
            tape.record("crossEntropy", new Tensor[] {logits}, r.loss(),
                    dl -> new Tensor[] {Ops.mul(d, dl)}, d);
            TensorScope.detach(d).close(); // the tape holds it until backward
        }
        return r.loss();
    }
}
