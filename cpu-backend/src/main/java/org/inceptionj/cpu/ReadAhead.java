package org.inceptionj.cpu;

import java.util.Arrays;

/**
 * Threads that would wait read the next convolution's packed weights instead, so that they are in the
 * core's cache when it starts.
 *
 * <p>Why: at batch 1 each weight is used for few output positions (289 at 17 × 17, 64 at 8 × 8), and an
 * eval forward reads 95 MB of them once per pass, from the shared cache or memory. A register tile waits
 * for its weights on its first pass over each chunk: measured inside the network, the convolutions' calls
 * of a pass took 13–23% longer than the same calls repeated at once, and reading their packed weights
 * beforehand took most of that away. Native code hides such waits with prefetch instructions; Java has
 * none, and a load that misses in the computing thread holds its core's reorder buffer (reading the next
 * chunk from inside the register tile gained 1.5%). But at the end of every parallel loop one thread has
 * finished its pieces while the other still runs (14% of a batch-1 pass, from imbalance and the host's
 * stolen time), and a worker spins between loops: about 40% of a pass's weights were read in that time
 * (37–39 MB of 95, counted).
 *
 * <p>How: a pass calls the same convolutions in the same order every time. Each convolution of the inference
 * forward says which packed weights it reads ({@link #used}, through {@link CpuBackend#inferenceWeights}), and
 * the weights used just before learn that these come next.
 * When a convolution's main parallel loop starts ({@link #post}), the packed weights that came after it
 * last time are posted, and a thread with nothing left to take (the caller once its pieces are done and the
 * worker's still run, a worker between loops before it spins) reads its share of them ({@link #readSome}),
 * {@link #BATCH} floats at a time between its checks for more work, at most
 * {@link #MOST} floats a call: of T threads, thread t the t-th of T equal shares (the blocked convolution's
 * tasks go to the threads in order of output channels, so thread t will read about that share of its packed
 * weights); Winograd's transformed weights are read whole by every thread, since each of its tasks reads
 * every point's weights. Reading changes no value: the results are the same bits with it or without.
 *
 * <p>Measured on two threads (Intel Xeon, AVX-512, two vCPUs), two backends in one process, off and on,
 * alternating blocks of passes: the eval forward at batch 1 1.017–1.056× faster (medians of seven runs of 30
 * rounds), at batch 8 1.015–1.020× (three runs; within this host's noise, which read 1.016 between two
 * backends doing the same work). A worker that reads its whole share before it spins, rather than only
 * inside its spin window (after which it parks), made batch 1 1.029–1.032× faster of that alone. Posting when the weights are fetched, before a call's padding or transform
 * loops, ran 0.99–1.00× at batch 8: threads idle inside one call read the next call's weights into a cache
 * that the products still needed. Off with {@code -Dinceptionj.cpu.readAhead=false}
 * ({@link CpuConfig#readAhead}).
 */
final class ReadAhead {
    /** The most floats one thread reads ahead of a call: 1 MiB, half a core's L2 cache on the hosts measured. */
    static final int MOST = 1 << 18;
    /** Floats read between two checks for more work: 32 cache lines. */
    static final int BATCH = 512;
    /** Floats a cache line: one read per line is enough to bring it in. */
    private static final int LINE = 16;
    /** Ints between two threads' cursors, so that no two threads write the same cache line. */
    private static final int PAD = 16;

    /** Packed weights to read, and whether every thread reads all of them (else each its share). */
    record Target(float[] packed, boolean whole) {
    }

    private final int threads;
    /** The weights of the last convolution that said it used them (the calling thread's). */
    private CpuStorage last;
    /** What the current call's main loop will post: what came after its weights last time. */
    private Target pending;
    private volatile Target posted;
    /** Per thread: the target its cursor is on, and the cursor (at t · PAD). */
    private final Target[] reading;
    private final int[] cursor;
    /** Per thread: the sum of what it read, so that the reads are not dropped by the compiler. */
    private final float[] sums;

    ReadAhead(int threads) {
        this.threads = threads;
        this.reading = new Target[threads];
        this.cursor = new int[threads * PAD];
        this.sums = new float[threads * PAD];
    }

    /**
     * A convolution is about to read weights' packed values: they follow the last weights used, and what
     * followed them last time is what its main loop will post.
     */
    void used(CpuStorage weights, float[] packed, boolean whole) {
        CpuStorage before = last;
        if (before != null && before != weights) {
            before.nextWeights = weights;
        }
        last = weights;
        Target t = weights.readAheadTarget;
        if (t == null || t.packed() != packed || t.whole() != whole) {
            weights.readAheadTarget = new Target(packed, whole);
        }
        CpuStorage next = weights.nextWeights;
        pending = next == null ? null : next.readAheadTarget;
    }

    /** The calling convolution's main loop starts: threads that run out of work read what comes next. */
    void post() {
        posted = pending;
        pending = null;
    }

    /** What threads read now (null for nothing); for tests. */
    Target posted() {
        return posted;
    }

    /** Drops every reference to packed weights (the backend is closing). */
    void clear() {
        last = null;
        pending = null;
        posted = null;
        Arrays.fill(reading, null);
    }

    /**
     * Thread t (0 the caller, then the workers) reads the next {@link #BATCH} floats of its share of the
     * posted weights; false when nothing is posted or its share is read.
     */
    boolean readSome(int t) {
        Target target = posted;
        if (target == null) {
            return false;
        }
        float[] a = target.packed();
        int from = target.whole() ? 0 : (int) ((long) a.length * t / threads);
        int to = target.whole() ? a.length : (int) ((long) a.length * (t + 1) / threads);
        to = (int) Math.min(to, (long) from + MOST);
        if (reading[t] != target) {
            reading[t] = target;
            cursor[t * PAD] = from;
        }
        int at = cursor[t * PAD];
        if (at >= to) {
            return false;
        }
        int end = Math.min(to, at + BATCH);
        float sum = 0;
        for (; at < end; at += LINE) {
            sum += a[at];
        }
        cursor[t * PAD] = at;
        sums[t * PAD] += sum;
        return true;
    }

    /** Where thread t's cursor is in its current target (for tests). */
    int cursor(int t) {
        return cursor[t * PAD];
    }
}
