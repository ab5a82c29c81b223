package org.inceptionj.conformance.onnx;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.inceptionj.api.Shape;
import org.junit.jupiter.api.Test;

/** The comparison is numpy.testing.assert_allclose(actual, expected, rtol=1e-3, atol=1e-7). */
class OnnxAllCloseTest {
    private static void check(float expected, float actual) {
        OnnxNodeCase.assertAllClose("y", Shape.of(1), new float[] {expected}, new float[] {actual},
                OnnxNodeCase.RTOL, OnnxNodeCase.ATOL);
    }

    @Test
    void toleranceIsRelativeToTheExpectedValue() {
        assertDoesNotThrow(() -> check(1000f, 1000.99f));
        assertThrows(AssertionError.class, () -> check(1000f, 1001.01f));
        assertDoesNotThrow(() -> check(0f, 1e-7f * 0.99f));
        assertThrows(AssertionError.class, () -> check(0f, 2e-7f));
        // |a − e| <= atol + rtol·|e|, not rtol·|a|: a = 1.0010005 is within rtol·|a| of e = 1 but not within rtol·|e|
        assertThrows(AssertionError.class, () -> check(1f, 1.0010005f));
    }

    @Test
    void nanAndInfinityMatchOnlyThemselves() {
        assertDoesNotThrow(() -> check(Float.NaN, Float.NaN));
        assertThrows(AssertionError.class, () -> check(Float.NaN, 0f));
        assertThrows(AssertionError.class, () -> check(0f, Float.NaN));
        assertDoesNotThrow(() -> check(Float.POSITIVE_INFINITY, Float.POSITIVE_INFINITY));
        assertThrows(AssertionError.class, () -> check(Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY));
        assertThrows(AssertionError.class, () -> check(Float.MAX_VALUE, Float.POSITIVE_INFINITY));
    }

    @Test
    void messageNamesTheWorstElementByIndex() {
        AssertionError e = assertThrows(AssertionError.class, () -> OnnxNodeCase.assertAllClose("output 'y'",
                Shape.of(2, 3), new float[] {0, 1, 2, 3, 4, 5}, new float[] {0, 1, 2, 3, 9, 5.5f}, 1e-3, 1e-7));
        assertTrue(e.getMessage().contains("2 of 6 elements"), e.getMessage());
        assertTrue(e.getMessage().contains("max abs diff 5.0 at [1,1]"), e.getMessage());
        assertEquals("[1,2]", OnnxNodeCase.index(Shape.of(2, 3), 5));
        assertEquals("[]", OnnxNodeCase.index(Shape.scalar(), 0));
    }
}
