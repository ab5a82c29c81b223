package org.inceptionj.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The CPU matmul, plain and vectorized, against a double-precision reference written here from
 * the formula in {@code Backend#matmul}: out[m,n] = Σ_k op(a)[m,k]·op(b)[k,n].
 *
 * <p>Tolerance: |got − ref| ≤ 1e-5·√K·Σ_k |a·b| per element; a float sum of K terms is off by at
 * most about K·2⁻²⁴·Σ|terms|, below this bound for K up to about 27,000.
 */
class MatMulTest {

    record Case(int m, int n, int k, boolean transA, boolean transB, long seed) {
        Shape aShape() {
            return transA ? Shape.of(k, m) : Shape.of(m, k);
        }

        Shape bShape() {
            return transB ? Shape.of(n, k) : Shape.of(k, n);
        }

        /** op(a)[i,p] and op(b)[p,j] read from the stored arrays. */
        float a(float[] a, int i, int p) {
            return transA ? a[p * m + i] : a[i * k + p];
        }

        float b(float[] b, int p, int j) {
            return transB ? b[j * k + p] : b[p * n + j];
        }

        @Override
        public String toString() {
            return "a" + aShape() + (transA ? "ᵀ" : "") + " · b" + bShape() + (transB ? "ᵀ" : "");
        }
    }

    static float[] uniform(long seed, int size) {
        Random r = new Random(seed);
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = r.nextFloat() * 2 - 1;
        }
        return a;
    }

    /** out[0] the product in double, out[1] Σ_k |terms| per element. */
    static double[][] reference(Case c, float[] a, float[] b) {
        double[] out = new double[c.m() * c.n()], mag = new double[out.length];
        for (int i = 0; i < c.m(); i++) {
            for (int j = 0; j < c.n(); j++) {
                double sum = 0, abs = 0;
                for (int p = 0; p < c.k(); p++) {
                    double t = (double) c.a(a, i, p) * c.b(b, p, j);
                    sum += t;
                    abs += Math.abs(t);
                }
                out[i * c.n() + j] = sum;
                mag[i * c.n() + j] = abs;
            }
        }
        return new double[][]{out, mag};
    }

    static float[] run(Case c, int threads, boolean vectorized, float[] a, float[] b) {
        try (CpuBackend cpu = new CpuBackend(new CpuConfig(threads, vectorized));
             TensorScope _ = TensorScope.open()) {
            Tensor out = Ops.matmul(Ops.fromArray(cpu, c.aShape(), a), Ops.fromArray(cpu, c.bShape(), b),
                    c.transA(), c.transB());
            assertEquals(Shape.of(c.m(), c.n()), out.shape(), c.toString());
            return out.toArray();
        }
    }

    static void assertMatchesReference(Case c, String path, float[] got, double[][] ref) {
        double scale = 1e-5 * Math.sqrt(Math.max(1, c.k()));
        for (int i = 0; i < got.length; i++) {
            double err = Math.abs(got[i] - ref[0][i]);
            if (!(err <= scale * ref[1][i])) {
                fail(path + " " + c + ": out[" + i / c.n() + "," + i % c.n() + "] = " + got[i] + ", reference "
                        + ref[0][i] + " (error " + err + " > " + scale * ref[1][i] + ")");
            }
        }
    }

    static void check(Case c) {
        float[] a = uniform(c.seed(), c.m() * c.k()), b = uniform(c.seed() + 1, c.k() * c.n());
        double[][] ref = reference(c, a, b);
        assertMatchesReference(c, "plain", run(c, 1, false, a, b), ref);
        assertMatchesReference(c, "vectorized", run(c, 2, true, a, b), ref);
    }

    /** Sizes from 0 through past two AVX-512 vector widths, all four transpositions. */
    @Property(tries = 150)
    void randomShapesMatchReference(@ForAll @IntRange(min = 0, max = 40) int m,
                                    @ForAll @IntRange(min = 0, max = 40) int n,
                                    @ForAll @IntRange(min = 0, max = 40) int k,
                                    @ForAll boolean transA, @ForAll boolean transB, @ForAll long seed) {
        check(new Case(m, n, k, transA, transB, seed));
    }

    /**
     * Past every block of the GEMM (K &gt; KC = 256, N &gt; NC, M &gt; MC = 128 and not a multiple of
     * the 4-row tile), and Inception's classifier shape (pool features · fc weightᵀ): at batch 1 to
     * 4 dot products along the rows (MatMul.dotRows), with a tail past the vectors (K = 201), and at
     * 5 rows the GEMM again.
     */
    @ParameterizedTest(name = "[{0}x{2}]·[{2}x{1}] transA={3} transB={4}")
    @CsvSource({
            "133, 270, 300, false, false",
            "133, 270, 300, true, false",
            "133, 270, 300, false, true",
            "133, 270, 300, true, true",
            "4, 1000, 2048, false, true",
            "1, 1000, 2048, false, true",
            "3, 37, 201, false, true",
            "5, 37, 201, false, true",
            "1, 17, 600, false, false",
    })
    void largeShapesMatchReference(int m, int n, int k, boolean transA, boolean transB) {
        check(new Case(m, n, k, transA, transB, 7));
    }

    /** Same bits from two runs and from 1, 2 or 3 threads: each element is summed in one fixed order. */
    @ParameterizedTest(name = "[{0}x{2}]·[{2}x{1}]ᵀ")
    @CsvSource({"133, 270, 300", "2, 77, 300"})
    void resultsAreBitIdenticalAcrossRunsAndThreadCounts(int m, int n, int k) {
        Case c = new Case(m, n, k, false, true, 11);
        float[] a = uniform(1, c.m() * c.k()), b = uniform(2, c.k() * c.n());
        float[] vector1 = run(c, 1, true, a, b);
        assertArrayEquals(vector1, run(c, 1, true, a, b), "vectorized, two runs on 1 thread");
        assertArrayEquals(vector1, run(c, 2, true, a, b), "vectorized, 1 vs 2 threads");
        assertArrayEquals(vector1, run(c, 3, true, a, b), "vectorized, 1 vs 3 threads");
        float[] plain1 = run(c, 1, false, a, b);
        assertArrayEquals(plain1, run(c, 3, false, a, b), "plain, 1 vs 3 threads");
    }

    /** The primitive overwrites its output: stale contents must not leak in, even with K = 0. */
    @Test
    void outputIsOverwrittenNotAccumulated() {
        for (int k : new int[]{0, 5, 300}) {
            Case c = new Case(9, 19, k, false, false, 3);
            float[] a = uniform(1, c.m() * k), b = uniform(2, k * c.n());
            double[][] ref = reference(c, a, b);
            for (boolean vectorized : new boolean[]{false, true}) {
                try (CpuBackend cpu = new CpuBackend(new CpuConfig(2, vectorized));
                     TensorScope _ = TensorScope.open()) {
                    Tensor out = Ops.zeros(cpu, Shape.of(c.m(), c.n()));
                    float[] stale = new float[out.size()];
                    java.util.Arrays.fill(stale, 1e6f);
                    cpu.write(out, stale, 0);
                    cpu.matmul(out, Ops.fromArray(cpu, c.aShape(), a), Ops.fromArray(cpu, c.bShape(), b), false, false);
                    assertMatchesReference(c, vectorized ? "vectorized" : "plain", out.toArray(), ref);
                }
            }
        }
    }
}
