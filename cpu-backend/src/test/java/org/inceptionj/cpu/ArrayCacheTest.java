package org.inceptionj.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.Arrays;

import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.junit.jupiter.api.Test;

class ArrayCacheTest {
    private static final int N = ArrayCache.MIN_LENGTH;

    @Test
    void aRecycledArrayComesBackZeroFilledForTheSameLengthOnly() {
        ArrayCache cache = new ArrayCache(1L << 30);
        float[] a = cache.allocate(N);
        Arrays.fill(a, 3f);
        cache.recycle(a);
        assertEquals(4L * N, cache.cachedBytes());
        float[] other = cache.allocate(N + 1);
        assertNotSame(a, other, "another length gets a new array");
        float[] again = cache.allocate(N);
        assertSame(a, again, "the same length reuses the array");
        assertEquals(0, cache.cachedBytes());
        for (float v : again) {
            assertEquals(0f, v);
        }
    }

    @Test
    void shortArraysAreNotKeptAndTheCapHolds() {
        ArrayCache cache = new ArrayCache(4L * N + 4L * N / 2);
        cache.recycle(new float[ArrayCache.MIN_LENGTH - 1]);
        assertEquals(0, cache.cachedBytes(), "short arrays are left to the JVM");
        cache.recycle(new float[N]);
        cache.recycle(new float[N]);
        assertEquals(4L * N, cache.cachedBytes(), "the second array would pass the cap");
        assertEquals(4L * N, cache.clear());
        assertEquals(0, cache.cachedBytes());
        ArrayCache off = new ArrayCache(0);
        off.recycle(new float[N]);
        assertEquals(0, off.cachedBytes(), "cap 0 turns the cache off");
    }

    /** The backend contract: allocate gives zeros, also when the memory is a closed tensor's. */
    @Test
    void theBackendReusesClosedTensorsAndStillAllocatesZeros() {
        try (CpuBackend backend = new CpuBackend(new CpuConfig(2, true, 1L << 30))) {
            Shape s = Shape.of(2, N);
            Tensor t = Ops.full(backend, s, 7f);
            t.close();
            assertEquals(0, backend.liveBytes());
            assertEquals(8L * N, backend.cachedBytes());
            Tensor u = backend.allocate(s);
            assertEquals(0, backend.cachedBytes(), "the freed array was taken");
            for (float v : u.toArray()) {
                assertEquals(0f, v);
            }
            u.close();
        }
    }

    @Test
    void closingTheBackendEmptiesTheCache() {
        CpuBackend backend = new CpuBackend(new CpuConfig(1, true, 1L << 30));
        backend.allocate(Shape.of(N)).close();
        assertEquals(4L * N, backend.cachedBytes());
        backend.close();
        assertEquals(0, backend.cachedBytes());
    }

    @Test
    void thePeakOfLiveBytesIsTheMostHeldAtOnceUntilReset() {
        try (CpuBackend be = new CpuBackend(new CpuConfig(1, false))) {
            Tensor a = Ops.zeros(be, Shape.of(1000));
            try (Tensor b = Ops.zeros(be, Shape.of(2000))) {
                assertEquals(12_000, be.peakLiveBytes());
            }
            Tensor c = Ops.zeros(be, Shape.of(500));
            assertEquals(12_000, be.peakLiveBytes(), "freeing does not lower the peak");
            be.resetPeakLiveBytes();
            assertEquals(6_000, be.peakLiveBytes(), "a reset starts from what is live");
            a.close();
            c.close();
            assertEquals(6_000, be.peakLiveBytes());
        }
    }

    @Test
    void emptyReusesARecycledArrayWithoutClearingItAndAllocateClearsIt() {
        try (CpuBackend be = new CpuBackend(new CpuConfig(1, false))) {
            int n = ArrayCache.MIN_LENGTH;
            Ops.full(be, Shape.of(n), 7f).close();
            try (Tensor e = be.empty(Shape.of(n))) {
                assertEquals(7f, e.toArray()[n - 1], "the recycled array, as its last tensor left it");
            }
            try (Tensor z = be.allocate(Shape.of(n))) {
                float[] v = z.toArray();
                assertEquals(0f, v[0]);
                assertEquals(0f, v[n - 1]);
            }
        }
    }
}
