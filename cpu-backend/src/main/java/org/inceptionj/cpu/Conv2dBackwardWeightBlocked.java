package org.inceptionj.cpu;

import java.util.Arrays;

/**
 * The weight gradient of a convolution over small planes (Inception's 8×8, 3×3 and 1×1 ones), as
 * {@link Conv2dBlocked}'s register tiles. A fast path that a reader may skip: {@link Conv2dBackward}'s
 * plain loop defines the result, and this path gives the GEMM's bits ({@link Conv2dBackwardWeightGemm}),
 * because it sums each element in the same order.
 *
 * <p>The gradient is a product of dy and the im2col matrix of x:
 * <pre>
 *   dw[co, (ci, i, j)] = Σ_{n, oh, ow} dy[n, co, oh, ow] · xp[n, ci, oh·sH + i·dH, ow·sW + j·dW]
 * </pre>
 * with xp x padded with zeros. That is a forward convolution with the roles turned: the columns
 * (ci, i, j) of dw are its "positions", Cout its output channels, and the reduction steps
 * s = (n, oh, ow) its input channels. The value that step s reads for column (ci, i, j) lies at
 * base[(ci, i, j)] + tapOff[s] in xp, with base = (ci·hp + i·dH)·wp + j·dW and
 * tapOff = n·Cin·hp·wp + oh·sH·wp + ow·sW: a sum of one term per column and one per step, which is
 * how the blocked kernel addresses its input. So the kernel computes it with xp read in place (x
 * itself where nothing is padded), dyᵀ packed as its weights ([s][co], a vector of output channels
 * per step), and writes dw [Cout, Cin·kh·kw] as it writes an output plane. Why: with few positions
 * per image the GEMM's strips of colᵀ are short and its reduction is cut by images; here the tile's
 * positions are the columns of dw, as many as the layer has. Measured on two threads (Zen 4), in one
 * process, alternating with the GEMM, for 1×1s: the default run's 192→48, 192→40 and 320→48 over 3×3
 * planes (batch 64) 1.8×, 1.5× and 2.2×; Mixed_7's 2048→448, 1280→320 and 2048→192 over 8×8 planes
 * (batch 8) 1.16×, 1.22× and 1.39×; and for the others: Mixed_7's 3×3 448→384, 1×3 and 3×1 384→384
 * over 8×8 (batch 8) 1.24×, 1.16× and 1.20×, the default run's 1×7 and 7×1 over 3×3 (batch 64) 0.7–1.0×
 * (calls of half a millisecond, whose fixed costs weigh as much as their multiply-adds on both paths);
 * the default run's training step 4.2% faster in one process (2.4–3.7% with 1×1s alone), the same bits.
 *
 * <p>Order of the sum: each element starts from zero and takes one FMA per step s = (n, oh, ow) in
 * ascending order, the GEMM's order over an unsplit reduction; so the same bits.
 */
final class Conv2dBackwardWeightBlocked {
    private Conv2dBackwardWeightBlocked() {
    }

    private static final int L = Vectors.F.length();

    /**
     * Reductions shorter than this stay with the GEMM: over 1×1 planes (batch 32 and 64, 32 to 80 output
     * channels) this path ran 0.3–1.3× the GEMM's speed, each call a tenth of a millisecond.
     */
    static final int MIN_STEPS = 256;

    /**
     * Where this path is taken: AVX-512 (the blocked kernel's 32 registers), a reduction N·outH·outW of
     * at least {@link #MIN_STEPS} steps but neither long enough for {@link Conv2dBackwardWeightRows} nor
     * cut into parts ({@link Conv2dBackward#REDUCTION_SPLIT}), and x's padded copy and the packed dyᵀ
     * within an array.
     */
    static boolean applies(Conv2d.Geometry g) {
        long steps = (long) g.batch() * g.positions();
        long padded = (long) g.batch() * g.cin() * paddedHeight(g) * paddedWidth(g);
        return Gemm.WIDE && !Conv2dBackwardWeightRows.applies(g)
                && steps >= MIN_STEPS && steps < Conv2dBackward.REDUCTION_SPLIT
                && padded <= Integer.MAX_VALUE - 16
                && (long) (g.cout() + L - 1) / L * L * steps <= Integer.MAX_VALUE - 16;
    }

    /** The convolution that computes g's weight gradient: Cin·kh·kw positions, Cout channels, N·P steps. */
    static Conv2d.Geometry turned(Conv2d.Geometry g) {
        int steps = g.batch() * g.positions(), k = g.depth();
        return new Conv2d.Geometry(1, steps, 1, k, g.cout(), 1, 1, 1, k, 1, 1, 0, 0, 1, 1);
    }

    /** Rows of x's padded copy: the padding above, x's rows, and enough below for the last window. */
    static int paddedHeight(Conv2d.Geometry g) {
        return Math.max(g.h() + g.padTop(), (g.outH() - 1) * g.strideH() + (g.kh() - 1) * g.dilationH() + 1);
    }

    static int paddedWidth(Conv2d.Geometry g) {
        return Math.max(g.w() + g.padLeft(), (g.outW() - 1) * g.strideW() + (g.kw() - 1) * g.dilationW() + 1);
    }

    /** Overwrites dw [Cout, Cin, kh, kw] with g's weight gradient from dy [N, Cout, outH, outW] and x. */
    static void weight(CpuBackend cpu, float[] dw, float[] dy, float[] x, Conv2d.Geometry g) {
        Conv2d.Geometry t = turned(g);
        int hp = paddedHeight(g), wp = paddedWidth(g), image = g.cin() * hp * wp;
        int[] tapOff = new int[t.cin()];
        for (int n = 0, s = 0; n < g.batch(); n++) {
            for (int oh = 0; oh < g.outH(); oh++) {
                for (int ow = 0; ow < g.outW(); ow++) {
                    tapOff[s++] = n * image + oh * g.strideH() * wp + ow * g.strideW();
                }
            }
        }
        int[] base = new int[g.depth()];
        for (int ci = 0, c = 0; ci < g.cin(); ci++) {
            for (int i = 0; i < g.kh(); i++) {
                for (int j = 0; j < g.kw(); j++) {
                    base[c++] = (ci * hp + i * g.dilationH()) * wp + j * g.dilationW();
                }
            }
        }
        boolean copy = hp != g.h() || wp != g.w() || g.padTop() != 0 || g.padLeft() != 0;
        float[] xp = copy ? cpu.cache().allocateStale(g.batch() * image) : x;
        float[] dyT = cpu.cache().allocateStale(Conv2dBlocked.packedLength(t));
        try {
            if (copy) {
                pad(cpu.parallel(), x, g, xp, hp, wp);
            }
            packTransposed(cpu.parallel(), dy, g, dyT);
            Conv2dBlocked.compute(cpu, dw, xp, tapOff, base, dyT, null, t, null);
        } finally {
            cpu.cache().recycle(dyT);
            if (copy) {
                cpu.cache().recycle(xp);
            }
        }
    }

    /**
     * xp[n, ci, ih + padTop, iw + padLeft] = x[n, ci, ih, iw], zeros elsewhere ([N, Cin, hp, wp]); planes
     * on the backend's threads (as the packing below: on one thread they were 3% of a training step's time
     * at batch 8, the other thread waiting).
     */
    static void pad(Parallel parallel, float[] x, Conv2d.Geometry g, float[] xp, int hp, int wp) {
        int h = g.h(), w = g.w(), plane = hp * wp;
        parallel.forRange(g.batch() * g.cin(), Math.max(1, (1 << 14) / plane), (lo, hi) -> {
            for (int pl = lo; pl < hi; pl++) {
                Arrays.fill(xp, pl * plane, (pl + 1) * plane, 0f);
                for (int ih = 0; ih < h; ih++) {
                    System.arraycopy(x, (pl * h + ih) * w, xp, pl * plane + (ih + g.padTop()) * wp + g.padLeft(), w);
                }
            }
        });
    }

    /**
     * dyᵀ in {@link Conv2dBlocked#packWeights}' layout for {@link #turned}(g): dy's channels as the output
     * channels, the steps s = n·P + p (dy[n, co, p] for vector f's lane co − f·L of its group at {@link
     * Conv2dBlocked#packedAt}, zero for co ≥ Cout). Per vector of channels and image, a {@link
     * Conv2dBlocked#packBlock} of its planes (cut where a chunk of steps ends), on the backend's threads.
     */
    static void packTransposed(Parallel parallel, float[] dy, Conv2d.Geometry g, float[] dyT) {
        int p = g.positions(), cout = g.cout(), batch = g.batch(), steps = batch * p, blocks = (cout + L - 1) / L;
        int[] starts = Conv2dBlocked.groupStarts(blocks), bases = Conv2dBlocked.groupBases(starts, steps);
        parallel.forRange(blocks * batch, Math.max(1, (1 << 14) / (p * L)), (lo, hi) -> {
            for (int task = lo; task < hi; task++) {
                int v = task / batch, n = task % batch, gr = Conv2dBlocked.groupOf(starts, v), c0 = v * L;
                int fb = starts[gr + 1] - starts[gr], f = v - starts[gr], cs = Conv2dBlocked.chunkSteps(fb);
                for (int s = n * p, end = s + p; s < end; ) {
                    int run = Math.min(end - s, cs - s % cs);
                    Conv2dBlocked.packBlock(dy, (n * cout + c0) * p + s - n * p, p, cout - c0, run, dyT,
                            Conv2dBlocked.packedAt(bases[gr], fb, s, f), L);
                    s += run;
                }
                if (n == batch - 1) {
                    Conv2dBlocked.zeroTail(dyT, bases[gr], fb, steps, f);
                }
            }
        });
    }
}
