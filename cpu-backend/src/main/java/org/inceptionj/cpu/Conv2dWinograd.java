package org.inceptionj.cpu;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The 3×3 stride-1 convolution of inference by Winograd's minimal filtering F(2×2, 3×3) (Lavin and
 * Gray, "Fast Algorithms for Convolutional Neural Networks", 2015): each 2×2 block of outputs (a tile)
 * comes from its 4×4 window of x with 16 multiplications per input channel instead of 36.
 * <pre>
 *   Y = Aᵀ [ Σ_ci (G g Gᵀ) ⊙ (Bᵀ d B) ] A
 *
 *        [1  0 -1  0]        [ 1    0    0 ]
 *   Bᵀ = [0  1  1  0]    G = [ 1/2  1/2  1/2]    Aᵀ = [1  1  1  0]
 *        [0 -1  1  0]        [ 1/2 -1/2  1/2]         [0  1 -1 -1]
 *        [0  1  0 -1]        [ 0    0    1 ]
 * </pre>
 * with g a 3×3 kernel of w and d a 4×4 window of x. The sum over the input channels is, for each of
 * the 16 points ξ of the 4×4 transform, a product of the transformed inputs [tiles × Cin] and weights
 * [Cin × Cout]: 16 products that {@link Conv2dBlocked}'s register tiles compute, with tiles as their
 * positions and the input channels as their steps. So 2.25× fewer multiply-adds than the direct sum,
 * for the price of the transforms (additions only, per tile and channel, not per channel pair).
 *
 * <p>Why only in inference: the sums differ from the direct sum's in their last bits (the transforms
 * add and subtract before and after the products; Lavin and Gray measure F(2×2, 3×3) as accurate as
 * the direct form in fp32), and training keeps the bits of the formula's order so that a run is
 * reproducible across this backend's paths. Inference is compared with tolerances (against the plain
 * loops, PyTorch and ONNX Runtime), and gets the speed.
 *
 * <p>Work: tiles are taken in blocks of {@link #tileBlock} across the batch; a block's transformed
 * inputs (16 × Cin × tiles) and sums (16 × Cout × tiles) stay in L2 while the 16 products run over
 * them, and each block's outputs are transformed, normalized (the fused batch norm and ReLU) and
 * stored before the next block. Blocks (and, where there are too few, ranges of output channels) are
 * the parallel tasks. Every output's sum runs over ci in order, then through the fixed transforms, so
 * the result depends neither on the blocks nor on the threads.
 *
 * <p>Measured against the blocked direct path (Zen 4, AVX-512), one thread, batch 1: Conv2d_4a (80 →
 * 192 at 73×73) 1.46–1.56×, 96 → 96 and 64 → 96 at 35×35 1.47×, 448 → 384 at 8×8 1.70×; the eval
 * forward on two threads, in one process: batch 8 1.3–4.5% faster, batch 1 1.2–3.5%. The transformed
 * weights (16/9 of the weights) are kept beside the weights, made again after any write.
 */
final class Conv2dWinograd {
    private Conv2dWinograd() {
    }

    private static final VectorSpecies<Float> F = Vectors.F;
    private static final int L = F.length();
    /** Points of the 4×4 transform. */
    static final int POINTS = 16;
    /** Floats of a block's transformed inputs and sums together, at most: 512 KB, half an L2. */
    private static final int BLOCK_FLOATS = 1 << 17;

    /**
     * Where the fused inference convolution takes this path ({@link CpuConfig#winograd()}): AVX-512 (the
     * register tiles of {@link Conv2dBlocked}), 3×3 kernels, stride 1, no dilation, at least a vector of
     * input channels (the transforms are per channel vector), and not where {@link Conv2dDirect} takes
     * the convolution: few output channels over large planes (Conv2d_2a and 2b, 32 input channels, ran
     * 0.5× and 0.86× on two threads there, the transforms' memory traffic against few products).
     */
    static boolean applies(CpuBackend cpu, Conv2d.Geometry g) {
        return cpu.config().winograd() && cpu.config().blockedConv() && cpu.vectorized() && Gemm.WIDE
                && g.kh() == 3 && g.kw() == 3 && g.strideH() == 1 && g.strideW() == 1 && g.dilationH() == 1 && g.dilationW() == 1 && g.cin() >= L
                && !Conv2dDirect.applies(cpu, g) && fitsAnArray(g);
    }

    private static boolean fitsAnArray(Conv2d.Geometry g) {
        long image = (long) (g.cin() + L - 1) / L * paddedHeight(g) * paddedWidth(g) * L;
        return image * g.batch() <= Integer.MAX_VALUE - 16;
    }

    /** Rows of x's blocked copy: x's rows after the padding above, and enough below for the last tile's window. */
    private static int paddedHeight(Conv2d.Geometry g) {
        return Math.max(g.h() + g.padTop(), 2 * ((g.outH() + 1) / 2) + 2);
    }

    private static int paddedWidth(Conv2d.Geometry g) {
        return Math.max(g.w() + g.padLeft(), 2 * ((g.outW() + 1) / 2) + 2);
    }

    // ---------------------------------------------------------------- the weights

    /**
     * U = G g Gᵀ for every (co, ci), point ξ = 4a + b as the ξ-th array, each packed as
     * {@link Conv2dBlocked#packWeights} packs a 1×1 convolution's [Cout, Cin] weights. w is [Cout, Cin, 3, 3].
     */
    static float[][] transformWeights(Parallel parallel, float[] w, Conv2d.Geometry g) {
        int cout = g.cout(), cin = g.cin();
        float[][] u = new float[POINTS][cout * cin];
        parallel.forRange(cout * cin, 1 << 10, (lo, hi) -> {
            float[] gg = new float[12];
            for (int k = lo; k < hi; k++) {
                int at = k * 9;
                // Gg: 4 × 3, rows (g0, (g0 + g1 + g2)/2, (g0 − g1 + g2)/2, g2) of each column.
                for (int j = 0; j < 3; j++) {
                    float g0 = w[at + j], g1 = w[at + 3 + j], g2 = w[at + 6 + j];
                    gg[j] = g0;
                    gg[3 + j] = 0.5f * (g0 + g1 + g2);
                    gg[6 + j] = 0.5f * (g0 - g1 + g2);
                    gg[9 + j] = g2;
                }
                for (int a = 0; a < 4; a++) {
                    float r0 = gg[3 * a], r1 = gg[3 * a + 1], r2 = gg[3 * a + 2];
                    u[4 * a][k] = r0;
                    u[4 * a + 1][k] = 0.5f * (r0 + r1 + r2);
                    u[4 * a + 2][k] = 0.5f * (r0 - r1 + r2);
                    u[4 * a + 3][k] = r2;
                }
            }
        });
        Conv2d.Geometry pointwise = pointwise(g);
        float[][] packed = new float[POINTS][Conv2dBlocked.packedLength(pointwise)];
        for (int xi = 0; xi < POINTS; xi++) {
            Conv2dBlocked.packWeights(parallel, u[xi], pointwise, packed[xi]);
        }
        return packed;
    }

    /** The [Cout, Cin] product of one point, as a 1×1 convolution's geometry (for the packing). */
    private static Conv2d.Geometry pointwise(Conv2d.Geometry g) {
        return new Conv2d.Geometry(1, g.cin(), 1, 1, g.cout(), 1, 1, 1, 1, 1, 1, 0, 0, 1, 1);
    }

    // ---------------------------------------------------------------- the convolution

    /** Tiles per block: as many as keep a block's transformed inputs and sums within {@link #BLOCK_FLOATS}. */
    static int tileBlock(Conv2d.Geometry g) {
        int vectors = (g.cin() + L - 1) / L + (g.cout() + L - 1) / L;
        int fits = Math.max(6, Math.min(96, BLOCK_FLOATS / (POINTS * L * vectors)));
        // An 8×8 image's 16 tiles stay one block: each block streams all 16 points' weights (11 MB at
        // 448 → 384), so fewer, fuller blocks, with the threads taking ranges of output channels.
        int image = (g.outH() + 1) / 2 * ((g.outW() + 1) / 2);
        return image <= 16 ? Math.max(fits, Math.min(16, g.batch() * image)) : fits;
    }

    /** Per-thread scratch: a block's transformed inputs, and its sums. */
    private static final ThreadLocal<float[]> INPUTS = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> SUMS = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * out [N, Cout, outH, outW] (NCHW, overwritten) = the convolution of x with the weights that
     * {@link #transformWeights} transformed into u, then the epilogue (or null) on each value.
     */
    static void forward(CpuBackend cpu, float[] out, float[] x, float[][] u, Conv2d.Geometry g,
                        BatchNormEpilogue epilogue) {
        int hp = paddedHeight(g), wp = paddedWidth(g), cb = (g.cin() + L - 1) / L;
        float[] xb = cpu.cache().allocateStale(g.batch() * cb * hp * wp * L);
        try {
            Conv2dBlocked.block(cpu, x, g, xb, hp, wp);
            compute(cpu, out, xb, hp, wp, u, g, epilogue);
        } finally {
            cpu.cache().recycle(xb);
        }
    }

    private static void compute(CpuBackend cpu, float[] out, float[] xb, int hp, int wp, float[][] u, Conv2d.Geometry g,
                                BatchNormEpilogue epilogue) {
        int tilesH = (g.outH() + 1) / 2, tilesW = (g.outW() + 1) / 2, total = g.batch() * tilesH * tilesW;
        // Blocks of at most tileBlock tiles, as many as the threads divide (7 blocks on 2 threads left one
        // idle a seventh of the time), cut evenly.
        int threads = cpu.parallel().threads(), most = tileBlock(g);
        int blocks = (total + most - 1) / most;
        blocks = Math.min(total, (blocks + threads - 1) / threads * threads);
        int tb = (total + blocks - 1) / blocks, cin = g.cin(), cb = (cin + L - 1) / L;
        blocks = (total + tb - 1) / tb;
        int[] starts = Conv2dBlocked.groupStarts((g.cout() + L - 1) / L);
        int groups = starts.length - 1;
        // Too few blocks for the threads: each block's groups of output channels are cut into ranges
        // too (each range transforms the block's inputs again: cheap against the products).
        int ranges = 1;
        while (blocks * ranges < 2 * threads && ranges < groups) {
            ranges++;
        }
        // Where a value of step ci for tile i of point ξ lies in a block's transformed inputs:
        // [ξ][ci / L][tile][ci % L].
        int[] tapOff = new int[cin];
        for (int ci = 0; ci < cin; ci++) {
            tapOff[ci] = ci / L * tb * L + ci % L;
        }
        int[] base = new int[POINTS * tb];
        for (int xi = 0; xi < POINTS; xi++) {
            for (int i = 0; i < tb; i++) {
                base[xi * tb + i] = (xi * cb * tb + i) * L;
            }
        }
        int finalRanges = ranges;
        cpu.parallel().forRange(blocks * ranges, 1, (lo, hi) -> {
            for (int task = lo; task < hi; task++) {
                int b = task / finalRanges, r = task % finalRanges;
                int t0 = b * tb, t1 = Math.min(total, t0 + tb);
                int g0 = groups * r / finalRanges, g1 = groups * (r + 1) / finalRanges;
                runBlock(out, xb, hp, wp, u, g, epilogue, tapOff, base, starts, g0, g1, tb, t0, t1);
            }
        });
    }

    /** Tiles [t0, t1) of the batch, output groups [g0, g1): transform in, 16 products, transform out. */
    private static void runBlock(float[] out, float[] xb, int hp, int wp, float[][] u, Conv2d.Geometry g,
                                 BatchNormEpilogue epilogue, int[] tapOff, int[] base, int[] starts, int g0, int g1,
                                 int tb, int t0, int t1) {
        int cin = g.cin(), cb = (cin + L - 1) / L, cov = (g.cout() + L - 1) / L, n = t1 - t0;
        // Vectors between two vectors of channels' rows of sums: the tiles rounded up to whole register
        // tiles, since a register tile with fewer positions than its width stores all of them.
        int stride = tb;
        for (int gr = g0; gr < g1; gr++) {
            int pt = Conv2dBlocked.positionsPerTile(starts[gr + 1] - starts[gr]);
            stride = Math.max(stride, (tb + pt - 1) / pt * pt);
        }
        float[] v = Conv2dBatched.scratch(INPUTS, POINTS * cb * tb * L);
        float[] m = Conv2dBatched.scratch(SUMS, POINTS * cov * stride * L);
        transformInputs(xb, hp, wp, g, v, cb, tb, t0, t1);
        int c0 = starts[g0], c1 = starts[g1];
        for (int xi = 0; xi < POINTS; xi++) {
            Arrays.fill(m, (xi * cov + c0) * stride * L, (xi * cov + c1) * stride * L, 0f);
        }
        for (int xi = 0; xi < POINTS; xi++) {
            for (int gr = g0; gr < g1; gr++) {
                int fb = starts[gr + 1] - starts[gr], pt = Conv2dBlocked.positionsPerTile(fb), co0 = starts[gr] * L;
                int chunk = Math.max(1, Conv2dBlocked.CHUNK_WEIGHTS / (fb * L));
                for (int s0 = 0; s0 < cin; s0 += chunk) {
                    int s1 = Math.min(cin, s0 + chunk), wo = co0 * cin + s0 * fb * L;
                    for (int q = 0; q < n; q += pt) {
                        int cnt = Math.min(pt, n - q), at = ((xi * cov + starts[gr]) * stride + q) * L;
                        int f = stride * L;
                        switch (fb) {
                            case 4 -> Conv2dBlocked.kernel4x6(v, base, xi * tb + q, cnt, tapOff, u[xi], wo, s0, s1, m, at, f);
                            case 3 -> Conv2dBlocked.kernel3x8(v, base, xi * tb + q, cnt, tapOff, u[xi], wo, s0, s1, m, at, f);
                            case 2 -> Conv2dBlocked.kernel2x12(v, base, xi * tb + q, cnt, tapOff, u[xi], wo, s0, s1, m, at, f);
                            default -> Conv2dBlocked.kernel1x16(v, base, xi * tb + q, cnt, tapOff, u[xi], wo, s0, s1, m, at, f);
                        }
                    }
                }
            }
        }
        transformOutputs(out, m, g, epilogue, cov, stride, c0, c1, t0, t1);
    }

    /**
     * v[ξ][c][i][lane] = (Bᵀ d B)[ξ] for tile t0 + i and channel c·L + lane, d its 4×4 window in xb.
     * Rows first (d·B, into a small scratch), then columns (Bᵀ·), both with the same four sums.
     */
    private static void transformInputs(float[] xb, int hp, int wp, Conv2d.Geometry g, float[] v, int cb, int tb,
                                        int t0, int t1) {
        int tilesH = (g.outH() + 1) / 2, tilesW = (g.outW() + 1) / 2, perImage = tilesH * tilesW;
        int plane = hp * wp * L, image = cb * plane;
        float[] rows = new float[POINTS * L];
        for (int t = t0; t < t1; t++) {
            int n = t / perImage, ty = t % perImage / tilesW, tx = t % tilesW;
            int corner = n * image + (2 * ty * wp + 2 * tx) * L, i = t - t0;
            for (int c = 0; c < cb; c++) {
                int at = corner + c * plane;
                for (int a = 0; a < 4; a++, at += wp * L) {
                    FloatVector d0 = FloatVector.fromArray(F, xb, at);
                    FloatVector d1 = FloatVector.fromArray(F, xb, at + L);
                    FloatVector d2 = FloatVector.fromArray(F, xb, at + 2 * L);
                    FloatVector d3 = FloatVector.fromArray(F, xb, at + 3 * L);
                    d0.sub(d2).intoArray(rows, (4 * a) * L);
                    d1.add(d2).intoArray(rows, (4 * a + 1) * L);
                    d2.sub(d1).intoArray(rows, (4 * a + 2) * L);
                    d1.sub(d3).intoArray(rows, (4 * a + 3) * L);
                }
                for (int b = 0; b < 4; b++) {
                    FloatVector r0 = FloatVector.fromArray(F, rows, b * L);
                    FloatVector r1 = FloatVector.fromArray(F, rows, (4 + b) * L);
                    FloatVector r2 = FloatVector.fromArray(F, rows, (8 + b) * L);
                    FloatVector r3 = FloatVector.fromArray(F, rows, (12 + b) * L);
                    r0.sub(r2).intoArray(v, (((b) * cb + c) * tb + i) * L);
                    r1.add(r2).intoArray(v, (((4 + b) * cb + c) * tb + i) * L);
                    r2.sub(r1).intoArray(v, (((8 + b) * cb + c) * tb + i) * L);
                    r1.sub(r3).intoArray(v, (((12 + b) * cb + c) * tb + i) * L);
                }
            }
        }
    }

    /**
     * out at the 2×2 outputs of each tile = Aᵀ M A of its 16 sums (vectors of L output channels), then the
     * epilogue, for the vectors of channels [c0, c1); outputs past outH or outW (odd sizes) are dropped.
     */
    private static void transformOutputs(float[] out, float[] m, Conv2d.Geometry g, BatchNormEpilogue epilogue,
                                         int cov, int stride, int c0, int c1, int t0, int t1) {
        int outH = g.outH(), outW = g.outW(), positions = g.positions(), cout = g.cout();
        int tilesH = (outH + 1) / 2, tilesW = (outW + 1) / 2, perImage = tilesH * tilesW;
        int point = cov * stride * L;   // floats between two points' sums
        float[] stage = new float[32 * L];
        int[] planes = new int[L];
        for (int lane = 0; lane < L; lane++) {
            planes[lane] = lane * positions;
        }
        for (int cv = c0; cv < c1; cv++) {
            int c = cv * L;
            VectorMask<Float> real = F.indexInRange(c, cout);
            int[] lanesAt = planes;
            if (!real.allTrue()) {
                // The scatter checks the offsets of unset lanes too, so theirs repeat lane 0's.
                lanesAt = new int[L];
                System.arraycopy(planes, 0, lanesAt, 0, cout - c);
            }
            FloatVector mu = null, sc = null, be = null;
            if (epilogue != null) {
                mu = FloatVector.fromArray(F, epilogue.mean(), c, real);
                sc = FloatVector.fromArray(F, epilogue.scale(), c, real);
                be = FloatVector.fromArray(F, epilogue.beta(), c, real);
            }
            int lanes = Math.min(L, cout - c);
            for (int t = t0; t < t1; ) {
                int n = t / perImage, ty = t % perImage / tilesW, tx = t % tilesW;
                int run = Math.min(t1 - t, tilesW - tx), oh = 2 * ty;
                int row = (n * cout + c) * positions + oh * outW;
                boolean below = oh + 1 < outH;
                int k = 0;
                // Eight tiles side by side are 16 positions of two output rows: staged with the channels in
                // the lanes, then out as 16 × 16 transposes (a scatter per position cost half the time here).
                if (Transpose.APPLIES) {
                    for (; k + 8 <= run && 2 * (tx + k) + 16 <= outW; k += 8) {
                        for (int j = 0; j < 8; j++) {
                            int at = (cv * stride + t + k + j - t0) * L;
                            tile(m, at, point, stage, 2 * j * L, mu, sc, be, epilogue);
                        }
                        Transpose.transpose(stage, 0, L, out, row + 2 * (tx + k), positions, lanes);
                        if (below) {
                            Transpose.transpose(stage, 16 * L, L, out, row + outW + 2 * (tx + k), positions, lanes);
                        }
                    }
                }
                for (; k < run; k++) {
                    int at = (cv * stride + t + k - t0) * L, ow = 2 * (tx + k), dst = row + ow;
                    tile(m, at, point, stage, 0, mu, sc, be, epilogue);
                    boolean right = ow + 1 < outW;
                    store(out, dst, stage, 0, planes, lanesAt, real);
                    if (right) {
                        store(out, dst + 1, stage, L, planes, lanesAt, real);
                    }
                    if (below) {
                        store(out, dst + outW, stage, 16 * L, planes, lanesAt, real);
                        if (right) {
                            store(out, dst + outW + 1, stage, 17 * L, planes, lanesAt, real);
                        }
                    }
                }
                t += run;
            }
        }
    }

    /**
     * Aᵀ M A of one tile's 16 sums at m[at + ξ·point], normalized: y00 and y01 to stage[to], stage[to + L],
     * y10 and y11 to stage[to + 16·L], stage[to + 17·L] (the two output rows of a run of staged tiles).
     */
    private static void tile(float[] m, int at, int point, float[] stage, int to, FloatVector mu, FloatVector sc,
                             FloatVector be, BatchNormEpilogue epilogue) {
        // Rows: t_a0 = m_a0 + m_a1 + m_a2, t_a1 = m_a1 − m_a2 − m_a3 (M·A).
        FloatVector s00 = row0(m, at, point, 0), s01 = row1(m, at, point, 0);
        FloatVector s10 = row0(m, at, point, 1), s11 = row1(m, at, point, 1);
        FloatVector s20 = row0(m, at, point, 2), s21 = row1(m, at, point, 2);
        FloatVector s30 = row0(m, at, point, 3), s31 = row1(m, at, point, 3);
        // Columns: y_0c = t_0c + t_1c + t_2c, y_1c = t_1c − t_2c − t_3c (Aᵀ·).
        normalize(s00.add(s10).add(s20), mu, sc, be, epilogue).intoArray(stage, to);
        normalize(s01.add(s11).add(s21), mu, sc, be, epilogue).intoArray(stage, to + L);
        normalize(s10.sub(s20).sub(s30), mu, sc, be, epilogue).intoArray(stage, to + 16 * L);
        normalize(s11.sub(s21).sub(s31), mu, sc, be, epilogue).intoArray(stage, to + 17 * L);
    }

    /** The epilogue as {@link BatchNormEpilogue} applies it, or y itself. */
    private static FloatVector normalize(FloatVector y, FloatVector mu, FloatVector sc, FloatVector be,
                                         BatchNormEpilogue epilogue) {
        if (epilogue == null) {
            return y;
        }
        y = y.sub(mu).mul(sc).add(be);
        return epilogue.relu() ? y.max(0f) : y;
    }

    /** m_a0 + m_a1 + m_a2 of row a of a tile's sums. */
    private static FloatVector row0(float[] m, int at, int point, int a) {
        return FloatVector.fromArray(F, m, at + 4 * a * point).add(FloatVector.fromArray(F, m, at + (4 * a + 1) * point))
                .add(FloatVector.fromArray(F, m, at + (4 * a + 2) * point));
    }

    /** m_a1 − m_a2 − m_a3 of row a of a tile's sums. */
    private static FloatVector row1(float[] m, int at, int point, int a) {
        return FloatVector.fromArray(F, m, at + (4 * a + 1) * point).sub(FloatVector.fromArray(F, m, at + (4 * a + 2) * point))
                .sub(FloatVector.fromArray(F, m, at + (4 * a + 3) * point));
    }

    /** One output position's vector of channels (staged, normalized) to its planes. */
    private static void store(float[] out, int dst, float[] stage, int from, int[] planes, int[] lanesAt,
                              VectorMask<Float> real) {
        FloatVector y = FloatVector.fromArray(F, stage, from);
        if (lanesAt == planes) {
            y.intoArray(out, dst, planes, 0);
        } else {
            y.intoArray(out, dst, lanesAt, 0, real);
        }
    }
}
