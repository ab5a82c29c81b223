package org.inceptionj.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The GEMM core's blocking along k: where the blocks end changes no bit. */
class GemmTest {

    @Test
    void blocksAlongKAreAsEqualAsTheyCome() {
        assertEquals(144, Gemm.blockDepth(288), "288 = 144 + 144, not 256 + 32");
        assertEquals(Gemm.KC, Gemm.blockDepth(768));
        assertEquals(Gemm.KC, Gemm.blockDepth(Gemm.KC));
        assertEquals(32, Gemm.blockDepth(32));
        for (int k = 1; k <= 5000; k++) {
            int depth = Gemm.blockDepth(k), blocks = (k + depth - 1) / depth, last = k - (blocks - 1) * depth;
            assertTrue(depth <= Gemm.KC, "k " + k + ": depth " + depth + " over KC");
            assertEquals((k + Gemm.KC - 1) / Gemm.KC, blocks, "k " + k + ": more blocks than KC needs");
            assertTrue(last >= depth - (blocks - 1), "k " + k + ": last block " + last + " of depth " + depth);
        }
    }

    @Test
    void shortReductionsPackWiderColumnBlocksOfAboutTheSameSize() {
        assertEquals(Gemm.NC, Gemm.columnBlock(Gemm.KC));
        assertEquals(448, Gemm.columnBlock(144), "288 deep: blocks of 144, 448 columns (455 floored to strips)");
        assertEquals(4 * Gemm.NC, Gemm.columnBlock(Gemm.KC / 4));
        for (int depth = 1; depth <= Gemm.KC; depth++) {
            int columns = Gemm.columnBlock(depth);
            assertEquals(0, columns % Gemm.NR, "depth " + depth + ": " + columns + " columns, not whole strips");
            assertTrue(columns >= Gemm.NC, "depth " + depth + ": " + columns + " columns");
            assertTrue((long) columns * depth <= (long) Gemm.KC * Gemm.NC, "depth " + depth + ": block of "
                    + columns + " columns over KC·NC floats");
        }
    }

    /**
     * Each element of C is one chain of FMAs in ascending k from zero, so it equals Math.fma's chain bit
     * for bit, whatever the blocks: past one block (300, 513), a short last block of the old split (288),
     * one block (144); rows past the 8-row tile and columns past a strip and past NC; short reductions
     * whose column blocks are wider than NC (64: blocks of 1024, the last one partial; 100: of 640).
     */
    @ParameterizedTest(name = "[{0}x{2}]·[{2}x{1}]")
    @CsvSource({"70, 300, 288", "13, 41, 513", "133, 270, 300", "8, 33, 144", "20, 2100, 64", "12, 1500, 100"})
    void everyElementIsOneFmaChainInAscendingK(int m, int n, int k) {
        Random random = new Random(m * 31L + n * 7L + k);
        float[] a = new float[m * k], b = new float[k * n];
        for (int i = 0; i < a.length; i++) {
            a[i] = random.nextFloat() * 2 - 1;
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = random.nextFloat() * 2 - 1;
        }
        float[] want = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float acc = 0f;
                for (int kk = 0; kk < k; kk++) {
                    acc = Math.fma(a[i * k + kk], b[kk * n + j], acc);
                }
                want[i * n + j] = acc;
            }
        }
        try (CpuBackend cpu = new CpuBackend(new CpuConfig(2, true))) {
            float[] packed = Gemm.packA(cpu.parallel(), a, 0, k, 1, m, k);
            float[] c = new float[m * n];
            Gemm.PanelB rows = (dst, k0, kc, n0, nc) -> {
                for (int kk = 0; kk < kc; kk++) {
                    Gemm.packRow(b, (k0 + kk) * n + n0, nc, dst, kk * Gemm.NR, kc * Gemm.NR);
                }
            };
            Gemm.multiply(m, k, packed, null, rows, c, 0, n, 0, m, 0, n);
            assertArrayEquals(want, c);
        }
    }
}
