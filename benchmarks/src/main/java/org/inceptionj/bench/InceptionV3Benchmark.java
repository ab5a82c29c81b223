package org.inceptionj.bench;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.cpu.CpuBackend;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.Summary;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The whole Inception-v3 evaluation forward pass at 299×299 (torchvision preset, seeded random
 * weights): what a user of {@code predict} waits for. Work per op: FLOP = 2 · 5,713,216,096 · batch
 * (the cost table's multiply-adds, spec §8); the {@code :gflop} secondary result is GFLOP/s, to be
 * read against {@link FmaPeakBenchmark} measured in the same run. Everything the forward allocates
 * (activations, scratch) is inside the timed region, as it is for a user.
 *
 * <p>Self-check: the logits are finite, of shape [batch, 1000], identical for every image of the
 * batch (the images are copies of one image, so any cross-talk between batch elements shows), and
 * identical from one call to the next (the backend is deterministic).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 10)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:Tier3DelayOn=100000", "-Xmx8g"})
public class InceptionV3Benchmark {

    @Param({"1", "32"})
    public int batch;

    @Param({"all"})
    public String threads;

    private CpuBackend backend;
    private InceptionV3 model;
    private Tensor x;
    private float[] reference;
    private double gflopPerOp;

    @Setup(Level.Trial)
    public void setUp() {
        backend = Bench.backend("vector", threads);
        model = new InceptionV3(backend, InceptionV3.Config.torchvision(), 42);
        float[] image = Bench.uniform(1, 3 * 299 * 299, -1f, 1f);
        float[] images = new float[batch * image.length];
        for (int n = 0; n < batch; n++) {
            System.arraycopy(image, 0, images, n * image.length, image.length);
        }
        x = TensorScope.detach(Ops.fromArray(backend, Shape.of(batch, 3, 299, 299), images));
        long macs = Summary.of(model.config(), 299, 299, InceptionV3.Mode.EVAL).macs();
        gflopPerOp = 2.0 * macs * batch / 1e9;
        System.out.printf("%nInception-v3 forward 299x299 batch %d: %.3f GFLOP per op; %s%n", batch, gflopPerOp,
                backend.describe());
        reference = logits();
        if (reference.length != batch * 1000) {
            throw new IllegalStateException("InceptionV3Benchmark: " + reference.length + " logits, expected "
                    + batch * 1000);
        }
        for (int i = 0; i < reference.length; i++) {
            if (!Float.isFinite(reference[i])) {
                throw new IllegalStateException("InceptionV3Benchmark: logit " + i + " is " + reference[i]);
            }
            Bench.check("InceptionV3Benchmark", "image " + i / 1000 + " logit " + i % 1000, reference[i % 1000],
                    reference[i], 0.0);
        }
    }

    private float[] logits() {
        try (TensorScope s = TensorScope.open()) {
            return model.forward(x, InceptionV3.Mode.EVAL).logits().toArray();
        }
    }

    @Benchmark
    public float forward(Bench.Flops flops) {
        try (TensorScope s = TensorScope.open()) {
            Tensor logits = model.forward(x, InceptionV3.Mode.EVAL).logits();
            flops.gflop += gflopPerOp;
            return logits.toArray()[0];
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        float[] again = logits();
        if (!Arrays.equals(reference, again)) {
            throw new IllegalStateException("InceptionV3Benchmark: the logits changed between calls");
        }
        x.close();
        model.close();
        backend.close();
    }
}
