package org.inceptionj.conformance.reference;

import org.inceptionj.api.Shape;

/**
 * The fully connected layer y = x·wᵀ + b (PyTorch's {@code nn.Linear} layout: x [N,in],
 * w [out,in], b [out] or null) and its gradients, in double precision, as plain loops.
 */
public final class LinearReference {
    private LinearReference() {
    }

    /** y[n,o] = b[o] + Σ_i x[n,i]·w[o,i]. */
    public static DTensor forward(DTensor x, DTensor w, DTensor b) {
        int n = x.shape().dim(0), in = x.shape().dim(1), out = w.shape().dim(0);
        DTensor y = DTensor.zeros(Shape.of(n, out));
        for (int r = 0; r < n; r++) {
            for (int o = 0; o < out; o++) {
                double sum = b == null ? 0 : b.get(o);
                for (int i = 0; i < in; i++) {
                    sum += x.get(r, i) * w.get(o, i);
                }
                y.set(sum, r, o);
            }
        }
        return y;
    }

    /** dL/dx, dL/dw, dL/db (db null when the layer has no bias). */
    public record Grads(DTensor dx, DTensor dw, DTensor db) {
    }

    /** dx[n,i] = Σ_o dy[n,o]·w[o,i]; dw[o,i] = Σ_n dy[n,o]·x[n,i]; db[o] = Σ_n dy[n,o]. */
    public static Grads backward(DTensor dy, DTensor x, DTensor w, boolean bias) {
        int n = x.shape().dim(0), in = x.shape().dim(1), out = w.shape().dim(0);
        DTensor dx = DTensor.zeros(x.shape()), dw = DTensor.zeros(w.shape());
        DTensor db = bias ? DTensor.zeros(Shape.of(out)) : null;
        for (int r = 0; r < n; r++) {
            for (int o = 0; o < out; o++) {
                double g = dy.get(r, o);
                for (int i = 0; i < in; i++) {
                    dx.data()[dx.offset(r, i)] += g * w.get(o, i);
                    dw.data()[dw.offset(o, i)] += g * x.get(r, i);
                }
                if (bias) {
                    db.data()[o] += g;
                }
            }
        }
        return new Grads(dx, dw, db);
    }
}
