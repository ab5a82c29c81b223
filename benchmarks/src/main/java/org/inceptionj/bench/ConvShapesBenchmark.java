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
 * Every distinct convolution of Inception-v3 at 299×299 (43 geometries for its 94 convolutions,
 * {@link ConvShape#of}), in each of its three passes:
 * <ul>
 *   <li>{@code forward}: y[n,co,oh,ow] = Σ_{ci,i,j} x[n,ci,oh·s−pt+i,ow·s−pl+j]·w[co,ci,i,j];</li>
 *   <li>{@code data}: dx = conv2dBackwardData(dy, w), dx[n,ci,ih,iw] = Σ dy[n,co,oh,ow]·w[co,ci,i,j] over ih = oh·s−pt+i;</li>
 *   <li>{@code weight}: dw = conv2dBackwardWeight(dy, x), dw[co,ci,i,j] = Σ_{n,oh,ow} dy[n,co,oh,ow]·x[n,ci,oh·s−pt+i,ow·s−pl+j].</li>
 * </ul>
 * Each pass is 2·MACs FLOP per op; the {@code :gflop} secondary result is GFLOP/s. {@link ConvPeakReport}
 * runs it beside {@link FmaPeakBenchmark} and prints each as a fraction of the measured FMA peak, with the
 * FLOP-weighted average over the network. The setup checks 32 sampled output elements against
 * double-precision sums of the formula, so a wrong kernel reports an error, not a number.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:Tier3DelayOn=100000"})
public class ConvShapesBenchmark {

    /** Every distinct convolution of inception-v3 at 299 ({@code ConvShapeTest} checks this list against the model). */
    @Param({"3x299x299>32:3x3/2:0,0,0,0",
            "32x149x149>32:3x3/1:0,0,0,0",
            "32x147x147>64:3x3/1:1,1,1,1",
            "64x73x73>80:1x1/1:0,0,0,0",
            "80x73x73>192:3x3/1:0,0,0,0",
            "192x35x35>64:1x1/1:0,0,0,0",
            "192x35x35>48:1x1/1:0,0,0,0",
            "48x35x35>64:5x5/1:2,2,2,2",
            "64x35x35>96:3x3/1:1,1,1,1",
            "96x35x35>96:3x3/1:1,1,1,1",
            "192x35x35>32:1x1/1:0,0,0,0",
            "256x35x35>64:1x1/1:0,0,0,0",
            "256x35x35>48:1x1/1:0,0,0,0",
            "288x35x35>64:1x1/1:0,0,0,0",
            "288x35x35>48:1x1/1:0,0,0,0",
            "288x35x35>384:3x3/2:0,0,0,0",
            "96x35x35>96:3x3/2:0,0,0,0",
            "768x17x17>192:1x1/1:0,0,0,0",
            "768x17x17>128:1x1/1:0,0,0,0",
            "128x17x17>128:1x7/1:0,3,0,3",
            "128x17x17>192:7x1/1:3,0,3,0",
            "128x17x17>128:7x1/1:3,0,3,0",
            "128x17x17>192:1x7/1:0,3,0,3",
            "768x17x17>160:1x1/1:0,0,0,0",
            "160x17x17>160:1x7/1:0,3,0,3",
            "160x17x17>192:7x1/1:3,0,3,0",
            "160x17x17>160:7x1/1:3,0,3,0",
            "160x17x17>192:1x7/1:0,3,0,3",
            "192x17x17>192:1x7/1:0,3,0,3",
            "192x17x17>192:7x1/1:3,0,3,0",
            "192x17x17>320:3x3/2:0,0,0,0",
            "192x17x17>192:3x3/2:0,0,0,0",
            "1280x8x8>320:1x1/1:0,0,0,0",
            "1280x8x8>384:1x1/1:0,0,0,0",
            "384x8x8>384:1x3/1:0,1,0,1",
            "384x8x8>384:3x1/1:1,0,1,0",
            "1280x8x8>448:1x1/1:0,0,0,0",
            "448x8x8>384:3x3/1:1,1,1,1",
            "1280x8x8>192:1x1/1:0,0,0,0",
            "2048x8x8>320:1x1/1:0,0,0,0",
            "2048x8x8>384:1x1/1:0,0,0,0",
            "2048x8x8>448:1x1/1:0,0,0,0",
            "2048x8x8>192:1x1/1:0,0,0,0"})
    public String shape;

    @Param({"forward", "data", "weight"})
    public String pass;

    @Param({"8"})
    public int batch;

    @Param({"vector"})
    public String impl;

    @Param({"all"})
    public String threads;

    private CpuBackend backend;
    private Tensor x, w, dy, out;
    private Conv2dSpec spec;
    private double gflopPerOp;
    private int which;

    @Setup(Level.Trial)
    public void setUp() {
        ConvShape s = ConvShape.parse(shape);
        which = switch (pass) {
            case "forward" -> 0;
            case "data" -> 1;
            case "weight" -> 2;
            default -> throw new IllegalArgumentException("ConvShapesBenchmark: pass must be forward, data or weight, got '"
                    + pass + "'");
        };
        if (batch < 1 || batch > 1024) {
            throw new IllegalArgumentException("ConvShapesBenchmark: batch must be in [1, 1024], got " + batch);
        }
        backend = Bench.backend(impl, threads);
        spec = s.spec();
        int oh = s.outH(), ow = s.outW();
        float[] xs = Bench.uniform(1, batch * s.cin() * s.h() * s.w(), -1f, 1f);
        float[] ws = Bench.uniform(2, s.cout() * s.cin() * s.kh() * s.kw(), -1f, 1f);
        float[] dys = Bench.uniform(3, batch * s.cout() * oh * ow, -1f, 1f);
        x = Ops.fromArray(backend, Shape.of(batch, s.cin(), s.h(), s.w()), xs);
        w = Ops.fromArray(backend, Shape.of(s.cout(), s.cin(), s.kh(), s.kw()), ws);
        dy = Ops.fromArray(backend, Shape.of(batch, s.cout(), oh, ow), dys);
        out = switch (which) {
            case 0 -> Ops.conv2d(x, w, null, spec);
            case 1 -> Ops.conv2dBackwardData(dy, w, x.shape(), spec);
            default -> Ops.conv2dBackwardWeight(dy, x, w.shape(), spec);
        };
        gflopPerOp = 2.0 * batch * s.macs() / 1e9;
        System.out.printf("%nconv2d %s %s batch %d: %.0f FLOP per op; %s%n", pass, shape, batch, gflopPerOp * 1e9,
                backend.describe());
        verify(s, xs, ws, dys, out.toArray());
    }

    /** 32 sampled elements of the pass's output against double-precision sums of its formula. */
    private void verify(ConvShape s, float[] xs, float[] ws, float[] dys, float[] actual) {
        int oh = s.outH(), ow = s.outW(), st = s.stride();
        SplittableRandom r = new SplittableRandom(4);
        for (int k = 0; k < 32; k++) {
            double sum = 0, magnitude = 0;
            int index;
            String at;
            if (which == 0) {
                int n = r.nextInt(batch), co = r.nextInt(s.cout()), y = r.nextInt(oh), xo = r.nextInt(ow);
                for (int ci = 0; ci < s.cin(); ci++) {
                    for (int i = 0; i < s.kh(); i++) {
                        for (int j = 0; j < s.kw(); j++) {
                            int ih = y * st - s.padTop() + i, iw = xo * st - s.padLeft() + j;
                            if (ih >= 0 && ih < s.h() && iw >= 0 && iw < s.w()) {
                                double p = (double) xs[((n * s.cin() + ci) * s.h() + ih) * s.w() + iw]
                                        * ws[((co * s.cin() + ci) * s.kh() + i) * s.kw() + j];
                                sum += p;
                                magnitude += Math.abs(p);
                            }
                        }
                    }
                }
                index = ((n * s.cout() + co) * oh + y) * ow + xo;
                at = "y[" + n + "," + co + "," + y + "," + xo + "]";
            } else if (which == 1) {
                int n = r.nextInt(batch), ci = r.nextInt(s.cin()), ih = r.nextInt(s.h()), iw = r.nextInt(s.w());
                for (int co = 0; co < s.cout(); co++) {
                    for (int i = 0; i < s.kh(); i++) {
                        for (int j = 0; j < s.kw(); j++) {
                            int ny = ih + s.padTop() - i, nx = iw + s.padLeft() - j;
                            if (ny < 0 || nx < 0 || ny % st != 0 || nx % st != 0 || ny / st >= oh || nx / st >= ow) {
                                continue;
                            }
                            double p = (double) dys[((n * s.cout() + co) * oh + ny / st) * ow + nx / st]
                                    * ws[((co * s.cin() + ci) * s.kh() + i) * s.kw() + j];
                            sum += p;
                            magnitude += Math.abs(p);
                        }
                    }
                }
                index = ((n * s.cin() + ci) * s.h() + ih) * s.w() + iw;
                at = "dx[" + n + "," + ci + "," + ih + "," + iw + "]";
            } else {
                int co = r.nextInt(s.cout()), ci = r.nextInt(s.cin()), i = r.nextInt(s.kh()), j = r.nextInt(s.kw());
                for (int n = 0; n < batch; n++) {
                    for (int y = 0; y < oh; y++) {
                        for (int xo = 0; xo < ow; xo++) {
                            int ih = y * st - s.padTop() + i, iw = xo * st - s.padLeft() + j;
                            if (ih >= 0 && ih < s.h() && iw >= 0 && iw < s.w()) {
                                double p = (double) dys[((n * s.cout() + co) * oh + y) * ow + xo]
                                        * xs[((n * s.cin() + ci) * s.h() + ih) * s.w() + iw];
                                sum += p;
                                magnitude += Math.abs(p);
                            }
                        }
                    }
                }
                index = ((co * s.cin() + ci) * s.kh() + i) * s.kw() + j;
                at = "dw[" + co + "," + ci + "," + i + "," + j + "]";
            }
            Bench.check("ConvShapesBenchmark " + pass + " " + shape, at, sum, actual[index], 1e-4 * magnitude + 1e-6);
        }
    }

    @Benchmark
    public void conv(Bench.Flops flops) {
        switch (which) {
            case 0 -> backend.conv2d(out, x, w, null, spec);
            case 1 -> backend.conv2dBackwardData(out, dy, w, spec);
            default -> backend.conv2dBackwardWeight(out, dy, x, spec);
        }
        flops.gflop += gflopPerOp;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        out.close();
        dy.close();
        w.close();
        x.close();
        backend.close();
    }
}
