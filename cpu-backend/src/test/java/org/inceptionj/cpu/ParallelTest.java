package org.inceptionj.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

import org.junit.jupiter.api.Test;

/** The spinning pool: every index once, failures passed on, no lost wake-up, a second caller served. */
class ParallelTest {

    @Test
    void everyIndexRunsExactlyOnceForAnySplit() {
        for (int threads : new int[] {1, 2, 3, 5}) {
            try (Parallel p = new Parallel(threads)) {
                for (int n : new int[] {0, 1, 2, 7, 100, 1001}) {
                    for (int grain : new int[] {1, 3, 50, 5000}) {
                        AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(n, 1));
                        p.forRange(n, grain, (lo, hi) -> {
                            for (int i = lo; i < hi; i++) {
                                hits.incrementAndGet(i);
                            }
                        });
                        for (int i = 0; i < n; i++) {
                            assertEquals(1, hits.get(i), threads + " threads, n " + n + ", grain " + grain + ", index " + i);
                        }
                    }
                }
            }
        }
    }

    @Test
    void manyBackToBackLoopsNeitherLoseAWakeUpNorMixTwoLoops() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try (Parallel p = new Parallel(3)) {
                long total = 0;
                for (int k = 0; k < 20_000; k++) {
                    int n = 1 + k % 7;   // 1 to 7 chunks of one: some loops leave workers out
                    AtomicInteger sum = new AtomicInteger();
                    p.forRange(n, 1, (lo, hi) -> sum.addAndGet(hi - lo));
                    assertEquals(n, sum.get(), "loop " + k);
                    total += sum.get();
                    if (k % 5_000 == 0) {
                        Thread.sleep(2);   // long enough for the workers to park
                    }
                }
                assertTrue(total > 0);
            }
        });
    }

    /**
     * A worker's chunk that the worker has not started is run by the caller: after the workers have
     * parked, a loop of trivial chunks is over before a parked worker wakes, so the caller runs the
     * others' chunks too (each still once).
     */
    @Test
    void theCallerRunsAChunkItsWorkerHasNotStarted() throws Exception {
        try (Parallel p = new Parallel(3)) {
            Thread caller = Thread.currentThread();
            int stolen = 0;
            for (int k = 0; k < 50; k++) {
                Thread.sleep(1);   // the workers park after 0.2 ms without work
                AtomicIntegerArray hits = new AtomicIntegerArray(3);
                AtomicInteger byCaller = new AtomicInteger();
                p.forRange(3, 1, (lo, hi) -> {
                    for (int i = lo; i < hi; i++) {
                        hits.incrementAndGet(i);
                    }
                    if (lo > 0 && Thread.currentThread() == caller) {
                        byCaller.incrementAndGet();
                    }
                });
                for (int i = 0; i < 3; i++) {
                    assertEquals(1, hits.get(i), "loop " + k + ", index " + i);
                }
                stolen += byCaller.get();
            }
            assertTrue(stolen > 0, "the caller never ran a worker's chunk in 50 loops after the workers parked");
        }
    }

    /**
     * A thread held up in its chunk leaves its other pieces to the rest: two threads, 8 items in 2 chunks
     * of 4 pieces; the worker sleeps in its first piece, so the caller runs the rest of the worker's chunk
     * (each piece once, each piece a quarter of its chunk).
     */
    @Test
    void aThreadDoneWithItsChunkTakesTheOthersPiecesNotStarted() throws Exception {
        try (Parallel p = new Parallel(2)) {
            Thread caller = Thread.currentThread();
            AtomicIntegerArray hits = new AtomicIntegerArray(8), byCaller = new AtomicIntegerArray(8);
            CountDownLatch workerStarted = new CountDownLatch(1);
            p.forRange(8, 1, (lo, hi) -> {
                assertEquals(1, hi - lo, "a piece of " + lo + ".." + hi);
                hits.incrementAndGet(lo);
                if (Thread.currentThread() == caller) {
                    byCaller.incrementAndGet(lo);
                    if (lo == 0) {
                        try {
                            workerStarted.await();   // the worker holds its first piece
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                    }
                } else if (lo == 4) {
                    workerStarted.countDown();
                    try {
                        Thread.sleep(200);
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                }
            });
            for (int i = 0; i < 8; i++) {
                assertEquals(1, hits.get(i), "index " + i);
            }
            assertEquals(0, byCaller.get(4), "the worker's first piece ran on the worker");
            for (int i = 5; i < 8; i++) {
                assertEquals(1, byCaller.get(i), "the caller took the worker's piece " + i);
            }
        }
    }

    @Test
    void aFailureInAWorkersChunkReachesTheCaller() {
        try (Parallel p = new Parallel(2)) {
            IllegalStateException boom = new IllegalStateException("chunk 1 failed");
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> p.forRange(10, 1, (lo, hi) -> {
                if (lo > 0) {
                    throw boom;
                }
            }));
            assertSame(boom, e);
            AtomicInteger after = new AtomicInteger();
            p.forRange(10, 1, (lo, hi) -> after.addAndGet(hi - lo));
            assertEquals(10, after.get(), "the pool still works after a failure");
        }
    }

    @Test
    void aSecondCallerThreadRunsItsLoopAloneWithTheSameResult() throws Exception {
        try (Parallel p = new Parallel(2)) {
            CountDownLatch inside = new CountDownLatch(1), release = new CountDownLatch(1);
            Thread first = new Thread(() -> p.forRange(2, 1, (lo, hi) -> {
                if (lo == 0) {
                    inside.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }));
            first.start();
            inside.await();
            AtomicIntegerArray hits = new AtomicIntegerArray(100);
            String[] ranOn = new String[1];
            p.forRange(100, 1, (lo, hi) -> {
                ranOn[0] = Thread.currentThread().getName();
                for (int i = lo; i < hi; i++) {
                    hits.incrementAndGet(i);
                }
            });
            release.countDown();
            first.join(10_000);
            assertEquals(Thread.currentThread().getName(), ranOn[0], "the pool was busy: the caller ran it");
            for (int i = 0; i < 100; i++) {
                assertEquals(1, hits.get(i));
            }
        }
    }

    @Test
    void closeEndsTheWorkers() throws Exception {
        Parallel p = new Parallel(3);
        p.forRange(3, 1, (lo, hi) -> { });
        assertTrue(p.anyWorkerAlive());
        p.close();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (p.anyWorkerAlive() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(!p.anyWorkerAlive(), "worker threads still alive 5 s after close");
    }
}
