package org.inceptionj.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Random;

import org.inceptionj.api.Ops;
import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.junit.jupiter.api.Test;

/**
 * The max pool across planes ({@link MaxPoolAcrossPlanes}) gives the plain loops' bits, forward and
 * backward, in whole blocks of L planes and in the planes left over, including where the plain loop's
 * order shows: tied maxima (the gradient goes to the first), NaN (Math.max passes it on; a NaN cell
 * never loses nor wins later), signed zeros (Math.max(−0, +0) is +0), and border windows with fewer
 * real cells. Through the backend, so the dispatch in {@link Pooling} is what is tested.
 */
class MaxPoolAcrossPlanesTest {
    private static final int L = Vectors.F.length();

    /**
     * Values from a small set, so that windows tie often, with NaN and both zeros sprinkled in; every
     * other plane all below zero, so that a maximum started anywhere but −∞ would show.
     */
    static float[] awkward(long seed, int n, int plane) {
        Random r = new Random(seed);
        float[] pick = {-1f, 0.5f, 2f, 2f, -0f, 0f, -3f};
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            int k = r.nextInt(40);
            x[i] = k == 0 ? Float.NaN : pick[k % pick.length] - (i / plane % 2 == 0 ? 10 : 0);
        }
        return x;
    }

    /** op's output on the plain loops (one thread), and bit for bit the same on the vector path, one and three threads. */
    private static void sameBits(String what, CpuBackwardTest.Op op) {
        float[] plain = run(new CpuConfig(1, false), op);
        CpuBackwardTest.assertBitsEqual(what + ": vector, 1 thread", plain, run(new CpuConfig(1, true), op));
        CpuBackwardTest.assertBitsEqual(what + ": vector, 3 threads", plain, run(new CpuConfig(3, true), op));
    }

    private static float[] run(CpuConfig config, CpuBackwardTest.Op op) {
        try (CpuBackend be = new CpuBackend(config); TensorScope s = TensorScope.open()) {
            return op.run(be)[0].toArray();
        }
    }

    @Test
    void sameBitsAsThePlainLoops() {
        Object[][] cases = {
                // dims (planes = N·C: whole blocks and planes left over), spec
                {new int[] {3, L - 1, 3, 3}, Pool2dSpec.of(3, 2, 0)},          // Mixed_7a's pool: one output
                {new int[] {2, L + 3, 7, 7}, Pool2dSpec.of(3, 2, 0)},          // Mixed_6a's at a 75×75 input
                {new int[] {1, 2 * L + 1, 15, 15}, Pool2dSpec.of(3, 2, 0)},    // after Conv2d_4a
                {new int[] {2, L, 5, 4}, new Pool2dSpec(3, 2, 1, 2, 2, 1, 1, 0, 2, 1, true, true)},   // pads, dilation, ceil
                {new int[] {1, L + 1, 4, 4}, new Pool2dSpec(3, 3, 2, 2, 1, 1, 1, 1, 1, 1, true, true)}, // border windows
                {new int[] {2, L, 6, 6}, Pool2dSpec.of(2, 1, 1)},              // stride 1, padded
        };
        for (int k = 0; k < cases.length; k++) {
            int[] dims = (int[]) cases[k][0];
            Pool2dSpec spec = (Pool2dSpec) cases[k][1];
            int size = dims[0] * dims[1] * dims[2] * dims[3];
            int outputs = dims[0] * dims[1] * spec.outH(dims[2]) * spec.outW(dims[3]);
            float[] x = awkward(k, size, dims[2] * dims[3]), dy = CpuBackwardTest.randoms(100 + k, outputs, -1, 1);
            String what = java.util.Arrays.toString(dims) + " " + spec;
            sameBits("max forward " + what, be -> new Tensor[] {Ops.maxPool2d(CpuBackwardTest.t(be, x, dims), spec)});
            sameBits("max backward " + what, CpuBackwardTest.maxBackward(dy, x, dims, spec));
        }
    }

    /** Taken where the rows of outputs are short: the forward below a vector's width, the gradient below four. */
    @Test
    void takenWhereTheRowsAreShort() {
        Pool2dSpec s = Pool2dSpec.of(3, 2, 0);
        assertNotNull(MaxPoolAcrossPlanes.forwardOf(s, 3, 3, 1, 1));
        assertNotNull(MaxPoolAcrossPlanes.backwardOf(s, 7, 7, 3, 3));
        assertEquals(L > 7, MaxPoolAcrossPlanes.forwardOf(s, 15, 15, 7, 7) != null, "15×15 forward");
        assertNull(MaxPoolAcrossPlanes.backwardOf(s, 15, 15, 7, 7), "15×15 gradient: the row kernels");
        assertNull(MaxPoolAcrossPlanes.forwardOf(s, 71, 71, 35, 35), "wide rows: the row kernels");
        assertNull(MaxPoolAcrossPlanes.forwardOf(Pool2dSpec.of(1, 1, 0), 5000, 1, 5000, 1), "tables too big");
    }
}
