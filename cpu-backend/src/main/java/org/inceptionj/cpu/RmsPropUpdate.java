package org.inceptionj.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import org.inceptionj.api.Tensor;

/**
 * RMSProp with momentum (TF1 ApplyRMSProp, ε inside the root) on every parameter of a list in one
 * call, with g = s·grad:
 *
 * <pre>
 *   ms  ← ρ·ms + (1 − ρ)·g²
 *   mom ← μ·mom + lr·g / √(ms + ε)
 *   θ   ← θ − mom
 * </pre>
 *
 * Every product, sum, quotient and root is rounded on its own (no FMA) on both paths, in the order
 * the update was written with unary, affine and binary calls before: the same bits, but for the
 * sign of a zero (affine's α·x + 0 is never −0).
 */
final class RmsPropUpdate {
    private RmsPropUpdate() {
    }

    private static final VectorSpecies<Float> F = Vectors.F;
    private static final int GRAIN = 1 << 14;

    /** Updates theta, ms and mom in place; nothing when the scale is not finite. */
    static void update(CpuBackend cpu, Tensor[] thetas, Tensor[] mss, Tensor[] moms, Tensor[] grads, Tensor scale,
                       float lr, float rho, float mu, float eps) {
        float[] s = TensorLists.scales(scale, thetas.length);
        if (s == null) {
            return;
        }
        float[][] theta = TensorLists.data(thetas), ms = TensorLists.data(mss), mom = TensorLists.data(moms),
                grad = TensorLists.data(grads);
        float oneMinusRho = 1f - rho;
        boolean vector = cpu.vectorized();
        TensorLists.forEachPiece(cpu, theta, GRAIN, (e, lo, hi) -> {
            int i = lo;
            if (vector) {
                for (int bound = lo + F.loopBound(hi - lo); i < bound; i += F.length()) {
                    FloatVector g = FloatVector.fromArray(F, grad[e], i).mul(s[e]);
                    FloatVector m2 = FloatVector.fromArray(F, ms[e], i).mul(rho).add(g.mul(g).mul(oneMinusRho));
                    m2.intoArray(ms[e], i);
                    FloatVector step = g.div(m2.add(eps).sqrt()).mul(lr);
                    FloatVector m = FloatVector.fromArray(F, mom[e], i).mul(mu).add(step);
                    m.intoArray(mom[e], i);
                    FloatVector.fromArray(F, theta[e], i).sub(m).intoArray(theta[e], i);
                }
            }
            plain(theta[e], ms[e], mom[e], grad[e], s[e], lr, rho, oneMinusRho, mu, eps, i, hi);
        });
    }

    static void plain(float[] theta, float[] ms, float[] mom, float[] grad, float s, float lr, float rho,
                      float oneMinusRho, float mu, float eps, int lo, int hi) {
        for (int i = lo; i < hi; i++) {
            float g = s * grad[i];
            ms[i] = rho * ms[i] + oneMinusRho * (g * g);
            mom[i] = mu * mom[i] + lr * (g / (float) Math.sqrt(ms[i] + eps)); // the double root of a float rounds to the float root
            theta[i] = theta[i] - mom[i];
        }
    }
}
