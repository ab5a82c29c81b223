package org.inceptionj.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.inceptionj.api.BinaryOp;
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
 * The classifier {@code fc}: y[N,1000] = x[N,2048]·wᵀ + bias with w [1000,2048] (PyTorch's
 * layout), as Ops.linear does it: matmul with transposed b, then a broadcast bias add.
 * FLOP per op = 2·N·2048·1000 (the N·1000 bias adds are not counted); {@code :gflop} is GFLOP/s.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:Tier3DelayOn=100000"})
public class LinearBenchmark {
    private static final int IN = 2048, OUT = 1000;

    @Param({"32"})
    public int batch;

    @Param({"vector"})
    public String impl;

    @Param({"all"})
    public String threads;

    private CpuBackend backend;
    private Tensor x, w, bias, y;
    private double gflopPerOp;

    @Setup(Level.Trial)
    public void setUp() {
        backend = Bench.backend(impl, threads);
        float[] xs = Bench.uniform(1, batch * IN, -1f, 1f);
        float[] ws = Bench.uniform(2, OUT * IN, -0.05f, 0.05f);
        float[] bs = Bench.uniform(3, OUT, -1f, 1f);
        x = Ops.fromArray(backend, Shape.of(batch, IN), xs);
        w = Ops.fromArray(backend, Shape.of(OUT, IN), ws);
        bias = Ops.fromArray(backend, Shape.of(OUT), bs);
        y = Ops.linear(x, w, bias);

        long flop = 2L * batch * IN * OUT;
        gflopPerOp = flop / 1e9;
        System.out.printf("%nlinear 2048->1000 batch %d: %d FLOP per op (GFLOP/s = %.6f x ops/s); %s%n",
                batch, flop, gflopPerOp, backend.describe());

        float[] actual = y.toArray();
        SplittableRandom r = new SplittableRandom(4);
        for (int k = 0; k < 64; k++) {
            int n = r.nextInt(batch), o = r.nextInt(OUT);
            double sum = bs[o], magnitude = Math.abs(bs[o]);
            for (int i = 0; i < IN; i++) {
                double p = (double) xs[n * IN + i] * ws[o * IN + i];
                sum += p;
                magnitude += Math.abs(p);
            }
            // float32 sums of 2,048 products in any order stay far inside 1e-4·Σ|terms|.
            Bench.check("LinearBenchmark", "[" + n + "," + o + "]", sum, actual[n * OUT + o], 1e-4 * magnitude + 1e-6);
        }
    }

    @Benchmark
    public void linear(Bench.Flops flops) {
        backend.matmul(y, x, w, false, true);
        backend.binary(BinaryOp.ADD, y, y, bias);
        flops.gflop += gflopPerOp;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (Tensor t : new Tensor[]{y, bias, w, x}) {
            t.close();
        }
        backend.close();
    }
}
