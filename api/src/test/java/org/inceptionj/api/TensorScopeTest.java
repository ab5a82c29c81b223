package org.inceptionj.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TensorScopeTest {
    private final HeapBackend be = new HeapBackend("heap");

    @Test
    void closesWhatItOwnsAndKeepsWhatIsMovedOut() {
        Tensor kept;
        Tensor temp;
        try (TensorScope outer = TensorScope.open()) {
            try (TensorScope inner = TensorScope.open()) {
                temp = Ops.zeros(be, Shape.of(4, 4));
                kept = inner.keep(Ops.fromArray(be, Shape.of(2), 1f, 2f));
                assertEquals(1, inner.ownedCount());
            }
            assertTrue(temp.isClosed());
            assertFalse(kept.isClosed());
            assertEquals(1, outer.ownedCount());
            assertArrayEquals(new float[] {1f, 2f}, kept.toArray());
        }
        assertTrue(kept.isClosed());
        assertEquals(0, be.liveBytes());
    }

    @Test
    void keepFromTheOutermostScopeHandsOwnershipToTheCaller() {
        Tensor t;
        try (TensorScope s = TensorScope.open()) {
            t = s.keep(Ops.zeros(be, Shape.of(3)));
        }
        assertFalse(t.isClosed());
        t.close();
        t.close(); // idempotent
        assertEquals(0, be.liveBytes());
    }

    @Test
    void closingAnOuterScopeClosesInnerScopesLeftOpen() {
        Tensor t;
        TensorScope outer = TensorScope.open();
        TensorScope.open(); // left open, as after an exception
        t = Ops.zeros(be, Shape.of(5));
        outer.close();
        assertTrue(t.isClosed());
        assertEquals(null, TensorScope.current());
        assertEquals(0, be.liveBytes());
    }

    @Test
    void aClosedTensorIsRejectedNamingItsShape() {
        Tensor t = Ops.zeros(be, Shape.of(2, 7));
        t.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, t::toArray);
        assertTrue(e.getMessage().contains("[2,7]") && e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void keepRejectsATensorItDoesNotOwn() {
        Tensor loose = Ops.zeros(be, Shape.of(1));
        try (TensorScope s = TensorScope.open()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.keep(loose));
            assertTrue(e.getMessage().contains("not owned"), e.getMessage());
        }
        loose.close();
    }

    @Test
    void tensorsOfAnotherBackendAreRejected() {
        HeapBackend other = new HeapBackend("other");
        try (TensorScope s = TensorScope.open()) {
            Tensor a = Ops.zeros(be, Shape.of(2));
            Tensor b = Ops.zeros(other, Shape.of(2));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ops.add(a, b));
            assertTrue(e.getMessage().contains("add") && e.getMessage().contains("'other'"), e.getMessage());
        }
    }

    @Test
    void fromArrayNamesTheMismatch() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Ops.fromArray(be, Shape.of(2, 2), 1f, 2f, 3f));
        assertTrue(e.getMessage().contains("[2,2]") && e.getMessage().contains("got 3"), e.getMessage());
        assertEquals(0, be.liveBytes());
    }

    @Test
    void detachHandsATensorToTheCallerFromAnyDepth() {
        Tensor t;
        try (TensorScope outer = TensorScope.open()) {
            try (TensorScope inner = TensorScope.open()) {
                t = TensorScope.detach(Ops.zeros(be, Shape.of(6)));
                assertEquals(0, inner.ownedCount());
            }
            assertEquals(0, outer.ownedCount());
        }
        assertFalse(t.isClosed());
        t.close();
        assertEquals(0, be.liveBytes());
    }
}
