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
 * Softmax and log-softmax of the logits [N,1000] along the class axis:
 * softmax = exp(x − max) / Σ exp(x − max), logSoftmax = x − max − log Σ exp(x − max).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:Tier3DelayOn=100000"})
public class SoftmaxBenchmark {
    private static final int CLASSES = 1000;

    @Param({"32"})
    public int batch;

    @Param({"vector"})
    public String impl;

    @Param({"all"})
    public String threads;

    private CpuBackend backend;
    private Tensor logits, probs, logProbs;

    @Setup(Level.Trial)
    public void setUp() {
        backend = Bench.backend(impl, threads);
        // Logits of realistic spread, with an offset that overflows exp() unless the max is subtracted.
        float[] xs = Bench.uniform(1, batch * CLASSES, 80f, 100f);
        logits = Ops.fromArray(backend, Shape.of(batch, CLASSES), xs);
        probs = Ops.softmax(logits, 1);
        logProbs = Ops.logSoftmax(logits, 1);

        float[] p = probs.toArray(), lp = logProbs.toArray();
        for (int n : new int[]{0, batch / 2, batch - 1}) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int c = 0; c < CLASSES; c++) {
                max = Math.max(max, xs[n * CLASSES + c]);
            }
            for (int c = 0; c < CLASSES; c++) {
                sum += Math.exp(xs[n * CLASSES + c] - max);
            }
            for (int c = 0; c < CLASSES; c++) {
                int i = n * CLASSES + c;
                double e = Math.exp(xs[i] - max) / sum, le = xs[i] - max - Math.log(sum);
                Bench.check("SoftmaxBenchmark softmax", "[" + n + "," + c + "]", e, p[i], 1e-5 * e + 1e-9);
                Bench.check("SoftmaxBenchmark logSoftmax", "[" + n + "," + c + "]", le, lp[i], 1e-5 * (Math.abs(le) + 1));
            }
        }
    }

    @Benchmark
    public void softmax() {
        backend.softmax(probs, logits, 1, false);
    }

    @Benchmark
    public void logSoftmax() {
        backend.softmax(logProbs, logits, 1, true);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (Tensor t : new Tensor[]{logProbs, probs, logits}) {
            t.close();
        }
        backend.close();
    }
}
