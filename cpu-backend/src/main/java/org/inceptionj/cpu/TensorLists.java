package org.inceptionj.cpu;

import org.inceptionj.api.Tensor;

/**
 * What the multi-tensor ops (the optimizer primitives) share: the arrays of a list of tensors, a
 * parallel loop over all their elements as if they were one array, and the gradient scale.
 */
final class TensorLists {
    private TensorLists() {
    }

    /** The body of a loop over elements [lo, hi) of entry {@code entry}. */
    @FunctionalInterface
    interface Piece {
        void run(int entry, int lo, int hi);
    }

    /** The arrays behind the tensors. */
    static float[][] data(Tensor[] ts) {
        float[][] d = new float[ts.length][];
        for (int i = 0; i < ts.length; i++) {
            d[i] = CpuBackend.data(ts[i]);
        }
        return d;
    }

    /**
     * Runs {@code body} over every element of every array, as one loop over their concatenation cut
     * into {@link Parallel#forRange}'s chunks: one parallel dispatch per call, however many tensors
     * (Inception-v3 has 292 trainable ones, most of them a few hundred floats). A chunk visits the
     * pieces of the entries it covers in order. For elementwise updates only: each element is
     * written by one chunk, so the result does not depend on the thread count.
     */
    static void forEachPiece(CpuBackend cpu, float[][] arrays, int grain, Piece body) {
        int n = arrays.length;
        long[] start = new long[n + 1];
        for (int e = 0; e < n; e++) {
            start[e + 1] = start[e] + arrays[e].length;
        }
        if (start[n] > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("cpu backend: the tensors of one list hold " + start[n]
                    + " elements together, more than " + Integer.MAX_VALUE);
        }
        cpu.parallel().forRange((int) start[n], grain, (lo, hi) -> {
            int e = entryAt(start, lo);
            for (long at = lo; at < hi; e++) {
                int from = (int) (at - start[e]), to = (int) (Math.min(hi, start[e + 1]) - start[e]);
                if (to > from) {
                    body.run(e, from, to);
                }
                at = start[e] + to;
            }
        });
    }

    /** The entry whose range [start[e], start[e + 1]) holds index i (the first of several when some are empty). */
    private static int entryAt(long[] start, long i) {
        int lo = 0, hi = start.length - 2;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (start[mid] <= i) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    /**
     * The gradient multiplier of each of {@code entries} entries: scale[i], or scale[0] for all when
     * it has one element; null when any element of scale is NaN or ±∞ (the step is skipped: nothing
     * may be written).
     */
    static float[] scales(Tensor scale, int entries) {
        float[] s = CpuBackend.data(scale);
        for (float v : s) {
            if (!Float.isFinite(v)) {
                return null;
            }
        }
        if (s.length == entries) {
            return s.clone();
        }
        float[] all = new float[entries];
        java.util.Arrays.fill(all, s[0]);
        return all;
    }

    /** Whether the one element of {@code gate} is finite (emaUpdate writes nothing otherwise). */
    static boolean open(Tensor gate) {
        return Float.isFinite(CpuBackend.data(gate)[0]);
    }
}
