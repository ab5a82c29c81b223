package org.inceptionj.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import org.inceptionj.api.Tensor;

/**
 * SGD with momentum (TF1 ApplyMomentum) on every parameter of a list in one call, with g = s·grad:
 *
 * <pre>
 *   acc ← μ·acc + g
 *   θ   ← θ − lr·acc                (heavy ball)
 *   θ   ← θ − lr·(g + μ·acc)        (Nesterov; acc already updated)
 * </pre>
 *
 * Every product and sum is rounded on its own (no FMA) on both paths, in the order the update was
 * written with affine and binary calls before, so the bits are the same as that composition's, but
 * for the sign of a zero (affine's α·x + 0 is never −0).
 */
final class MomentumUpdate {
    private MomentumUpdate() {
    }

    private static final VectorSpecies<Float> F = Vectors.F;
    private static final int GRAIN = 1 << 14;

    /** Updates theta and acc in place; nothing when the scale is not finite. */
    static void update(CpuBackend cpu, Tensor[] thetas, Tensor[] accs, Tensor[] grads, Tensor scale, float lr, float mu,
                       boolean nesterov) {
        float[] s = TensorLists.scales(scale, thetas.length);
        if (s == null) {
            return;
        }
        float[][] theta = TensorLists.data(thetas), acc = TensorLists.data(accs), grad = TensorLists.data(grads);
        boolean vector = cpu.vectorized();
        TensorLists.forEachPiece(cpu, theta, GRAIN, (e, lo, hi) -> {
            int i = lo;
            if (vector) {
                i = nesterov ? nesterovVector(theta[e], acc[e], grad[e], s[e], lr, mu, lo, hi)
                        : heavyBallVector(theta[e], acc[e], grad[e], s[e], lr, mu, lo, hi);
            }
            plain(theta[e], acc[e], grad[e], s[e], lr, mu, nesterov, i, hi);
        });
    }

    static void plain(float[] theta, float[] acc, float[] grad, float s, float lr, float mu, boolean nesterov,
                      int lo, int hi) {
        for (int i = lo; i < hi; i++) {
            float g = s * grad[i];
            acc[i] = mu * acc[i] + g;
            theta[i] = theta[i] - (nesterov ? lr * (mu * acc[i] + g) : lr * acc[i]);
        }
    }

    /** Whole vectors of [lo, hi); returns where it stopped. */
    private static int heavyBallVector(float[] theta, float[] acc, float[] grad, float s, float lr, float mu,
                                       int lo, int hi) {
        int i = lo;
        for (int bound = lo + F.loopBound(hi - lo); i < bound; i += F.length()) {
            FloatVector g = FloatVector.fromArray(F, grad, i).mul(s);
            FloatVector a = FloatVector.fromArray(F, acc, i).mul(mu).add(g);
            a.intoArray(acc, i);
            FloatVector.fromArray(F, theta, i).sub(a.mul(lr)).intoArray(theta, i);
        }
        return i;
    }

    private static int nesterovVector(float[] theta, float[] acc, float[] grad, float s, float lr, float mu,
                                      int lo, int hi) {
        int i = lo;
        for (int bound = lo + F.loopBound(hi - lo); i < bound; i += F.length()) {
            FloatVector g = FloatVector.fromArray(F, grad, i).mul(s);
            FloatVector a = FloatVector.fromArray(F, acc, i).mul(mu).add(g);
            a.intoArray(acc, i);
            FloatVector.fromArray(F, theta, i).sub(a.mul(mu).add(g).mul(lr)).intoArray(theta, i);
        }
        return i;
    }
}
