package org.inceptionj.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import org.inceptionj.api.Tensor;

/**
 * y[i] ← y[i] + α·x[i] on every pair of a list (the weight-decay gradient g ← g + wd·w of all decayed
 * weights in one call). A product and a sum, each rounded (no FMA), on both paths: the same bits
 * as {@code affine} then {@code binary ADD}, but for the sign of a zero (affine's α·x + 0 is never −0).
 */
final class Axpy {
    private Axpy() {
    }

    private static final VectorSpecies<Float> F = Vectors.F;
    private static final int GRAIN = 1 << 15;

    /** Updates y in place; y[i] may be x[i]. */
    static void axpy(CpuBackend cpu, Tensor[] ys, float alpha, Tensor[] xs) {
        float[][] y = TensorLists.data(ys), x = TensorLists.data(xs);
        boolean vector = cpu.vectorized();
        TensorLists.forEachPiece(cpu, y, GRAIN, (e, lo, hi) -> {
            int i = lo;
            if (vector) {
                for (int bound = lo + F.loopBound(hi - lo); i < bound; i += F.length()) {
                    FloatVector.fromArray(F, x[e], i).mul(alpha).add(FloatVector.fromArray(F, y[e], i)).intoArray(y[e], i);
                }
            }
            plain(y[e], alpha, x[e], i, hi);
        });
    }

    static void plain(float[] y, float alpha, float[] x, int lo, int hi) {
        for (int i = lo; i < hi; i++) {
            y[i] = y[i] + alpha * x[i];
        }
    }
}
