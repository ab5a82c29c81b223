package org.inceptionj.gpu;

/**
 * The GPU's FP32 FMA throughput, measured with {@code peak.cu}'s {@code fma_peak} kernel on the
 * backend's stream: the denominator of the benchmarks' "fraction of peak", measured in the same run
 * (clocks and power limits differ between cards of one name). One launch does
 * 2·16·iters·(blocks·threads) floating-point operations; the best of several timed launches counts.
 *
 * <p><b>Never run</b>: needs a GPU.
 */
public final class CudaPeak {
    private CudaPeak() {
    }

    private static final int THREADS = 256;
    private static final int CHAINS = 16;   // peak.cu
    private static final int ITERS = 8192;

    /** FP32 floating-point operations per second (an FMA counts 2), the best of {@code repeats} launches. */
    public static double fp32FlopsPerSecond(int repeats) {
        CudaRuntime rt = CudaRuntime.get();
        int blocks = CudaDriver.multiprocessors(rt.device) * 32;
        long out = CudaDriver.memAlloc(4L * blocks * THREADS);
        if (out == 0) {
            throw new IllegalStateException("CudaPeak: no device memory for " + (4L * blocks * THREADS) + " bytes");
        }
        try {
            float a = 1f - 0x1p-20f, b = 0x1p-20f;
            double best = Double.MAX_VALUE;
            for (int r = 0; r <= repeats; r++) {   // r = 0 warms up (module load, clocks)
                CudaDriver.synchronize(rt.stream());
                long t0 = System.nanoTime();
                CudaDriver.launch(rt.function(PtxModules.PEAK, "fma_peak"), "fma_peak", blocks, THREADS, 0, rt.stream(),
                        new KernelArgs().ptr(out).i32(ITERS).f32(a).f32(b).build());
                CudaDriver.synchronize(rt.stream());
                double s = (System.nanoTime() - t0) * 1e-9;
                if (r > 0) {
                    best = Math.min(best, s);
                }
            }
            return 2.0 * CHAINS * ITERS * (double) blocks * THREADS / best;
        } finally {
            CudaDriver.memFree(out);
        }
    }

    /** One line on the device the numbers come from. */
    public static String device() {
        CudaRuntime rt = CudaRuntime.get();
        return rt.device + ", " + CudaDriver.multiprocessors(rt.device) + " SMs, driver CUDA " + rt.driverVersion
                + ", cuDNN " + rt.cudnnVersion;
    }
}
