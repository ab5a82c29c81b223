package org.inceptionj.gpu;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A caching allocator in front of {@link DeviceMemory}, because {@code cuMemAlloc}/{@code cuMemFree}
 * synchronize the device and JCuda 11.7 has no stream-ordered {@code cuMemAllocAsync}. A training
 * step allocates the same sizes every step, so after the first step every allocation is a cache hit.
 *
 * <ul>
 *   <li><b>Size classes</b>: a request is rounded up to a multiple of 512 bytes up to 1 MiB, and to a
 *       multiple of 2 MiB above (the driver's large-page granularity, so the rounding costs no
 *       physical memory there). Waste is below 512 B or 2 MiB per block.</li>
 *   <li><b>Reuse</b>: a freed block goes to the cache of its size class; an allocation takes the
 *       most recently freed block of exactly its class (blocks are not split or merged).</li>
 *   <li><b>Out of memory</b>: when the device refuses, every cached block is freed and the allocation
 *       retried once; if it still fails, {@link DeviceOutOfMemoryException} names the requested size
 *       and what is in use.</li>
 *   <li><b>Stats</b>: bytes in use, cached, and the peak in use ({@link #stats()}).</li>
 * </ul>
 * Thread-safe (synchronized); the backend calls it from its one GPU thread anyway. Sizes are those
 * of the rounded blocks.
 *
 * <p>Tested here with a fake {@link DeviceMemory}; with {@link CudaDeviceMemory} it has never run.
 */
final class CachingAllocator implements AutoCloseable {
    static final long SMALL_LIMIT = 1L << 20;
    static final long SMALL_ROUND = 512;
    static final long LARGE_ROUND = 2L << 20;

    /** A snapshot of the allocator's counters. */
    record Stats(long bytesInUse, long bytesCached, long peakBytesInUse, int blocksInUse, int blocksCached,
                 long deviceAllocations, long cacheHits, long releasesOnOom) {
        /** What the allocator holds on the device: in use plus cached. */
        long deviceBytes() {
            return bytesInUse + bytesCached;
        }

        @Override
        public String toString() {
            return formatBytes(bytesInUse) + " in use in " + blocksInUse + " blocks, " + formatBytes(bytesCached)
                    + " cached in " + blocksCached + ", peak in use " + formatBytes(peakBytesInUse);
        }
    }

    private final DeviceMemory memory;
    private final Map<Long, Long> inUse = new HashMap<>();                 // address → block size
    private final TreeMap<Long, ArrayDeque<Long>> cache = new TreeMap<>(); // block size → free addresses
    private long bytesInUse;
    private long bytesCached;
    private int blocksCached;
    private long peak;
    private long deviceAllocations;
    private long cacheHits;
    private long releasesOnOom;
    private boolean closed;

    CachingAllocator(DeviceMemory memory) {
        this.memory = memory;
    }

    /** The block size a request of {@code bytes} gets (see the class comment). */
    static long blockSize(long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("CachingAllocator: size must be > 0, got " + bytes);
        }
        long round = bytes <= SMALL_LIMIT ? SMALL_ROUND : LARGE_ROUND;
        long blocks = (bytes + round - 1) / round;
        if (blocks > Long.MAX_VALUE / round) {
            throw new IllegalArgumentException("CachingAllocator: size " + bytes + " is too large");
        }
        return blocks * round;
    }

    /**
     * A device block of at least {@code bytes}: a cached one of its size class, else a new one.
     *
     * @throws DeviceOutOfMemoryException if the device refuses even after the cache was released
     */
    synchronized long alloc(long bytes) {
        checkOpen();
        long size = blockSize(bytes);
        ArrayDeque<Long> free = cache.get(size);
        long ptr;
        if (free != null && !free.isEmpty()) {
            ptr = free.pop();
            if (free.isEmpty()) {
                cache.remove(size);
            }
            bytesCached -= size;
            blocksCached--;
            cacheHits++;
        } else {
            ptr = memory.alloc(size);
            if (ptr == 0) {
                long released = releaseCached();
                releasesOnOom++;
                ptr = memory.alloc(size);
                if (ptr == 0) {
                    throw new DeviceOutOfMemoryException(String.format(Locale.ROOT,
                            "device out of memory: cannot allocate %s (%d bytes, block %d) after giving back %s of"
                                    + " cached blocks; %s in use in %d blocks (peak %s). Reduce the batch or image size",
                            formatBytes(bytes), bytes, size, formatBytes(released), formatBytes(bytesInUse),
                            inUse.size(), formatBytes(peak)), bytes);
                }
            }
            deviceAllocations++;
        }
        inUse.put(ptr, size);
        bytesInUse += size;
        peak = Math.max(peak, bytesInUse);
        return ptr;
    }

    /** Returns a block to the cache (not to the device). */
    synchronized void free(long ptr) {
        checkOpen();
        Long size = inUse.remove(ptr);
        if (size == null) {
            throw new IllegalArgumentException("CachingAllocator.free: 0x" + Long.toHexString(ptr)
                    + " is not a block in use (freed twice, or not from this allocator)");
        }
        bytesInUse -= size;
        cache.computeIfAbsent(size, s -> new ArrayDeque<>()).push(ptr);
        bytesCached += size;
        blocksCached++;
    }

    /** Gives every cached block back to the device; returns the bytes released. */
    synchronized long releaseCached() {
        long released = 0;
        for (Map.Entry<Long, ArrayDeque<Long>> e : cache.entrySet()) {
            for (long ptr : e.getValue()) {
                memory.free(ptr);
                released += e.getKey();
            }
        }
        cache.clear();
        bytesCached = 0;
        blocksCached = 0;
        return released;
    }

    /** The size of the block at {@code ptr}, which must be in use. */
    synchronized long blockSizeOf(long ptr) {
        Long size = inUse.get(ptr);
        if (size == null) {
            throw new IllegalArgumentException("CachingAllocator: 0x" + Long.toHexString(ptr) + " is not a block in use");
        }
        return size;
    }

    synchronized Stats stats() {
        return new Stats(bytesInUse, bytesCached, peak, inUse.size(), blocksCached, deviceAllocations, cacheHits,
                releasesOnOom);
    }

    /** Frees every block, cached and in use (tensors still open become unusable). Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        releaseCached();
        for (long ptr : inUse.keySet()) {
            memory.free(ptr);
        }
        inUse.clear();
        bytesInUse = 0;
        closed = true;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("CachingAllocator: closed");
        }
    }

    /** 512 B, 3.0 KiB, 1.50 GiB. */
    static String formatBytes(long b) {
        if (b < 1024) {
            return b + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = b;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, v < 10 ? "%.2f %s" : "%.1f %s", v, units[u]);
    }
}
