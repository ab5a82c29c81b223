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
 * conv2d on Inception-v3's own layers (no bias, as every BasicConv2d):
 * out[n,co,oh,ow] = Σ_{ci,i,j} x[n,ci,oh−padH+i,ow−padW+j]·w[co,ci,i,j].
 *
 * <p>Work per op: FLOP = 2·MACs = 2·N·Cout·outH·outW·Cin·kh·kw; the setup prints it and checks
 * it against the spec's MAC count, and the {@code :gflop} secondary result is GFLOP/s. The timed
 * region is the backend primitive writing into an output allocated once (Ops.conv2d adds one
 * zero-filled allocation and the argument checks per call; both ran once in setup).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:Tier3DelayOn=100000"})
public class Conv2dBenchmark {

    /**
     * A convolution of the network: torchvision name, Cin→Cout, kernel kh×kw, stride 1, padding
     * (padH, padW) on both sides, square input of side {@code in}, and the MACs for one image
     * from the spec's convolution table (§3), an independent check of the geometry here.
     */
    record Layer(String name, int cin, int cout, int kh, int kw, int padH, int padW, int in, long specMacs) {
        static final Layer[] ALL = {
                new Layer("Conv2d_2b_3x3", 32, 64, 3, 3, 1, 1, 147, 398_297_088L),
                new Layer("Conv2d_4a_3x3", 80, 192, 3, 3, 0, 0, 73, 696_867_840L),
                new Layer("Mixed_5b.branch5x5_2", 48, 64, 5, 5, 2, 2, 35, 94_080_000L),
                new Layer("Mixed_6b.branch1x1", 768, 192, 1, 1, 0, 0, 17, 42_614_784L),
                new Layer("Mixed_6b.branch7x7_2", 128, 128, 1, 7, 0, 3, 17, 33_144_832L),
                new Layer("Mixed_7b.branch3x3_2a", 384, 384, 1, 3, 0, 1, 8, 28_311_552L),
        };

        static Layer named(String name) {
            for (Layer l : ALL) {
                if (l.name.equals(name)) {
                    return l;
                }
            }
            throw new IllegalArgumentException("Conv2dBenchmark: unknown layer '" + name + "'");
        }
    }

    @Param({"Conv2d_2b_3x3", "Conv2d_4a_3x3", "Mixed_5b.branch5x5_2", "Mixed_6b.branch1x1",
            "Mixed_6b.branch7x7_2", "Mixed_7b.branch3x3_2a"})
    public String layer;

    @Param({"1", "8"})
    public int batch;

    @Param({"vector", "plain"})
    public String impl;

    @Param({"1", "all"})
    public String threads;

    private CpuBackend backend;
    private Tensor x, w, out;
    private Conv2dSpec spec;
    private double gflopPerOp;

    @Setup(Level.Trial)
    public void setUp() {
        Layer l = Layer.named(layer);
        backend = Bench.backend(impl, threads);
        spec = Conv2dSpec.of(1, l.padH, l.padW);
        int h = l.in, outH = spec.outH(h, l.kh), outW = spec.outW(h, l.kw);
        float[] xs = Bench.uniform(1, batch * l.cin * h * h, -1f, 1f);
        float[] ws = Bench.uniform(2, l.cout * l.cin * l.kh * l.kw, -1f, 1f);
        x = Ops.fromArray(backend, Shape.of(batch, l.cin, h, h), xs);
        w = Ops.fromArray(backend, Shape.of(l.cout, l.cin, l.kh, l.kw), ws);
        out = Ops.conv2d(x, w, null, spec);

        long macs = (long) batch * l.cout * outH * outW * l.cin * l.kh * l.kw;
        if (macs != batch * l.specMacs) {
            throw new IllegalStateException("Conv2dBenchmark " + l.name + ": geometry gives " + macs
                    + " MACs for batch " + batch + ", the spec's table " + batch * l.specMacs);
        }
        gflopPerOp = 2.0 * macs / 1e9;
        System.out.printf("%nconv2d %s batch %d: %d FLOP per op (GFLOP/s = %.6f x ops/s); %s%n",
                l.name, batch, 2 * macs, gflopPerOp, backend.describe());
        verify(l, xs, ws, h, outH, outW, out.toArray());
    }

    /** Compares 64 output elements (the four corners, where padding matters, and random ones) with a double-precision sum. */
    private void verify(Layer l, float[] xs, float[] ws, int h, int outH, int outW, float[] actual) {
        SplittableRandom r = new SplittableRandom(3);
        for (int k = 0; k < 64; k++) {
            int n = r.nextInt(batch), co = r.nextInt(l.cout);
            int oh = k < 4 ? (k / 2) * (outH - 1) : r.nextInt(outH);
            int ow = k < 4 ? (k % 2) * (outW - 1) : r.nextInt(outW);
            double sum = 0, magnitude = 0;
            for (int ci = 0; ci < l.cin; ci++) {
                for (int i = 0; i < l.kh; i++) {
                    for (int j = 0; j < l.kw; j++) {
                        int ih = oh - l.padH + i, iw = ow - l.padW + j;
                        if (ih < 0 || ih >= h || iw < 0 || iw >= h) {
                            continue; // zero padding
                        }
                        double p = (double) xs[((n * l.cin + ci) * h + ih) * h + iw]
                                * ws[((co * l.cin + ci) * l.kh + i) * l.kw + j];
                        sum += p;
                        magnitude += Math.abs(p);
                    }
                }
            }
            // A float32 sum of up to 1,200 products, in whatever order the kernel blocks it, stays
            // far inside 1e-4·Σ|products|; one wrong or missing product does not.
            Bench.check("Conv2dBenchmark " + l.name, "[" + n + "," + co + "," + oh + "," + ow + "]", sum,
                    actual[((n * l.cout + co) * outH + oh) * outW + ow], 1e-4 * magnitude + 1e-6);
        }
    }

    @Benchmark
    public void conv2d(Bench.Flops flops) {
        backend.conv2d(out, x, w, null, spec);
        flops.gflop += gflopPerOp;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        out.close();
        w.close();
        x.close();
        backend.close();
    }
}
