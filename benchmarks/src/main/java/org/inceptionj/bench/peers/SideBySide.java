package org.inceptionj.bench.peers;

import java.lang.management.ManagementFactory;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import org.inceptionj.api.Ops;
import org.inceptionj.bench.MemoryPages;
import org.inceptionj.bench.SideBySideOptions;
import org.inceptionj.bench.Turns;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.cpu.CpuBackend;
import org.inceptionj.cpu.CpuConfig;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.Presets;
import org.inceptionj.inception.io.SafeTensors;
import org.inceptionj.inception.io.WeightsLoader;
import org.inceptionj.inception.onnx.OnnxExport;
import org.inceptionj.inception.train.TrainConfig;
import org.inceptionj.inception.train.TrainStep;

/**
 * InceptionJ beside its peers, in one process, with equal thread counts and the same weights and inputs:
 * images/s of inference (evaluation forward) against ONNX Runtime on the model exported by
 * {@link OnnxExport}, and of a training step (the paper's recipe, {@link TrainStep}) against PyTorch
 * through DJL on a TorchScript file made from the same weights by {@code benchmarks/tools/make_torchscript_step.py}.
 * Prints one table of the ratios (InceptionJ ÷ peer: above 1, InceptionJ is faster) and the load average
 * before and after, since a shared machine moves every figure. Each figure is the median of {@code --steps}
 * timed calls after {@code --warmup} untimed ones; InceptionJ and its peer are timed in turns
 * ({@link Turns}: blocks of calls of each, alternating), so that both meet the same minutes of the host.
 *
 * <p>Threads: InceptionJ's CPU backend gets {@code --threads} workers; ONNX Runtime {@code --threads}
 * intra-op threads, one inter-op thread, sequential execution; PyTorch {@code --threads} intra-op threads
 * and one inter-op thread (DJL's {@code ai.djl.pytorch.num_threads} / {@code num_interop_threads}).
 *
 * <p>Run it from the class path the {@code peers} profile writes (benchmarks/README.md):
 * <pre>
 * ./mvnw -Ppeers -pl benchmarks -am package -DskipTests
 * java --add-modules jdk.incubator.vector -cp "benchmarks/target/classes:$(cat benchmarks/target/peers-classpath.txt)" \
 *     org.inceptionj.bench.peers.SideBySide --threads 2
 * </pre>
 * The report says which memory pages each side had ({@link MemoryPages}).
 */
public final class SideBySide {
    private SideBySide() {
    }

    /** Options: {@link SideBySideOptions#USAGE}; a bad value stops with exit code 2 and a line naming it. */
    public static void main(String[] args) throws Exception {
        SideBySideOptions o;
        try {
            o = SideBySideOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("SideBySide: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (o == null) {
            System.out.print(SideBySideOptions.USAGE);
            return;
        }
        try {
            run(o);
        } catch (IllegalArgumentException e) { // weights that do not match inception-v3, named by the loader
            System.err.println("SideBySide: " + e.getMessage());
            System.exit(2);
        }
    }

    /** One row of the table. */
    record Row(String work, int batch, double ours, double peer, String peerName) {
    }

    static void run(SideBySideOptions o) throws Exception {
        double loadBefore = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        MemoryPages pages = MemoryPages.ofThisProcess();
        Path work = o.work() != null ? Files.createDirectories(o.work()) : Files.createTempDirectory("inceptionj-sidebyside");
        List<Row> rows = new ArrayList<>();
        InceptionV3.Config config = Presets.named("inception-v3");
        boolean aux = o.size() >= InceptionV3.MIN_AUX_INPUT;
        try (CpuBackend backend = new CpuBackend(new CpuConfig(o.threads(), true))) {
            InceptionV3 model;
            Path weights;
            if (o.weights() != null) {
                SafeTensors st = SafeTensors.read(o.weights());
                model = new InceptionV3(backend, WeightsLoader.fitHeads(config, st), 0);
                WeightsLoader.load(model, st, true);
                weights = o.weights();
            } else {
                model = Peers.model(backend, config, 42);
                weights = work.resolve("weights.safetensors");
                WeightsLoader.save(model, weights);
            }
            try (model) {
                System.out.printf(Locale.ROOT, "InceptionJ %s; %d thread(s) for every engine; input %dx%d; weights %s%n",
                        backend.describe(), o.threads(), o.size(), o.size(), weights);
                System.out.println(pages.describe());
                Path onnx = work.resolve("inception_v3.onnx");
                OnnxExport.write(model, o.size(), onnx, true);
                int maxBatch = Arrays.stream(o.batches()).max().orElse(1);
                float[] images = Peers.uniform(1, maxBatch * 3 * o.size() * o.size());
                OrtEnvironment env = OrtEnvironment.getEnvironment();
                try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
                    so.setIntraOpNumThreads(o.threads());
                    so.setInterOpNumThreads(1);
                    so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
                    so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                    try (OrtSession session = env.createSession(onnx.toString(), so)) {
                        for (int b : o.batches()) {
                            float[] x = Arrays.copyOf(images, b * 3 * o.size() * o.size());
                            rows.add(inference(o, model, backend, session, env, x, b));
                        }
                    }
                }
                if (o.train()) {
                    InceptionV3 trained = model;
                    if (!aux) {
                        System.out.printf("training without the aux head: it needs %d x %d inputs%n",
                                InceptionV3.MIN_AUX_INPUT, InceptionV3.MIN_AUX_INPUT);
                    }
                    rows.add(training(o, trained, backend, aux, weights));
                }
            }
        }
        double loadAfter = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        System.out.println();
        System.out.printf(Locale.ROOT, "%-16s %5s %14s %14s  %-18s %s%n", "work", "batch", "InceptionJ/s", "peer/s", "peer",
                "InceptionJ / peer");
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "%-16s %5d %14.2f %14s  %-18s %s%n", r.work(), r.batch(), r.ours(),
                    Double.isNaN(r.peer()) ? "-" : String.format(Locale.ROOT, "%.2f", r.peer()), r.peerName(),
                    Double.isNaN(r.peer()) ? "-" : String.format(Locale.ROOT, "%.3f", r.ours() / r.peer()));
        }
        System.out.printf(Locale.ROOT, "images/s, medians of %d timed calls after %d warm-up calls; %d thread(s) each;"
                + " load average %.2f before, %.2f after (on a shared machine these move every figure)%n",
                o.steps(), o.warmup(), o.threads(), loadBefore, loadAfter);
        System.out.println(pages.describe());
    }

    private static Row inference(SideBySideOptions o, InceptionV3 model, CpuBackend backend, OrtSession session, OrtEnvironment env,
                                 float[] x, int b) throws Exception {
        Shape shape = Shape.of(b, 3, o.size(), o.size());
        float[] ours;
        try (TensorScope s = TensorScope.open()) {
            Tensor t = Ops.fromArray(backend, shape, x);
            ours = model.forward(t, InceptionV3.Mode.EVAL).logits().toArray();
        }
        long[] dims = {b, 3, o.size(), o.size()};
        float[] theirs;
        try (OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), dims);
             OrtSession.Result r = session.run(Map.of(OnnxExport.INPUT, in))) {
            OnnxTensor out = (OnnxTensor) r.get(OnnxExport.OUTPUT).orElseThrow();
            theirs = new float[ours.length];
            out.getFloatBuffer().get(theirs);
        }
        double rel = Peers.relativeL2(theirs, ours);
        System.out.printf(Locale.ROOT, "inference batch %d: ONNX Runtime's logits against InceptionJ's: relative L2 %.2e%n", b, rel);
        if (!(rel <= 1e-4)) {
            throw new IllegalStateException("ONNX Runtime and InceptionJ disagree at batch " + b + ": relative L2 " + rel);
        }
        double[] medians = Turns.medians(o.warmup(), o.steps(), () -> {
            try (TensorScope s = TensorScope.open()) {
                Tensor t = Ops.fromArray(backend, shape, x);
                model.forward(t, InceptionV3.Mode.EVAL).logits().toArray();
            }
        }, () -> {
            try (OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), dims);
                 OrtSession.Result r = session.run(Map.of(OnnxExport.INPUT, in))) {
                ((OnnxTensor) r.get(0)).getFloatBuffer().get(0);
            }
        });
        double oursMedian = medians[0], ortMedian = medians[1];
        return new Row("inference", b, b / oursMedian, b / ortMedian, "ONNX Runtime " + env.getVersion());
    }

    private static Row training(SideBySideOptions o, InceptionV3 model, CpuBackend backend, boolean aux, Path weights) throws Exception {
        int b = o.trainBatch();
        Shape shape = Shape.of(b, 3, o.size(), o.size());
        float[] x = Peers.uniform(2, b * 3 * o.size() * o.size());
        int[] labels = new int[b];
        for (int i = 0; i < b; i++) {
            labels[i] = (i * 397) % model.config().numClasses();
        }
        InceptionV3 m = model;
        InceptionV3 noAux = null;
        if (!aux && model.config().auxLogits()) {
            noAux = new InceptionV3(backend, model.config().withAuxLogits(false), 0);
            Map<String, Tensor> from = model.parameters().asMap();
            for (Map.Entry<String, Tensor> e : noAux.parameters().asMap().entrySet()) {
                backend.copy(e.getValue(), from.get(e.getKey()));
            }
            m = noAux;
        }
        double oursMedian;
        double torchMedian = Double.NaN;
        String peer = "PyTorch (DJL)";
        try (TrainStep step = new TrainStep(m, TrainConfig.paper());
             TensorScope s = TensorScope.open()) {
            Tensor t = Ops.fromArray(backend, shape, x);
            TrainStep.Result first = step.run(t, labels);
            // Comparable with PyTorch's first loss on the same weights and images, not equal: dropout draws other masks.
            System.out.printf(Locale.ROOT, "InceptionJ training step: first step's loss %.4f (cross-entropy%s)%n",
                    first.loss() + (aux ? 0.4 * first.auxLoss() : 0), aux ? " + 0.4 x aux" : "");
            Turns.Call ours = () -> step.run(t, labels);
            if (o.torchscript() == null) {
                System.out.println("PyTorch training step skipped: make it from the same weights with"
                        + " benchmarks/tools/make_torchscript_step.py " + weights + " STEP.pt" + (aux ? "" : " noaux")
                        + " (from a folder holding tvinception.py, see shared/peers/README.md) and pass --torchscript STEP.pt");
                peer = "PyTorch: skipped";
                oursMedian = median(o, ours);
            } else {
                double[] medians = TorchStep.medians(o, x, labels, ours);
                oursMedian = medians[0];
                torchMedian = medians[1];
            }
        } finally {
            if (noAux != null) {
                noAux.close();
            }
        }
        return new Row("training step", b, b / oursMedian, b / torchMedian, peer);
    }

    /** Seconds per call: the median of {@code o.steps()} calls after {@code o.warmup()} untimed ones. */
    static double median(SideBySideOptions o, Turns.Call c) throws Exception {
        for (int i = 0; i < o.warmup(); i++) {
            c.run();
        }
        double[] t = new double[o.steps()];
        for (int i = 0; i < t.length; i++) {
            long t0 = System.nanoTime();
            c.run();
            t[i] = (System.nanoTime() - t0) / 1e9;
        }
        Arrays.sort(t);
        return t.length % 2 == 1 ? t[t.length / 2] : (t[t.length / 2 - 1] + t[t.length / 2]) / 2;
    }
}
