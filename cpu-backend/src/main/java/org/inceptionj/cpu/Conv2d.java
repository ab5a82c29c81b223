package org.inceptionj.cpu;

import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Tensor;

/**
 * 2-D convolution (cross-correlation, as in every DL framework) over NCHW:
 * <pre>
 *   out[n,co,oh,ow] = bias[co] + Σ_{ci &lt; Cin, i &lt; kh, j &lt; kw} x[n,ci,ih,iw] · w[co,ci,i,j]
 *   ih = oh·sH − padTop + i·dH,   iw = ow·sW − padLeft + j·dW,   x = 0 outside [0,H)×[0,W)
 * </pre>
 * with x [N,Cin,H,W], w [Cout,Cin,kh,kw], bias [Cout] or null, out [N,Cout,outH,outW]
 * (overwritten).
 *
 * <p>The plain path is the formula as nested loops. The vectorized path is the same sum as a
 * matrix product per image, out[n] [Cout, outH·outW] = W [Cout, Cin·kh·kw] · col [Cin·kh·kw, outH·outW]
 * (im2col: col[(ci,i,j), (oh,ow)] = x[n,ci,ih,iw]), run by {@link Gemm}; col is never built
 * whole: {@link Conv2dIm2col} writes one cache-sized block of it at a time straight into the
 * GEMM's packed layout. For a 1×1, stride-1, unpadded convolution col is x[n] itself, read as
 * [Cin, H·W], and is only cut into the packed strips.
 */
final class Conv2d {
    private Conv2d() {
    }

    /** Sizes of one call, named as in the formula. */
    record Geometry(int batch, int cin, int h, int w, int cout, int kh, int kw, int outH, int outW,
                    int strideH, int strideW, int padTop, int padLeft, int dilationH, int dilationW) {
        static Geometry of(Tensor out, Tensor x, Tensor weight, Conv2dSpec s) {
            return new Geometry(x.shape().dim(0), x.shape().dim(1), x.shape().dim(2), x.shape().dim(3),
                    weight.shape().dim(0), weight.shape().dim(2), weight.shape().dim(3),
                    out.shape().dim(2), out.shape().dim(3),
                    s.strideH(), s.strideW(), s.padTop(), s.padLeft(), s.dilationH(), s.dilationW());
        }

        /** A 1×1, stride-1, unpadded convolution: im2col is x itself ([Cin, H·W] per image). */
        boolean pointwise() {
            return kh == 1 && kw == 1 && strideH == 1 && strideW == 1 && padTop == 0 && padLeft == 0
                    && outH == h && outW == w;
        }

        /** Length of the reduction: Cin·kh·kw. */
        int depth() {
            return cin * kh * kw;
        }

        /** Output positions per channel: outH·outW. */
        int positions() {
            return outH * outW;
        }
    }

    /** Writes out; reads x, w and bias (which may be null). */
    static void forward(CpuBackend cpu, Tensor out, Tensor x, Tensor w, Tensor bias, Conv2dSpec spec) {
        Geometry g = Geometry.of(out, x, w, spec);
        if (g.positions() == 0 || g.batch() == 0 || g.cout() == 0) {
            return;
        }
        float[] o = CpuBackend.data(out), b = bias == null ? null : CpuBackend.data(bias);
        if (b == null && Conv2dWinograd.appliesWithFreshWeights(cpu, g)) {
            // Fewer multiply-adds, other last bits (see there); no bias there: the model's convolutions
            // have none (batch norm follows). The transformed weights are cached until w changes.
            Conv2dWinograd.forward(cpu, o, CpuBackend.read(x), CpuBackend.winogradWeights(w, g), g, null);
            return;
        }
        if (Conv2dDirect.applies(cpu, g)) {
            // Read in place, without marking x and w changed (see Conv2dBlocked's caches).
            Conv2dDirect.forward(cpu, o, CpuBackend.read(x), CpuBackend.read(w), b, g, null);
            return;
        }
        if (Conv2dPointwise.applies(cpu, g)) {
            Conv2dPointwise.forward(cpu, o, CpuBackend.read(x), CpuBackend.read(w), b, g, null);
            return;
        }
        if (Conv2dBlocked.applies(cpu, g)) {
            // Neither CpuBackend.data(w) nor data(x): they would mark the blocked copies stale.
            Conv2dBlocked.forward(cpu, o, x, CpuBackend.blockedWeights(w, g), b, g, null);
            return;
        }
        float[] xd = CpuBackend.data(x), wd = CpuBackend.data(w);
        if (cpu.vectorized()) {
            forwardVector(cpu, o, xd, wd, b, g, null);
        } else {
            forwardPlain(cpu, o, xd, wd, b, g);
        }
    }

    /**
     * The vectorized forward without bias, with inference batch norm and ReLU applied to each output
     * tile as it is finished ({@link BatchNormEpilogue}).
     */
    static void forwardBatchNorm(CpuBackend cpu, Tensor out, Tensor x, Tensor w, Conv2dSpec spec,
                                 BatchNormEpilogue epilogue) {
        Geometry g = Geometry.of(out, x, w, spec);
        if (g.positions() == 0 || g.batch() == 0 || g.cout() == 0) {
            return;
        }
        if (Conv2dWinograd.appliesToInference(cpu, g)) {
            // Winograd's fewer multiply-adds, other last bits (see there).
            if (cpu.config().blockedActivations()) {
                Conv2dWinograd.forwardBlocked(cpu, out, x, CpuBackend.inferenceWeights(w, g, true), g, epilogue);
                return;
            }
            Conv2dWinograd.forward(cpu, CpuBackend.data(out), CpuBackend.read(x), CpuBackend.inferenceWeights(w, g, true),
                    g, epilogue);
            return;
        }
        // A 1×1 over an x left channel-blocked reads it so (see BlockedActivations).
        boolean blockedX = cpu.config().blockedActivations() && readsBlocked(cpu, x, g);
        if (cpu.config().blockedActivations() && stemBlocked(cpu, g)) {
            // The stem's layers with two vectors of output channels or more: out left blocked (see stemBlocked).
            Conv2dBlocked.forwardBlocked(cpu, out, x, CpuBackend.inferenceWeights(w, g, false), g, epilogue);
            return;
        }
        if (Conv2dDirect.applies(cpu, g)) {
            Conv2dDirect.forward(cpu, CpuBackend.data(out), CpuBackend.read(x), CpuBackend.read(w), null, g, epilogue);
            return;
        }
        if (!blockedX && Conv2dPointwise.applies(cpu, g)) {
            Conv2dPointwise.forward(cpu, CpuBackend.data(out), CpuBackend.read(x), CpuBackend.read(w), null, g, epilogue);
            return;
        }
        if (cpu.config().blockedActivations() && (blockedX || Conv2dBlocked.applies(cpu, g))) {
            // Out left channel-blocked; the same bits.
            Conv2dBlocked.forwardBlocked(cpu, out, x, CpuBackend.inferenceWeights(w, g, false), g, epilogue);
            return;
        }
        if (Conv2dBlocked.applies(cpu, g)) {
            Conv2dBlocked.forward(cpu, CpuBackend.data(out), x, CpuBackend.inferenceWeights(w, g, false), null, g,
                    epilogue);
            return;
        }
        forwardVector(cpu, CpuBackend.data(out), CpuBackend.data(x), CpuBackend.data(w), null, g, epilogue);
    }

    /**
     * Whether a layer that {@link Conv2dDirect} would take runs on the blocked path in the inference forward:
     * where it has at least two vectors of output channels (the default run's Conv2d_4a, 20 → 48 at 17×17;
     * Inception-v3's Conv2d_1a at 299×299, whose next layers take Winograd). There the blocked kernel's tile
     * loads as little per FMA as Direct's, and its output stays blocked, so the layers after it read it as it
     * lies (the default run's max pool and Mixed_5b's 1×1s, before this written out as NCHW). With one vector (16 channels) Direct keeps them: the blocked tile would
     * broadcast once per FMA. Measured two threads, in one process, alternating, both orders: the default run's
     * Conv2d_4a at batch 64, x NCHW as it gets it, 1.75–1.9× faster alone; Conv2d_1a at 299×299 at par, and the
     * eval forward at batch 1 at par (1.013× and 1.018× the other way round, against a 1.006× bias for running
     * second). The same bits: both sum each output in the same order.
     */
    static boolean stemBlocked(CpuBackend cpu, Geometry g) {
        return g.cout() >= 2 * Vectors.F.length() && Conv2dDirect.applies(cpu, g) && Conv2dBlocked.fitsAnArray(g);
    }

    /**
     * Whether a 1×1 whose x its producer left channel-blocked reads it so on the blocked path, rather than
     * taking the path its shape picks (which would write x out as NCHW first).
     */
    static boolean readsBlocked(CpuBackend cpu, Tensor x, Geometry g) {
        return g.pointwise() && g.cin() >= Vectors.F.length() && cpu.config().blockedConv() && cpu.vectorized()
                && Gemm.WIDE && Conv2dBlocked.fitsAnArray(g) && CpuBackend.blockedView(x) != null;
    }

    // ---------------------------------------------------------------- plain: the formula

    /** One (n, co) output plane per loop item; the sum runs over ci, i, j in that order, in float. */
    private static void forwardPlain(CpuBackend cpu, float[] out, float[] x, float[] w, float[] bias, Geometry g) {
        cpu.parallel().forRange(g.batch() * g.cout(), 1, (lo, hi) -> {
            for (int t = lo; t < hi; t++) {
                int n = t / g.cout(), co = t % g.cout();
                for (int oh = 0; oh < g.outH(); oh++) {
                    for (int ow = 0; ow < g.outW(); ow++) {
                        float acc = 0f;
                        for (int ci = 0; ci < g.cin(); ci++) {
                            for (int i = 0; i < g.kh(); i++) {
                                for (int j = 0; j < g.kw(); j++) {
                                    int ih = oh * g.strideH() - g.padTop() + i * g.dilationH();
                                    int iw = ow * g.strideW() - g.padLeft() + j * g.dilationW();
                                    boolean inside = ih >= 0 && ih < g.h() && iw >= 0 && iw < g.w();
                                    float xv = inside ? x[((n * g.cin() + ci) * g.h() + ih) * g.w() + iw] : 0f;
                                    acc += xv * w[((co * g.cin() + ci) * g.kh() + i) * g.kw() + j];
                                }
                            }
                        }
                        out[((n * g.cout() + co) * g.outH() + oh) * g.outW() + ow] =
                                bias == null ? acc : bias[co] + acc;
                    }
                }
            }
        });
    }

    // ---------------------------------------------------------------- vectorized: implicit-im2col GEMM

    /** Products over fewer columns than this read W in place instead of packing it (see {@link Gemm#multiply}). */
    static final int PACK_WEIGHTS_FROM = 512;

    /** Whether a forward product over this many columns (images × positions) reads W in place. */
    static boolean weightsInPlace(long columns) {
        return columns < PACK_WEIGHTS_FROM;
    }

    /**
     * Per image, out[n] = bias + W · col over the work pieces chosen by {@link Gemm#split}
     * (images × output-channel ranges × position ranges). W is packed once and shared, or read in
     * place when few columns use it ({@link #weightsInPlace}); each piece packs its own blocks of
     * col. Every output element is summed in the same order whatever the split, so results are
     * identical for any thread count. With an epilogue, each finished tile is normalized in place.
     */
    static void forwardVector(CpuBackend cpu, float[] out, float[] x, float[] w, float[] bias, Geometry g,
                                      BatchNormEpilogue epilogue) {
        if (Conv2dBatched.applies(g)) {
            // Small images: one product across the batch (see Conv2dBatched for why).
            Conv2dBatched.forward(cpu, out, x, w, bias, g, epilogue);
            return;
        }
        int k = g.depth(), cout = g.cout();
        // Columns of the product: output positions, or the wide grid's outH·W (Conv2dIm2col.wide).
        boolean wide = Conv2dIm2col.wide(g);
        int p = wide ? g.outH() * g.w() : g.positions();
        // W is [Cout, K] row-major: read in place when too few columns use it to pay for packing.
        boolean inPlace = weightsInPlace((long) g.batch() * p);
        float[] a = inPlace ? w : Gemm.packA(cpu.parallel(), w, 0, k, 1, cout, k);
        int lda = inPlace ? k : Gemm.PACKED;
        float[] paddedBias = Gemm.padBias(bias, cout);
        int[] pieces = Gemm.split(cpu.parallel().threads(), g.batch(), cout, p);
        int rowPieces = pieces[0], colPieces = pieces[1], perImage = rowPieces * colPieces;
        // Columns past the last whole strip of every image, done together below (see tailsTogether).
        int tail = !wide && tailsTogether(g) ? p % Gemm.NR : 0, main = p - tail;
        cpu.parallel().forRange(g.batch() * perImage, 1, (lo, hi) -> {
            for (int t = lo; t < hi; t++) {
                int n = t / perImage, r = t % perImage / colPieces, c = t % colPieces;
                int m0 = Gemm.rowStart(r, rowPieces, cout), m1 = Gemm.rowStart(r + 1, rowPieces, cout);
                int p0 = Gemm.columnStart(c, colPieces, p), p1 = Math.min(main, Gemm.columnStart(c + 1, colPieces, p));
                if (m0 >= m1 || p0 >= p1) {
                    continue;
                }
                if (!wide) {
                    Gemm.multiply(cout, k, a, lda, paddedBias, new Conv2dIm2col(x, n, g),
                            out, n * cout * p, p, m0, m1, p0, p1, epilogue);
                    continue;
                }
                // The piece's block of the wide product in scratch (C[m, q] at (m − m0)·cols + q − p0),
                // then the first outW columns of each grid row into out.
                int cols = p1 - p0;
                float[] block = wideBlock((m1 - m0) * cols);
                Gemm.multiply(cout, k, a, lda, paddedBias, new Conv2dIm2col(x, n, g),
                        block, -m0 * cols - p0, cols, m0, m1, p0, p1, epilogue);
                copyWide(block, cols, out, g, n, m0, m1, p0, p1);
            }
        });
        if (tail > 0) {
            productOverTails(cpu, out, cout, x, g.cin(), a, lda, paddedBias, g.batch(), p, main, epilogue);
        }
    }

    /**
     * Whether {@link #forwardVector} (and the 1×1 data gradient, {@link Conv2dBackward}) takes the columns
     * past each image's last whole strip of {@link Gemm#NR} together, as one product across the batch
     * ({@link #productOverTails}): a 1×1 with at least two images whose tails fill at most a vector all
     * together (17×17: 9 strips and 1 column).
     * Why: per image, that tail is a strip of its own, which costs half a full strip's multiply-adds
     * for one column; across the batch the tails of 8 images share one. Measured in one process, two
     * threads, batch 8: the 17×17 1×1s 1.05–1.10× in the eval forward and 1.05–1.06× in a training
     * step. Not for the 35×35 ones (tails of 9 columns, 72 at batch 8: 0.94×, the gathered packing
     * costing more than the narrow strips). Each element is summed as before, so no bit changes.
     */
    static boolean tailsTogether(Geometry g) {
        int tail = g.positions() % Gemm.NR;
        return Gemm.WIDE && g.pointwise() && g.batch() >= 2 && tail > 0 && (long) tail * g.batch() <= Gemm.L
                && !Conv2dBatched.applies(g);
    }

    /**
     * out[n, r, main + j] = bias[r] + Σ_kk A[r, kk]·src[n, kk, main + j] for every image n, row r &lt; m and
     * j &lt; p − main, with out [batch, m, p] and src [batch, k, p]: one product over the batch's tail
     * columns (B[kk, n·tail + j] = src[n, kk, main + j]) into scratch, then copied out, split by rows of A.
     * Each element is summed as a product per image sums it (see {@link #tailsTogether}).
     */
    static void productOverTails(CpuBackend cpu, float[] out, int m, float[] src, int k, float[] a, int lda,
                                 float[] paddedBias, int batch, int p, int main, BatchNormEpilogue epilogue) {
        int tail = p - main, cols = batch * tail;
        float[] c = cpu.cache().allocateStale(m * cols);
        try {
            Gemm.PanelB tails = (dst, k0, kc, n0, nc) -> {
                int strips = (nc + Gemm.NR - 1) / Gemm.NR, stripStride = kc * Gemm.NR;
                for (int s = 0; s < strips; s++) {
                    for (int kk = 0; kk < kc; kk++) {
                        int d = s * stripStride + kk * Gemm.NR;
                        for (int jj = 0; jj < Gemm.NR; jj++) {
                            int col = s * Gemm.NR + jj;
                            if (col < nc) {
                                int q = n0 + col, n = q / tail;
                                dst[d + jj] = src[(n * k + k0 + kk) * p + main + q % tail];
                            } else {
                                dst[d + jj] = 0f;
                            }
                        }
                    }
                }
            };
            int pieces = Math.min(cpu.parallel().threads(), Gemm.paddedRows(m) / Gemm.MR);
            cpu.parallel().forRange(pieces, 1, (lo, hi) -> {
                for (int r = lo; r < hi; r++) {
                    int m0 = Gemm.rowStart(r, pieces, m), m1 = Gemm.rowStart(r + 1, pieces, m);
                    if (m0 < m1) {
                        Gemm.multiply(m, k, a, lda, paddedBias, tails, c, 0, cols, m0, m1, 0, cols, epilogue);
                    }
                }
            });
            for (int r = 0; r < m; r++) {
                for (int q = 0; q < cols; q++) {
                    out[((q / tail) * m + r) * p + main + q % tail] = c[r * cols + q];
                }
            }
        } finally {
            cpu.cache().recycle(c);
        }
    }

    /** Output channels up to this many make {@link #dataAsForward} pay on the GEMM (measured: 16 and 64 gain, 192 loses). */
    static final int DATA_AS_FORWARD_MAX_COUT = 64;

    /**
     * Where {@link #dataAsForward} beats the im2col form: wherever {@link Conv2dDirect} takes the
     * turned convolution (any padding: it pads dy itself; the default run's unpadded Conv2d_2a 6.9 →
     * 2.3 ms, Conv2d_4a 4.7 → 2.1 ms, two threads, batch 64, against the forms they replace). Else
     * "same" padding (so the turned convolution reads dy as whole shifted planes), and then either
     * the blocked direct convolution takes the
     * turned one ({@link Conv2dBlocked#applies}: AVX-512, input channels in whole vectors), or, on the
     * GEMM, a short sum over Cout and images large enough for per-image products. Measured on the
     * GEMM, one thread, batch 64: a 16→16 3×3 at 35×35 went from 9.2 to 6.0 ms; unpadded, whose
     * turned form pads by 2, went from 6.5 to 9.8. Measured blocked against the im2col form, two
     * threads, batch 8, Inception-v3's same-padded layers: 1×7 128→128 at 17×17 1.77×, 3×3 32→64 at
     * 147×147 1.49×, 5×5 48→64 1.42×, 1×7 192→192 1.31×, 3×3 96→96 1.25×, 1×3 384→384 at 8×8 1.21×,
     * 7×1 160→160 1.21×, 3×3 448→384 1.11×, 7×1 192→192 1.11×, 3×3 64→96 0.96×; a training step
     * 1.04× at 299×299, batch 8, and the default run's 1.035×.
     */
    static boolean dataAsForwardPays(CpuBackend cpu, Geometry g) {
        boolean strideOne = g.strideH() == 1 && g.strideW() == 1 && !g.pointwise();
        if (strideOne && Conv2dWinograd.appliesWithFreshWeights(cpu, turned(g))) {
            return true;   // Winograd's turned convolution, any padding
        }
        if (strideOne && Conv2dDirect.applies(cpu, turned(g))) {
            return true;   // any padding: the turned convolution's input is padded as needed
        }
        boolean same = strideOne && g.outH() == g.h() && g.outW() == g.w();
        if (same && Conv2dBlocked.applies(cpu, turned(g))) {
            return true;
        }
        return same && g.cout() <= DATA_AS_FORWARD_MAX_COUT && !Conv2dBatched.applies(g);
    }

    /** The forward convolution whose output is g's data gradient (see {@link #dataAsForward}). */
    static Geometry turned(Geometry g) {
        return new Geometry(g.batch(), g.cout(), g.outH(), g.outW(), g.cin(), g.kh(), g.kw(), g.h(), g.w(), 1, 1,
                g.dilationH() * (g.kh() - 1) - g.padTop(), g.dilationW() * (g.kw() - 1) - g.padLeft(),
                g.dilationH(), g.dilationW());
    }

    /**
     * The data gradient of a stride-1 convolution as a forward convolution: for stride 1,
     * <pre>
     *   dx[n,ci,ih,iw] = Σ_{co,i,j} dy[n,co, ih + padTop − i·dH, iw + padLeft − j·dW] · w[co,ci,i,j]
     * </pre>
     * is the correlation of dy with w′[ci,co,i,j] = w[co,ci,kh−1−i,kw−1−j] (the kernel turned
     * half a circle, input and output channels swapped), the same dilation, and padding dH·(kh−1) −
     * padTop above (the other sides likewise), which gives H × W outputs. Why: the product then sums
     * over K′ = Cout·kh·kw with dx as its output, where the im2col form sums over Cout alone (16
     * terms in a small layer, too few to keep a tile of C in registers for long) and scatter-adds a
     * Cin·kh·kw-row matrix into dx. Deterministic for any thread count, as the forward is; on the
     * blocked path ({@link Conv2dBlocked}) and the direct one ({@link Conv2dDirect}) the same bits as on
     * the GEMM; by {@link Conv2dWinograd} where it applies, other last bits.
     */
    static void dataAsForward(CpuBackend cpu, float[] dx, float[] dy, float[] w, Geometry g) {
        assert g.strideH() == 1 && g.strideW() == 1;
        Geometry t = turned(g);
        if (Conv2dWinograd.appliesWithFreshWeights(cpu, t)) {
            // The turned kernel transformed on every call, into reused scratch: w changes every step.
            float[] u = cpu.cache().allocateStale(Conv2dWinograd.transformedLength(t));
            try {
                Conv2dWinograd.transformWeights(cpu.parallel(), w, t, true, u);
                Conv2dWinograd.forward(cpu, dx, dy, u, t, null);
            } finally {
                cpu.cache().recycle(u);
            }
            return;
        }
        if (Conv2dDirect.applies(cpu, t)) {
            Conv2dDirect.forward(cpu, dx, dy, turnedWeights(w, g), null, t, null);
            return;
        }
        if (Conv2dBlocked.applies(cpu, t)) {
            // Packed straight from w, turned on the way (the forward's cached packing is of w itself).
            float[] packed = cpu.cache().allocateStale(Conv2dBlocked.packedLength(t));
            try {
                Conv2dBlocked.packTurnedWeights(cpu.parallel(), w, g, packed);
                Conv2dBlocked.forward(cpu, dx, dy, packed, null, t, null);
            } finally {
                cpu.cache().recycle(packed);
            }
            return;
        }
        forwardVector(cpu, dx, dy, turnedWeights(w, g), null, t, null);
    }

    /** w′[ci, co, i, j] = w[co, ci, kh−1−i, kw−1−j]: the weights of {@link #turned}(g). */
    static float[] turnedWeights(float[] w, Geometry g) {
        int kh = g.kh(), kw = g.kw(), cin = g.cin(), cout = g.cout();
        float[] turned = new float[cin * cout * kh * kw];
        for (int co = 0; co < cout; co++) {
            for (int ci = 0; ci < cin; ci++) {
                int from = (co * cin + ci) * kh * kw, to = (ci * cout + co) * kh * kw;
                for (int tap = 0; tap < kh * kw; tap++) {
                    turned[to + kh * kw - 1 - tap] = w[from + tap];
                }
            }
        }
        return turned;
    }

    /** Per-thread scratch for a piece of the wide product, grown on demand. */
    private static final ThreadLocal<float[]> WIDE_BLOCK = ThreadLocal.withInitial(() -> new float[0]);

    private static float[] wideBlock(int size) {
        return Conv2dBatched.scratch(WIDE_BLOCK, size);
    }

    /**
     * out[n, co, oh, ow] = block[(co − m0)·cols + q − p0] for q = oh·W + ow in [p0, p1) with ow &lt; outW:
     * the outputs among a piece's columns of the wide grid.
     */
    private static void copyWide(float[] block, int cols, float[] out, Geometry g, int n, int m0, int m1, int p0, int p1) {
        int w = g.w(), outW = g.outW(), positions = g.positions();
        for (int co = m0; co < m1; co++) {
            int src = (co - m0) * cols - p0, dst = (n * g.cout() + co) * positions;
            for (int q = p0; q < p1; ) {
                int oh = q / w, ow = q % w, end = Math.min(p1, q - ow + w);   // the rest of grid row oh
                if (ow < outW) {
                    int len = Math.min(outW, ow + end - q) - ow;
                    System.arraycopy(block, src + q, out, dst + oh * outW + ow, len);
                }
                q = end;
            }
        }
    }
}
