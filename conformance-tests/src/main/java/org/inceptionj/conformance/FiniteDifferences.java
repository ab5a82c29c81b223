package org.inceptionj.conformance;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.Supplier;

import org.inceptionj.api.Shape;
import org.inceptionj.conformance.reference.DTensor;

/**
 * Central finite differences in double precision, the independent check of every reference
 * backward and of the tape's gradients of whole networks: for a function f of some input tensors
 * and an upstream gradient g of f's shape, the gradient of L = Σ_k g_k·f_k with respect to
 * element i of input x is approximated by
 * <pre>
 *   (L(x + h·e_i) − L(x − h·e_i)) / (2h) = Σ_k g_k·(f_k(x + h·e_i) − f_k(x − h·e_i)) / (2h)
 * </pre>
 * The outputs are differenced element by element before they are weighted and summed: outputs
 * that do not depend on x_i then cancel exactly, so the cancellation error is that of the outputs
 * x_i touches, not of the whole sum. The step is h = 2⁻²⁰·2^⌈log₂ m⌉ with m = max(|x_i|, max|x|/16)
 * (about 10⁻⁶ relative; a power of two, so x ± h of a float32 x is exact in double), and the
 * difference quotient divides by the steps actually taken. With each estimate comes a bound of
 * its cancellation noise: {@link #NOISE} (8 double ulps) of every output the step changed,
 * weighted by |g_k|, over the step; it matters where the function barely moves while its outputs
 * are large (batch norm over two values, say, whose output is nearly ±γ + β whatever x is).
 */
public final class FiniteDifferences {
    private FiniteDifferences() {
    }

    /** Relative step: 2⁻²⁰. */
    public static final double STEP = 0x1.0p-20;
    /** Relative rounding noise assumed for each output of a double reference: 2⁻⁵⁰, 8 ulps. */
    public static final double NOISE = 0x1.0p-50;

    /** Difference quotients and, per estimate, a bound of its cancellation noise (both of shape [count]). */
    public record Estimate(DTensor value, DTensor noise) {
    }

    /** The step for element value v of a tensor whose largest magnitude is maxAbs. */
    public static double step(double v, double maxAbs) {
        double m = Math.max(Math.abs(v), maxAbs / 16);
        if (m == 0 || !Double.isFinite(m)) {
            m = 1;
        }
        return STEP * Math.scalb(1.0, Math.getExponent(m) + 1);
    }

    /**
     * The gradient of Σ_k upstream_k·f()_k with respect to the elements {@code coordinates} of
     * {@code x}. {@code f} must read x's data afresh on every call: x is perturbed in place, one
     * element at a time, and restored.
     *
     * @return the estimates, in the order of {@code coordinates}, with their noise bounds
     */
    public static Estimate gradient(Supplier<DTensor> f, DTensor x, DTensor upstream, int[] coordinates) {
        double maxAbs = 0;
        for (double v : x.data()) {
            maxAbs = Math.max(maxAbs, Math.abs(v));
        }
        DTensor g = DTensor.zeros(Shape.of(coordinates.length)), noise = DTensor.zeros(g.shape());
        for (int c = 0; c < coordinates.length; c++) {
            int i = coordinates[c];
            double v = x.data()[i], h = step(v, maxAbs);
            double plus = v + h, minus = v - h;
            x.data()[i] = plus;
            DTensor up = f.get();
            x.data()[i] = minus;
            DTensor down = f.get();
            x.data()[i] = v;
            double sum = 0, touched = 0;
            for (int k = 0; k < up.size(); k++) {
                double d = up.data()[k] - down.data()[k];
                if (d != 0) {
                    sum += upstream.data()[k] * d;
                    touched += Math.abs(upstream.data()[k]) * (Math.abs(up.data()[k]) + Math.abs(down.data()[k]));
                }
            }
            g.data()[c] = sum / (plus - minus);
            noise.data()[c] = NOISE * touched / (plus - minus);
        }
        return new Estimate(g, noise);
    }

    /** Every index of a tensor of {@code size} elements, or {@code limit} distinct ones drawn with {@code seed}, ascending. */
    public static int[] coordinates(int size, int limit, long seed) {
        if (size <= limit) {
            int[] all = new int[size];
            for (int i = 0; i < size; i++) {
                all[i] = i;
            }
            return all;
        }
        // a partial Fisher–Yates shuffle of 0..size-1, then sorted
        int[] perm = coordinates(size, size, seed);
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < limit; i++) {
            int j = i + r.nextInt(size - i);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        int[] pick = Arrays.copyOf(perm, limit);
        Arrays.sort(pick);
        return pick;
    }

    /** The elements {@code coordinates} of t, as a tensor of shape [count]. */
    public static DTensor gather(DTensor t, int[] coordinates) {
        DTensor g = DTensor.zeros(Shape.of(coordinates.length)), noise = DTensor.zeros(g.shape());
        for (int c = 0; c < coordinates.length; c++) {
            g.data()[c] = t.data()[coordinates[c]];
        }
        return g;
    }
}
