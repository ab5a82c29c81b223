package org.inceptionj.conformance;

import java.util.SplittableRandom;

import org.inceptionj.api.Shape;
import org.inceptionj.conformance.reference.DTensor;

/**
 * Seeded tensor values for the properties. A case names a {@link Kind} and a seed, so a failing
 * case printed by jqwik reproduces exactly; every value is a float32 (held as a double), so the
 * backend and the reference see the same input.
 */
public final class Values {
    private Values() {
    }

    /** The families of values the properties draw from. */
    public enum Kind {
        /** uniform on (−1, 1): the common case */
        UNIT,
        /** ±10^u with u uniform on (−3, 3): magnitudes from 0.001 to 1000 in one tensor */
        WIDE,
        /** integers in [−8, 8]: exact sums and products, many ties for max and min */
        INTEGERS,
        /** 70% zeros (half of them −0.0), the rest uniform on (−1, 1) */
        SPARSE
    }

    /** shape.size() values of {@code kind}, a pure function of (kind, seed). */
    public static DTensor of(Shape shape, Kind kind, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] d = new double[shape.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = one(kind, r);
        }
        return new DTensor(shape, d);
    }

    private static double one(Kind kind, SplittableRandom r) {
        return switch (kind) {
            case UNIT -> unit(r);
            case WIDE -> (float) ((r.nextBoolean() ? 1 : -1) * Math.pow(10, r.nextDouble(-3, 3)));
            case INTEGERS -> r.nextInt(-8, 9);
            case SPARSE -> r.nextDouble() < 0.7 ? (r.nextBoolean() ? 0.0 : -0.0) : unit(r);
        };
    }

    private static double unit(SplittableRandom r) {
        return (float) r.nextDouble(-1, 1);
    }

    /** Values of {@code kind} moved away from zero: |v| ≥ 0.25 with v's sign (divisors, reciprocals). */
    public static DTensor nonZero(Shape shape, Kind kind, long seed) {
        DTensor t = of(shape, kind, seed);
        double[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            double sign = Math.copySign(1.0, d[i]);
            d[i] = Math.abs(d[i]) < 0.25 ? (float) (sign * (0.25 + Math.abs(d[i]))) : d[i];
        }
        return t;
    }

    /** |v| of values of {@code kind} with zeros replaced by 1/8 (logs and square roots). */
    public static DTensor positive(Shape shape, Kind kind, long seed) {
        DTensor t = of(shape, kind, seed);
        double[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = d[i] == 0 ? 0.125 : Math.abs(d[i]);
        }
        return t;
    }

    /**
     * Per-channel data for batch norm: x[n,c,...] = offset_c + spread_c·U(−1, 1) with
     * spread_c in [0.1, 2] and |offset_c| ≤ 3·spread_c, so that channels differ in mean and scale
     * while mean(x²)/σ² stays moderate (see {@link Tolerances#batchNormTraining}).
     */
    public static DTensor channels(Shape shape, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int c = shape.dim(1), inner = shape.sizeBetween(2, shape.rank());
        double[] spread = new double[c], offset = new double[c];
        for (int ch = 0; ch < c; ch++) {
            spread[ch] = r.nextDouble(0.1, 2);
            offset[ch] = r.nextDouble(-3, 3) * spread[ch];
        }
        double[] d = new double[shape.size()];
        for (int i = 0; i < d.length; i++) {
            int ch = (i / inner) % c;
            d[i] = (float) (offset[ch] + spread[ch] * r.nextDouble(-1, 1));
        }
        return new DTensor(shape, d);
    }

    /** Uniform float values in [lo, hi). */
    public static DTensor uniform(Shape shape, long seed, double lo, double hi) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] d = new double[shape.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) r.nextDouble(lo, hi);
        }
        return new DTensor(shape, d);
    }
}
