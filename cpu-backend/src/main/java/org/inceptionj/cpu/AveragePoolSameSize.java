package org.inceptionj.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;
import org.inceptionj.api.Pool2dSpec;

/**
 * The 3×3 average pool of a plane onto a plane of the same size (stride 1, no dilation, padding 2 rows and
 * 2 columns in all: Inception's branch pools, with padding 1 on every side), with the vectors running along
 * the flattened plane, across row ends:
 * <ol>
 *   <li>column sums: c[q] = Σ_i x[q + (i − padTop)·W] for every flat position q = ih·W + iw, read in place;
 *       only the vectors that reach into the padding rows load under a mask (a dropped row loads as +0);</li>
 *   <li>window sums: s[q] = Σ_j c[q + j − padLeft], each term loaded under a mask that drops the columns
 *       that would fall off the row (the load at q − 1 for iw = 0 reads the row above's last column); a
 *       dropped term loads as +0;</li>
 *   <li>out[q] = s[q] / divisor[q]: one vector division.</li>
 * </ol>
 * Why: the row kernels of {@link Pooling} cut each row of 17 or 35 columns into vectors (two or three, a
 * tail overlapping) and copied every row into a zero-bordered plane first; on the flattened plane the
 * vectors are full and x is read where it lies. (A first version copied the plane between zero rows in one
 * piece: its loads, at other offsets than the copy's stores, waited for those stores to reach the cache
 * and took most of the time.) Measured against the kernels they replace: see {@link #of}.
 *
 * <p>The gradient likewise: each output's share dy / divisor into a flat plane between zero margins, then each
 * cell the sum of its nine windows' shares, the left and right ones under the same kind of mask (in training
 * at batch 8, in one process, two threads: 1.6–1.9× faster on the 17 × 17 and 35 × 35 planes, 2.8–3.8× on
 * the 8 × 8 ones, against the padded-plane kernel and the kernel across planes).
 *
 * <p>The same bits as the plain loop ({@link Pooling}): each column sum is Σ_i in row order from +0 and
 * each window sum Σ_j of them in column order from +0, over the real cells; a padding row or a dropped
 * column adds +0, which changes no sum (a sum from +0 is never −0), and the divisor is the plain loop's.
 * One instance per thread (see {@link #of}): it holds that thread's buffers.
 */
final class AveragePoolSameSize {
    private static final VectorSpecies<Float> F = Vectors.F;
    private static final int L = F.length();

    private final Pool2dSpec spec;
    private final int h, w, padTop, padLeft, cells;
    /** The divisor of every output, flat; null where it is the same everywhere ({@link #divisor}). */
    private final float[] divisors;
    private final float divisor;
    /** keepJ[q]: whether column iw + j − padLeft of flat position q lies in the row, for j = 0, 1, 2. */
    private final boolean[] keep0, keep1, keep2;
    /** rowKeepI[q]: whether row ih + i − padTop of flat position q lies in the plane, for i = 0, 1, 2. */
    private final boolean[] rowKeep0, rowKeep1, rowKeep2;
    /**
     * The same as lane bits of the vector from q (bit k: q + k), for {@link VectorMask#fromLong}: JFR put most
     * of a lone 17 × 17 pool's samples on masks made from a boolean[] (its bytes loaded and compared per
     * vector); from bits, the 8 × 8 pools ran 1.6× faster alone, the 17 × 17 and 35 × 35 ones about the same.
     */
    private final long[] keepBits0, keepBits1, keepBits2, rowKeepBits0, rowKeepBits1, rowKeepBits2;
    /** Flat positions from which a vector's rows all lie in the plane, and up to which (exclusive, as a start). */
    private final int innerFrom, innerTo;
    /** The column sums, after a margin of padLeft (and kW + L behind). */
    private final float[] columns;
    /**
     * gatherK[q]: for the gradient, whether the windows d = padLeft − 2 + k columns from flat position q exist
     * (iw + d in [0, W)), k = 0, 1, 2.
     */
    private final boolean[] gather0, gather1, gather2;
    /** The gradient's shares dy / divisor, flat, between margins of 2·W + 2 zeros that stand for windows off the plane. */
    private final float[] shares;
    private final int front;

    private AveragePoolSameSize(Pool2dSpec s, int h, int w) {
        this.spec = s;
        this.h = h;
        this.w = w;
        this.padTop = s.padTop();
        this.padLeft = s.padLeft();
        this.cells = h * w;
        float[] all = new float[cells];
        for (int r = 0; r < h; r++) {
            for (int c = 0; c < w; c++) {
                all[r * w + c] = Pooling.divisor(s, h, w, r - padTop, c - padLeft);
            }
        }
        boolean uniform = true;
        for (float d : all) {
            uniform &= d == all[0];
        }
        this.divisor = all[0];
        this.divisors = uniform ? null : all;
        this.keep0 = keep(0, false);
        this.keep1 = keep(1, false);
        this.keep2 = keep(2, false);
        this.rowKeep0 = keep(0, true);
        this.rowKeep1 = keep(1, true);
        this.rowKeep2 = keep(2, true);
        this.keepBits0 = bits(keep0);
        this.keepBits1 = bits(keep1);
        this.keepBits2 = bits(keep2);
        this.rowKeepBits0 = bits(rowKeep0);
        this.rowKeepBits1 = bits(rowKeep1);
        this.rowKeepBits2 = bits(rowKeep2);
        this.innerFrom = padTop * w;
        this.innerTo = cells - (2 - padTop) * w - L + 1;
        this.columns = new float[padLeft + cells + 3 + L];
        this.gather0 = gather(padLeft - 2);
        this.gather1 = gather(padLeft - 1);
        this.gather2 = gather(padLeft);
        this.front = 2 * w + 2;
        this.shares = new float[front + cells + front + L];
    }

    private boolean[] gather(int d) {
        boolean[] keep = new boolean[cells + L];
        for (int q = 0; q < cells; q++) {
            keep[q] = q % w + d >= 0 && q % w + d < w;
        }
        return keep;
    }

    /** bits[q] = Σ_k (keep[q + k] ? 1 : 0) · 2^k over the L lanes of a vector from q (false past the table). */
    private long[] bits(boolean[] keep) {
        long[] bits = new long[cells];
        for (int q = 0; q < cells; q++) {
            for (int k = 0; k < L && q + k < keep.length; k++) {
                bits[q] |= keep[q + k] ? 1L << k : 0L;
            }
        }
        return bits;
    }

    /** For each flat position q: whether its window's row i (rows) or column j lies in the plane. */
    private boolean[] keep(int tap, boolean rows) {
        boolean[] keep = new boolean[cells + L];
        for (int q = 0; q < cells; q++) {
            int at = rows ? q / w + tap - padTop : q % w + tap - padLeft;
            keep[q] = at >= 0 && at < (rows ? h : w);
        }
        return keep;
    }

    /**
     * The kernel for this geometry, or null where it does not apply: a 3×3 window, a stride of 1, no dilation,
     * an output of the input's size (padding 2 rows and 2 columns in all) and a plane of a vector or more.
     * Measured against the kernels it replaces, two threads, batch 8, alone: 8 × 768 planes of 17 × 17
     * 2.1×, 35 × 35 planes 1.6–1.8× (the padded-plane kernel), 8 × 8 planes 2.0–2.6× (across planes); in
     * the eval forward, in one process, the 17 × 17 pools 1.23× and the 8 × 8 ones 1.9×.
     */
    static AveragePoolSameSize of(Pool2dSpec s, int h, int w, int oh, int ow) {
        boolean same = s.kernelH() == 3 && s.kernelW() == 3 && s.strideH() == 1 && s.strideW() == 1 && s.dilationH() == 1 && s.dilationW() == 1
                && oh == h && ow == w && s.padTop() + s.padBottom() == s.kernelH() - 1
                && s.padLeft() + s.padRight() == s.kernelW() - 1;
        if (!same || (long) h * w < L || (long) (h + s.kernelH()) * w + s.kernelW() + 2L * L > Integer.MAX_VALUE / 2) {
            return null;
        }
        AveragePoolSameSize last = LAST.get();
        if (last != null && last.spec.equals(s) && last.h == h && last.w == w) {
            return last;
        }
        AveragePoolSameSize made = new AveragePoolSameSize(s, h, w);
        LAST.set(made);
        return made;
    }

    /**
     * This thread's last kernel, reused while the geometry repeats: its tables take longer to build than
     * a 17 × 17 plane takes to pool, and a pool's loop calls {@link #of} once per piece (4% of a batch-8
     * pool of 8 × 768 planes of 17 × 17, alone). A thread runs one piece at a time, so its buffers are its own.
     */
    private static final ThreadLocal<AveragePoolSameSize> LAST = new ThreadLocal<>();

    /** out[at...] = the average pool of the plane x[in...]. */
    void forward(float[] out, int at, float[] x, int in) {
        int last = cells - L;
        for (int q = 0; ; q = Math.min(q + L, last)) {
            if (q >= innerFrom && q < innerTo) {
                columnSum(x, in, q);
            } else {
                columnSumAtEdge(x, in, q);
            }
            if (q == last) {
                break;
            }
        }
        for (int q = 0; ; q = Math.min(q + L, last)) {
            windowAverage(out, at, q);
            if (q == last) {
                break;
            }
        }
    }

    /**
     * dx[in...] = the gradient of the plane from dy[at...]: each output's share dy / divisor, then each cell
     * the shares of its windows in output order (rows of windows from the top, each from the left), from +0,
     * as the plain loop adds them into a cleared dx; a window off the plane adds +0.
     */
    void backward(float[] dx, int in, float[] dy, int at) {
        int last = cells - L;
        for (int q = 0; ; q = Math.min(q + L, last)) {
            FloatVector d = divisors == null ? FloatVector.broadcast(F, divisor) : FloatVector.fromArray(F, divisors, q);
            FloatVector.fromArray(F, dy, at + q).div(d).intoArray(shares, front + q);
            if (q == last) {
                break;
            }
        }
        for (int q = 0; ; q = Math.min(q + L, last)) {
            gathered(dx, in, q);
            if (q == last) {
                break;
            }
        }
    }

    /** dx[in + q + lane]: Σ over the windows (r + e, c + d) holding the cell, e then d ascending. */
    private void gathered(float[] dx, int in, int q) {
        VectorMask<Float> left = VectorMask.fromArray(F, gather0, q), middle = VectorMask.fromArray(F, gather1, q),
                right = VectorMask.fromArray(F, gather2, q);
        // Written out row by row: a vector carried through a loop can be kept on the heap by C2 (see Pooling).
        int top = front + q + (padTop - 2) * w + padLeft - 2, mid = top + w, bottom = mid + w;
        FloatVector.zero(F)
                .add(FloatVector.fromArray(F, shares, top, left))
                .add(FloatVector.fromArray(F, shares, top + 1, middle))
                .add(FloatVector.fromArray(F, shares, top + 2, right))
                .add(FloatVector.fromArray(F, shares, mid, left))
                .add(FloatVector.fromArray(F, shares, mid + 1, middle))
                .add(FloatVector.fromArray(F, shares, mid + 2, right))
                .add(FloatVector.fromArray(F, shares, bottom, left))
                .add(FloatVector.fromArray(F, shares, bottom + 1, middle))
                .add(FloatVector.fromArray(F, shares, bottom + 2, right))
                .intoArray(dx, in + q);
    }

    /** columns[padLeft + q + lane] = Σ_i x[in + q + lane + (i − padTop)·W], in row order from +0: every row in the plane. */
    private void columnSum(float[] x, int in, int q) {
        int from = in + q - padTop * w;
        FloatVector.zero(F).add(FloatVector.fromArray(F, x, from))
                .add(FloatVector.fromArray(F, x, from + w))
                .add(FloatVector.fromArray(F, x, from + 2 * w))
                .intoArray(columns, padLeft + q);
    }

    /**
     * The same where some lanes' rows fall outside the plane: those load as +0. Where the rows' span runs
     * past either end of x (the first and last planes of a tensor), lane by lane in the same order: a
     * masked load there takes the Vector API's checked path, which allocated and took most of a pool's time.
     */
    private void columnSumAtEdge(float[] x, int in, int q) {
        int from = in + q - padTop * w;
        if (from < 0 || from + 2 * w + L > x.length) {
            for (int lane = 0; lane < L; lane++) {
                float c = 0f;
                c += rowKeep0[q + lane] ? x[from + lane] : 0f;
                c += rowKeep1[q + lane] ? x[from + w + lane] : 0f;
                c += rowKeep2[q + lane] ? x[from + 2 * w + lane] : 0f;
                columns[padLeft + q + lane] = c;
            }
            return;
        }
        FloatVector.zero(F).add(FloatVector.fromArray(F, x, from, VectorMask.fromLong(F, rowKeepBits0[q])))
                .add(FloatVector.fromArray(F, x, from + w, VectorMask.fromLong(F, rowKeepBits1[q])))
                .add(FloatVector.fromArray(F, x, from + 2 * w, VectorMask.fromLong(F, rowKeepBits2[q])))
                .intoArray(columns, padLeft + q);
    }

    /** out[at + q + lane] = Σ_j (kept) columns[q + lane + j] / divisor, in column order from +0. */
    private void windowAverage(float[] out, int at, int q) {
        FloatVector sum = FloatVector.zero(F)
                .add(FloatVector.fromArray(F, columns, q, VectorMask.fromLong(F, keepBits0[q])))
                .add(FloatVector.fromArray(F, columns, q + 1, VectorMask.fromLong(F, keepBits1[q])))
                .add(FloatVector.fromArray(F, columns, q + 2, VectorMask.fromLong(F, keepBits2[q])));
        FloatVector d = divisors == null ? FloatVector.broadcast(F, divisor) : FloatVector.fromArray(F, divisors, q);
        sum.div(d).intoArray(out, at + q);
    }
}
