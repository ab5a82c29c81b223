package org.inceptionj.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The im2col matrix of one image, col[(ci,i,j), (oh,ow)] = x[n, ci, oh·sH − padTop + i·dH,
 * ow·sW − padLeft + j·dW] (zero outside x), written block by block straight into {@link Gemm}'s
 * packed B layout, so the vectorized {@link Conv2d} never holds more of it than one
 * {@link Gemm#KC} × {@link Gemm#NC} block. Part of the fast path; the plain loop in
 * {@link Conv2d} is the definition.
 *
 * <p>Packing is the one cost the GEMM does not amortize well (each packed value is used
 * Cout times, e.g. 64 FMAs, i.e. 4 vector FMAs), so it is organized to move whole vectors:
 * <ol>
 *   <li>For each (ci, i) and output row oh, the input row x[n, ci, ih, :] is laid out once,
 *       zero-padded, and split into sW phases: phase r holds padded columns r, r + sW, r + 2·sW...
 *       Then the row of col for any j, over that output row, is one contiguous run of a phase:
 *       padded column ow·sW + j·dW is phase (j·dW mod sW) at ow + ⌊j·dW / sW⌋.</li>
 *   <li>Those runs are copied a vector at a time into a row buffer per k. A run's last vector may
 *       spill past its end; that spill lands where the next run (or the slack) goes, and is
 *       overwritten by it, since runs are written in ascending order.</li>
 *   <li>Each finished row buffer is cut into NR-wide strips ({@link Gemm#packRow}). This happens
 *       one (ci, i) group later than the row was written: reading a row back right after its
 *       many small stores would stall on store-to-load forwarding.</li>
 * </ol>
 */
final class Conv2dIm2col implements Gemm.PanelB {
    private static final VectorSpecies<Float> F = Vectors.F;
    private static final int L = F.length();

    private final float[] x;
    private final int n;
    private final Conv2d.Geometry g;
    /** Padded columns the kernel window can reach: (outW − 1)·sW + (kw − 1)·dW + 1. */
    private final int paddedWidth;
    /** Length of one phase, with a vector of slack for spilled reads. */
    private final int phaseLength;
    /**
     * Two buffers (for alternate output rows) of sW phases of a zero-padded input row; padding
     * cells are never written, so stay 0.
     */
    private final float[] phases;
    /** Two slots of kw row buffers (nc + L floats each, the L for spilled writes). */
    private float[] rows = new float[0];

    Conv2dIm2col(float[] x, int n, Conv2d.Geometry g) {
        this.x = x;
        this.n = n;
        this.g = g;
        this.paddedWidth = (g.outW() - 1) * g.strideW() + (g.kw() - 1) * g.dilationW() + 1;
        this.phaseLength = (paddedWidth + g.strideW() - 1) / g.strideW() + L;
        this.phases = new float[2 * g.strideW() * phaseLength];
    }

    @Override
    public void pack(float[] dst, int k0, int kc, int p0, int nc) {
        int stripStride = kc * Gemm.NR, khw = g.kh() * g.kw();
        if (g.pointwise()) {
            // col is x[n] read as [Cin, H·W]: its rows are already contiguous.
            for (int kk = 0; kk < kc; kk++) {
                Gemm.packRow(x, ((n * g.cin() + k0 + kk) * g.h()) * g.w() + p0, nc, dst, kk * Gemm.NR, stripStride);
            }
            return;
        }
        int rowLength = nc + L, slot = g.kw() * rowLength;
        if (rows.length < 2 * slot) {
            rows = new float[2 * slot];
        }
        // Groups of consecutive k with the same (ci, i): j runs over [jLo, jHi).
        int pendingK = -1, pendingCount = 0, pendingBase = 0, group = 0;
        for (int k = k0; k < k0 + kc; group++) {
            int ci = k / khw, i = k % khw / g.kw(), jLo = k % g.kw();
            int jHi = Math.min(g.kw(), jLo + (k0 + kc - k));
            int base = group % 2 * slot;
            im2colGroup(base, rowLength, ci, i, jLo, jHi, p0, nc);
            if (pendingCount > 0) {
                packRows(dst, pendingBase, rowLength, pendingK - k0, pendingCount, nc, stripStride);
            }
            pendingK = k;
            pendingCount = jHi - jLo;
            pendingBase = base;
            k += jHi - jLo;
        }
        packRows(dst, pendingBase, rowLength, pendingK - k0, pendingCount, nc, stripStride);
    }

    private void packRows(float[] dst, int base, int rowLength, int kk0, int count, int nc, int stripStride) {
        for (int r = 0; r < count; r++) {
            Gemm.packRow(rows, base + r * rowLength, nc, dst, (kk0 + r) * Gemm.NR, stripStride);
        }
    }

    /** rows[base + (j − jLo)·rowLength + q] = col[(ci, i, j), p0 + q] for j in [jLo, jHi), q &lt; nc. */
    private void im2colGroup(int base, int rowLength, int ci, int i, int jLo, int jHi, int p0, int nc) {
        int sW = g.strideW();
        // Padded columns holding x: c in [cLo, cHi), x column c − padLeft.
        int cLo = Math.min(g.padLeft(), paddedWidth), cHi = Math.min(g.padLeft() + g.w(), paddedWidth);
        // The row whose phases are laid out but not yet copied: copied one output row later, for
        // the same store-forwarding reason as in pack(); rows are still written in ascending q.
        int pendingQ = -1, pendingOw = 0, pendingCount = 0, pendingPhases = 0;
        int q = 0, oh = p0 / g.outW(), ow = p0 % g.outW();
        while (q < nc) {
            int count = Math.min(g.outW() - ow, nc - q);   // positions ow .. ow+count-1 of output row oh
            int ih = oh * g.strideH() - g.padTop() + i * g.dilationH();
            boolean inside = ih >= 0 && ih < g.h();
            int phaseBase = oh % 2 * sW * phaseLength;
            if (inside) {
                int xRow = ((n * g.cin() + ci) * g.h() + ih) * g.w() - g.padLeft();
                if (sW == 1) {
                    Gemm.copy(x, xRow + cLo, phases, phaseBase + cLo, cHi - cLo);
                } else {
                    // Phase r takes padded columns c ≡ r (mod sW), at c / sW.
                    for (int r = 0; r < sW; r++) {
                        int c = cLo + Math.floorMod(r - cLo, sW), at = phaseBase + r * phaseLength + c / sW;
                        for (; c < cHi; c += sW) {
                            phases[at++] = x[xRow + c];
                        }
                    }
                }
            }
            if (pendingQ >= 0) {
                copyRuns(pendingPhases, base, rowLength, jLo, jHi, pendingOw, pendingQ, pendingCount);
                pendingQ = -1;
            }
            if (inside) {
                pendingQ = q;
                pendingOw = ow;
                pendingCount = count;
                pendingPhases = phaseBase;
            } else {
                for (int j = jLo; j < jHi; j++) {
                    zeroSpill(rows, base + (j - jLo) * rowLength + q, count);
                }
            }
            q += count;
            ow = 0;
            oh++;
        }
        if (pendingQ >= 0) {
            copyRuns(pendingPhases, base, rowLength, jLo, jHi, pendingOw, pendingQ, pendingCount);
        }
    }

    /** For each j: rows[base + (j − jLo)·rowLength + q + t] = padded column (ow + t)·sW + j·dW, t &lt; count. */
    private void copyRuns(int phaseBase, int base, int rowLength, int jLo, int jHi, int ow, int q, int count) {
        int sW = g.strideW(), dW = g.dilationW();
        for (int j = jLo; j < jHi; j++) {
            int c0 = j * dW;
            copySpill(phases, phaseBase + c0 % sW * phaseLength + c0 / sW + ow,
                    rows, base + (j - jLo) * rowLength + q, count);
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
