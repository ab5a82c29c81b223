package org.inceptionj.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class CachingAllocatorTest {
    private static final long MIB = 1L << 20;

    /** A device of {@code capacity} bytes: hands out increasing addresses, refuses (0) beyond capacity. */
    static final class FakeDevice implements DeviceMemory {
        final long capacity;
        final Map<Long, Long> live = new HashMap<>();
        long used;
        long next = 0x7f0000000000L;
        int allocCalls;
        int freeCalls;

        FakeDevice(long capacity) {
            this.capacity = capacity;
        }

        @Override
        public long alloc(long bytes) {
            allocCalls++;
            if (used + bytes > capacity) {
                return 0;
            }
            long p = next;
            next += bytes;
            live.put(p, bytes);
            used += bytes;
            return p;
        }

        @Override
        public void free(long ptr) {
            freeCalls++;
            Long b = live.remove(ptr);
            if (b == null) {
                throw new AssertionError("device free of unknown 0x" + Long.toHexString(ptr));
            }
            used -= b;
        }
    }

    @Test
    void roundsToSizeClasses() {
        assertEquals(512, CachingAllocator.blockSize(1));
        assertEquals(512, CachingAllocator.blockSize(512));
        assertEquals(1024, CachingAllocator.blockSize(513));
        assertEquals(MIB, CachingAllocator.blockSize(MIB));
        assertEquals(2 * MIB, CachingAllocator.blockSize(MIB + 1));
        assertEquals(4 * MIB, CachingAllocator.blockSize(3 * MIB));
        assertEquals(4 * MIB, CachingAllocator.blockSize(4 * MIB));
        assertThrows(IllegalArgumentException.class, () -> CachingAllocator.blockSize(0));
        assertThrows(IllegalArgumentException.class, () -> CachingAllocator.blockSize(-8));
    }

    @Test
    void reusesAFreedBlockOfTheSameClass() {
        FakeDevice dev = new FakeDevice(64 * MIB);
        try (CachingAllocator a = new CachingAllocator(dev)) {
            long p = a.alloc(1000);
            a.free(p);
            long q = a.alloc(900);           // also a 1024-byte block
            assertEquals(p, q);
            assertEquals(1, dev.allocCalls);
            long r = a.alloc(2000);          // another class: a new block
            assertNotEquals(p, r);
            assertEquals(2, dev.allocCalls);
            CachingAllocator.Stats s = a.stats();
            assertEquals(1024 + 2048, s.bytesInUse());
            assertEquals(0, s.bytesCached());
            assertEquals(1, s.cacheHits());
            assertEquals(2, s.deviceAllocations());
        }
    }

    @Test
    void countsInUseCachedAndPeak() {
        FakeDevice dev = new FakeDevice(64 * MIB);
        try (CachingAllocator a = new CachingAllocator(dev)) {
            long p = a.alloc(3 * MIB);       // 4 MiB block
            long q = a.alloc(100);           // 512
            assertEquals(4 * MIB + 512, a.stats().bytesInUse());
            a.free(p);
            CachingAllocator.Stats s = a.stats();
            assertEquals(512, s.bytesInUse());
            assertEquals(4 * MIB, s.bytesCached());
            assertEquals(4 * MIB + 512, s.peakBytesInUse());
            assertEquals(1, s.blocksInUse());
            assertEquals(1, s.blocksCached());
            assertEquals(4 * MIB + 512, s.deviceBytes());
            assertEquals(4 * MIB + 512, dev.used);   // cached blocks stay on the device
            assertEquals(4 * MIB, a.releaseCached());
            assertEquals(512, dev.used);
            a.free(q);
        }
        assertTrue(dev.live.isEmpty());
    }

    @Test
    void aRepeatedStepAllocatesOnTheDeviceOnlyOnce() {
        // the sizes of one (made-up) training step, several of each class, freed at the end of the step
        long[] step = {3 * 17 * 17 * 4, 64 * 147 * 147 * 4, 64 * 147 * 147 * 4, 192 * 35 * 35 * 4, 1000 * 4, 7, 7, 7};
        FakeDevice dev = new FakeDevice(1L << 30);
        try (CachingAllocator a = new CachingAllocator(dev)) {
            for (int s = 0; s < 5; s++) {
                List<Long> live = new ArrayList<>();
                for (long b : step) {
                    live.add(a.alloc(b));
                }
                for (long p : live) {
                    a.free(p);
                }
            }
            assertEquals(step.length, a.stats().deviceAllocations());
            assertEquals(4L * step.length, a.stats().cacheHits());
            assertEquals(0, a.stats().bytesInUse());
        }
    }

    @Test
    void outOfMemoryReleasesTheCacheAndRetries() {
        FakeDevice dev = new FakeDevice(10 * MIB);
        try (CachingAllocator a = new CachingAllocator(dev)) {
            long p = a.alloc(4 * MIB);
            a.free(p);                       // 4 MiB cached
            long q = a.alloc(8 * MIB);       // 4 + 8 > 10: refused, cache released, retried
            assertTrue(q != 0);
            CachingAllocator.Stats s = a.stats();
            assertEquals(1, s.releasesOnOom());
            assertEquals(0, s.bytesCached());
            assertEquals(8 * MIB, s.bytesInUse());
            assertEquals(8 * MIB, dev.used);
        }
    }

    @Test
    void outOfMemoryThatPersistsNamesTheSizeAndWhatIsInUse() {
        FakeDevice dev = new FakeDevice(10 * MIB);
        try (CachingAllocator a = new CachingAllocator(dev)) {
            a.alloc(8 * MIB);
            long small = a.alloc(1000);
            a.free(small);                   // 1 KiB cached, released before the retry
            DeviceOutOfMemoryException e = assertThrows(DeviceOutOfMemoryException.class, () -> a.alloc(3 * MIB));
            assertEquals(3 * MIB, e.requestedBytes());
            String m = e.getMessage();
            assertTrue(m.contains("cannot allocate 3.00 MiB (3145728 bytes, block 4194304)"), m);
            assertTrue(m.contains("after giving back 1.00 KiB of cached blocks"), m);
            assertTrue(m.contains("8.00 MiB in use in 1 blocks"), m);
            assertTrue(m.contains("peak 8.00 MiB"), m);
            assertEquals(8 * MIB, a.stats().bytesInUse());   // nothing changed but the released cache
        }
    }

    @Test
    void otherDeviceErrorsPassThrough() {
        DeviceMemory broken = new DeviceMemory() {
            @Override
            public long alloc(long bytes) {
                throw new IllegalStateException("cuMemAlloc failed: CUDA_ERROR_ILLEGAL_ADDRESS");
            }

            @Override
            public void free(long ptr) {
            }
        };
        try (CachingAllocator a = new CachingAllocator(broken)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> a.alloc(10));
            assertTrue(e.getMessage().contains("ILLEGAL_ADDRESS"));
            assertEquals(0, a.stats().releasesOnOom());
        }
    }

    @Test
    void rejectsDoubleAndForeignFrees() {
        FakeDevice dev = new FakeDevice(MIB);
        try (CachingAllocator a = new CachingAllocator(dev)) {
            long p = a.alloc(10);
            a.free(p);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.free(p));
            assertTrue(e.getMessage().contains("not a block in use"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> a.free(0x1234));
        }
    }

    @Test
    void closeFreesEverythingOnTheDevice() {
        FakeDevice dev = new FakeDevice(64 * MIB);
        CachingAllocator a = new CachingAllocator(dev);
        long p = a.alloc(5 * MIB);
        a.alloc(100);
        a.free(p);
        a.close();
        assertTrue(dev.live.isEmpty());
        assertEquals(0, dev.used);
        a.close();                            // idempotent
        assertThrows(IllegalStateException.class, () -> a.alloc(1));
    }

    @Test
    void formatsBytes() {
        assertEquals("512 B", CachingAllocator.formatBytes(512));
        assertEquals("3.00 KiB", CachingAllocator.formatBytes(3072));
        assertEquals("1.50 GiB", CachingAllocator.formatBytes(3L << 29));
        assertEquals("12.0 MiB", CachingAllocator.formatBytes(12 * MIB));
    }
}
