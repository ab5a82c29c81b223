package org.inceptionj.conformance.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.inceptionj.api.Conv2dSpec;
import org.junit.jupiter.api.Test;

/** ONNX auto_pad against the operator spec's own examples and its output-size rule. */
class OnnxPaddingTest {

    @Test
    void explicitPadsAreBeginsThenEnds() {
        long[] pads = {1, 0, 2, 3}; // [H_begin, W_begin, H_end, W_end]
        assertEquals(new OnnxPadding.Pad(1, 2), OnnxPadding.along("Conv", "NOTSET", pads, 0, 2, 7, 3, 2, 1));
        assertEquals(new OnnxPadding.Pad(0, 3), OnnxPadding.along("Conv", "NOTSET", pads, 1, 2, 5, 3, 2, 1));
        assertEquals(new OnnxPadding.Pad(0, 0), OnnxPadding.along("Conv", "NOTSET", null, 1, 2, 5, 3, 2, 1));
        assertEquals(new OnnxPadding.Pad(0, 0), OnnxPadding.along("Conv", "VALID", pads, 0, 2, 5, 3, 2, 1));
    }

    @Test
    void sameSplitsAnOddTotalByDirection() {
        // test_maxpool_2d_same_upper / _same_lower: 32x32, kernel 2, stride 1: total padding 1
        assertEquals(new OnnxPadding.Pad(0, 1), OnnxPadding.along("MaxPool", "SAME_UPPER", null, 0, 2, 32, 2, 1, 1));
        assertEquals(new OnnxPadding.Pad(1, 0), OnnxPadding.along("MaxPool", "SAME_LOWER", null, 0, 2, 32, 2, 1, 1));
        // test_conv_with_autopad_same: 5x5, kernel 3, stride 2: total 2, split 1/1
        assertEquals(new OnnxPadding.Pad(1, 1), OnnxPadding.along("Conv", "SAME_LOWER", null, 0, 2, 5, 3, 2, 1));
        // in 6, kernel 1, stride 4: out 2 needs no padding at all
        assertEquals(new OnnxPadding.Pad(0, 0), OnnxPadding.along("Conv", "SAME_UPPER", null, 0, 2, 6, 1, 4, 1));
    }

    @Test
    void badAttributesAreRejected() {
        assertThrows(OnnxFormatException.class, () -> OnnxPadding.along("Conv", "SAME", null, 0, 2, 5, 3, 1, 1));
        assertThrows(OnnxFormatException.class, () -> OnnxPadding.along("Conv", "NOTSET", new long[] {1, 1}, 0, 2, 5, 3, 1, 1));
        assertThrows(OnnxFormatException.class, () -> OnnxPadding.along("Conv", "NOTSET", new long[] {-1, 0, 0, 0}, 0, 2, 5, 3, 1, 1));
    }

    /** SAME_* gives out = ⌈in/stride⌉ through the floor output formula, with each side within the kernel extent. */
    @Property(tries = 200)
    void sameGivesCeilOfInOverStride(@ForAll @IntRange(min = 1, max = 40) int in, @ForAll @IntRange(min = 1, max = 7) int k,
                                     @ForAll @IntRange(min = 1, max = 5) int s, @ForAll @IntRange(min = 1, max = 3) int d,
                                     @ForAll boolean upper) {
        OnnxPadding.Pad p = OnnxPadding.along("Conv", upper ? "SAME_UPPER" : "SAME_LOWER", null, 0, 2, in, k, s, d);
        Conv2dSpec spec = new Conv2dSpec(s, 1, p.begin(), 0, p.end(), 0, d, 1);
        assertEquals((in + s - 1) / s, spec.outH(in, k));
        int extent = (k - 1) * d + 1;
        assertEquals(true, p.begin() <= extent - 1 && p.end() <= extent - 1, p.toString());
        assertEquals(true, Math.abs(p.begin() - p.end()) <= 1, p.toString());
    }
}
