package org.inceptionj.inception.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;

import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.inception.BackendTest;
import org.inceptionj.inception.InceptionV3;
import org.junit.jupiter.api.Test;

/**
 * Two hundred training steps of the paper's recipe (aux head off, the rest on: RMSProp, weight decay,
 * label smoothing, clipping, the parameter average) keep memory flat: the backend's live bytes are
 * the same after every step, and the Java heap after a full collection does not grow between step 20
 * and step 200. A leak of one activation per step (tens of kilobytes at this size) adds up to
 * megabytes over 180 steps, so the heap bound catches what the backend's count cannot see (memory a
 * backend or the training code keeps on the Java heap outside tensors: listeners, logs, caches).
 */
class LongRunMemoryTest extends BackendTest {
    static final int STEPS = 200;
    /** Where the heap is first measured: after the JIT, the array cache and the first logs settled. */
    static final int SETTLED = 20;
    /**
     * Heap growth allowed from step SETTLED to STEPS: the collector's own slack, not a leak (measured:
     * 5 KiB; a planted leak of 48 KB per step showed as 8.3 MiB). 2 MiB is 12 KB per step.
     */
    static final long HEAP_SLACK = 2L << 20;

    @Test
    void twoHundredStepsKeepTheBackendAndTheHeapFlat() {
        InceptionV3.Config tiny = new InceptionV3.Config(10, false, true, 0.5f).withWidthMultiplier(0.25);
        TrainConfig cfg = TrainConfig.paper().withExamplesPerEpoch(2);
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        int[] labels = {3, 7};
        try (InceptionV3 m = new InceptionV3(backend, tiny, 5);
             Tensor x = Ops.uniform(backend, Shape.of(2, 3, 75, 75), 9, -1f, 1f);
             TrainStep step = new TrainStep(m, cfg)) {
            long live = -1, heapSettled = -1;
            for (int k = 0; k < STEPS; k++) {
                TrainStep.Result r = step.run(x, labels);
                assertTrue(Double.isFinite(r.totalLoss()), "step " + k + ": " + r);
                if (k == 0) {
                    live = backend.liveBytes();
                } else {
                    assertEquals(live, backend.liveBytes(), "backend live bytes after step " + k);
                }
                if (k == SETTLED) {
                    heapSettled = heapAfterCollection(memory);
                }
            }
            long heapEnd = heapAfterCollection(memory);
            assertTrue(heapEnd - heapSettled < HEAP_SLACK, "Java heap after a full collection grew by "
                    + (heapEnd - heapSettled) / 1024 + " KiB from step " + SETTLED + " to step " + STEPS
                    + " (" + heapSettled / 1024 + " → " + heapEnd / 1024 + " KiB; allowed "
                    + HEAP_SLACK / 1024 + " KiB)");
        }
    }

    /** Heap in use after a full collection (System.gc() is a full, stop-the-world collection with G1). */
    private static long heapAfterCollection(MemoryMXBean memory) {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {   // the least of three: a collection may still be finishing references
            System.gc();
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
