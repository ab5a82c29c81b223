package org.inceptionj.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import org.inceptionj.api.Tensor;

/**
 * Adam (TF1 ApplyAdam, ε̂ after the bias correction) on every parameter of a list in one call, with
 * g = s·grad and the running powers p₁ = β₁ᵗ, p₂ = β₂ᵗ:
 *
 * <pre>
 *   p₁ ← β₁·p₁,  p₂ ← β₂·p₂,   αₜ = lr·√(1 − p₂) / (1 − p₁)   (in double, then rounded)
 *   m  ← β₁·m + (1 − β₁)·g
 *   v  ← β₂·v + (1 − β₂)·g²
 *   θ  ← θ − αₜ·m / (√v + ε̂)
 * </pre>
 *
 * Every elementwise product, sum, quotient and root is rounded on its own (no FMA) on both paths,
 * in the order the update was written with unary, affine and binary calls before, and αₜ is
 * computed as the host computed it then: the same bits, but for the sign of a zero (affine's
 * α·x + 0 is never −0).
 */
final class AdamUpdate {
    private AdamUpdate() {
    }

    private static final VectorSpecies<Float> F = Vectors.F;
    private static final int GRAIN = 1 << 14;

    /** Updates theta, m, v and the powers in place; nothing when the scale is not finite. */
    static void update(CpuBackend cpu, Tensor[] thetas, Tensor[] ms, Tensor[] vs, Tensor[] grads, Tensor beta1Power,
                       Tensor beta2Power, Tensor scale, float lr, float beta1, float beta2, float eps) {
        float[] s = TensorLists.scales(scale, thetas.length);
        if (s == null) {
            return;
        }
        float[] p1 = CpuBackend.data(beta1Power), p2 = CpuBackend.data(beta2Power);
        p1[0] = beta1 * p1[0];
        p2[0] = beta2 * p2[0];
        float alpha = (float) (lr * Math.sqrt(1 - (double) p2[0]) / (1 - (double) p1[0]));
        float[][] theta = TensorLists.data(thetas), m = TensorLists.data(ms), v = TensorLists.data(vs),
                grad = TensorLists.data(grads);
        float oneMinusBeta1 = 1f - beta1, oneMinusBeta2 = 1f - beta2;
        boolean vector = cpu.vectorized();
        TensorLists.forEachPiece(cpu, theta, GRAIN, (e, lo, hi) -> {
            int i = lo;
            if (vector) {
                for (int bound = lo + F.loopBound(hi - lo); i < bound; i += F.length()) {
                    FloatVector g = FloatVector.fromArray(F, grad[e], i).mul(s[e]);
                    FloatVector m1 = FloatVector.fromArray(F, m[e], i).mul(beta1).add(g.mul(oneMinusBeta1));
                    m1.intoArray(m[e], i);
                    FloatVector v1 = FloatVector.fromArray(F, v[e], i).mul(beta2).add(g.mul(g).mul(oneMinusBeta2));
                    v1.intoArray(v[e], i);
                    FloatVector step = m1.div(v1.sqrt().add(eps)).mul(alpha);
                    FloatVector.fromArray(F, theta[e], i).sub(step).intoArray(theta[e], i);
                }
            }
            plain(theta[e], m[e], v[e], grad[e], s[e], alpha, beta1, oneMinusBeta1, beta2, oneMinusBeta2, eps, i, hi);
        });
    }

    static void plain(float[] theta, float[] m, float[] v, float[] grad, float s, float alpha, float beta1,
                      float oneMinusBeta1, float beta2, float oneMinusBeta2, float eps, int lo, int hi) {
        for (int i = lo; i < hi; i++) {
            float g = s * grad[i];
            m[i] = beta1 * m[i] + oneMinusBeta1 * g;
            v[i] = beta2 * v[i] + oneMinusBeta2 * (g * g);
            theta[i] = theta[i] - alpha * (m[i] / ((float) Math.sqrt(v[i]) + eps));
        }
    }
}
