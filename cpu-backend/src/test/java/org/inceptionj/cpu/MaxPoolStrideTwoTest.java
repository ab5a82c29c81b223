package org.inceptionj.cpu;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Arrays;

import org.inceptionj.api.Ops;
import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.junit.jupiter.api.Test;

/**
 * The stride-2 max pool ({@link MaxPoolStrideTwo}) gives the plain loop's results, bit for bit, forward and
 * backward (the gradient to each window's first maximum, in output order), on rows
 * shorter than a vector, of one vector and a few columns, and of many vectors, with odd and even sizes
 * (an even width leaves a last column no window reads), ties, NaN and signed zeros. Through the backend,
 * so the dispatch in {@link Pooling} is what is tested.
 */
class MaxPoolStrideTwoTest {
    private static final int L = Vectors.F.length();

    private static float[] run(CpuConfig config, float[] x, int[] dims, Pool2dSpec spec) {
        try (CpuBackend be = new CpuBackend(config); TensorScope s = TensorScope.open()) {
            return Ops.maxPool2d(CpuBackwardTest.t(be, x, dims), spec).toArray();
        }
    }

    private static float[] gradient(CpuConfig config, CpuBackwardTest.Op op) {
        try (CpuBackend be = new CpuBackend(config); TensorScope s = TensorScope.open()) {
            return op.run(be)[0].toArray();
        }
    }

    @Test
    void sameBitsAsThePlainLoop() {
        Pool2dSpec spec = Pool2dSpec.of(3, 2, 0);
        int[][] cases = {
                {2, 3, 17, 17},          // Mixed_7a's pool: 8 outputs a row, under a vector
                {1, 2, 35, 35},          // Mixed_6a's: 17, a vector and one
                {1, 2, 71, 71},          // after Conv2d_4a
                {1, 1, 147, 147},        // after Conv2d_2b: many vectors a row
                {3, 2, 7, 7},            // the default run's small planes
                {2, 2, 3, 3},            // one output
                {1, 3, 4, 10},           // even sizes: the last row and column are read by no window
                {1, 2, 9, 2 * L + 5},    // rows of two vectors and a few columns
        };
        for (int k = 0; k < cases.length; k++) {
            int[] dims = cases[k];
            assertNotNull(MaxPoolStrideTwo.of(spec, dims[2], dims[3], spec.outH(dims[2]), spec.outW(dims[3])),
                    "case " + k + " should take the stride-2 kernel");
            float[] x = MaxPoolAcrossPlanesTest.awkward(k, dims[0] * dims[1] * dims[2] * dims[3], dims[2] * dims[3]);
            String what = Arrays.toString(dims);
            float[] plain = run(new CpuConfig(1, false), x, dims, spec);
            CpuBackwardTest.assertBitsEqual(what + ": vector, 1 thread", plain, run(new CpuConfig(1, true), x, dims, spec));
            CpuBackwardTest.assertBitsEqual(what + ": vector, 3 threads", plain, run(new CpuConfig(3, true), x, dims, spec));
            float[] dy = CpuBackwardTest.randoms(100 + k, dims[0] * dims[1] * spec.outH(dims[2]) * spec.outW(dims[3]), -1, 1);
            CpuBackwardTest.Op gradient = CpuBackwardTest.maxBackward(dy, x, dims, spec);
            float[] plainGradient = gradient(new CpuConfig(1, false), gradient);
            CpuBackwardTest.assertBitsEqual(what + ": gradient, vector, 1 thread", plainGradient,
                    gradient(new CpuConfig(1, true), gradient));
            CpuBackwardTest.assertBitsEqual(what + ": gradient, vector, 3 threads", plainGradient,
                    gradient(new CpuConfig(3, true), gradient));
        }
    }

    @Test
    void takenForThreeByThreeWindowsAtStrideTwoWithoutPadding() {
        assertNotNull(MaxPoolStrideTwo.of(Pool2dSpec.of(3, 2, 0), 17, 17, 8, 8));
        assertNull(MaxPoolStrideTwo.of(Pool2dSpec.of(3, 2, 1), 17, 17, 9, 9), "padded");
        Pool2dSpec topLeft = new Pool2dSpec(3, 3, 2, 2, 1, 1, 0, 0, 1, 1, false, true);
        assertNull(MaxPoolStrideTwo.of(topLeft, 17, 17, topLeft.outH(17), topLeft.outW(17)),
                "padded above and left only: every window ends inside, but they are shifted");
        assertNull(MaxPoolStrideTwo.of(Pool2dSpec.of(2, 2, 0), 16, 16, 8, 8), "2×2");
        assertNull(MaxPoolStrideTwo.of(Pool2dSpec.of(3, 1, 0), 17, 17, 15, 15), "stride 1");
        assertNull(MaxPoolStrideTwo.of(new Pool2dSpec(3, 3, 2, 2, 0, 0, 0, 0, 1, 1, true, true), 16, 16, 8, 8),
                "a ceil-mode window past the input");
    }
}
