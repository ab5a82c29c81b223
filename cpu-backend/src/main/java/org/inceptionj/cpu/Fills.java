package org.inceptionj.cpu;

import java.util.Arrays;

import org.inceptionj.api.RandomStream;
import org.inceptionj.api.Tensor;

/**
 * Constant and seeded random fills. One path each: {@link Arrays#fill} is already a vectorized
 * intrinsic, and the random stream is 64-bit integer mixing plus {@code Math.log}/{@code Math.cos}
 * in double, which the Vector API cannot reproduce bit for bit.
 */
final class Fills {
    private Fills() {
    }

    /** Elements per parallel chunk below which a fill is not split. */
    private static final int GRAIN = 1 << 16;
    /** The random fills cost far more per element (a log and a cos for the normals). */
    private static final int RANDOM_GRAIN = 1 << 12;

    /** out[i] = value. Overwrites out. */
    static void fill(CpuBackend cpu, Tensor out, float value) {
        float[] o = CpuBackend.data(out);
        cpu.parallel().forRange(o.length, GRAIN, (lo, hi) -> Arrays.fill(o, lo, hi, value));
    }

    /**
     * out[i] = {@link RandomStream#sample}(distribution, seed, i, a, b): a pure function of the
     * index, so the values do not depend on the thread count. Overwrites out.
     */
    static void fillRandom(CpuBackend cpu, Tensor out, RandomStream.Distribution distribution, long seed,
                           float a, float b) {
        float[] o = CpuBackend.data(out);
        cpu.parallel().forRange(o.length, RANDOM_GRAIN, (lo, hi) -> {
            for (int i = lo; i < hi; i++) {
                o[i] = RandomStream.sample(distribution, seed, i, a, b);
            }
        });
    }
}
