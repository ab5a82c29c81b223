package org.inceptionj.conformance.reference;

import org.inceptionj.api.Shape;

/**
 * Label-smoothed softmax cross-entropy (paper §7) and its gradient, in double precision. For row n
 * of logits [N,K]: log p = logSoftmax(logits[n]) ({@link SoftmaxReference}), the smoothed target
 * q'(k) = (1 − ε)·[k = label[n]] + ε·u(k) with u the prior (uniform 1/K when null), and
 * loss = (1/N)·Σ_n −Σ_k q'(k)·log p(k).
 */
public final class CrossEntropyReference {
    private CrossEntropyReference() {
    }

    /** The mean loss (shape [], as the backend writes it) and dloss/dlogits [N,K]. */
    public record Result(DTensor loss, DTensor dlogits) {
    }

    /** q'(k) for a row with this label. */
    public static double target(int k, int label, double epsilon, DTensor prior, int classes) {
        double u = prior == null ? 1.0 / classes : prior.data()[k];
        return (k == label ? 1 - epsilon : 0) + epsilon * u;
    }

    /**
     * The loss, and dlogits[n,k] = (p(k) − q'(k))/N: with log p = x − lse(x) and Σ_k q'(k) = 1,
     * −Σ_k q'(k)·log p(k) = lse(x) − Σ_k q'(k)·x_k, whose derivative in x_k is p(k) − q'(k).
     * The gradient suite checks it against finite differences of the loss.
     */
    public static Result forward(DTensor logits, int[] labels, double epsilon, DTensor prior) {
        int n = logits.shape().dim(0), k = logits.shape().dim(1);
        DTensor logp = SoftmaxReference.softmax(logits, 1, true);
        DTensor d = DTensor.zeros(logits.shape());
        double loss = 0;
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < k; j++) {
                double q = target(j, labels[r], epsilon, prior, k);
                loss -= q * logp.get(r, j) / n;
                d.set((Math.exp(logp.get(r, j)) - q) / n, r, j);
            }
        }
        return new Result(DTensor.full(Shape.scalar(), loss), d);
    }
}
