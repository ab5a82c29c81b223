package org.inceptionj.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Two engines timed in turns: the timed calls of each come in {@link #BLOCKS} blocks, the blocks of the
 * two alternating (a, b, a, b, …), so that both meet the same minutes of a shared host. Timed one after
 * the other, each engine got its own minutes, and on a host whose other tenants come and go a run's
 * ratio moved by ±10% (`SideBySide`, 2026-12-06). Blocks rather than single calls keep each engine's
 * caches warm between its calls, as when one model serves a stream; the first call of each block runs
 * untimed, since it starts from the other engine's caches and threads.
 */
public final class Turns {
    private Turns() {
    }

    /** Blocks of timed calls per engine (fewer when there are fewer timed calls). */
    public static final int BLOCKS = 4;

    /** A timed call. */
    @FunctionalInterface
    public interface Call {
        void run() throws Exception;
    }

    /**
     * Seconds per call of a and of b: the medians of {@code steps} timed calls each, after {@code warmup}
     * untimed calls of a and then of b.
     */
    public static double[] medians(int warmup, int steps, Call a, Call b) throws Exception {
        return medians(warmup, steps, a, b, System::nanoTime);
    }

    /** As above, on the given clock (nanoseconds). */
    static double[] medians(int warmup, int steps, Call a, Call b, LongSupplier clock) throws Exception {
        if (warmup < 0 || steps < 1) {
            throw new IllegalArgumentException("Turns: warmup " + warmup + " and steps " + steps
                    + ": need warmup >= 0 and steps >= 1");
        }
        for (int i = 0; i < warmup; i++) {
            a.run();
        }
        for (int i = 0; i < warmup; i++) {
            b.run();
        }
        List<Double> ta = new ArrayList<>(), tb = new ArrayList<>();
        int blocks = Math.min(BLOCKS, steps);
        for (int k = 0; k < blocks; k++) {
            int count = steps * (k + 1) / blocks - steps * k / blocks;
            block(a, count, ta, clock);
            block(b, count, tb, clock);
        }
        return new double[] {median(ta), median(tb)};
    }

    private static void block(Call c, int count, List<Double> times, LongSupplier clock) throws Exception {
        c.run();   // untimed: it starts from the other engine's caches and threads
        for (int i = 0; i < count; i++) {
            long t0 = clock.getAsLong();
            c.run();
            times.add((clock.getAsLong() - t0) / 1e9);
        }
    }

    /** The median: the middle value, or the mean of the two middle ones. */
    static double median(List<Double> times) {
        double[] t = times.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(t);
        return t.length % 2 == 1 ? t[t.length / 2] : (t[t.length / 2 - 1] + t[t.length / 2]) / 2;
    }
}
