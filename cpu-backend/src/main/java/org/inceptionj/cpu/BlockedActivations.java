package org.inceptionj.cpu;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;

/**
 * Activations kept channel-blocked between the inference forward's operators: a tensor [N, C, H, W] that
 * {@link Conv2dBlocked} or {@link Conv2dWinograd} wrote in {@code conv2dBatchNormInference} holds its values as
 * <pre>
 *   xb[((n · ceil(C/L) + c / L) · H·W + p) · L + c % L] = x[n, c, p]     (p = h·W + w; L floats a vector)
 * </pre>
 * the layout their register tiles compute in (oneDNN's and ONNX Runtime's NCHWc), and its NCHW array is
 * written from it only when something reads it as NCHW ({@link CpuStorage#materialize}: every
 * {@link CpuBackend#data} and {@link CpuBackend#read}). A convolution of those two paths that reads such a
 * tensor reads the blocked values instead: a 1×1 or another unpadded layer as they lie, others through a padded
 * copy made of whole rows ({@link #pad}) rather than the 16 × 16 transposes of {@link Conv2dBlocked#block}; a
 * concatenation along channels of whole vectors of channels stays blocked ({@link #concat}).
 *
 * <p>Why: in NCHW a 1×1's register tile broadcasts each of its input channels from another plane, 64 to
 * 128 strided streams that the hardware prefetchers do not follow; channel-blocked, a tile's inputs are a
 * few sequential streams. The layout changes nothing in the sums: each output is the same FMAs in the same
 * order as before, so every bit is kept. The tensor's shape, its API and what any reader sees are NCHW. (The
 * branch pools, which the setting also lets average after their 1×1, are the exception: {@link BranchPool}.)
 *
 * <p>Off with {@code -Dinceptionj.cpu.blockedActivations=false} ({@link CpuConfig#blockedActivations}).
 */
final class BlockedActivations {
    private BlockedActivations() {
    }

    private static final VectorSpecies<Float> F = Vectors.F;
    private static final int L = F.length();

    /** Floats of a blocked [batch, channels, plane]: channels rounded up to whole vectors. */
    static int length(int batch, int channels, int plane) {
        return Math.multiplyExact(Math.multiplyExact(batch, (channels + L - 1) / L), Math.multiplyExact(plane, L));
    }

    /** x [N, C, P] (NCHW) from its blocked values xb: 16 positions at a time as 16 × 16 transposes, the rest one by one. */
    static void unblock(CpuBackend cpu, float[] xb, float[] x, int batch, int channels, int plane) {
        int blocks = (channels + L - 1) / L;
        cpu.parallel().forRange(batch * blocks, 1, (lo, hi) -> {
            for (int t = lo; t < hi; t++) {
                int n = t / blocks, c0 = t % blocks * L, lanes = Math.min(L, channels - c0);
                int src = t * plane * L, dst = (n * channels + c0) * plane;
                int p = 0;
                if (Transpose.APPLIES) {
                    for (; p + L <= plane; p += L) {
                        Transpose.transpose(xb, src + p * L, L, x, dst + p, plane, lanes);
                    }
                }
                for (; p < plane; p++) {
                    for (int c = 0; c < lanes; c++) {
                        x[dst + c * plane + p] = xb[src + p * L + c];
                    }
                }
            }
        });
    }

    /**
     * xp [N][ceil(Cin/L)][hp][wp][L] = x's blocked values xb with g's padding around them (zeros), the layout of
     * {@link Conv2dBlocked#block}: each row copied whole.
     */
    static void pad(CpuBackend cpu, float[] xb, Conv2d.Geometry g, float[] xp, int hp, int wp) {
        int h = g.h(), w = g.w(), top = g.padTop(), left = g.padLeft();
        int blocks = (g.cin() + L - 1) / L;
        cpu.parallel().forRange(g.batch() * blocks, 1, (lo, hi) -> {
            for (int t = lo; t < hi; t++) {
                int dst = t * hp * wp * L, src = t * h * w * L;
                Arrays.fill(xp, dst, dst + top * wp * L, 0f);
                Arrays.fill(xp, dst + (top + h) * wp * L, dst + hp * wp * L, 0f);
                for (int ih = 0; ih < h; ih++) {
                    int row = dst + (ih + top) * wp * L;
                    Arrays.fill(xp, row, row + left * L, 0f);
                    System.arraycopy(xb, src + ih * w * L, xp, row + left * L, w * L);
                    Arrays.fill(xp, row + (left + w) * L, row + wp * L, 0f);
                }
            }
        });
    }

    /**
     * Whether {@link #concat} takes out = concat(parts, axis): along the channels of 4-d tensors whose channel
     * counts are whole vectors, with at least one part blocked (otherwise the plain copy of NCHW is as good).
     */
    static boolean concatApplies(CpuBackend cpu, Tensor out, Tensor[] parts, int axis) {
        if (!cpu.config().blockedActivations() || !cpu.vectorized() || axis != 1 || out.shape().rank() != 4 || !Gemm.WIDE) {
            return false;
        }
        boolean anyBlocked = false;
        for (Tensor p : parts) {
            if (p.shape().dim(1) % L != 0) {
                return false;
            }
            anyBlocked |= CpuBackend.blockedView(p) != null;
        }
        return anyBlocked;
    }

    /**
     * out = the parts one after another along the channels, written blocked: a blocked part's image is one
     * run of its blocked values, an NCHW part is blocked by 16 × 16 transposes as {@link Conv2dBlocked#block}
     * does it.
     */
    static void concat(CpuBackend cpu, Tensor out, Tensor[] parts) {
        Shape s = out.shape();
        int batch = s.dim(0), plane = s.dim(2) * s.dim(3), outBlocks = s.dim(1) / L;
        float[][] src = new float[parts.length][];
        boolean[] blocked = new boolean[parts.length];
        int[] first = new int[parts.length], blocks = new int[parts.length];
        for (int i = 0, b = 0; i < parts.length; i++) {
            float[] view = CpuBackend.blockedView(parts[i]);
            blocked[i] = view != null;
            src[i] = blocked[i] ? view : CpuBackend.read(parts[i]);
            blocks[i] = parts[i].shape().dim(1) / L;
            first[i] = b;
            b += blocks[i];
        }
        float[] o = CpuBackend.writeBlocked(out);
        int tasks = batch * parts.length;
        cpu.parallel().forRange(tasks, 1, (lo, hi) -> {
            for (int t = lo; t < hi; t++) {
                int n = t / parts.length, i = t % parts.length;
                int dst = (n * outBlocks + first[i]) * plane * L;
                if (blocked[i]) {
                    System.arraycopy(src[i], n * blocks[i] * plane * L, o, dst, blocks[i] * plane * L);
                } else {
                    block(src[i], n, blocks[i], plane, o, dst);
                }
            }
        });
    }

    /** Image n of an NCHW x with cb·L channels into o from dst, channel-blocked. */
    private static void block(float[] x, int n, int cb, int plane, float[] o, int dst) {
        int[] planes = new int[L];
        for (int c = 0; c < L; c++) {
            planes[c] = c * plane;
        }
        for (int b = 0; b < cb; b++) {
            int src = (n * cb + b) * L * plane, d = dst + b * plane * L;
            int p = 0;
            if (Transpose.APPLIES) {
                for (; p + L <= plane; p += L) {
                    Transpose.transpose(x, src + p, plane, o, d + p * L, L, L);
                }
            }
            for (; p < plane; p++) {
                FloatVector.fromArray(F, x, src + p, planes, 0).intoArray(o, d + p * L);
            }
        }
    }
}
