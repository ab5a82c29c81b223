package org.inceptionj.cpu;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The weight gradient of a stride-1 3×3, 5×5, 1×7 or 7×1 convolution by Winograd's minimal filtering.
 * For 3×3 kernels F(3×3, 4×4): each 4×4 tile of dy and its 6×6 window of x give all 9 taps of dw with 36 multiplications per pair
 * of channels, where the direct sum takes 9 · 16 = 144.
 * <pre>
 *   dw[co, ci] = Gᵀ [ Σ_tiles (A E Aᵀ) ⊙ (Bᵀ X B) ] G
 * </pre>
 * with E a 4×4 tile of dy[n, co], X its 6×6 window of x[n, ci] (padding included), and Bᵀ, G, Aᵀ the
 * matrices of F(4×4, 3×3) ({@link Conv2dWinograd.Plan#SQUARE4}: points 0, ±1, ±2, ∞). Why the same
 * matrices: dw[i][j] = Σ_{a,b} x[a + i][b + j] · e[a][b] is the forward's trilinear form Σ x·w·y with
 * the kernel and the output trading places, so F(4, 3)'s factors serve F(3, 4) with A taking dy and G
 * making the taps (the transposition principle, Lavin and Gray 2015, §4). The forward's input
 * transform is reused as it is ({@link Conv2dWinograd#transformInputsSixPoint}).
 *
 * <p>Why: the 3×3 weight gradients are a third of a training step's weight gradients (Conv2d_2b, 4a,
 * the 35×35 branches), and on the matrix-product path they ran at 40–55% of the FMA peak, the
 * transposes and im2col copies around it included (ConvPeakReport, batch 8). Here the products are a
 * quarter as many and both operands are transformed once per tile and channel. Measured on two threads,
 * batch 8, in one process alternating with the paths it replaces (Intel Xeon, AVX-512, 2026-12-07):
 * Conv2d_4a (80 → 192 at 73×73) 2.63× (2.38–2.81), Conv2d_2b 1.89×, Conv2d_2a 1.61×, 96 → 96 at 35×35
 * 2.25×, 64 → 96 1.73×; the training step at 299×299 1.10× (quartiles 1.03 and 1.23). Error against
 * double sums, relative L2 over sampled taps: 3.6e-6 at Conv2d_4a (the matrix product's 1.2e-6), 7.5e-6 at
 * Conv2d_2b (2.3e-6).
 *
 * <p>The 1×7 and 7×1 kernels take F(7, 2) the same way, from the forward's F(2, 7) ({@link
 * Conv2dWinograd.Plan#ROW7}, {@link Conv2dWinograd.Plan#COLUMN7}): a tile is 2 outputs of dy along the
 * kernel's row or column, its window 8 of x; dw = gmᵀ [Σ (atᵀ e) ⊙ (bt d)], 8 products for the 14 of
 * the direct sum. The windows overlap more (8 of x per 2 of dy) and the transforms weigh more: the
 * 17×17 layers of Mixed_6b–6e ran 1.15–1.31× faster alone (two threads, batch 8, alternating in one
 * process), a training step within its noise (1.007×, quartiles 0.94 and 1.03); against the matrix
 * product's sums, relative L2, 1.1e-6 at 40 → 36 channels over 23×23.
 *
 * <p>The 5×5 kernels take F(5×5, 2×2) from the forward's F(2×2, 5×5) ({@link Conv2dWinograd.Plan#SQUARE5}):
 * 2×2 tiles of dy, the same 6×6 windows of x (2 apart) and input transform, 36 products for the direct
 * sum's 100. Mixed_5b–5d's 48 → 64 at 35×35 ran 1.45× faster alone (1.25–1.53; two threads, batch 8);
 * its error against double sums, relative L2, 4.3e-6 (the matrix product's 6.3e-7).
 *
 * <p>Layout: x and dy are copied channel-blocked ({@link Conv2dBlocked#block}), L channels per
 * position. Tiles are taken in chunks: per chunk, every tile's points (36, or 8) for all channels
 * (v[ξ][ci / L][tile][ci % L] and e[ξ][co / L][tile][co % L]), then per point ξ a product of
 * {@link #ROWS} output channels (broadcast from e) by two vectors of input channels (from v), summed
 * over the chunk's tiles into m[ξ][co][ci] ({@link #kernel}). After the last chunk of a part, m goes
 * through Gᵀ · G (or gmᵀ) to dw.
 *
 * <p>Determinism: the tiles of the batch are cut into {@link Conv2dBackward#REDUCTION_PARTS} parts by
 * the geometry alone; each point of each part is summed over its tiles in order, one FMA each; the
 * parts are added in order. So the bits do not depend on the thread count. They differ from the
 * direct sum's in their last bits (the transforms), as the forward's Winograd does;
 * {@code -Dinceptionj.cpu.winograd=false} gives the direct sums back. Part of the fast path; the plain
 * loop in {@link Conv2dBackward} is the definition.
 */
final class Conv2dBackwardWeightWinograd {
    private Conv2dBackwardWeightWinograd() {
    }

    private static final VectorSpecies<Float> F = Vectors.F;
    private static final int L = F.length();
    /** Output channels per register tile, broadcast: 8, with two vectors of input channels, 16 accumulators. */
    static final int ROWS = 8;
    /** The fewest outputs along each side: 4 tiles, so the windows' overlap (6 of x per 4 of dy) stays small. */
    static final int MIN_OUTPUTS = 16;
    /**
     * The fewest channels on either side: with fewer the transforms outweigh the products (the default
     * run's 16 → 16 at 35×35, batch 64, took 2–3× as long as on {@link Conv2dBackwardWeightDirect}).
     */
    static final int MIN_CHANNELS = 32;
    /** Floats of one chunk's transformed x and dy together (4 MB): they stay in L2 or near it while the 36 products run. */
    static final int CHUNK_FLOATS = 1 << 20;
    /** Tiles per chunk, at least and at most. */
    static final int MIN_CHUNK = 32, MAX_CHUNK = 256;
    /** The most floats of the sums m of one part (points · Cin · Cout, rounded to whole tiles): 32 MB. */
    static final int MAX_SUMS = 1 << 23;

    /**
     * Where the weight gradient takes this path: Winograd on ({@link CpuConfig#winograd()}), vectors of
     * at least {@link #ROWS} floats, a 3×3, 1×7 or 7×1 kernel ({@link #plan}) at stride 1, undilated, over
     * planes of at least {@link #MIN_OUTPUTS} outputs a side and {@link #MIN_CHANNELS} channels each side.
     * Not the thread count: the bits must not depend on it.
     */
    static boolean applies(CpuBackend cpu, Conv2d.Geometry g) {
        return cpu.config().winograd() && cpu.vectorized() && L >= ROWS && plan(g) != null
                && g.strideH() == 1 && g.strideW() == 1 && g.dilationH() == 1 && g.dilationW() == 1
                && g.outH() >= MIN_OUTPUTS && g.outW() >= MIN_OUTPUTS
                && g.cin() >= MIN_CHANNELS && g.cout() >= MIN_CHANNELS
                && fits(g);
    }

    /**
     * F(4×4, 3×3)'s matrices for a 3×3 kernel, F(2×2, 5×5)'s for a 5×5, F(2, 7)'s along the row or column
     * for 1×7 and 7×1; else null.
     */
    static Conv2dWinograd.Plan plan(Conv2d.Geometry g) {
        if (g.kh() == 3 && g.kw() == 3) {
            return Conv2dWinograd.Plan.SQUARE4;
        }
        if (g.kh() == 5 && g.kw() == 5) {
            return Conv2dWinograd.Plan.SQUARE5;
        }
        if (g.kh() == 1 && g.kw() == 7) {
            return Conv2dWinograd.Plan.ROW7;
        }
        return g.kh() == 7 && g.kw() == 1 ? Conv2dWinograd.Plan.COLUMN7 : null;
    }

    private static boolean fits(Conv2d.Geometry g) {
        Conv2dWinograd.Plan plan = plan(g);
        long xb = (long) g.batch() * blocks(g.cin()) * paddedHeight(g) * paddedWidth(g) * L;
        long dyb = (long) g.batch() * blocks(g.cout()) * gridHeight(g) * gridWidth(g) * L;
        long sums = (long) plan.points() * blocks(g.cout()) * L * columns(g);
        return xb <= Integer.MAX_VALUE - 16 && dyb <= Integer.MAX_VALUE - 16 && sums <= MAX_SUMS;
    }

    private static int blocks(int channels) {
        return (channels + L - 1) / L;
    }

    static int tilesH(Conv2d.Geometry g) {
        int th = plan(g).tileH();
        return (g.outH() + th - 1) / th;
    }

    static int tilesW(Conv2d.Geometry g) {
        int tw = plan(g).tileW();
        return (g.outW() + tw - 1) / tw;
    }

    /** Rows of dy's blocked copy: whole tiles, zero past outH. */
    static int gridHeight(Conv2d.Geometry g) {
        return tilesH(g) * plan(g).tileH();
    }

    /** Columns of dy's blocked copy, likewise. */
    static int gridWidth(Conv2d.Geometry g) {
        return tilesW(g) * plan(g).tileW();
    }

    /** Rows of x's blocked copy: the padding above, x's rows, and enough below for the last tile's window. */
    static int paddedHeight(Conv2d.Geometry g) {
        return Math.max(g.h() + g.padTop(), gridHeight(g) + g.kh() - 1);
    }

    /** Columns of x's blocked copy, likewise. */
    static int paddedWidth(Conv2d.Geometry g) {
        return Math.max(g.w() + g.padLeft(), gridWidth(g) + g.kw() - 1);
    }

    /** Columns of the sums m: input channels in strips of two vectors. */
    private static int columns(Conv2d.Geometry g) {
        return (blocks(g.cin()) + 1) / 2 * 2 * L;
    }

    /** Tiles per chunk: as many as {@link #CHUNK_FLOATS} hold for both transforms, within [MIN_CHUNK, MAX_CHUNK]. */
    static int chunk(Conv2d.Geometry g) {
        int perTile = plan(g).points() * (blocks(g.cin()) + blocks(g.cout())) * L;
        return Math.max(MIN_CHUNK, Math.min(MAX_CHUNK, CHUNK_FLOATS / perTile / 8 * 8));
    }

    /** Per-thread scratch: a chunk's transformed x (v) and dy (e), and a part's sums (m). */
    private static final class Scratch {
        float[] v = new float[0];
        float[] e = new float[0];
        float[] m = new float[0];
        final float[] rows = new float[36 * L];
        final float[] taps = new float[25 * L];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);
    /** The calling thread's buffer for the parts past the first; grown on demand. */
    private static final ThreadLocal<float[]> PARTIALS = ThreadLocal.withInitial(() -> new float[0]);

    /** dw [Cout, Cin, kh, kw] (overwritten) = the weight gradient of g for dy and x. */
    static void weight(CpuBackend cpu, float[] dw, float[] dy, float[] x, Conv2d.Geometry g) {
        int hp = paddedHeight(g), wp = paddedWidth(g), hd = gridHeight(g), wd = gridWidth(g);
        float[] xb = cpu.cache().allocateStale(g.batch() * blocks(g.cin()) * hp * wp * L);
        float[] dyb = cpu.cache().allocateStale(g.batch() * blocks(g.cout()) * hd * wd * L);
        try {
            Conv2dBlocked.block(cpu, x, g, xb, hp, wp);
            // dy as the input of a convolution without padding, over whole tiles (zero past outH, outW).
            Conv2d.Geometry grads = new Conv2d.Geometry(g.batch(), g.cout(), g.outH(), g.outW(), g.cout(), 1, 1,
                    g.outH(), g.outW(), 1, 1, 0, 0, 1, 1);
            Conv2dBlocked.block(cpu, dy, grads, dyb, hd, wd);
            int parts = Conv2dBackward.REDUCTION_PARTS, size = g.cout() * g.cin() * g.kh() * g.kw();
            int total = g.batch() * tilesH(g) * tilesW(g);
            float[] partial = Conv2dBatched.scratch(PARTIALS, (parts - 1) * size);
            // With more threads than parts, each part's output channels are cut into ranges of vectors too
            // (each range transforms the part's x again); every element is summed alike in any range.
            int cob = blocks(g.cout()), threads = cpu.parallel().threads();
            int ranges = Math.max(1, Math.min(cob, (threads + parts - 1) / parts));
            cpu.parallel().forRange(parts * ranges, 1, (lo, hi) -> {
                for (int task = lo; task < hi; task++) {
                    int part = task / ranges, range = task % ranges;
                    int t0 = (int) ((long) total * part / parts), t1 = (int) ((long) total * (part + 1) / parts);
                    int co0 = cob * range / ranges, co1 = cob * (range + 1) / ranges;
                    part(xb, hp, wp, dyb, g, t0, t1, co0, co1, part == 0 ? dw : partial, part == 0 ? 0 : (part - 1) * size);
                }
            });
            // The parts in order, element by element, on the backend's threads.
            cpu.parallel().forRange(size, 1 << 14, (lo, hi) -> {
                for (int part = 1; part < parts; part++) {
                    for (int i = lo, off = (part - 1) * size; i < hi; i++) {
                        dw[i] += partial[off + i];
                    }
                }
            });
        } finally {
            cpu.cache().recycle(xb);
            cpu.cache().recycle(dyb);
        }
    }

    /**
     * to[at + (co·Cin + ci)·kh·kw + i·kw + j] = the gradient over tiles [t0, t1) of the batch, for the
     * output channels of the vectors [co0, co1).
     */
    private static void part(float[] xb, int hp, int wp, float[] dyb, Conv2d.Geometry g, int t0, int t1, int co0,
                             int co1, float[] to, int at) {
        int cb = blocks(g.cin()), cob = blocks(g.cout()), rows = cob * L, cols = columns(g), strips = cols / (2 * L);
        int tc = chunk(g);
        Conv2dWinograd.Plan plan = plan(g);
        boolean square = plan == Conv2dWinograd.Plan.SQUARE4;
        int points = plan.points();
        Scratch s = SCRATCH.get();
        if (s.v.length < points * cb * tc * L) {
            s.v = new float[points * cb * tc * L];
        }
        if (s.e.length < points * cob * tc * L) {
            s.e = new float[points * cob * tc * L];
        }
        if (s.m.length < points * rows * cols) {
            s.m = new float[points * rows * cols];
        }
        float[] v = s.v, e = s.e, m = s.m;
        if (t0 >= t1) {
            Arrays.fill(m, 0, points * rows * cols, 0f);
        }
        for (int c0 = t0; c0 < t1; c0 += tc) {
            int c1 = Math.min(t1, c0 + tc), n = c1 - c0;
            boolean accumulate = c0 > t0;
            if (square) {
                Conv2dWinograd.transformInputsSixPoint(plan, xb, hp, wp, g, v, cb, tc, c0, c1);
                transformGradients(dyb, g, e, cob, co0, co1, tc, c0, c1, s.rows);
            } else if (plan.twoDimensional()) {
                Conv2dWinograd.transformInputsSixPoint(plan, xb, hp, wp, g, v, cb, tc, c0, c1);
                transformGradientsTwo(plan, dyb, g, e, cob, co0, co1, tc, c0, c1, s.rows);
            } else {
                Conv2dWinograd.transformInputs(plan, xb, hp, wp, g, v, cb, tc, c0, c1);
                transformGradients(plan, dyb, g, e, cob, co0, co1, tc, c0, c1);
            }
            // m[ξ][co][ci]: 8 output channels of e broadcast, by two vectors of input channels of v, so that
            // the taps come out along ci and go to dw's rows whole (with the roles the other way round the
            // taps took 14% of a 1×7 layer, each value stored to a different row).
            for (int xi = 0; xi < points; xi++) {
                for (int r = co0 * L; r < co1 * L; r += ROWS) {
                    int aOff = ((xi * cob + r / L) * tc) * L + r % L;
                    for (int st = 0; st < strips; st++) {
                        int b0 = ((xi * cb + 2 * st) * tc) * L;
                        int b1 = 2 * st + 1 < cb ? b0 + tc * L : b0;   // a lone last vector: its twin is never read
                        kernel(n, e, aOff, v, b0, b1, m, (xi * rows + r) * cols + st * 2 * L, cols, accumulate);
                    }
                }
            }
        }
        if (square) {
            taps(m, rows, cols, g, co0 * L, Math.min(g.cout(), co1 * L), to, at, s.rows, s.taps);
        } else if (plan.twoDimensional()) {
            tapsTwo(plan, m, rows, cols, g, co0 * L, Math.min(g.cout(), co1 * L), to, at, s.rows, s.taps);
        } else {
            taps(plan, m, rows, cols, g, co0 * L, Math.min(g.cout(), co1 * L), to, at, s.taps);
        }
    }

    /**
     * e[ξ][c][t − t0][lane] = (atᵀ e)_ξ = at[0][ξ]·e_0 + at[1][ξ]·e_1 for a one-dimensional plan, tile t and
     * channel c·L + lane, e_0 and e_1 the tile's two values of dy along the kernel's row or column.
     */
    private static void transformGradients(Conv2dWinograd.Plan plan, float[] dyb, Conv2d.Geometry g, float[] e,
                                           int cob, int c0, int c1, int tc, int t0, int t1) {
        int th = tilesH(g), tw = tilesW(g), perImage = th * tw, wd = gridWidth(g), points = plan.points();
        int plane = gridHeight(g) * wd * L, image = cob * plane, point = cob * tc * L;
        int step = plan.tileW() > 1 ? L : wd * L;
        float[][] at = plan.at();
        for (int c = c0; c < c1; c++) {
            for (int t = t0; t < t1; t++) {
                int n = t / perImage, ty = t % perImage / tw, tx = t % tw;
                int from = n * image + c * plane + (ty * plan.tileH() * wd + tx * plan.tileW()) * L;
                FloatVector e0 = FloatVector.fromArray(F, dyb, from), e1 = FloatVector.fromArray(F, dyb, from + step);
                int o = (c * tc + t - t0) * L;
                for (int xi = 0; xi < points; xi++) {
                    e1.fma(FloatVector.broadcast(F, at[1][xi]), e0.mul(at[0][xi])).intoArray(e, o + xi * point);
                }
            }
        }
    }

    /**
     * to[at + (co·Cin + ci)·r + j] = Σ_ξ gm[ξ][j] · m[ξ·rows + co][ci], j &lt; r, for a one-dimensional plan
     * (r taps along the kernel's row or column), a vector of input channels at a time, for co in [from, until).
     */
    private static void taps(Conv2dWinograd.Plan plan, float[] m, int rows, int cols, Conv2d.Geometry g, int from,
                             int until, float[] to, int at, float[] out) {
        int cin = g.cin(), point = rows * cols, r = plan.taps();
        float[][] gm = plan.gm();
        int[][] terms = columnTerms(gm);
        for (int co = from; co < until; co++) {
            for (int c0 = 0; c0 < cin; c0 += L) {
                int src = co * cols + c0;
                for (int j = 0; j < r; j++) {
                    FloatVector sum = FloatVector.zero(F);
                    for (int xi : terms[j]) {
                        sum = FloatVector.fromArray(F, m, src + xi * point).fma(FloatVector.broadcast(F, gm[xi][j]), sum);
                    }
                    sum.intoArray(out, j * L);
                }
                for (int lane = 0, lanes = Math.min(L, cin - c0), row = at + (co * cin + c0) * r; lane < lanes; lane++) {
                    for (int j = 0; j < r; j++) {
                        to[row + lane * r + j] = out[j * L + lane];
                    }
                }
            }
        }
    }

    /** For each column j of m, the rows where it is not zero, in ascending order: a loop over them tests nothing. */
    static int[][] columnTerms(float[][] m) {
        int[][] terms = new int[m[0].length][];
        for (int j = 0; j < terms.length; j++) {
            int count = 0;
            int[] at = new int[m.length];
            for (int i = 0; i < m.length; i++) {
                if (m[i][j] != 0f) {
                    at[count++] = i;
                }
            }
            terms[j] = Arrays.copyOf(at, count);
        }
        return terms;
    }

    /**
     * e[ξ][c][t − t0][lane] = (atᵀ E at)[ξ / 6][ξ % 6] for F(2×2, 5×5), tile t and channel c·L + lane, E the
     * tile's 2×2 of dy: along each row, then down each column, each point one multiply and one FMA.
     */
    private static void transformGradientsTwo(Conv2dWinograd.Plan plan, float[] dyb, Conv2d.Geometry g, float[] e,
                                              int cob, int c0, int c1, int tc, int t0, int t1, float[] rows) {
        int th = tilesH(g), tw = tilesW(g), perImage = th * tw, wd = gridWidth(g);
        int plane = gridHeight(g) * wd * L, image = cob * plane, point = cob * tc * L;
        float[] a0 = plan.at()[0], a1 = plan.at()[1];
        for (int c = c0; c < c1; c++) {
            for (int t = t0; t < t1; t++) {
                int n = t / perImage, ty = t % perImage / tw, tx = t % tw;
                int from = n * image + c * plane + (2 * ty * wd + 2 * tx) * L;
                for (int a = 0; a < 2; a++) {
                    FloatVector e0 = FloatVector.fromArray(F, dyb, from + a * wd * L);
                    FloatVector e1 = FloatVector.fromArray(F, dyb, from + a * wd * L + L);
                    for (int q = 0; q < 6; q++) {
                        e1.fma(FloatVector.broadcast(F, a1[q]), e0.mul(a0[q])).intoArray(rows, (6 * a + q) * L);
                    }
                }
                int o = (c * tc + t - t0) * L;
                for (int q = 0; q < 6; q++) {
                    FloatVector f0 = FloatVector.fromArray(F, rows, q * L), f1 = FloatVector.fromArray(F, rows, (6 + q) * L);
                    for (int p = 0; p < 6; p++) {
                        f1.fma(FloatVector.broadcast(F, a1[p]), f0.mul(a0[p])).intoArray(e, o + (6 * p + q) * point);
                    }
                }
            }
        }
    }

    /**
     * to[at + (co·Cin + ci)·25 + i·5 + j] = (gmᵀ M gm)[i][j] for F(2×2, 5×5), M[p][q] = m[(6p + q)·rows +
     * co][ci]: down each column (stage[i][q]), then along each row, a vector of input channels at a time,
     * for co in [from, until). F(4×4, 3×3) keeps its written-out {@link #taps}: this loop over G's terms
     * made the 35 × 35 3 × 3 layers 0.90–0.93× as fast.
     */
    private static void tapsTwo(Conv2dWinograd.Plan plan, float[] m, int rows, int cols, Conv2d.Geometry g, int from,
                                int until, float[] to, int at, float[] stage, float[] out) {
        int cin = g.cin(), point = rows * cols, r = 5, taps = r * r;
        float[][] gm = plan.gm();
        int[][] terms = columnTerms(gm);
        for (int co = from; co < until; co++) {
            for (int c0 = 0; c0 < cin; c0 += L) {
                int src = co * cols + c0;
                for (int i = 0; i < r; i++) {
                    for (int q = 0; q < 6; q++) {
                        FloatVector sum = FloatVector.zero(F);
                        for (int p : terms[i]) {
                            sum = FloatVector.fromArray(F, m, src + (6 * p + q) * point)
                                    .fma(FloatVector.broadcast(F, gm[p][i]), sum);
                        }
                        sum.intoArray(stage, (6 * i + q) * L);
                    }
                    for (int j = 0; j < r; j++) {
                        FloatVector sum = FloatVector.zero(F);
                        for (int q : terms[j]) {
                            sum = FloatVector.fromArray(F, stage, (6 * i + q) * L).fma(FloatVector.broadcast(F, gm[q][j]), sum);
                        }
                        sum.intoArray(out, (r * i + j) * L);
                    }
                }
                for (int lane = 0, lanes = Math.min(L, cin - c0), row = at + (co * cin + c0) * taps; lane < lanes; lane++) {
                    for (int k = 0; k < taps; k++) {
                        to[row + lane * taps + k] = out[k * L + lane];
                    }
                }
            }
        }
    }

    /**
     * e[ξ][c][t − t0][lane] = (A E Aᵀ)[ξ / 6][ξ % 6] for tile t and channel c·L + lane, E the tile's 4×4
     * of dy in its blocked copy, for the vectors of channels [c0, c1): along each row ({@link #gradient6}),
     * then down each column.
     */
    private static void transformGradients(float[] dyb, Conv2d.Geometry g, float[] e, int cob, int c0, int c1, int tc,
                                           int t0, int t1, float[] rows) {
        int th = tilesH(g), tw = tilesW(g), perImage = th * tw, wpd = gridWidth(g);
        int plane = gridHeight(g) * wpd * L, image = cob * plane, point = cob * tc * L;
        for (int c = c0; c < c1; c++) {
            for (int t = t0; t < t1; t++) {
                int n = t / perImage, ty = t % perImage / tw, tx = t % tw;
                int at = n * image + c * plane + (4 * ty * wpd + 4 * tx) * L;
                for (int a = 0; a < 4; a++) {
                    gradient6(dyb, at + a * wpd * L, L, rows, 6 * a * L, L);
                }
                int o = (c * tc + t - t0) * L;
                for (int q = 0; q < 6; q++) {
                    gradient6(rows, q * L, 6 * L, e, o + q * point, 6 * point);
                }
            }
        }
    }

    /**
     * dst[d + k·dStride] = (A s)_k, k &lt; 6, for the four vectors s_i = src[s + i·sStride], A = F(4, 3)'s
     * Aᵀ turned: s0, s0 + s1 + s2 + s3, s0 − s1 + s2 − s3, s0 + 2s1 + 4s2 + 8s3, s0 − 2s1 + 4s2 − 8s3, s3;
     * with p = s0 + s2 and q = s1 + s3 for rows 1 and 2, r = s0 + 4s2 and u = 2s1 + 8s3 for rows 3 and 4.
     */
    static void gradient6(float[] src, int s, int sStride, float[] dst, int d, int dStride) {
        FloatVector s0 = FloatVector.fromArray(F, src, s), s1 = FloatVector.fromArray(F, src, s + sStride);
        FloatVector s2 = FloatVector.fromArray(F, src, s + 2 * sStride), s3 = FloatVector.fromArray(F, src, s + 3 * sStride);
        s0.intoArray(dst, d);
        FloatVector p = s0.add(s2), q = s1.add(s3);
        p.add(q).intoArray(dst, d + dStride);
        p.sub(q).intoArray(dst, d + 2 * dStride);
        FloatVector r = s2.fma(FloatVector.broadcast(F, 4f), s0), u = s3.fma(FloatVector.broadcast(F, 4f), s1).mul(2f);
        r.add(u).intoArray(dst, d + 3 * dStride);
        r.sub(u).intoArray(dst, d + 4 * dStride);
        s3.intoArray(dst, d + 5 * dStride);
    }

    /**
     * to[at + (co·Cin + ci)·9 + i·3 + j] = (Gᵀ M G)[i][j], M[p][q] = m[(6p + q)·rows + co][ci]: along
     * the first index ({@link #taps3}), then the second, a vector of input channels at a time, for co in
     * [from, until).
     */
    private static void taps(float[] m, int rows, int cols, Conv2d.Geometry g, int from, int until, float[] to, int at,
                             float[] stage, float[] out) {
        int cin = g.cin(), point = rows * cols;
        for (int co = from; co < until; co++) {
            for (int c0 = 0; c0 < cin; c0 += L) {
                int src = co * cols + c0;
                // stage[(i·6 + q)·L + lane] = Σ_p Gᵀ[i][p] M[p][q]
                for (int q = 0; q < 6; q++) {
                    taps3(m, src + q * point, 6 * point, stage, q * L, 6 * L);
                }
                // out[(i·3 + j)·L + lane] = Σ_q stage[i][q] G[q][j]
                for (int i = 0; i < 3; i++) {
                    taps3(stage, i * 6 * L, L, out, i * 3 * L, L);
                }
                for (int lane = 0, lanes = Math.min(L, cin - c0), row = at + (co * cin + c0) * 9; lane < lanes; lane++) {
                    for (int k = 0; k < 9; k++) {
                        to[row + lane * 9 + k] = out[k * L + lane];
                    }
                }
            }
        }
    }

    private static final float SIXTH = 1f / 6, TWELFTH = 1f / 12, TWENTY_FOURTH = 1f / 24;

    /**
     * dst[d + k·dStride] = (Gᵀ s)_k, k &lt; 3, for the six vectors s_i = src[s + i·sStride], G F(4, 3)'s: with
     * a = s1 + s2, b = s1 − s2, c = s3 + s4, e = s3 − s4: s0/4 − a/6 + c/24, −b/6 + e/12, −a/6 + c/6 + s5.
     */
    static void taps3(float[] src, int s, int sStride, float[] dst, int d, int dStride) {
        FloatVector s1 = FloatVector.fromArray(F, src, s + sStride), s2 = FloatVector.fromArray(F, src, s + 2 * sStride);
        FloatVector s3 = FloatVector.fromArray(F, src, s + 3 * sStride), s4 = FloatVector.fromArray(F, src, s + 4 * sStride);
        FloatVector a = s1.add(s2), b = s1.sub(s2), c = s3.add(s4), e = s3.sub(s4);
        FloatVector s0 = FloatVector.fromArray(F, src, s), s5 = FloatVector.fromArray(F, src, s + 5 * sStride);
        s0.mul(0.25f).add(a.mul(-SIXTH)).add(c.mul(TWENTY_FOURTH)).intoArray(dst, d);
        b.mul(-SIXTH).add(e.mul(TWELFTH)).intoArray(dst, d + dStride);
        c.sub(a).mul(SIXTH).add(s5).intoArray(dst, d + 2 * dStride);
    }

    /**
     * c[cOff + r·ldc + lane] (r &lt; 8, lane &lt; 2L) = (accumulate ? c : 0) + Σ_{k &lt; kc} a[aOff + k·L + r] ·
     * b[b0 + k·L + lane] (lane &lt; L; b1 for the second vector): 8 output channels of one vector of e
     * broadcast, by two vectors of input channels of v; one FMA per term, k ascending. The step between
     * k's is the constant L, so C2 takes the range checks out of the loop (see {@link Gemm#kernel8}).
     * Why its own copy of Gemm's 8 × 32 tile: Gemm's kernels read A four floats a step (packed) or along
     * rows, and B as one 32-float strip; here both operands stay in the transforms' channel-blocked
     * layout, L floats a step and B's two vectors in two blocks, and a stride passed as a parameter
     * would bring the range checks back.
     */
    static void kernel(int kc, float[] a, int aOff, float[] b, int b0, int b1, float[] c, int cOff, int ldc,
                       boolean accumulate) {
        int c0 = cOff, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc, c6 = c5 + ldc,
                c7 = c6 + ldc;
        FloatVector acc00, acc01, acc10, acc11, acc20, acc21, acc30, acc31,
                acc40, acc41, acc50, acc51, acc60, acc61, acc70, acc71;
        if (accumulate) {
            acc00 = FloatVector.fromArray(F, c, c0);
            acc01 = FloatVector.fromArray(F, c, c0 + L);
            acc10 = FloatVector.fromArray(F, c, c1);
            acc11 = FloatVector.fromArray(F, c, c1 + L);
            acc20 = FloatVector.fromArray(F, c, c2);
            acc21 = FloatVector.fromArray(F, c, c2 + L);
            acc30 = FloatVector.fromArray(F, c, c3);
            acc31 = FloatVector.fromArray(F, c, c3 + L);
            acc40 = FloatVector.fromArray(F, c, c4);
            acc41 = FloatVector.fromArray(F, c, c4 + L);
            acc50 = FloatVector.fromArray(F, c, c5);
            acc51 = FloatVector.fromArray(F, c, c5 + L);
            acc60 = FloatVector.fromArray(F, c, c6);
            acc61 = FloatVector.fromArray(F, c, c6 + L);
            acc70 = FloatVector.fromArray(F, c, c7);
            acc71 = FloatVector.fromArray(F, c, c7 + L);
        } else {
            acc00 = acc01 = acc10 = acc11 = acc20 = acc21 = acc30 = acc31 = FloatVector.zero(F);
            acc40 = acc41 = acc50 = acc51 = acc60 = acc61 = acc70 = acc71 = acc00;
        }
        for (int k = 0; k < kc; k++) {
            int ak = aOff + k * L;
            FloatVector v0 = FloatVector.fromArray(F, b, b0 + k * L);
            FloatVector v1 = FloatVector.fromArray(F, b, b1 + k * L);
            FloatVector ar = FloatVector.broadcast(F, a[ak]);
            acc00 = ar.fma(v0, acc00);
            acc01 = ar.fma(v1, acc01);
            ar = FloatVector.broadcast(F, a[ak + 1]);
            acc10 = ar.fma(v0, acc10);
            acc11 = ar.fma(v1, acc11);
            ar = FloatVector.broadcast(F, a[ak + 2]);
            acc20 = ar.fma(v0, acc20);
            acc21 = ar.fma(v1, acc21);
            ar = FloatVector.broadcast(F, a[ak + 3]);
            acc30 = ar.fma(v0, acc30);
            acc31 = ar.fma(v1, acc31);
            ar = FloatVector.broadcast(F, a[ak + 4]);
            acc40 = ar.fma(v0, acc40);
            acc41 = ar.fma(v1, acc41);
            ar = FloatVector.broadcast(F, a[ak + 5]);
            acc50 = ar.fma(v0, acc50);
            acc51 = ar.fma(v1, acc51);
            ar = FloatVector.broadcast(F, a[ak + 6]);
            acc60 = ar.fma(v0, acc60);
            acc61 = ar.fma(v1, acc61);
            ar = FloatVector.broadcast(F, a[ak + 7]);
            acc70 = ar.fma(v0, acc70);
            acc71 = ar.fma(v1, acc71);
        }
        acc00.intoArray(c, c0);
        acc01.intoArray(c, c0 + L);
        acc10.intoArray(c, c1);
        acc11.intoArray(c, c1 + L);
        acc20.intoArray(c, c2);
        acc21.intoArray(c, c2 + L);
        acc30.intoArray(c, c3);
        acc31.intoArray(c, c3 + L);
        acc40.intoArray(c, c4);
        acc41.intoArray(c, c4 + L);
        acc50.intoArray(c, c5);
        acc51.intoArray(c, c5 + L);
        acc60.intoArray(c, c6);
        acc61.intoArray(c, c6 + L);
        acc70.intoArray(c, c7);
        acc71.intoArray(c, c7 + L);
    }
}
