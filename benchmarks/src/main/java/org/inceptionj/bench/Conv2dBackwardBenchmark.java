package org.inceptionj.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.inceptionj.api.Conv2dSpec;
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
 * The two gradients of conv2d on the layers of {@link Conv2dBenchmark}, for comparison with its
 * forward figures:
 * <ul>
 *   <li>{@code data}: dx = conv2dBackwardData(dy, w), dx[n,ci,ih,iw] = Σ dy[n,co,oh,ow]·w[co,ci,i,j];</li>
 *   <li>{@code weight}: dw = conv2dBackwardWeight(dy, x), dw[co,ci,i,j] = Σ_{n,oh,ow} dy[n,co,oh,ow]·x[n,ci,ih,iw].</li>
 * </ul>
 * Each does the forward's work, 2·MACs FLOP per op (the {@code :gflop} secondary result is GFLOP/s).
 * The setup checks sampled elements against a double-precision sum.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:Tier3DelayOn=100000"})
public class Conv2dBackwardBenchmark {

    @Param({"Conv2d_2b_3x3", "Conv2d_4a_3x3", "Mixed_5b.branch5x5_2", "Mixed_6b.branch1x1",
            "Mixed_6b.branch7x7_2", "Mixed_7b.branch3x3_2a"})
    public String layer;

    @Param({"data", "weight"})
    public String gradient;

    @Param({"8"})
    public int batch;

    @Param({"vector"})
    public String impl;

    @Param({"1", "all"})
    public String threads;

    private CpuBackend backend;
    private Tensor x, w, dy, grad;
    private Conv2dSpec spec;
    private double gflopPerOp;
    private boolean data;

    @Setup(Level.Trial)
    public void setUp() {
        Conv2dBenchmark.Layer l = Conv2dBenchmark.Layer.named(layer);
        data = switch (gradient) {
            case "data" -> true;
            case "weight" -> false;
            default -> throw new IllegalArgumentException("Conv2dBackwardBenchmark: gradient must be data or weight, got "
                    + gradient);
        };
        backend = Bench.backend(impl, threads);
        spec = Conv2dSpec.of(1, l.padH(), l.padW());
        int h = l.in(), outH = spec.outH(h, l.kh()), outW = spec.outW(h, l.kw());
        float[] xs = Bench.uniform(1, batch * l.cin() * h * h, -1f, 1f);
        float[] ws = Bench.uniform(2, l.cout() * l.cin() * l.kh() * l.kw(), -1f, 1f);
        float[] dys = Bench.uniform(3, batch * l.cout() * outH * outW, -1f, 1f);
        x = Ops.fromArray(backend, Shape.of(batch, l.cin(), h, h), xs);
        w = Ops.fromArray(backend, Shape.of(l.cout(), l.cin(), l.kh(), l.kw()), ws);
        dy = Ops.fromArray(backend, Shape.of(batch, l.cout(), outH, outW), dys);
        grad = data ? Ops.conv2dBackwardData(dy, w, x.shape(), spec) : Ops.conv2dBackwardWeight(dy, x, w.shape(), spec);
        long macs = (long) batch * l.cout() * outH * outW * l.cin() * l.kh() * l.kw();
        gflopPerOp = 2.0 * macs / 1e9;
        System.out.printf("%nconv2d backward %s %s batch %d: %d FLOP per op (GFLOP/s = %.6f x ops/s); %s%n",
                gradient, l.name(), batch, 2 * macs, gflopPerOp, backend.describe());
        verify(l, xs, ws, dys, h, outH, outW, grad.toArray());
    }

    /** 32 sampled gradient elements against double-precision sums of the formula. */
    private void verify(Conv2dBenchmark.Layer l, float[] xs, float[] ws, float[] dys, int h, int outH, int outW,
                        float[] actual) {
        SplittableRandom r = new SplittableRandom(4);
        for (int k = 0; k < 32; k++) {
            double sum = 0, magnitude = 0;
            String at;
            int index;
            if (data) {
                int n = r.nextInt(batch), ci = r.nextInt(l.cin()), ih = r.nextInt(h), iw = r.nextInt(h);
                for (int co = 0; co < l.cout(); co++) {
                    for (int i = 0; i < l.kh(); i++) {
                        for (int j = 0; j < l.kw(); j++) {
                            int oh = ih + l.padH() - i, ow = iw + l.padW() - j;
                            if (oh < 0 || oh >= outH || ow < 0 || ow >= outW) {
                                continue;
                            }
                            double p = (double) dys[((n * l.cout() + co) * outH + oh) * outW + ow]
                                    * ws[((co * l.cin() + ci) * l.kh() + i) * l.kw() + j];
                            sum += p;
                            magnitude += Math.abs(p);
                        }
                    }
                }
                at = "dx[" + n + "," + ci + "," + ih + "," + iw + "]";
                index = ((n * l.cin() + ci) * h + ih) * h + iw;
            } else {
                int co = r.nextInt(l.cout()), ci = r.nextInt(l.cin()), i = r.nextInt(l.kh()), j = r.nextInt(l.kw());
                for (int n = 0; n < batch; n++) {
                    for (int oh = 0; oh < outH; oh++) {
                        for (int ow = 0; ow < outW; ow++) {
                            int ih = oh - l.padH() + i, iw = ow - l.padW() + j;
                            if (ih < 0 || ih >= h || iw < 0 || iw >= h) {
                                continue;
                            }
                            double p = (double) dys[((n * l.cout() + co) * outH + oh) * outW + ow]
                                    * xs[((n * l.cin() + ci) * h + ih) * h + iw];
                            sum += p;
                            magnitude += Math.abs(p);
                        }
                    }
                }
                at = "dw[" + co + "," + ci + "," + i + "," + j + "]";
                index = ((co * l.cin() + ci) * l.kh() + i) * l.kw() + j;
            }
            Bench.check("Conv2dBackwardBenchmark " + l.name(), at, sum, actual[index], 1e-4 * magnitude + 1e-6);
        }
    }

    @Benchmark
    public void backward(Bench.Flops flops) {
        if (data) {
            backend.conv2dBackwardData(grad, dy, w, spec);
        } else {
            backend.conv2dBackwardWeight(grad, dy, x, spec);
        }
        flops.gflop += gflopPerOp;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        grad.close();
        dy.close();
        w.close();
        x.close();
        backend.close();
    }
}
