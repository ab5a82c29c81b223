package org.inceptionj.conformance.reference;

import org.inceptionj.api.Shape;

/**
 * References of batch normalization (Ioffe and Szegedy, 2015), channel axis 1 of x [N, C, ...],
 * in double precision with the two-pass mean and variance.
 */
public final class BatchNormReference {
    private BatchNormReference() {
    }

    /** out = gamma[c]·(x − mean[c]) / √(var[c] + eps) + beta[c]. */
    public static DTensor inference(DTensor x, DTensor gamma, DTensor beta, DTensor mean, DTensor var, double eps) {
        int c = x.shape().dim(1), inner = x.shape().sizeBetween(2, x.shape().rank());
        DTensor out = DTensor.zeros(x.shape());
        for (int i = 0; i < x.size(); i++) {
            int ch = (i / inner) % c;
            out.data()[i] = gamma.data()[ch] * (x.data()[i] - mean.data()[ch]) / Math.sqrt(var.data()[ch] + eps)
                    + beta.data()[ch];
        }
        return out;
    }

    /**
     * Everything training-mode batch norm produces: the output, the saved statistics, and the
     * running statistics <b>after</b> the update.
     */
    public record Training(DTensor out, DTensor mean, DTensor invStd, DTensor runningMean, DTensor runningVar,
                           DTensor variance) {
    }

    /**
     * Over the M = N·(spatial) values of each channel: μ = Σx/M, σ² = Σ(x − μ)²/M (biased),
     * invStd = 1/√(σ² + eps), out = gamma·(x − μ)·invStd + beta;
     * runningMean' = (1 − momentum)·runningMean + momentum·μ,
     * runningVar' = (1 − momentum)·runningVar + momentum·σ²·M/(M − 1), with σ² itself when M = 1.
     * The inputs are not modified. {@link Training#variance()} holds σ² (for error bounds).
     */
    public static Training training(DTensor x, DTensor gamma, DTensor beta, DTensor runningMean, DTensor runningVar,
                                    double eps, double momentum) {
        int c = x.shape().dim(1), inner = x.shape().sizeBetween(2, x.shape().rank());
        int m = x.size() / c;
        Shape cs = Shape.of(c);
        DTensor mu = DTensor.zeros(cs), var = DTensor.zeros(cs), invStd = DTensor.zeros(cs);
        for (int i = 0; i < x.size(); i++) {
            mu.data()[(i / inner) % c] += x.data()[i];
        }
        for (int ch = 0; ch < c; ch++) {
            mu.data()[ch] /= m;
        }
        for (int i = 0; i < x.size(); i++) {
            int ch = (i / inner) % c;
            double d = x.data()[i] - mu.data()[ch];
            var.data()[ch] += d * d;
        }
        DTensor rm = DTensor.zeros(cs), rv = DTensor.zeros(cs);
        for (int ch = 0; ch < c; ch++) {
            var.data()[ch] /= m;
            invStd.data()[ch] = 1.0 / Math.sqrt(var.data()[ch] + eps);
            double unbiased = m > 1 ? var.data()[ch] * m / (m - 1) : var.data()[ch];
            rm.data()[ch] = (1 - momentum) * runningMean.data()[ch] + momentum * mu.data()[ch];
            rv.data()[ch] = (1 - momentum) * runningVar.data()[ch] + momentum * unbiased;
        }
        DTensor out = DTensor.zeros(x.shape());
        for (int i = 0; i < x.size(); i++) {
            int ch = (i / inner) % c;
            out.data()[i] = gamma.data()[ch] * (x.data()[i] - mu.data()[ch]) * invStd.data()[ch] + beta.data()[ch];
        }
        return new Training(out, mu, invStd, rm, rv, var);
    }
}
