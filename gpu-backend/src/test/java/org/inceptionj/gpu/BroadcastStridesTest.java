package org.inceptionj.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.inceptionj.api.Shape;
import org.junit.jupiter.api.Test;

/** The strides the binary kernel reads its inputs with (NumPy broadcasting), on the host: no GPU needed. */
class BroadcastStridesTest {
    private static int[] strides(Shape in, Shape out) {
        int[] s = CudaBackend.broadcastStrides(in, out);
        int[] r = new int[out.rank()];
        System.arraycopy(s, 0, r, 0, r.length);
        return r;
    }

    @Test
    void sameShapeIsContiguous() {
        assertArrayEquals(new int[] {12, 4, 1}, strides(Shape.of(2, 3, 4), Shape.of(2, 3, 4)));
    }

    @Test
    void missingLeadingAxesAndOnesBroadcast() {
        assertArrayEquals(new int[] {0, 0, 1}, strides(Shape.of(4), Shape.of(2, 3, 4)));
        assertArrayEquals(new int[] {0, 1, 0}, strides(Shape.of(3, 1), Shape.of(2, 3, 4)));
        assertArrayEquals(new int[] {1, 0, 0}, strides(Shape.of(2, 1, 1), Shape.of(2, 3, 4)));
        assertArrayEquals(new int[] {0, 0}, strides(Shape.scalar(), Shape.of(5, 6)));
    }

    @Test
    void anAxisOfOneAgainstOneKeepsItsStride() {
        // extent 1 in both: the stride does not matter (coordinate 0), the kernel gets the own one
        assertArrayEquals(new int[] {1, 1}, strides(Shape.of(1, 1), Shape.of(1, 1)));
    }
}
