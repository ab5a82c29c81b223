package org.inceptionj.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.inceptionj.api.Ops;
import org.inceptionj.api.ReduceOp;
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
 * The reduction of the head, {@code avgpool}: the mean over H and W of Mixed_7c's output,
 * [N,2048,8,8] → [N,2048,1,1], out[n,c] = (1/64)·Σ_{h,w} x[n,c,h,w] (Ops.globalAvgPool, a MEAN
 * reduce over axes 2 and 3).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:Tier3DelayOn=100000"})
public class GlobalAvgPoolBenchmark {
    private static final int C = 2048, SIDE = 8;
    private static final boolean[] SPATIAL_AXES = {false, false, true, true};

    @Param({"1", "8"})
    public int batch;

    @Param({"vector"})
    public String impl;

    @Param({"all"})
    public String threads;

    private CpuBackend backend;
    private Tensor x, out;

    @Setup(Level.Trial)
    public void setUp() {
        backend = Bench.backend(impl, threads);
        int hw = SIDE * SIDE;
        float[] xs = Bench.uniform(1, batch * C * hw, 0f, 4f);
        x = Ops.fromArray(backend, Shape.of(batch, C, SIDE, SIDE), xs);
        out = Ops.globalAvgPool(x);

        float[] actual = out.toArray();
        SplittableRandom r = new SplittableRandom(2);
        for (int k = 0; k < 256; k++) {
            int nc = k == 0 ? 0 : k == 1 ? batch * C - 1 : r.nextInt(batch * C);
            double sum = 0;
            for (int i = 0; i < hw; i++) {
                sum += xs[nc * hw + i];
            }
            Bench.check("GlobalAvgPoolBenchmark", "[n·C+c = " + nc + "]", sum / hw, actual[nc], 1e-5 * (sum / hw) + 1e-6);
        }
    }

    @Benchmark
    public void globalAvgPool() {
        backend.reduce(ReduceOp.MEAN, out, x, SPATIAL_AXES);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        out.close();
        x.close();
        backend.close();
    }
}
