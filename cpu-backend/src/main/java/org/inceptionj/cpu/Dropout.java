package org.inceptionj.cpu;

import org.inceptionj.api.RandomStream;
import org.inceptionj.api.Tensor;

/**
 * Inverted dropout (Srivastava et al. 2014, scaled at training time so that inference is the
 * identity): mask[i] = 0 if {@link RandomStream#uniform}(seed, i) &lt; p, else 1/(1 − p);
 * out[i] = x[i]·mask[i]. The mask is a pure function of (seed, i), so it does not depend on the
 * thread count. One path: the per-element 64-bit hash dominates and has no Vector API form
 * that is faster on common hardware (AVX2 has no 64-bit multiply).
 */
final class Dropout {
    private Dropout() {
    }

    /** Elements per parallel chunk below which a loop is not split. */
    private static final int GRAIN = 1 << 14;

    /** Overwrites out and mask. p in [0, 1). */
    static void forward(CpuBackend cpu, Tensor out, Tensor mask, Tensor x, float p, long seed) {
        float[] o = CpuBackend.data(out), m = CpuBackend.data(mask), xs = CpuBackend.data(x);
        float keep = 1f / (1f - p);
        cpu.parallel().forRange(o.length, GRAIN, (lo, hi) -> {
            for (int i = lo; i < hi; i++) {
                m[i] = RandomStream.uniform(seed, i) < p ? 0f : keep;
                o[i] = xs[i] * m[i];
            }
        });
    }
}
