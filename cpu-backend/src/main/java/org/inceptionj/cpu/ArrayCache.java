package org.inceptionj.cpu;

import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.SoftReference;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Reuses the arrays of closed tensors, the CPU counterpart of the caching allocators of PyTorch
 * and cuDNN frameworks. Why: a batch-32 Inception-v3 forward allocates several gigabytes of
 * activations per pass; with fresh arrays the heap keeps growing between collections and every
 * new page is faulted in and zeroed by the operating system, which was measured to cost as much
 * as the arithmetic (passes alternating between 0.18 and 0.45 s per image). A loop repeats its
 * shapes, so arrays are matched by exact length only; short arrays (under {@value #MIN_LENGTH}
 * floats) are cheap for the JVM and are not kept. That bound was 64 Ki floats once; but the default
 * run's training step (batch 64 at 75×75, width 0.25) makes about 1,100 tensors a step below it (its
 * 3×3 and 1×1 grids), some 100 MB a step that the JVM zeroed and collected (a young collection
 * every second): at 2 Ki floats its step ran 3–9% faster (two threads, in one process, alternating).
 *
 * <p>At most {@code capBytes} are held, through {@link SoftReference}s: the garbage collector
 * clears them before it would throw {@link OutOfMemoryError}, so the cache can delay a collection
 * but never cause one to fail, whoever allocates. Memory stays flat over a long run: the cache
 * holds no more than one pass freed, and it is emptied when the backend closes.
 */
final class ArrayCache {
    /** Arrays shorter than this (8 KiB) are left to the JVM's allocator. */
    static final int MIN_LENGTH = 1 << 11;

    private final long capBytes;
    private final Map<Integer, ArrayDeque<SoftReference<float[]>>> free = new HashMap<>();
    /** Where the collector puts the references it cleared, so their bytes leave the count. */
    private final ReferenceQueue<float[]> cleared = new ReferenceQueue<>();
    private long cachedBytes;

    /** A cached array, remembering its length after the collector has taken the array. */
    private static final class Cached extends SoftReference<float[]> {
        final int length;

        Cached(float[] a, ReferenceQueue<float[]> q) {
            super(a, q);
            this.length = a.length;
        }
    }

    ArrayCache(long capBytes) {
        this.capBytes = capBytes;
    }

    /** A zero-filled array of {@code length} floats: a cached one cleared, or a new one. */
    float[] allocate(int length) {
        float[] a = take(length);
        if (a == null) {
            return new float[length];
        }
        Arrays.fill(a, 0f);
        return a;
    }

    /** An array of {@code length} floats holding whatever its last tensor left in it, or a new one. */
    float[] allocateStale(int length) {
        float[] a = take(length);
        return a == null ? new float[length] : a;
    }

    /** Hands back the array of a freed tensor; kept if it is long enough and fits under the cap. */
    synchronized void recycle(float[] a) {
        forgetCleared();
        long bytes = 4L * a.length;
        if (a.length < MIN_LENGTH || cachedBytes + bytes > capBytes) {
            return;
        }
        free.computeIfAbsent(a.length, k -> new ArrayDeque<>()).push(new Cached(a, cleared));
        cachedBytes += bytes;
    }

    /** Bytes held for reuse now (an upper bound: the collector may have cleared some). */
    synchronized long cachedBytes() {
        forgetCleared();
        return cachedBytes;
    }

    /** Drops every cached array; returns the bytes released to the garbage collector. */
    synchronized long clear() {
        long released = cachedBytes;
        free.clear();
        cachedBytes = 0;
        while (cleared.poll() != null) {
            // already out of the count
        }
        return released;
    }

    /** Takes the references the collector cleared out of their queues and out of the count. */
    private void forgetCleared() {
        for (Reference<? extends float[]> r; (r = cleared.poll()) != null; ) {
            Cached c = (Cached) r;
            ArrayDeque<SoftReference<float[]>> q = free.get(c.length);
            if (q != null && q.remove(c)) {
                cachedBytes -= 4L * c.length;
            }
        }
    }

    private synchronized float[] take(int length) {
        if (length < MIN_LENGTH) {
            return null;
        }
        forgetCleared();
        ArrayDeque<SoftReference<float[]>> q = free.get(length);
        while (q != null && !q.isEmpty()) {
            float[] a = q.poll().get();
            cachedBytes -= 4L * length;
            if (a != null) {
                return a;
            }
        }
        return null;
    }
}
