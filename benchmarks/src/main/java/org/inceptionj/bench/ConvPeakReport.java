package org.inceptionj.bench;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Every distinct convolution of Inception-v3 at 299×299, in its three passes (forward, backward data,
 * backward weight), as a fraction of the FP32 FMA peak measured in the same run: runs
 * {@link FmaPeakBenchmark} and {@link ConvShapesBenchmark} through JMH and prints one table, then the
 * FLOP-weighted average per pass and over all three, where each shape weighs its FLOP times the number of
 * the network's convolutions that have it (so the average is the fraction of peak of all the network's
 * convolutions taken together, at the per-shape rates).
 *
 * <p>Peak: {@code vectorAllThreads} for {@code --threads all}, {@code vectorSingleThread} × N for N threads
 * (the single-thread peak times the threads: an upper bound that assumes a core per thread).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar org.inceptionj.bench.ConvPeakReport \
 *     [--threads all|N] [--batch 8] [--passes forward,data,weight] [--shapes K1;K2;...] [--warmup 2] [--iterations 3] [--time 1]
 * </pre>
 */
public final class ConvPeakReport {
    private ConvPeakReport() {
    }

    /** The options, checked. */
    record Options(String threads, int batch, List<String> passes, List<String> shapes, int warmup, int iterations,
                   int seconds) {
        static Options parse(String... args) {
            String threads = "all";
            int batch = 8, warmup = 2, iterations = 3, seconds = 1;
            List<String> passes = List.of("forward", "data", "weight");
            List<String> shapes = null;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(a + (a.startsWith("--") ? " needs a value" : ": unexpected argument"));
                }
                String v = args[++i];
                switch (a) {
                    case "--threads" -> {
                        if (!v.equals("all")) {
                            intIn(a, v, 1, SideBySideOptions.MAX_THREADS);
                        }
                        threads = v;
                    }
                    case "--batch" -> batch = intIn(a, v, 1, 1024);
                    case "--warmup" -> warmup = intIn(a, v, 0, 1000);
                    case "--iterations" -> iterations = intIn(a, v, 1, 1000);
                    case "--time" -> seconds = intIn(a, v, 1, 3600);
                    case "--passes" -> {
                        passes = List.of(v.split(","));
                        for (String p : passes) {
                            if (!List.of("forward", "data", "weight").contains(p)) {
                                throw new IllegalArgumentException("--passes " + v + ": '" + p + "' is not forward, data or weight");
                            }
                        }
                    }
                    case "--shapes" -> {
                        shapes = new ArrayList<>();
                        for (String k : v.split(";")) {
                            shapes.add(ConvShape.parse(k).key());
                        }
                    }
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            }
            return new Options(threads, batch, passes, shapes, warmup, iterations, seconds);
        }

        private static int intIn(String option, String value, int lo, int hi) {
            int n;
            try {
                n = Integer.parseInt(value);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + " '" + value + "' is not a whole number");
            }
            if (n < lo || n > hi) {
                throw new IllegalArgumentException(option + " " + n + " is outside [" + lo + ", " + hi + "]");
            }
            return n;
        }
    }

    public static void main(String[] args) throws Exception {
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("ConvPeakReport: " + e.getMessage());
            System.exit(2);
            return;
        }
        Map<ConvShape, Integer> network = ConvShape.of("inception-v3", 299);
        List<String> keys = new ArrayList<>();
        if (o.shapes() == null) {
            network.keySet().forEach(s -> keys.add(s.key()));
        } else {
            keys.addAll(o.shapes());
        }
        double load0 = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        boolean all = o.threads().equals("all");
        double peak = gflop(run(base(o).include(FmaPeakBenchmark.class.getName() + "\\."
                + (all ? "vectorAllThreads" : "vectorSingleThread") + "$")).iterator().next());
        if (!all) {
            peak *= Integer.parseInt(o.threads());
        }
        ChainedOptionsBuilder conv = base(o).include(ConvShapesBenchmark.class.getName() + "\\.conv$")
                .param("shape", keys.toArray(String[]::new))
                .param("pass", o.passes().toArray(String[]::new))
                .param("batch", Integer.toString(o.batch()))
                .param("threads", o.threads());
        Map<String, Map<String, Double>> rates = new LinkedHashMap<>(); // shape -> pass -> GFLOP/s
        for (RunResult r : run(conv)) {
            rates.computeIfAbsent(r.getParams().getParam("shape"), k -> new LinkedHashMap<>())
                    .put(r.getParams().getParam("pass"), gflop(r));
        }
        double load1 = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();

        System.out.printf(Locale.ROOT, "%nFP32 FMA peak (%s): %.1f GFLOP/s; batch %d%n", all ? "all threads"
                : o.threads() + " x single thread", peak, o.batch());
        System.out.printf(Locale.ROOT, "%-36s %5s %14s", "shape (CinxHxW>Cout:k/stride:pads)", "count", "MFLOP/image");
        for (String p : o.passes()) {
            System.out.printf(Locale.ROOT, " %8s %6s", p, "peak");
        }
        System.out.println();
        Map<String, double[]> weighted = new LinkedHashMap<>(); // pass -> {Σ w·f, Σ w}
        for (String k : keys) {
            ConvShape s = ConvShape.parse(k);
            int count = network.getOrDefault(s, 0);
            System.out.printf(Locale.ROOT, "%-36s %5d %14.1f", k, count, 2.0 * s.macs() / 1e6);
            for (String p : o.passes()) {
                Double g = rates.getOrDefault(k, Map.of()).get(p);
                if (g == null) {
                    System.out.printf(" %8s %6s", "-", "-");
                    continue;
                }
                double f = g / peak;
                System.out.printf(Locale.ROOT, " %8.1f %5.1f%%", g, 100 * f);
                double w = 2.0 * s.macs() * Math.max(count, 1);
                double[] acc = weighted.computeIfAbsent(p, x -> new double[2]);
                acc[0] += w * f;
                acc[1] += w;
            }
            System.out.println();
        }
        double[] total = new double[2];
        for (var e : weighted.entrySet()) {
            System.out.printf(Locale.ROOT, "FLOP-weighted average, %-8s %5.1f%% of peak%n", e.getKey(),
                    100 * e.getValue()[0] / e.getValue()[1]);
            total[0] += e.getValue()[0];
            total[1] += e.getValue()[1];
        }
        if (weighted.size() > 1) {
            System.out.printf(Locale.ROOT, "FLOP-weighted average, all passes %5.1f%% of peak%n", 100 * total[0] / total[1]);
        }
        System.out.printf(Locale.ROOT, "(GFLOP/s per pass; weights: FLOP x the network's convolutions of that shape;"
                + " load average %.2f before, %.2f after: on a shared machine every figure moves)%n", load0, load1);
    }

    private static ChainedOptionsBuilder base(Options o) {
        return new OptionsBuilder().forks(1).warmupIterations(o.warmup()).measurementIterations(o.iterations())
                .warmupTime(TimeValue.seconds(o.seconds())).measurementTime(TimeValue.seconds(o.seconds()));
    }

    private static java.util.Collection<RunResult> run(ChainedOptionsBuilder b) throws Exception {
        return new Runner(b.build()).run();
    }

    /** The {@code :gflop} secondary result (GFLOP/s). */
    private static double gflop(RunResult r) {
        Result<?> g = r.getSecondaryResults().get("gflop");
        if (g == null) {
            throw new IllegalStateException("no :gflop result in " + r.getParams().getBenchmark());
        }
        return g.getScore();
    }
}
