package org.inceptionj.bench;

import java.util.concurrent.TimeUnit;

import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.cpu.CpuBackend;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.Summary;
import org.inceptionj.inception.train.TrainConfig;
import org.inceptionj.inception.train.TrainStep;
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
 * One training step of the paper's recipe at 299×299 with the aux head ({@link TrainStep}: forward in
 * training mode, label-smoothed loss + 0.4·aux loss, backward, weight decay, clipping, RMSProp, the
 * parameter average). Work per op, for the {@code :gflop} secondary result: 3 × the training-mode
 * multiply-adds × 2 FLOP × batch, the usual estimate (forward, data gradient and weight gradient of
 * every convolution and fc cost one forward each); the optimizer's elementwise updates are not counted.
 *
 * <p>Self-check: every step's total loss is finite (a wrong gradient soon diverges under RMSProp).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 10)
@Measurement(iterations = 3, time = 20)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:Tier3DelayOn=100000", "-Xmx16g"})
public class TrainStepBenchmark {

    @Param({"8"})
    public int batch;

    @Param({"all"})
    public String threads;

    private CpuBackend backend;
    private InceptionV3 model;
    private TrainStep step;
    private Tensor x;
    private int[] labels;
    private double gflopPerOp;

    @Setup(Level.Trial)
    public void setUp() {
        backend = Bench.backend("vector", threads);
        model = new InceptionV3(backend, InceptionV3.Config.torchvision(), 42);
        step = new TrainStep(model, TrainConfig.paper());
        x = TensorScope.detach(Ops.fromArray(backend, Shape.of(batch, 3, 299, 299),
                Bench.uniform(1, batch * 3 * 299 * 299, -1f, 1f)));
        labels = new int[batch];
        for (int i = 0; i < batch; i++) {
            labels[i] = (i * 397) % 1000;
        }
        long macs = Summary.of(model.config(), 299, 299, InceptionV3.Mode.TRAIN).macs();
        gflopPerOp = 3 * 2.0 * macs * batch / 1e9;
        System.out.printf("%nInception-v3 training step 299x299 batch %d (aux head): ~%.1f GFLOP per op; %s%n", batch,
                gflopPerOp, backend.describe());
    }

    @Benchmark
    public double trainStep(Bench.Flops flops) {
        TrainStep.Result r = step.run(x, labels);
        if (!Double.isFinite(r.totalLoss())) {
            throw new IllegalStateException("TrainStepBenchmark: step " + r.step() + " has loss " + r.totalLoss());
        }
        flops.gflop += gflopPerOp;
        return r.totalLoss();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        step.close();
        x.close();
        model.close();
        backend.close();
    }
}
