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
 * The branch_pool average pool of Mixed_5d (input 288×35×35): 3×3, stride 1, padding 1,
 * out = (Σ of the window's real cells) / divisor, with divisor 9 everywhere when
 * {@code countIncludePad} (torchvision) or the number of real cells in the window (TF-slim,
 * Keras): the two modes of spec §9.1, which differ only on the border.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:Tier3DelayOn=100000"})
public class AvgPoolBenchmark {

    @Param({"true", "false"})
    public boolean countIncludePad;

    @Param({"288x35x35"})
    public String shape;

    @Param({"1", "8"})
    public int batch;

    @Param({"vector"})
    public String impl;

    @Param({"all"})
    public String threads;

    private CpuBackend backend;
    private Pool2dSpec spec;
    private Tensor x, out;

    @Setup(Level.Trial)
    public void setUp() {
        int[] chw = Bench.chw(shape);
        int c = chw[0], h = chw[1], w = chw[2];
        backend = Bench.backend(impl, threads);
        spec = Pool2dSpec.of(3, 1, 1).withCountIncludePad(countIncludePad);
        float[] xs = Bench.uniform(1, batch * c * h * w, -1f, 1f);
        x = Ops.fromArray(backend, Shape.of(batch, c, h, w), xs);
        out = Ops.avgPool2d(x, spec);

        float[] actual = out.toArray();
        SplittableRandom r = new SplittableRandom(3);
        for (int k = 0; k < 256; k++) {
            int n = r.nextInt(batch), ch = r.nextInt(c);
            // The corners first: there the two divisors (9 against 4) differ most.
            int oh = k < 4 ? (k / 2) * (h - 1) : r.nextInt(h);
            int ow = k < 4 ? (k % 2) * (w - 1) : r.nextInt(w);
            double sum = 0;
            int cells = 0;
            for (int ih = oh - 1; ih <= oh + 1; ih++) {
                for (int iw = ow - 1; iw <= ow + 1; iw++) {
                    if (ih >= 0 && ih < h && iw >= 0 && iw < w) {
                        sum += xs[((n * c + ch) * h + ih) * w + iw];
                        cells++;
                    }
                }
            }
            double expected = sum / (countIncludePad ? 9 : cells);
            Bench.check("AvgPoolBenchmark " + shape + " countIncludePad=" + countIncludePad,
                    "[" + n + "," + ch + "," + oh + "," + ow + "]", expected,
                    actual[((n * c + ch) * h + oh) * w + ow], 1e-6);
        }
    }

    @Benchmark
    public void avgPool() {
        backend.avgPool2d(out, x, spec);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        out.close();
        x.close();
        backend.close();
    }
}
