package org.inceptionj.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Static-partition parallel loops. [0, n) is cut into at most {@code threads} contiguous chunks
 * in a fixed way, and every output element is written by exactly one chunk with no cross-chunk
 * reduction, so results do not depend on scheduling: deterministic for a given thread count
 * (and, for every kernel here, for any thread count).
 */
final class Parallel implements AutoCloseable {

    /** The body of a loop over [lo, hi). */
    @FunctionalInterface
    interface Range {
        void run(int lo, int hi);
    }

    private final int threads;
    private final ExecutorService pool;

    Parallel(int threads) {
        this.threads = threads;
        if (threads > 1) {
            AtomicInteger id = new AtomicInteger();
            this.pool = Executors.newFixedThreadPool(threads - 1, r -> {
                Thread t = new Thread(r, "inceptionj-cpu-" + id.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
        } else {
            this.pool = null;
        }
    }

    int threads() {
        return threads;
    }

    /**
     * Runs body over [0, n) in up to {@code threads} chunks, the calling thread taking the first.
     * Work below {@code grain} items per chunk is not split further.
     */
    void forRange(int n, int grain, Range body) {
        int chunks = Math.min(threads, Math.max(1, n / Math.max(1, grain)));
        if (chunks <= 1 || pool == null || isWorker()) {
            if (n > 0) {
                body.run(0, n);
            }
            return;
        }
        List<Future<?>> futures = new ArrayList<>(chunks - 1);
        for (int c = 1; c < chunks; c++) {
            int lo = (int) ((long) n * c / chunks), hi = (int) ((long) n * (c + 1) / chunks);
            futures.add(pool.submit(() -> body.run(lo, hi)));
        }
        RuntimeException failure = null;
        try {
            body.run(0, (int) ((long) n / chunks));
        } catch (RuntimeException e) {
            failure = e;
        }
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (ExecutionException e) {
                if (failure == null) {
                    failure = e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("cpu backend: interrupted while waiting for workers", e);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Nested parallel loops run inline on the worker, so a kernel can never deadlock the pool. */
    private static boolean isWorker() {
        return Thread.currentThread().getName().startsWith("inceptionj-cpu-");
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
