package org.inceptionj.bench;

import java.util.concurrent.TimeUnit;

import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.cpu.CpuBackend;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.Presets;
import org.inceptionj.inception.Summary;
import org.inceptionj.inception.train.Recipe;
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
 * One training step of the default run ({@code train} with no options): Inception-v3 at 75×75, width
 * 0.25, 10 classes, no aux head (it needs 299×299), dropout as the {@code small} recipe sets it,
 * batch 64, and the {@code small} recipe's step (SGD with Nesterov momentum, weight decay, label
 * smoothing) on random images. Images/s is the throughput × batch; compare {@code -p threads=1,2}
 * for the two-thread scaling, and PyTorch's step on the same configuration with
 * {@code shared/peers/torch_step.py train 75 0.25 64 20 THREADS noaux}.
 *
 * <p>Self-check: every step's total loss is finite.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:Tier3DelayOn=100000", "-Xmx8g"})
public class SmallTrainStepBenchmark {
    static final int SIZE = 75, CLASSES = 10;
    static final double WIDTH = 0.25;

    @Param({"64"})
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
        Recipe recipe = Recipe.small();
        InceptionV3.Config config = Presets.named("inception-v3").withNumClasses(CLASSES).withWidthMultiplier(WIDTH)
                .withAuxLogits(false);
        if (recipe.dropout() != null) {
            config = config.withDropout(recipe.dropout());
        }
        model = new InceptionV3(backend, config, 42);
        step = new TrainStep(model, recipe.config(recipe.epochs()));
        x = TensorScope.detach(Ops.fromArray(backend, Shape.of(batch, 3, SIZE, SIZE),
                Bench.uniform(1, batch * 3 * SIZE * SIZE, -1f, 1f)));
        labels = new int[batch];
        for (int i = 0; i < batch; i++) {
            labels[i] = (i * 7) % CLASSES;
        }
        long macs = Summary.of(model.config(), SIZE, SIZE, InceptionV3.Mode.TRAIN).macs();
        gflopPerOp = 3 * 2.0 * macs * batch / 1e9;
        System.out.printf("%nthe default run's training step: %dx%d, width %.2f, batch %d: ~%.2f GFLOP per op; %s%n",
                SIZE, SIZE, WIDTH, batch, gflopPerOp, backend.describe());
    }

    @Benchmark
    public double trainStep(Bench.Flops flops) {
        TrainStep.Result r = step.run(x, labels);
        if (!Double.isFinite(r.totalLoss())) {
            throw new IllegalStateException("SmallTrainStepBenchmark: step " + r.step() + " has loss " + r.totalLoss());
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
