package org.inceptionj.cpu;

import java.util.Arrays;

import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Tensor;

/**
 * The two gradients of {@link Conv2d}, for x [N,Cin,H,W], w [Cout,Cin,kh,kw] and the upstream
 * gradient dy [N,Cout,outH,outW], with ih = oh·sH − padTop + i·dH and iw = ow·sW − padLeft + j·dW
 * as in the forward:
 * <pre>
 *   data   (the transposed convolution):  dx[n,ci,ih,iw] = Σ_{co,oh,ow,i,j : (ih,iw) as above} dy[n,co,oh,ow] · w[co,ci,i,j]
 *   weight:                               dw[co,ci,i,j]   = Σ_{n,oh,ow} dy[n,co,oh,ow] · x[n,ci,ih,iw]   (x = 0 outside)
 * </pre>
 * Both overwrite their output. Input cells that no window reaches (the last rows of a stride-2
 * convolution whose window does not fit evenly, say) get dx = 0; padding cells receive nothing.
 *
 * <p>The plain paths are these formulas as nested loops. The vectorized paths are the same sums
 * as matrix products over the forward's im2col matrix col_n[(ci,i,j), (oh,ow)] = x[n,ci,ih,iw]:
 * <pre>
 *   dx:  colGrad_n [Cin·kh·kw, outH·outW] = Wᵀ · dy_n,  then  dx[n] = col2im(colGrad_n)   (scatter-add)
 *   dw:  dw [Cout, Cin·kh·kw] = Σ_n dy_n · col_nᵀ     (one product, reduced over (n, oh, ow))
 * </pre>
 * both through {@link Gemm}'s micro-kernel. Neither col_n nor colGrad_n is ever held whole: see
 * {@link Conv2dBackwardCol2im} and {@link Conv2dBackwardWeightGemm} (or {@link Conv2dBackwardWeightRows},
 * {@link Conv2dBackwardWeightDirect}). The stride-1 3×3, 5×5, 1×7 and 7×1 weight gradients with enough
 * channels take Winograd's minimal filtering instead ({@link Conv2dBackwardWeightWinograd}).
 */
final class Conv2dBackward {
    private Conv2dBackward() {
    }

    /** Writes dx; reads dy and w. */
    static void data(CpuBackend cpu, Tensor dx, Tensor dy, Tensor w, Conv2dSpec spec) {
        Conv2d.Geometry g = Conv2d.Geometry.of(dy, dx, w, spec);
        float[] dxd = CpuBackend.data(dx), dyd = CpuBackend.data(dy), wd = CpuBackend.data(w);
        if (g.batch() == 0 || g.cin() == 0) {
            return;
        }
        if (g.cout() == 0 || g.positions() == 0) {
            Arrays.fill(dxd, 0, g.batch() * g.cin() * g.h() * g.w(), 0f);
            return;
        }
        if (cpu.vectorized()) {
            dataVector(cpu, dxd, dyd, wd, g);
        } else {
            dataPlain(cpu, dxd, dyd, wd, g);
        }
    }

    /** Writes dw; reads dy and x. */
    static void weight(CpuBackend cpu, Tensor dw, Tensor dy, Tensor x, Conv2dSpec spec) {
        Conv2d.Geometry g = Conv2d.Geometry.of(dy, x, dw, spec);
        float[] dwd = CpuBackend.data(dw), dyd = CpuBackend.data(dy), xd = CpuBackend.data(x);
        if (g.cout() == 0 || g.depth() == 0) {
            return;
        }
        if (g.batch() == 0 || g.positions() == 0) {
            Arrays.fill(dwd, 0, g.cout() * g.depth(), 0f);
            return;
        }
        if (cpu.vectorized()) {
            weightVector(cpu, dwd, dyd, xd, g);
        } else {
            weightPlain(cpu, dwd, dyd, xd, g);
        }
    }

    // ---------------------------------------------------------------- plain: the formulas

    /**
     * One (n, ci) plane of dx per loop item: cleared, then every window term that lands on it is
     * added, in the order co, oh, ow, i, j, in float.
     */
    private static void dataPlain(CpuBackend cpu, float[] dx, float[] dy, float[] w, Conv2d.Geometry g) {
        int plane = g.h() * g.w();
        cpu.parallel().forRange(g.batch() * g.cin(), 1, (lo, hi) -> {
            for (int t = lo; t < hi; t++) {
                int n = t / g.cin(), ci = t % g.cin();
                Arrays.fill(dx, t * plane, (t + 1) * plane, 0f);
                for (int co = 0; co < g.cout(); co++) {
                    for (int oh = 0; oh < g.outH(); oh++) {
                        for (int ow = 0; ow < g.outW(); ow++) {
                            float grad = dy[((n * g.cout() + co) * g.outH() + oh) * g.outW() + ow];
                            for (int i = 0; i < g.kh(); i++) {
                                for (int j = 0; j < g.kw(); j++) {
                                    int ih = oh * g.strideH() - g.padTop() + i * g.dilationH();
                                    int iw = ow * g.strideW() - g.padLeft() + j * g.dilationW();
                                    if (ih >= 0 && ih < g.h() && iw >= 0 && iw < g.w()) {
                                        dx[t * plane + ih * g.w() + iw] +=
                                                grad * w[((co * g.cin() + ci) * g.kh() + i) * g.kw() + j];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        });
    }

    /** One (co, ci) kernel of dw per loop item; each sum runs over n, oh, ow in that order, in float. */
    private static void weightPlain(CpuBackend cpu, float[] dw, float[] dy, float[] x, Conv2d.Geometry g) {
        cpu.parallel().forRange(g.cout() * g.cin(), 1, (lo, hi) -> {
            for (int t = lo; t < hi; t++) {
                int co = t / g.cin(), ci = t % g.cin();
                for (int i = 0; i < g.kh(); i++) {
                    for (int j = 0; j < g.kw(); j++) {
                        float acc = 0f;
                        for (int n = 0; n < g.batch(); n++) {
                            for (int oh = 0; oh < g.outH(); oh++) {
                                for (int ow = 0; ow < g.outW(); ow++) {
                                    int ih = oh * g.strideH() - g.padTop() + i * g.dilationH();
                                    int iw = ow * g.strideW() - g.padLeft() + j * g.dilationW();
                                    if (ih >= 0 && ih < g.h() && iw >= 0 && iw < g.w()) {
                                        acc += dy[((n * g.cout() + co) * g.outH() + oh) * g.outW() + ow]
                                                * x[((n * g.cin() + ci) * g.h() + ih) * g.w() + iw];
                                    }
                                }
                            }
                        }
                        dw[((co * g.cin() + ci) * g.kh() + i) * g.kw() + j] = acc;
                    }
                }
            }
        });
    }

    // ---------------------------------------------------------------- vectorized: GEMM + col2im

    /**
     * Work pieces are (image, channel group): a group of input channels owns whole planes of dx,
     * so no two pieces write the same element. Each piece computes its rows of colGrad_n =
     * Wᵀ·dy_n in blocks of {@link Conv2dBackwardCol2im#POSITIONS} positions and scatter-adds each
     * block into dx at once. Every dx element is summed in the same order (position blocks
     * ascending, then i, j, then positions; each colGrad value in Gemm's fixed order over co)
     * whatever the grouping, so results are identical for any thread count.
     */
    private static void dataVector(CpuBackend cpu, float[] dx, float[] dy, float[] w, Conv2d.Geometry g) {
        if (Conv2d.dataAsForwardPays(cpu, g)) {
            // A forward convolution of dy (see Conv2d.dataAsForward for why).
            Conv2d.dataAsForward(cpu, dx, dy, w, g);
            return;
        }
        if (Conv2dBatched.applies(g)) {
            // Small images: one product across the batch (see Conv2dBatched for why).
            Conv2dBatched.data(cpu, dx, dy, w, g);
            return;
        }
        int k = g.depth(), cout = g.cout(), p = g.positions(), khw = g.kh() * g.kw();
        // Wᵀ [Cin·kh·kw, Cout]: Wᵀ[(ci,i,j), co] = w[co·K + (ci,i,j)]; packed once, shared.
        float[] packedWt = Gemm.packA(cpu.parallel(), w, 0, 1, k, k, cout);
        // A 1×1's columns past each image's last whole strip, together across the batch (see there).
        int main = Conv2d.tailsTogether(g) ? p - p % Gemm.NR : p;
        int groups = Conv2dBackwardCol2im.channelGroups(cpu.parallel().threads(), g);
        cpu.parallel().forRange(g.batch() * groups, 1, (lo, hi) -> {
            for (int t = lo; t < hi; t++) {
                int n = t / groups, group = t % groups;
                int ci0 = Conv2dBackwardCol2im.groupStart(group, groups, g.cin());
                int ci1 = Conv2dBackwardCol2im.groupStart(group + 1, groups, g.cin());
                if (ci0 >= ci1) {
                    continue;
                }
                // B = dy_n [Cout, outH·outW], row-major: each row of a block is a contiguous run.
                int dyImage = n * cout * p;
                Gemm.PanelB dyPanel = (dst, k0, kc, q0, nc) -> {
                    for (int kk = 0; kk < kc; kk++) {
                        Gemm.packRow(dy, dyImage + (k0 + kk) * p + q0, nc, dst, kk * Gemm.NR, kc * Gemm.NR);
                    }
                };
                if (g.pointwise()) {
                    // col2im is the identity: colGrad_n rows are the planes of dx[n] themselves.
                    Gemm.multiply(k, cout, packedWt, null, dyPanel, dx, n * g.cin() * p, p, ci0, ci1, 0, main);
                } else {
                    Conv2dBackwardCol2im.dataGroup(dx, packedWt, dyPanel, n, ci0 * khw, ci1 * khw, g);
                }
            }
        });
        if (main < p) {
            Conv2d.productOverTails(cpu, dx, k, dy, cout, packedWt, Gemm.PACKED, null, g.batch(), p, main, null);
        }
    }

    /**
     * Reductions r = (n, oh, ow) at least this long are cut into {@link #REDUCTION_PARTS} parts.
     * Why: in a small-channel, large-image layer (Inception's stem at 35×35 with 16 channels: dw is
     * 16 × 144, the reduction 32·1225) dw has too few blocks to share out without every piece
     * transposing all of x again, which was most of the time; parts of the reduction share nothing.
     */
    static final int REDUCTION_SPLIT = 4096;
    /** Parts of a long reduction: a fixed number, not the thread count, so the sums stay the same bits for any. */
    static final int REDUCTION_PARTS = 4;

    /** The calling thread's buffer for the parts of a split reduction past the first; grown on demand, never shrunk. */
    private static final ThreadLocal<float[]> PARTIALS = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * Work pieces are blocks of dw (output-channel ranges × (ci,i,j) ranges); each sums its block
     * over the whole batch, so the batch sum never crosses pieces, and every element is summed in
     * one fixed order whatever the split. A long reduction is instead cut into
     * {@link #REDUCTION_PARTS} contiguous parts, each summed whole into its own copy of dw; the copies
     * are then added in part order, again one fixed order whatever the thread count.
     */
    private static void weightVector(CpuBackend cpu, float[] dw, float[] dy, float[] x, Conv2d.Geometry g) {
        if (Conv2dBackwardWeightWinograd.applies(cpu, g)) {
            // Stride-1 3×3 over planes of 16 × 16 and more: F(3×3, 4×4), a quarter of the products (see there).
            Conv2dBackwardWeightWinograd.weight(cpu, dw, dy, x, g);
            return;
        }
        if (Conv2dBackwardWeightDirect.applies(g)) {
            // Few output channels over large planes: dot products along the positions (see there).
            Conv2dBackwardWeightDirect.weight(cpu, dw, dy, x, g);
            return;
        }
        if (Conv2dBackwardWeightBlocked.applies(g)) {
            // Small planes: the blocked kernel with dw's columns (ci, i, j) as its positions.
            Conv2dBackwardWeightBlocked.weight(cpu, dw, dy, x, g);
            return;
        }
        int k = g.depth(), cout = g.cout(), reduction = g.batch() * g.positions();
        // Up to 192 output channels: col as A, read in place along r, and only dy transposed (see
        // Conv2dBackwardWeightRows); in parts of the reduction.
        boolean dot = Conv2dBackwardWeightRows.applies(g);
        if (reduction >= REDUCTION_SPLIT || dot) {
            int parts = REDUCTION_PARTS, size = cout * k;
            // With more threads than parts, each part's K is cut into ranges too (dot products only).
            int depthPieces = dot ? Conv2dBackwardWeightRows.depthPieces(cpu.parallel().threads(), parts, k) : 1;
            float[] partial = Conv2dBatched.scratch(PARTIALS, (parts - 1) * size);
            cpu.parallel().forRange(parts * depthPieces, 1, (lo, hi) -> {
                for (int t = lo; t < hi; t++) {
                    int part = t / depthPieces, piece = t % depthPieces;
                    int r0 = (int) ((long) reduction * part / parts), r1 = (int) ((long) reduction * (part + 1) / parts);
                    float[] to = part == 0 ? dw : partial;
                    int at = part == 0 ? 0 : (part - 1) * size;
                    if (dot) {
                        int c0 = Conv2dBackwardWeightRows.depthStart(piece, depthPieces, k);
                        int c1 = Conv2dBackwardWeightRows.depthStart(piece + 1, depthPieces, k);
                        if (c0 < c1) {
                            Conv2dBackwardWeightRows.multiply(to, at, dy, x, g, r0, r1, c0, c1);
                        }
                    } else {
                        Conv2dBackwardWeightGemm.multiply(to, at, dy, x, g, 0, cout, 0, k, r0, r1);
                    }
                }
            });
            // The parts in order, element by element (so the same bits), on the backend's threads.
            cpu.parallel().forRange(size, 1 << 14, (lo, hi) -> {
                for (int part = 1; part < parts; part++) {
                    for (int e = lo, off = (part - 1) * size; e < hi; e++) {
                        dw[e] += partial[off + e];
                    }
                }
            });
            return;
        }
        int[] pieces = Conv2dBackwardWeightGemm.split(cpu.parallel().threads(), cout, k);
        int rowPieces = pieces[0], colPieces = pieces[1];
        cpu.parallel().forRange(rowPieces * colPieces, 1, (lo, hi) -> {
            for (int t = lo; t < hi; t++) {
                int r = t / colPieces, c = t % colPieces;
                int m0 = Gemm.rowStart(r, rowPieces, cout), m1 = Gemm.rowStart(r + 1, rowPieces, cout);
                int n0 = Gemm.columnStart(c, colPieces, k), n1 = Gemm.columnStart(c + 1, colPieces, k);
                if (m0 < m1 && n0 < n1) {
                    Conv2dBackwardWeightGemm.multiply(dw, dy, x, g, m0, m1, n0, n1);
                }
            }
        });
    }
}
