package org.inceptionj.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.SkipExecutionHook;

/**
 * {@link Transpose#transpose} moves a[aOff + r·aStride + k] to b[bOff + k·bStride + r] for 16 rows r and
 * the first {@code rows} rows k, bit for bit, and writes nothing else of b.
 */
class TransposeTest {
    /** Skips the property, with its reason, without 16-float vectors (rejecting every try would fail it). */
    static final class SixteenLanes implements SkipExecutionHook {
        @Override
        public SkipResult shouldBeSkipped(LifecycleContext context) {
            return Transpose.APPLIES ? SkipResult.doNotSkip() : SkipResult.skip(
                    "the transpose is written for 16-float vectors; this machine has " + Vectors.F.length());
        }
    }

    @Property(tries = 60)
    @AddLifecycleHook(SixteenLanes.class)
    void movesEveryValueAndNothingElse(@ForAll @IntRange(min = 1, max = 16) int rows,
                                       @ForAll @IntRange(min = 16, max = 40) int aStride,
                                       @ForAll @IntRange(min = 16, max = 40) int bStride,
                                       @ForAll @IntRange(min = 0, max = 9) int aOff,
                                       @ForAll @IntRange(min = 0, max = 9) int bOff) {
        float[] a = new float[aOff + 16 * aStride];
        for (int i = 0; i < a.length; i++) {
            a[i] = Float.intBitsToFloat(0x3f800000 + i * 977);   // every value distinct
        }
        float[] b = new float[bOff + 16 * bStride + 16];
        java.util.Arrays.fill(b, Float.NaN);
        Transpose.transpose(a, aOff, aStride, b, bOff, bStride, rows);
        for (int i = 0; i < b.length; i++) {
            int k = (i - bOff) / bStride, r = (i - bOff) % bStride;
            if (i >= bOff && k < rows && r < 16) {
                assertEquals(a[aOff + r * aStride + k], b[i], "b row " + k + " lane " + r + " (rows " + rows + ")");
            } else {
                assertEquals(Float.NaN, b[i], "b[" + i + "] written outside rows 0.." + (rows - 1));
            }
        }
    }
}
