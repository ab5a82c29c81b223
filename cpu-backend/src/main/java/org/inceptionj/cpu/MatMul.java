package org.inceptionj.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.inceptionj.api.Tensor;

/**
 * Matrix product out[M,N] = op(a) · op(b):
 * <pre>
 *   out[m,n] = Σ_{k &lt; K} A[m,k] · B[k,n]
 *   A[m,k] = transA ? a[k,m] : a[m,k]     (a is [M,K], or [K,M] with transA)
 *   B[k,n] = transB ? b[n,k] : b[k,n]     (b is [K,N], or [N,K] with transB)
 * </pre>
 * out is overwritten. The plain path is the sum as a loop; the vectorized path hands the same
 * product to {@link Gemm}, whose packing absorbs the transpositions, except a few rows times a
 * transposed b (a fully connected layer at batch 1), which are dot products ({@link #dotRows}).
 */
final class MatMul {
    private MatMul() {
    }

    /** Writes out; reads a and b. */
    static void matmul(CpuBackend cpu, Tensor out, Tensor a, Tensor b, boolean transA, boolean transB) {
        int m = out.shape().dim(0), n = out.shape().dim(1);
        int k = transA ? a.shape().dim(0) : a.shape().dim(1);
        float[] o = CpuBackend.data(out), ad = CpuBackend.data(a), bd = CpuBackend.data(b);
        if (m == 0 || n == 0) {
            return;
        }
        // Strides of A[m,k] and B[k,n] in a's and b's arrays.
        int aRow = transA ? 1 : k, aCol = transA ? m : 1;
        int bRow = transB ? 1 : n, bCol = transB ? k : 1;
        if (cpu.vectorized() && m <= DOT_ROWS_MAX && aCol == 1 && bRow == 1) {
            dotRows(cpu, o, ad, bd, m, n, k);
        } else if (cpu.vectorized()) {
            matmulVector(cpu, o, ad, bd, m, n, k, aRow, aCol, bRow, bCol);
        } else {
            matmulPlain(cpu, o, ad, bd, m, n, k, aRow, aCol, bRow, bCol);
        }
    }

    /** One row of out per loop item; each sum runs over k in ascending order, in float. */
    private static void matmulPlain(CpuBackend cpu, float[] out, float[] a, float[] b, int m, int n, int k,
                                    int aRow, int aCol, int bRow, int bCol) {
        cpu.parallel().forRange(m, 1, (lo, hi) -> {
            for (int i = lo; i < hi; i++) {
                for (int j = 0; j < n; j++) {
                    float acc = 0f;
                    for (int p = 0; p < k; p++) {
                        acc += a[i * aRow + p * aCol] * b[p * bRow + j * bCol];
                    }
                    out[i * n + j] = acc;
                }
            }
        });
    }

    /** Rows of a up to this many take {@link #dotRows}. */
    static final int DOT_ROWS_MAX = 4;

    private static final VectorSpecies<Float> F = Vectors.F;
    private static final int L = F.length();

    /**
     * out = a · bᵀ for a few rows of a (a [M,K], b [N,K], both row-major), as M·N dot products along
     * the rows: a fully connected layer at batch 1, where b is the weight matrix (2048 × 1000, 8 MB)
     * and each weight is used once, so reading it in place beats packing it (measured 1.5 ms for the
     * GEMM's transposing pack and product). Each dot product runs on four vectors of partial sums
     * (k ≡ 0..4L−1 mod 4L), which are then added lane by lane in a fixed order, then the tail in
     * ascending k: the same bits on every thread count and every JIT tier (reduceLanes leaves its
     * order open, so it is not used).
     */
    private static void dotRows(CpuBackend cpu, float[] out, float[] a, float[] b, int m, int n, int k) {
        cpu.parallel().forRange(n, 32, (lo, hi) -> {
            float[] lanes = new float[L];
            for (int j = lo; j < hi; j++) {
                int bj = j * k;
                for (int i = 0; i < m; i++) {
                    int ai = i * k, p = 0;
                    FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
                    for (; p + 4 * L <= k; p += 4 * L) {
                        s0 = FloatVector.fromArray(F, a, ai + p).fma(FloatVector.fromArray(F, b, bj + p), s0);
                        s1 = FloatVector.fromArray(F, a, ai + p + L).fma(FloatVector.fromArray(F, b, bj + p + L), s1);
                        s2 = FloatVector.fromArray(F, a, ai + p + 2 * L).fma(FloatVector.fromArray(F, b, bj + p + 2 * L), s2);
                        s3 = FloatVector.fromArray(F, a, ai + p + 3 * L).fma(FloatVector.fromArray(F, b, bj + p + 3 * L), s3);
                    }
                    s0.add(s1).add(s2.add(s3)).intoArray(lanes, 0);
                    float sum = 0f;
                    for (int l = 0; l < L; l++) {
                        sum += lanes[l];
                    }
                    for (; p < k; p++) {
                        sum += a[ai + p] * b[bj + p];
                    }
                    out[i * n + j] = sum;
                }
            }
        });
    }

    /** A packed once and shared; each work piece (rows × columns of out) packs its own B blocks. */
    private static void matmulVector(CpuBackend cpu, float[] out, float[] a, float[] b, int m, int n, int k,
                                     int aRow, int aCol, int bRow, int bCol) {
        float[] packedA = Gemm.packA(cpu.parallel(), a, 0, aRow, aCol, m, k);
        int[] pieces = Gemm.split(cpu.parallel().threads(), 1, m, n);
        int rowPieces = pieces[0], colPieces = pieces[1];
        cpu.parallel().forRange(rowPieces * colPieces, 1, (lo, hi) -> {
            for (int t = lo; t < hi; t++) {
                int r = t / colPieces, c = t % colPieces;
                int m0 = Gemm.rowStart(r, rowPieces, m), m1 = Gemm.rowStart(r + 1, rowPieces, m);
                int n0 = Gemm.columnStart(c, colPieces, n), n1 = Gemm.columnStart(c + 1, colPieces, n);
                if (m0 < m1 && n0 < n1) {
                    Gemm.multiply(m, k, packedA, null,
                            (dst, k0, kc, q0, nc) -> packB(dst, b, bRow, bCol, k0, kc, q0, nc),
                            out, 0, n, m0, m1, n0, n1);
                }
            }
        });
    }

    /** B[k0 : k0+kc, n0 : n0+nc] in {@link Gemm.PanelB}'s packed layout, B[k,n] = b[k·bRow + n·bCol]. */
    private static void packB(float[] dst, float[] b, int bRow, int bCol, int k0, int kc, int n0, int nc) {
        int nr = Gemm.NR, stripStride = kc * nr;
        if (bCol == 1) {
            // b row-major [K,N]: row k of B is contiguous.
            for (int kk = 0; kk < kc; kk++) {
                Gemm.packRow(b, (k0 + kk) * bRow + n0, nc, dst, kk * nr, stripStride);
            }
            return;
        }
        // b is [N,K] (transB): read each of its rows along k, write down a strip; 16 whole rows of b at a
        // time as 16 × 16 transposes in registers where vectors hold 16 floats. Why: written one float at a
        // time down strips 32 floats wide, Inception-v3's fully connected layer at batch 8 (2048 → 1000)
        // took 1.50 ms of the eval forward, with the transposes 0.91 ms (in one process, alternating; ONNX
        // Runtime's Gemm 0.4 ms). The same values moved, so the same bits.
        for (int s = 0; s * nr < nc; s++) {
            int base = s * stripStride, jj = 0;
            for (; Transpose.APPLIES && jj + 16 <= nr && s * nr + jj + 16 <= nc; jj += 16) {
                int src = (n0 + s * nr + jj) * bCol + k0, kk = 0;
                for (; kk + 16 <= kc; kk += 16) {
                    Transpose.transpose(b, src + kk, bCol, dst, base + kk * nr + jj, nr, 16);
                }
                for (; kk < kc; kk++) {
                    for (int r = 0; r < 16; r++) {
                        dst[base + kk * nr + jj + r] = b[src + r * bCol + kk];
                    }
                }
            }
            for (; jj < nr; jj++) {
                int col = s * nr + jj;
                if (col < nc) {
                    int src = (n0 + col) * bCol + k0;
                    for (int kk = 0; kk < kc; kk++) {
                        dst[base + kk * nr + jj] = b[src + kk];
                    }
                } else {
                    for (int kk = 0; kk < kc; kk++) {
                        dst[base + kk * nr + jj] = 0f;
                    }
                }
            }
        }
    }
}
