package org.inceptionj.api;

/**
 * The seeded random numbers of InceptionJ, defined as pure functions of (seed, index) so that
 * every backend (a CPU loop, a GPU kernel) produces the same values, in any order, on any number
 * of threads. The generator is SplitMix64's finalizer (Steele, Lea, Flood 2014) over a counter:
 * cheap, stateless, and well-mixed enough for initialization and dropout.
 */
public final class RandomStream {
    private RandomStream() {
    }

    /** The distributions of {@link Backend#fillRandom}. */
    public enum Distribution {
        /** uniform on [a, b) */ UNIFORM,
        /** normal with mean a, standard deviation b */ NORMAL,
        /** normal with mean a, standard deviation b, redrawn until within a ± 2b (TF/PyTorch default cut) */
        TRUNCATED_NORMAL
    }

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    /** SplitMix64 finalizer of seed and counter. */
    public static long mix(long seed, long counter) {
        long z = seed + (counter + 1) * GOLDEN;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Uniform on [0, 1) with 24 random bits, the float32 resolution. */
    public static float uniform(long seed, long index) {
        return (mix(seed, index) >>> 40) * 0x1.0p-24f;
    }

    /**
     * Standard normal by Box–Muller from two independent uniforms of this index (sub-streams 2i
     * and 2i+1 of the seed), computed in double and rounded once.
     */
    public static float normal(long seed, long index) {
        double u1 = ((mix(seed, 2 * index) >>> 11) + 1) * 0x1.0p-53;   // (0, 1]: log is finite
        double u2 = (mix(seed, 2 * index + 1) >>> 11) * 0x1.0p-53;     // [0, 1)
        return (float) (Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2));
    }

    /**
     * Standard normal restricted to [−2, 2]: draws attempt 0, 1, 2, ... of this index until one
     * falls inside (about 4.6% are redrawn).
     */
    public static float truncatedNormal(long seed, long index) {
        for (long attempt = 0; ; attempt++) {
            float z = normal(mix(seed, attempt ^ 0x7F4A7C15L), index);
            if (z >= -2f && z <= 2f) {
                return z;
            }
        }
    }

    /** The value of {@code distribution} with parameters (a, b) at (seed, index). */
    public static float sample(Distribution distribution, long seed, long index, float a, float b) {
        return switch (distribution) {
            case UNIFORM -> a + (b - a) * uniform(seed, index);
            case NORMAL -> a + b * normal(seed, index);
            case TRUNCATED_NORMAL -> a + b * truncatedNormal(seed, index);
        };
    }
}
