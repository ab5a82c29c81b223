package org.inceptionj.cpu;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The forward convolution of a stride-1 layer with few output channels, positions in the vector
 * lanes, read in place from a padded copy of x (no im2col):
 * <pre>
 *   outw[co, u] = bias[co] + Σ_c  w[co, c] · xp[ci(c), u + i·dH·Wp + j·dW],   c = (ci, i, j)
 * </pre>
 * over the same grid as {@link Conv2dBackwardWeightDirect} (padded planes of Wp columns, strides as
 * phase planes), taken a band of output rows of one image at a time ({@link Band}): the band's input
 * rows of every plane are copied into a scratch that stays in L2, the tiles run over its positions
 * into a wide output, and the positions with ow &lt; outW are copied out to NCHW through the epilogue
 * (the others are computed and dropped).
 *
 * <p>Why: with 16 to 32 output channels (the default run's stem at 35×35) the GEMM builds
 * im2col and packs it for only 16–32 rows of weights, and the channel-blocked kernel
 * ({@link Conv2dBlocked}) has one or two vectors of channels: a 1 × 16 tile, 16 broadcasts per 16
 * FMAs. Here a tile is 4 output channels × 6 vectors of positions: per (ci, i, j) 4 broadcast
 * weights and 6 loads of xp (consecutive, through one pointer) for 24 FMAs.
 *
 * <p>Measured, two threads, in one process, direct against the GEMM and the blocked kernel (forward,
 * or the turned convolution of a data gradient): 3×3 16→16 at 35×35, batch 64, unpadded 2.1× and
 * 2.0×, padded 1.2× and 1.4×; its data gradients (pad 2 and 1) 3.0× and 1.8×; Conv2d_4a's data
 * gradient (48→20 at 15×15, pad 2) 2.3× and 1.25×; Conv2d_2a at 299×299 (32→32 at 147×147), batch
 * 8, 1.9× and 1.3×, batch 1, 4.1× and 1.0×. Not taken: 1×1 (0.4–0.5× the GEMM: the copy of x
 * costs more than im2col saves), 7×7 planes (a 9×9 plane in a 96-float slot: 0.5–0.6×), more
 * than 32 channels over a long reduction (48 at par with the blocked kernel, 5×5 48→64 0.5–0.8×;
 * see {@link #applies}).
 *
 * <p>Bands: the whole batch's padded copy and wide output (23 and 46 MB for Conv2d_2b at batch 8)
 * went through memory once more each. Over bands of up to {@link #BAND_BYTES}, measured in one process
 * against that: the stem 1.3–1.4× (Conv2d_1a at 299×299, batch 1 and 8; the default run's 1.5×), the
 * default run's 3×3 16→16 at 35×35 1.2–1.34× forward and 1.17–1.22× as data gradients; Conv2d_2a/2b at
 * 299×299 the same speed (their tiles, not the copies, take the time). The BN + ReLU is applied on
 * the way out ({@link BatchNormEpilogue#applyInto}; 1.01–1.07× over a pass of its own before the copy);
 * applied to each tile while in L1 it gained nothing.
 *
 * <p>Same bits as the GEMM ({@link Conv2d#forwardVector}): each output starts from its bias (or zero)
 * and takes one FMA per (ci, i, j) in ascending order; inference batch norm is applied after, as
 * {@link BatchNormEpilogue#apply} does. So switching paths changes no result. Part of the fast path;
 * the plain loop in {@link Conv2d} is the definition.
 */
final class Conv2dDirect {
    private Conv2dDirect() {
    }

    private static final VectorSpecies<Float> F = Vectors.F;
    private static final int L = F.length();
    /** Output channels × vectors of positions of one register tile. */
    static final int TR = 4, TV = 6;
    /** Positions per tile. */
    static final int TP = TV * L;
    /** The most output channels this path takes: up to 32 always, up to 64 with a short reduction. */
    static final int MAX_CHANNELS = 32, MAX_CHANNELS_SHORT = 64;
    /** A reduction (Cin·kh·kw) at most this long is short: x's window of a tile stays near L1. */
    static final int SHORT_DEPTH = 288;
    /** Bytes of one band's input and wide output, which should stay in L2 (of 1 MB on the host measured). */
    static final int BAND_BYTES = 512 * 1024;
    /** The fewest grid positions per image (outH·Wp), as for {@link Conv2dBackwardWeightDirect#MIN_GRID}. */
    static final int MIN_GRID = 128;

    /**
     * Stride 1, or any stride with fewer input channels than a vector (the stem, which the blocked kernel
     * does not take either: over phase planes, split from x by vector compresses, the default run's 3→16
     * at 75×75, batch 64, 1.66× the GEMM on two threads and 2.4× on one; 3→32 at 299×299 1.12× at batch
     * 8, 1.0× at batch 1; with the phase split a scalar loop it measured 0.8–1.0×), wider than 1×1, up
     * to {@link #MAX_CHANNELS} output channels (or {@link #MAX_CHANNELS_SHORT} with a reduction of at
     * most {@link #SHORT_DEPTH}: Conv2d_2b at 299×299, 3×3 32→64, batch 8, 1.14× the blocked kernel; 5×5 48→64 at 35×35, K = 1200, 0.84×), planes of {@link #MIN_GRID} positions
     * or more, AVX-512, the blocked-convolution setting on.
     */
    static boolean applies(CpuBackend cpu, Conv2d.Geometry g) {
        boolean channels = g.cout() <= MAX_CHANNELS || g.cout() <= MAX_CHANNELS_SHORT && g.depth() <= SHORT_DEPTH;
        return cpu.config().blockedConv() && cpu.vectorized() && Gemm.WIDE && channels
                && (g.strideH() == 1 && g.strideW() == 1 || g.cin() < L)
                && g.kh() * g.kw() > 1
                && Conv2dBackwardWeightDirect.fits(g) && fitsBand(g)
                && g.outH() * Conv2dBackwardWeightDirect.Grid.of(g).wp() >= MIN_GRID;
    }

    /** Whether a band's input and wide output fit in int indices, at the most rows {@link Band#of} picks. */
    static boolean fitsBand(Conv2d.Geometry g) {
        Conv2dBackwardWeightDirect.Grid grid = Conv2dBackwardWeightDirect.Grid.of(g);
        long wp = grid.wp(), rows = Band.rows(g), extra = grid.hp() - g.outH();
        long tiles = Math.ceilDiv(rows * wp, TP), stride = Math.ceilDiv((rows + extra) * wp, L) * L;
        long input = g.cin() * grid.phases() * stride + tiles * TP + (extra + 1) * wp + L;
        long output = (g.cout() + TR - 1L) / TR * TR * tiles * TP;
        return Math.max(input, output) < Integer.MAX_VALUE / 2;
    }

    /**
     * out [N, Cout, outH, outW] (NCHW, overwritten) = the convolution of x with w [Cout, Cin, kh, kw],
     * plus bias (or null), then the epilogue (or null).
     */
    static void forward(CpuBackend cpu, float[] out, float[] x, float[] w, float[] bias, Conv2d.Geometry g,
                        BatchNormEpilogue epilogue) {
        forward(cpu, out, x, w, bias, g, epilogue, Band.of(g));
    }

    /** As above, over the given bands (tests force short ones). */
    static void forward(CpuBackend cpu, float[] out, float[] x, float[] w, float[] bias, Conv2d.Geometry g,
                        BatchNormEpilogue epilogue, Band band) {
        Conv2dBackwardWeightDirect.Grid grid = Conv2dBackwardWeightDirect.Grid.of(g);
        int n = g.batch(), cin = g.cin(), cout = g.cout(), k = g.depth(), wp = grid.wp(), outH = g.outH();
        int phases = grid.phases(), planes = cin * phases, rowTiles = (cout + TR - 1) / TR;
        int extra = grid.hp() - outH;
        int rows = band.rows(), ld = band.tiles() * TP, planeStride = band.planeStride();
        float[] wt = cpu.cache().allocateStale(rowTiles * TR * k);
        try {
            packWeights(w, cout, k, wt);
            // Column c = (ci, i, j) reads its plane at a fixed shift from the output's position.
            int[][] columns = grid.columns(g);
            int[] off = new int[k];
            for (int c = 0; c < k; c++) {
                off[c] = columns[0][c] * planeStride + columns[1][c];
            }
            int bands = (outH + rows - 1) / rows;
            cpu.parallel().forRange(n * bands, 1, (lo, hi) -> {
                float[] xb = cpu.cache().allocateStale(band.inputLength());
                float[] ob = cpu.cache().allocateStale(rowTiles * TR * ld);
                try {
                    // Past each plane's rows the tiles read what earlier bands left there (or these zeros)
                    // only for positions that are dropped.
                    Arrays.fill(xb, 0f);
                    for (int item = lo; item < hi; item++) {
                        int img = item / bands, r0 = item % bands * rows, r1 = Math.min(outH, r0 + rows);
                        // The band's input rows, padded (and split into phases), plane p at p·planeStride.
                        for (int ci = 0; ci < cin; ci++) {
                            int at = (img * cin + ci) * g.h() * g.w();
                            for (int ph = 0; ph < phases; ph++) {
                                int ri = ph / grid.strideW(), rj = ph % grid.strideW();
                                Conv2dBackwardWeightDirect.placePhase(x, at, g, ri, rj, grid, xb,
                                        (ci * phases + ph) * planeStride, r0, r1 + extra);
                            }
                        }
                        int tiles = ((r1 - r0) * wp + TP - 1) / TP;
                        for (int t = 0; t < tiles; t++) {
                            int u = t * TP;
                            allRows(xb, off, u, wt, k, k, bias, cout, ob, u, ld);
                        }
                        // Out to NCHW: the band's output columns of each row, through the epilogue.
                        for (int co = 0; co < cout; co++) {
                            int src = co * ld, dst = ((img * cout + co) * outH + r0) * g.outW();
                            for (int r = r0; r < r1; r++, src += wp, dst += g.outW()) {
                                if (epilogue != null) {
                                    epilogue.applyInto(ob, src, out, dst, co, g.outW());
                                } else {
                                    System.arraycopy(ob, src, out, dst, g.outW());
                                }
                            }
                        }
                    }
                } finally {
                    cpu.cache().recycle(ob);
                    cpu.cache().recycle(xb);
                }
            });
        } finally {
            cpu.cache().recycle(wt);
        }
    }

    /** Weights by tile: wt[(rb·K + c)·TR + r] = w[rb·TR + r, c] for w [Cout, K], rows past Cout zero. */
    static void packWeights(float[] w, int cout, int k, float[] wt) {
        int rowTiles = (cout + TR - 1) / TR;
        for (int co = 0; co < rowTiles * TR; co++) {
            for (int c = 0; c < k; c++) {
                wt[((co / TR) * k + c) * TR + co % TR] = co < cout ? w[co * k + c] : 0f;
            }
        }
    }

    /**
     * A band: {@code rows} output rows of one image (the last band of an image may have fewer), its
     * tiles, and the layout of its input: each plane (channel × phase) holds the band's rows plus the
     * kernel's extra ones in a stretch of {@code planeStride} floats, within {@code inputLength}.
     */
    record Band(int rows, int tiles, int planeStride, int inputLength) {
        /** The most rows whose input and wide output take at most {@link #BAND_BYTES}, and at least 4 tiles' worth. */
        static Band of(Conv2d.Geometry g) {
            return withRows(g, rows(g));
        }

        /** The rows of {@link #of}: as many as fit, then the same number of bands evened out. */
        static int rows(Conv2d.Geometry g) {
            Conv2dBackwardWeightDirect.Grid grid = Conv2dBackwardWeightDirect.Grid.of(g);
            long wp = grid.wp(), extra = grid.hp() - g.outH();
            long inRow = 4L * g.cin() * grid.phases() * wp, outRow = 4L * ((g.cout() + TR - 1) / TR * TR) * wp;
            long fit = (BAND_BYTES - extra * inRow) / (inRow + outRow);
            int rows = (int) Math.min(g.outH(), Math.max(fit, Math.ceilDiv(4L * TP, wp)));
            int bands = Math.ceilDiv(g.outH(), rows);
            return Math.ceilDiv(g.outH(), bands);
        }

        /** Bands of the given number of rows (1 to outH). */
        static Band withRows(Conv2d.Geometry g, int rows) {
            if (rows < 1 || rows > g.outH()) {
                throw new IllegalArgumentException("band rows " + rows + " outside [1, " + g.outH() + "]");
            }
            Conv2dBackwardWeightDirect.Grid grid = Conv2dBackwardWeightDirect.Grid.of(g);
            int wp = grid.wp(), extra = grid.hp() - g.outH(), planes = g.cin() * grid.phases();
            int tiles = (rows * wp + TP - 1) / TP;
            int planeStride = ((rows + extra) * wp + L - 1) / L * L;
            // The tiles' dropped positions read past the last plane's rows by at most the tiles'
            // length and the furthest shift (extra rows and a row's worth of columns).
            int inputLength = planes * planeStride + tiles * TP + (extra + 1) * wp + L;
            return new Band(rows, tiles, planeStride, inputLength);
        }
    }

    /**
     * Every row tile of output channels for the tile of positions at u: outw[o + q·ld + v·L + lane] for
     * q &lt; Cout rounded up to TR, as {@link #kernel} sums it, over ranges of {@code step} steps (each
     * range continuing the sums of the one before: the same bits as one pass over all k steps). Here one
     * range: the taps of a band's window share their planes' lines, so x's part of a tile stays small
     * (ranges of 64 steps measured 0.97–1.02× on Conv2d_2a, 2b and a 16 → 32 3×3); see
     * {@link Conv2dPointwise#STEPS} for where they pay.
     */
    static void allRows(float[] xp, int[] off, int u, float[] wt, int k, int step, float[] bias, int cout,
                        float[] outw, int o, int ld) {
        int rowTiles = (cout + TR - 1) / TR;
        for (int c0 = 0; c0 < k; c0 += step) {
            int c1 = Math.min(k, c0 + step);
            for (int rb = 0; rb < rowTiles; rb++) {
                int q = rb * TR;
                kernel(xp, off, c0, c1, u, wt, (rb * k + c0) * TR, c0 > 0, bias(bias, q, cout),
                        bias(bias, q + 1, cout), bias(bias, q + 2, cout), bias(bias, q + 3, cout), outw, o + q * ld, ld);
            }
        }
    }

    static float bias(float[] bias, int co, int cout) {
        return bias == null || co >= cout ? 0f : bias[co];
    }

    /**
     * One tile over steps [c0, c1): outw[o + r·ld + v·L + lane] = s_r + Σ_{c0 ≤ c < c1} wt[wo + (c − c0)·TR + r] ·
     * xp[off[c] + u + v·L + lane] for r &lt; 4, v &lt; 6, where s_r is b_r, or with {@code continued} the tile
     * that outw holds (an earlier call's, over the steps before c0): the same FMAs in the same order as one
     * call over all steps, so the same bits. The 24 sums are named locals so that C2 keeps them in registers.
     */
    static void kernel(float[] xp, int[] off, int c0, int c1, int u, float[] wt, int wo, boolean continued,
                       float b0, float b1, float b2, float b3, float[] outw, int o, int ld) {
        FloatVector a00, a01, a02, a03, a04, a05, a10, a11, a12, a13, a14, a15;
        FloatVector a20, a21, a22, a23, a24, a25, a30, a31, a32, a33, a34, a35;
        if (continued) {
            int o1 = o + ld, o2 = o1 + ld, o3 = o2 + ld;
            a00 = FloatVector.fromArray(F, outw, o);
            a01 = FloatVector.fromArray(F, outw, o + L);
            a02 = FloatVector.fromArray(F, outw, o + 2 * L);
            a03 = FloatVector.fromArray(F, outw, o + 3 * L);
            a04 = FloatVector.fromArray(F, outw, o + 4 * L);
            a05 = FloatVector.fromArray(F, outw, o + 5 * L);
            a10 = FloatVector.fromArray(F, outw, o1);
            a11 = FloatVector.fromArray(F, outw, o1 + L);
            a12 = FloatVector.fromArray(F, outw, o1 + 2 * L);
            a13 = FloatVector.fromArray(F, outw, o1 + 3 * L);
            a14 = FloatVector.fromArray(F, outw, o1 + 4 * L);
            a15 = FloatVector.fromArray(F, outw, o1 + 5 * L);
            a20 = FloatVector.fromArray(F, outw, o2);
            a21 = FloatVector.fromArray(F, outw, o2 + L);
            a22 = FloatVector.fromArray(F, outw, o2 + 2 * L);
            a23 = FloatVector.fromArray(F, outw, o2 + 3 * L);
            a24 = FloatVector.fromArray(F, outw, o2 + 4 * L);
            a25 = FloatVector.fromArray(F, outw, o2 + 5 * L);
            a30 = FloatVector.fromArray(F, outw, o3);
            a31 = FloatVector.fromArray(F, outw, o3 + L);
            a32 = FloatVector.fromArray(F, outw, o3 + 2 * L);
            a33 = FloatVector.fromArray(F, outw, o3 + 3 * L);
            a34 = FloatVector.fromArray(F, outw, o3 + 4 * L);
            a35 = FloatVector.fromArray(F, outw, o3 + 5 * L);
        } else {
            a00 = FloatVector.broadcast(F, b0);
            a01 = a00;
            a02 = a00;
            a03 = a00;
            a04 = a00;
            a05 = a00;
            a10 = FloatVector.broadcast(F, b1);
            a11 = a10;
            a12 = a10;
            a13 = a10;
            a14 = a10;
            a15 = a10;
            a20 = FloatVector.broadcast(F, b2);
            a21 = a20;
            a22 = a20;
            a23 = a20;
            a24 = a20;
            a25 = a20;
            a30 = FloatVector.broadcast(F, b3);
            a31 = a30;
            a32 = a30;
            a33 = a30;
            a34 = a30;
            a35 = a30;
        }
        for (int c = c0; c < c1; c++, wo += TR) {
            int at = off[c] + u;
            FloatVector x0 = FloatVector.fromArray(F, xp, at);
            FloatVector x1 = FloatVector.fromArray(F, xp, at + L);
            FloatVector x2 = FloatVector.fromArray(F, xp, at + 2 * L);
            FloatVector x3 = FloatVector.fromArray(F, xp, at + 3 * L);
            FloatVector x4 = FloatVector.fromArray(F, xp, at + 4 * L);
            FloatVector x5 = FloatVector.fromArray(F, xp, at + 5 * L);
            FloatVector v = FloatVector.broadcast(F, wt[wo]);
            a00 = v.fma(x0, a00);
            a01 = v.fma(x1, a01);
            a02 = v.fma(x2, a02);
            a03 = v.fma(x3, a03);
            a04 = v.fma(x4, a04);
            a05 = v.fma(x5, a05);
            v = FloatVector.broadcast(F, wt[wo + 1]);
            a10 = v.fma(x0, a10);
            a11 = v.fma(x1, a11);
            a12 = v.fma(x2, a12);
            a13 = v.fma(x3, a13);
            a14 = v.fma(x4, a14);
            a15 = v.fma(x5, a15);
            v = FloatVector.broadcast(F, wt[wo + 2]);
            a20 = v.fma(x0, a20);
            a21 = v.fma(x1, a21);
            a22 = v.fma(x2, a22);
            a23 = v.fma(x3, a23);
            a24 = v.fma(x4, a24);
            a25 = v.fma(x5, a25);
            v = FloatVector.broadcast(F, wt[wo + 3]);
            a30 = v.fma(x0, a30);
            a31 = v.fma(x1, a31);
            a32 = v.fma(x2, a32);
            a33 = v.fma(x3, a33);
            a34 = v.fma(x4, a34);
            a35 = v.fma(x5, a35);
        }
        a00.intoArray(outw, o);
        a01.intoArray(outw, o + L);
        a02.intoArray(outw, o + 2 * L);
        a03.intoArray(outw, o + 3 * L);
        a04.intoArray(outw, o + 4 * L);
        a05.intoArray(outw, o + 5 * L);
        o += ld;
        a10.intoArray(outw, o);
        a11.intoArray(outw, o + L);
        a12.intoArray(outw, o + 2 * L);
        a13.intoArray(outw, o + 3 * L);
        a14.intoArray(outw, o + 4 * L);
        a15.intoArray(outw, o + 5 * L);
        o += ld;
        a20.intoArray(outw, o);
        a21.intoArray(outw, o + L);
        a22.intoArray(outw, o + 2 * L);
        a23.intoArray(outw, o + 3 * L);
        a24.intoArray(outw, o + 4 * L);
        a25.intoArray(outw, o + 5 * L);
        o += ld;
        a30.intoArray(outw, o);
        a31.intoArray(outw, o + L);
        a32.intoArray(outw, o + 2 * L);
        a33.intoArray(outw, o + 3 * L);
        a34.intoArray(outw, o + 4 * L);
        a35.intoArray(outw, o + 5 * L);
    }
}
