package org.inceptionj.conformance.reference;

import org.inceptionj.api.Shape;

/**
 * Gradients of batch normalization (see {@link BatchNormReference}), channel axis 1 of x
 * [N, C, ...], per channel over its M = N·(spatial) values, in double precision.
 */
public final class BatchNormBackwardReference {
    private BatchNormBackwardReference() {
    }

    /** dL/dx, dL/dgamma, dL/dbeta. */
    public record Grads(DTensor dx, DTensor dgamma, DTensor dbeta) {
    }

    /**
     * Training mode (batch statistics), from the saved statistics as the backend primitive takes
     * them. With x̂ = (x − mean)·invStd and y = γ·x̂ + β:
     * dβ = Σ dy, dγ = Σ dy·x̂, and, because μ and σ² are functions of every x of the channel,
     * dx = γ·invStd/M·(M·dy − dβ − x̂·dγ).
     * Derivation: with g = γ·dy = dL/dx̂, dL/dσ² = −½·invStd³·Σ g·(x − μ) = −½·invStd²·Σ g·x̂,
     * dL/dμ = −invStd·Σ g (the dσ²/dμ term is Σ −2(x − μ)/M = 0), so
     * dx = g·invStd + dL/dσ²·2(x − μ)/M + dL/dμ/M = invStd/M·(M·g − Σ g − x̂·Σ g·x̂).
     * Checked against finite differences of {@link BatchNormReference#training} by the gradient suite.
     */
    public static Grads training(DTensor dy, DTensor x, DTensor gamma, DTensor mean, DTensor invStd) {
        int c = x.shape().dim(1), inner = x.shape().sizeBetween(2, x.shape().rank());
        int m = x.size() / c;
        DTensor dgamma = DTensor.zeros(Shape.of(c)), dbeta = DTensor.zeros(Shape.of(c));
        for (int i = 0; i < x.size(); i++) {
            int ch = (i / inner) % c;
            double xhat = (x.data()[i] - mean.data()[ch]) * invStd.data()[ch];
            dbeta.data()[ch] += dy.data()[i];
            dgamma.data()[ch] += dy.data()[i] * xhat;
        }
        DTensor dx = DTensor.zeros(x.shape());
        for (int i = 0; i < x.size(); i++) {
            int ch = (i / inner) % c;
            double xhat = (x.data()[i] - mean.data()[ch]) * invStd.data()[ch];
            dx.data()[i] = gamma.data()[ch] * invStd.data()[ch] / m
                    * (m * dy.data()[i] - dbeta.data()[ch] - xhat * dgamma.data()[ch]);
        }
        return new Grads(dx, dgamma, dbeta);
    }

    /**
     * Evaluation mode (running statistics, constants here): y = γ·(x − mean)/√(var + eps) + β is
     * affine in x, so dx = dy·γ/√(var + eps), dγ = Σ dy·x̂ with x̂ = (x − mean)/√(var + eps), dβ = Σ dy.
     */
    public static Grads inference(DTensor dy, DTensor x, DTensor gamma, DTensor mean, DTensor var, double eps) {
        int c = x.shape().dim(1), inner = x.shape().sizeBetween(2, x.shape().rank());
        DTensor dx = DTensor.zeros(x.shape()), dgamma = DTensor.zeros(Shape.of(c)), dbeta = DTensor.zeros(Shape.of(c));
        for (int i = 0; i < x.size(); i++) {
            int ch = (i / inner) % c;
            double invStd = 1.0 / Math.sqrt(var.data()[ch] + eps);
            dx.data()[i] = dy.data()[i] * gamma.data()[ch] * invStd;
            dgamma.data()[ch] += dy.data()[i] * (x.data()[i] - mean.data()[ch]) * invStd;
            dbeta.data()[ch] += dy.data()[i];
        }
        return new Grads(dx, dgamma, dbeta);
    }
}
