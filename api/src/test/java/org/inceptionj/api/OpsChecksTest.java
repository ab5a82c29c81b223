package org.inceptionj.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
}
