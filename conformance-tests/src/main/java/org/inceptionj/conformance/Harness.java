package org.inceptionj.conformance;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.conformance.reference.DTensor;

/**
 * The comparison behind every property: float32 results against double references (or another
 * backend's results) with per-element tolerances, and a failure message that says which op, which
 * output, which element, by how much, and for which case. Also keeps the worst error seen per op
 * (printed with {@code -Dinceptionj.conformance.report=true}).
 */
public final class Harness {
    private Harness() {
    }

    /** The first value past the float range: a backend's ±∞ counts as ±2¹²⁸ against a finite reference. */
    static final double FLOAT_OVERFLOW = 0x1.0p128;

    /** Worst errors per op and output since the last {@link #drainReport()}. */
    private static final Map<String, double[]> WORST = new TreeMap<>();

    /**
     * Asserts |actual − expected| ≤ tol element by element: a NaN reference needs a NaN, a reference
     * at or past ±2¹²⁸ (float overflow, ±∞ included) needs that infinity, anything else a finite
     * value within tol (an infinite actual counting as ±2¹²⁸).
     *
     * @throws AssertionError naming the op, output, shape, worst element and case
     */
    public static void assertClose(String op, String output, Object context, Shape actualShape, float[] actual,
                                   DTensor expected, DTensor tol) {
        if (!actualShape.equals(expected.shape())) {
            throw new AssertionError(op + " " + output + ": shape " + actualShape + ", expected " + expected.shape()
                    + "\n  case: " + context);
        }
        int bad = 0, worst = -1;
        double worstRatio = 0, worstErr = 0;
        for (int i = 0; i < actual.length; i++) {
            double r = expected.data()[i], a = actual[i], t = tol.data()[i];
            double err, ratio;
            if (Double.isNaN(r)) {
                err = Double.isNaN(a) ? 0 : Double.POSITIVE_INFINITY;
                ratio = err;
            } else if (Math.abs(r) >= FLOAT_OVERFLOW) {
                err = a == Math.copySign(Double.POSITIVE_INFINITY, r) ? 0 : Double.POSITIVE_INFINITY;
                ratio = err;
            } else {
                double a2 = Double.isInfinite(a) ? Math.copySign(FLOAT_OVERFLOW, a) : a;
                err = Double.isNaN(a2) ? Double.POSITIVE_INFINITY : Math.abs(a2 - r);
                ratio = err / t;
            }
            if (!(ratio <= 1)) {
                bad++;
            }
            if (worst < 0 || ratio > worstRatio) {
                worst = i;
                worstRatio = ratio;
            }
            if (err > worstErr && Double.isFinite(err)) {
                worstErr = err;
            }
        }
        record(op + " " + output, worstRatio, worstErr, actual.length);
        if (bad > 0) {
            throw new AssertionError(String.format(
                    "%s %s: %d of %d elements out of tolerance; worst at %s (flat %d): got %s, expected %s, "
                            + "|err| %.3g > tol %.3g (%.3g x tol)%n  shape %s%n  case: %s",
                    op, output, bad, actual.length, Arrays.toString(DTensor.unravel(actualShape, worst)), worst,
                    actual[worst], expected.data()[worst], Math.abs(actual[worst] - expected.data()[worst]),
                    tol.data()[worst], worstRatio, actualShape, context));
        }
    }

    /**
     * Asserts that {@code t} is owned by {@code be}, the backend under test. {@link org.inceptionj.api.Ops}
     * runs every op on the backend that owns its input, so a tensor of another backend (one that a
     * delegating backend handed out from {@code allocate}, say) sends every later call past the
     * backend under test, and a check of its values would test the other backend. Returns t.
     *
     * @param what the op and output, or the call that made t, for the message
     * @throws AssertionError naming both backends and what made the tensor
     */
    public static Tensor assertOwned(Backend be, String what, Tensor t) {
        if (t == null) {
            throw new AssertionError(what + ": the backend returned null instead of a tensor");
        }
        if (t.backend() != be) {
            Backend owner = t.backend();
            throw new AssertionError(what + ": " + t.shape() + " is owned by backend '" + owner.name() + "' ("
                    + owner.getClass().getName() + ", " + owner.describe() + "), not by the backend under test '"
                    + be.name() + "' (" + be.getClass().getName() + "). Ops runs each op on the backend that owns its"
                    + " input, so every call on this tensor bypasses the backend under test: allocate must return"
                    + " new Tensor(this, shape, storage) with a Storage of its own (see Backend)");
        }
        return t;
    }

    /** Asserts two results are the same bits (NaNs of any payload count as equal). */
    public static void assertSameBits(String op, String output, String of, Object context, Shape shape,
                                      float[] actual, float[] first) {
        for (int i = 0; i < actual.length; i++) {
            if (Float.floatToIntBits(actual[i]) != Float.floatToIntBits(first[i])) {
                throw new AssertionError(String.format("%s %s differs from %s at %s (flat %d): %s vs %s; the same "
                                + "computation must give the same bits (and outputs are overwritten, never accumulated into)"
                                + "%n  shape %s%n  case: %s", op, output, of,
                        Arrays.toString(DTensor.unravel(shape, i)), i, actual[i], first[i], shape, context));
            }
        }
    }

    private static synchronized void record(String key, double ratio, double err, int n) {
        double[] w = WORST.computeIfAbsent(key, k -> new double[3]);
        w[0] = Math.max(w[0], ratio);
        w[1] = Math.max(w[1], err);
        w[2] += n;
    }

    /** The worst err/tol and |err| per op and output since the last call, one line each; then clears them. */
    public static synchronized String drainReport() {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, double[]> e : WORST.entrySet()) {
            double[] w = e.getValue();
            b.append(String.format("  %-48s worst err/tol %.3g, worst |err| %.3g, %d elements%n",
                    e.getKey(), w[0], w[1], (long) w[2]));
        }
        WORST.clear();
        return b.toString();
    }
}
