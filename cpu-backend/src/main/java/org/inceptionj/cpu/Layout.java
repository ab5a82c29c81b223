package org.inceptionj.cpu;

import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;

/**
 * Concatenation and slicing along one axis. Both are block copies: with outer = the product of
 * the axes before {@code axis} and inner = the product of those after it, each of the outer
 * blocks is a contiguous run of dim(axis)·inner elements. One path: System.arraycopy is already
 * the fastest copy the JVM has, so a Vector API kernel would bring nothing.
 */
final class Layout {
    private Layout() {
    }

    /**
     * Elements per parallel chunk below which copying is not split. Small, because the ops around a copy
     * split the batch across the threads: a copy left whole on one thread read half its input from the
     * other core's cache (the default run's 27,648-float slices: 0.01 ms on one thread, 0.2 ms on two).
     */
    private static final int GRAIN = 1 << 12;

    /**
     * out[o, offset_p + k, i] = parts[p][o, k, i], where offset_p is the summed size of the parts
     * before p along {@code axis}. Overwrites out.
     */
    static void concat(CpuBackend cpu, Tensor out, Tensor[] parts, int axis) {
        if (BlockedActivations.concatApplies(cpu, out, parts, axis)) {
            // Parts left channel-blocked stay so (see BlockedActivations).
            BlockedActivations.concat(cpu, out, parts);
            return;
        }
        Shape s = out.shape();
        int outer = s.sizeBetween(0, axis), inner = s.sizeBetween(axis + 1, s.rank());
        int outBlock = s.dim(axis) * inner;
        float[] o = CpuBackend.data(out);
        float[][] src = new float[parts.length][];
        int[] block = new int[parts.length], at = new int[parts.length];
        for (int p = 0, offset = 0; p < parts.length; p++) {
            src[p] = CpuBackend.data(parts[p]);
            block[p] = parts[p].shape().dim(axis) * inner;
            at[p] = offset;
            offset += block[p];
        }
        // One task per (outer block, part), so that a batch of one still copies its parts in parallel.
        int tasks = outer * parts.length;
        int grain = Math.max(1, GRAIN / Math.max(1, outBlock / parts.length));
        cpu.parallel().forRange(tasks, grain, (lo, hi) -> {
            for (int t = lo; t < hi; t++) {
                int b = t / parts.length, p = t % parts.length;
                System.arraycopy(src[p], b * block[p], o, b * outBlock + at[p], block[p]);
            }
        });
    }

    /** out[o, k, i] = x[o, start + k, i] for k in [0, out.dim(axis)). Overwrites out. */
    static void slice(CpuBackend cpu, Tensor out, Tensor x, int axis, int start) {
        Shape s = x.shape();
        int outer = s.sizeBetween(0, axis), inner = s.sizeBetween(axis + 1, s.rank());
        int xBlock = s.dim(axis) * inner, outBlock = out.shape().dim(axis) * inner;
        float[] o = CpuBackend.data(out), xs = CpuBackend.data(x);
        cpu.parallel().forRange(outer, Math.max(1, GRAIN / Math.max(1, outBlock)), (lo, hi) -> {
            for (int b = lo; b < hi; b++) {
                System.arraycopy(xs, b * xBlock + start * inner, o, b * outBlock, outBlock);
            }
        });
    }
}
