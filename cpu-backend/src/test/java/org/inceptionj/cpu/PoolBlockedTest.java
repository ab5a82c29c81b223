package org.inceptionj.cpu;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import org.inceptionj.api.Ops;
import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.junit.jupiter.api.Test;

/**
 * The 3×3 pools over a channel-blocked x ({@link PoolBlocked}: each input column reduced once per output row,
 * then shared by the windows that read it) give the plain loops' results bit for bit: max and average, stride 1
 * and 2, padding on every side, on some sides only, or none, the divisor counting padded cells or not, ceil
 * mode, channel counts that do not fill whole vectors, planes narrower than a window, on values with NaN, ±0,
 * ties and ±∞, on one and three threads.
 */
class PoolBlockedTest {
    private static final int L = Vectors.F.length();

    @Test
    void sameBitsAsThePlainLoops() {
        Pool2dSpec[] specs = {
                Pool2dSpec.of(3, 1, 1),                                           // Inception's branch pools
                Pool2dSpec.of(3, 1, 1).withCountIncludePad(false),                // TF-slim's
                Pool2dSpec.of(3, 2, 0),                                           // the grid reductions'
                Pool2dSpec.of(3, 2, 1),
                Pool2dSpec.of(3, 1, 0),
                new Pool2dSpec(3, 3, 2, 1, 1, 0, 0, 2, 1, 1, false, false),       // padding on some sides only
                new Pool2dSpec(3, 3, 2, 2, 0, 1, 1, 0, 1, 1, true, true),         // ceil mode
                new Pool2dSpec(3, 3, 3, 2, 1, 1, 1, 1, 1, 1, true, false),        // stride 3: columns no window reads
        };
        int[][] shapes = {{2, 40, 9, 7}, {1, 16, 17, 17}, {1, 2 * L + 3, 4, 11}, {3, 5, 2, 2}, {1, 32, 1, 5}};
        int k = 0;
        for (Pool2dSpec spec : specs) {
            for (int[] dims : shapes) {
                if (spec.outH(dims[2]) < 1 || spec.outW(dims[3]) < 1) {
                    continue;
                }
                float[] x = values(k++, dims);
                for (boolean max : new boolean[] {true, false}) {
                    String what = (max ? "max " : "average ") + spec + " over " + Arrays.toString(dims);
                    float[] plain = pool(new CpuConfig(1, false), x, dims, spec, max);
                    for (int threads : new int[] {1, 3}) {
                        CpuConfig blocked = new CpuConfig(threads, true, 1L << 26, true, true, true);
                        CpuBackwardTest.assertBitsEqual(what + ", " + threads + " thread(s)", plain,
                                pool(blocked, x, dims, spec, max));
                    }
                }
            }
        }
    }

    /**
     * NaN, ±0, ties and ±∞ among values whose sums round (so that an average summed in another order
     * differs), each plane shifted so that planes differ.
     */
    private static float[] values(long seed, int[] dims) {
        int plane = dims[2] * dims[3];
        float[] x = MaxPoolAcrossPlanesTest.awkward(seed, dims[0] * dims[1] * plane, plane);
        float[] rounding = CpuBackwardTest.randoms(seed + 1000, x.length, -3, 3);
        for (int i = 0; i < x.length; i++) {
            if (i % 37 == 0) {
                x[i] = i % 2 == 0 ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
            } else if (i % 3 != 0 && !Float.isNaN(x[i])) {
                x[i] = rounding[i] * (float) Math.pow(10, i % 5 - 2);
            }
        }
        return x;
    }

    /** The pool of x (NCHW values), handed over channel-blocked where the configuration keeps activations so. */
    private static float[] pool(CpuConfig config, float[] x, int[] dims, Pool2dSpec spec, boolean max) {
        try (CpuBackend be = new CpuBackend(config); TensorScope s = TensorScope.open()) {
            Tensor in;
            if (config.vectorized() && config.blockedActivations()) {
                in = blocked(be, dims, x);
                assertNotNull(CpuBackend.blockedView(in));
                assertTrue(PoolBlocked.applies(be, in, spec), "the blocked path should take " + spec);
            } else {
                in = Ops.fromArray(be, Shape.of(dims), x);
            }
            Tensor out = be.empty(Shape.of(dims[0], dims[1], spec.outH(dims[2]), spec.outW(dims[3])));
            if (max) {
                be.maxPool2d(out, in, spec);
            } else {
                be.avgPool2d(out, in, spec);
            }
            return out.toArray();
        }
    }

    /**
     * A tensor of be holding x (NCHW values, dims [N, C, H, W]) channel-blocked, as a producer on the blocked path
     * leaves it ({@link BlockedActivations}); lanes past the channels hold NaN, which no real channel may see.
     */
    static Tensor blocked(CpuBackend be, int[] dims, float[] x) {
        int n = dims[0], c = dims[1], plane = dims[2] * dims[3], blocks = (c + L - 1) / L;
        Tensor t = be.empty(Shape.of(dims));
        float[] xb = CpuBackend.writeBlocked(t);
        Arrays.fill(xb, Float.NaN);
        for (int i = 0; i < n; i++) {
            for (int ch = 0; ch < c; ch++) {
                for (int p = 0; p < plane; p++) {
                    xb[((i * blocks + ch / L) * plane + p) * L + ch % L] = x[(i * c + ch) * plane + p];
                }
            }
        }
        return t;
    }
}
