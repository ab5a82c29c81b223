package org.inceptionj.cpu;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The weight gradient of a convolution as dot products along the positions, with no im2col and no
 * transposition; for stride 1:
 * <pre>
 *   dw[co, (ci,i,j)] = Σ_n Σ_t  dyw[n, co, t] · xp[n, ci, t + i·dH·Wp + j·dW]
 * </pre>
 * where xp is x with its padding written out (Hp × Wp planes, Hp = outH + (kh−1)·dH, Wp = outW +
 * (kw−1)·dW) and dyw is dy laid on the same grid: outH rows of Wp positions, zero in the Wp − outW
 * columns that are no outputs and past outH·Wp. Over that grid every column of im2col is one run
 * of xp shifted by a constant, so both operands are read in place, along t, a vector at a time.
 * The extra grid positions add x·0 = 0 (x finite; so every scratch float read is written first).
 * A stride s is the same over x split into s_H·s_W phase planes per channel ({@link Grid}): the
 * default run's stem (3→16, 3×3 stride 2 at 75×75, batch 64) took 3.7–3.9 ms on one thread and
 * 2.3 ms on two before (the `profile` command), 2.1 and 1.2 ms here; Inception-v3's stem at 299×299,
 * batch 8, went from 15.6% to 18.3% of the FMA peak (ConvPeakReport).
 *
 * <p>Why: in the small layers of the default run (16 channels at 35×35, batch 64: dw is 16 × 144,
 * the reduction 78 400 long) the matrix-product paths spend most of their time building and
 * transposing col or dy, since each value of col then serves only 16 FMAs; here every load serves
 * 4 (x) or 6 (dy) FMAs and nothing is built but the padded copies. Measured on two threads against
 * the paths it replaces (alternating in one process): 3×3 16→16 at 35×35, batch 64, 1.7–1.9×; 3×3
 * 48→20 at 17×17 1.6×; Conv2d_2a at 299×299, batch 8, 1.2×; the default run's training step
 * 1.06–1.09×. Slower, and so left to those paths: 3×3 24→24 at 7×7 (0.8×: a 9×9 plane in a
 * 96-float slot wastes lanes), 3×3 64→96 at 35×35 (0.9×), every 1×1 (0.4–0.6×).
 *
 * <p>Layout: images are taken in groups whose copies stay in L2. In the group's scratch each
 * channel's planes lie end to end, each in a slot of whole vectors, so that a column (ci, i, j) is
 * one run over the whole group and the kernel one flat loop (with an outer loop over images, C2
 * spilled half the accumulators in the training process, and the kernel ran at a third of its
 * speed). The 4 dy rows of a tile are interleaved a vector at a time, read through one pointer:
 * with 10 streams C2 ran out of general registers and spilled an accumulator.
 *
 * <p>Register tile: 4 output channels × 6 columns (ci,i,j), 24 vector accumulators, 10 loads per
 * 24 FMAs; tiles past Cout or K repeat the last column and are not written back. Each tile's
 * accumulators live in a scratch slice between groups. The batch is cut into up to {@link #PARTS}
 * parts, each summed apart by whichever thread takes it, so that the threads copy disjoint images.
 * Part of the fast path; the plain loop in {@link Conv2dBackward} is the definition.
 *
 * <p>Determinism: dw = Σ over parts in order of (Σ over its L lanes, lane 0 first), lane l summing
 * the part's positions u ≡ l (mod L) in order, one FMA each; the parts depend on the geometry
 * alone ({@link #parts}). So the bits do not depend on the thread count.
 */
final class Conv2dBackwardWeightDirect {
    private Conv2dBackwardWeightDirect() {
    }

    private static final VectorSpecies<Float> F = Vectors.F;
    private static final int L = F.length();
    /** Output channels × columns of one register tile. */
    static final int TR = 4, TC = 6;
    /** Bytes of one group of images' planes (xp and dyw) that should stay in L2. */
    static final int GROUP_BYTES = 384 * 1024;
    /** The most parts the batch is cut into; each is summed separately, with its own accumulators. */
    static final int PARTS = 8;
    /** Accumulator bytes all parts together may take. */
    static final int ACC_BYTES = 8 << 20;
    /** The most output channels this path takes: past them the matrix-product paths were faster. */
    static final int MAX_CHANNELS = 48;
    /** The fewest grid positions per image (outH·Wp): below them too many lanes fall past the plane. */
    static final int MIN_GRID = 128;

    /**
     * The padded plane: Hp × Wp, and the slot that holds it in the scratch, rounded up to whole
     * vectors. Stride s splits each padded channel into s_H·s_W phase planes, P_(ri,rj)[a][b] =
     * xpad[a·s_H + ri][b·s_W + rj]: tap (i, j) then reads phase ((i·dH) mod s_H, (j·dW) mod s_W)
     * shifted by ((i·dH) div s_H, (j·dW) div s_W), so a strided convolution is a stride-1 one over
     * Cin·s_H·s_W planes of Hp = outH + ((kh−1)·dH) div s_H rows, Wp = outW + ((kw−1)·dW) div s_W columns.
     */
    record Grid(int hp, int wp, int slot, int strideH, int strideW) {
        static Grid of(Conv2d.Geometry g) {
            int hp = g.outH() + (g.kh() - 1) * g.dilationH() / g.strideH();
            int wp = g.outW() + (g.kw() - 1) * g.dilationW() / g.strideW();
            return new Grid(hp, wp, (hp * wp + L - 1) / L * L, g.strideH(), g.strideW());
        }

        /** Phase planes per channel: 1 at stride 1. */
        int phases() {
            return strideH * strideW;
        }

        /** For each column c = (ci, i, j): its plane (ci·phases + phase) and its shift within the plane. */
        int[][] columns(Conv2d.Geometry g) {
            int k = g.depth();
            int[] plane = new int[k], within = new int[k];
            for (int ci = 0, c = 0; ci < g.cin(); ci++) {
                for (int i = 0; i < g.kh(); i++) {
                    for (int j = 0; j < g.kw(); j++, c++) {
                        int di = i * g.dilationH(), dj = j * g.dilationW();
                        plane[c] = ci * phases() + (di % strideH) * strideW + dj % strideW;
                        within[c] = di / strideH * wp + dj / strideW;
                    }
                }
            }
            return new int[][]{plane, within};
        }

        /**
         * Channel ci of image img of x, padded and split into its phase planes: phase ph at
         * dst[base + ph·phaseStride], zero past Hp·Wp up to the slot.
         */
        void placeChannel(float[] x, Conv2d.Geometry g, int img, int ci, float[] dst, int base, int phaseStride) {
            placeChannel(x, g, img, ci, dst, base, phaseStride, false);
        }

        /** As above; with {@code zeroed}, dst already holds zeros wherever no value of x goes (stride 1 only). */
        void placeChannel(float[] x, Conv2d.Geometry g, int img, int ci, float[] dst, int base, int phaseStride,
                          boolean zeroed) {
            int at = (img * g.cin() + ci) * g.h() * g.w();
            for (int ph = 0; ph < phases(); ph++) {
                int d = base + ph * phaseStride;
                if (phases() == 1 && zeroed) {
                    placeRows(x, at, g.h(), g.w(), g.padTop(), g.padLeft(), hp, wp, dst, d);
                    continue;
                }
                if (phases() == 1) {
                    place(x, at, g.h(), g.w(), g.padTop(), g.padLeft(), hp, wp, dst, d);
                } else {
                    placePhase(x, at, g, ph / strideW, ph % strideW, this, dst, d, 0, hp);
                }
                Arrays.fill(dst, d + hp * wp, d + slot, 0f);
            }
        }
    }

    /**
     * Rows [aLo, aHi) of phase (ri, rj) of a padded h × w plane (any stride, 1 included):
     * dst[at + (a − aLo)·Wp + b] = x[a·s_H + ri − padTop][b·s_W + rj − padLeft], 0 outside.
     */
    static void placePhase(float[] x, int srcAt, Conv2d.Geometry g, int ri, int rj, Grid grid, float[] dst,
                           int dstAt, int aLo, int aHi) {
        int h = g.h(), w = g.w(), sH = grid.strideH(), sW = grid.strideW(), wp = grid.wp();
        // Columns b whose iw = b·sW + rj − padLeft lies in [0, w): [bLo, bHi); zeros on either side.
        int first = rj - g.padLeft();
        int bLo = Math.min(wp, Math.max(0, Math.ceilDiv(-first, sW)));
        int bHi = Math.max(bLo, Math.min(wp, Math.ceilDiv(w - first, sW)));
        for (int a = aLo; a < aHi; a++) {
            int ih = a * sH + ri - g.padTop(), d = dstAt + (a - aLo) * wp;
            if (ih < 0 || ih >= h) {
                Arrays.fill(dst, d, d + wp, 0f);
                continue;
            }
            Arrays.fill(dst, d, d + bLo, 0f);
            int src = srcAt + ih * w + first, b = bLo;
            if (sW == 1) {
                System.arraycopy(x, src + b, dst, d + b, bHi - b);
                b = bHi;
            } else if (sW == 2) {
                // Every other column: the even lanes of a vector of x, compressed into its lower half.
                for (; b + L / 2 <= bHi && src + 2 * b + L <= x.length; b += L / 2) {
                    FloatVector.fromArray(F, x, src + 2 * b).compress(Vectors.EVEN_LANES)
                            .intoArray(dst, d + b, Vectors.LOWER_HALF);
                }
            }
            for (; b < bHi; b++) {
                dst[d + b] = x[src + b * sW];
            }
            Arrays.fill(dst, d + bHi, d + wp, 0f);
        }
    }

    /**
     * Convolutions (any stride up to {@link #MAX_STRIDE}) wider than 1×1 with up to {@link #MAX_CHANNELS} output channels over
     * planes of at least {@link #MIN_GRID} grid positions, on 16-lane vectors (24 accumulators of
     * 8 lanes would not fit AVX2's 16 registers).
     */
    static boolean applies(Conv2d.Geometry g) {
        return Gemm.WIDE && fits(g) && g.kh() * g.kw() > 1 && g.cout() <= MAX_CHANNELS
                && g.outH() * Grid.of(g).wp() >= MIN_GRID;
    }

    /** Strides this path takes: each one splits x into stride² phase planes. */
    static final int MAX_STRIDE = 4;

    /**
     * Whether this path can take g at all: a stride up to {@link #MAX_STRIDE}, and every index into one
     * image's copies and into one part's accumulators within an int.
     */
    static boolean fits(Conv2d.Geometry g) {
        if (g.strideH() < 1 || g.strideW() < 1 || g.strideH() > MAX_STRIDE || g.strideW() > MAX_STRIDE) {
            return false;
        }
        long wp = g.outW() + (long) (g.kw() - 1) * g.dilationW() / g.strideW();
        long hp = g.outH() + (long) (g.kh() - 1) * g.dilationH() / g.strideH();
        long planes = (long) g.cin() * g.strideH() * g.strideW();
        long image = (planes + g.cout() + TR) * (hp * wp + L) + hp * wp;
        long accumulators = (long) ((g.cout() + TR - 1) / TR) * ((g.depth() + TC - 1) / TC) * TR * TC * L;
        return image < Integer.MAX_VALUE / 4 && accumulators < Integer.MAX_VALUE / 4;
    }

    /**
     * Into how many parts to cut the batch: as many as {@link #PARTS}, one image each at least, while
     * their accumulators fit in {@link #ACC_BYTES}. A function of the geometry alone, not of the
     * thread count, so the sums are the same bits on any machine.
     */
    static int parts(int batch, int tiles) {
        long perPart = (long) tiles * TR * TC * L * Float.BYTES;
        return (int) Math.max(1, Math.min(Math.min(batch, PARTS), ACC_BYTES / perPart));
    }

    /** Per-thread scratch: a group of images of xp and of dyw, and one plane being laid out. */
    private static final class Scratch {
        float[] xp = new float[0];
        float[] dyw = new float[0];
        float[] wide = new float[0];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);
    /** The caller's accumulators: [part][tile][TR·TC vectors]. */
    private static final ThreadLocal<float[]> ACC = ThreadLocal.withInitial(() -> new float[0]);

    /** Overwrites dw [Cout, Cin·kh·kw] with the gradient summed over the batch. */
    static void weight(CpuBackend cpu, float[] dw, float[] dy, float[] x, Conv2d.Geometry g) {
        Grid grid = Grid.of(g);
        int n = g.batch(), cout = g.cout(), k = g.depth(), slot = grid.slot();
        int rowTiles = (cout + TR - 1) / TR, colTiles = (k + TC - 1) / TC, tiles = rowTiles * colTiles;
        int tileFloats = TR * TC * L;
        int parts = parts(n, tiles);
        int threads = cpu.parallel().threads();
        // More threads than parts: each part's tiles are cut into ranges too (the same sums either way).
        int ranges = Math.max(1, Math.min(tiles, (threads + parts - 1) / parts));
        float[] acc = Conv2dBatched.scratch(ACC, parts * tiles * tileFloats);
        int planes = g.cin() * grid.phases();
        long perImage = (long) (planes + rowTiles * TR) * slot * Float.BYTES;
        int group = (int) Math.max(1, Math.min(n, GROUP_BYTES / perImage));
        int[][] columns = grid.columns(g);
        int[] channel = columns[0], within = columns[1];
        cpu.parallel().forRange(parts * ranges, 1, (lo, hi) -> {
            Scratch s = SCRATCH.get();
            // One slot more past the last channel's run: the longest shift reads into it, where dyw is zero.
            int xNeed = (planes * group + 1) * slot, dyNeed = rowTiles * TR * group * slot;
            if (s.xp.length < xNeed) {
                s.xp = new float[xNeed];
            }
            if (s.dyw.length < dyNeed) {
                s.dyw = new float[dyNeed];
            }
            if (s.wide.length < slot + grid.wp()) {
                s.wide = new float[slot + grid.wp()];
            }
            float[] xp = s.xp, dyw = s.dyw;
            // The zeros of the padding and of the grid's gaps sit at the same places for every image
            // of a group laid out alike: written once, then only the values of x and dy are copied
            // (a row at a time, one copy each). xp again whenever the group size changes its layout.
            Arrays.fill(s.wide, 0, slot + grid.wp(), 0f);
            int laidOut = -1;
            int[] xAt = new int[TC];
            for (int task = lo; task < hi; task++) {
                int part = task / ranges, range = task % ranges;
                int t0 = (int) ((long) tiles * range / ranges), t1 = (int) ((long) tiles * (range + 1) / ranges);
                int i0 = (int) ((long) n * part / parts), i1 = (int) ((long) n * (part + 1) / parts);
                int a0 = (part * tiles) * tileFloats;
                Arrays.fill(acc, a0 + t0 * tileFloats, a0 + t1 * tileFloats, 0f);
                for (int n0 = i0; n0 < i1; n0 += group) {
                    int count = Math.min(group, i1 - n0), run = count * slot;
                    if (count != laidOut) {
                        Arrays.fill(xp, 0, (planes * count + 1) * slot, 0f);
                        laidOut = count;
                    }
                    for (int img = 0; img < count; img++) {
                        padInput(xp, x, g, grid, n0 + img, img, count);
                        widenGradient(dyw, dy, g, grid, n0 + img, img, count, s.wide);
                    }
                    Arrays.fill(xp, planes * run, planes * run + slot, 0f);
                    for (int t = t0; t < t1; t++) {
                        int rb = t / colTiles, c0 = (t % colTiles) * TC;
                        for (int c = 0; c < TC; c++) {
                            int col = Math.min(c0 + c, k - 1);   // past K: the last column again, not written back
                            xAt[c] = channel[col] * run + within[col];
                        }
                        kernel(xp, dyw, run, xAt[0], xAt[1], xAt[2], xAt[3], xAt[4], xAt[5], rb * TR * run,
                                acc, a0 + t * tileFloats);
                    }
                }
            }
        });
        // dw: per element, the lane sums of each part, parts in order.
        cpu.parallel().forRange(tiles, 1, (lo, hi) -> {
            for (int t = lo; t < hi; t++) {
                int rb = t / colTiles, cb = t % colTiles;
                for (int r = 0; r < TR && rb * TR + r < cout; r++) {
                    for (int c = 0; c < TC && cb * TC + c < k; c++) {
                        float sum = 0f;
                        for (int part = 0; part < parts; part++) {
                            int a = (part * tiles + t) * tileFloats + (r * TC + c) * L;
                            float lanes = 0f;
                            for (int l = 0; l < L; l++) {
                                lanes += acc[a + l];
                            }
                            sum += lanes;
                        }
                        dw[(rb * TR + r) * k + cb * TC + c] = sum;
                    }
                }
            }
        });
    }

    /**
     * x[img]'s planes, padded (and split into phases), into the group's scratch: plane p (ci·phases +
     * phase) of the group's image {@code slotIndex} at xp[(p·count + slotIndex)·slot], zero past Hp·Wp.
     * So each plane's copies for the whole group lie end to end, and a column (ci, i, j) of im2col
     * over the group is one run.
     */
    private static void padInput(float[] xp, float[] x, Conv2d.Geometry g, Grid grid, int img, int slotIndex,
                                 int count) {
        int slot = grid.slot();
        for (int ci = 0; ci < g.cin(); ci++) {
            grid.placeChannel(x, g, img, ci, xp, (ci * grid.phases() * count + slotIndex) * slot, count * slot, true);
        }
    }

    /**
     * dy[img] on the grid (outH rows of Wp, zero past outW in each row and past outH·Wp), into the
     * group's scratch: the TR rows of a tile interleaved a vector at a time, so that the kernel reads
     * them through one pointer: dyw[rb·TR·run + (u − u mod L)·TR + r·L + u mod L] for the group's
     * position u = slotIndex·slot + t. Rows past Cout are left as they are: they reach only sums that are
     * never read.
     */
    private static void widenGradient(float[] dyw, float[] dy, Conv2d.Geometry g, Grid grid, int img, int slotIndex,
                                      int count, float[] wide) {
        int slot = grid.slot(), run = count * slot, p = g.positions();
        for (int co = 0; co < g.cout(); co++) {
            int dst = (co / TR) * TR * run + slotIndex * slot * TR + (co % TR) * L;
            placeRows(dy, (img * g.cout() + co) * p, g.outH(), g.outW(), 0, 0, slot / grid.wp() + 1, grid.wp(), wide, 0);
            for (int t = 0; t < slot; t += L) {
                FloatVector.fromArray(F, wide, t).intoArray(dyw, dst + t * TR);
            }
        }
    }

    /**
     * {@link #place} onto a grid that already holds zeros everywhere else: only the plane's rows are
     * copied, one copy each (or one for the whole plane where its rows are the grid's).
     */
    static void placeRows(float[] src, int srcAt, int h, int w, int top, int left, int rows, int cols,
                          float[] dst, int dstAt) {
        int width = Math.max(0, Math.min(w, cols - left)), r1 = Math.min(rows, top + h);
        if (cols == w && left == 0) {
            System.arraycopy(src, srcAt, dst, dstAt + top * cols, Math.max(0, r1 - top) * w);
            return;
        }
        for (int r = Math.max(0, top); r < r1; r++) {
            System.arraycopy(src, srcAt + (r - top) * w, dst, dstAt + r * cols + left, width);
        }
    }

    /**
     * Lays an h × w plane (src[srcAt + r·w + c]) on a rows × cols grid at dst[dstAt ..] with its
     * top-left corner at (top, left), zero elsewhere.
     */
    static void place(float[] src, int srcAt, int h, int w, int top, int left, int rows, int cols,
                      float[] dst, int dstAt) {
        if (cols == w && left == 0) {
            int len = Math.max(0, Math.min(h, rows - top)) * w;
            Arrays.fill(dst, dstAt, dstAt + top * cols, 0f);
            System.arraycopy(src, srcAt, dst, dstAt + top * cols, len);
            Arrays.fill(dst, dstAt + top * cols + len, dstAt + rows * cols, 0f);
            return;
        }
        int width = Math.max(0, Math.min(w, cols - left));
        for (int r = 0; r < rows; r++) {
            int d = dstAt + r * cols;
            if (r < top || r >= top + h) {
                Arrays.fill(dst, d, d + cols, 0f);
                continue;
            }
            Arrays.fill(dst, d, d + left, 0f);
            System.arraycopy(src, srcAt + (r - top) * w, dst, d + left, width);
            Arrays.fill(dst, d + left + width, d + cols, 0f);
        }
    }

    /**
     * Adds the dot products, over positions [0, run) of the group, of the tile's TR dyw rows (at d,
     * interleaved) with the xp runs at x0..x5 into the 24 vectors at acc[a + (r·TC + c)·L]. One flat
     * loop, the 24 sums as named locals: so C2 keeps them in registers.
     */
    static void kernel(float[] xp, float[] dyw, int run, int x0, int x1, int x2, int x3, int x4, int x5, int d,
                       float[] acc, int a) {
        FloatVector a00 = FloatVector.fromArray(F, acc, a), a01 = FloatVector.fromArray(F, acc, a + L),
                a02 = FloatVector.fromArray(F, acc, a + 2 * L), a03 = FloatVector.fromArray(F, acc, a + 3 * L),
                a04 = FloatVector.fromArray(F, acc, a + 4 * L), a05 = FloatVector.fromArray(F, acc, a + 5 * L),
                a10 = FloatVector.fromArray(F, acc, a + 6 * L), a11 = FloatVector.fromArray(F, acc, a + 7 * L),
                a12 = FloatVector.fromArray(F, acc, a + 8 * L), a13 = FloatVector.fromArray(F, acc, a + 9 * L),
                a14 = FloatVector.fromArray(F, acc, a + 10 * L), a15 = FloatVector.fromArray(F, acc, a + 11 * L),
                a20 = FloatVector.fromArray(F, acc, a + 12 * L), a21 = FloatVector.fromArray(F, acc, a + 13 * L),
                a22 = FloatVector.fromArray(F, acc, a + 14 * L), a23 = FloatVector.fromArray(F, acc, a + 15 * L),
                a24 = FloatVector.fromArray(F, acc, a + 16 * L), a25 = FloatVector.fromArray(F, acc, a + 17 * L),
                a30 = FloatVector.fromArray(F, acc, a + 18 * L), a31 = FloatVector.fromArray(F, acc, a + 19 * L),
                a32 = FloatVector.fromArray(F, acc, a + 20 * L), a33 = FloatVector.fromArray(F, acc, a + 21 * L),
                a34 = FloatVector.fromArray(F, acc, a + 22 * L), a35 = FloatVector.fromArray(F, acc, a + 23 * L);
        for (int u = 0, du = d; u < run; u += L, du += TR * L) {
            FloatVector y0 = FloatVector.fromArray(F, dyw, du);
            FloatVector y1 = FloatVector.fromArray(F, dyw, du + L);
            FloatVector y2 = FloatVector.fromArray(F, dyw, du + 2 * L);
            FloatVector y3 = FloatVector.fromArray(F, dyw, du + 3 * L);
            FloatVector v = FloatVector.fromArray(F, xp, x0 + u);
            a00 = y0.fma(v, a00);
            a10 = y1.fma(v, a10);
            a20 = y2.fma(v, a20);
            a30 = y3.fma(v, a30);
            v = FloatVector.fromArray(F, xp, x1 + u);
            a01 = y0.fma(v, a01);
            a11 = y1.fma(v, a11);
            a21 = y2.fma(v, a21);
            a31 = y3.fma(v, a31);
            v = FloatVector.fromArray(F, xp, x2 + u);
            a02 = y0.fma(v, a02);
            a12 = y1.fma(v, a12);
            a22 = y2.fma(v, a22);
            a32 = y3.fma(v, a32);
            v = FloatVector.fromArray(F, xp, x3 + u);
            a03 = y0.fma(v, a03);
            a13 = y1.fma(v, a13);
            a23 = y2.fma(v, a23);
            a33 = y3.fma(v, a33);
            v = FloatVector.fromArray(F, xp, x4 + u);
            a04 = y0.fma(v, a04);
            a14 = y1.fma(v, a14);
            a24 = y2.fma(v, a24);
            a34 = y3.fma(v, a34);
            v = FloatVector.fromArray(F, xp, x5 + u);
            a05 = y0.fma(v, a05);
            a15 = y1.fma(v, a15);
            a25 = y2.fma(v, a25);
            a35 = y3.fma(v, a35);
        }
        a00.intoArray(acc, a);
        a01.intoArray(acc, a + L);
        a02.intoArray(acc, a + 2 * L);
        a03.intoArray(acc, a + 3 * L);
        a04.intoArray(acc, a + 4 * L);
        a05.intoArray(acc, a + 5 * L);
        a10.intoArray(acc, a + 6 * L);
        a11.intoArray(acc, a + 7 * L);
        a12.intoArray(acc, a + 8 * L);
        a13.intoArray(acc, a + 9 * L);
        a14.intoArray(acc, a + 10 * L);
        a15.intoArray(acc, a + 11 * L);
        a20.intoArray(acc, a + 12 * L);
        a21.intoArray(acc, a + 13 * L);
        a22.intoArray(acc, a + 14 * L);
        a23.intoArray(acc, a + 15 * L);
        a24.intoArray(acc, a + 16 * L);
        a25.intoArray(acc, a + 17 * L);
        a30.intoArray(acc, a + 18 * L);
        a31.intoArray(acc, a + 19 * L);
        a32.intoArray(acc, a + 20 * L);
        a33.intoArray(acc, a + 21 * L);
        a34.intoArray(acc, a + 22 * L);
        a35.intoArray(acc, a + 23 * L);
    }
}
