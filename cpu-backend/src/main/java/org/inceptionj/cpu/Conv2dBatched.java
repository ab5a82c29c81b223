package org.inceptionj.cpu;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vectorized {@link Conv2d} forward and {@link Conv2dBackward} data gradient for small images
 * (Inception's later blocks at a 75×75 input run at 7×7, 3×3 and 1×1): one matrix product whose
 * columns run over r = (n, oh, ow) across the batch, instead of one product per image.
 * <pre>
 *   forward:  out [Cout, N·P] = W · col,            col[(ci,i,j), (n,oh,ow)] = x[n, ci, ih, iw]
 *   data:     colGrad [Cin·kh·kw, N·P] = Wᵀ · dy,   dy read as [Cout, (n,oh,ow)]; then col2im per image
 * </pre>
 * Part of the fast path; the plain loops in {@link Conv2d} and {@link Conv2dBackward} define the
 * results.
 *
 * <p>Why: {@link Gemm}'s micro-kernel works on {@link Gemm#NR} columns at a time (32 with
 * AVX-512), so a per-image product over 9 positions does the work of 32 columns for 9 useful ones,
 * and over a single position the work of 32 for 1; per-image products that small are also too
 * small to share out over threads. Across the batch there are N·P columns. The price is a copy:
 * the forward product is laid out [Cout, N·P] where out is [N, Cout, P], so it is written to
 * scratch and copied out, and the columns of both products are gathered across images.
 *
 * <p>Results are the same bits as the per-image path, for any thread count: Gemm sums every
 * element in one fixed order whatever columns its call covers, and col2im adds an image's terms in
 * the same order as {@link Conv2dBackwardCol2im} does (channel, i, j, then positions), because
 * with fewer than {@link #POSITIONS_BELOW} positions an image falls in one block there too.
 */
final class Conv2dBatched {
    private Conv2dBatched() {
    }

    private static final VectorSpecies<Float> F = Vectors.F;
    private static final int L = F.length();

    /** Convolutions with fewer output positions per image than this take this path (at most {@link Conv2dBackwardCol2im#POSITIONS}). */
    static final int POSITIONS_BELOW = 128;

    /**
     * Small images, more than one of them: a single image gains no columns from this layout, and the
     * per-image im2col moves whole runs where this gathers through a table.
     */
    static boolean applies(Conv2d.Geometry g) {
        return g.positions() < POSITIONS_BELOW && g.batch() > 1;
    }

    /** Per-thread scratch, grown on demand: the forward product (calling thread), a row being gathered, a colGrad block. */
    private static final ThreadLocal<float[]> PRODUCT = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> ROW = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> BLOCK = ThreadLocal.withInitial(() -> new float[0]);

    /** holder's array, replaced by a larger one when shorter than size: per-thread scratch that is grown, never shrunk. */
    static float[] scratch(ThreadLocal<float[]> holder, int size) {
        float[] a = holder.get();
        if (a.length < size) {
            a = new float[size];
            holder.set(a);
        }
        return a;
    }

    /**
     * Where each window cell reads its input: table[(i·kw + j)·P + oh·outW + ow] = ih·W + iw, the
     * offset in an input plane, or −1 where (ih, iw) falls in the padding. Why a table: at 3×3 or
     * 1×1 an output row is 1 to 3 positions, too short for the run-by-run copies of the per-image
     * im2col and col2im, whose bookkeeping per run then cost more than the values moved.
     */
    static int[] windowOffsets(Conv2d.Geometry g) {
        int p = g.positions();
        int[] table = new int[g.kh() * g.kw() * p];
        for (int i = 0; i < g.kh(); i++) {
            for (int j = 0; j < g.kw(); j++) {
                for (int oh = 0; oh < g.outH(); oh++) {
                    for (int ow = 0; ow < g.outW(); ow++) {
                        int ih = oh * g.strideH() - g.padTop() + i * g.dilationH();
                        int iw = ow * g.strideW() - g.padLeft() + j * g.dilationW();
                        boolean inside = ih >= 0 && ih < g.h() && iw >= 0 && iw < g.w();
                        table[(i * g.kw() + j) * p + oh * g.outW() + ow] = inside ? ih * g.w() + iw : -1;
                    }
                }
            }
        }
        return table;
    }

    /**
     * row[at + t] = col[c, r0 + t] for t &lt; len, across images (r = n·P + oh·outW + ow), c = (ci,i,j),
     * read through {@link #windowOffsets}.
     */
    static void gatherRow(float[] row, int at, float[] x, Conv2d.Geometry g, int[] window, int c, int r0, int len) {
        int p = g.positions(), khw = g.kh() * g.kw(), plane = g.h() * g.w(), image = g.cin() * plane;
        int ci = c / khw, cell = c % khw * p;
        // One division for the whole row, not one per image's run: at 1×1 a run is a single value.
        int first = r0 % p, xPlane = (r0 / p * g.cin() + ci) * plane;
        if (p == 1) {
            // 1×1 images: one window offset for the whole row (measured 3× faster than the loop below).
            int off = window[cell];
            for (int t = 0; t < len; t++, xPlane += image) {
                row[at + t] = off < 0 ? 0f : x[xPlane + off];
            }
            return;
        }
        for (int d = at, left = len; left > 0; first = 0, xPlane += image) {
            int run = Math.min(p - first, left);
            for (int pos = first; pos < first + run; pos++) {
                int off = window[cell + pos];
                row[d + pos - first] = off < 0 ? 0f : x[xPlane + off];
            }
            d += run;
            left -= run;
        }
    }

    /** Stride 1 with outW = W (the "same"-padded convolutions): rows of col are shifted planes of x ({@link #contiguousRow}). */
    static boolean contiguous(Conv2d.Geometry g) {
        return g.strideH() == 1 && g.strideW() == 1 && g.outW() == g.w();
    }

    /**
     * rows[at + kk] = col[c, r0 + kk] for kk &lt; kc, for stride 1 with outW = W (the "same"-padded
     * convolutions): position q = oh·W + ow of an image reads x[n, ci, q + (i·dH − padTop)·W + shift]
     * with shift = j·dW − padLeft, so each image's run is one copy of x's plane at an offset, zero
     * where the input row lies outside x, then zero at the |shift| columns of each output row where
     * the read wrapped into the neighbouring row (as {@link Conv2dIm2col} packs the forward's col).
     * Far fewer, longer copies than one per output row or a table lookup per value. May write up to
     * L − 1 floats past at + kc.
     */
    static void contiguousRow(float[] rows, int at, float[] x, Conv2d.Geometry g, int c, int r0, int kc) {
        int khw = g.kh() * g.kw(), ci = c / khw, i = c % khw / g.kw(), j = c % g.kw();
        int w = g.w(), plane = g.h() * w, p = g.positions();
        int rowShift = i * g.dilationH() - g.padTop(), shift = j * g.dilationW() - g.padLeft();
        int offset = rowShift * w + shift;   // x index of position q is the plane's start + q + offset
        // Positions whose input row is inside x, and whose read stays inside the plane.
        int rowLo = Math.max(0, -rowShift) * w, rowHi = Math.max(rowLo, Math.min(g.outH(), g.h() - rowShift) * w);
        int readLo = Math.max(rowLo, -offset), readHi = Math.min(rowHi, plane - offset);
        int edgeLo = shift < 0 ? 0 : w - Math.min(w, shift), edgeHi = shift < 0 ? Math.min(w, -shift) : w;
        for (int kk = 0, r = r0; kk < kc; ) {
            int n = r / p, q = r % p, len = Math.min(p - q, kc - kk), end = q + len;
            int d = at + kk - q;   // rows[d + q'] holds position q'
            int a = Math.clamp(readLo, q, end), b = Math.clamp(readHi, a, end);
            Arrays.fill(rows, d + q, d + a, 0f);
            if (b > a) {
                copySpill(x, (n * g.cin() + ci) * plane + a + offset, rows, d + a, b - a);
            }
            Arrays.fill(rows, d + b, d + end, 0f);
            if (shift != 0) {
                for (int rowStart = q - q % w; rowStart < end; rowStart += w) {
                    int from = Math.max(q, rowStart + edgeLo), to = Math.min(end, rowStart + edgeHi);
                    for (int e = from; e < to; e++) {
                        rows[d + e] = 0f;
                    }
                }
            }
            kk += len;
            r += len;
        }
    }

    /**
     * dst[d : d+len) = src[s : s+len) in whole vectors where both arrays have room: may write up to
     * L − 1 floats past the end, which the caller overwrites (the zeros after a run, the next run) or
     * leaves in a row's slack. Why: runs are one image's positions, 9 at 3×3 and 49 at 7×7, and one
     * vector copy of a short run costs far less than a value at a time.
     */
    private static void copySpill(float[] src, int s, float[] dst, int d, int len) {
        int span = (len + L - 1) / L * L;
        if (s + span > src.length || d + span > dst.length) {
            Gemm.copy(src, s, dst, d, len);
            return;
        }
        for (int t = 0; t < len; t += L) {
            FloatVector.fromArray(F, src, s + t).intoArray(dst, d + t);
        }
    }

    /**
     * out = bias + W · col over all images at once, in pieces of (output channels × columns);
     * each piece copies its part of the product into out.
     */
    static void forward(CpuBackend cpu, float[] out, float[] x, float[] w, float[] bias, Conv2d.Geometry g,
                        BatchNormEpilogue epilogue) {
        int k = g.depth(), cout = g.cout(), p = g.positions(), columns = g.batch() * p;
        boolean inPlace = Conv2d.weightsInPlace(columns);
        float[] a = inPlace ? w : Gemm.packA(cpu.parallel(), w, 0, k, 1, cout, k);
        int lda = inPlace ? k : Gemm.PACKED;
        float[] paddedBias = Gemm.padBias(bias, cout);
        float[] product = scratch(PRODUCT, cout * columns);
        // Pieces over columns first (a cut over rows would gather the same columns again), at
        // least two strips each; over rows only when there are too few columns for every thread.
        int threads = cpu.parallel().threads(), strips = (columns + Gemm.NR - 1) / Gemm.NR;
        int colPieces = Math.max(1, Math.min(2 * threads, strips / 2));
        int rowPieces = colPieces >= threads ? 1
                : Math.min((cout + Gemm.MR - 1) / Gemm.MR, (threads + colPieces - 1) / colPieces);
        // B = col [Cin·kh·kw, N·P]: each row built across images, as shifted plane copies or through the
        // window table, then cut into strips.
        // Plane copies pay from a vector's worth of positions per image; below that (3×3 and 1×1 images)
        // each image's run is a few values, and the window table gathers them for less bookkeeping.
        boolean contiguous = contiguous(g) && g.positions() >= L;
        int[] window = contiguous ? null : windowOffsets(g);
        Gemm.PanelB colPanel = (dst, k0, kc, q0, nc) -> {
            float[] row = scratch(ROW, nc + L);   // slack for contiguousRow's whole-vector copies
            for (int kk = 0; kk < kc; kk++) {
                if (contiguous) {
                    contiguousRow(row, 0, x, g, k0 + kk, q0, nc);
                } else {
                    gatherRow(row, 0, x, g, window, k0 + kk, q0, nc);
                }
                Gemm.packRow(row, 0, nc, dst, kk * Gemm.NR, kc * Gemm.NR);
            }
        };
        cpu.parallel().forRange(rowPieces * colPieces, 1, (lo, hi) -> {
            for (int t = lo; t < hi; t++) {
                int r = t / colPieces, c = t % colPieces;
                int m0 = Gemm.rowStart(r, rowPieces, cout), m1 = Gemm.rowStart(r + 1, rowPieces, cout);
                int q0 = Gemm.columnStart(c, colPieces, columns), q1 = Gemm.columnStart(c + 1, colPieces, columns);
                if (m0 >= m1 || q0 >= q1) {
                    continue;
                }
                Gemm.multiply(cout, k, a, lda, paddedBias, colPanel, product, 0, columns, m0, m1, q0, q1, epilogue);
                // product[co, n·P + q] is out[n, co, q]: copy each image's run.
                for (int co = m0; co < m1; co++) {
                    if (p == 1) {
                        // 1×1 images: product[co, n] is out[n, co], a strided copy.
                        for (int q = q0; q < q1; q++) {
                            out[q * cout + co] = product[co * columns + q];
                        }
                        continue;
                    }
                    for (int q = q0; q < q1; ) {
                        int n = q / p, at = q % p, len = Math.min(p - at, q1 - q);
                        System.arraycopy(product, co * columns + q, out, (n * cout + co) * p + at, len);
                        q += len;
                    }
                }
            }
        });
    }

    /**
     * dx from colGrad = Wᵀ · dy over all images of a piece at once. Pieces are (image range ×
     * channel group): a piece owns the dx planes of its images and channels, so no two write the
     * same element. Image ranges are only as many as keep at least four strips of columns each.
     */
    static void data(CpuBackend cpu, float[] dx, float[] dy, float[] w, Conv2d.Geometry g) {
        if (g.positions() == 1) {
            dataAtOnePosition(cpu, dx, dy, w, g);
            return;
        }
        int k = g.depth(), cout = g.cout(), p = g.positions(), batch = g.batch(), khw = g.kh() * g.kw();
        int plane = g.h() * g.w();
        // Wᵀ [Cin·kh·kw, Cout]: Wᵀ[(ci,i,j), co] = w[co·K + (ci,i,j)]; packed once, shared.
        float[] packedWt = Gemm.packA(cpu.parallel(), w, 0, 1, k, k, cout);
        int[] window = windowOffsets(g);
        boolean pointwise = g.pointwise();
        int threads = cpu.parallel().threads(), quads = (g.cin() + Gemm.MR - 1) / Gemm.MR;
        int chunks = Math.max(1, Math.min(Math.min(threads, batch), batch * p / (4 * Gemm.NR)));
        int groups = Math.max(1, Math.min(threads / chunks, quads));
        // B = dy [Cout, N·P]: row co gathered across images, then cut into strips.
        Gemm.PanelB dyPanel = (dst, k0, kc, q0, nc) -> {
            float[] row = scratch(ROW, nc);
            for (int kk = 0; kk < kc; kk++) {
                int co = k0 + kk;
                if (p == 1) {
                    // 1×1 images: row co of dy across images is a strided read.
                    for (int q = q0; q < q0 + nc; q++) {
                        row[q - q0] = dy[q * cout + co];
                    }
                } else {
                    for (int q = q0; q < q0 + nc; ) {
                        int n = q / p, at = q % p, len = Math.min(p - at, q0 + nc - q);
                        int src = (n * cout + co) * p + at, d = q - q0;
                        for (int t = 0; t < len; t++) {
                            row[d + t] = dy[src + t];
                        }
                        q += len;
                    }
                }
                Gemm.packRow(row, 0, nc, dst, kk * Gemm.NR, kc * Gemm.NR);
            }
        };
        cpu.parallel().forRange(chunks * groups, 1, (lo, hi) -> {
            for (int t = lo; t < hi; t++) {
                int chunk = t / groups, group = t % groups;
                int n0 = (int) ((long) batch * chunk / chunks), n1 = (int) ((long) batch * (chunk + 1) / chunks);
                int ci0 = Conv2dBackwardCol2im.groupStart(group, groups, g.cin());
                int ci1 = Conv2dBackwardCol2im.groupStart(group + 1, groups, g.cin());
                if (n0 >= n1 || ci0 >= ci1) {
                    continue;
                }
                int m0 = ci0 * khw, m1 = ci1 * khw, cols = (n1 - n0) * p;
                float[] block = scratch(BLOCK, (m1 - m0) * cols);
                // colGrad[m, q] lands at block[(m − m0)·cols + q − n0·P].
                Gemm.multiply(k, cout, packedWt, null, dyPanel, block, -m0 * cols - n0 * p, cols,
                        m0, m1, n0 * p, n1 * p);
                for (int n = n0; n < n1; n++) {
                    if (pointwise) {
                        // col2im is the identity: each dx plane is its row of colGrad, added to zero as
                        // below (so −0 comes out +0, the same bits), in one loop that C2 vectorizes;
                        // through the table this was most of a 1×1 layer's time on 3×3 and 7×7 planes.
                        for (int ci = ci0; ci < ci1; ci++) {
                            int dxPlane = (n * g.cin() + ci) * plane, src = (ci - ci0) * cols + (n - n0) * p;
                            for (int pos = 0; pos < p; pos++) {
                                dx[dxPlane + pos] = 0f + block[src + pos];
                            }
                        }
                        continue;
                    }
                    Arrays.fill(dx, (n * g.cin() + ci0) * plane, (n * g.cin() + ci1) * plane, 0f);
                    // col2im through the window table: per channel, (i, j), then positions, the
                    // order of Conv2dBackwardCol2im.scatterAdd.
                    for (int ci = ci0; ci < ci1; ci++) {
                        int dxPlane = (n * g.cin() + ci) * plane;
                        for (int ij = 0; ij < khw; ij++) {
                            int src = ((ci - ci0) * khw + ij) * cols + (n - n0) * p, cell = ij * p;
                            for (int pos = 0; pos < p; pos++) {
                                int off = window[cell + pos];
                                if (off >= 0) {
                                    dx[dxPlane + off] += block[src + pos];
                                }
                            }
                        }
                    }
                }
            }
        });
    }

    /**
     * dx where each image has one output position (Inception-v3's auxiliary 5×5 convolution on its
     * 5×5 input; the 1×1 grids of the default run's last modules): colGrad [Cin·kh·kw, N] has N
     * columns, too few to pay for packing Wᵀ, the A of {@link #data}'s product: for the auxiliary
     * head that is 3,200 × 768 floats gathered across rows of w, and 12 MB allocated anew each call,
     * 33 ms of a 1.4 s training step at batch 8. Here the product is its transpose, colGradᵀ [N,
     * Cin·kh·kw] = dy [N, Cout] · w [Cout, Cin·kh·kw]: dy is read in place as A and w's rows are B, as
     * they lie. Each element is the same sum as in {@link #data}, ascending co from zero, one FMA each
     * (a·b + c is the same whichever factor is broadcast), so the bits are the same. With one position
     * every tap (i, j) reads its own input cell, so each dx element takes at most one value, added to
     * zero as the scatter in {@link #data} adds it.
     */
    static void dataAtOnePosition(CpuBackend cpu, float[] dx, float[] dy, float[] w, Conv2d.Geometry g) {
        int k = g.depth(), cout = g.cout(), batch = g.batch(), khw = g.kh() * g.kw(), plane = g.h() * g.w();
        int[] window = windowOffsets(g);   // window[i·kw + j]: the input cell of tap (i, j), or −1
        float[] product = scratch(PRODUCT, batch * k);   // product[n·K + m] = colGrad[m, n]
        Arrays.fill(dx, 0, batch * g.cin() * plane, 0f);
        Gemm.PanelB wRows = (dst, k0, kc, q0, nc) -> {
            for (int kk = 0; kk < kc; kk++) {
                Gemm.packRow(w, (k0 + kk) * k + q0, nc, dst, kk * Gemm.NR, kc * Gemm.NR);
            }
        };
        int strips = (k + Gemm.NR - 1) / Gemm.NR, pieces = Math.min(strips, cpu.parallel().threads());
        cpu.parallel().forRange(pieces, 1, (lo, hi) -> {
            for (int t = lo; t < hi; t++) {
                int m0 = Gemm.columnStart(t, pieces, k), m1 = Gemm.columnStart(t + 1, pieces, k);
                if (m0 >= m1) {
                    continue;
                }
                Gemm.multiply(batch, cout, dy, cout, null, wRows, product, 0, k, 0, batch, m0, m1, null);
                for (int n = 0; n < batch; n++) {
                    for (int m = m0; m < m1; m++) {
                        int off = window[m % khw];
                        if (off >= 0) {
                            dx[(n * g.cin() + m / khw) * plane + off] += product[n * k + m];
                        }
                    }
                }
            }
        });
    }
}
