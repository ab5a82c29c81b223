package org.inceptionj.inception.cost;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Storage;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.train.TrainConfig;
import org.inceptionj.inception.train.TrainStep;

/**
 * Where a pass spends its time, primitive by primitive: what {@code torch.profiler} tells a PyTorch
 * user, for any backend. Two runs of the same pass are zipped call by call:
 * <ol>
 *   <li>on a {@link ShapeBackend}, which gives each call's op, geometry, shapes, multiply-adds and the
 *       layer whose parameter it reads;</li>
 *   <li>on the real backend behind a timing wrapper, which gives each call's wall time. After every
 *       call the wrapper calls {@link Backend#synchronize()}, so an asynchronous backend's time lands
 *       on the op that caused it (and the pass runs serialized: profile times add up to a little more
 *       than an unprofiled pass).</li>
 * </ol>
 * The model's control flow does not depend on values, so both runs make the same calls in the same
 * order; the profile checks this, call by call, and refuses to zip runs that differ.
 *
 * <p>Rows group the calls of one op with one geometry and one set of shapes (one row for the three
 * 3×3 convolutions of Mixed_5b..5d that share their shapes, say), sorted by time.
 */
public final class OpProfile {

    /** What one pass is: an evaluation forward, or a whole training step of a recipe. */
    public enum Pass {
        EVAL, TRAIN
    }

    /**
     * One row: the calls of one op with one geometry and shapes, per pass.
     *
     * @param op     the {@link Backend} method ({@code conv2d}, {@code conv2dBackwardWeight})
     * @param what   its geometry and shapes, e.g. {@code 3x3 /1 pad 1 (1,64,35,35) -> (1,96,35,35)}
     * @param layers the layers whose parameters these calls read (empty for parameter-free ops)
     * @param calls  calls per pass
     * @param nanos  wall time per pass, summed over the calls
     * @param macs   multiply-adds per pass
     */
    public record Row(String op, String what, Set<String> layers, int calls, double nanos, long macs) {
        /** GFLOP/s (2 FLOP per multiply-add); 0 for ops that do no multiply-adds. */
        public double gflops() {
            return nanos <= 0 ? 0 : 2.0 * macs / nanos;
        }
    }

    private final String describe;
    private final String workload;
    private final List<Row> rows;
    private final double passNanos;

    private OpProfile(String describe, String workload, List<Row> rows, double passNanos) {
        this.describe = describe;
        this.workload = workload;
        this.rows = List.copyOf(rows);
        this.passNanos = passNanos;
    }

    /**
     * Profiles {@code steps} passes after {@code warmup} unrecorded ones (the JIT, caches and the
     * convolution algorithm choices settle there) of Inception-v3 built with {@code config} on
     * {@code backend}, on a seeded batch of {@code batch} images of size×size.
     */
    public static OpProfile of(Backend backend, InceptionV3.Config config, int size, int batch, Pass pass, int warmup,
                               int steps) {
        if (backend == null || config == null || pass == null) {
            throw new IllegalArgumentException("profile: backend, config and pass must not be null");
        }
        if (batch < 1 || batch > 4096) {
            throw new IllegalArgumentException("profile: batch must be in [1, 4096], got " + batch);
        }
        if (warmup < 0 || warmup > 1000 || steps < 1 || steps > 1000) {
            throw new IllegalArgumentException("profile: warm-up must be in [0, 1000] and steps in [1, 1000], got "
                    + warmup + " and " + steps);
        }
        boolean training = pass == Pass.TRAIN;
        int min = config.minInput(training && config.auxLogits());
        if (size < min || size > 2048) {
            throw new IllegalArgumentException("profile: size " + size + " is outside [" + min + ", 2048] for this"
                    + " configuration" + (training && config.auxLogits() ? " (training with the aux head)" : ""));
        }
        String workload = "Inception-v3 " + (training ? "training step" : "eval forward") + " " + size + "x" + size
                + " batch " + batch;

        // 1. The shapes, geometry and multiply-adds of one pass (its second: the first may set things up).
        ShapeBackend shapes = ShapeBackend.recordingFusedCalls();
        List<ShapeBackend.Call> reference;
        Map<Tensor, String> names = new IdentityHashMap<>();
        try (InceptionV3 model = new InceptionV3(shapes, config, 0)) {
            model.parameters().asMap().forEach((n, t) -> names.put(t, n));
            try (Runner run = new Runner(model, size, batch, pass)) {
                run.pass();
                shapes.clear();
                run.pass();
                reference = List.copyOf(shapes.calls());
            }
            List<String> keys = new ArrayList<>(reference.size());
            List<String> layers = new ArrayList<>(reference.size());
            for (ShapeBackend.Call c : reference) {
                keys.add(c.toString().replaceFirst(", \\d+ multiply-adds$", ""));
                layers.add(layerOf(c, names));
            }

            // 2. The same passes on the real backend, each call timed.
            Timing timing = new Timing(backend);
            double[] nanos = new double[reference.size()];
            double passNanos = 0;
            try (InceptionV3 real = new InceptionV3(timing.proxy, config, 0);
                 Runner run = new Runner(real, size, batch, pass)) {
                for (int k = 0; k < warmup + steps; k++) {
                    timing.start();
                    long t0 = System.nanoTime();
                    run.pass();
                    backend.synchronize();
                    long wall = System.nanoTime() - t0;
                    List<Timing.Timed> timed = timing.stop();
                    if (k < warmup) {
                        continue;
                    }
                    passNanos += wall;
                    if (timed.size() != reference.size()) {
                        throw new IllegalStateException("profile: backend '" + backend.name() + "' made " + timed.size()
                                + " calls in a pass, the shape run " + reference.size());
                    }
                    for (int i = 0; i < timed.size(); i++) {
                        if (!timed.get(i).op().equals(reference.get(i).op())) {
                            throw new IllegalStateException("profile: call " + i + " of the pass is "
                                    + timed.get(i).op() + " on backend '" + backend.name() + "' but "
                                    + reference.get(i).op() + " in the shape run");
                        }
                        nanos[i] += timed.get(i).nanos();
                    }
                }
            }
            Map<String, Acc> byKey = new LinkedHashMap<>();
            for (int i = 0; i < reference.size(); i++) {
                ShapeBackend.Call c = reference.get(i);
                Acc a = byKey.computeIfAbsent(keys.get(i), k -> new Acc(c.op(), k.substring(c.op().length()).trim()));
                a.calls++;
                a.nanos += nanos[i] / steps;
                a.macs += c.macs();
                if (layers.get(i) != null) {
                    a.layers.add(layers.get(i));
                }
            }
            List<Row> rows = new ArrayList<>();
            byKey.values().forEach(a -> rows.add(new Row(a.op, a.what, Set.copyOf(a.layers), a.calls, a.nanos, a.macs)));
            rows.sort(Comparator.comparingDouble(Row::nanos).reversed());
            return new OpProfile(backend.describe(), workload, rows, passNanos / steps);
        }
    }

    /** Every row, most time first. */
    public List<Row> rows() {
        return rows;
    }

    /** Wall time of one pass, as measured around it (with the per-call synchronization). */
    public double passNanos() {
        return passNanos;
    }

    /** The calls' times summed: the pass minus what happens between calls (Java code, allocation). */
    public double opNanos() {
        return rows.stream().mapToDouble(Row::nanos).sum();
    }

    /** Multiply-adds per pass. */
    public long macs() {
        return rows.stream().mapToLong(Row::macs).sum();
    }

    /** Time and multiply-adds per op ({@code conv2d}, {@code batchNormTraining}, ...), most time first. */
    public List<Row> byOp() {
        Map<String, Acc> byOp = new LinkedHashMap<>();
        for (Row r : rows) {
            Acc a = byOp.computeIfAbsent(r.op(), k -> new Acc(k, ""));
            a.calls += r.calls();
            a.nanos += r.nanos();
            a.macs += r.macs();
        }
        List<Row> out = new ArrayList<>();
        byOp.values().forEach(a -> out.add(new Row(a.op, "", Set.of(), a.calls, a.nanos, a.macs)));
        out.sort(Comparator.comparingDouble(Row::nanos).reversed());
        return out;
    }

    /** The report: the pass, then time per op, then the {@code top} most expensive rows. */
    public String table(int top) {
        StringBuilder b = new StringBuilder();
        b.append(workload).append(" on ").append(describe).append('\n');
        b.append(String.format(Locale.ROOT, "one pass: %.2f ms wall, %.2f ms in %d backend calls, %.2f GFLOP"
                        + " (%.1f GFLOP/s over the pass)%n", passNanos / 1e6, opNanos() / 1e6,
                rows.stream().mapToInt(Row::calls).sum(), 2.0 * macs() / 1e9, 2.0 * macs() / passNanos));
        b.append("\nby op\n");
        b.append(String.format(Locale.ROOT, "%7s %6s %6s %9s  %s%n", "ms", "%", "calls", "GFLOP/s", "op"));
        for (Row r : byOp()) {
            line(b, r, r.op());
        }
        b.append(String.format(Locale.ROOT, "%nthe %d most expensive calls by geometry%n", Math.min(top, rows.size())));
        b.append(String.format(Locale.ROOT, "%7s %6s %6s %9s  %s%n", "ms", "%", "calls", "GFLOP/s", "op, geometry, shapes, layers"));
        for (Row r : rows.subList(0, Math.min(top, rows.size()))) {
            line(b, r, r.op() + " " + r.what() + (r.layers().isEmpty() ? "" : "  " + layerList(r.layers())));
        }
        return b.toString();
    }

    private void line(StringBuilder b, Row r, String text) {
        b.append(String.format(Locale.ROOT, "%7.2f %5.1f%% %6d %9s  %s%n", r.nanos() / 1e6, 100 * r.nanos() / opNanos(),
                r.calls(), r.macs() == 0 ? "" : String.format(Locale.ROOT, "%.1f", r.gflops()), text));
    }

    private static String layerList(Set<String> layers) {
        List<String> sorted = layers.stream().sorted().toList();
        return sorted.size() <= 3 ? String.join(", ", sorted)
                : String.join(", ", sorted.subList(0, 3)) + " and " + (sorted.size() - 3) + " more";
    }

    /** Mixed_5b.branch5x5_2.conv.weight → Mixed_5b.branch5x5_2; Conv2d_1a_3x3.conv.weight → Conv2d_1a_3x3. */
    private static String layerOf(ShapeBackend.Call c, Map<Tensor, String> names) {
        for (Tensor t : c.inputs()) {
            String name = names.get(t);
            if (name != null) {
                int last = name.lastIndexOf('.');
                String layer = name.substring(0, last);
                return layer.endsWith(".conv") || layer.endsWith(".bn") ? layer.substring(0, layer.lastIndexOf('.'))
                        : layer;
            }
        }
        return null;
    }

    private static final class Acc {
        final String op;
        final String what;
        final Set<String> layers = new LinkedHashSet<>();
        int calls;
        double nanos;
        long macs;

        Acc(String op, String what) {
            this.op = op;
            this.what = what;
        }
    }

    /** One pass of the workload on a model: its input, labels and (for training) its step. */
    private static final class Runner implements AutoCloseable {
        private final InceptionV3 model;
        private final Pass pass;
        private final Tensor x;
        private final int[] labels;
        private final TrainStep step;

        Runner(InceptionV3 model, int size, int batch, Pass pass) {
            this.model = model;
            this.pass = pass;
            Backend be = model.parameters().backend();
            this.x = TensorScope.detach(Ops.uniform(be, Shape.of(batch, 3, size, size), 7, -1f, 1f));
            this.labels = new int[batch];
            for (int i = 0; i < batch; i++) {
                labels[i] = (i * 397) % model.config().numClasses();
            }
            this.step = pass == Pass.TRAIN ? new TrainStep(model, TrainConfig.paper()) : null;
        }

        void pass() {
            if (step != null) {
                step.run(x, labels);
                return;
            }
            try (TensorScope scope = TensorScope.open()) {
                model.forward(x, InceptionV3.Mode.EVAL);
            }
        }

        @Override
        public void close() {
            if (step != null) {
                step.close();
            }
            x.close();
        }
    }

    /**
     * The real backend behind a proxy that times every call and synchronizes after it. Its tensors are
     * the inner backend's storage under the proxy's name, so {@link Ops} sends every op through here.
     */
    private static final class Timing {
        record Timed(String op, long nanos) {
        }

        private static final Set<String> UNTIMED = Set.of("name", "describe", "unsupported", "liveBytes", "close",
                "allocate", "empty", "toString", "hashCode", "equals");

        final Backend proxy;
        private List<Timed> timed;

        Timing(Backend inner) {
            proxy = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                    (self, m, args) -> invoke(inner, (Backend) self, m, args));
        }

        void start() {
            timed = new ArrayList<>();
        }

        List<Timed> stop() {
            List<Timed> t = timed;
            timed = null;
            return t;
        }

        private Object invoke(Backend inner, Backend self, Method m, Object[] args) throws Throwable {
            String op = m.getName();
            switch (op) {
                case "close":
                    return null;   // the inner backend belongs to the caller
                case "toString":
                    return "profiling " + inner.name();
                case "hashCode":
                    return System.identityHashCode(self);
                case "equals":
                    return self == args[0];
                default:
                    break;
            }
            boolean time = timed != null && !UNTIMED.contains(op);
            long t0 = time ? System.nanoTime() : 0;
            Object result;
            try {
                result = m.invoke(inner, args);
                if (time) {
                    inner.synchronize();
                }
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
            if (time) {
                timed.add(new Timed(op, System.nanoTime() - t0));
            }
            if (result instanceof Tensor theirs && theirs.backend() == inner) {
                TensorScope.detach(theirs);
                return new Tensor(self, theirs.shape(), theirs.storage(Storage.class));
            }
            return result;
        }
    }
}
