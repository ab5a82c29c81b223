package org.inceptionj.cpu;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vectorized weight gradient of {@link Conv2dBackward}: one matrix product
 * <pre>
 *   dw [Cout, K] = A · B,   K = Cin·kh·kw,   reduced over r = (n, oh, ow) in [0, N·outH·outW)
 *   A[co, r] = dy[n, co, oh, ow]       B[r, (ci,i,j)] = col_n[(ci,i,j), (oh,ow)] = x[n, ci, ih, iw]
 * </pre>
 * with Gemm's blocking and micro-kernel ({@link Gemm#kernel}), but its own driver, since the
 * reduction runs across images: both operands are packed a block at a time into per-thread
 * scratch (one {@link Gemm#KC} × {@link Gemm#NC} block of B, one {@link Gemm#MC} × KC block of
 * A), and dw is accumulated in place from the second k-block on. Part of the fast path; the
 * plain loop in {@link Conv2dBackward} is the definition.
 *
 * <p>B is the transpose of the forward's im2col matrix: its strips hold NR columns (ci,i,j) side by
 * side for each r, while x is contiguous along r. So each strip is built as NR rows of im2col
 * (runs of vector copies, as in {@link Conv2dIm2col}) and then transposed, eight rows at a time,
 * with scalar loads and stores; a 1×1 convolution transposes straight from x. That pass costs
 * about one store per value of B, and each value then serves Cout FMAs: for Cout = 64 it is a
 * fifth of the time, for Cout ≥ 128 about a tenth. Layers with up to 192 output channels and a
 * long reduction take {@link Conv2dBackwardWeightRows} instead, which turns the product around (col
 * as A, read in place; only dy transposed). (A dot-product kernel with vectors along r needs no transposition,
 * but has to stream dy once per block of columns and reduce lanes at the end; it measured slower
 * than both.)
 *
 * <p>Determinism: every element of dw is summed in the same order (k-blocks of KC over r
 * ascending, ascending r inside a block, one FMA each), whatever block or thread computes it.
 */
final class Conv2dBackwardWeightGemm {
    private Conv2dBackwardWeightGemm() {
    }

    private static final VectorSpecies<Float> F = Vectors.F;
    private static final int L = F.length();
    private static final int MR = Gemm.MR, NR = Gemm.NR, KC = Gemm.KC, MC = Gemm.MC, NC = Gemm.NC;

    /** Per-thread scratch: a packed A block, a packed B block and an edge tile; grown on demand. */
    private static final class Scratch {
        float[] a = new float[0];
        float[] b = new float[0];
        /** NR rows of the im2col matrix, before they are transposed into a strip of b. */
        float[] rows = new float[0];
        final float[] tile = new float[MR * NR];
        /** Per strip column jj, for the small-image gather: ci·H·W and (i·kw + j)·P. */
        final int[] plane = new int[NR], cell = new int[NR];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * How many pieces to cut dw [Cout, K] into: as {@link Gemm#split}, but only one piece per
     * thread, because every piece packs its own blocks of dy for the whole reduction.
     *
     * @return {rowPieces, columnPieces}
     */
    static int[] split(int threads, int cout, int k) {
        int panels = (cout + MR - 1) / MR, strips = (k + NR - 1) / NR;
        int rowPieces = 1, colPieces = 1;
        while (rowPieces * colPieces < threads) {
            if (colPieces * 2 * 4 <= strips) {
                colPieces *= 2;
            } else if (rowPieces * 2 <= panels) {
                rowPieces *= 2;
            } else {
                break;
            }
        }
        return new int[]{rowPieces, colPieces};
    }

    /**
     * Overwrites dw[m0 : m1, n0 : n1) (row-major [Cout, K]) with its gradient summed over the whole
     * batch. m0 must be a multiple of MR.
     */
    static void multiply(float[] dw, float[] dy, float[] x, Conv2d.Geometry g, int m0, int m1, int n0, int n1) {
        multiply(dw, 0, dy, x, g, m0, m1, n0, n1, 0, g.batch() * g.positions());
    }

    /**
     * Overwrites dw[dwOff + co·K + c] for co in [m0, m1), c in [n0, n1) with the sum over the part
     * [r0, r1) of the reduction r = (n, oh, ow) only. m0 must be a multiple of MR.
     */
    static void multiply(float[] dw, int dwOff, float[] dy, float[] x, Conv2d.Geometry g, int m0, int m1,
                         int n0, int n1, int r0, int r1) {
        int k = g.depth(), reduction = r1 - r0;
        Scratch scratch = SCRATCH.get();
        int[] window = Conv2dBatched.applies(g) ? Conv2dBatched.windowOffsets(g) : null;
        int rows = Math.min(MC, Gemm.paddedRows(m1 - m0));
        if (scratch.a.length < rows * Math.min(KC, reduction)) {
            scratch.a = new float[rows * Math.min(KC, reduction)];
        }
        for (int jc = n0; jc < n1; jc += NC) {
            int nc = Math.min(NC, n1 - jc), strips = (nc + NR - 1) / NR;
            int need = strips * NR * Math.min(KC, reduction);
            if (scratch.b.length < need) {
                scratch.b = new float[need];
            }
            for (int pc = r0; pc < r1; pc += KC) {
                int kc = Math.min(KC, r1 - pc);
                boolean accumulate = pc > r0;
                packColumns(scratch, x, g, window, pc, kc, jc, nc);
                for (int ic = m0; ic < m1; ic += MC) {
                    int icEnd = Math.min(m1, ic + MC);
                    packGradient(scratch.a, dy, g, ic, icEnd, pc, kc);
                    for (int s = 0; s < strips; s++) {
                        int nr = Math.min(NR, nc - s * NR), bOff = s * kc * NR;
                        for (int ir = ic; ir < icEnd; ir += MR) {
                            int mr = Math.min(MR, icEnd - ir), aOff = (ir - ic) * kc;
                            int cAt = dwOff + ir * k + jc + s * NR;
                            if (Gemm.WIDE && nr == NR && ir + 2 * MR <= icEnd) {
                                Gemm.kernel8(kc, scratch.a, aOff, scratch.b, bOff, dw, cAt, k, accumulate, null, 0);
                                ir += MR;
                            } else if (mr == MR && nr == NR) {
                                Gemm.kernel(kc, scratch.a, aOff, scratch.b, bOff, dw, cAt, k, accumulate, null, 0);
                            } else {
                                edge(kc, scratch.a, aOff, scratch.b, bOff, dw, cAt, k, mr, nr, accumulate,
                                        scratch.tile);
                            }
                        }
                    }
                }
            }
        }
    }

    /** A partial tile: run the full kernel on a scratch tile and copy the mr × nr corner. */
    private static void edge(int kc, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int ldc,
                             int mr, int nr, boolean accumulate, float[] tile) {
        if (accumulate) {
            for (int r = 0; r < mr; r++) {
                System.arraycopy(c, cOff + r * ldc, tile, r * NR, nr);
            }
        }
        Gemm.kernel(kc, a, aOff, b, bOff, tile, 0, NR, accumulate, null, 0);
        for (int r = 0; r < mr; r++) {
            System.arraycopy(tile, r * NR, c, cOff + r * ldc, nr);
        }
    }

    /**
     * A[ic : icEnd, r0 : r0+kc) into MR-row panels, k-major: dst[(ir − ic)·kc + kk·MR + rr] =
     * dy[n, ir + rr, p] for r0 + kk = n·P + p; rows at or past icEnd are zero.
     */
    private static void packGradient(float[] dst, float[] dy, Conv2d.Geometry g, int ic, int icEnd, int r0, int kc) {
        int p = g.positions(), cout = g.cout();
        for (int ir = ic; ir < icEnd; ir += MR) {
            int mr = Math.min(MR, icEnd - ir);
            // Walk r0 .. r0+kc−1, one image's run of positions at a time; stores are sequential.
            for (int kk = 0, r = r0; kk < kc; ) {
                int n = r / p, q = r % p, len = Math.min(p - q, kc - kk);
                int src = (n * cout + ir) * p + q, d = (ir - ic) * kc + kk * MR;
                if (mr == MR) {
                    for (int t = 0; t < len; t++, d += MR) {
                        dst[d] = dy[src + t];
                        dst[d + 1] = dy[src + p + t];
                        dst[d + 2] = dy[src + 2 * p + t];
                        dst[d + 3] = dy[src + 3 * p + t];
                    }
                } else {
                    for (int t = 0; t < len; t++, d += MR) {
                        for (int rr = 0; rr < MR; rr++) {
                            dst[d + rr] = rr < mr ? dy[src + rr * p + t] : 0f;
                        }
                    }
                }
                kk += len;
                r += len;
            }
        }
    }

    /**
     * B[r0 : r0+kc, c0 : c0+nc) in {@link Gemm.PanelB}'s layout: dst[(s·kc + kk)·NR + jj] =
     * col_n[(ci,i,j) = c0 + s·NR + jj, (oh,ow)] for r0 + kk = n·P + oh·outW + ow, zero for columns
     * at or past nc. Per strip, the NR rows of col are written out as rows first (runs of vector
     * copies of x), then transposed into the strip eight at a time. For a 1×1, stride-1, unpadded
     * convolution the rows of col are x's planes, and full strips are transposed straight from x.
     * Small images (window table given) are gathered straight into the strip: see {@link #gatherStrip}.
     */
    private static void packColumns(Scratch scratch, float[] x, Conv2d.Geometry g, int[] window, int r0, int kc,
                                    int c0, int nc) {
        float[] dst = scratch.b;
        int strips = (nc + NR - 1) / NR, ld = kc + L, p = g.positions();
        if (scratch.rows.length < NR * ld) {
            scratch.rows = new float[NR * ld];
        }
        float[] rows = scratch.rows;
        for (int s = 0; s < strips; s++) {
            int width = Math.min(NR, nc - s * NR), d = s * kc * NR, c = c0 + s * NR;
            if (window != null) {
                gatherStrip(scratch, dst, d, x, g, window, c, width, r0, kc);
                continue;
            }
            if (g.pointwise() && width == NR && NR % 8 == 0) {
                // One image's run of positions at a time: rows r0+kk of B from planes c.. of x[n].
                for (int kk = 0, r = r0; kk < kc; ) {
                    int n = r / p, q = r % p, len = Math.min(p - q, kc - kk);
                    for (int jj = 0; jj < NR; jj += 8) {
                        transpose8(x, (n * g.cin() + c + jj) * p + q, p, dst, d + kk * NR + jj, len);
                    }
                    kk += len;
                    r += len;
                }
                continue;
            }
            for (int jj = 0; jj < width; jj++) {
                im2colRow(rows, jj * ld, x, g, c + jj, r0, kc);
            }
            if (width < NR) {
                // Columns past nc: zero rows, so the strip is padded with zeros.
                Arrays.fill(rows, width * ld, NR * ld, 0f);
            }
            int jj = 0;
            for (; jj + 8 <= NR; jj += 8) {
                transpose8(rows, jj * ld, ld, dst, d + jj, kc);
            }
            for (; jj < NR; jj++) {
                // Only where NR is not a multiple of 8 (vectors of 2 floats).
                for (int kk = 0; kk < kc; kk++) {
                    dst[d + kk * NR + jj] = rows[jj * ld + kk];
                }
            }
        }
    }

    /**
     * One strip of B for small images: dst[d + kk·NR + jj] = col_n[c + jj, (oh,ow)] for r0 + kk =
     * n·P + oh·outW + ow, read through {@link Conv2dBatched#windowOffsets}; zero for jj ≥ width.
     * Why: at 3×3 or 1×1 an output row is 1 to 3 positions, so im2col row by row runs one short run
     * after another, and the transposition after it moves every value a second time; here each
     * value is one table lookup and one store, in the strip's order. The same values as the
     * im2col-and-transpose path, so the same dw bits.
     */
    private static void gatherStrip(Scratch scratch, float[] dst, int d, float[] x, Conv2d.Geometry g, int[] window,
                                    int c, int width, int r0, int kc) {
        int p = g.positions(), khw = g.kh() * g.kw(), hw = g.h() * g.w(), image = g.cin() * hw;
        int[] plane = scratch.plane, cell = scratch.cell;
        for (int jj = 0; jj < width; jj++) {
            plane[jj] = (c + jj) / khw * hw;
            cell[jj] = (c + jj) % khw * p;
        }
        // (n, pos) of r = r0 + kk stepped along, not divided out per value: at 1×1, pos is always 0.
        for (int kk = 0, n = r0 / p, pos = r0 % p; kk < kc; kk++) {
            int xImage = n * image, o = d + kk * NR;
            for (int jj = 0; jj < width; jj++) {
                int off = window[cell[jj] + pos];
                dst[o + jj] = off < 0 ? 0f : x[xImage + plane[jj] + off];
            }
            for (int jj = width; jj < NR; jj++) {
                dst[o + jj] = 0f;
            }
            if (++pos == p) {
                pos = 0;
                n++;
            }
        }
    }

    /**
     * dst[d + kk·NR + jj] = rows[r + jj·ld + kk] for jj &lt; 8, kk &lt; len: eight rows into eight
     * columns of a strip. Written out so that each of the 16 accesses per step is a fixed offset
     * plus kk (or plus kk·NR), which lets C2 hoist every bounds check out of the loop.
     */
    private static void transpose8(float[] rows, int r, int ld, float[] dst, int d, int len) {
        int r0 = r, r1 = r0 + ld, r2 = r1 + ld, r3 = r2 + ld, r4 = r3 + ld, r5 = r4 + ld, r6 = r5 + ld, r7 = r6 + ld;
        for (int kk = 0; kk < len; kk++) {
            int o = d + kk * NR;
            dst[o] = rows[r0 + kk];
            dst[o + 1] = rows[r1 + kk];
            dst[o + 2] = rows[r2 + kk];
            dst[o + 3] = rows[r3 + kk];
            dst[o + 4] = rows[r4 + kk];
            dst[o + 5] = rows[r5 + kk];
            dst[o + 6] = rows[r6 + kk];
            dst[o + 7] = rows[r7 + kk];
        }
    }

    /**
     * rows[at + kk] = col_n[c, (oh,ow)] for r0 + kk = n·P + oh·outW + ow, kk &lt; kc: one row of the
     * im2col matrix across images, c = (ci,i,j). May write up to L − 1 floats past at + kc.
     */
    static void im2colRow(float[] rows, int at, float[] x, Conv2d.Geometry g, int c, int r0, int kc) {
        int khw = g.kh() * g.kw(), sW = g.strideW(), outW = g.outW(), outH = g.outH(), p = g.positions();
        int h = g.h(), w = g.w(), sH = g.strideH();
        int ci = c / khw, i = c % khw / g.kw(), j = c % g.kw();
        // iw = ow·sW + offW lies in [0, W) exactly for ow in [owLo, owHi); ih = oh·sH + offH.
        int offW = j * g.dilationW() - g.padLeft(), offH = i * g.dilationH() - g.padTop();
        int owLo = Math.max(0, Math.ceilDiv(-offW, sW));
        int owHi = Math.min(outW, Math.floorDiv(w - 1 - offW, sW) + 1);
        int n = r0 / p, oh = r0 % p / outW, ow = r0 % outW;
        for (int kk = 0; kk < kc; ) {
            int end = Math.min(outW, ow + (kc - kk));        // this run: ow .. end−1 of output row oh
            int ih = oh * sH + offH;
            int d = at + kk - ow;                             // rows[d + t] holds output column t
            if (ih < 0 || ih >= h) {
                zero(rows, d + ow, d + end);
            } else {
                int a = Math.min(end, Math.max(ow, owLo)), b = Math.max(a, Math.min(end, owHi));
                int xRow = ((n * g.cin() + ci) * h + ih) * w + offW;
                zero(rows, d + ow, d + a);
                if (sW == 1) {
                    copySpill(x, xRow + a, rows, d + a, b - a);
                } else {
                    for (int t = a; t < b; t++) {
                        rows[d + t] = x[xRow + t * sW];
                    }
                }
                zero(rows, d + b, d + end);
            }
            kk += end - ow;
            ow = end;
            if (ow == outW) {
                ow = 0;
                if (++oh == outH) {
                    oh = 0;
                    n++;
                }
            }
        }
    }

    private static void zero(float[] a, int from, int to) {
        for (int t = from; t < to; t++) {
            a[t] = 0f;
        }
    }

    /**
     * dst[d : d+len) = src[s : s+len) in whole vectors: may write up to L − 1 floats past the end
     * (into the next run, written after it, or the row's slack). Where a whole vector would read
     * past the end of src, copies the rest one by one.
     */
    private static void copySpill(float[] src, int s, float[] dst, int d, int len) {
        int t = 0;
        for (; t < len && s + t + L <= src.length; t += L) {
            FloatVector.fromArray(F, src, s + t).intoArray(dst, d + t);
        }
        for (; t < len; t++) {
            dst[d + t] = src[s + t];
        }
    }
}
