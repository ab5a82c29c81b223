package org.inceptionj.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ShapeTest {

    @Test
    void sizeStridesAndAxes() {
        Shape s = Shape.of(8, 3, 17, 19);
        assertEquals(8 * 3 * 17 * 19, s.size());
        assertArrayEquals(new int[] {3 * 17 * 19, 17 * 19, 19, 1}, s.strides());
        assertEquals(19, s.dim(-1));
        assertEquals(3, s.normalizeAxis(-1));
        assertEquals("[8,3,17,19]", s.toString());
        assertEquals(Shape.of(8, 5, 17, 19), s.with(1, 5));
        assertEquals(1, Shape.scalar().size());
        assertEquals(0, Shape.of(4, 0, 2).size());
    }

    @Test
    void isAValueAndCopiesItsInput() {
        int[] d = {2, 3};
        Shape s = Shape.of(d);
        d[0] = 7;
        assertEquals(Shape.of(2, 3), s);
        assertEquals(Shape.of(2, 3).hashCode(), s.hashCode());
        assertNotEquals(Shape.of(3, 2), s);
        s.dims()[0] = 9;
        assertEquals(2, s.dim(0));
    }

    @Test
    void rejectsBadDimensionsNamingThem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Shape.of(2, -1));
        assertTrue(e.getMessage().contains("[2, -1]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Shape.of(65536, 65536));
        assertTrue(e.getMessage().contains("65536"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Shape.of(2, 3).dim(2));
        assertTrue(e.getMessage().contains("axis 2") && e.getMessage().contains("[2,3]"), e.getMessage());
    }
}
