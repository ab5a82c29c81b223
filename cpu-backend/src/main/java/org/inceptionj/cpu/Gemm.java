package org.inceptionj.cpu;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The tuned single-precision GEMM core behind the vectorized {@link Conv2d} and {@link MatMul}:
 * C[M,N] = bias[m] + Σ_k A[m,k]·B[k,N], blocked in the manner of BLIS / GotoBLAS
 * (Goto and van de Geijn, "Anatomy of high-performance matrix multiplication", 2008).
 *
 * <p>This is a fast path that a reader may skip: the plain loops in {@link Conv2d} and
 * {@link MatMul} define the results, and the tests compare the two.
 *
 * <p>Layout of the work:
 * <ul>
 *   <li>A is packed once per call ({@link #packA}) into panels of {@link #MR} rows, k-major, in
 *       blocks of {@link #KC} along k, so that the micro-kernel reads it sequentially; or, when
 *       too few columns would use each packed value to pay for the packing, read in place
 *       (row-major, {@code lda}).</li>
 *   <li>B is packed per task by a {@link PanelB} into strips of {@link #NR} columns, k-major,
 *       one block of about {@link #KC} × {@link #NC} floats at a time ({@link #columnBlock}). The packer
 *       is where a convolution does its im2col, straight into the packed layout, so no full im2col
 *       matrix is ever built; the scratch is bounded by about {@code KC·NC} floats per thread.</li>
 *   <li>Each panel of A sweeps every strip of the packed block before the next panel starts: the
 *       panel (8 rows × 256 k, 8 KB) stays in L1 and the strips stream from L2. (BLIS's order, each
 *       strip against every panel, wants the strip in L1: 32 KB at 256 k × 32 columns, all of this
 *       host's L1. Measured in one process, two threads, batch 8, against that order: the 1×1s over
 *       8×8 1.12–1.23× faster in the eval forward and their data gradients 1.17–1.27× in training,
 *       the 35×35 1×1s 1.09–1.13×, a training step 7% faster.)</li>
 *   <li>The micro-kernel keeps a tile of C in registers for a whole k-block: {@link #MR} ×
 *       {@link #NR} ({@link #kernel}), with AVX-512 two panels at once, 8 × NR ({@link #kernel8}),
 *       and 8 × one vector for a last strip that narrow ({@link #narrow8}). With {@link BatchNormEpilogue}
 *       a finished tile is normalized and rectified while it is in L1.</li>
 * </ul>
 *
 * <p>Determinism: every element of C is summed in the same order, k-blocks ({@link #blockDepth}) in
 * ascending order and, inside a block, ascending k with one FMA each, whatever tile, task or
 * thread computes it. How the caller splits [M, N] over threads does not change a bit.
 */
final class Gemm {
    private Gemm() {
    }

    private static final VectorSpecies<Float> F = Vectors.F;
    /** Floats per vector: 8 with AVX2, 16 with AVX-512. */
    static final int L = F.length();
    /** Rows of the register tile (packA and kernel are written out for exactly 4). */
    static final int MR = 4;
    /** Columns of the register tile: two vectors. */
    static final int NR = 2 * L;
    /**
     * Depth of one k-block: an 8 KB panel of A (8 rows) stays in L1 while B's strips stream past it.
     * 128 with AVX-512 (a 16 KB strip) was tried: in alternating processes on this 2-core Zen 5 a
     * batch-8 forward ran 2–22% slower and a batch-8 training step about 7% slower than at 256. The
     * block depth changes no bit: each element's FMAs run in ascending k whether its running sum
     * waits in a register or in C.
     */
    static final int KC = 256;

    /**
     * The depth of every k-block of a reduction of k (the last may be shorter): at most {@link #KC},
     * with the fewest blocks, as equal as they come. Why: a block's tile of C is loaded and stored once,
     * so a short last block costs that for few FMAs (288 as 256 + 32 ran the 35×35 1×1s at 68% of one
     * core's peak, as 144 + 144 at 75%). Changes no bit (see the class note).
     */
    static int blockDepth(int k) {
        int blocks = Math.max(1, (k + KC - 1) / KC);
        return (k + blocks - 1) / blocks;
    }
    /** Rows of A per block of the weight-gradient GEMM ({@link Conv2dBackwardWeightGemm}): 128 KB of it in L2. */
    static final int MC = 128;
    /**
     * Columns of B packed at once for a full-depth block (a multiple of NR for every vector width): the
     * KC×NC packed block (256 KB) stays in L2. See {@link #columnBlock} for shorter blocks.
     */
    static final int NC = 256;

    /**
     * Columns of B packed at once for k-blocks of the given depth: {@link #NC}, or more for short
     * reductions, so that the packed block keeps about KC·NC floats (256 KB, in L2). Why: with a short
     * reduction (a 1×1 from 64 channels) the block of 256 columns was 64 KB, and each of its k rows a
     * run of only 1 KB read from x and written to C: for 64 → 80 channels at 73×73 the product ran at a
     * third of the FMA peak. Together with the panel-major sweep of {@link #multiply}, in one process,
     * two threads, batch 8: that layer 1.33× faster (eval forward and training forward alike). Changes
     * no bit: each element's k-blocks are the same.
     */
    static int columnBlock(int depth) {
        return Math.max(NC, NC * KC / depth / NR * NR);
    }

    /**
     * Packs B[k0 : k0+kc, n0 : n0+nc] into {@code dst}: dst[(s·kc + kk)·NR + jj] =
     * B[k0 + kk, n0 + s·NR + jj] for every strip s, writing zeros for columns at or past nc,
     * so that edge tiles need no special case in the micro-kernel.
     */
    @FunctionalInterface
    interface PanelB {
        void pack(float[] dst, int k0, int kc, int n0, int nc);
    }

    /** M rounded up to whole MR panels. */
    static int paddedRows(int m) {
        return (m + MR - 1) / MR * MR;
    }

    /** Packed A buffers up to this many floats (8 MB) are kept per calling thread and reused. */
    private static final int REUSED_A_LIMIT = 1 << 21;
    private static final ThreadLocal<float[]> PACKED_A = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * Packs A[m,k] = a[aOff + m·rowStride + k·colStride] (m &lt; M, k &lt; K) for {@link #multiply}:
     * k-blocks of {@link #blockDepth}(K), each holding paddedRows(M)/MR panels of kc × MR floats (k-major),
     * rows past M set to zero. Block b starts at b·blockDepth(K)·paddedRows(M).
     *
     * <p>The result is valid until this thread's next packA: the buffer is reused, because a
     * layer's packed weights are megabytes, and a fresh array per call took about a third as long
     * again as the packing itself. Panels are packed in parallel because at batch 1 packing is not
     * small next to the product: A is read once per call, and an 8×8 layer uses each weight only
     * 64 times (measured: about a quarter of a 3×3, 448→384, 8×8 convolution at batch 1). From eight
     * panels a chunk: with sixteen, the 64-channel 1×1s were packed on one thread (0.4 ms of a 60 ms
     * batch-1 forward, the other thread waiting).
     */
    static float[] packA(Parallel parallel, float[] a, int aOff, int rowStride, int colStride, int m, int k) {
        int mp = paddedRows(m), size = mp * k;
        float[] dst = PACKED_A.get();
        if (dst.length < size) {
            dst = new float[size];
            if (size <= REUSED_A_LIMIT) {
                PACKED_A.set(dst);
            }
        }
        float[] packed = dst;
        int depth = blockDepth(k);
        parallel.forRange(mp / MR, 8, (lo, hi) -> {
            for (int i0 = lo * MR; i0 < hi * MR; i0 += MR) {
                int mr = Math.min(MR, m - i0);
                for (int k0 = 0; k0 < k; k0 += depth) {
                    int kc = Math.min(depth, k - k0), base = k0 * mp + i0 * kc;
                    if (colStride == 1 && mr == MR) {
                        // Row-major A: four sequential reads, one sequential write.
                        int s0 = aOff + i0 * rowStride + k0, s1 = s0 + rowStride, s2 = s1 + rowStride,
                                s3 = s2 + rowStride;
                        for (int kk = 0; kk < kc; kk++) {
                            int d = base + kk * MR;
                            packed[d] = a[s0 + kk];
                            packed[d + 1] = a[s1 + kk];
                            packed[d + 2] = a[s2 + kk];
                            packed[d + 3] = a[s3 + kk];
                        }
                    } else {
                        for (int kk = 0; kk < kc; kk++) {
                            int src = aOff + (k0 + kk) * colStride + i0 * rowStride;
                            for (int r = 0; r < MR; r++) {
                                packed[base + kk * MR + r] = r < mr ? a[src + r * rowStride] : 0f;
                            }
                        }
                    }
                }
            }
        });
        return packed;
    }

    /** bias[0 : m) followed by zeros up to paddedRows(m), or null for no bias. */
    static float[] padBias(float[] bias, int m) {
        if (bias == null) {
            return null;
        }
        float[] padded = new float[paddedRows(m)];
        System.arraycopy(bias, 0, padded, 0, m);
        return padded;
    }

    /** Per-thread scratch: one packed B block, one edge tile, one A panel; grown on demand, never shrunk. */
    private static final class Scratch {
        float[] b = new float[0];
        final float[] tile = new float[MR * NR];
        private float[] panel = new float[0];

        /** One MR × kc panel of A (for the last rows of an A read in place). */
        float[] panel(int kc) {
            if (panel.length < MR * kc) {
                panel = new float[MR * kc];
            }
            return panel;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * C[m, n] = biasPadded[m] (or 0) + Σ_k A[m,k]·B[k,n] for m in [m0, m1), n in [n0, n1), with
     * C[m, n] at c[cOff + m·ldc + n]; every other element of c is left alone. Overwrites, never
     * accumulates into, the prior contents of that region.
     *
     * @param packedA    from {@link #packA} for an M×K matrix; m0 must be a multiple of MR
     * @param biasPadded from {@link #padBias}, or null
     * @param packB      writes the B blocks this call asks for
     */
    static void multiply(int m, int k, float[] packedA, float[] biasPadded, PanelB packB,
                         float[] c, int cOff, int ldc, int m0, int m1, int n0, int n1) {
        multiply(m, k, packedA, PACKED, biasPadded, packB, c, cOff, ldc, m0, m1, n0, n1, null);
    }

    /** The {@code lda} of an A that {@link #packA} packed. */
    static final int PACKED = 0;

    /**
     * As {@link #multiply(int, int, float[], float[], PanelB, float[], int, int, int, int, int, int)},
     * with A either packed ({@code lda == PACKED}) or row-major, A[m,k] = a[m·lda + k], read in place.
     *
     * <p>Why in place: packing pays for itself when each packed value is used many times, i.e. over
     * many columns. A convolution at batch 1 on a 8×8 grid uses each weight 64 times; packing its
     * 3 MB to 6 MB of weights took as long as the product (a 2048→384 1×1 convolution: 0.28 ms to
     * pack, 0.55 ms to multiply, one thread). Read in place, the kernel loads from four or eight
     * row streams instead of one, which measured about 7% slower on L2-resident data.
     */
    static void multiply(int m, int k, float[] a, int lda, float[] biasPadded, PanelB packB,
                         float[] c, int cOff, int ldc, int m0, int m1, int n0, int n1, BatchNormEpilogue epilogue) {
        assert NC % NR == 0 && MC % MR == 0 && m0 % MR == 0;
        if (k == 0) {
            // An empty sum: C is the bias (or zero).
            for (int r = m0; r < m1; r++) {
                Arrays.fill(c, cOff + r * ldc + n0, cOff + r * ldc + n1,
                        biasPadded == null ? 0f : biasPadded[r]);
            }
            if (epilogue != null) {
                epilogue.apply(c, cOff + m0 * ldc + n0, ldc, m0, m1 - m0, n1 - n0);
            }
            return;
        }
        Scratch scratch = SCRATCH.get();
        int mp = paddedRows(m);
        boolean packed = lda == PACKED;
        int depth = blockDepth(k);
        int ncMax = columnBlock(depth);
        for (int jc = n0; jc < n1; jc += ncMax) {
            int nc = Math.min(ncMax, n1 - jc);
            int strips = (nc + NR - 1) / NR;
            int need = strips * NR * depth;
            if (scratch.b.length < need) {
                scratch.b = new float[need];
            }
            float[] b = scratch.b;
            for (int pc = 0; pc < k; pc += depth) {
                int kc = Math.min(depth, k - pc);
                boolean accumulate = pc > 0;
                packB.pack(b, pc, kc, jc, nc);
                boolean last = epilogue != null && pc + kc == k;
                // Each panel of A (8 rows, or 4) sweeps every strip of the block: its kc × 8 floats stay
                // in L1 while the strips stream from L2 (see columnBlock).
                for (int ir = m0; ir < m1; ) {
                    int rows = WIDE && ir + 2 * MR <= m1 ? 2 * MR : MR, end = Math.min(m1, ir + rows);
                    for (int s = 0; s < strips; s++) {
                        for (int done = ir; done < end; ) {
                            done += tile(done, end, s, pc, kc, jc, nc, mp, packed,
                                    a, lda, b, c, cOff, ldc, accumulate, biasPadded, last ? epilogue : null, scratch);
                        }
                    }
                    ir = end;
                }
            }
        }
    }

    /**
     * One register tile of C: rows from ir (8 where WIDE and rows up to icEnd allow, else at most 4) of
     * strip s of the current block; returns how many rows it did.
     */
    private static int tile(int ir, int icEnd, int s, int pc, int kc, int jc, int nc, int mp, boolean packed,
                            float[] a, int lda, float[] b, float[] c, int cOff, int ldc,
                            boolean accumulate, float[] biasPadded, BatchNormEpilogue epilogue, Scratch scratch) {
        int nr = Math.min(NR, nc - s * NR);
        int bOff = s * kc * NR;
        int mr = Math.min(MR, icEnd - ir);
        int aOff = packed ? pc * mp + ir * kc : ir * lda + pc;
        int cAt = cOff + ir * ldc + jc + s * NR;
        if (WIDE && nr == NR && ir + 2 * MR <= icEnd) {
            if (packed) {
                kernel8(kc, a, aOff, b, bOff, c, cAt, ldc, accumulate, biasPadded, ir);
            } else {
                kernel8Rows(kc, a, aOff, aOff + MR * lda, lda, b, bOff, c, cAt, ldc, accumulate, biasPadded, ir);
            }
            if (epilogue != null) {
                epilogue.apply(c, cAt, ldc, ir, 2 * MR, NR);
            }
            return 2 * MR;
        }
        if (WIDE && nr <= L && ir + 2 * MR <= icEnd) {
            // A strip of at most one vector of columns (17×17 = 9 strips and 1 column): half the work
            // of a full 8-row tile.
            int a4 = packed ? aOff + MR * kc : aOff + MR * lda;
            narrow8(kc, a, aOff, a4, packed ? MR : 1, packed ? 1 : lda, b, bOff, c, cAt, ldc, nr, accumulate,
                    biasPadded, ir, scratch.tile);
            if (epilogue != null) {
                epilogue.apply(c, cAt, ldc, ir, 2 * MR, nr);
            }
            return 2 * MR;
        }
        if (mr == MR && nr == NR) {
            if (packed) {
                kernel(kc, a, aOff, b, bOff, c, cAt, ldc, accumulate, biasPadded, ir);
            } else {
                kernelRows(kc, a, aOff, lda, b, bOff, c, cAt, ldc, accumulate, biasPadded, ir);
            }
        } else if (packed || mr == MR) {
            edge(kc, a, aOff, packed ? PACKED : lda, b, bOff, c, cAt, ldc, mr, nr, accumulate, biasPadded, ir,
                    scratch.tile);
        } else {
            // The last rows of an in-place A: pack them, zero-padded, so that no row past M is read.
            float[] panel = scratch.panel(kc);
            for (int kk = 0; kk < kc; kk++) {
                for (int r = 0; r < MR; r++) {
                    panel[kk * MR + r] = r < mr ? a[aOff + r * lda + kk] : 0f;
                }
            }
            edge(kc, panel, 0, PACKED, b, bOff, c, cAt, ldc, mr, nr, accumulate, biasPadded, ir, scratch.tile);
        }
        if (epilogue != null) {
            // The tile is final and still in L1: normalize it there.
            epilogue.apply(c, cAt, ldc, ir, mr, nr);
        }
        return MR;
    }

    /**
     * A partial tile: run the full kernel on a scratch tile and copy the mr × nr corner. A is packA's
     * layout where lda is {@link #PACKED}, else read in place with rows lda apart.
     */
    private static void edge(int kc, float[] a, int aOff, int lda, float[] b, int bOff, float[] c,
                             int cOff, int ldc, int mr, int nr, boolean accumulate, float[] bias, int biasOff,
                             float[] tile) {
        if (accumulate) {
            for (int r = 0; r < mr; r++) {
                System.arraycopy(c, cOff + r * ldc, tile, r * NR, nr);
            }
        }
        if (lda == PACKED) {
            kernel(kc, a, aOff, b, bOff, tile, 0, NR, accumulate, bias, biasOff);
        } else {
            kernelRows(kc, a, aOff, lda, b, bOff, tile, 0, NR, accumulate, bias, biasOff);
        }
        for (int r = 0; r < mr; r++) {
            System.arraycopy(tile, r * NR, c, cOff + r * ldc, nr);
        }
    }

    /**
     * The micro-kernel: the MR × NR tile at c[cOff + r·ldc + j] becomes init + Σ_kk
     * a[aOff + kk·MR + r]·b[bOff + kk·NR + j], where init is that tile's current contents
     * ({@code accumulate}), bias[biasOff + r], or zero.
     *
     * <p>Why 4 rows × 2 vectors: an FMA has a latency of about 4 cycles and two issue per cycle,
     * so at least 8 independent accumulator chains must be in flight to keep both FMA units busy;
     * this tile has exactly 8. Per k step it loads 2 vectors of B and broadcasts 4 scalars of A
     * for 8 FMAs, well within the load ports. Larger tiles (6×2, 4×3: 12 accumulators) would
     * hide more latency in theory, but with AVX2's 16 vector registers they measured at less than
     * half the speed of this one under C2 (presumably spills); this one runs at about 90% of an
     * FMA-only loop on L1-resident panels. Its strides are constants, and {@link #kernelRows} is its copy
     * for A read in place, for the reason given at {@link #kernel8}.
     */
    static void kernel(int kc, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int ldc,
                       boolean accumulate, float[] bias, int biasOff) {
        final int r1 = 1, r2 = 2, r3 = 3;
        int c0 = cOff, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        FloatVector acc00, acc01, acc10, acc11, acc20, acc21, acc30, acc31;
        if (accumulate) {
            acc00 = FloatVector.fromArray(F, c, c0);
            acc01 = FloatVector.fromArray(F, c, c0 + L);
            acc10 = FloatVector.fromArray(F, c, c1);
            acc11 = FloatVector.fromArray(F, c, c1 + L);
            acc20 = FloatVector.fromArray(F, c, c2);
            acc21 = FloatVector.fromArray(F, c, c2 + L);
            acc30 = FloatVector.fromArray(F, c, c3);
            acc31 = FloatVector.fromArray(F, c, c3 + L);
        } else if (bias != null) {
            acc00 = acc01 = FloatVector.broadcast(F, bias[biasOff]);
            acc10 = acc11 = FloatVector.broadcast(F, bias[biasOff + 1]);
            acc20 = acc21 = FloatVector.broadcast(F, bias[biasOff + 2]);
            acc30 = acc31 = FloatVector.broadcast(F, bias[biasOff + 3]);
        } else {
            acc00 = acc01 = acc10 = acc11 = acc20 = acc21 = acc30 = acc31 = FloatVector.zero(F);
        }
        for (int kk = 0; kk < kc; kk++) {
            int ak = aOff + kk * MR, bk = bOff + kk * NR;
            FloatVector b0 = FloatVector.fromArray(F, b, bk);
            FloatVector b1 = FloatVector.fromArray(F, b, bk + L);
            FloatVector ar = FloatVector.broadcast(F, a[ak]);
            acc00 = ar.fma(b0, acc00);
            acc01 = ar.fma(b1, acc01);
            ar = FloatVector.broadcast(F, a[ak + r1]);
            acc10 = ar.fma(b0, acc10);
            acc11 = ar.fma(b1, acc11);
            ar = FloatVector.broadcast(F, a[ak + r2]);
            acc20 = ar.fma(b0, acc20);
            acc21 = ar.fma(b1, acc21);
            ar = FloatVector.broadcast(F, a[ak + r3]);
            acc30 = ar.fma(b0, acc30);
            acc31 = ar.fma(b1, acc31);
        }
        acc00.intoArray(c, c0);
        acc01.intoArray(c, c0 + L);
        acc10.intoArray(c, c1);
        acc11.intoArray(c, c1 + L);
        acc20.intoArray(c, c2);
        acc21.intoArray(c, c2 + L);
        acc30.intoArray(c, c3);
        acc31.intoArray(c, c3 + L);
    }

    /**
     * {@link #kernel} for A read in place, rows rowStride apart: A element (r, kk) at
     * a[aOff + kk + r·rowStride]. A second copy of the loop for the reason given at {@link #kernel8}.
     */
    static void kernelRows(int kc, float[] a, int aOff, int rowStride, float[] b, int bOff, float[] c,
                       int cOff, int ldc, boolean accumulate, float[] bias, int biasOff) {
        int r1 = rowStride, r2 = 2 * rowStride, r3 = 3 * rowStride;
        int c0 = cOff, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        FloatVector acc00, acc01, acc10, acc11, acc20, acc21, acc30, acc31;
        if (accumulate) {
            acc00 = FloatVector.fromArray(F, c, c0);
            acc01 = FloatVector.fromArray(F, c, c0 + L);
            acc10 = FloatVector.fromArray(F, c, c1);
            acc11 = FloatVector.fromArray(F, c, c1 + L);
            acc20 = FloatVector.fromArray(F, c, c2);
            acc21 = FloatVector.fromArray(F, c, c2 + L);
            acc30 = FloatVector.fromArray(F, c, c3);
            acc31 = FloatVector.fromArray(F, c, c3 + L);
        } else if (bias != null) {
            acc00 = acc01 = FloatVector.broadcast(F, bias[biasOff]);
            acc10 = acc11 = FloatVector.broadcast(F, bias[biasOff + 1]);
            acc20 = acc21 = FloatVector.broadcast(F, bias[biasOff + 2]);
            acc30 = acc31 = FloatVector.broadcast(F, bias[biasOff + 3]);
        } else {
            acc00 = acc01 = acc10 = acc11 = acc20 = acc21 = acc30 = acc31 = FloatVector.zero(F);
        }
        for (int kk = 0; kk < kc; kk++) {
            int ak = aOff + kk, bk = bOff + kk * NR;
            FloatVector b0 = FloatVector.fromArray(F, b, bk);
            FloatVector b1 = FloatVector.fromArray(F, b, bk + L);
            FloatVector ar = FloatVector.broadcast(F, a[ak]);
            acc00 = ar.fma(b0, acc00);
            acc01 = ar.fma(b1, acc01);
            ar = FloatVector.broadcast(F, a[ak + r1]);
            acc10 = ar.fma(b0, acc10);
            acc11 = ar.fma(b1, acc11);
            ar = FloatVector.broadcast(F, a[ak + r2]);
            acc20 = ar.fma(b0, acc20);
            acc21 = ar.fma(b1, acc21);
            ar = FloatVector.broadcast(F, a[ak + r3]);
            acc30 = ar.fma(b0, acc30);
            acc31 = ar.fma(b1, acc31);
        }
        acc00.intoArray(c, c0);
        acc01.intoArray(c, c0 + L);
        acc10.intoArray(c, c1);
        acc11.intoArray(c, c1 + L);
        acc20.intoArray(c, c2);
        acc21.intoArray(c, c2 + L);
        acc30.intoArray(c, c3);
        acc31.intoArray(c, c3 + L);
    }

    /**
     * Whether {@link #kernel8} is used: with AVX-512's 32 vector registers its 16 accumulators, two
     * B vectors and a broadcast fit; with AVX2's 16 they would spill.
     */
    static final boolean WIDE = L >= 16;

    /**
     * {@link #kernel} for two consecutive panels at once: the 8 × NR tile at c[cOff + r·ldc + j],
     * rows 0–3 from the panel at aOff and rows 4–7 from the next one, at aOff + MR·kc (packA's
     * layout: A element (r, kk) at a[aOff + kk·MR + r]). Each element is summed exactly as
     * {@link #kernel} sums it.
     *
     * <p>Why 8 rows: 8 accumulators (4 × 2 vectors) are just the number of FMAs in flight that two FMA
     * units with a 4-cycle latency need, so any stall of a load shows; 16 leave slack. Measured on
     * L2-resident panels (Zen 5, AVX-512, one thread): 4 × 2 at 81–83% of the FMA peak, 8 × 2 at
     * 86–91%.
     *
     * <p>Why this kernel and {@link #kernel8Rows} are two copies of one loop: C2 takes the range checks
     * of a[…] out of a loop only where the index is the loop variable times a constant plus something
     * the loop does not change. With the step between k's and the stride between rows as parameters
     * (one method for both layouts), each of the 8 broadcasts kept a compare and a branch, and the
     * loop ran at 145 GFLOP/s in L1 on an Intel Xeon (AVX-512, two FMA units, whose ports those
     * branches and the index arithmetic share); with packA's constants written in, at 176 (medians of
     * 24 readings; that host's FMA peak is about 185 per core). The same sums in the same order.
     */
    static void kernel8(int kc, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int ldc,
                        boolean accumulate, float[] bias, int biasOff) {
        final int a4 = aOff + MR * kc, r1 = 1, r2 = 2, r3 = 3;
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
        } else if (bias != null) {
            acc00 = acc01 = FloatVector.broadcast(F, bias[biasOff]);
            acc10 = acc11 = FloatVector.broadcast(F, bias[biasOff + 1]);
            acc20 = acc21 = FloatVector.broadcast(F, bias[biasOff + 2]);
            acc30 = acc31 = FloatVector.broadcast(F, bias[biasOff + 3]);
            acc40 = acc41 = FloatVector.broadcast(F, bias[biasOff + 4]);
            acc50 = acc51 = FloatVector.broadcast(F, bias[biasOff + 5]);
            acc60 = acc61 = FloatVector.broadcast(F, bias[biasOff + 6]);
            acc70 = acc71 = FloatVector.broadcast(F, bias[biasOff + 7]);
        } else {
            acc00 = acc01 = acc10 = acc11 = acc20 = acc21 = acc30 = acc31 = FloatVector.zero(F);
            acc40 = acc41 = acc50 = acc51 = acc60 = acc61 = acc70 = acc71 = acc00;
        }
        for (int kk = 0; kk < kc; kk++) {
            int ak = aOff + kk * MR, ak4 = a4 + kk * MR, bk = bOff + kk * NR;
            FloatVector b0 = FloatVector.fromArray(F, b, bk);
            FloatVector b1 = FloatVector.fromArray(F, b, bk + L);
            FloatVector ar = FloatVector.broadcast(F, a[ak]);
            acc00 = ar.fma(b0, acc00);
            acc01 = ar.fma(b1, acc01);
            ar = FloatVector.broadcast(F, a[ak + r1]);
            acc10 = ar.fma(b0, acc10);
            acc11 = ar.fma(b1, acc11);
            ar = FloatVector.broadcast(F, a[ak + r2]);
            acc20 = ar.fma(b0, acc20);
            acc21 = ar.fma(b1, acc21);
            ar = FloatVector.broadcast(F, a[ak + r3]);
            acc30 = ar.fma(b0, acc30);
            acc31 = ar.fma(b1, acc31);
            ar = FloatVector.broadcast(F, a[ak4]);
            acc40 = ar.fma(b0, acc40);
            acc41 = ar.fma(b1, acc41);
            ar = FloatVector.broadcast(F, a[ak4 + r1]);
            acc50 = ar.fma(b0, acc50);
            acc51 = ar.fma(b1, acc51);
            ar = FloatVector.broadcast(F, a[ak4 + r2]);
            acc60 = ar.fma(b0, acc60);
            acc61 = ar.fma(b1, acc61);
            ar = FloatVector.broadcast(F, a[ak4 + r3]);
            acc70 = ar.fma(b0, acc70);
            acc71 = ar.fma(b1, acc71);
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

    /**
     * {@link #kernel8} for A read in place, rows rowStride apart: A element (r, kk) at
     * a[aOff + kk + r·rowStride] for r &lt; 4 and at a[a4 + kk + (r − 4)·rowStride] for the other four.
     * The same loop with a step of 1 between k's, so that C2 takes its range checks out too (see
     * {@link #kernel8}; a median of 160 GFLOP/s in L1 on the same host, against 145).
     */
    static void kernel8Rows(int kc, float[] a, int aOff, int a4, int rowStride, float[] b, int bOff,
                        float[] c, int cOff, int ldc, boolean accumulate, float[] bias, int biasOff) {
        int r1 = rowStride, r2 = 2 * rowStride, r3 = 3 * rowStride;
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
        } else if (bias != null) {
            acc00 = acc01 = FloatVector.broadcast(F, bias[biasOff]);
            acc10 = acc11 = FloatVector.broadcast(F, bias[biasOff + 1]);
            acc20 = acc21 = FloatVector.broadcast(F, bias[biasOff + 2]);
            acc30 = acc31 = FloatVector.broadcast(F, bias[biasOff + 3]);
            acc40 = acc41 = FloatVector.broadcast(F, bias[biasOff + 4]);
            acc50 = acc51 = FloatVector.broadcast(F, bias[biasOff + 5]);
            acc60 = acc61 = FloatVector.broadcast(F, bias[biasOff + 6]);
            acc70 = acc71 = FloatVector.broadcast(F, bias[biasOff + 7]);
        } else {
            acc00 = acc01 = acc10 = acc11 = acc20 = acc21 = acc30 = acc31 = FloatVector.zero(F);
            acc40 = acc41 = acc50 = acc51 = acc60 = acc61 = acc70 = acc71 = acc00;
        }
        for (int kk = 0; kk < kc; kk++) {
            int ak = aOff + kk, ak4 = a4 + kk, bk = bOff + kk * NR;
            FloatVector b0 = FloatVector.fromArray(F, b, bk);
            FloatVector b1 = FloatVector.fromArray(F, b, bk + L);
            FloatVector ar = FloatVector.broadcast(F, a[ak]);
            acc00 = ar.fma(b0, acc00);
            acc01 = ar.fma(b1, acc01);
            ar = FloatVector.broadcast(F, a[ak + r1]);
            acc10 = ar.fma(b0, acc10);
            acc11 = ar.fma(b1, acc11);
            ar = FloatVector.broadcast(F, a[ak + r2]);
            acc20 = ar.fma(b0, acc20);
            acc21 = ar.fma(b1, acc21);
            ar = FloatVector.broadcast(F, a[ak + r3]);
            acc30 = ar.fma(b0, acc30);
            acc31 = ar.fma(b1, acc31);
            ar = FloatVector.broadcast(F, a[ak4]);
            acc40 = ar.fma(b0, acc40);
            acc41 = ar.fma(b1, acc41);
            ar = FloatVector.broadcast(F, a[ak4 + r1]);
            acc50 = ar.fma(b0, acc50);
            acc51 = ar.fma(b1, acc51);
            ar = FloatVector.broadcast(F, a[ak4 + r2]);
            acc60 = ar.fma(b0, acc60);
            acc61 = ar.fma(b1, acc61);
            ar = FloatVector.broadcast(F, a[ak4 + r3]);
            acc70 = ar.fma(b0, acc70);
            acc71 = ar.fma(b1, acc71);
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

    /**
     * The 8-row tile of a strip whose first nr ≤ L columns are real (the rest of the packed strip is
     * zeros): one vector of accumulators per row, 8 chains of FMAs, so half the work of
     * {@link #kernel8} at the same rate. Sums each element as {@link #kernel8} does. Computed in
     * {@code tile} (8 × L, row stride L) and copied out, unless the strip is exactly one vector wide.
     */
    static void narrow8(int kc, float[] a, int aOff, int a4, int aStep, int rowStride, float[] b, int bOff,
                                float[] c, int cOff, int ldc, int nr, boolean accumulate, float[] bias, int biasOff,
                                float[] tile) {
        boolean direct = nr == L;
        float[] t = direct ? c : tile;
        int tOff = direct ? cOff : 0, ldt = direct ? ldc : L;
        if (accumulate && !direct) {
            for (int r = 0; r < 2 * MR; r++) {
                System.arraycopy(c, cOff + r * ldc, tile, r * L, nr);
            }
        }
        int r1 = rowStride, r2 = 2 * rowStride, r3 = 3 * rowStride;
        int t0 = tOff, t1 = t0 + ldt, t2 = t1 + ldt, t3 = t2 + ldt, t4 = t3 + ldt, t5 = t4 + ldt, t6 = t5 + ldt,
                t7 = t6 + ldt;
        FloatVector acc0, acc1, acc2, acc3, acc4, acc5, acc6, acc7;
        if (accumulate) {
            acc0 = FloatVector.fromArray(F, t, t0);
            acc1 = FloatVector.fromArray(F, t, t1);
            acc2 = FloatVector.fromArray(F, t, t2);
            acc3 = FloatVector.fromArray(F, t, t3);
            acc4 = FloatVector.fromArray(F, t, t4);
            acc5 = FloatVector.fromArray(F, t, t5);
            acc6 = FloatVector.fromArray(F, t, t6);
            acc7 = FloatVector.fromArray(F, t, t7);
        } else if (bias != null) {
            acc0 = FloatVector.broadcast(F, bias[biasOff]);
            acc1 = FloatVector.broadcast(F, bias[biasOff + 1]);
            acc2 = FloatVector.broadcast(F, bias[biasOff + 2]);
            acc3 = FloatVector.broadcast(F, bias[biasOff + 3]);
            acc4 = FloatVector.broadcast(F, bias[biasOff + 4]);
            acc5 = FloatVector.broadcast(F, bias[biasOff + 5]);
            acc6 = FloatVector.broadcast(F, bias[biasOff + 6]);
            acc7 = FloatVector.broadcast(F, bias[biasOff + 7]);
        } else {
            acc0 = acc1 = acc2 = acc3 = acc4 = acc5 = acc6 = acc7 = FloatVector.zero(F);
        }
        for (int kk = 0; kk < kc; kk++) {
            int ak = aOff + kk * aStep, ak4 = a4 + kk * aStep;
            FloatVector b0 = FloatVector.fromArray(F, b, bOff + kk * NR);
            acc0 = FloatVector.broadcast(F, a[ak]).fma(b0, acc0);
            acc1 = FloatVector.broadcast(F, a[ak + r1]).fma(b0, acc1);
            acc2 = FloatVector.broadcast(F, a[ak + r2]).fma(b0, acc2);
            acc3 = FloatVector.broadcast(F, a[ak + r3]).fma(b0, acc3);
            acc4 = FloatVector.broadcast(F, a[ak4]).fma(b0, acc4);
            acc5 = FloatVector.broadcast(F, a[ak4 + r1]).fma(b0, acc5);
            acc6 = FloatVector.broadcast(F, a[ak4 + r2]).fma(b0, acc6);
            acc7 = FloatVector.broadcast(F, a[ak4 + r3]).fma(b0, acc7);
        }
        acc0.intoArray(t, t0);
        acc1.intoArray(t, t1);
        acc2.intoArray(t, t2);
        acc3.intoArray(t, t3);
        acc4.intoArray(t, t4);
        acc5.intoArray(t, t5);
        acc6.intoArray(t, t6);
        acc7.intoArray(t, t7);
        if (!direct) {
            for (int r = 0; r < 2 * MR; r++) {
                System.arraycopy(tile, r * L, c, cOff + r * ldc, nr);
            }
        }
    }

    /**
     * One row of a packed B block (see {@link PanelB}) from a contiguous source:
     * dst[s·stripStride + row + jj] = src[from + s·NR + jj] while s·NR + jj &lt; len, then zeros
     * to the end of the last strip.
     */
    static void packRow(float[] src, int from, int len, float[] dst, int row, int stripStride) {
        packRow(src, from, 0, len, len, dst, row, stripStride);
    }

    /**
     * As {@link #packRow(float[], int, int, float[], int, int)}, but only positions q in [a, b)
     * come from src[from + q] (nothing outside them is read); the others are zero.
     */
    static void packRow(float[] src, int from, int a, int b, int len, float[] dst, int row, int stripStride) {
        FloatVector zero = FloatVector.zero(F);
        for (int q = 0, d = row; q < len; q += NR, d += stripStride) {
            if (q >= a && q + NR <= b) {
                FloatVector.fromArray(F, src, from + q).intoArray(dst, d);
                FloatVector.fromArray(F, src, from + q + L).intoArray(dst, d + L);
            } else if (q + NR <= a || q >= b) {
                zero.intoArray(dst, d);
                zero.intoArray(dst, d + L);
            } else {
                for (int jj = 0; jj < NR; jj++) {
                    dst[d + jj] = q + jj >= a && q + jj < b ? src[from + q + jj] : 0f;
                }
            }
        }
    }

    /**
     * dst[d : d+len) = src[s : s+len) for non-overlapping arrays, vector by vector. The runs
     * that im2col copies are short (an output row, often 8 to 35 floats), so instead of a scalar
     * tail the last vector is copied again, ending at len: it overlaps the previous one and writes
     * the same values.
     */
    static void copy(float[] src, int s, float[] dst, int d, int len) {
        if (len < L) {
            for (int i = 0; i < len; i++) {
                dst[d + i] = src[s + i];
            }
            return;
        }
        for (int i = 0; i < len - L; i += L) {
            FloatVector.fromArray(F, src, s + i).intoArray(dst, d + i);
        }
        FloatVector.fromArray(F, src, s + len - L).intoArray(dst, d + len - L);
    }

    // ---------------------------------------------------------------- splitting the work

    /**
     * How many pieces to cut {@code batches} independent M×N products into, over rows (in MR
     * panels) and columns (in NR strips), for {@link Parallel#forRange} with a grain of 1: the
     * fewest pieces per product that make batches·pieces a multiple of the threads, so that every
     * thread gets the same number. Columns are cut first, into at least a strip each, because every
     * piece packs its own B for the whole reduction: cutting rows packs the same B again (measured
     * at batch 1, 17×17, two threads: four row pieces per column piece, as this used to cut, left a
     * 1×7 convolution no faster on two threads than on one). Results do not depend on the choice
     * (see the class note).
     *
     * @return {rowPieces, columnPieces}
     */
    static int[] split(int threads, int batches, int m, int n) {
        int panels = (m + MR - 1) / MR, strips = (n + NR - 1) / NR;
        int perProduct = threads / gcd(Math.max(1, batches), threads);
        if (n < m) {
            // Few columns (8×8 at batch 1: 64 against 384 rows): A is the bigger operand, used only
            // N times, so each thread reads its own share of A and packs all of B.
            int rowPieces = Math.max(1, Math.min(perProduct, panels));
            int colPieces = Math.max(1, Math.min(strips, (perProduct + rowPieces - 1) / rowPieces));
            return new int[]{rowPieces, colPieces};
        }
        int colPieces = Math.max(1, Math.min(perProduct, strips));
        int rowPieces = Math.max(1, Math.min(panels, (perProduct + colPieces - 1) / colPieces));
        return new int[]{rowPieces, colPieces};
    }

    private static int gcd(int a, int b) {
        return b == 0 ? a : gcd(b, a % b);
    }

    /** Row range [lo, hi) of piece i of pieces, cut on MR boundaries. */
    static int rowStart(int i, int pieces, int m) {
        int panels = (m + MR - 1) / MR;
        return Math.min(m, (int) ((long) panels * i / pieces) * MR);
    }

    /** Column start of piece i of pieces, cut on NR boundaries. */
    static int columnStart(int i, int pieces, int n) {
        int strips = (n + NR - 1) / NR;
        return Math.min(n, (int) ((long) strips * i / pieces) * NR);
    }
}
