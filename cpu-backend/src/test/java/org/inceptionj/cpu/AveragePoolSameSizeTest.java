package org.inceptionj.cpu;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.Arrays;
import java.util.Random;

import org.inceptionj.api.Ops;
import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.junit.jupiter.api.Test;

/**
 * The average pool over the flattened plane ({@link AveragePoolSameSize}) gives the plain loop's bits: the
 * column sums in row order and the window sum in column order, each from +0, over the real cells only, so
 * that the padding's +0 and the dropped columns must change nothing (a window of −0 cells still averages to
 * +0, NaN and ∞ pass on); its gradient, each cell the shares of its windows in output order from +0. Through the backend, so the dispatch in {@link Pooling} is what is tested.
 */
class AveragePoolSameSizeTest {
    private static final int L = Vectors.F.length();

    /** Values spread over six decades (so that the order of the sums shows), with −0, NaN and ∞ sprinkled in. */
    private static float[] awkward(long seed, int n) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            int k = r.nextInt(60);
            x[i] = switch (k) {
                case 0 -> Float.NaN;
                case 1 -> Float.POSITIVE_INFINITY;
                case 2, 3, 4 -> -0f;
                default -> (float) ((r.nextBoolean() ? 1 : -1) * Math.pow(10, r.nextDouble() * 6 - 3));
            };
        }
        // A block of −0 cells: windows inside it sum −0s, which the plain loop turns into +0.
        Arrays.fill(x, 0, Math.min(n, 3 * L), -0f);
        return x;
    }

    private static float[] run(CpuConfig config, float[] x, int[] dims, Pool2dSpec spec) {
        try (CpuBackend be = new CpuBackend(config); TensorScope s = TensorScope.open()) {
            return Ops.avgPool2d(CpuBackwardTest.t(be, x, dims), spec).toArray();
        }
    }

    /** The gradient of the same pool for the output gradient dy (of x's shape: the output is the input's size). */
    private static float[] gradient(CpuConfig config, float[] dy, int[] dims, Pool2dSpec spec) {
        try (CpuBackend be = new CpuBackend(config); TensorScope s = TensorScope.open()) {
            Tensor g = CpuBackwardTest.t(be, dy, dims);
            return Ops.avgPool2dBackward(g, g.shape(), spec).toArray();
        }
    }

    /**
     * A thread keeps its last kernel while the geometry repeats, and makes a new one for another size or
     * spec (the same size with other divisors too); sameBitsAsThePlainLoop runs such changes in turn.
     */
    @Test
    void aThreadReusesItsKernelOnlyForTheSameGeometry() {
        Pool2dSpec inception = Pool2dSpec.of(3, 1, 1), borders = inception.withCountIncludePad(false);
        AveragePoolSameSize first = AveragePoolSameSize.of(inception, 17, 17, 17, 17);
        assertSame(first, AveragePoolSameSize.of(inception, 17, 17, 17, 17), "the same geometry again");
        AveragePoolSameSize other = AveragePoolSameSize.of(borders, 17, 17, 17, 17);
        assertNotSame(first, other, "other divisors");
        assertNotSame(other, AveragePoolSameSize.of(borders, 17, 18, 17, 18), "another width");
        assertNotSame(first, AveragePoolSameSize.of(inception, 17, 17, 17, 17), "after another geometry: made again");
    }

    @Test
    void sameBitsAsThePlainLoop() {
        Pool2dSpec inception = Pool2dSpec.of(3, 1, 1);
        Object[][] cases = {
                {new int[] {2, 3, 17, 17}, inception},                         // Mixed_6's branch pools
                {new int[] {1, 5, 35, 35}, inception},                         // Mixed_5's
                {new int[] {3, 2, 8, 8}, inception},                           // Mixed_7's
                {new int[] {1, 3, 4, 4}, inception},                           // a plane of one vector
                {new int[] {2, 2, 3, 9}, inception},                           // fewer rows than columns
                {new int[] {1, 2, 9, 2}, inception},                           // rows narrower than the window
                {new int[] {2, 3, 17, 17}, inception.withCountIncludePad(false)},      // border divisors
                {new int[] {1, 2, 6, 7}, new Pool2dSpec(3, 3, 1, 1, 0, 2, 2, 0, 1, 1, false, true)},   // one-sided
                {new int[] {1, 2, 6, 7}, new Pool2dSpec(3, 3, 1, 1, 2, 0, 0, 2, 1, 1, false, false)},  // the other sides
        };
        for (int k = 0; k < cases.length; k++) {
            int[] dims = (int[]) cases[k][0];
            Pool2dSpec spec = (Pool2dSpec) cases[k][1];
            assertNotNull(AveragePoolSameSize.of(spec, dims[2], dims[3], spec.outH(dims[2]), spec.outW(dims[3])),
                    "case " + k + " should take the flat kernel");
            float[] x = awkward(k, dims[0] * dims[1] * dims[2] * dims[3]);
            String what = Arrays.toString(dims) + " " + spec;
            float[] plain = run(new CpuConfig(1, false), x, dims, spec);
            CpuBackwardTest.assertBitsEqual(what + ": vector, 1 thread", plain, run(new CpuConfig(1, true), x, dims, spec));
            CpuBackwardTest.assertBitsEqual(what + ": vector, 3 threads", plain, run(new CpuConfig(3, true), x, dims, spec));
            float[] dy = awkward(100 + k, x.length);
            float[] plainGradient = gradient(new CpuConfig(1, false), dy, dims, spec);
            CpuBackwardTest.assertBitsEqual(what + ": gradient, vector, 1 thread", plainGradient,
                    gradient(new CpuConfig(1, true), dy, dims, spec));
            CpuBackwardTest.assertBitsEqual(what + ": gradient, vector, 3 threads", plainGradient,
                    gradient(new CpuConfig(3, true), dy, dims, spec));
        }
    }

    @Test
    void takenForSameSizeThreeByThreePoolsOverAVectorOrMore() {
        Pool2dSpec s = Pool2dSpec.of(3, 1, 1);
        assertNotNull(AveragePoolSameSize.of(s, 17, 17, 17, 17));
        int side = (int) Math.sqrt(Vectors.F.length() - 1);   // a plane of fewer cells than a vector has lanes
        assertNull(AveragePoolSameSize.of(s, side, side, side, side), side * side + " cells, under a vector");
        assertNull(AveragePoolSameSize.of(Pool2dSpec.of(3, 2, 1), 17, 17, 9, 9), "stride 2");
        assertNull(AveragePoolSameSize.of(Pool2dSpec.of(3, 1, 0), 17, 17, 15, 15), "a smaller output");
        assertNull(AveragePoolSameSize.of(Pool2dSpec.of(5, 1, 2), 17, 17, 17, 17), "5×5");
    }
}
