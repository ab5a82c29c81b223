package org.inceptionj.inception;

import java.util.Locale;

import org.inceptionj.api.Backend;
import org.inceptionj.api.BackendUnavailableException;
import org.inceptionj.api.Backends;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.gpu.CudaPeak;
import org.inceptionj.gpu.DeviceOutOfMemoryException;
import org.inceptionj.inception.train.TrainConfig;
import org.inceptionj.inception.train.TrainStep;

/**
 * Inception-v3 at 299×299 on the {@code cuda} backend: inference at batch 1 and 128, a training step
 * ({@link TrainStep}: forward, backward, RMSProp, clipping, EMA) at batch 32 and 128. Prints images/s
 * and the fraction of the GPU's FP32 peak, which {@link CudaPeak} measures in the same run.
 *
 * <p>FLOPs counted: 2 per multiply-add of the convolutions and the fc layer ({@link Summary#macs()},
 * spec §8): a forward pass is 2·macs(EVAL) per image; a training step 3·2·macs(TRAIN) per image (the
 * forward and the two backward primitives of each convolution cost the same). Batch norm, pooling and
 * the optimizer count 0, so the fraction understates the work done.
 *
 * <p>Run by the GPU bundle ({@code java ... org.inceptionj.inception.CudaBenchmark}); not a test.
 * <b>Never run</b>: written without a GPU.
 */
public final class CudaBenchmark {
    private CudaBenchmark() {
    }

    /** Exit code 2 when the cuda backend cannot start here (the reason is printed), 0 after the table. */
    public static void main(String[] args) {
        try {
            Backends.load("cuda").close();
        } catch (BackendUnavailableException e) {
            System.out.println("benchmark skipped: " + e.getMessage());
            System.exit(2);
        }
        double peak = CudaPeak.fp32FlopsPerSecond(5);
        System.out.println("== Inception-v3 299x299 on " + CudaPeak.device());
        System.out.printf(Locale.ROOT, "   measured FP32 FMA peak: %.1f TFLOP/s%n", peak / 1e12);
        InceptionV3.Config cfg = InceptionV3.Config.torchvision();
        double evalFlops = 2.0 * Summary.of(cfg, 299, 299, InceptionV3.Mode.EVAL).macs();
        double trainFlops = 3 * 2.0 * Summary.of(cfg, 299, 299, InceptionV3.Mode.TRAIN).macs();
        System.out.printf(Locale.ROOT, "   %-10s %6s %10s %10s %10s %8s%n", "run", "batch", "ms/iter", "images/s",
                "TFLOP/s", "of peak");
        try (Backend be = Backends.load("cuda")) {
            System.out.println("   backend: " + be.describe());
            row(be, "inference", 1, 3, 20, peak, evalFlops);
            row(be, "inference", 128, 2, 5, peak, evalFlops);
            row(be, "training", 32, 2, 5, peak, trainFlops);
            row(be, "training", 128, 2, 3, peak, trainFlops);
        }
    }

    private static void row(Backend be, String run, int batch, int warmup, int iters, double peak, double flopsPerImage) {
        try {
            double seconds = run.equals("inference") ? inference(be, batch, warmup, iters)
                    : training(be, batch, warmup, iters);
            double perIter = seconds / iters, flops = flopsPerImage * batch / perIter;
            System.out.printf(Locale.ROOT, "   %-10s %6d %10.1f %10.1f %10.2f %7.1f%%%n", run, batch, perIter * 1e3,
                    batch / perIter, flops / 1e12, 100 * flops / peak);
        } catch (DeviceOutOfMemoryException e) {
            System.out.printf(Locale.ROOT, "   %-10s %6d   out of device memory: %s%n", run, batch, e.getMessage());
        } catch (RuntimeException e) {
            System.out.printf(Locale.ROOT, "   %-10s %6d   FAILED: %s%n", run, batch, e);
            e.printStackTrace(System.out);
        }
    }

    /** Seconds for {@code iters} forward passes in evaluation mode after {@code warmup}. */
    private static double inference(Backend be, int batch, int warmup, int iters) {
        try (InceptionV3 m = new InceptionV3(be, InceptionV3.Config.torchvision(), 1);
             Tensor x = Ops.uniform(be, Shape.of(batch, 3, 299, 299), 2, -1f, 1f)) {
            long t0 = 0;
            for (int i = 0; i < warmup + iters; i++) {
                if (i == warmup) {
                    be.synchronize();
                    t0 = System.nanoTime();
                }
                try (TensorScope s = TensorScope.open()) {
                    m.forward(x, InceptionV3.Mode.EVAL);
                }
            }
            be.synchronize();
            return (System.nanoTime() - t0) * 1e-9;
        }
    }

    /** Seconds for {@code iters} training steps after {@code warmup}; each step reads its loss (a synchronization). */
    private static double training(Backend be, int batch, int warmup, int iters) {
        int[] labels = new int[batch];
        for (int i = 0; i < batch; i++) {
            labels[i] = (i * 37) % 1000;
        }
        try (InceptionV3 m = new InceptionV3(be, InceptionV3.Config.torchvision(), 1);
             TrainStep step = new TrainStep(m, TrainConfig.paper().withExamplesPerEpoch(1_281_167));
             Tensor x = Ops.uniform(be, Shape.of(batch, 3, 299, 299), 2, -1f, 1f)) {
            long t0 = 0;
            for (int i = 0; i < warmup + iters; i++) {
                if (i == warmup) {
                    be.synchronize();
                    t0 = System.nanoTime();
                }
                step.run(x, labels);
            }
            be.synchronize();
            return (System.nanoTime() - t0) * 1e-9;
        }
    }
}
