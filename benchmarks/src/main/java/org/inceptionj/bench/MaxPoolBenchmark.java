package org.inceptionj.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.inceptionj.api.Ops;
import org.inceptionj.api.Pool2dSpec;
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
 * Max pool 3×3, stride 2, no padding: out[n,c,oh,ow] = max_{i,j<3} x[n,c,2·oh+i,2·ow+j].
 * Shapes: maxpool1 on 64×147×147 (→ 73×73) and Mixed_6a's pool branch on 288×35×35 (→ 17×17).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:Tier3DelayOn=100000"})
public class MaxPoolBenchmark {
    private static final Pool2dSpec SPEC = Pool2dSpec.of(3, 2, 0);

    @Param({"64x147x147", "288x35x35"})
    public String shape;

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
        int[] chw = Bench.chw(shape);
        int c = chw[0], h = chw[1], w = chw[2];
        backend = Bench.backend(impl, threads);
        float[] xs = Bench.uniform(1, batch * c * h * w, -1f, 1f);
        x = Ops.fromArray(backend, Shape.of(batch, c, h, w), xs);
        out = Ops.maxPool2d(x, SPEC);

        int outH = SPEC.outH(h), outW = SPEC.outW(w);
        float[] actual = out.toArray();
        SplittableRandom r = new SplittableRandom(3);
        for (int k = 0; k < 256; k++) {
            int n = r.nextInt(batch), ch = r.nextInt(c);
            int oh = k < 4 ? (k / 2) * (outH - 1) : r.nextInt(outH);
            int ow = k < 4 ? (k % 2) * (outW - 1) : r.nextInt(outW);
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) {
                    max = Math.max(max, xs[((n * c + ch) * h + 2 * oh + i) * w + 2 * ow + j]);
                }
            }
            Bench.check("MaxPoolBenchmark " + shape, "[" + n + "," + ch + "," + oh + "," + ow + "]", max,
                    actual[((n * c + ch) * outH + oh) * outW + ow], 0);
        }
    }

    @Benchmark
    public void maxPool() {
        backend.maxPool2d(out, x, SPEC);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        out.close();
        x.close();
        backend.close();
    }
}
