package org.inceptionj.cpu;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.inceptionj.api.Tensor;

/**
 * The forward convolution as a direct convolution over a channel-blocked copy of x, the layout that
 * oneDNN and ONNX Runtime's MLAS call NCHWc (here c = one vector of channels, L). A fast path that a
 * reader may skip: {@link Conv2d}'s formula defines the result, and this path gives the same bits as
 * the im2col GEMM ({@link Gemm}), because it sums each output in the same order.
 *
 * <p>The sum is the one of {@link Conv2d}, with the output channels in the vector lanes:
 * <pre>
 *   out[n, co : co+L, oh, ow] = init + Σ_{ci, i, j} xb[n, ci, oh·sH + i·dH, ow·sW + j·dW] · wb[ci, i, j, co : co+L]
 * </pre>
 * where xb is x with its padding written out as zeros, each of its values broadcast to a vector, and
 * wb holds L consecutive output channels' weights side by side. Why: the im2col GEMM packs every value
 * of x kh·kw times into the layout its micro-kernel reads, and its tiles cut the positions of a 17×17
 * or 8×8 plane into strips that leave a remainder; here x is copied once, the weights are packed once
 * per weight version (cached on the weight's storage, {@link CpuStorage#blockedWeights}), and the
 * register tile of FB vectors of output channels × PT output positions (4 × 6: 24 accumulators, 4
 * weight vectors and one broadcast among the 32 vector registers) takes its positions anywhere in the
 * batch, so no plane leaves a ragged edge. Measured one thread, batch 1 (Zen 5, AVX-512), the kernel
 * alone against the GEMM: 1×1 768→192 at 17×17 135 → 164 GFLOP/s, 7×1 192→192 at 17×17 140 → 170;
 * Inception-v3's eval forward in one process, two threads, alternating the paths: batch 1 1.17×,
 * batch 8 1.19× (same logits, bit for bit).
 *
 * <p>Memory: the packed weights stay beside the weights (as much again); the blocked copy of x is
 * taken from and given back to the backend's array cache on every call. In the inference forward the
 * outputs stay channel-blocked for the next layer ({@link BlockedActivations}, {@link #forwardBlocked}), and
 * an x left so is read as it lies (a 1×1 or another unpadded layer) or padded by whole rows instead of copied
 * by transposes.
 *
 * <p>Order of the sum, as in {@link Gemm}: each output starts from the bias (or zero) and takes one FMA
 * per (ci, i, j) in ascending order; these steps are cut into chunks whose weights stay in L1, and a
 * chunk's partial sums wait in a scratch tile, stored and reloaded unchanged. So the bits do not depend
 * on the chunks, the tiles or the threads.
 *
 * <p>The kernels need the 32 vector registers of AVX-512 ({@link Gemm#WIDE}); with AVX2 they would
 * spill, so {@link #applies} leaves those machines on the GEMM. They are correct at any width, which is
 * how the tests run them everywhere.
 */
final class Conv2dBlocked {
    private Conv2dBlocked() {
    }

    private static final VectorSpecies<Float> F = Vectors.F;
    /** Floats per vector: the channel block. */
    private static final int L = F.length();
    /** Vectors of output channels per full group (one 4 × 6 tile). */
    static final int FB = 4;
    /**
     * Output positions per tile for a group of 1, 2, 3 or 4 vectors of channels: 16, 12, 8 or 6, so
     * that every tile keeps 16 to 24 accumulators. 24 fit in registers under C2 only because a tile is
     * loaded from the scratch and stored back without branches: with a three-way start (sums, bias or
     * zero) and stores guarded by the tile's count, C2 kept accumulators on the stack even at 4 × 5,
     * and the kernel ran at 40% of its speed.
     */
    private static final int[] POSITIONS_PER_TILE = {0, 16, 12, 8, 6};
    /** Output positions of the register tile for a group of fb vectors of channels. */
    static int positionsPerTile(int fb) {
        return POSITIONS_PER_TILE[fb];
    }

    /** Weights of one chunk of steps, in floats: 32 KB, so that they stay in L1 across the tiles. */
    static final int CHUNK_WEIGHTS = 8192;
    /**
     * Steps of one chunk of a group's packed weights, for groups of 1, 2, 3 and 4 vectors: {@link
     * #CHUNK_WEIGHTS} floats in whole runs of L steps (512, 256, 160 and 128 at L = 16). Constants, so that
     * the kernels' distances between their weight vectors are too (see {@link #packWeights}).
     */
    static final int STEPS1 = stepsPerChunk(1), STEPS2 = stepsPerChunk(2), STEPS3 = stepsPerChunk(3),
            STEPS4 = stepsPerChunk(4);

    private static int stepsPerChunk(int fb) {
        return Math.max(1, CHUNK_WEIGHTS / (fb * L) / L) * L;
    }

    /** {@link #STEPS1} … {@link #STEPS4} for a group of fb vectors. */
    static int chunkSteps(int fb) {
        return switch (fb) {
            case 1 -> STEPS1;
            case 2 -> STEPS2;
            case 3 -> STEPS3;
            default -> STEPS4;
        };
    }
    /** Tiles per task at most, so that a task's partial sums stay in L2 between chunks. */
    static final int MAX_TILES_PER_TASK = 32;
    /**
     * Where this path is taken: AVX-512, at least a vector of input channels (the 3-channel stem
     * stays on the GEMM, whose packing costs little there), and few 1×1 stride-1 convolutions. Output
     * channels that do not fill whole vectors are padded with zero weights and their lanes not stored:
     * in the default run's 24-channel layers at 7×7 (one thread, in one process, against the GEMM)
     * forward 1.6–2.0×, data gradients 2.1×; its training step 1.03–1.04×. A 1×1 stride-1
     * convolution only where {@link #pointwisePays}: there im2col is x itself and the GEMM packs
     * nothing but strips. A blocked copy of x for it did not pay (a copy shared by the 1×1s that read a
     * module's input made up for it only just, batch 8 1.04×, and Conv2d_3b ran 0.4×, 64→80 at 73×73,
     * batch 8), so this path reads a 1×1's x in place. Off with {@link CpuConfig#blockedConv()} false.
     */
    static boolean applies(CpuBackend cpu, Conv2d.Geometry g) {
        boolean onePixel = g.kh() == 1 && g.kw() == 1 && g.strideH() == 1 && g.strideW() == 1;
        return cpu.config().blockedConv() && cpu.vectorized() && Gemm.WIDE && g.cin() >= L && fitsAnArray(g)
                && (!onePixel || pointwisePays(g, cpu.parallel().threads()));
    }

    /** Input channels from which a 1×1 read in place pays (see {@link #pointwisePays}). */
    static final int POINTWISE_MIN_CIN = 128;

    /** Positions per image from which a 1×1 over fewer images than threads is read in place (see {@link #pointwisePays}). */
    static final int POINTWISE_MIN_POSITIONS = 256;

    /**
     * Where a 1×1, stride-1, unpadded convolution takes this path, reading x in place ({@link #forward}),
     * with at least {@link #POINTWISE_MIN_CIN} input channels: small images across a batch
     * ({@link Conv2dBatched#applies}), or fewer images than threads, or too few columns for the GEMM to pack
     * its weights ({@link Conv2d#weightsInPlace}), with planes of at least {@link #POINTWISE_MIN_POSITIONS}
     * positions.
     *
     * <p>Small images: there the GEMM runs one product over N·P columns gathered across images through a
     * window table and copies it out; here the positions of the batch are the tile's, with no gather.
     * Measured two threads, batch 64, in one process, alternating with the GEMM: the default run's
     * 192→48 and 288→40 at 3×3 2.2× and 2.3×, 512→80 1.75×, 192→48 at 7×7 1.27×; its training step
     * 0.97–0.99 of the time.
     *
     * <p>Fewer images than threads: the GEMM then cuts one image's columns into a piece per thread (at
     * 17 × 17 five strips against four and the one-column strip), while here the tiles of positions and
     * output channels are many and even. In the batch-1 eval forward, two threads, in one process,
     * alternating with the GEMM, two runs: 768 → 192 at 17 × 17 1.16–1.20×, 768 → 160 1.23–1.29×,
     * 768 → 128 1.21–1.38×. (In an earlier version of the pool that gave each thread one chunk, before
     * its pieces could be taken by another thread, 768 → 192 ran 1.05–1.13× slower this way.) The 8 × 8
     * ones at batch 1 went either way (0.83–1.36×), so they stay on the GEMM.
     *
     * <p>Too few columns to pack the weights (one image of 17 × 17 on one thread): the GEMM then reads W
     * in place, row by row, while here W is packed once per weight version. One thread, batch 1, in one
     * process, alternating with the GEMM: 768 → 192 at 17 × 17 1.26× alone and 1.06–1.15× with the caches
     * flushed, 768 → 160 1.23× and 1.16×, 768 → 128 1.33× flushed; the eval forward 1.058× and 1.020× (medians of the
     * per-round ratios, two runs of 30 rounds). Two images on one thread (578 columns) stay on the GEMM.
     *
     * <p>Not taken: shorter reductions (72→16 at 7×7 0.86×, 64→16 at 17×17 0.66×, 64→80 at 73×73 0.7×:
     * the scatter to NCHW weighs more against fewer FMAs); and large planes over as many images as
     * threads or more, where the GEMM runs per image (batch 8 at 17×17 0.84–0.92× in the eval forward,
     * 35×35 0.82–0.97× alone).
     */
    static boolean pointwisePays(Conv2d.Geometry g, int threads) {
        boolean fewColumns = Conv2d.weightsInPlace((long) g.batch() * g.positions());
        boolean fewImages = (g.batch() < threads || fewColumns) && g.positions() >= POINTWISE_MIN_POSITIONS;
        return g.pointwise() && g.cin() >= POINTWISE_MIN_CIN && (Conv2dBatched.applies(g) || fewImages);
    }

    /** Vectors of output channels: the last one part-filled where L does not divide Cout. */
    static int outBlocks(Conv2d.Geometry g) {
        return (g.cout() + L - 1) / L;
    }

    /** Floats of {@link #packWeights}' output: its groups' {@link #groupLength}s. */
    static int packedLength(Conv2d.Geometry g) {
        int[] bases = groupBases(groupStarts(outBlocks(g)), g.cin() * g.kh() * g.kw());
        return bases[bases.length - 1];
    }

    /** Floats of a group of fb vectors' packed weights over k steps: whole chunks (the last one's tail zero). */
    static int groupLength(int fb, int k) {
        int cs = chunkSteps(fb);
        return (k + cs - 1) / cs * cs * fb * L;
    }

    /** Where each group of {@link #groupStarts} starts in the packed weights for k steps; the last entry, their end. */
    static int[] groupBases(int[] starts, int k) {
        int[] bases = new int[starts.length];
        for (int gr = 0; gr + 1 < starts.length; gr++) {
            bases[gr + 1] = bases[gr] + groupLength(starts[gr + 1] - starts[gr], k);
        }
        return bases;
    }

    /**
     * Where the L values of vector f at step s lie in the packed weights of a group of fb vectors that starts at
     * base (see {@link #packWeights}).
     */
    static int packedAt(int base, int fb, int s, int f) {
        int cs = chunkSteps(fb);
        return base + (s / cs * fb + f) * cs * L + s % cs * L;
    }

    /** Zeros the unused tail of vector f's run in the last chunk of a group of fb vectors over k steps. */
    static void zeroTail(float[] wb, int base, int fb, int k, int f) {
        int cs = chunkSteps(fb), used = k % cs;
        if (used != 0) {
            int from = packedAt(base, fb, k, f);
            Arrays.fill(wb, from, from + (cs - used) * L, 0f);
        }
    }

    /** Whether x's blocked copy (and every offset into it) stays within a Java array: else the GEMM. */
    static boolean fitsAnArray(Conv2d.Geometry g) {
        long image = (long) (g.cin() + L - 1) / L * paddedHeight(g) * paddedWidth(g) * L;
        return image * g.batch() <= Integer.MAX_VALUE - 16;
    }

    /**
     * Where each group of output channels starts, in vectors: groups of FB, except that a remainder
     * of one or two vectors is merged with the group before into two narrower ones (6 = 3 + 3, 5 =
     * 3 + 2), because the 1 × 16 and 2 × 12 tiles load more per FMA than the 3 × 8. Measured one
     * thread, batch 8, in one process, 4 + 2 → 3 + 3: 3×3 64→96 at 35×35 1.05×, 1×7 160→160 at 17×17
     * 1.02×.
     */
    static int[] groupStarts(int blocks) {
        int[] starts = new int[blocks + 1];
        int groups = 0;
        for (int at = 0; at < blocks; ) {
            int left = blocks - at, width = left == 6 || left == 5 ? 3 : Math.min(FB, left);
            starts[groups++] = at;
            at += width;
        }
        starts[groups] = blocks;
        return Arrays.copyOf(starts, groups + 1);
    }

    /**
     * w [Cout, Cin, kh, kw] in the groups of {@link #groupStarts}, each group of fb vectors of output channels
     * (from channel co0) over the k = Cin·kh·kw steps (ci, i, j) cut into chunks of {@link #chunkSteps}(fb)
     * steps, and a chunk holding its fb vectors one after the other: vector f's L values for step s of chunk c
     * at {@link #packedAt} = base + (c·fb + f)·cs·L + (s − c·cs)·L, that is wb[… + lane] = w[co0 + f·L +
     * lane, ci, i, j]. So the kernel reads a step's fb weight vectors at a constant distance from each other (cs·L
     * floats), and each vector's values for the chunk's steps in a row: fb streams of one cache line a step,
     * which the hardware prefetcher brings in from memory 1.3–1.4× faster than one stream of fb lines a step
     * (a 4 × 6 tile streaming its weights once, one thread: 12.0 against 9.1 GB/s; in L1 the two layouts ran at
     * the same speed). Channels past Cout (the last vector's lanes where L does not divide Cout) get zero
     * weights: their sums are never stored; so do the steps past k in the last chunk. A training step packs
     * every layer again after each update, so the vectors of channels are packed on the backend's threads, 16 ×
     * 16 blocks at a time ({@link #packBlock}).
     */
    static void packWeights(Parallel parallel, float[] w, Conv2d.Geometry g, float[] wb) {
        int cout = g.cout(), k = g.cin() * g.kh() * g.kw(), blocks = outBlocks(g);
        int[] starts = groupStarts(blocks), bases = groupBases(starts, k);
        parallel.forRange(blocks, packGrain(k), (lo, hi) -> {
            for (int v = lo; v < hi; v++) {
                int gr = groupOf(starts, v), fb = starts[gr + 1] - starts[gr], f = v - starts[gr], cs = chunkSteps(fb);
                // Row r of the block is channel v·L + r of w; its steps s0 … go to the rows of f's run in the chunk.
                for (int s0 = 0; s0 < k; s0 += cs) {
                    packBlock(w, v * L * k + s0, k, cout - v * L, Math.min(cs, k - s0), wb,
                            packedAt(bases[gr], fb, s0, f), L);
                }
                zeroTail(wb, bases[gr], fb, k, f);
            }
        });
    }

    /** Vectors of channels per parallel chunk below which packing k-step weights is not split: 16K floats. */
    private static int packGrain(int k) {
        return Math.max(1, (1 << 14) / (Math.max(1, k) * L));
    }

    /** The group of {@link #groupStarts}' starts that holds vector v. */
    static int groupOf(int[] starts, int v) {
        int gr = 0;
        while (starts[gr + 1] <= v) {
            gr++;
        }
        return gr;
    }

    /**
     * b[bOff + s·bStride + r] = a[aOff + r·aStride + s] for r &lt; L and s &lt; steps, 0 for r ≥ rows (lanes
     * past the tensor's channels): L rows of a, transposed. By {@link Transpose} 16 × 16 blocks where all L
     * rows are real and every read stays in a, else one value at a time. Moves values only: no bit changes.
     */
    static void packBlock(float[] a, int aOff, int aStride, int rows, int steps, float[] b, int bOff, int bStride) {
        int s = 0;
        if (Transpose.APPLIES && rows >= L) {
            for (; s < steps && aOff + (L - 1) * aStride + s + L <= a.length; s += L) {
                Transpose.transpose(a, aOff + s, aStride, b, bOff + s * bStride, bStride, Math.min(L, steps - s));
            }
        }
        for (; s < steps; s++) {
            for (int r = 0, d = bOff + s * bStride; r < L; r++) {
                b[d + r] = r < rows ? a[aOff + r * aStride + s] : 0f;
            }
        }
    }

    /**
     * The weights of the turned convolution ({@link Conv2d#turned}) packed as {@link #packWeights} packs them,
     * straight from g's w: w′[ci, co, i, j] = w[co, ci, kh−1−i, kw−1−j], whose output channels are g's input
     * channels, in the groups of {@link #groupStarts}(⌈Cin / L⌉), zero past Cin. wb holds
     * {@link #packedLength}({@link Conv2d#turned}(g)) floats. Each vector of input channels on the backend's
     * threads, as in {@link #packWeights}.
     */
    static void packTurnedWeights(Parallel parallel, float[] w, Conv2d.Geometry g, float[] wb) {
        int cin = g.cin(), cout = g.cout(), taps = g.kh() * g.kw(), k = cout * taps, blocks = (cin + L - 1) / L;
        int[] starts = groupStarts(blocks), bases = groupBases(starts, k);
        parallel.forRange(blocks, packGrain(k), (lo, hi) -> {
            for (int v = lo; v < hi; v++) {
                int gr = groupOf(starts, v), fb = starts[gr + 1] - starts[gr], f = v - starts[gr], cs = chunkSteps(fb);
                int ci0 = v * L, real = Math.min(L, cin - ci0);
                // Step s = co·taps + t at d = packedAt(base, fb, s, f), followed step by step: L floats on, and past
                // the other vectors' runs where a chunk ends.
                int d = packedAt(bases[gr], fb, 0, f), left = cs;
                for (int co = 0; co < cout; co++) {
                    for (int t = 0; t < taps; t++) {
                        int src = (co * cin + ci0) * taps + taps - 1 - t;
                        for (int c = 0; c < real; c++) {
                            wb[d + c] = w[src + c * taps];
                        }
                        Arrays.fill(wb, d + real, d + L, 0f);
                        d += L;
                        if (--left == 0) {
                            d += (fb - 1) * cs * L;
                            left = cs;
                        }
                    }
                }
                zeroTail(wb, bases[gr], fb, k, f);
            }
        });
    }

    /**
     * out [N, Cout, outH, outW] (NCHW, overwritten) = the convolution of x with the weights that
     * {@link #packWeights} packed into wb, plus bias (or null), then the epilogue (or null) on each value.
     */
    static void forward(CpuBackend cpu, float[] out, float[] x, float[] wb, float[] bias, Conv2d.Geometry g,
                        BatchNormEpilogue epilogue) {
        if (g.pointwise()) {
            // x itself: each input channel's plane, one broadcast per position (see planeTaps).
            compute(cpu, out, x, planeTaps(g), planeBases(g), wb, bias, g, epilogue);
            return;
        }
        int hp = paddedHeight(g), wp = paddedWidth(g);
        float[] xb = cpu.cache().allocateStale(g.batch() * blockedImage(g, hp, wp));
        try {
            block(cpu, x, g, xb, hp, wp);
            compute(cpu, out, xb, windowTaps(g, hp, wp), windowBases(g, hp, wp), wb, bias, g, epilogue);
        } finally {
            cpu.cache().recycle(xb);
        }
    }

    /**
     * x (NCHW) read in place where every window lies inside it ({@link #unpadded}): step (ci, i, j) of output
     * position t of the batch reads x[base[t] + tapOff[ci·kh·kw + i·kw + j]], with tapOff = ci·H·W + i·dH·W + j·dW
     * and base = n·Cin·H·W + oh·sH·W + ow·sW. For a 1×1 these are its channels' planes, x[(n·Cin + ci)·P + p]:
     * nothing is copied, because for a 1×1 the blocked copy of x cost more than the channel-blocked kernel
     * saved (see {@link #applies}), while read in place the six broadcasts of a tile come from one or two
     * cache lines of a plane. In the inference forward the stem's unpadded layers read x so as well
     * ({@link #forwardBlocked}).
     */
    static int[] planeTaps(Conv2d.Geometry g) {
        int taps = g.kh() * g.kw(), plane = g.h() * g.w();
        int[] tapOff = new int[g.cin() * taps];
        for (int ci = 0; ci < g.cin(); ci++) {
            for (int i = 0; i < g.kh(); i++) {
                for (int j = 0; j < g.kw(); j++) {
                    tapOff[ci * taps + i * g.kw() + j] = ci * plane + i * g.dilationH() * g.w() + j * g.dilationW();
                }
            }
        }
        return tapOff;
    }

    static int[] planeBases(Conv2d.Geometry g) {
        int plane = g.h() * g.w();
        int[] base = new int[g.batch() * g.positions()];
        for (int n = 0, t = 0; n < g.batch(); n++) {
            for (int oh = 0; oh < g.outH(); oh++) {
                for (int ow = 0; ow < g.outW(); ow++) {
                    base[t++] = n * g.cin() * plane + oh * g.strideH() * g.w() + ow * g.strideW();
                }
            }
        }
        return base;
    }

    /** Whether every window lies inside x: no padding on any side. */
    static boolean unpadded(Conv2d.Geometry g) {
        return paddedHeight(g) == g.h() && paddedWidth(g) == g.w() && g.padTop() == 0 && g.padLeft() == 0;
    }

    /**
     * The inference forward with activations channel-blocked ({@link BlockedActivations}): out written blocked,
     * x's blocked values read where its producer left them so (unpadded layers as they lie, others padded by whole
     * rows); an NCHW x of an unpadded layer is read in place too.
     */
    static void forwardBlocked(CpuBackend cpu, Tensor out, Tensor x, float[] wb, Conv2d.Geometry g,
                               BatchNormEpilogue epilogue) {
        float[] xv = CpuBackend.blockedView(x);
        float[] o = CpuBackend.writeBlocked(out);
        if (unpadded(g)) {
            // Every window lies inside x (a 1×1's, the stem's, the grid reductions'): x read in place, blocked or
            // NCHW, nothing copied.
            if (xv != null) {
                compute(cpu, o, xv, windowTaps(g, g.h(), g.w()), windowBases(g, g.h(), g.w()), wb, null, g, epilogue,
                        true);
            } else {
                compute(cpu, o, CpuBackend.read(x), planeTaps(g), planeBases(g), wb, null, g, epilogue, true);
            }
            return;
        }
        int hp = paddedHeight(g), wp = paddedWidth(g);
        float[] xb = cpu.cache().allocateStale(g.batch() * blockedImage(g, hp, wp));
        try {
            if (xv != null) {
                BlockedActivations.pad(cpu, xv, g, xb, hp, wp);
            } else {
                block(cpu, CpuBackend.read(x), g, xb, hp, wp);
            }
            compute(cpu, o, xb, windowTaps(g, hp, wp), windowBases(g, hp, wp), wb, null, g, epilogue, true);
        } finally {
            cpu.cache().recycle(xb);
        }
    }

    /**
     * {@link #forward} for an x of this backend, read without {@link CpuBackend#data}: x is only read, and
     * marking it changed would make copies derived from it look stale. Each call makes its own blocked
     * copy of x: a copy kept for
     * the next convolution reading the same x paid only while 1×1 convolutions took this path (see
     * {@link #applies}); in Inception-v3 no two convolutions that take it read one input.
     */
    static void forward(CpuBackend cpu, float[] out, Tensor x, float[] wb, float[] bias, Conv2d.Geometry g,
                        BatchNormEpilogue epilogue) {
        forward(cpu, out, CpuBackend.read(x), wb, bias, g, epilogue);
    }

    /** Rows of x's blocked copy: x's rows, the padding above, and enough below for the last window. */
    static int paddedHeight(Conv2d.Geometry g) {
        return Math.max(g.h() + g.padTop(), (g.outH() - 1) * g.strideH() + (g.kh() - 1) * g.dilationH() + 1);
    }

    static int paddedWidth(Conv2d.Geometry g) {
        return Math.max(g.w() + g.padLeft(), (g.outW() - 1) * g.strideW() + (g.kw() - 1) * g.dilationW() + 1);
    }

    /** Floats per image of x's blocked copy: [ceil(Cin/L)][hp][wp][L]. */
    private static int blockedImage(Conv2d.Geometry g, int hp, int wp) {
        return (g.cin() + L - 1) / L * hp * wp * L;
    }

    /** tapOff[ci·taps + i·kw + j]: where (ci, i, j) sits in xb relative to an output's window corner. */
    static int[] windowTaps(Conv2d.Geometry g, int hp, int wp) {
        int taps = g.kh() * g.kw(), plane = hp * wp * L;
        int[] tapOff = new int[g.cin() * taps];
        for (int ci = 0; ci < g.cin(); ci++) {
            for (int i = 0; i < g.kh(); i++) {
                for (int j = 0; j < g.kw(); j++) {
                    tapOff[ci * taps + i * g.kw() + j] = ci / L * plane + ci % L
                            + (i * g.dilationH() * wp + j * g.dilationW()) * L;
                }
            }
        }
        return tapOff;
    }

    /** base[n·P + oh·outW + ow]: the window corner in xb of each output position of the batch. */
    static int[] windowBases(Conv2d.Geometry g, int hp, int wp) {
        int image = blockedImage(g, hp, wp);
        int[] base = new int[g.batch() * g.positions()];
        for (int n = 0, t = 0; n < g.batch(); n++) {
            for (int oh = 0; oh < g.outH(); oh++) {
                for (int ow = 0; ow < g.outW(); ow++) {
                    base[t++] = n * image + (oh * g.strideH() * wp + ow * g.strideW()) * L;
                }
            }
        }
        return base;
    }

    /**
     * The convolution into out of xb, the blocked copy of x ([N][ceil(Cin/L)][hp][wp][L]) or, for a 1×1,
     * x itself: the value of step (ci, i, j) for output position t of the batch is xb[base[t] + tapOff[s]];
     * see {@link #forward}. {@link Conv2dBackwardWeightBlocked} calls it with a turned geometry.
     */
    static void compute(CpuBackend cpu, float[] out, float[] xb, int[] tapOff, int[] base, float[] wb,
                        float[] bias, Conv2d.Geometry g, BatchNormEpilogue epilogue) {
        compute(cpu, out, xb, tapOff, base, wb, bias, g, epilogue, false);
    }

    /** {@link #compute}, out written channel-blocked ({@link BlockedActivations}) where blockedOut. */
    static void compute(CpuBackend cpu, float[] out, float[] xb, int[] tapOff, int[] base, float[] wb,
                        float[] bias, Conv2d.Geometry g, BatchNormEpilogue epilogue, boolean blockedOut) {
        int positions = g.positions(), total = g.batch() * positions;
        // planes[lane]: where lane's channel lies in out relative to the vector's first one.
        int[] planes = new int[L];
        for (int lane = 0; lane < L; lane++) {
            planes[lane] = lane * positions;
        }
        // Tasks: each group of output channels cut into runs of whole tiles.
        int[] starts = groupStarts(outBlocks(g)), bases = groupBases(starts, g.cin() * g.kh() * g.kw());
        int groups = starts.length - 1, threads = cpu.parallel().threads();
        int[] firstTask = new int[groups + 1], pieces = new int[groups];
        for (int gr = 0; gr < groups; gr++) {
            int tiles = ceilDiv(total, POSITIONS_PER_TILE[starts[gr + 1] - starts[gr]]);
            int p = Math.max(ceilDiv(tiles, MAX_TILES_PER_TASK), ceilDiv(2 * threads, groups));
            // Parallel.forRange deals the tasks out in equal runs: a count that the threads divide
            // leaves none idle at the end (7 tasks on 2 threads kept one waiting an eighth of the time).
            while (groups * p % threads != 0 && p < tiles) {
                p++;
            }
            pieces[gr] = Math.min(tiles, p);
            firstTask[gr + 1] = firstTask[gr] + pieces[gr];
        }
        cpu.postReadAhead();
        cpu.parallel().forRange(firstTask[groups], 1, (lo, hi) -> {
            for (int task = lo; task < hi; task++) {
                int gr = 0;
                while (firstTask[gr + 1] <= task) {
                    gr++;
                }
                int fb = starts[gr + 1] - starts[gr], pt = POSITIONS_PER_TILE[fb];
                int tiles = ceilDiv(total, pt), piece = task - firstTask[gr];
                int q0 = (int) ((long) tiles * piece / pieces[gr]) * pt;
                int q1 = Math.min(total, (int) ((long) tiles * (piece + 1) / pieces[gr]) * pt);
                if (q0 < q1) {
                    runTask(out, xb, wb, bases[gr], bias, g, epilogue, tapOff, base, planes, starts[gr] * L, fb, pt, q0,
                            q1, blockedOut);
                }
            }
        });
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /** Per-thread scratch: one task's partial sums, [fb][positions rounded up to tiles][L]. */
    private static final ThreadLocal<float[]> SUMS = ThreadLocal.withInitial(() -> new float[0]);

    /** Output channels co0 … co0 + fb·L − 1 (a group; its weights from wb[wBase]) at batch positions [q0, q1). */
    private static void runTask(float[] out, float[] xb, float[] wb, int wBase, float[] bias, Conv2d.Geometry g,
                                BatchNormEpilogue epilogue, int[] tapOff, int[] base, int[] planes, int co0, int fb,
                                int pt, int q0, int q1, boolean blockedOut) {
        int taps = g.kh() * g.kw(), cin = g.cin(), cout = g.cout();
        int fStride = ceilDiv(q1 - q0, pt) * pt * L;
        float[] sums = Conv2dBatched.scratch(SUMS, fb * fStride);
        for (int f = 0; f < fb; f++) {
            int lanes = Math.min(L, cout - co0 - f * L);
            if (bias == null) {
                Arrays.fill(sums, f * fStride, (f + 1) * fStride, 0f);
            } else {
                for (int at = f * fStride; at < (f + 1) * fStride; at += L) {
                    System.arraycopy(bias, co0 + f * L, sums, at, lanes);
                }
            }
        }
        int chunk = chunkSteps(fb), k = cin * taps;
        for (int s0 = 0; s0 < k; s0 += chunk) {
            int s1 = Math.min(k, s0 + chunk), wo = packedAt(wBase, fb, s0, 0);
            for (int q = q0; q < q1; q += pt) {
                int cnt = Math.min(pt, q1 - q), at = (q - q0) * L;
                switch (fb) {
                    case 4 -> kernel4x6(xb, base, q, cnt, tapOff, wb, wo, s0, s1, sums, at, fStride);
                    case 3 -> kernel3x8(xb, base, q, cnt, tapOff, wb, wo, s0, s1, sums, at, fStride);
                    case 2 -> kernel2x12(xb, base, q, cnt, tapOff, wb, wo, s0, s1, sums, at, fStride);
                    default -> kernel1x16(xb, base, q, cnt, tapOff, wb, wo, s0, s1, sums, at, fStride);
                }
            }
        }
        int positions = g.positions();
        float[] consts = epilogue == null ? null : new float[3 * L];
        if (blockedOut) {
            // Out channel-blocked: each image's run of positions goes out in one pass, normalized on the way.
            int blocks = outBlocks(g);
            for (int f = 0; f < fb; f++) {
                int c = co0 + f * L;
                if (epilogue != null) {
                    epilogue.constants(c, cout, consts);
                }
                for (int pos = q0; pos < q1; ) {
                    int n = pos / positions, qq = pos % positions, run = Math.min(q1 - pos, positions - qq);
                    int from = f * fStride + (pos - q0) * L, to = ((n * blocks + c / L) * positions + qq) * L;
                    if (epilogue != null) {
                        epilogue.normalizeVectorsInto(sums, from, out, to, run, consts);
                    } else {
                        System.arraycopy(sums, from, out, to, run * L);
                    }
                    pos += run;
                }
            }
            return;
        }
        // Out to NCHW through the epilogue: each vector of sums (L channels at one position) is
        // normalized as BatchNormEpilogue does it, in its order, and goes to its L planes.
        for (int f = 0; f < fb; f++) {
            int c = co0 + f * L;
            // Lanes past Cout (a part-filled last vector) are neither read nor stored.
            if (epilogue != null) {
                epilogue.constants(c, cout, consts);
            }
            int lanes = Math.min(L, cout - c);
            for (int pos = q0; pos < q1; ) {
                int n = pos / positions, qq = pos % positions, run = Math.min(q1 - pos, positions - qq);
                int dst = (n * cout + c) * positions + qq, from = f * fStride + (pos - q0) * L;
                // Runs of 16 positions go out as 16 × 16 transposes (Transpose: a third of a scatter's
                // time), normalized in the scratch first; the rest one scatter per position.
                int r = 0;
                if (Transpose.APPLIES) {
                    for (; r + L <= run; r += L) {
                        if (epilogue != null) {
                            epilogue.normalizeVectors(sums, from + r * L, L, L, consts);
                        }
                        Transpose.transpose(sums, from + r * L, L, out, dst + r, positions, lanes);
                    }
                }
                if (epilogue != null && r < run) {
                    epilogue.normalizeVectors(sums, from + r * L, L, run - r, consts);
                }
                for (; r < run; r++) {
                    scatter(sums, from + r * L, out, dst + r, planes, lanes);
                }
                pos += run;
            }
        }
    }

    /**
     * src[from + k] to out[dst + planes[k]] for k &lt; lanes: a vector of output channels (its real lanes) to
     * their planes, at one position. A plain loop: where it runs (the positions outside runs of 16, which go
     * out as transposes) a vector scatter saved little, and it sometimes ran the Vector API's allocating
     * Java fallback instead (in the default run's step, 80 MB of garbage a second, in some JVM runs and not
     * others, as C2 compiled it).
     */
    static void scatter(float[] src, int from, float[] out, int dst, int[] planes, int lanes) {
        for (int k = 0; k < lanes; k++) {
            out[dst + planes[k]] = src[from + k];
        }
    }

    /**
     * xb[n][ci / L][ih + padTop][iw + padLeft][ci % L] = x[n, ci, ih, iw], and zeros everywhere else.
     * Position by position, so that xb is written in order (L planes of x are read side by side); only
     * the halo is zeroed, unless the last block of channels is partial. Rows of at least 16 positions of a
     * full block go through 16 × 16 transposes ({@link Transpose}) rather than a gather per position:
     * the copy took 8% of a 7×1 layer, 192 → 192 at 17×17, batch 8, alone, and that layer ran 1.05–1.07×
     * faster, the 35×35 3×3s 1.03–1.11× (in one process, two threads, alternating).
     */
    static void block(CpuBackend cpu, float[] x, Conv2d.Geometry g, float[] xb, int hp, int wp) {
        int cin = g.cin(), h = g.h(), w = g.w(), hw = h * w, blocks = (cin + L - 1) / L;
        int top = g.padTop(), left = g.padLeft();
        int[] planes = new int[L];   // lane c reads plane c of the block
        for (int c = 0; c < L; c++) {
            planes[c] = c * hw;
        }
        cpu.parallel().forRange(g.batch() * blocks, 1, (lo, hi) -> {
            for (int t = lo; t < hi; t++) {
                int n = t / blocks, c0 = t % blocks * L, lanes = Math.min(L, cin - c0), dst = t * hp * wp * L;
                if (lanes < L) {
                    Arrays.fill(xb, dst, dst + hp * wp * L, 0f);
                } else {
                    Arrays.fill(xb, dst, dst + top * wp * L, 0f);
                    Arrays.fill(xb, dst + (top + h) * wp * L, dst + hp * wp * L, 0f);
                }
                for (int ih = 0; ih < h; ih++) {
                    int row = dst + (ih + top) * wp * L, src = (n * cin + c0) * hw + ih * w;
                    if (lanes == L) {
                        Arrays.fill(xb, row, row + left * L, 0f);
                        Arrays.fill(xb, row + (left + w) * L, row + wp * L, 0f);
                    }
                    if (lanes == L && Transpose.APPLIES && w >= L) {
                        // 16 positions at a time, the last group overlapping the one before (same values).
                        for (int iw = 0; ; iw = Math.min(iw + L, w - L)) {
                            Transpose.transpose(x, src + iw, hw, xb, row + (left + iw) * L, L, L);
                            if (iw == w - L) {
                                break;
                            }
                        }
                    } else if (lanes == L) {
                        for (int iw = 0, d = row + left * L; iw < w; iw++, d += L) {
                            FloatVector.fromArray(F, x, src + iw, planes, 0).intoArray(xb, d);
                        }
                    } else {
                        for (int iw = 0, d = row + left * L; iw < w; iw++, d += L) {
                            for (int c = 0, at = src + iw; c < lanes; c++, at += hw) {
                                xb[d + c] = x[at];
                            }
                        }
                    }
                }
            }
        });
    }

    // ---------------------------------------------------------------- the register tiles

    /*
     * kernelFBxPT: the fb·L output channels of one group at the cnt ≤ PT positions q … q+cnt−1 of the
     * batch, for the (ci, i, j) steps s0 … s1−1 of one chunk: sums[at + f·fStride + p·L + lane] += Σ_s
     * xb[base[q+p] + tapOff[s]] · wb[wo + (s − s0)·L + f·STEPSfb·L + lane] (the packed layout of
     * {@link #packWeights}, wo where step s0's first vector lies). A tile with fewer than PT
     * positions repeats its last one (same sums, written to the tile's unused slots). The four are
     * the same loop with FB × PT = 4 × 6, 3 × 8, 2 × 12 and 1 × 16 accumulators, written out four
     * times on purpose: the accumulators must be named locals for C2 to keep them in registers (an
     * array of vectors, or a loop over them, is boxed), as in Gemm's kernel, kernel8 and narrow8.
     */

    static void kernel4x6(float[] xb, int[] base, int q, int cnt, int[] tapOff, float[] wb, int wo, int s0,
                          int s1, float[] acc, int accOff, int fStride) {
        int b0 = base[q];
        int b1 = base[q + Math.min(1, cnt - 1)];
        int b2 = base[q + Math.min(2, cnt - 1)];
        int b3 = base[q + Math.min(3, cnt - 1)];
        int b4 = base[q + Math.min(4, cnt - 1)];
        int b5 = base[q + Math.min(5, cnt - 1)];
        int f0 = accOff, f1 = f0 + fStride, f2 = f1 + fStride, f3 = f2 + fStride;
        FloatVector a00 = FloatVector.fromArray(F, acc, f0);
        FloatVector a01 = FloatVector.fromArray(F, acc, f0 + L);
        FloatVector a02 = FloatVector.fromArray(F, acc, f0 + 2 * L);
        FloatVector a03 = FloatVector.fromArray(F, acc, f0 + 3 * L);
        FloatVector a04 = FloatVector.fromArray(F, acc, f0 + 4 * L);
        FloatVector a05 = FloatVector.fromArray(F, acc, f0 + 5 * L);
        FloatVector a10 = FloatVector.fromArray(F, acc, f1);
        FloatVector a11 = FloatVector.fromArray(F, acc, f1 + L);
        FloatVector a12 = FloatVector.fromArray(F, acc, f1 + 2 * L);
        FloatVector a13 = FloatVector.fromArray(F, acc, f1 + 3 * L);
        FloatVector a14 = FloatVector.fromArray(F, acc, f1 + 4 * L);
        FloatVector a15 = FloatVector.fromArray(F, acc, f1 + 5 * L);
        FloatVector a20 = FloatVector.fromArray(F, acc, f2);
        FloatVector a21 = FloatVector.fromArray(F, acc, f2 + L);
        FloatVector a22 = FloatVector.fromArray(F, acc, f2 + 2 * L);
        FloatVector a23 = FloatVector.fromArray(F, acc, f2 + 3 * L);
        FloatVector a24 = FloatVector.fromArray(F, acc, f2 + 4 * L);
        FloatVector a25 = FloatVector.fromArray(F, acc, f2 + 5 * L);
        FloatVector a30 = FloatVector.fromArray(F, acc, f3);
        FloatVector a31 = FloatVector.fromArray(F, acc, f3 + L);
        FloatVector a32 = FloatVector.fromArray(F, acc, f3 + 2 * L);
        FloatVector a33 = FloatVector.fromArray(F, acc, f3 + 3 * L);
        FloatVector a34 = FloatVector.fromArray(F, acc, f3 + 4 * L);
        FloatVector a35 = FloatVector.fromArray(F, acc, f3 + 5 * L);
        for (int s = s0; s < s1; s++, wo += L) {
            int xt = tapOff[s];
            FloatVector w0 = FloatVector.fromArray(F, wb, wo);
            FloatVector w1 = FloatVector.fromArray(F, wb, wo + STEPS4 * L);
            FloatVector w2 = FloatVector.fromArray(F, wb, wo + 2 * STEPS4 * L);
            FloatVector w3 = FloatVector.fromArray(F, wb, wo + 3 * STEPS4 * L);
            FloatVector v = FloatVector.broadcast(F, xb[xt + b0]);
            a00 = v.fma(w0, a00);
            a10 = v.fma(w1, a10);
            a20 = v.fma(w2, a20);
            a30 = v.fma(w3, a30);
            v = FloatVector.broadcast(F, xb[xt + b1]);
            a01 = v.fma(w0, a01);
            a11 = v.fma(w1, a11);
            a21 = v.fma(w2, a21);
            a31 = v.fma(w3, a31);
            v = FloatVector.broadcast(F, xb[xt + b2]);
            a02 = v.fma(w0, a02);
            a12 = v.fma(w1, a12);
            a22 = v.fma(w2, a22);
            a32 = v.fma(w3, a32);
            v = FloatVector.broadcast(F, xb[xt + b3]);
            a03 = v.fma(w0, a03);
            a13 = v.fma(w1, a13);
            a23 = v.fma(w2, a23);
            a33 = v.fma(w3, a33);
            v = FloatVector.broadcast(F, xb[xt + b4]);
            a04 = v.fma(w0, a04);
            a14 = v.fma(w1, a14);
            a24 = v.fma(w2, a24);
            a34 = v.fma(w3, a34);
            v = FloatVector.broadcast(F, xb[xt + b5]);
            a05 = v.fma(w0, a05);
            a15 = v.fma(w1, a15);
            a25 = v.fma(w2, a25);
            a35 = v.fma(w3, a35);
        }
        a00.intoArray(acc, f0);
        a01.intoArray(acc, f0 + L);
        a02.intoArray(acc, f0 + 2 * L);
        a03.intoArray(acc, f0 + 3 * L);
        a04.intoArray(acc, f0 + 4 * L);
        a05.intoArray(acc, f0 + 5 * L);
        a10.intoArray(acc, f1);
        a11.intoArray(acc, f1 + L);
        a12.intoArray(acc, f1 + 2 * L);
        a13.intoArray(acc, f1 + 3 * L);
        a14.intoArray(acc, f1 + 4 * L);
        a15.intoArray(acc, f1 + 5 * L);
        a20.intoArray(acc, f2);
        a21.intoArray(acc, f2 + L);
        a22.intoArray(acc, f2 + 2 * L);
        a23.intoArray(acc, f2 + 3 * L);
        a24.intoArray(acc, f2 + 4 * L);
        a25.intoArray(acc, f2 + 5 * L);
        a30.intoArray(acc, f3);
        a31.intoArray(acc, f3 + L);
        a32.intoArray(acc, f3 + 2 * L);
        a33.intoArray(acc, f3 + 3 * L);
        a34.intoArray(acc, f3 + 4 * L);
        a35.intoArray(acc, f3 + 5 * L);
    }

    static void kernel3x8(float[] xb, int[] base, int q, int cnt, int[] tapOff, float[] wb, int wo, int s0,
                          int s1, float[] acc, int accOff, int fStride) {
        int b0 = base[q];
        int b1 = base[q + Math.min(1, cnt - 1)];
        int b2 = base[q + Math.min(2, cnt - 1)];
        int b3 = base[q + Math.min(3, cnt - 1)];
        int b4 = base[q + Math.min(4, cnt - 1)];
        int b5 = base[q + Math.min(5, cnt - 1)];
        int b6 = base[q + Math.min(6, cnt - 1)];
        int b7 = base[q + Math.min(7, cnt - 1)];
        int f0 = accOff, f1 = f0 + fStride, f2 = f1 + fStride;
        FloatVector a00 = FloatVector.fromArray(F, acc, f0);
        FloatVector a01 = FloatVector.fromArray(F, acc, f0 + L);
        FloatVector a02 = FloatVector.fromArray(F, acc, f0 + 2 * L);
        FloatVector a03 = FloatVector.fromArray(F, acc, f0 + 3 * L);
        FloatVector a04 = FloatVector.fromArray(F, acc, f0 + 4 * L);
        FloatVector a05 = FloatVector.fromArray(F, acc, f0 + 5 * L);
        FloatVector a06 = FloatVector.fromArray(F, acc, f0 + 6 * L);
        FloatVector a07 = FloatVector.fromArray(F, acc, f0 + 7 * L);
        FloatVector a10 = FloatVector.fromArray(F, acc, f1);
        FloatVector a11 = FloatVector.fromArray(F, acc, f1 + L);
        FloatVector a12 = FloatVector.fromArray(F, acc, f1 + 2 * L);
        FloatVector a13 = FloatVector.fromArray(F, acc, f1 + 3 * L);
        FloatVector a14 = FloatVector.fromArray(F, acc, f1 + 4 * L);
        FloatVector a15 = FloatVector.fromArray(F, acc, f1 + 5 * L);
        FloatVector a16 = FloatVector.fromArray(F, acc, f1 + 6 * L);
        FloatVector a17 = FloatVector.fromArray(F, acc, f1 + 7 * L);
        FloatVector a20 = FloatVector.fromArray(F, acc, f2);
        FloatVector a21 = FloatVector.fromArray(F, acc, f2 + L);
        FloatVector a22 = FloatVector.fromArray(F, acc, f2 + 2 * L);
        FloatVector a23 = FloatVector.fromArray(F, acc, f2 + 3 * L);
        FloatVector a24 = FloatVector.fromArray(F, acc, f2 + 4 * L);
        FloatVector a25 = FloatVector.fromArray(F, acc, f2 + 5 * L);
        FloatVector a26 = FloatVector.fromArray(F, acc, f2 + 6 * L);
        FloatVector a27 = FloatVector.fromArray(F, acc, f2 + 7 * L);
        for (int s = s0; s < s1; s++, wo += L) {
            int xt = tapOff[s];
            FloatVector w0 = FloatVector.fromArray(F, wb, wo);
            FloatVector w1 = FloatVector.fromArray(F, wb, wo + STEPS3 * L);
            FloatVector w2 = FloatVector.fromArray(F, wb, wo + 2 * STEPS3 * L);
            FloatVector v = FloatVector.broadcast(F, xb[xt + b0]);
            a00 = v.fma(w0, a00);
            a10 = v.fma(w1, a10);
            a20 = v.fma(w2, a20);
            v = FloatVector.broadcast(F, xb[xt + b1]);
            a01 = v.fma(w0, a01);
            a11 = v.fma(w1, a11);
            a21 = v.fma(w2, a21);
            v = FloatVector.broadcast(F, xb[xt + b2]);
            a02 = v.fma(w0, a02);
            a12 = v.fma(w1, a12);
            a22 = v.fma(w2, a22);
            v = FloatVector.broadcast(F, xb[xt + b3]);
            a03 = v.fma(w0, a03);
            a13 = v.fma(w1, a13);
            a23 = v.fma(w2, a23);
            v = FloatVector.broadcast(F, xb[xt + b4]);
            a04 = v.fma(w0, a04);
            a14 = v.fma(w1, a14);
            a24 = v.fma(w2, a24);
            v = FloatVector.broadcast(F, xb[xt + b5]);
            a05 = v.fma(w0, a05);
            a15 = v.fma(w1, a15);
            a25 = v.fma(w2, a25);
            v = FloatVector.broadcast(F, xb[xt + b6]);
            a06 = v.fma(w0, a06);
            a16 = v.fma(w1, a16);
            a26 = v.fma(w2, a26);
            v = FloatVector.broadcast(F, xb[xt + b7]);
            a07 = v.fma(w0, a07);
            a17 = v.fma(w1, a17);
            a27 = v.fma(w2, a27);
        }
        a00.intoArray(acc, f0);
        a01.intoArray(acc, f0 + L);
        a02.intoArray(acc, f0 + 2 * L);
        a03.intoArray(acc, f0 + 3 * L);
        a04.intoArray(acc, f0 + 4 * L);
        a05.intoArray(acc, f0 + 5 * L);
        a06.intoArray(acc, f0 + 6 * L);
        a07.intoArray(acc, f0 + 7 * L);
        a10.intoArray(acc, f1);
        a11.intoArray(acc, f1 + L);
        a12.intoArray(acc, f1 + 2 * L);
        a13.intoArray(acc, f1 + 3 * L);
        a14.intoArray(acc, f1 + 4 * L);
        a15.intoArray(acc, f1 + 5 * L);
        a16.intoArray(acc, f1 + 6 * L);
        a17.intoArray(acc, f1 + 7 * L);
        a20.intoArray(acc, f2);
        a21.intoArray(acc, f2 + L);
        a22.intoArray(acc, f2 + 2 * L);
        a23.intoArray(acc, f2 + 3 * L);
        a24.intoArray(acc, f2 + 4 * L);
        a25.intoArray(acc, f2 + 5 * L);
        a26.intoArray(acc, f2 + 6 * L);
        a27.intoArray(acc, f2 + 7 * L);
    }

    static void kernel2x12(float[] xb, int[] base, int q, int cnt, int[] tapOff, float[] wb, int wo, int s0,
                          int s1, float[] acc, int accOff, int fStride) {
        int b0 = base[q];
        int b1 = base[q + Math.min(1, cnt - 1)];
        int b2 = base[q + Math.min(2, cnt - 1)];
        int b3 = base[q + Math.min(3, cnt - 1)];
        int b4 = base[q + Math.min(4, cnt - 1)];
        int b5 = base[q + Math.min(5, cnt - 1)];
        int b6 = base[q + Math.min(6, cnt - 1)];
        int b7 = base[q + Math.min(7, cnt - 1)];
        int b8 = base[q + Math.min(8, cnt - 1)];
        int b9 = base[q + Math.min(9, cnt - 1)];
        int b10 = base[q + Math.min(10, cnt - 1)];
        int b11 = base[q + Math.min(11, cnt - 1)];
        int f0 = accOff, f1 = f0 + fStride;
        FloatVector a00 = FloatVector.fromArray(F, acc, f0);
        FloatVector a01 = FloatVector.fromArray(F, acc, f0 + L);
        FloatVector a02 = FloatVector.fromArray(F, acc, f0 + 2 * L);
        FloatVector a03 = FloatVector.fromArray(F, acc, f0 + 3 * L);
        FloatVector a04 = FloatVector.fromArray(F, acc, f0 + 4 * L);
        FloatVector a05 = FloatVector.fromArray(F, acc, f0 + 5 * L);
        FloatVector a06 = FloatVector.fromArray(F, acc, f0 + 6 * L);
        FloatVector a07 = FloatVector.fromArray(F, acc, f0 + 7 * L);
        FloatVector a08 = FloatVector.fromArray(F, acc, f0 + 8 * L);
        FloatVector a09 = FloatVector.fromArray(F, acc, f0 + 9 * L);
        FloatVector a010 = FloatVector.fromArray(F, acc, f0 + 10 * L);
        FloatVector a011 = FloatVector.fromArray(F, acc, f0 + 11 * L);
        FloatVector a10 = FloatVector.fromArray(F, acc, f1);
        FloatVector a11 = FloatVector.fromArray(F, acc, f1 + L);
        FloatVector a12 = FloatVector.fromArray(F, acc, f1 + 2 * L);
        FloatVector a13 = FloatVector.fromArray(F, acc, f1 + 3 * L);
        FloatVector a14 = FloatVector.fromArray(F, acc, f1 + 4 * L);
        FloatVector a15 = FloatVector.fromArray(F, acc, f1 + 5 * L);
        FloatVector a16 = FloatVector.fromArray(F, acc, f1 + 6 * L);
        FloatVector a17 = FloatVector.fromArray(F, acc, f1 + 7 * L);
        FloatVector a18 = FloatVector.fromArray(F, acc, f1 + 8 * L);
        FloatVector a19 = FloatVector.fromArray(F, acc, f1 + 9 * L);
        FloatVector a110 = FloatVector.fromArray(F, acc, f1 + 10 * L);
        FloatVector a111 = FloatVector.fromArray(F, acc, f1 + 11 * L);
        for (int s = s0; s < s1; s++, wo += L) {
            int xt = tapOff[s];
            FloatVector w0 = FloatVector.fromArray(F, wb, wo);
            FloatVector w1 = FloatVector.fromArray(F, wb, wo + STEPS2 * L);
            FloatVector v = FloatVector.broadcast(F, xb[xt + b0]);
            a00 = v.fma(w0, a00);
            a10 = v.fma(w1, a10);
            v = FloatVector.broadcast(F, xb[xt + b1]);
            a01 = v.fma(w0, a01);
            a11 = v.fma(w1, a11);
            v = FloatVector.broadcast(F, xb[xt + b2]);
            a02 = v.fma(w0, a02);
            a12 = v.fma(w1, a12);
            v = FloatVector.broadcast(F, xb[xt + b3]);
            a03 = v.fma(w0, a03);
            a13 = v.fma(w1, a13);
            v = FloatVector.broadcast(F, xb[xt + b4]);
            a04 = v.fma(w0, a04);
            a14 = v.fma(w1, a14);
            v = FloatVector.broadcast(F, xb[xt + b5]);
            a05 = v.fma(w0, a05);
            a15 = v.fma(w1, a15);
            v = FloatVector.broadcast(F, xb[xt + b6]);
            a06 = v.fma(w0, a06);
            a16 = v.fma(w1, a16);
            v = FloatVector.broadcast(F, xb[xt + b7]);
            a07 = v.fma(w0, a07);
            a17 = v.fma(w1, a17);
            v = FloatVector.broadcast(F, xb[xt + b8]);
            a08 = v.fma(w0, a08);
            a18 = v.fma(w1, a18);
            v = FloatVector.broadcast(F, xb[xt + b9]);
            a09 = v.fma(w0, a09);
            a19 = v.fma(w1, a19);
            v = FloatVector.broadcast(F, xb[xt + b10]);
            a010 = v.fma(w0, a010);
            a110 = v.fma(w1, a110);
            v = FloatVector.broadcast(F, xb[xt + b11]);
            a011 = v.fma(w0, a011);
            a111 = v.fma(w1, a111);
        }
        a00.intoArray(acc, f0);
        a01.intoArray(acc, f0 + L);
        a02.intoArray(acc, f0 + 2 * L);
        a03.intoArray(acc, f0 + 3 * L);
        a04.intoArray(acc, f0 + 4 * L);
        a05.intoArray(acc, f0 + 5 * L);
        a06.intoArray(acc, f0 + 6 * L);
        a07.intoArray(acc, f0 + 7 * L);
        a08.intoArray(acc, f0 + 8 * L);
        a09.intoArray(acc, f0 + 9 * L);
        a010.intoArray(acc, f0 + 10 * L);
        a011.intoArray(acc, f0 + 11 * L);
        a10.intoArray(acc, f1);
        a11.intoArray(acc, f1 + L);
        a12.intoArray(acc, f1 + 2 * L);
        a13.intoArray(acc, f1 + 3 * L);
        a14.intoArray(acc, f1 + 4 * L);
        a15.intoArray(acc, f1 + 5 * L);
        a16.intoArray(acc, f1 + 6 * L);
        a17.intoArray(acc, f1 + 7 * L);
        a18.intoArray(acc, f1 + 8 * L);
        a19.intoArray(acc, f1 + 9 * L);
        a110.intoArray(acc, f1 + 10 * L);
        a111.intoArray(acc, f1 + 11 * L);
    }

    static void kernel1x16(float[] xb, int[] base, int q, int cnt, int[] tapOff, float[] wb, int wo, int s0,
                          int s1, float[] acc, int accOff, int fStride) {
        int b0 = base[q];
        int b1 = base[q + Math.min(1, cnt - 1)];
        int b2 = base[q + Math.min(2, cnt - 1)];
        int b3 = base[q + Math.min(3, cnt - 1)];
        int b4 = base[q + Math.min(4, cnt - 1)];
        int b5 = base[q + Math.min(5, cnt - 1)];
        int b6 = base[q + Math.min(6, cnt - 1)];
        int b7 = base[q + Math.min(7, cnt - 1)];
        int b8 = base[q + Math.min(8, cnt - 1)];
        int b9 = base[q + Math.min(9, cnt - 1)];
        int b10 = base[q + Math.min(10, cnt - 1)];
        int b11 = base[q + Math.min(11, cnt - 1)];
        int b12 = base[q + Math.min(12, cnt - 1)];
        int b13 = base[q + Math.min(13, cnt - 1)];
        int b14 = base[q + Math.min(14, cnt - 1)];
        int b15 = base[q + Math.min(15, cnt - 1)];
        int f0 = accOff;
        FloatVector a00 = FloatVector.fromArray(F, acc, f0);
        FloatVector a01 = FloatVector.fromArray(F, acc, f0 + L);
        FloatVector a02 = FloatVector.fromArray(F, acc, f0 + 2 * L);
        FloatVector a03 = FloatVector.fromArray(F, acc, f0 + 3 * L);
        FloatVector a04 = FloatVector.fromArray(F, acc, f0 + 4 * L);
        FloatVector a05 = FloatVector.fromArray(F, acc, f0 + 5 * L);
        FloatVector a06 = FloatVector.fromArray(F, acc, f0 + 6 * L);
        FloatVector a07 = FloatVector.fromArray(F, acc, f0 + 7 * L);
        FloatVector a08 = FloatVector.fromArray(F, acc, f0 + 8 * L);
        FloatVector a09 = FloatVector.fromArray(F, acc, f0 + 9 * L);
        FloatVector a010 = FloatVector.fromArray(F, acc, f0 + 10 * L);
        FloatVector a011 = FloatVector.fromArray(F, acc, f0 + 11 * L);
        FloatVector a012 = FloatVector.fromArray(F, acc, f0 + 12 * L);
        FloatVector a013 = FloatVector.fromArray(F, acc, f0 + 13 * L);
        FloatVector a014 = FloatVector.fromArray(F, acc, f0 + 14 * L);
        FloatVector a015 = FloatVector.fromArray(F, acc, f0 + 15 * L);
        for (int s = s0; s < s1; s++, wo += L) {
            int xt = tapOff[s];
            FloatVector w0 = FloatVector.fromArray(F, wb, wo);
            FloatVector v = FloatVector.broadcast(F, xb[xt + b0]);
            a00 = v.fma(w0, a00);
            v = FloatVector.broadcast(F, xb[xt + b1]);
            a01 = v.fma(w0, a01);
            v = FloatVector.broadcast(F, xb[xt + b2]);
            a02 = v.fma(w0, a02);
            v = FloatVector.broadcast(F, xb[xt + b3]);
            a03 = v.fma(w0, a03);
            v = FloatVector.broadcast(F, xb[xt + b4]);
            a04 = v.fma(w0, a04);
            v = FloatVector.broadcast(F, xb[xt + b5]);
            a05 = v.fma(w0, a05);
            v = FloatVector.broadcast(F, xb[xt + b6]);
            a06 = v.fma(w0, a06);
            v = FloatVector.broadcast(F, xb[xt + b7]);
            a07 = v.fma(w0, a07);
            v = FloatVector.broadcast(F, xb[xt + b8]);
            a08 = v.fma(w0, a08);
            v = FloatVector.broadcast(F, xb[xt + b9]);
            a09 = v.fma(w0, a09);
            v = FloatVector.broadcast(F, xb[xt + b10]);
            a010 = v.fma(w0, a010);
            v = FloatVector.broadcast(F, xb[xt + b11]);
            a011 = v.fma(w0, a011);
            v = FloatVector.broadcast(F, xb[xt + b12]);
            a012 = v.fma(w0, a012);
            v = FloatVector.broadcast(F, xb[xt + b13]);
            a013 = v.fma(w0, a013);
            v = FloatVector.broadcast(F, xb[xt + b14]);
            a014 = v.fma(w0, a014);
            v = FloatVector.broadcast(F, xb[xt + b15]);
            a015 = v.fma(w0, a015);
        }
        a00.intoArray(acc, f0);
        a01.intoArray(acc, f0 + L);
        a02.intoArray(acc, f0 + 2 * L);
        a03.intoArray(acc, f0 + 3 * L);
        a04.intoArray(acc, f0 + 4 * L);
        a05.intoArray(acc, f0 + 5 * L);
        a06.intoArray(acc, f0 + 6 * L);
        a07.intoArray(acc, f0 + 7 * L);
        a08.intoArray(acc, f0 + 8 * L);
        a09.intoArray(acc, f0 + 9 * L);
        a010.intoArray(acc, f0 + 10 * L);
        a011.intoArray(acc, f0 + 11 * L);
        a012.intoArray(acc, f0 + 12 * L);
        a013.intoArray(acc, f0 + 13 * L);
        a014.intoArray(acc, f0 + 14 * L);
        a015.intoArray(acc, f0 + 15 * L);
    }

}
