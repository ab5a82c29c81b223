package org.inceptionj.conformance.reference;

import org.inceptionj.api.Shape;

/**
 * References of the optimizer primitives ({@code sumOfSquares}, {@code axpy}, {@code momentumUpdate},
 * {@code rmsPropUpdate}, {@code adamUpdate}, {@code emaUpdate}): the formulas of
 * {@link org.inceptionj.api.Backend}, in double precision, on lists of tensors (entry i of every list
 * belongs to parameter i). The updates return new tensors; their inputs are not modified. A gradient
 * scale with an element that is not finite skips the update: the results are copies of the inputs.
 */
public final class OptimizerReference {
    private OptimizerReference() {
    }

    /** out[i] = Σ_j xs[i][j]², shape [T]. */
    public static DTensor sumOfSquares(DTensor[] xs) {
        DTensor out = DTensor.zeros(Shape.of(xs.length));
        for (int i = 0; i < xs.length; i++) {
            double s = 0;
            for (double v : xs[i].data()) {
                s += v * v;
            }
            out.data()[i] = s;
        }
        return out;
    }

    /** y[i] + α·x[i]. */
    public static DTensor[] axpy(DTensor[] y, double alpha, DTensor[] x) {
        DTensor[] out = copies(y);
        for (int i = 0; i < y.length; i++) {
            for (int j = 0; j < out[i].size(); j++) {
                out[i].data()[j] = y[i].data()[j] + alpha * x[i].data()[j];
            }
        }
        return out;
    }

    /**
     * The gradient multiplier of each of {@code entries} entries: scale[i], or scale[0] for all; null
     * when an element is not finite (the step is skipped).
     */
    public static double[] scales(DTensor scale, int entries) {
        for (double v : scale.data()) {
            if (!Double.isFinite(v)) {
                return null;
            }
        }
        double[] s = new double[entries];
        for (int i = 0; i < entries; i++) {
            s[i] = scale.size() == 1 ? scale.data()[0] : scale.data()[i];
        }
        return s;
    }

    /** SGD with momentum: θ and acc after one update. */
    public record Momentum(DTensor[] theta, DTensor[] acc) {
    }

    /** acc ← μ·acc + g; θ ← θ − lr·acc, or with Nesterov θ ← θ − lr·(g + μ·acc); g = s·grad. */
    public static Momentum momentum(DTensor[] theta, DTensor[] acc, DTensor[] grad, DTensor scale, double lr,
                                    double mu, boolean nesterov) {
        DTensor[] th = copies(theta), a = copies(acc);
        double[] s = scales(scale, theta.length);
        for (int i = 0; s != null && i < theta.length; i++) {
            for (int j = 0; j < th[i].size(); j++) {
                double g = s[i] * grad[i].data()[j];
                a[i].data()[j] = mu * a[i].data()[j] + g;
                th[i].data()[j] -= nesterov ? lr * (g + mu * a[i].data()[j]) : lr * a[i].data()[j];
            }
        }
        return new Momentum(th, a);
    }

    /** RMSProp: θ, ms and mom after one update. */
    public record RmsProp(DTensor[] theta, DTensor[] ms, DTensor[] mom) {
    }

    /** ms ← ρ·ms + (1 − ρ)·g²; mom ← μ·mom + lr·g/√(ms + ε); θ ← θ − mom; g = s·grad. */
    public static RmsProp rmsProp(DTensor[] theta, DTensor[] ms, DTensor[] mom, DTensor[] grad, DTensor scale,
                                  double lr, double rho, double mu, double eps) {
        DTensor[] th = copies(theta), m2 = copies(ms), m = copies(mom);
        double[] s = scales(scale, theta.length);
        for (int i = 0; s != null && i < theta.length; i++) {
            for (int j = 0; j < th[i].size(); j++) {
                double g = s[i] * grad[i].data()[j];
                m2[i].data()[j] = rho * m2[i].data()[j] + (1 - rho) * g * g;
                m[i].data()[j] = mu * m[i].data()[j] + lr * g / Math.sqrt(m2[i].data()[j] + eps);
                th[i].data()[j] -= m[i].data()[j];
            }
        }
        return new RmsProp(th, m2, m);
    }

    /** Adam: θ, m, v and the two powers after one update. */
    public record Adam(DTensor[] theta, DTensor[] m, DTensor[] v, double beta1Power, double beta2Power) {
    }

    /**
     * p₁ ← β₁·p₁, p₂ ← β₂·p₂, αₜ = lr·√(1 − p₂)/(1 − p₁); m ← β₁·m + (1 − β₁)·g;
     * v ← β₂·v + (1 − β₂)·g²; θ ← θ − αₜ·m/(√v + ε̂); g = s·grad.
     */
    public static Adam adam(DTensor[] theta, DTensor[] m, DTensor[] v, DTensor[] grad, double beta1Power,
                            double beta2Power, DTensor scale, double lr, double beta1, double beta2, double eps) {
        DTensor[] th = copies(theta), m1 = copies(m), v1 = copies(v);
        double[] s = scales(scale, theta.length);
        if (s == null) {
            return new Adam(th, m1, v1, beta1Power, beta2Power);
        }
        double p1 = beta1 * beta1Power, p2 = beta2 * beta2Power;
        double alpha = lr * Math.sqrt(1 - p2) / (1 - p1);
        for (int i = 0; i < theta.length; i++) {
            for (int j = 0; j < th[i].size(); j++) {
                double g = s[i] * grad[i].data()[j];
                m1[i].data()[j] = beta1 * m1[i].data()[j] + (1 - beta1) * g;
                v1[i].data()[j] = beta2 * v1[i].data()[j] + (1 - beta2) * g * g;
                th[i].data()[j] -= alpha * m1[i].data()[j] / (Math.sqrt(v1[i].data()[j]) + eps);
            }
        }
        return new Adam(th, m1, v1, p1, p2);
    }

    /** shadow − (1 − d)·(shadow − θ), or the shadows unchanged when the gate is not finite. */
    public static DTensor[] ema(DTensor[] shadow, DTensor[] theta, double gate, double decay) {
        DTensor[] out = copies(shadow);
        for (int i = 0; Double.isFinite(gate) && i < shadow.length; i++) {
            for (int j = 0; j < out[i].size(); j++) {
                double sh = shadow[i].data()[j];
                out[i].data()[j] = sh - (1 - decay) * (sh - theta[i].data()[j]);
            }
        }
        return out;
    }

    private static DTensor[] copies(DTensor[] ts) {
        DTensor[] out = new DTensor[ts.length];
        for (int i = 0; i < ts.length; i++) {
            out[i] = new DTensor(ts[i].shape(), ts[i].data().clone());
        }
        return out;
    }
}
