package org.inceptionj.conformance;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

import org.inceptionj.conformance.reference.DTensor;

/**
 * The worst errors the gradient suite has seen, per suite class and per op and output, printed as
 * a table when the suite's properties have run (so the numbers can be quoted). Three measures:
 * err/tol, the worst ratio of |actual − expected| to the element's tolerance (≤ 1 passes);
 * rel, the worst |actual − expected| divided by the largest |expected| of the same tensor (a
 * normwise relative error, meaningful also where elements cancel to near zero); and |err|.
 */
final class GradientReport {
    private GradientReport() {
    }

    /** suite → (op and output → {worst err/tol, worst rel, worst |err|, elements}). */
    private static final Map<String, Map<String, double[]>> WORST = new LinkedHashMap<>();

    /** Records one comparison (call before asserting, so a failing one is in the table too). */
    static synchronized void record(String suite, String key, double[] actual, DTensor expected, DTensor tol) {
        double scale = 0;
        for (double v : expected.data()) {
            if (Double.isFinite(v)) {
                scale = Math.max(scale, Math.abs(v));
            }
        }
        double ratio = 0, rel = 0, abs = 0;
        for (int i = 0; i < actual.length; i++) {
            double e = expected.data()[i];
            if (!Double.isFinite(e)) {
                continue;
            }
            double err = Math.abs(actual[i] - e);
            if (Double.isNaN(err)) {
                err = Double.POSITIVE_INFINITY;
            }
            ratio = Math.max(ratio, err / tol.data()[i]);
            abs = Math.max(abs, err);
            rel = Math.max(rel, scale > 0 ? err / scale : err > 0 ? Double.POSITIVE_INFINITY : 0);
        }
        double[] w = WORST.computeIfAbsent(suite, s -> new TreeMap<>()).computeIfAbsent(key, k -> new double[4]);
        w[0] = Math.max(w[0], ratio);
        w[1] = Math.max(w[1], rel);
        w[2] = Math.max(w[2], abs);
        w[3] += actual.length;
    }

    static void record(String suite, String key, float[] actual, DTensor expected, DTensor tol) {
        double[] a = new double[actual.length];
        for (int i = 0; i < a.length; i++) {
            a[i] = actual[i];
        }
        record(suite, key, a, expected, tol);
    }

    /** The table of every suite recorded since the last call, then clears it; empty if nothing was recorded. */
    static synchronized String drain() {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, Map<String, double[]>> suite : WORST.entrySet()) {
            b.append(String.format("%ngradient conformance, %s: worst error per op and output%n", suite.getKey()));
            b.append(String.format("  %-58s %9s %9s %9s %9s%n", "op / output", "err/tol", "rel", "|err|", "elements"));
            for (Map.Entry<String, double[]> e : suite.getValue().entrySet()) {
                double[] w = e.getValue();
                b.append(String.format("  %-58s %9.2e %9.2e %9.2e %9d%n", e.getKey(), w[0], w[1], w[2], (long) w[3]));
            }
            b.append("  (err/tol: worst |err| over its tolerance, 1 passes; rel: worst |err| / max|expected| of the tensor)\n");
        }
        WORST.clear();
        return b.toString();
    }
}
