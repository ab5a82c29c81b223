package org.inceptionj.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import org.inceptionj.api.Tensor;

/**
 * The parameter average (TF's ExponentialMovingAverage, assign_sub form) of every variable of a
 * list in one call: shadow ← shadow − (1 − d)·(shadow − θ). Each operation rounded on its own (no
 * FMA) on both paths, in the order of the binary, affine, binary calls it replaces: the same bits,
 * but for the sign of a zero (affine's α·x + 0 is never −0).
 */
final class EmaUpdate {
    private EmaUpdate() {
    }

    private static final VectorSpecies<Float> F = Vectors.F;
    private static final int GRAIN = 1 << 15;

    /** Updates shadow in place; nothing when the gate is not finite. */
    static void update(CpuBackend cpu, Tensor[] shadows, Tensor[] thetas, Tensor gate, float decay) {
        if (!TensorLists.open(gate)) {
            return;
        }
        float[][] shadow = TensorLists.data(shadows), theta = TensorLists.data(thetas);
        float oneMinusD = 1f - decay;
        boolean vector = cpu.vectorized();
        TensorLists.forEachPiece(cpu, shadow, GRAIN, (e, lo, hi) -> {
            int i = lo;
            if (vector) {
                for (int bound = lo + F.loopBound(hi - lo); i < bound; i += F.length()) {
                    FloatVector sh = FloatVector.fromArray(F, shadow[e], i);
                    sh.sub(sh.sub(FloatVector.fromArray(F, theta[e], i)).mul(oneMinusD)).intoArray(shadow[e], i);
                }
            }
            plain(shadow[e], theta[e], oneMinusD, i, hi);
        });
    }

    static void plain(float[] shadow, float[] theta, float oneMinusD, int lo, int hi) {
        for (int i = lo; i < hi; i++) {
            shadow[i] = shadow[i] - oneMinusD * (shadow[i] - theta[i]);
        }
    }
}
