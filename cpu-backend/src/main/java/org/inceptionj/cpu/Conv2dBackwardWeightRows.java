package org.inceptionj.cpu;

import java.util.Arrays;

/**
 * The vectorized weight gradient of {@link Conv2dBackward} for layers with up to
 * {@link #MAX_CHANNELS} output channels and a long reduction, as a matrix product with the roles
 * turned around:
 * <pre>
 *   dwᵀ [K, Cout] = col · dyᵀ,   K = Cin·kh·kw,   col[c, r] = x[n, ci, ih, iw],   dyᵀ[r, co] = dy[n, co, oh, ow]
 * </pre>
 * reduced over r = (n, oh, ow). Why this way round: col, the operand that has to be built, is A,
 * and Gemm's micro-kernel reads A in place as rows along r, which is how im2col builds them (as
 * whole shifted planes, {@link Conv2dBatched#contiguousRow}, for every stride-1 layer, those
 * unpadded in width over a wide grid; through {@link Conv2dBatched#windowOffsets} for small images;
 * else runs of vector copies, {@link Conv2dBackwardWeightGemm#im2colRow}). Only dy, Cout values per
 * r, is transposed into B's strips. The other way round ({@link Conv2dBackwardWeightGemm})
 * transposes col, K values per r, value by value, and packs dy again for every block of K. Measured
 * on two threads, batch 8 at 299×299: a 5×5 over 48 channels (K 1200, Cout 64) 94 → 204 GFLOP/s, a
 * 1×1 768 → 192 at 17×17 106 → 296, Conv2d_4a's 3×3 80 → 192 at 73×73 233 → 327.
 * Part of the fast path; the plain loop in {@link Conv2dBackward} is the definition.
 *
 * <p>Blocks of {@link #KC} positions: per block, the strips of dyᵀ are built once, then, a
 * chunk of {@link #CHUNK_ROWS} rows of col at a time (so that it stays in L2 however long K is),
 * every 8-row (AVX2: 4-row) tile of dwᵀ accumulates the block, in a scratch dwᵀ padded to whole
 * tiles; its rows past the range and columns past Cout hold garbage and are never read.
 * Determinism: each element of dw is summed over its part of the reduction in ascending r, one FMA
 * each, whatever thread, chunk or range of K computes it.
 */
final class Conv2dBackwardWeightRows {
    private Conv2dBackwardWeightRows() {
    }

    private static final int L = Gemm.L, MR = Gemm.MR, NR = Gemm.NR;
    /**
     * Positions per block: twice {@link Gemm#KC}, so each tile of dwᵀ is loaded and stored half as often.
     * Measured against 256 in one process, batch 8, Inception-v3's weight
     * gradients on this path: 1.3–3.2% faster on one and two threads (1×7 and 7×1 at 17×17, the 3×3s at
     * 73×73 and 35×35, 1×1 768 → 192), 288 → 64 at 35×35 unchanged; 128 was 2–6% slower. The block depth
     * changes no bit: every element still takes its FMAs in ascending r.
     */
    static final int KC = 2 * Gemm.KC;
    /** The most output channels this path takes: dyᵀ for a block of positions (6 strips, 384 KB) stays in L2. */
    static final int MAX_CHANNELS = 192;
    /**
     * Rows of col built and used at a time (a multiple of 8): with KC positions each, 270 KB, which
     * stays in L2 beside dyᵀ however long K is (a 5×5 over 48 channels: K = 1200).
     */
    static final int CHUNK_ROWS = 128;
    /** Reductions shorter than this stay with {@link Conv2dBackwardWeightGemm}: too few blocks to pay for the transposes. */
    static final int MIN_REDUCTION = 1024;

    static boolean applies(Conv2d.Geometry g) {
        return g.cout() <= MAX_CHANNELS && (long) g.batch() * g.positions() >= MIN_REDUCTION;
    }

    /**
     * Into how many ranges of K to cut each part of the reduction so that {@code threads} threads
     * have work ({@code parts} parts alone serve only that many): every range builds its own rows of
     * col but transposes the same dy, so ranges are kept to at least {@link #CHUNK_ROWS} rows.
     */
    static int depthPieces(int threads, int parts, int k) {
        return Math.max(1, Math.min((threads + parts - 1) / parts, k / CHUNK_ROWS));
    }

    /** Start of K range i of pieces, on whole 8-row tiles. */
    static int depthStart(int i, int pieces, int k) {
        int tiles = (k + 2 * MR - 1) / (2 * MR);
        return Math.min(k, (int) ((long) tiles * i / pieces) * 2 * MR);
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
        multiply(dw, dwOff, dy, x, g, r0, r1, 0, g.depth());
    }

    /**
     * Overwrites dw[dwOff + co·K + c] for every co and c in [c0, c1) with the sum over the part
     * [r0, r1) of the reduction. Each element is summed alike whatever range [c0, c1) it falls in.
     */
    static void multiply(float[] dw, int dwOff, float[] dy, float[] x, Conv2d.Geometry g, int r0, int r1,
                         int c0, int c1) {
        int cout = g.cout();
        // One vector of columns where Cout fits in it (AVX-512, Cout ≤ 16): half the work of a full strip.
        boolean narrow = Gemm.WIDE && cout <= L;
        int tileRows = Gemm.WIDE ? 2 * MR : MR, rows = (c1 - c0 + tileRows - 1) / tileRows * tileRows;
        int chunk = Math.min(rows, CHUNK_ROWS);
        int strips = narrow ? 1 : (cout + NR - 1) / NR, cols = narrow ? L : strips * NR;
        int ld = KC + L;   // the row builders may write up to L − 1 floats past a row
        Scratch s = SCRATCH.get();
        if (s.colRows.length < chunk * ld) {
            s.colRows = new float[chunk * ld];
        }
        if (s.panel.length < strips * KC * NR) {
            s.panel = new float[strips * KC * NR];
        }
        if (s.dwT.length < rows * cols) {
            s.dwT = new float[rows * cols];
        }
        float[] colRows = s.colRows, panel = s.panel, dwT = s.dwT;
        // Unpadded-in-width stride-1 layers (outW < W) run over the wide grid of outH rows of W
        // positions, where the rows of col are whole shifted planes of x as for "same" padding; dyᵀ
        // is zero at the W − outW positions of each grid row that are no outputs, so they add
        // x·0 = 0 to every sum, and each element gets the same terms in the same order as over the
        // outputs alone.
        boolean wide = Conv2dIm2col.wide(g) && !Conv2dBatched.applies(g);
        Conv2d.Geometry grid = wide ? wideGrid(g) : g;
        boolean contiguous = Conv2dBatched.contiguous(grid);
        int[] window = !wide && Conv2dBatched.applies(g) ? Conv2dBatched.windowOffsets(g) : null;
        int w0 = wide ? onGrid(g, r0) : r0, w1 = wide ? onGrid(g, r1) : r1;
        if (w0 >= w1) {
            Arrays.fill(dwT, 0, rows * cols, 0f);
        }
        // 1×1, stride 1, unpadded: the rows of col are x's planes, read in place (see pointwiseBlock).
        boolean inPlace = g.pointwise() && !wide;
        for (int rb = w0, kc; rb < w1; rb += kc) {
            // In place, a block stays within one image: its rows are then runs of x's planes.
            kc = Math.min(KC, inPlace ? Math.min(w1 - rb, g.positions() - rb % g.positions()) : w1 - rb);
            boolean accumulate = rb > w0;
            packTransposed(panel, dy, g, grid, rb, kc, strips);
            if (inPlace) {
                pointwiseBlock(x, g, rb, kc, c0, c1, rows, tileRows, strips, narrow, panel, dwT, cols, accumulate,
                        colRows, ld, s.tile);
                continue;
            }
            for (int cc = 0; cc < rows; cc += chunk) {
                int ce = Math.min(rows, cc + chunk);
                for (int c = c0 + cc; c < Math.min(c1, c0 + ce); c++) {
                    int at = (c - c0 - cc) * ld;
                    if (contiguous) {
                        Conv2dBatched.contiguousRow(colRows, at, x, grid, c, rb, kc);
                    } else if (window != null) {
                        Conv2dBatched.gatherRow(colRows, at, x, g, window, c, rb, kc);
                    } else {
                        Conv2dBackwardWeightGemm.im2colRow(colRows, at, x, g, c, rb, kc);
                    }
                }
                // Rows of the last tile past c1 hold stale values: they reach only rows of dwᵀ never read.
                for (int ir = cc; ir < ce; ir += tileRows) {
                    int aOff = (ir - cc) * ld;
                    for (int st = 0; st < strips; st++) {
                        int bOff = st * kc * NR, cAt = ir * cols + st * NR;
                        if (narrow) {
                            Gemm.narrow8(kc, colRows, aOff, aOff + MR * ld, 1, ld, panel, bOff, dwT, cAt, cols, L,
                                    accumulate, null, 0, s.tile);
                        } else if (Gemm.WIDE) {
                            Gemm.kernel8Rows(kc, colRows, aOff, aOff + MR * ld, ld, panel, bOff, dwT, cAt, cols,
                                    accumulate, null, 0);
                        } else {
                            Gemm.kernelRows(kc, colRows, aOff, ld, panel, bOff, dwT, cAt, cols, accumulate, null, 0);
                        }
                    }
                }
            }
        }
        int k = g.depth();
        for (int co = 0; co < cout; co++) {
            for (int c = c0; c < c1; c++) {
                dw[dwOff + co * k + c] = dwT[(c - c0) * cols + co];
            }
        }
    }

    /**
     * One block of positions [rb, rb + kc) of one image for a 1×1, stride-1, unpadded layer: row c of
     * col is x[n, c, q…], so the micro-kernel reads its 8 rows straight from x, P floats apart,
     * where the other layers first copy them into rows (measured one thread, 192 → 64 at 35×35,
     * batch 8: the copies were a fifth of the time). A tile whose rows would run past the end of x
     * (the last image's last channels, a tile part-filled) is copied, zero-padded, as before. Same
     * sums, same order: only where A is read from changes.
     */
    private static void pointwiseBlock(float[] x, Conv2d.Geometry g, int rb, int kc, int c0, int c1, int rows,
                                       int tileRows, int strips, boolean narrow, float[] panel, float[] dwT, int cols,
                                       boolean accumulate, float[] colRows, int ld, float[] tile) {
        int p = g.positions(), n = rb / p, q = rb % p, image = n * g.cin() * p + q;
        for (int ir = 0; ir < rows; ir += tileRows) {
            int c = c0 + ir;
            float[] a = x;
            int aOff = image + c * p, stride = p;
            if ((long) aOff + (long) (tileRows - 1) * p + kc > x.length) {
                // Rows c … c + tileRows − 1 as copies, those past c1 zero.
                for (int r = 0; r < tileRows; r++) {
                    if (c + r < c1) {
                        System.arraycopy(x, aOff + r * p, colRows, r * ld, kc);
                    } else {
                        Arrays.fill(colRows, r * ld, r * ld + kc, 0f);
                    }
                }
                a = colRows;
                aOff = 0;
                stride = ld;
            }
            for (int st = 0; st < strips; st++) {
                int bOff = st * kc * NR, cAt = ir * cols + st * NR;
                if (narrow) {
                    Gemm.narrow8(kc, a, aOff, aOff + MR * stride, 1, stride, panel, bOff, dwT, cAt, cols, L,
                            accumulate, null, 0, tile);
                } else if (Gemm.WIDE) {
                    Gemm.kernel8Rows(kc, a, aOff, aOff + MR * stride, stride, panel, bOff, dwT, cAt, cols, accumulate,
                            null, 0);
                } else {
                    Gemm.kernelRows(kc, a, aOff, stride, panel, bOff, dwT, cAt, cols, accumulate, null, 0);
                }
            }
        }
    }

    /** g over its wide grid: outH rows of W positions (see {@link Conv2dIm2col#contiguous}). */
    static Conv2d.Geometry wideGrid(Conv2d.Geometry g) {
        return new Conv2d.Geometry(g.batch(), g.cin(), g.h(), g.w(), g.cout(), g.kh(), g.kw(), g.outH(), g.w(),
                g.strideH(), g.strideW(), g.padTop(), g.padLeft(), g.dilationH(), g.dilationW());
    }

    /** Where reduction index r = n·P + oh·outW + ow (or the end, r = N·P) lies on the wide grid. */
    static int onGrid(Conv2d.Geometry g, int r) {
        int p = g.positions(), n = r / p, q = r % p;
        return n * g.outH() * g.w() + q / g.outW() * g.w() + q % g.outW();
    }

    /**
     * dyᵀ for positions [r0, r0 + kc) of the grid (g's outputs, or its wide grid) in Gemm's strip
     * layout: panel[(st·kc + kk)·NR + jj] = dy[n, st·NR + jj, oh, ow] for grid position r0 + kk =
     * (n, oh, ow), zero where ow ≥ outW (wide grid only). Lanes of channels at or past Cout keep
     * whatever they hold: they only reach columns of dwᵀ that are never read.
     *
     * <p>A run of positions is copied {@link #transposeBlock} positions at a time, every channel's
     * piece of the run in turn, so that the panel's rows being written stay in L1 (channel by
     * channel over a whole run, each write went to a line already evicted). Measured on one thread
     * (Intel Xeon, 2026-12-07), ns per value against that: 2.0 → 1.0 at 147×147 (64 channels),
     * 2.0–2.4 → 0.9–1.4 on Conv2d_4a's 73-wide grid, 1.3–1.8 → 0.6–1.0 at 35×35; unchanged at 17×17;
     * Conv2d_2b's and Conv2d_4a's weight gradients 1.06× faster (before F(3×3, 4×4) took them, {@link
     * Conv2dBackwardWeightWinograd}). Where dy's channel planes are far
     * apart (16 KB and up) short pieces were faster (16 positions: 1.0 ns against 1.5–1.7 for
     * 128), on small planes long ones (0.5–0.8 against 0.6–1.1).
     */
    private static void packTransposed(float[] panel, float[] dy, Conv2d.Geometry g, Conv2d.Geometry grid, int r0,
                                       int kc, int strips) {
        int p = g.positions(), cout = g.cout(), gp = grid.positions(), gw = grid.outW(), outW = g.outW();
        int block = transposeBlock(p);
        for (int kk = 0, r = r0; kk < kc; ) {
            int n = r / gp, q = r % gp, len = Math.min(gp - q, kc - kk);
            // Runs within one grid row where the grid is wider than the outputs, else the whole run.
            for (int t0 = 0; t0 < len; ) {
                int oh = (q + t0) / gw, ow = (q + t0) % gw;
                int run = gw == outW ? len - t0 : Math.min(gw - ow, len - t0);
                int real = gw == outW ? run : Math.max(0, Math.min(outW - ow, run));
                int src0 = n * cout * p + oh * outW + ow, d0 = kk + t0;
                for (int tb = 0; tb < real; tb += block) {
                    int te = Math.min(real, tb + block);
                    for (int co = 0; co < cout; co++) {
                        int src = src0 + co * p, d = ((co / NR) * kc + d0) * NR + co % NR;
                        for (int t = tb; t < te; t++) {
                            panel[d + t * NR] = dy[src + t];
                        }
                    }
                }
                // Grid positions that are no outputs: a zero row in every strip.
                for (int t = real; t < run; t++) {
                    for (int st = 0; st < strips; st++) {
                        int d = (st * kc + d0 + t) * NR;
                        Arrays.fill(panel, d, d + NR, 0f);
                    }
                }
                t0 += run;
            }
            kk += len;
            r += len;
        }
    }

    /** Positions per piece of {@link #packTransposed}: 16 where dy's channel planes are 16 KB or more apart, else 128. */
    static int transposeBlock(int positions) {
        return positions >= 4096 ? 16 : 128;
    }
}
