package org.inceptionj.cpu;

import java.util.Arrays;

/**
 * The forward of a 1×1, stride-1, unpadded convolution over large planes, positions in the vector
 * lanes, x read in place:
 * <pre>
 *   out[n, co, p] = bias[co] + Σ_ci  w[co, ci] · x[n, ci, p]
 * </pre>
 * Each channel of x is already a run of positions, so {@link Conv2dDirect}'s register tile (4 output
 * channels × 6 vectors of positions, 24 FMAs per 4 broadcast weights and 6 loads) reads it with no
 * copy at all: column ci of the tile is x's channel ci at the tile's positions. Only the last, partial
 * tile of each image is copied, into zeros, so that no read runs past the plane.
 *
 * <p>Why: the GEMM packs x into strips for every image before it multiplies, a pass over memory that
 * these layers, with 48–80 output channels, do not amortize. Measured in one process, two threads,
 * alternating with the path it replaces: Inception-v3's 35×35 1×1s at batch 8 1.14–1.31× alone and
 * 1.12–1.16× in the eval forward and in a training step's forward; 288→64 at batch 1 1.75–1.95× alone;
 * Conv2d_3b (64→80 at 73×73) 1.11–1.15× at batch 8, 1.8× at batch 1. Not taken: 17×17 planes (289
 * positions, three tiles and one position: 0.5–0.77×), so planes of at least {@link #MIN_POSITIONS}.
 *
 * <p>Same bits as the GEMM ({@link Conv2d#forwardVector}): each output starts from its bias (or zero)
 * and takes one FMA per input channel in ascending order; the epilogue is applied after, as
 * {@link BatchNormEpilogue#apply} does. Part of the fast path; the plain loop in {@link Conv2d} is the
 * definition.
 */
final class Conv2dPointwise {
    private Conv2dPointwise() {
    }

    private static final int TR = Conv2dDirect.TR, TP = Conv2dDirect.TP;
    /** The fewest positions per plane: 8 tiles, so that the partial one costs at most an eighth more. */
    static final int MIN_POSITIONS = 8 * TP;

    /**
     * Input channels per range of the sums ({@link Conv2dDirect#allRows}). A tile reads 6 vectors of a plane per
     * input channel, and each of its row tiles of output channels reads them again: over all of 288 channels
     * (110 KB, 7 lines a channel) they came from L2 each time, over 64 (28 KB) they stay in L1. Measured one
     * thread, in one process, alternating with one range, 1×1s at 35 × 35: 288 → 64 at batch 8 1.15–1.26× and
     * batch 1 1.27×, 256 → 48 1.12–1.16×, 192 → 64 1.16–1.24×; ranges of 48 or 80 channels 1.10–1.24×, of 32
     * 0.96×. The same bits (each range continues the sums of the one before).
     */
    static final int STEPS = 64;

    /**
     * 1×1, stride 1, unpadded, planes of {@link #MIN_POSITIONS} or more, AVX-512, the blocked-convolution
     * setting on, and scratch within int indices.
     */
    static boolean applies(CpuBackend cpu, Conv2d.Geometry g) {
        return cpu.config().blockedConv() && cpu.vectorized() && Gemm.WIDE && g.pointwise()
                && g.strideH() == 1 && g.strideW() == 1 && g.padTop() == 0 && g.padLeft() == 0
                && g.outH() == g.h() && g.outW() == g.w() && (long) g.h() * g.w() >= MIN_POSITIONS
                && (long) g.cin() * (TP + 1) + (long) (g.cout() + TR) * TP < Integer.MAX_VALUE / 2;
    }

    /**
     * out [N, Cout, H, W] (NCHW, overwritten) = the 1×1 convolution of x [N, Cin, H, W] with w [Cout, Cin, 1, 1],
     * plus bias (or null), then the epilogue (or null).
     */
    static void forward(CpuBackend cpu, float[] out, float[] x, float[] w, float[] bias, Conv2d.Geometry g,
                        BatchNormEpilogue epilogue) {
        int n = g.batch(), cin = g.cin(), cout = g.cout(), hw = g.h() * g.w();
        int rowTiles = (cout + TR - 1) / TR;
        float[] wt = cpu.cache().allocateStale(rowTiles * TR * cin);
        try {
            Conv2dDirect.packWeights(w, cout, cin, wt);
            // Column ci of a tile: channel ci of the image (in place), or of the copied last tile.
            int[] inPlace = new int[cin], copied = new int[cin];
            for (int ci = 0; ci < cin; ci++) {
                inPlace[ci] = ci * hw;
                copied[ci] = ci * TP;
            }
            int full = hw / TP, tail = hw % TP, perImage = full + (tail > 0 ? 1 : 0);
            cpu.parallel().forRange(n * perImage, 1, (lo, hi) -> {
                float[] xs = cpu.cache().allocateStale(cin * TP + TP);
                float[] os = cpu.cache().allocateStale(rowTiles * TR * TP);
                try {
                    for (int item = lo; item < hi; item++) {
                        int img = item / perImage, u = item % perImage * TP, cols = Math.min(TP, hw - u);
                        float[] src = x;
                        int[] column = inPlace;
                        int at = img * cin * hw + u;
                        if (cols < TP) {
                            // The last tile's positions past the plane read zeros.
                            for (int ci = 0; ci < cin; ci++) {
                                System.arraycopy(x, (img * cin + ci) * hw + u, xs, ci * TP, cols);
                                Arrays.fill(xs, ci * TP + cols, (ci + 1) * TP, 0f);
                            }
                            src = xs;
                            column = copied;
                            at = 0;
                        }
                        Conv2dDirect.allRows(src, column, at, wt, cin, STEPS, bias, cout, os, 0, TP);
                        for (int co = 0; co < cout; co++) {
                            if (epilogue != null) {
                                epilogue.applyInto(os, co * TP, out, (img * cout + co) * hw + u, co, cols);
                            } else {
                                System.arraycopy(os, co * TP, out, (img * cout + co) * hw + u, cols);
                            }
                        }
                    }
                } finally {
                    cpu.cache().recycle(os);
                    cpu.cache().recycle(xs);
                }
            });
        } finally {
            cpu.cache().recycle(wt);
        }
    }
}
