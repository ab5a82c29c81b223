package org.inceptionj.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Random;
import java.util.stream.Stream;

import org.inceptionj.api.Conv2dSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Conv2dPointwise}, the 1×1 forward with positions in the lanes, called directly (so tested at
 * any vector width): the GEMM's bits, bit for bit, with bias or a batch-norm epilogue, on 1–3 threads;
 * within the reference. Planes with and without a partial last tile, output channels that leave the
 * last register tile part-filled, input channels in one range of sums or in several ({@link Conv2dPointwise#STEPS}).
 */
class Conv2dPointwiseTest {

    static Stream<Arguments> shapes() {
        return Stream.of(
                // name, n, cin, h, w, cout, kh, kw, spec, bias, seed
                new Conv2dTest.Case("35x35, 64 outputs (Mixed_5b's 1x1s): a partial last tile", 2, 40, 35, 35, 64, 1, 1,
                        Conv2dSpec.of(1, 0), true, 1),
                new Conv2dTest.Case("whole tiles only (48x32 = 16 x 96)", 2, 17, 48, 32, 8, 1, 1, Conv2dSpec.of(1, 0), true, 2),
                new Conv2dTest.Case("Cout 6: the last register tile half-filled", 3, 9, 29, 31, 6, 1, 1, Conv2dSpec.of(1, 0),
                        true, 3),
                new Conv2dTest.Case("Cout 1, Cin 1", 1, 1, 30, 33, 1, 1, 1, Conv2dSpec.of(1, 0), false, 4),
                new Conv2dTest.Case("Conv2d_3b's shape, smaller: 64 -> 80 at 37x37", 1, 64, 37, 37, 80, 1, 1,
                        Conv2dSpec.of(1, 0), false, 5),
                new Conv2dTest.Case("a plane one position past whole tiles", 2, 5, 1, 769, 7, 1, 1, Conv2dSpec.of(1, 0), true, 6),
                // Over more input channels than Conv2dPointwise.STEPS, the sums in ranges continued from memory.
                new Conv2dTest.Case("Cin 150: ranges of 64, 64 and 22, Cout 6, a partial last tile", 2, 150, 29, 31, 6, 1, 1,
                        Conv2dSpec.of(1, 0), true, 7),
                new Conv2dTest.Case("Cin 128: two whole ranges, 288 -> 64's layout", 1, 128, 35, 35, 64, 1, 1,
                        Conv2dSpec.of(1, 0), false, 8),
                new Conv2dTest.Case("Cin 65: a last range of one channel", 2, 65, 27, 29, 9, 1, 1, Conv2dSpec.of(1, 0), true, 9)
        ).map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void sameBitsAsTheGemmAndWithinTheReference(Conv2dTest.Case c) {
        Random r = new Random(c.seed());
        BatchNormEpilogue bn = Conv2dDirectTest.epilogue(r, c.cout());
        for (int threads = 1; threads <= 3; threads++) {
            try (CpuBackend cpu = new CpuBackend(new CpuConfig(threads, true))) {
                Conv2dDirectTest.againstTheGemm(c, threads, cpu, "pointwise", Conv2dPointwise::forward, bn);
            }
        }
    }

    /** What the backend sends here: 1×1, stride 1, unpadded, planes of 8 tiles or more, AVX-512, the setting on. */
    @Test
    void takesOnlyTheShapesItWasMeasuredFasterOn() {
        try (CpuBackend cpu = new CpuBackend(new CpuConfig(1, true));
             CpuBackend off = new CpuBackend(new CpuConfig(1, true, CpuConfig.defaultCacheBytes(), false))) {
            Conv2d.Geometry mixed5b = new Conv2d.Geometry(8, 192, 35, 35, 64, 1, 1, 35, 35, 1, 1, 0, 0, 1, 1);
            assertEquals(Gemm.WIDE, Conv2dPointwise.applies(cpu, mixed5b), "35x35, 16 lanes or not");
            assertFalse(Conv2dPointwise.applies(off, mixed5b), "blockedConv=false keeps the GEMM");
            assertFalse(Conv2dPointwise.applies(cpu, new Conv2d.Geometry(8, 768, 17, 17, 192, 1, 1, 17, 17, 1, 1, 0, 0, 1, 1)),
                    "17x17: 289 positions");
            assertFalse(Conv2dPointwise.applies(cpu, new Conv2d.Geometry(8, 192, 35, 35, 64, 3, 3, 35, 35, 1, 1, 1, 1, 1, 1)),
                    "3x3");
            assertFalse(Conv2dPointwise.applies(cpu, new Conv2d.Geometry(8, 192, 70, 70, 64, 1, 1, 35, 35, 2, 2, 0, 0, 1, 1)),
                    "stride 2");
            assertFalse(Conv2dPointwise.applies(cpu, new Conv2d.Geometry(8, 192, 35, 35, 64, 1, 1, 37, 37, 1, 1, 1, 1, 1, 1)),
                    "padded");
        }
    }
}
