package org.inceptionj.cpu;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vectorized weight gradient of {@link Conv2dBackward} for layers with few weights and a long
 * reduction (Inception's stem: dw 16 × 144, reduced over N·35·35): each weight is a dot product
 * along r = (n, oh, ow),
 * <pre>
 *   dw[co, c] = Σ_r dy[co, r] · col[c, r],   c = (ci,i,j),   col[c, (n,oh,ow)] = x[n, ci, ih, iw]
 * </pre>
 * with vectors along r. Part of the fast path; the plain loop in {@link Conv2dBackward} is the
 * definition.
 *
 * <p>Why not {@link Conv2dBackwardWeightGemm}: there both operands must be packed across r (one
 * of them transposed, value by value), and with 16 output channels each packed value then serves
 * only 16 multiply-adds, so packing took about three quarters of the time (profile). Here both
 * operands stay rows along r, as x and dy already are: dy is copied in runs, col built by the
 * vector copies of {@link Conv2dBackwardWeightGemm#im2colRow} (for small images through
 * {@link Conv2dBatched#windowOffsets}), no transposition. Each weight keeps
 * a vector of {@link #L} partial sums (lane l sums the r ≡ l mod L of each block) across the whole
 * reduction, and the lanes are added in order at the end.
 *
 * <p>Determinism: the blocks of r start at fixed offsets from the start of the reduction part, so
 * every weight is summed in one fixed order whatever thread computes it.
 */
final class Conv2dBackwardWeightDot {
    private Conv2dBackwardWeightDot() {
    }

    private static final VectorSpecies<Float> F = Vectors.F;
    private static final int L = F.length();
    /** Positions r per block: a multiple of every L; K rows of it (at most {@link #MAX_DEPTH}) stay in L2. */
    private static final int RB = 256;
    /** The most output channels and the longest K = Cin·kh·kw this path takes (the partial sums stay in L2). */
    static final int MAX_CHANNELS = 64, MAX_DEPTH = 480;

    /**
     * Reductions shorter than this stay with the GEMM: each weight's L partial sums are cleared and
     * added up once per part, which at 3×3 and batch 32 (a reduction of 288) measured twice the
     * GEMM's time.
     */
    static final int MIN_REDUCTION = 1024;

    static boolean applies(Conv2d.Geometry g) {
        return g.cout() <= MAX_CHANNELS && g.depth() <= MAX_DEPTH
                && (long) g.batch() * g.positions() >= MIN_REDUCTION;
    }

    /** Per-thread scratch, grown on demand: rows of dy and of col for one block, and the partial sums. */
    private static final class Scratch {
        float[] dyRows = new float[0];
        float[] colRows = new float[0];
        float[] sums = new float[0];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Overwrites dw[dwOff + co·K + c] for every (co, c) with the sum over the part [r0, r1) of the reduction. */
    static void multiply(float[] dw, int dwOff, float[] dy, float[] x, Conv2d.Geometry g, int r0, int r1) {
        int k = g.depth(), cout = g.cout(), p = g.positions(), ld = RB + L;
        Scratch s = SCRATCH.get();
        if (s.dyRows.length < cout * ld) {
            s.dyRows = new float[cout * ld];
        }
        if (s.colRows.length < k * ld) {
            s.colRows = new float[k * ld];
        }
        if (s.sums.length < cout * k * L) {
            s.sums = new float[cout * k * L];
        }
        float[] dyRows = s.dyRows, colRows = s.colRows, sums = s.sums;
        // Small images: output rows too short for run-by-run copies; gather through a table instead.
        int[] window = Conv2dBatched.applies(g) ? Conv2dBatched.windowOffsets(g) : null;
        Arrays.fill(sums, 0, cout * k * L, 0f);
        for (int rb = r0; rb < r1; rb += RB) {
            int len = Math.min(RB, r1 - rb), span = (len + L - 1) / L * L;
            // dy rows: dyRows[co·ld + t] = dy[n, co, q] for r = rb + t = n·P + q; zeros to span.
            for (int co = 0; co < cout; co++) {
                int d = co * ld;
                for (int r = rb; r < rb + len; ) {
                    int n = r / p, q = r % p, run = Math.min(p - q, rb + len - r);
                    System.arraycopy(dy, (n * cout + co) * p + q, dyRows, d + r - rb, run);
                    r += run;
                }
                Arrays.fill(dyRows, d + len, d + span, 0f);
            }
            for (int c = 0; c < k; c++) {
                if (window != null) {
                    Conv2dBatched.gatherRow(colRows, c * ld, x, g, window, c, rb, len);
                } else {
                    Conv2dBackwardWeightGemm.im2colRow(colRows, c * ld, x, g, c, rb, len);
                }
                Arrays.fill(colRows, c * ld + len, c * ld + span, 0f);
            }
            accumulate(sums, dyRows, colRows, cout, k, ld, span);
        }
        for (int e = 0; e < cout * k; e++) {
            float sum = 0f;
            for (int l = 0; l < L; l++) {
                sum += sums[e * L + l];
            }
            dw[dwOff + e] = sum;
        }
    }

    /** sums[(co·K + c)·L + l] += Σ_v dy[co·ld + v·L + l] · col[c·ld + v·L + l] over the vectors v of [0, span). */
    private static void accumulate(float[] sums, float[] dy, float[] col, int cout, int k, int ld, int span) {
        int co = 0;
        for (; co + 4 <= cout; co += 4) {
            int c = 0;
            for (; c + 2 <= k; c += 2) {
                tile4x2(sums, dy, col, co, c, k, ld, span);
            }
            for (; c < k; c++) {
                for (int i = 0; i < 4; i++) {
                    tile1x1(sums, dy, col, co + i, c, k, ld, span);
                }
            }
        }
        for (; co < cout; co++) {
            for (int c = 0; c < k; c++) {
                tile1x1(sums, dy, col, co, c, k, ld, span);
            }
        }
    }

    /**
     * Four output channels × two columns: 8 vector accumulators, 6 loads per 8 FMAs (few enough
     * registers for AVX2's 16 as well as AVX-512's 32).
     */
    private static void tile4x2(float[] sums, float[] dy, float[] col, int co, int c, int k, int ld, int span) {
        int s00 = (co * k + c) * L, s01 = s00 + L, s10 = s00 + k * L, s11 = s10 + L;
        int s20 = s10 + k * L, s21 = s20 + L, s30 = s20 + k * L, s31 = s30 + L;
        FloatVector a00 = FloatVector.fromArray(F, sums, s00), a01 = FloatVector.fromArray(F, sums, s01);
        FloatVector a10 = FloatVector.fromArray(F, sums, s10), a11 = FloatVector.fromArray(F, sums, s11);
        FloatVector a20 = FloatVector.fromArray(F, sums, s20), a21 = FloatVector.fromArray(F, sums, s21);
        FloatVector a30 = FloatVector.fromArray(F, sums, s30), a31 = FloatVector.fromArray(F, sums, s31);
        int d0 = co * ld, d1 = d0 + ld, d2 = d1 + ld, d3 = d2 + ld, c0 = c * ld, c1 = c0 + ld;
        for (int t = 0; t < span; t += L) {
            FloatVector b0 = FloatVector.fromArray(F, col, c0 + t), b1 = FloatVector.fromArray(F, col, c1 + t);
            FloatVector g = FloatVector.fromArray(F, dy, d0 + t);
            a00 = g.fma(b0, a00);
            a01 = g.fma(b1, a01);
            g = FloatVector.fromArray(F, dy, d1 + t);
            a10 = g.fma(b0, a10);
            a11 = g.fma(b1, a11);
            g = FloatVector.fromArray(F, dy, d2 + t);
            a20 = g.fma(b0, a20);
            a21 = g.fma(b1, a21);
            g = FloatVector.fromArray(F, dy, d3 + t);
            a30 = g.fma(b0, a30);
            a31 = g.fma(b1, a31);
        }
        a00.intoArray(sums, s00);
        a01.intoArray(sums, s01);
        a10.intoArray(sums, s10);
        a11.intoArray(sums, s11);
        a20.intoArray(sums, s20);
        a21.intoArray(sums, s21);
        a30.intoArray(sums, s30);
        a31.intoArray(sums, s31);
    }

    private static void tile1x1(float[] sums, float[] dy, float[] col, int co, int c, int k, int ld, int span) {
        int at = (co * k + c) * L, d = co * ld, b = c * ld;
        FloatVector a = FloatVector.fromArray(F, sums, at);
        for (int t = 0; t < span; t += L) {
            a = FloatVector.fromArray(F, dy, d + t).fma(FloatVector.fromArray(F, col, b + t), a);
        }
        a.intoArray(sums, at);
    }
}
