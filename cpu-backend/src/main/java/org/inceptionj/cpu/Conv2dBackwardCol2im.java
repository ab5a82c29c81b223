package org.inceptionj.cpu;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vectorized data gradient of {@link Conv2dBackward} for one image and one group of input
 * channels: colGrad = Wᵀ·dy_n, a block of {@link #POSITIONS} output positions at a time, each
 * block scatter-added into dx (col2im) as soon as it is computed:
 * <pre>
 *   dx[n, ci, oh·sH − padTop + i·dH, ow·sW − padLeft + j·dW] += colGrad[(ci,i,j), (oh,ow)]   (inside x only)
 * </pre>
 * so the scratch is one rows × {@link #POSITIONS} block per thread, never the whole colGrad. Part
 * of the fast path; the plain loop in {@link Conv2dBackward} is the definition.
 *
 * <p>The order in which one dx element receives its terms is: position blocks ascending, then
 * (i, j), then positions. It depends on {@link #POSITIONS} (a constant) but not on how channels
 * are grouped, so the grouping may follow the thread count without changing a bit.
 */
final class Conv2dBackwardCol2im {
    private Conv2dBackwardCol2im() {
    }

    private static final VectorSpecies<Float> F = Vectors.F;
    private static final int L = F.length();

    /**
     * Output positions per colGrad block: a multiple of every NR (16 with AVX2, 32 with AVX-512)
     * so only the image's last block has an edge strip, and small enough that a block of
     * {@link #MAX_ROWS} rows (256 KB) stays in L2 while it is built and scattered.
     */
    static final int POSITIONS = 256;
    /** Rows (ci,i,j) per group, at most (unless one group of MR channels has more). */
    private static final int MAX_ROWS = 256;
    /** Rows per group, at least, where the channels allow: each packed dy value serves this many FMAs. */
    private static final int MIN_ROWS = 64;

    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[1][0]);

    /**
     * How many channel groups to cut Cin into: few enough that each group keeps at least
     * {@link #MIN_ROWS} rows, many enough for every thread (batch × groups ≥ 4·threads) and for
     * rows ≤ {@link #MAX_ROWS}. Groups are cut on multiples of {@link Gemm#MR} channels, so that
     * a group's first row ci0·kh·kw is on a panel boundary of the packed Wᵀ.
     */
    static int channelGroups(int threads, Conv2d.Geometry g) {
        int khw = g.kh() * g.kw(), quads = (g.cin() + Gemm.MR - 1) / Gemm.MR, quadRows = Gemm.MR * khw;
        int maxQuads = Math.max(1, MAX_ROWS / quadRows);
        int minQuads = Math.min(maxQuads, Math.max(1, (MIN_ROWS + quadRows - 1) / quadRows));
        int groups = (quads + maxQuads - 1) / maxQuads;
        int want = threads == 1 ? 1 : 4 * threads;
        while ((long) g.batch() * groups < want && quads / (groups + 1) >= minQuads) {
            groups++;
        }
        return groups;
    }

    /** First channel of group i of groups, on an MR boundary. */
    static int groupStart(int i, int groups, int cin) {
        int quads = (cin + Gemm.MR - 1) / Gemm.MR;
        return Math.min(cin, (int) ((long) quads * i / groups) * Gemm.MR);
    }

    /**
     * Overwrites dx[n, ci0 : ci1) with the data gradient, for rows [m0, m1) = [ci0·kh·kw, ci1·kh·kw)
     * of colGrad.
     *
     * @param packedWt Wᵀ [Cin·kh·kw, Cout] from {@link Gemm#packA}
     * @param dyPanel  packs blocks of dy_n [Cout, outH·outW]
     */
    static void dataGroup(float[] dx, float[] packedWt, Gemm.PanelB dyPanel, int n, int m0, int m1,
                          Conv2d.Geometry g) {
        int khw = g.kh() * g.kw(), ci0 = m0 / khw, ci1 = m1 / khw, plane = g.h() * g.w(), p = g.positions();
        Arrays.fill(dx, (n * g.cin() + ci0) * plane, (n * g.cin() + ci1) * plane, 0f);
        float[][] holder = SCRATCH.get();
        int need = (m1 - m0) * POSITIONS;
        if (holder[0].length < need) {
            holder[0] = new float[need];
        }
        float[] block = holder[0];
        for (int p0 = 0; p0 < p; p0 += POSITIONS) {
            int p1 = Math.min(p, p0 + POSITIONS);
            // colGrad[m, q] lands at block[(m − m0)·POSITIONS + (q − p0)].
            Gemm.multiply(g.depth(), g.cout(), packedWt, null, dyPanel, block, -m0 * POSITIONS - p0, POSITIONS,
                    m0, m1, p0, p1);
            scatterAdd(dx, block, POSITIONS, n, ci0, ci1, p0, p1, g);
        }
    }

    /**
     * dx[n, ci, ih, iw] += block[r·ld + q − p0] for rows r = ((ci − ci0)·kh + i)·kw + j of
     * channels [ci0, ci1) and positions q = oh·outW + ow in [p0, p1), with (ih, iw) inside x.
     */
    static void scatterAdd(float[] dx, float[] block, int ld, int n, int ci0, int ci1, int p0, int p1,
                           Conv2d.Geometry g) {
        int sW = g.strideW(), outW = g.outW();
        for (int ci = ci0; ci < ci1; ci++) {
            int dxPlane = (n * g.cin() + ci) * g.h() * g.w();
            for (int i = 0; i < g.kh(); i++) {
                for (int j = 0; j < g.kw(); j++) {
                    int row = ((ci - ci0) * g.kh() + i) * g.kw() + j;
                    // iw = ow·sW + offW lies in [0, W) exactly for ow in [owLo, owHi).
                    int offW = j * g.dilationW() - g.padLeft();
                    int owLo = Math.max(0, Math.ceilDiv(-offW, sW));
                    int owHi = Math.min(outW, Math.floorDiv(g.w() - 1 - offW, sW) + 1);
                    int q = p0, oh = p0 / outW, ow = p0 % outW;
                    while (q < p1) {
                        int end = Math.min(outW, ow + (p1 - q));    // this run: ow .. end−1 of output row oh
                        int ih = oh * g.strideH() - g.padTop() + i * g.dilationH();
                        int a = Math.max(ow, owLo), b = Math.min(end, owHi);
                        if (ih >= 0 && ih < g.h() && a < b) {
                            int src = row * ld + (q - p0) + (a - ow);
                            int dst = dxPlane + ih * g.w() + a * sW + offW;
                            if (sW == 1) {
                                addTo(dx, dst, block, src, b - a);
                            } else {
                                for (int t = 0; t < b - a; t++) {
                                    dx[dst + t * sW] += block[src + t];
                                }
                            }
                        }
                        q += end - ow;
                        ow = 0;
                        oh++;
                    }
                }
            }
        }
    }

    /** dst[d : d+len) += src[s : s+len), each element rounded as the scalar add would be. */
    private static void addTo(float[] dst, int d, float[] src, int s, int len) {
        int u = 0, bound = F.loopBound(len);
        for (; u < bound; u += L) {
            FloatVector.fromArray(F, dst, d + u).add(FloatVector.fromArray(F, src, s + u)).intoArray(dst, d + u);
        }
        for (; u < len; u++) {
            dst[d + u] += src[s + u];
        }
    }
}
