package org.inceptionj.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** Ops' checks that come before any backend runs: tensors of two backends, optional features. */
class OpsChecksTest {

    @Test
    void aTensorOfAnotherBackendIsRefusedNamingTheOpAndEveryArgument() {
        try (HeapBackend a = new HeapBackend("a"); HeapBackend b = new HeapBackend("b");
             TensorScope scope = TensorScope.open()) {
            Tensor x = Ops.zeros(a, Shape.of(2, 3)), y = Ops.zeros(b, Shape.of(3));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ops.add(x, y));
            for (String part : new String[] {"add:", "[3] (argument 1) belongs to backend 'b'", "the others to 'a'",
                    "arguments: [2,3] on 'a', [3] on 'b'"}) {
                assertTrue(e.getMessage().contains(part), e.getMessage());
            }
        }
    }

    @Test
    void anOptionalFeatureTheBackendLeavesOutIsRefusedBeforeItRuns() {
        try (HeapBackend heap = new HeapBackend("heap", Set.of(OptionalFeature.CEIL_MODE, OptionalFeature.ASYMMETRIC_PADDING));
             TensorScope scope = TensorScope.open()) {
            Tensor x = Ops.zeros(heap, Shape.of(1, 2, 6, 6)), w = Ops.zeros(heap, Shape.of(3, 2, 3, 3));
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    () -> Ops.maxPool2d(x, new Pool2dSpec(3, 3, 2, 2, 0, 0, 0, 0, 1, 1, true, true)));
            assertTrue(e.getMessage().startsWith("maxPool2d: backend 'heap' does not support ceil mode"), e.getMessage());
            e = assertThrows(UnsupportedOperationException.class,
                    () -> Ops.conv2d(x, w, null, new Conv2dSpec(1, 1, 0, 1, 1, 1, 1, 1)));
            assertTrue(e.getMessage().startsWith("conv2d: backend 'heap' does not support asymmetric padding"), e.getMessage());
            // What it does support reaches the backend (whose compute this test backend does not have).
            e = assertThrows(UnsupportedOperationException.class, () -> Ops.conv2d(x, w, null, Conv2dSpec.of(1, 1)));
            assertEquals("HeapBackend has memory only", e.getMessage());
        }
    }

    @Test
    void featuresAreReadFromTheGeometry() {
        assertEquals(Set.of(), OptionalFeature.neededBy(Conv2dSpec.of(2, 0, 3)));
        assertEquals(Set.of(OptionalFeature.ASYMMETRIC_PADDING), OptionalFeature.neededBy(new Conv2dSpec(1, 1, 0, 0, 1, 0, 2, 2)));
        assertEquals(Set.of(), OptionalFeature.neededBy(Pool2dSpec.of(3, 1, 1).withCountIncludePad(false)));
        assertEquals(Set.of(OptionalFeature.ASYMMETRIC_PADDING, OptionalFeature.POOL_DILATION, OptionalFeature.CEIL_MODE),
                OptionalFeature.neededBy(new Pool2dSpec(3, 3, 2, 2, 1, 1, 0, 1, 2, 1, true, false)));
    }

    @Test
    void segmentsTravelBothWaysThroughTheDefaultsAndWrongSizesAreNamed() {
        try (HeapBackend heap = new HeapBackend("heap"); TensorScope scope = TensorScope.open();
             Arena arena = Arena.ofConfined()) {
            float[] values = {1.5f, -2f, 0f, 3.25f, -0f, 7f};
            MemorySegment native6 = arena.allocate(4L * values.length, 1);   // byte-aligned on purpose
            MemorySegment.copy(values, 0, native6, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, values.length);
            Tensor t = Ops.fromSegment(heap, Shape.of(2, 3), native6);
            assertArrayEquals(values, t.toArray());

            MemorySegment back = arena.allocate(4L * values.length + 1).asSlice(1);   // unaligned, exact size
            Ops.read(t, back);
            assertArrayEquals(values, back.toArray(ValueLayout.JAVA_FLOAT_UNALIGNED));

            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Ops.write(t, arena.allocate(20)));
            assertEquals("write: tensor [2,3] holds 6 floats (24 bytes), the memory segment has 20 bytes"
                    + " (slice it with asSlice(offset, bytes))", e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> Ops.read(t, MemorySegment.ofArray(new float[6]).asReadOnly()));
            assertEquals("read: the memory segment of 24 bytes for tensor [2,3] is read-only", e.getMessage());
            Arena closed = Arena.ofConfined();
            MemorySegment gone = closed.allocate(24);
            closed.close();
            assertThrows(IllegalStateException.class, () -> Ops.fromSegment(heap, Shape.of(6), gone));
        }
    }
}
