package org.inceptionj.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.cpu.CpuBackend;
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
 * Inference batch norm, as after every convolution of the network (eps 0.001):
 * out = gamma[c]·(x − mean[c]) / √(var[c] + eps) + beta[c], on [N,C,H,W] with C×H×W from
 * {@code shape}. Memory-bound: one read and one write of the activation per op.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:Tier3DelayOn=100000"})
public class BatchNormBenchmark {
    private static final float EPS = 0.001f;

    @Param({"192x35x35", "768x17x17"})
    public String shape;

    @Param({"1", "8"})
    public int batch;

    @Param({"vector", "plain"})
    public String impl;

    @Param({"all"})
    public String threads;

    private CpuBackend backend;
    private Tensor x, gamma, beta, mean, var, out;

    @Setup(Level.Trial)
    public void setUp() {
        int[] chw = Bench.chw(shape);
        int c = chw[0], hw = chw[1] * chw[2];
        backend = Bench.backend(impl, threads);
        float[] xs = Bench.uniform(1, batch * c * hw, -3f, 3f);
        float[] g = Bench.uniform(2, c, 0.5f, 1.5f), b = Bench.uniform(3, c, -0.5f, 0.5f);
        float[] m = Bench.uniform(4, c, -1f, 1f), v = Bench.uniform(5, c, 0.1f, 2f);
        x = Ops.fromArray(backend, Shape.of(batch, c, chw[1], chw[2]), xs);
        gamma = Ops.fromArray(backend, Shape.of(c), g);
        beta = Ops.fromArray(backend, Shape.of(c), b);
        mean = Ops.fromArray(backend, Shape.of(c), m);
        var = Ops.fromArray(backend, Shape.of(c), v);
        out = Ops.batchNorm(x, gamma, beta, mean, var, EPS);

        float[] actual = out.toArray();
        SplittableRandom r = new SplittableRandom(6);
        for (int k = 0; k < 256; k++) {
            int i = k == 0 ? 0 : k == 1 ? actual.length - 1 : r.nextInt(actual.length);
            int ch = i / hw % c;
            double expected = g[ch] * (xs[i] - (double) m[ch]) / Math.sqrt(v[ch] + (double) EPS) + b[ch];
            Bench.check("BatchNormBenchmark " + shape, "element " + i, expected, actual[i],
                    1e-5 * (Math.abs(expected) + 1));
        }
    }

    @Benchmark
    public void batchNorm() {
        backend.batchNormInference(out, x, gamma, beta, mean, var, EPS);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (Tensor t : new Tensor[]{out, var, mean, beta, gamma, x}) {
            t.close();
        }
        backend.close();
    }
}
