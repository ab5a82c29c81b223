package org.inceptionj.conformance.reference;

import org.inceptionj.api.RandomStream;
import org.inceptionj.api.Shape;

/**
 * References of {@code fill}, {@code fillRandom} and {@code dropout}. The standard variates come
 * from {@link RandomStream}, which <em>defines</em> InceptionJ's random numbers for every backend;
 * the mapping to the distribution's parameters is done here in double precision.
 */
public final class RandomReference {
    private RandomReference() {
    }

    /** out[i] = value. */
    public static DTensor fill(Shape shape, double value) {
        return DTensor.full(shape, value);
    }

    /**
     * out[i] = a + (b − a)·uniform(seed, i) (UNIFORM), a + b·normal(seed, i) (NORMAL) or
     * a + b·truncatedNormal(seed, i) (TRUNCATED_NORMAL).
     */
    public static DTensor fillRandom(Shape shape, RandomStream.Distribution d, long seed, double a, double b) {
        DTensor out = DTensor.zeros(shape);
        for (int i = 0; i < out.size(); i++) {
            out.data()[i] = switch (d) {
                case UNIFORM -> a + (b - a) * RandomStream.uniform(seed, i);
                case NORMAL -> a + b * RandomStream.normal(seed, i);
                case TRUNCATED_NORMAL -> a + b * RandomStream.truncatedNormal(seed, i);
            };
        }
        return out;
    }

    /** The standard variate behind {@link #fillRandom} element i: U, Z or truncated Z. */
    public static double standardVariate(RandomStream.Distribution d, long seed, int i) {
        return switch (d) {
            case UNIFORM -> RandomStream.uniform(seed, i);
            case NORMAL -> RandomStream.normal(seed, i);
            case TRUNCATED_NORMAL -> RandomStream.truncatedNormal(seed, i);
        };
    }

    /** Output and mask of inverted dropout. */
    public record Dropout(DTensor out, DTensor mask) {
    }

    /**
     * mask[i] = 0 if uniform(seed, i) &lt; p, else 1/(1 − p); out[i] = x[i]·mask[i]. The comparison
     * is the float one of the contract ({@code RandomStream.uniform} returns float, p is float).
     */
    public static Dropout dropout(DTensor x, float p, long seed) {
        DTensor mask = DTensor.zeros(x.shape()), out = DTensor.zeros(x.shape());
        double keep = 1.0 / (1.0 - p);
        for (int i = 0; i < x.size(); i++) {
            mask.data()[i] = RandomStream.uniform(seed, i) < p ? 0.0 : keep;
            out.data()[i] = x.data()[i] * mask.data()[i];
        }
        return new Dropout(out, mask);
    }
}
