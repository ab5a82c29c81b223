package org.inceptionj.cpu;

import java.util.Arrays;

/**
 * The vectorized weight gradient of {@link Conv2dBackward} for layers with few output channels and a
 * long reduction (a 75×75 input's layers at width 0.25: dw 16 × 144 reduced over N·35·35), as a
 * matrix product with the roles turned around:
 * <pre>
 *   dwᵀ [K, Cout] = col · dyᵀ,   K = Cin·kh·kw,   col[c, r] = x[n, ci, ih, iw],   dyᵀ[r, co] = dy[n, co, oh, ow]
 * </pre>
 * reduced over r = (n, oh, ow). Why this way round: here the big operand, col, is A, and Gemm's
 * micro-kernel reads A in place as rows along r, which is how im2col builds them (runs of vector
 * copies of x, {@link Conv2dBackwardWeightGemm#im2colRow}, or through
 * {@link Conv2dBatched#windowOffsets} for small images, or as whole planes,
 * {@link Conv2dBatched#contiguousRow}). Only dy, Cout values per r, is transposed
 * into B's strips. The other way round ({@link Conv2dBackwardWeightGemm}) transposes col, K values
 * per r, value by value, and with 16 output channels each value then serves only 16 multiply-adds.
 * Part of the fast path; the plain loop in {@link Conv2dBackward} is the definition.
 *
 * <p>Blocks of {@link Gemm#KC} positions: per block, K rows of col and the strips of dyᵀ are built,
 * then every 8-row (AVX2: 4-row) tile of dwᵀ accumulates the block, in a scratch dwᵀ padded to whole
 * tiles; its rows past K and columns past Cout hold garbage and are never read. Determinism: each
 * element of dw is summed over its part of the reduction in ascending r, one FMA each, whatever
 * thread runs the part.
 */
final class Conv2dBackwardWeightRows {
    private Conv2dBackwardWeightRows() {
    }

    private static final int L = Gemm.L, MR = Gemm.MR, NR = Gemm.NR, KC = Gemm.KC;
    /** The most output channels and the longest K this path takes (dwᵀ and the K rows of col stay in L2). */
    static final int MAX_CHANNELS = 64, MAX_DEPTH = 480;
    /** Reductions shorter than this stay with {@link Conv2dBackwardWeightGemm}: too few blocks to pay for the transposes. */
    static final int MIN_REDUCTION = 1024;

    static boolean applies(Conv2d.Geometry g) {
        return g.cout() <= MAX_CHANNELS && g.depth() <= MAX_DEPTH
                && (long) g.batch() * g.positions() >= MIN_REDUCTION;
    }

    /** Per-thread scratch, grown on demand. */
    private static final class Scratch {
        float[] colRows = new float[0];
        float[] panel = new float[0];
        float[] dwT = new float[0];
        final float[] tile = new float[2 * MR * L];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Overwrites dw[dwOff + co·K + c] for every (co, c) with the sum over the part [r0, r1) of the reduction. */
    static void multiply(float[] dw, int dwOff, float[] dy, float[] x, Conv2d.Geometry g, int r0, int r1) {
        int k = g.depth(), cout = g.cout(), p = g.positions();
        // One vector of columns where Cout fits in it (AVX-512, Cout ≤ 16): half the work of a full strip.
        boolean narrow = Gemm.WIDE && cout <= L;
        int tileRows = Gemm.WIDE ? 2 * MR : MR, kPad = (k + tileRows - 1) / tileRows * tileRows;
        int strips = narrow ? 1 : (cout + NR - 1) / NR, cols = narrow ? L : strips * NR;
        int ld = KC + L;   // im2colRow may write up to L − 1 floats past a row
        Scratch s = SCRATCH.get();
        if (s.colRows.length < kPad * ld) {
            s.colRows = new float[kPad * ld];
        }
        if (s.panel.length < strips * KC * NR) {
            s.panel = new float[strips * KC * NR];
        }
        if (s.dwT.length < kPad * cols) {
            s.dwT = new float[kPad * cols];
        }
        float[] colRows = s.colRows, panel = s.panel, dwT = s.dwT;
        if (r0 >= r1) {
            Arrays.fill(dwT, 0, kPad * cols, 0f);
        }
        boolean contiguous = Conv2dBatched.contiguous(g);
        int[] window = Conv2dBatched.applies(g) ? Conv2dBatched.windowOffsets(g) : null;
        for (int rb = r0; rb < r1; rb += KC) {
            int kc = Math.min(KC, r1 - rb);
            boolean accumulate = rb > r0;
            for (int c = 0; c < k; c++) {
                if (contiguous) {
                    Conv2dBatched.contiguousRow(colRows, c * ld, x, g, c, rb, kc);
                } else if (window != null) {
                    Conv2dBatched.gatherRow(colRows, c * ld, x, g, window, c, rb, kc);
                } else {
                    Conv2dBackwardWeightGemm.im2colRow(colRows, c * ld, x, g, c, rb, kc);
                }
            }
            packTransposed(panel, dy, g, rb, kc, strips);
            for (int ir = 0; ir < kPad; ir += tileRows) {
                int aOff = ir * ld;
                for (int st = 0; st < strips; st++) {
                    int bOff = st * kc * NR, cAt = ir * cols + st * NR;
                    if (narrow) {
                        Gemm.narrow8(kc, colRows, aOff, aOff + MR * ld, 1, ld, panel, bOff, dwT, cAt, cols, L,
                                accumulate, null, 0, s.tile);
                    } else if (Gemm.WIDE) {
                        Gemm.kernel8(kc, colRows, aOff, aOff + MR * ld, 1, ld, panel, bOff, dwT, cAt, cols,
                                accumulate, null, 0);
                    } else {
                        Gemm.kernel(kc, colRows, aOff, 1, ld, panel, bOff, dwT, cAt, cols, accumulate, null, 0);
                    }
                }
            }
        }
        for (int co = 0; co < cout; co++) {
            for (int c = 0; c < k; c++) {
                dw[dwOff + co * k + c] = dwT[c * cols + co];
            }
        }
    }

    /**
     * dyᵀ for positions [r0, r0 + kc) in Gemm's strip layout: panel[(st·kc + kk)·NR + jj] =
     * dy[n, st·NR + jj, q] for r0 + kk = n·P + q. Lanes of channels at or past Cout keep whatever
     * they hold: they only reach columns of dwᵀ that are never read.
     */
    private static void packTransposed(float[] panel, float[] dy, Conv2d.Geometry g, int r0, int kc, int strips) {
        int p = g.positions(), cout = g.cout();
        for (int kk = 0, r = r0; kk < kc; ) {
            int n = r / p, q = r % p, len = Math.min(p - q, kc - kk);
            for (int co = 0; co < cout; co++) {
                int src = (n * cout + co) * p + q, d = ((co / NR) * kc + kk) * NR + co % NR;
                for (int t = 0; t < len; t++) {
                    panel[d + t * NR] = dy[src + t];
                }
            }
            kk += len;
            r += len;
        }
    }
}
