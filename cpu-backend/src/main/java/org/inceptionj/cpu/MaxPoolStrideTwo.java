package org.inceptionj.cpu;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.inceptionj.api.Pool2dSpec;

/**
 * The 3×3 max pool at stride 2 without padding (Inception's grid reductions: 147 → 73, 71 → 35, 35 → 17 and
 * 17 → 8), one output row at a time, with only the windows that are outputs computed:
 * <ol>
 *   <li>rows: m[iw] = max(x[2r, iw], x[2r + 1, iw], x[2r + 2, iw]) along the row, read in place;</li>
 *   <li>columns: out[r, c] = max(m[2c], m[2c + 1], m[2c + 2]); a vector of outputs takes the even and the
 *       odd lanes of two vectors of m ({@link FloatVector#selectFrom(jdk.incubator.vector.Vector,
 *       jdk.incubator.vector.Vector)}), and the even lanes of the two one further on.</li>
 * </ol>
 * Why: the row kernels of {@link Pooling} take the maximum of every window start along the row (stride 1)
 * and keep every other one; the flat kernel does the same over the whole plane, and the kernel across
 * planes first transposes the planes with gathers. Here each vector maximum serves outputs only: 6 lane
 * maxima per output (4 over rows, 2 over columns), against 12 for the row kernel (every column from −∞,
 * every start) and about 36 over the flat plane (9 for each of about 4 flat starts per output).
 * Measured in one process, two threads, batch 8: see {@link #of}.
 *
 * <p>The gradient ({@link #backward}) finds each output window's winner the same way, a vector of outputs
 * at a time from the nine taps' even and odd lanes, and adds dy there in output order. {@link Pooling} takes
 * it where the gradient went across planes or along rows: measured alone, batch 64, the default run's 7 × 7
 * planes 2.8× (one thread) and 5.4× (two) faster, Inception's 35 × 35 to 147 × 147 ones at batch 8
 * 1.0–1.2×; not over 15 × 15 and 17 × 17 planes, whose rows of 7 or 8 outputs fill half a vector (0.6–0.8×
 * the flat kernel).
 *
 * <p>The same results as the plain loop: the maximum does not depend on the order of its terms (Math.max
 * lane by lane: NaN passes on, +0 beats −0); the gradient's winner is the plain loop's (the first maximum
 * in window order, a NaN only when first), and dy is added in its order.
 */
final class MaxPoolStrideTwo {
    private static final VectorSpecies<Float> F = Vectors.F;
    private static final int L = F.length();
    private static final FloatVector EVEN = Vectors.EVEN_OF_PAIR, ODD = Vectors.ODD_OF_PAIR;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());

    private final int h, w, oh, ow;
    /** The row maxima of the current output row, with room for the vectors read past its end. */
    private final float[] rows;
    /** The gradient's winners of the current output row (window cell t = 3i + j), and a zero-padded input row. */
    private final int[] winners;
    private final float[] padded;

    private MaxPoolStrideTwo(int h, int w, int oh, int ow) {
        this.h = h;
        this.w = w;
        this.oh = oh;
        this.ow = ow;
        this.rows = new float[Math.max(w, 2 * ow + 1) + 2 * L + 2];
        this.winners = new int[ow + L];
        this.padded = new float[3 * (w + 2 * L + 2)];
    }

    /**
     * The kernel for this geometry, or null: a 3×3 window at stride 2, no padding, no dilation, every window
     * inside the input. Measured against the kernels it replaces, in one process, two threads: Inception's
     * pools in the eval forward at batch 8, 8 × 768 planes of 17 × 17 3.4× faster (the kernel across
     * planes), 288 of 35 × 35 1.7× (the flat kernel), 192 of 71 × 71 1.6× and 64 of 147 × 147 1.3× (the
     * row kernel); the default run's 15 × 15 planes 3.5× (across planes).
     */
    static MaxPoolStrideTwo of(Pool2dSpec s, int h, int w, int oh, int ow) {
        boolean geometry = s.kernelH() == 3 && s.kernelW() == 3 && s.strideH() == 2 && s.strideW() == 2
                && s.dilationH() == 1 && s.dilationW() == 1 && s.padTop() == 0 && s.padLeft() == 0
                && oh > 0 && ow > 0 && 2 * (oh - 1) + 3 <= h && 2 * (ow - 1) + 3 <= w;
        return geometry ? new MaxPoolStrideTwo(h, w, oh, ow) : null;
    }

    /** out[at...] = the max pool of the plane x[in...]. */
    void forward(float[] out, int at, float[] x, int in) {
        VectorMask<Float> rowTail = F.indexInRange(0, Math.min(L, w));
        for (int r = 0; r < oh; r++) {
            int top = in + 2 * r * w;
            if (w >= L) {
                for (int iw = 0; ; iw = Math.min(iw + L, w - L)) {
                    rowMax(x, top, iw);
                    if (iw == w - L) {
                        break;
                    }
                }
            } else {
                FloatVector.fromArray(F, x, top, rowTail)
                        .max(FloatVector.fromArray(F, x, top + w, rowTail))
                        .max(FloatVector.fromArray(F, x, top + 2 * w, rowTail))
                        .intoArray(rows, 0);
            }
            int o = at + r * ow;
            for (int c = 0; c < ow; c += L) {
                FloatVector first = FloatVector.fromArray(F, rows, 2 * c), second = FloatVector.fromArray(F, rows, 2 * c + L);
                FloatVector next = FloatVector.fromArray(F, rows, 2 * c + 2), after = FloatVector.fromArray(F, rows, 2 * c + 2 + L);
                FloatVector max = EVEN.selectFrom(first, second).max(ODD.selectFrom(first, second))
                        .max(EVEN.selectFrom(next, after));
                if (c + L <= ow) {
                    max.intoArray(out, o + c);
                } else {
                    max.intoArray(out, o + c, F.indexInRange(c, ow));
                }
            }
        }
    }

    /**
     * dx[in...] (cleared by the caller) += each output's dy at its window's winner: the first real cell, in
     * window order (rows, then columns), replaced by each later one strictly greater (NaN never wins unless
     * first), as the plain loop picks it; the outputs in order, as it adds them. Per output row the
     * winners come a vector of outputs at a time from the nine taps' even and odd lanes, then dy goes to
     * them one output at a time.
     */
    void backward(float[] dx, float[] dy, int at, float[] x, int in) {
        int span = w + 2 * L + 2;
        for (int r = 0; r < oh; r++) {
            int top = in + 2 * r * w;
            float[] src = x;
            int row0 = top, stride = w;
            if ((long) top + 2L * w + 2L * ((ow - 1) / L * L) + 2L * L + 2 > x.length) {
                // Near the end of x: the three rows into zero-padded scratch, so that no vector reads past it.
                Arrays.fill(padded, 0f);
                for (int i = 0; i < 3; i++) {
                    System.arraycopy(x, top + i * w, padded, i * span, w);
                }
                src = padded;
                row0 = 0;
                stride = span;
            }
            for (int c = 0; c < ow; c += L) {
                winnersOf(src, row0 + 2 * c, stride, c);
            }
            int o = at + r * ow;
            for (int c = 0; c < ow; c++) {
                int t = winners[c], i = t / 3, j = t - 3 * i;
                dx[in + (2 * r + i) * w + 2 * c + j] += dy[o + c];
            }
        }
    }

    /**
     * winners[c + lane] for the outputs whose windows start at column 2(c + lane) of the three rows from
     * x[top], {@code stride} apart. Window order: each row's columns 0, 1, 2 (the even lanes, the odd lanes,
     * the even lanes one further), rows from the top; a cell replaces the best so far only when strictly
     * greater (the first cell, compared with itself, changes nothing).
     */
    private void winnersOf(float[] x, int top, int stride, int c) {
        FloatVector best = EVEN.selectFrom(FloatVector.fromArray(F, x, top), FloatVector.fromArray(F, x, top + L));
        IntVector winner = IntVector.zero(I);
        for (int i = 0, at = top; i < 3; i++, at += stride) {
            FloatVector even = FloatVector.fromArray(F, x, at), odd = FloatVector.fromArray(F, x, at + L);
            FloatVector next = FloatVector.fromArray(F, x, at + 2), after = FloatVector.fromArray(F, x, at + 2 + L);
            FloatVector v = EVEN.selectFrom(even, odd);
            VectorMask<Float> greater = v.compare(VectorOperators.GT, best);
            best = best.blend(v, greater);
            winner = winner.blend(3 * i, greater.cast(I));
            v = ODD.selectFrom(even, odd);
            greater = v.compare(VectorOperators.GT, best);
            best = best.blend(v, greater);
            winner = winner.blend(3 * i + 1, greater.cast(I));
            v = EVEN.selectFrom(next, after);
            greater = v.compare(VectorOperators.GT, best);
            best = best.blend(v, greater);
            winner = winner.blend(3 * i + 2, greater.cast(I));
        }
        winner.intoArray(winners, c);
    }

    /** rows[iw + lane] = the maximum of the window's three input rows at column iw + lane. */
    private void rowMax(float[] x, int top, int iw) {
        FloatVector.fromArray(F, x, top + iw)
                .max(FloatVector.fromArray(F, x, top + w + iw))
                .max(FloatVector.fromArray(F, x, top + 2 * w + iw))
                .intoArray(rows, iw);
    }
}
