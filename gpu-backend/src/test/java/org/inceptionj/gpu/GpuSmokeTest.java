package org.inceptionj.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumMap;
import java.util.Map;
import java.util.Random;

import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;

import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.RandomStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The first checks on a real GPU (the checklist of the GPU stack notes): PTX loads on the driver,
 * each own kernel against a Java reference, the caching allocator on {@code cuMemAlloc}, a cuDNN
 * handle on the backend's stream and one convolution against a plain loop, the FMA peak.
 *
 * <p><b>Never run</b>: written without a GPU; on a host without one every test is skipped with
 * the reason. Run by the GPU bundle ({@code tools/make-gpu-bundle.sh}).
 */
@Tag("gpu")
class GpuSmokeTest {
    private static final int THREADS = 256;
    private static final Map<PtxModules, CUmodule> MODULES = new EnumMap<>(PtxModules.class);

    private static CudaDriver.Device gpu() {
        return GpuHosts.gpu();
    }

    @BeforeEach
    void needsAGpu() {
        gpu();   // skips every test, with the reason, on a host without a GPU and driver
    }

    private static synchronized CUfunction kernel(PtxModules m, String name) {
        CUmodule mod = MODULES.computeIfAbsent(m, k -> CudaDriver.loadModule(k.fileName(), k.ptxWithNul()));
        return CudaDriver.function(mod, m.fileName(), name);
    }

    private static int blocks(long n) {
        return (int) Math.max(1, Math.min((n + THREADS - 1) / THREADS, 4096));
    }

    private static long upload(float[] a) {
        long p = CudaDriver.memAlloc(4L * Math.max(1, a.length));
        CudaDriver.copyToDevice(p, a, 0, a.length, gpu().stream());
        return p;
    }

    private static float[] download(long p, int n) {
        float[] out = new float[n];
        CudaDriver.copyToHost(out, 0, p, n, gpu().stream());
        return out;
    }

    private static Pointer dev(long address) {
        return Pointer.to(CudaDriver.DevicePtr.of(address));
    }

    private static float[] random(Random r, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextGaussian() * scale);
        }
        return a;
    }

    private static void assertBitsEqual(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                throw new AssertionError(what + "[" + i + "]: expected " + expected[i] + " got " + actual[i]);
            }
        }
    }

    @Test
    void everyPtxModuleLoadsAndHasItsKernels() {
        CudaDriver.Device d = gpu();
        System.out.println(d + ", driver CUDA " + CudaDriver.driverVersion());
        for (PtxModules m : PtxModules.values()) {
            for (String k : m.kernels()) {
                kernel(m, k);
            }
        }
    }

    @Test
    void rmspropMatchesTheJavaOperationsBitForBit() {
        int n = 100_003;
        Random r = new Random(1);
        float[] theta = random(r, n, 1f), ms = new float[n], mom = random(r, n, 0.01f), g = random(r, n, 0.1f);
        java.util.Arrays.fill(ms, 1f);
        float rho = 0.9f, mu = 0.9f, eps = 1.0f, lr = 0.045f;
        long pt = upload(theta), pm = upload(ms), po = upload(mom), pg = upload(g);
        CudaDriver.launch(kernel(PtxModules.OPTIM, "rmsprop"), "rmsprop", blocks(n), THREADS, 0, gpu().stream(),
                Pointer.to(dev(pt), dev(pm), dev(po), dev(pg), Pointer.to(new long[] {n}), Pointer.to(new float[] {rho}),
                        Pointer.to(new float[] {1f - rho}), Pointer.to(new float[] {mu}), Pointer.to(new float[] {eps}),
                        Pointer.to(new float[] {lr})));
        for (int i = 0; i < n; i++) {   // RMSProp.update, one element at a time
            float t = g[i] * g[i];
            t = (1f - rho) * t + 0f;
            ms[i] = rho * ms[i] + 0f;
            ms[i] = ms[i] + t;
            t = 1f * ms[i] + eps;
            t = (float) Math.sqrt(t);
            t = g[i] / t;
            t = lr * t + 0f;
            mom[i] = mu * mom[i] + 0f;
            mom[i] = mom[i] + t;
            theta[i] = theta[i] - mom[i];
        }
        assertBitsEqual(ms, download(pm, n), "rms");
        assertBitsEqual(mom, download(po, n), "momentum");
        assertBitsEqual(theta, download(pt, n), "theta");
        for (long p : new long[] {pt, pm, po, pg}) {
            CudaDriver.memFree(p);
        }
    }

    @Test
    void momentumAndEmaMatchTheJavaOperationsBitForBit() {
        int n = 77_777;
        for (int nesterov = 0; nesterov <= 1; nesterov++) {
            Random r = new Random(2 + nesterov);
            float[] theta = random(r, n, 1f), acc = random(r, n, 0.1f), g = random(r, n, 0.1f);
            float mu = 0.9f, lr = 0.1f;
            long pt = upload(theta), pa = upload(acc), pg = upload(g);
            CudaDriver.launch(kernel(PtxModules.OPTIM, "momentum"), "momentum", blocks(n), THREADS, 0, gpu().stream(),
                    Pointer.to(dev(pt), dev(pa), dev(pg), Pointer.to(new long[] {n}), Pointer.to(new float[] {mu}),
                            Pointer.to(new float[] {lr}), Pointer.to(new int[] {nesterov})));
            for (int i = 0; i < n; i++) {   // Momentum.update
                acc[i] = mu * acc[i] + 0f;
                acc[i] = acc[i] + g[i];
                float t;
                if (nesterov == 1) {
                    t = mu * acc[i] + 0f;
                    t = t + g[i];
                    t = lr * t + 0f;
                } else {
                    t = lr * acc[i] + 0f;
                }
                theta[i] = theta[i] - t;
            }
            assertBitsEqual(acc, download(pa, n), "accumulator, nesterov=" + nesterov);
            assertBitsEqual(theta, download(pt, n), "theta, nesterov=" + nesterov);
            CudaDriver.memFree(pt);
            CudaDriver.memFree(pa);
            CudaDriver.memFree(pg);
        }
        Random r = new Random(4);
        float[] shadow = random(r, n, 1f), theta = random(r, n, 1f);
        float d = (float) Math.min(0.9999, (1.0 + 7) / (10.0 + 7));
        long ps = upload(shadow), pt = upload(theta);
        CudaDriver.launch(kernel(PtxModules.OPTIM, "ema"), "ema", blocks(n), THREADS, 0, gpu().stream(),
                Pointer.to(dev(ps), dev(pt), Pointer.to(new long[] {n}), Pointer.to(new float[] {1f - d})));
        for (int i = 0; i < n; i++) {   // ExponentialMovingAverage.apply
            float t = shadow[i] - theta[i];
            t = (1f - d) * t + 0f;
            shadow[i] = shadow[i] - t;
        }
        assertBitsEqual(shadow, download(ps, n), "shadow");
        CudaDriver.memFree(ps);
        CudaDriver.memFree(pt);
    }

    @Test
    void dropoutMaskIsTheApiRandomStream() {
        int n = 65_537;
        long seed = -1234567890123L;
        float p = 0.2f, keep = 1f / (1f - p);
        float[] x = random(new Random(5), n, 1f);
        long px = upload(x), pm = CudaDriver.memAlloc(4L * n), po = CudaDriver.memAlloc(4L * n);
        CudaDriver.launch(kernel(PtxModules.DROPOUT, "dropout_forward"), "dropout_forward", blocks(n), THREADS, 0,
                gpu().stream(), Pointer.to(dev(po), dev(pm), dev(px), Pointer.to(new long[] {n}),
                        Pointer.to(new long[] {seed}), Pointer.to(new float[] {p}), Pointer.to(new float[] {keep})));
        float[] mask = new float[n], out = new float[n];
        for (int i = 0; i < n; i++) {   // the CPU backend's Dropout
            mask[i] = RandomStream.uniform(seed, i) < p ? 0f : keep;
            out[i] = x[i] * mask[i];
        }
        assertBitsEqual(mask, download(pm, n), "mask");
        assertBitsEqual(out, download(po, n), "out");
        CudaDriver.launch(kernel(PtxModules.DROPOUT, "mask_mul"), "mask_mul", blocks(n), THREADS, 0, gpu().stream(),
                Pointer.to(dev(po), dev(px), dev(pm), Pointer.to(new long[] {n})));
        assertBitsEqual(out, download(po, n), "mask_mul");
        CudaDriver.memFree(px);
        CudaDriver.memFree(pm);
        CudaDriver.memFree(po);
    }

    @Test
    void crossEntropyMatchesTheDoubleReference() {
        int n = 5, k = 1001;
        float eps = 0.1f;
        Random r = new Random(6);
        float[] logits = random(r, n * k, 3f);
        int[] labels = {0, 1000, 17, 500, 999};
        float[] prior = new float[k];
        for (int j = 0; j < k; j++) {
            prior[j] = (j + 1f) / (k * (k + 1f) / 2f);
        }
        for (float[] u : new float[][] {null, prior}) {
            long pl = upload(logits), pd = CudaDriver.memAlloc(4L * n * k), pr = CudaDriver.memAlloc(8L * n),
                    pLoss = CudaDriver.memAlloc(4), pLab = CudaDriver.memAlloc(4L * n);
            float[] labelBits = new float[n];   // the int labels' bits, copied as they are
            for (int i = 0; i < n; i++) {
                labelBits[i] = Float.intBitsToFloat(labels[i]);
            }
            CudaDriver.copyToDevice(pLab, labelBits, 0, n, gpu().stream());
            long pu = u == null ? 0 : upload(u);
            CudaDriver.launch(kernel(PtxModules.LOSS, "softmax_xent"), "softmax_xent", n, THREADS, 8 * THREADS,
                    gpu().stream(), Pointer.to(dev(pr), dev(pd), dev(pl), dev(pLab), dev(pu), Pointer.to(new int[] {n}),
                            Pointer.to(new int[] {k}), Pointer.to(new float[] {eps})));
            CudaDriver.launch(kernel(PtxModules.LOSS, "mean_rows"), "mean_rows", 1, 1, 0, gpu().stream(),
                    Pointer.to(dev(pLoss), dev(pr), Pointer.to(new int[] {n})));
            float[] d = download(pd, n * k);
            float loss = download(pLoss, 1)[0];
            double sum = 0;
            for (int row = 0; row < n; row++) {   // CrossEntropy.row
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < k; j++) {
                    max = Math.max(max, logits[row * k + j]);
                }
                double s = 0;
                for (int j = 0; j < k; j++) {
                    s += Math.exp(logits[row * k + j] - max);
                }
                double lse = max + Math.log(s), dot = 0;
                for (int j = 0; j < k; j++) {
                    double q = (j == labels[row] ? 1.0 - eps : 0.0) + eps * (u == null ? 1.0 / k : u[j]);
                    dot += q * logits[row * k + j];
                    float expected = (float) ((Math.exp(logits[row * k + j] - lse) - q) / n);
                    assertEquals(expected, d[row * k + j], Math.ulp(expected) * 2 + 1e-12f, "dlogits " + row + "," + j);
                }
                sum += lse - dot;
            }
            assertEquals((float) (sum / n), loss, Math.ulp((float) (sum / n)) * 2, "loss, prior " + (u != null));
            for (long p : new long[] {pl, pd, pr, pLoss, pLab}) {
                CudaDriver.memFree(p);
            }
            if (pu != 0) {
                CudaDriver.memFree(pu);
            }
        }
    }

    @Test
    void globalNormClippingMatchesGradientClipping() {
        Random r = new Random(7);
        float[][] grads = {random(r, 1000, 1f), random(r, 123_457, 0.5f)};
        long acc = CudaDriver.memAlloc(8), partial = CudaDriver.memAlloc(8L * 4096);
        long[] p = new long[grads.length];
        double expected = 0;
        for (int t = 0; t < grads.length; t++) {
            p[t] = upload(grads[t]);
            int g = blocks(grads[t].length);
            CudaDriver.launch(kernel(PtxModules.CLIP, "sum_squares_partial"), "sum_squares_partial", g, THREADS,
                    8 * THREADS, gpu().stream(), Pointer.to(dev(partial), dev(p[t]),
                            Pointer.to(new long[] {grads[t].length})));
            CudaDriver.launch(kernel(PtxModules.CLIP, "sum_squares_final"), "sum_squares_final", 1, THREADS,
                    8 * THREADS, gpu().stream(), Pointer.to(dev(acc), dev(partial), Pointer.to(new int[] {g}),
                            Pointer.to(new int[] {t == 0 ? 0 : 1})));
            double s = 0;
            for (float v : grads[t]) {
                s += v * v;
            }
            expected += (float) s;
        }
        double clip = 2.0;
        for (int t = 0; t < grads.length; t++) {
            CudaDriver.launch(kernel(PtxModules.CLIP, "clip_scale"), "clip_scale", blocks(grads[t].length), THREADS,
                    0, gpu().stream(), Pointer.to(dev(p[t]), Pointer.to(new long[] {grads[t].length}), dev(acc),
                            Pointer.to(new double[] {clip})));
        }
        float f = (float) (clip / Math.sqrt(expected));
        for (int t = 0; t < grads.length; t++) {
            float[] got = download(p[t], grads[t].length);
            for (int i = 0; i < got.length; i++) {
                assertEquals(f * grads[t][i] + 0f, got[i], Math.abs(got[i]) * 1e-6f, "tensor " + t + "[" + i + "]");
            }
            CudaDriver.memFree(p[t]);
        }
        CudaDriver.memFree(acc);
        CudaDriver.memFree(partial);
    }

    @Test
    void cachingAllocatorOnTheDevice() {
        gpu();
        long freeBefore = CudaDriver.memInfo()[0];
        try (CachingAllocator a = new CachingAllocator(new CudaDeviceMemory())) {
            for (int step = 0; step < 3; step++) {
                long x = a.alloc(64L << 20), y = a.alloc(1000), z = a.alloc(3L << 20);
                a.free(x);
                a.free(y);
                a.free(z);
            }
            assertEquals(3, a.stats().deviceAllocations());
            assertEquals(6, a.stats().cacheHits());
            System.out.println("allocator: " + a.stats());
        }
        long freeAfter = CudaDriver.memInfo()[0];
        assertTrue(Math.abs(freeAfter - freeBefore) < (8L << 20), "device memory given back: " + freeBefore + " -> "
                + freeAfter);
    }

    @Test
    void cudnnHandleAndConvolutionsMatchAPlainLoop() {
        CudaDriver.Device d = gpu();
        GpuHosts.cudnn();
        Conv2dSpec[] specs = {Conv2dSpec.of(2, 1), Conv2dSpec.of(1, 0, 3)};
        int[][] weights = {{4, 3, 3, 3}, {5, 3, 1, 7}};
        try (Cudnn.Handle h = new Cudnn.Handle(d.stream())) {
            for (int c = 0; c < specs.length; c++) {
                Conv2dSpec spec = specs[c];
                int n = 2, ci = 3, hh = 9, ww = 10, k = weights[c][0], kh = weights[c][2], kw = weights[c][3];
                int oh = spec.outH(hh, kh), ow = spec.outW(ww, kw);
                Random r = new Random(8 + c);
                float[] x = random(r, n * ci * hh * ww, 1f), w = random(r, k * ci * kh * kw, 1f);
                long px = upload(x), pw = upload(w), py = CudaDriver.memAlloc(4L * n * k * oh * ow);
                try (Cudnn.TensorDesc xd = Cudnn.TensorDesc.nchw("x", n, ci, hh, ww);
                     Cudnn.FilterDesc wd = new Cudnn.FilterDesc("w", k, ci, kh, kw);
                     Cudnn.ConvDesc cd = new Cudnn.ConvDesc(spec);
                     Cudnn.TensorDesc yd = Cudnn.TensorDesc.nchw("y", n, k, oh, ow)) {
                    Cudnn.Algo algo = Cudnn.forwardAlgorithm(h, xd, wd, cd, yd, 64L << 20, Cudnn.Numerics.EXACT);
                    long ws = algo.workspaceBytes() == 0 ? 0 : CudaDriver.memAlloc(algo.workspaceBytes());
                    Cudnn.convolutionForward(h, 1f, xd, CudaDriver.DevicePtr.of(px), wd, CudaDriver.DevicePtr.of(pw), cd, algo, ws == 0 ? null : CudaDriver.DevicePtr.of(ws), 0f, yd,
                            CudaDriver.DevicePtr.of(py));
                    float[] y = download(py, n * k * oh * ow);
                    for (int b = 0; b < n; b++) {
                        for (int o = 0; o < k; o++) {
                            for (int i = 0; i < oh; i++) {
                                for (int j = 0; j < ow; j++) {
                                    double s = 0;
                                    for (int q = 0; q < ci; q++) {
                                        for (int u = 0; u < kh; u++) {
                                            for (int v = 0; v < kw; v++) {
                                                int ih = i * spec.strideH() - spec.padTop() + u;
                                                int iw = j * spec.strideW() - spec.padLeft() + v;
                                                if (ih >= 0 && ih < hh && iw >= 0 && iw < ww) {
                                                    s += (double) x[((b * ci + q) * hh + ih) * ww + iw]
                                                            * w[((o * ci + q) * kh + u) * kw + v];
                                                }
                                            }
                                        }
                                    }
                                    float got = y[((b * k + o) * oh + i) * ow + j];
                                    assertEquals(s, got, 1e-4 * Math.max(1, Math.abs(s)), spec + " y[" + b + "," + o + ","
                                            + i + "," + j + "], algo " + algo);
                                }
                            }
                        }
                    }
                    if (ws != 0) {
                        CudaDriver.memFree(ws);
                    }
                }
                CudaDriver.memFree(px);
                CudaDriver.memFree(pw);
                CudaDriver.memFree(py);
            }
        }
    }

    @Test
    void fmaPeak() {
        CudaDriver.Device d = gpu();
        int blocks = 4096, iters = 4096;
        long out = CudaDriver.memAlloc(4L * blocks * THREADS);
        CUfunction f = kernel(PtxModules.PEAK, "fma_peak");
        Pointer args = Pointer.to(dev(out), Pointer.to(new int[] {iters}), Pointer.to(new float[] {1f - 0x1.0p-20f}),
                Pointer.to(new float[] {0x1.0p-20f}));
        CudaDriver.launch(f, "fma_peak", blocks, THREADS, 0, d.stream(), args);   // warm-up
        CudaDriver.synchronize(d.stream());
        long t0 = System.nanoTime();
        int reps = 5;
        for (int i = 0; i < reps; i++) {
            CudaDriver.launch(f, "fma_peak", blocks, THREADS, 0, d.stream(), args);
        }
        CudaDriver.synchronize(d.stream());
        double seconds = (System.nanoTime() - t0) / 1e9;
        double flops = 2.0 * 16 * iters * (double) blocks * THREADS * reps;
        System.out.printf("fma_peak on %s: %.1f TFLOP/s FP32%n", d, flops / seconds / 1e12);
        float[] sample = download(out, 4);
        assertTrue(Float.isFinite(sample[0]) && sample[0] > 0, "result " + sample[0]);
        CudaDriver.memFree(out);
    }
}
