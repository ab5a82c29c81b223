package org.inceptionj.bench;

import java.util.SplittableRandom;

import org.inceptionj.cpu.CpuBackend;
import org.inceptionj.cpu.CpuConfig;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * What the benchmarks share: the backend their {@code impl} and {@code threads} parameters select,
 * seeded inputs, the self-check every benchmark runs once in its setup, and the FLOP counter.
 *
 * <p>Every benchmark class carries
 * {@code @Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:Tier3DelayOn=100000"})}: the forked
 * JVM that runs the measurement needs the incubating Vector API module, whatever {@code java}
 * command started the harness.
 */
public final class Bench {
    private Bench() {
    }

    /**
     * The CPU backend a benchmark's parameters name.
     *
     * @param impl    {@code vector} (Vector API kernels) or {@code plain} (the scalar loops that read
     *                like the math): the twin of every vector benchmark
     * @param threads a thread count, or {@code all} for every available processor
     */
    public static CpuBackend backend(String impl, String threads) {
        boolean vectorized = switch (impl) {
            case "vector" -> true;
            case "plain" -> false;
            default -> throw new IllegalArgumentException("benchmark: impl must be 'vector' or 'plain', got '"
                    + impl + "'");
        };
        int n;
        if ("all".equals(threads)) {
            n = Runtime.getRuntime().availableProcessors();
        } else {
            try {
                n = Integer.parseInt(threads);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("benchmark: threads must be a count or 'all', got '" + threads + "'");
            }
        }
        return new CpuBackend(new CpuConfig(n, vectorized));
    }

    /** n values uniform on [lo, hi), the same for the same seed. */
    public static float[] uniform(long seed, int n, float lo, float hi) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = lo + (hi - lo) * (float) r.nextDouble();
        }
        return a;
    }

    /** Parses a {@code CxHxW} parameter such as {@code 192x35x35}. */
    public static int[] chw(String shape) {
        String[] p = shape.split("x");
        if (p.length != 3) {
            throw new IllegalArgumentException("benchmark: shape must be CxHxW, got '" + shape + "'");
        }
        return new int[]{Integer.parseInt(p[0]), Integer.parseInt(p[1]), Integer.parseInt(p[2])};
    }

    /**
     * The self-check: throws, naming the benchmark, the element and both values, unless
     * |actual − expected| ≤ tolerance. A benchmark that measures a wrong kernel must not report.
     */
    public static void check(String benchmark, String element, double expected, float actual, double tolerance) {
        if (!(Math.abs(actual - expected) <= tolerance)) {
            throw new IllegalStateException(benchmark + ": self-check failed at " + element + ": expected "
                    + expected + ", got " + actual + " (tolerance " + tolerance + ")");
        }
    }

    /**
     * Counts floating-point work, in GFLOP, next to JMH's own operation count. JMH divides it by
     * the measured time like the primary result, so the secondary result {@code :gflop} of a
     * throughput benchmark reads directly in GFLOP/s (JMH prints the unit as ops/s).
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Flops {
        public double gflop;

        @Setup(Level.Iteration)
        public void reset() {
            gflop = 0;
        }
    }
}
