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
 * default run's step 0.5–2.4% faster, in one process). Each chunk is cut into up to {@link #PARTS}
 * pieces, and a thread done with its own chunk takes the others' pieces that are not started yet, from
 * the last (see there). The pieces are the same whoever runs them, so the results are too. A thread that
 * has nothing left to take, the caller waiting for the last pieces or a worker between loops (before it
 * spins), reads ahead the next convolution's weights where a {@link ReadAhead} is given (see there).
 */
final class Parallel implements AutoCloseable {

    /** The body of a loop over [lo, hi). */
    @FunctionalInterface
    interface Range {
        void run(int lo, int hi);
    }

    /**
     * Pieces per chunk, at most (each of at least grain items): a thread that is done with its own chunk
     * takes the pieces of another that its thread has not started, from the last. Why: on a shared
     * virtual machine one core often runs slower for a while, and with one piece per chunk the other
     * waited: the caller 7% and its worker 2% of a batch-1 eval forward (two threads, timed in the pool).
     * Measured in one process, alternating with one piece per chunk, four runs each: the eval forward at
     * batch 1 1.01–1.10× (mean 1.05×), at batch 8 0.98–1.11× (mean 1.02×); a training step at batch 8
     * 1.04×, the default run's 1.03×. (Four chunks per thread taken in turn from a shared counter ran 2%
     * slower: the pieces here are taken in order by their own thread first, as the chunks were.)
     */
    static final int PARTS = 4;

    /** How long a worker keeps checking for the next loop before it parks. */
    static final long SPIN_NANOS = 200_000;

    private final int threads;
    private final Worker[] workers;
    /** What threads with nothing to take read, or null. */
    private final ReadAhead readAhead;
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
        final int parts;
        /** Pieces not finished yet, whoever runs them. */
        final AtomicInteger remaining;
        /** Per piece: 1 once a thread has taken it, so that each piece runs exactly once. */
        final AtomicIntegerArray taken;
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        Job(Range body, int n, int chunks, int parts) {
            this.body = body;
            this.n = n;
            this.chunks = chunks;
            this.parts = parts;
            this.remaining = new AtomicInteger(chunks * parts);
            this.taken = new AtomicIntegerArray(chunks * parts);
        }

        /** Whether the calling thread gets piece p (the first to ask does). */
        boolean take(int p) {
            return taken.get(p) == 0 && taken.compareAndSet(p, 0, 1);
        }

        /** Runs piece p: [n·p / pieces, n·(p + 1) / pieces). */
        void run(int p) {
            int pieces = chunks * parts;
            int lo = (int) ((long) n * p / pieces), hi = (int) ((long) n * (p + 1) / pieces);
            try {
                body.run(lo, hi);
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            } finally {
                remaining.decrementAndGet();
            }
        }

        /**
         * Chunk c's pieces in order, then, from the last, the pieces of the other chunks that their threads
         * have not taken yet.
         */
        void runChunk(int c) {
            for (int s = 0; s < parts; s++) {
                if (take(c * parts + s)) {
                    run(c * parts + s);
                }
            }
            for (int d = 1; d < chunks; d++) {
                int other = (c + d) % chunks;
                for (int s = parts - 1; s >= 0; s--) {
                    if (take(other * parts + s)) {
                        run(other * parts + s);
                    }
                }
            }
        }
    }

    /** The latest loop (null before the first); a new object for every loop. */
    private volatile Job job;
    private volatile boolean closed;

    Parallel(int threads) {
        this(threads, null);
    }

    /** With readAhead (or null), which idle threads read ahead of the next call. */
    Parallel(int threads, ReadAhead readAhead) {
        this.threads = threads;
        this.readAhead = readAhead;
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
     * Runs body over [0, n) in up to {@code threads} chunks, the calling thread taking the first, each
     * chunk in up to {@link #PARTS} pieces (body is called once per piece, with its range). Work below
     * {@code grain} items per chunk, or per piece, is not split further.
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
            int parts = Math.max(1, Math.min(PARTS, n / (chunks * Math.max(1, grain))));
            Job j = new Job(body, n, chunks, parts);
            job = j;                               // publishes the loop
            for (int w = 0; w < chunks - 1; w++) {
                workers[w].wake();
            }
            j.runChunk(0);
            while (j.remaining.get() > 0 && readAhead(0)) {
                // nothing left to take: the next call's weights, a few lines at a time
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

    /** Thread t reads a few lines of the next call's weights; false when there is nothing (more) to read. */
    private boolean readAhead(int t) {
        return readAhead != null && readAhead.readSome(t);
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

    /** Worker c runs chunk c of each loop that has more than c chunks, then helps with the others. */
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
                if (chunk >= j.chunks) {
                    continue;   // not needed by this loop
                }
                j.runChunk(chunk);
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
                if (readAhead(chunk)) {
                    // Its share of the next call's weights first, checking for a loop between batches: bounded
                    // by the share (at most ReadAhead.MOST), and worth more than spinning (at batch 1, reading
                    // only inside the spin window, before parking, ran 1.03x slower).
                    continue;
                }
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
