package org.inceptionj.conformance.reference;

/**
 * Gradients of softmax and log-softmax along one axis (see {@link SoftmaxReference}), from the
 * forward output y as the backend primitive takes it, in double precision, written as the
 * Jacobian–vector product itself: dx_j = Σ_i dy_i·∂y_i/∂x_j over each line.
 */
public final class SoftmaxBackwardReference {
    private SoftmaxBackwardReference() {
    }

    /**
     * softmax: ∂y_i/∂x_j = y_i·(δ_ij − y_j); log-softmax (y = log p): ∂y_i/∂x_j = δ_ij − p_j with
     * p_j = exp(y_j). Quadratic in the line length, which keeps it obviously the definition.
     */
    public static DTensor backward(DTensor dy, DTensor y, int axis, boolean log) {
        int n = y.shape().dim(axis);
        int inner = y.shape().sizeBetween(axis + 1, y.shape().rank());
        int outer = y.shape().sizeBetween(0, axis);
        DTensor dx = DTensor.zeros(y.shape());
        for (int a = 0; a < outer; a++) {
            for (int b = 0; b < inner; b++) {
                int base = a * n * inner + b;
                for (int j = 0; j < n; j++) {
                    double sum = 0;
                    for (int i = 0; i < n; i++) {
                        double yi = y.data()[base + i * inner], yj = y.data()[base + j * inner];
                        double kronecker = i == j ? 1 : 0;
                        double jacobian = log ? kronecker - Math.exp(yj) : yi * (kronecker - yj);
                        sum += dy.data()[base + i * inner] * jacobian;
                    }
                    dx.data()[base + j * inner] = sum;
                }
            }
        }
        return dx;
    }
}
