package org.inceptionj.conformance.reference;

/** Reference of {@code softmax} and log-softmax along one axis, in double precision. */
public final class SoftmaxReference {
    private SoftmaxReference() {
    }

    /**
     * For every line of x along {@code axis}, with m = max of the line:
     * softmax: out = exp(x − m) / Σ exp(x − m); log-softmax: out = x − m − log Σ exp(x − m).
     */
    public static DTensor softmax(DTensor x, int axis, boolean log) {
        int n = x.shape().dim(axis);
        int inner = x.shape().sizeBetween(axis + 1, x.shape().rank());
        int outer = x.shape().sizeBetween(0, axis);
        DTensor out = DTensor.zeros(x.shape());
        double[] in = x.data(), o = out.data();
        for (int a = 0; a < outer; a++) {
            for (int b = 0; b < inner; b++) {
                int base = a * n * inner + b;
                double m = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < n; k++) {
                    m = Math.max(m, in[base + k * inner]);
                }
                double sum = 0;
                for (int k = 0; k < n; k++) {
                    sum += Math.exp(in[base + k * inner] - m);
                }
                for (int k = 0; k < n; k++) {
                    double d = in[base + k * inner] - m;
                    o[base + k * inner] = log ? d - Math.log(sum) : Math.exp(d) / sum;
                }
            }
        }
        return out;
    }
}
