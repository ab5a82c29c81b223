package org.inceptionj.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.inceptionj.api.BinaryOp;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.UnaryOp;
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
 * Elementwise ops on activations [N,C,H,W]: {@code relu} out = max(x, 0) (after every
 * convolution) and {@code add} out = a + b (same shapes, no broadcast; gradient accumulation
 * where one tensor feeds four branches). Shapes: the stem's largest activation, Conv2d_2b_3x3's
 * output 64×147×147, and Mixed_5d's output 288×35×35. Memory-bound.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:Tier3DelayOn=100000"})
public class ElementwiseBenchmark {

    @Param({"64x147x147", "288x35x35"})
    public String shape;

    @Param({"1", "8"})
    public int batch;

    @Param({"vector"})
    public String impl;

    @Param({"all"})
    public String threads;

    private CpuBackend backend;
    private Tensor a, b, reluOut, addOut;

    @Setup(Level.Trial)
    public void setUp() {
        int[] chw = Bench.chw(shape);
        Shape s = Shape.of(batch, chw[0], chw[1], chw[2]);
        backend = Bench.backend(impl, threads);
        float[] as = Bench.uniform(1, s.size(), -1f, 1f), bs = Bench.uniform(2, s.size(), -1f, 1f);
        a = Ops.fromArray(backend, s, as);
        b = Ops.fromArray(backend, s, bs);
        reluOut = Ops.relu(a);
        addOut = Ops.add(a, b);

        // Both are exact in float32: the results must match bit for bit.
        float[] relu = reluOut.toArray(), add = addOut.toArray();
        SplittableRandom r = new SplittableRandom(3);
        for (int k = 0; k < 256; k++) {
            int i = k == 0 ? 0 : k == 1 ? s.size() - 1 : r.nextInt(s.size());
            Bench.check("ElementwiseBenchmark relu " + s, "element " + i, Math.max(as[i], 0f), relu[i], 0);
            Bench.check("ElementwiseBenchmark add " + s, "element " + i, as[i] + bs[i], add[i], 0);
        }
    }

    @Benchmark
    public void relu() {
        backend.unary(UnaryOp.RELU, reluOut, a);
    }

    @Benchmark
    public void add() {
        backend.binary(BinaryOp.ADD, addOut, a, b);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (Tensor t : new Tensor[]{addOut, reluOut, b, a}) {
            t.close();
        }
        backend.close();
    }
}
