package org.inceptionj.cpu;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The im2col matrix of one image, col[(ci,i,j), (oh,ow)] = x[n, ci, oh·sH − padTop + i·dH,
 * ow·sW − padLeft + j·dW] (zero outside x), written block by block straight into {@link Gemm}'s
 * packed B layout, so the vectorized {@link Conv2d} never holds more of it than one
 * {@link Gemm#KC} × {@link Gemm#NC} block. Part of the fast path; the plain loop in
 * {@link Conv2d} is the definition.
 *
 * <p>Packing is the one cost the GEMM does not amortize well (each packed value is used Cout
 * times, e.g. 64 FMAs, i.e. 4 vector FMAs), so it is organized to move whole vectors:
 * <ul>
 *   <li>Stride 1 with outW = W (all of Inception's padded convolutions, and 1×1): a row of col is
 *       the plane of x read contiguously at an offset, so it is cut into strips directly, then the
 *       few cells that fall into the padding are zeroed ({@link #packContiguous}). Stride 1 with
 *       outW &lt; W (the unpadded 3×3 convolutions of the stem) is the same over a wider grid
 *       ({@link #wide}).</li>
 *   <li>Otherwise (stride 2, or outW &gt; W), per (ci, i) and output row oh: the input row
 *       x[n, ci, ih, :] is laid out once, zero-padded, and split into sW phases: phase r holds
 *       padded columns r, r + sW, r + 2·sW... Then the row of col for any j, over that output row,
 *       is one contiguous run of a phase: padded column ow·sW + j·dW is phase (j·dW mod sW) at
 *       ow + ⌊j·dW / sW⌋. Runs go a vector at a time into a row buffer per k (a run's last vector
 *       may spill past its end, into where the next run goes; runs are written in ascending
 *       order, so the next one overwrites it). Each finished row is then cut into strips
 *       ({@link Gemm#packRow}), but only {@link #LAG} rows after it was written: a vector load
 *       that spans several recent smaller stores cannot be forwarded from the store buffer and
 *       waits for them to reach the cache (measured: packing a stride-2 3×3 block with each row cut
 *       right after it was written took about 1.5 times as long).</li>
 * </ul>
 */
final class Conv2dIm2col implements Gemm.PanelB {
    private static final VectorSpecies<Float> F = Vectors.F;
    private static final int L = F.length();
    /** Rows of col a row waits after it is written before it is cut into strips (see the class note). */
    private static final int LAG = 4;

    private final float[] x;
    private final int n;
    private final Conv2d.Geometry g;
    /** Padded columns the kernel window can reach: (outW − 1)·sW + (kw − 1)·dW + 1. */
    private final int paddedWidth;
    /** Length of one phase, with a vector of slack for spilled reads. */
    private final int phaseLength;
    /** sW phases of the current zero-padded input row; padding cells are never written, so stay 0. */
    private final float[] phases;
    /** A ring of LAG + kw row buffers (nc + L floats each, the L for spilled writes). */
    private float[] rows = new float[0];

    Conv2dIm2col(float[] x, int n, Conv2d.Geometry g) {
        this.x = x;
        this.n = n;
        this.g = g;
        this.paddedWidth = (g.outW() - 1) * g.strideW() + (g.kw() - 1) * g.dilationW() + 1;
        this.phaseLength = (paddedWidth + g.strideW() - 1) / g.strideW() + L;
        this.phases = new float[g.strideW() * phaseLength];
    }

    /**
     * Stride 1 and outW ≤ W: the rows of col are planes of x read at an offset ({@link #packContiguous}),
     * over a grid of outH rows of W columns. Where outW &lt; W (an unpadded 3×3, say) the last W − outW
     * columns of each grid row are not outputs: the caller runs the product over the wide grid,
     * outH·W columns ({@link #wide}), and keeps the first outW of each row. A few percent more
     * multiply-adds (2 of 37 columns at 35×35) buy one copy per row of col instead of a copy per
     * output row into a row buffer and a second into the strips.
     */
    static boolean contiguous(Conv2d.Geometry g) {
        return g.strideH() == 1 && g.strideW() == 1 && g.outW() <= g.w();
    }

    /** Whether the product runs over the wide grid of {@link #contiguous}: outH·W columns, not outH·outW. */
    static boolean wide(Conv2d.Geometry g) {
        return contiguous(g) && g.outW() < g.w();
    }

    @Override
    public void pack(float[] dst, int k0, int kc, int p0, int nc) {
        int stripStride = kc * Gemm.NR, khw = g.kh() * g.kw();
        if (contiguous(g)) {
            int[][] edges = edgeColumns(p0, nc, stripStride);
            for (int kk = 0; kk < kc; kk++) {
                int k = k0 + kk, j = k % g.kw();
                packContiguous(dst, kk, stripStride, k / khw, k % khw / g.kw(), j, p0, nc);
                // iw = ow + shift is outside [0, W) at these positions: the read wrapped there.
                for (int at : edges[j]) {
                    dst[kk * Gemm.NR + at] = 0f;
                }
            }
            return;
        }
        int rowLength = nc + L, ring = LAG + g.kw();
        if (rows.length < ring * rowLength) {
            rows = new float[ring * rowLength];
        }
        int[] at = new int[g.kw()];
        int packed = 0;   // rows [0, packed) of the block are in dst
        // Groups of consecutive k with the same (ci, i): j runs over [jLo, jHi).
        for (int k = k0; k < k0 + kc; ) {
            int ci = k / khw, i = k % khw / g.kw(), jLo = k % g.kw();
            int jHi = Math.min(g.kw(), jLo + (k0 + kc - k));
            for (int j = jLo; j < jHi; j++) {
                at[j - jLo] = (k - k0 + j - jLo) % ring * rowLength;
            }
            im2colGroup(at, ci, i, jLo, jHi, p0, nc);
            k += jHi - jLo;
            // Rows more than LAG behind are final and their stores long retired: pack them. The
            // ring has room for LAG rows plus the next group.
            for (; packed < k - k0 - LAG; packed++) {
                Gemm.packRow(rows, packed % ring * rowLength, nc, dst, packed * Gemm.NR, stripStride);
            }
        }
        for (; packed < kc; packed++) {
            Gemm.packRow(rows, packed % ring * rowLength, nc, dst, packed * Gemm.NR, stripStride);
        }
    }

    /**
     * Row kk = (ci, i, j) of the packed block, for stride 1 with outW = W (every "same"-padded
     * convolution: 1×1, 3×3 pad 1, 1×7 pad (0,3), 7×1 pad (3,0), ...) or over the wide grid of
     * {@link #contiguous} (outW &lt; W, e.g. unpadded). Then position p = oh·W + ow
     * reads x[n, ci, oh + i·dH − padTop, ow + shift] with shift = j·dW − padLeft: the plane of x
     * read contiguously from offset p + (i·dH − padTop)·W + shift. So the row is one copy, zero
     * over the output rows whose input row is outside x; the caller then zeroes the |shift|
     * columns at one edge of each output row ({@link #edgeColumns}), where the read wrapped into
     * a neighbouring row.
     */
    private void packContiguous(float[] dst, int kk, int stripStride, int ci, int i, int j, int p0, int nc) {
        int w = g.w(), plane = g.h() * w, xPlane = (n * g.cin() + ci) * plane;
        int rowShift = i * g.dilationH() - g.padTop(), shift = j * g.dilationW() - g.padLeft();
        // Positions [qLo, qHi) of the block have their input row inside [0, H).
        int qLo = Math.clamp((long) Math.max(0, -rowShift) * w - p0, 0, nc);
        int qHi = Math.clamp((long) Math.min(g.outH(), g.h() - rowShift) * w - p0, qLo, nc);
        int src = xPlane + p0 + rowShift * w + shift;   // x index of position q is src + q
        // Reads stay inside the plane; what that cuts off lies in the edge columns.
        int a = Math.clamp((long) xPlane - src, qLo, qHi), b = Math.clamp((long) xPlane + plane - src, a, qHi);
        Gemm.packRow(x, src, a, b, nc, dst, kk * Gemm.NR, stripStride);
    }

    /**
     * For each j, where in a packed row (offset from its row start) the positions of
     * [p0, p0+nc) lie whose iw = ow + j·dW − padLeft falls outside [0, W): the first −shift or the
     * last shift columns of each output row. The same for every (ci, i), so computed once a block.
     */
    private int[][] edgeColumns(int p0, int nc, int stripStride) {
        int w = g.w();
        int[][] edges = new int[g.kw()][];
        for (int j = 0; j < g.kw(); j++) {
            int shift = j * g.dilationW() - g.padLeft();
            int zLo = shift < 0 ? 0 : Math.max(0, w - shift), zHi = shift < 0 ? Math.min(w, -shift) : w;
            int[] at = new int[shift == 0 ? 0 : (nc / w + 2) * (zHi - zLo)];
            int count = 0;
            for (int rowStart = -(p0 % w); shift != 0 && rowStart < nc; rowStart += w) {
                for (int q = Math.max(rowStart + zLo, 0), end = Math.min(rowStart + zHi, nc); q < end; q++) {
                    at[count++] = q / Gemm.NR * stripStride + q % Gemm.NR;
                }
            }
            edges[j] = Arrays.copyOf(at, count);
        }
        return edges;
    }

    /** rows[at[j − jLo] + q] = col[(ci, i, j), p0 + q] for j in [jLo, jHi), q &lt; nc. */
    private void im2colGroup(int[] at, int ci, int i, int jLo, int jHi, int p0, int nc) {
        int sW = g.strideW();
        // Padded columns holding x: c in [cLo, cHi), x column c − padLeft.
        int cLo = Math.min(g.padLeft(), paddedWidth), cHi = Math.min(g.padLeft() + g.w(), paddedWidth);
        int q = 0, oh = p0 / g.outW(), ow = p0 % g.outW();
        while (q < nc) {
            int count = Math.min(g.outW() - ow, nc - q);   // positions ow .. ow+count-1 of output row oh
            int ih = oh * g.strideH() - g.padTop() + i * g.dilationH();
            int xRow = ((n * g.cin() + ci) * g.h() + ih) * g.w() - g.padLeft();   // x[.., ih, c − padLeft]
            if (ih < 0 || ih >= g.h()) {
                for (int j = jLo; j < jHi; j++) {
                    zeroSpill(rows, at[j - jLo] + q, count);
                }
            } else if (sW == 1 && jLo * g.dilationW() + ow >= g.padLeft()
                    && (jHi - 1) * g.dilationW() + ow + count <= g.padLeft() + g.w()) {
                // Stride 1 and every run inside x (e.g. an unpadded 3x3): copy straight from x.
                for (int j = jLo; j < jHi; j++) {
                    Gemm.copy(x, xRow + j * g.dilationW() + ow, rows, at[j - jLo] + q, count);
                }
            } else {
                if (sW == 1) {
                    Gemm.copy(x, xRow + cLo, phases, cLo, cHi - cLo);
                } else {
                    // Phase r takes padded columns c ≡ r (mod sW), at c / sW.
                    for (int r = 0; r < sW; r++) {
                        int c = cLo + Math.floorMod(r - cLo, sW), to = r * phaseLength + c / sW;
                        for (; c < cHi; c += sW) {
                            phases[to++] = x[xRow + c];
                        }
                    }
                }
                copyRuns(at, jLo, jHi, ow, q, count);
            }
            q += count;
            ow = 0;
            oh++;
        }
    }

    /** For each j: rows[at[j − jLo] + q + t] = padded column (ow + t)·sW + j·dW, t &lt; count. */
    private void copyRuns(int[] at, int jLo, int jHi, int ow, int q, int count) {
        int sW = g.strideW(), dW = g.dilationW();
        for (int j = jLo; j < jHi; j++) {
            int c0 = j * dW;
            copySpill(phases, c0 % sW * phaseLength + c0 / sW + ow,
                    rows, at[j - jLo] + q, count);
        }
    }

    /** dst[d : d+len) = src[s : s+len), whole vectors: may also write up to L − 1 floats past the end. */
    private static void copySpill(float[] src, int s, float[] dst, int d, int len) {
        for (int t = 0; t < len; t += L) {
            FloatVector.fromArray(F, src, s + t).intoArray(dst, d + t);
        }
    }

    /** dst[d : d+len) = 0, whole vectors: may also write up to L − 1 floats past the end. */
    private static void zeroSpill(float[] dst, int d, int len) {
        FloatVector zero = FloatVector.zero(F);
        for (int t = 0; t < len; t += L) {
            zero.intoArray(dst, d + t);
        }
    }
}
