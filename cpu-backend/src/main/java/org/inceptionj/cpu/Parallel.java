package org.inceptionj.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Static-partition parallel loops. [0, n) is cut into at most {@code threads} contiguous chunks
 * in a fixed way, and every output element is written by exactly one chunk with no cross-chunk
 * reduction, so results do not depend on scheduling: deterministic for a given thread count
 * (and, for every kernel here, for any thread count).
 *
 * <p>Why our own workers instead of an {@code ExecutorService}: a training step of the small
 * configuration makes ~800 backend calls, most of them on small tensors, and each parallel loop
 * woke a parked pool thread and parked the caller on a {@code Future}. A wake-up through the
 * kernel costs tens of microseconds (more in a virtual machine), paid twice per loop: measured,
 * two threads ran that step slower than one. Here the workers spin for a short while after a loop
 * ({@value #SPIN_NANOS} ns, OpenMP's "active wait" and ONNX Runtime's spinning thread pool do the
 * same) and only then park, so back-to-back loops hand work over through memory alone; an idle
 * backend costs nothing once they park. Each chunk is taken by exactly one thread: its worker, or the
 * caller once its own chunk is done, if the worker has not started it yet (in a virtual machine a worker
 * is sometimes not scheduled for a fraction of a millisecond, and a short loop then waited for it; the
 * default run's step 0.5–2.4% faster, in one process). The chunks are the same either way, so the
 * results are too.
 */
final class Parallel implements AutoCloseable {

    /** The body of a loop over [lo, hi). */
    @FunctionalInterface
    interface Range {
        void run(int lo, int hi);
    }

    /** How long a worker keeps checking for the next loop before it parks. */
    static final long SPIN_NANOS = 200_000;

    private final int threads;
    private final Worker[] workers;
    /** One loop at a time: a second caller thread runs its loop alone (same results, see above). */
    private final ReentrantLock busy = new ReentrantLock();

    /**
     * One loop: what the workers read, all in one object so that a worker never mixes two loops. The
     * body is dropped once the loop is over, so that a parked pool keeps none of the caller's data.
     */
    private static final class Job {
        Range body;
        final int n;
        final int chunks;
        final AtomicInteger remaining;
        /** Per chunk: 1 once a thread has taken it, so that each chunk runs exactly once. */
        final AtomicIntegerArray taken;
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        Job(Range body, int n, int chunks) {
            this.body = body;
            this.n = n;
            this.chunks = chunks;
            this.remaining = new AtomicInteger(chunks - 1);
            this.taken = new AtomicIntegerArray(chunks);
        }

        /** Whether the calling thread gets chunk c (the first to ask does). */
        boolean take(int c) {
            return taken.get(c) == 0 && taken.compareAndSet(c, 0, 1);
        }

        /** Runs chunk c: [n·c / chunks, n·(c + 1) / chunks). */
        void run(int c) {
            int lo = (int) ((long) n * c / chunks), hi = (int) ((long) n * (c + 1) / chunks);
            try {
                body.run(lo, hi);
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            } finally {
                remaining.decrementAndGet();
            }
        }
    }

    /** The latest loop (null before the first); a new object for every loop. */
    private volatile Job job;
    private volatile boolean closed;

    Parallel(int threads) {
        this.threads = threads;
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(i + 1);
            workers[i].thread.start();
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
        if (chunks <= 1 || isWorker() || !busy.tryLock()) {
            if (n > 0) {
                body.run(0, n);
            }
            return;
        }
        try {
            Job j = new Job(body, n, chunks);
            job = j;                               // publishes the loop
            for (int w = 0; w < chunks - 1; w++) {
                workers[w].wake();
            }
            try {
                body.run(0, (int) ((long) n / chunks));
            } catch (RuntimeException | Error e) {
                j.failure.compareAndSet(null, e);
            }
            // A worker's chunk that it has not started yet is run here instead: a worker that the
            // OS has not scheduled, or that is still waking from a park, no longer holds the loop up.
            for (int c = 1; c < chunks; c++) {
                if (j.take(c)) {
                    j.run(c);
                }
            }
            awaitWorkers(j.remaining);
            j.body = null;
            Throwable t = j.failure.get();
            if (t instanceof RuntimeException r) {
                throw r;
            }
            if (t instanceof Error e) {
                throw e;
            }
        } finally {
            busy.unlock();
        }
    }

    private static void awaitWorkers(AtomicInteger remaining) {
        long start = System.nanoTime();
        while (remaining.get() > 0) {
            if (System.nanoTime() - start < SPIN_NANOS) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    /** Nested parallel loops run inline on the worker, so a kernel can never deadlock the pool. */
    private static boolean isWorker() {
        return Thread.currentThread() instanceof WorkerThread;
    }

    @Override
    public void close() {
        closed = true;
        for (Worker w : workers) {
            LockSupport.unpark(w.thread);
        }
    }

    /** Whether a worker thread is still running (for the test of {@link #close()}). */
    boolean anyWorkerAlive() {
        for (Worker w : workers) {
            if (w.thread.isAlive()) {
                return true;
            }
        }
        return false;
    }

    private static final class WorkerThread extends Thread {
        WorkerThread(Runnable r, String name) {
            super(r, name);
            setDaemon(true);
        }
    }

    /** Worker c runs chunk c of each loop that has more than c chunks. */
    private final class Worker implements Runnable {
        final int chunk;
        final Thread thread;
        volatile boolean parked;

        Worker(int chunk) {
            this.chunk = chunk;
            this.thread = new WorkerThread(this, "inceptionj-cpu-" + chunk);
        }

        void wake() {
            if (parked) {
                LockSupport.unpark(thread);
            }
        }

        @Override
        public void run() {
            Job seen = null;
            while (true) {
                Job j = awaitNext(seen);
                if (j == null) {
                    return;   // closed
                }
                seen = j;
                if (chunk >= j.chunks || !j.take(chunk)) {
                    continue;   // not needed by this loop, or its chunk already run by the caller
                }
                j.run(chunk);
            }
        }

        /**
         * Spins, then parks, until a loop other than {@code seen} is posted; returns it, or null once
         * the pool is closed. A worker that was not needed by a loop may skip it and take the next.
         */
        private Job awaitNext(Job seen) {
            long start = System.nanoTime();
            Job j;
            while ((j = job) == seen && !closed) {
                if (System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                    continue;
                }
                parked = true;
                if (job == seen && !closed) {   // re-checked after announcing: a wake() cannot be lost
                    LockSupport.park(this);
                }
                parked = false;
            }
            return closed ? null : j;
        }
    }
}
