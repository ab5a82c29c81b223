package org.inceptionj.cpu;

import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;

/**
 * A module's branch pool in inference, an average pool followed by a 1×1 block (convolution, batch norm, ReLU),
 * run as pool(conv(x)) rather than conv(pool(x)). Both the average and the 1×1 are linear: at each position the
 * average is one weighted sum of neighbouring positions, with the same weights for every channel (its divisor
 * depends on the position only), and the 1×1 one weighted sum of channels, with the same weights at every
 * position; so they commute, and the pool then averages the convolution's Cout channels instead of x's Cin
 * (Inception-v3: 192 instead of 768 at 17 × 17, 32 to 64 instead of 192 to 288 at 35 × 35, 192 instead of 1280
 * and 2048 at 8 × 8). The batch norm and the ReLU, which do not commute with the average, follow the pool, each
 * output row normalized while it is in cache. The 1×1 reads x, which the module's other branches read too, as
 * it lies ({@link Conv2dBlocked#forwardBlocked}) and leaves its raw sums channel-blocked for {@link PoolBlocked}.
 *
 * <p>Not the same bits as the pool and then the block: the sums are added in another order (each output is
 * within rounding of it, as {@code BranchPoolTest} checks). Skipping the branch pools' averages altogether, to
 * see what there is to gain, ran the eval forward 2.2–2.8% faster at batch 1 and 3.7% at batch 8 (two
 * threads, in one process, alternating).
 */
final class BranchPool {
    private BranchPool() {
    }

    /**
     * Whether out = block(avgPool(x)) runs this way: activations left channel-blocked ({@link BlockedActivations}),
     * the blocked path's kernels ({@link Conv2dBlocked}), a 1×1 at stride 1 without padding with fewer output
     * channels than input ones (else the pool would not shrink), and a 3×3 average without dilation
     * ({@link PoolBlocked}). Whether x itself is blocked does not matter: the 1×1 reads it as it lies, NCHW or
     * blocked, with the same sums, so a forward whose observer read the modules' outputs (and so left them NCHW)
     * gives the same bits.
     */
    static boolean applies(CpuBackend cpu, Tensor x, Tensor w, Pool2dSpec pool, Conv2dSpec spec) {
        Shape xs = x.shape(), ws = w.shape();
        if (!cpu.config().blockedActivations() || !cpu.config().blockedConv() || !cpu.vectorized() || !Gemm.WIDE
                || xs.rank() != 4 || ws.rank() != 4 || ws.dim(0) >= xs.dim(1) || pool.kernelH() != 3
                || pool.kernelW() != 3 || pool.dilationH() != 1 || pool.dilationW() != 1) {
            return false;
        }
        Conv2d.Geometry g = geometry(xs, ws, spec);
        return g.pointwise() && Conv2dBlocked.fitsAnArray(g);
    }

    /** out = epilogue(avgPool(conv(x, w), pool)), where {@link #applies}. */
    static void forward(CpuBackend cpu, Tensor out, Tensor x, Tensor w, BatchNormEpilogue epilogue, Pool2dSpec pool,
                        Conv2dSpec spec) {
        Shape xs = x.shape();
        Conv2d.Geometry g = geometry(xs, w.shape(), spec);
        try (Tensor z = cpu.empty(Shape.of(xs.dim(0), g.cout(), xs.dim(2), xs.dim(3)))) {
            // The raw sums, left blocked; x read in place (a 1×1's windows all lie inside it).
            Conv2dBlocked.forwardBlocked(cpu, z, x, CpuBackend.inferenceWeights(w, g, false), g, null);
            PoolBlocked.forward(cpu, out, z, pool, false, epilogue);
        }
    }

    private static Conv2d.Geometry geometry(Shape xs, Shape ws, Conv2dSpec spec) {
        int h = xs.dim(2), w = xs.dim(3);
        return new Conv2d.Geometry(xs.dim(0), xs.dim(1), h, w, ws.dim(0), ws.dim(2), ws.dim(3),
                spec.outH(h, ws.dim(2)), spec.outW(w, ws.dim(3)), spec.strideH(), spec.strideW(), spec.padTop(),
                spec.padLeft(), spec.dilationH(), spec.dilationW());
    }
}
