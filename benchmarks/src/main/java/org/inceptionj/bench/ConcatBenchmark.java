package org.inceptionj.bench;

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
 * Mixed_5b's channel concat: branch1x1 [N,64,35,35], branch5x5 [N,64,35,35], branch3x3dbl
 * [N,96,35,35] and branch_pool [N,32,35,35] into [N,256,35,35], in that order. A pure copy.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:Tier3DelayOn=100000"})
public class ConcatBenchmark {
    private static final int[] BRANCH_CHANNELS = {64, 64, 96, 32};
    private static final int SIDE = 35;

    @Param({"1", "8"})
    public int batch;

    @Param({"vector"})
    public String impl;

    @Param({"all"})
    public String threads;

    private CpuBackend backend;
    private Tensor[] branches;
    private Tensor out;

    @Setup(Level.Trial)
    public void setUp() {
        backend = Bench.backend(impl, threads);
        int hw = SIDE * SIDE;
        float[][] data = new float[BRANCH_CHANNELS.length][];
        branches = new Tensor[BRANCH_CHANNELS.length];
        for (int b = 0; b < branches.length; b++) {
            data[b] = Bench.uniform(b + 1, batch * BRANCH_CHANNELS[b] * hw, -1f, 1f);
            branches[b] = Ops.fromArray(backend, Shape.of(batch, BRANCH_CHANNELS[b], SIDE, SIDE), data[b]);
        }
        out = Ops.concat(1, branches);

        // A copy is exact: check every element, walking the output in order.
        float[] actual = out.toArray();
        int i = 0;
        for (int n = 0; n < batch; n++) {
            for (int b = 0; b < branches.length; b++) {
                for (int k = 0; k < BRANCH_CHANNELS[b] * hw; k++, i++) {
                    Bench.check("ConcatBenchmark", "output element " + i + " (image " + n + ", branch " + b + ")",
                            data[b][n * BRANCH_CHANNELS[b] * hw + k], actual[i], 0);
                }
            }
        }
        if (i != actual.length) {
            throw new IllegalStateException("ConcatBenchmark: output has " + actual.length + " elements, expected " + i);
        }
    }

    @Benchmark
    public void concat() {
        backend.concat(out, branches, 1);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        out.close();
        for (Tensor t : branches) {
            t.close();
        }
        backend.close();
    }
}
