package org.inceptionj.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.junit.jupiter.api.Test;

/**
 * Batch norm's training forward and backward give the same bits whether a call is split by channels,
 * by images ({@link BatchNorm#byImages}) or by blocks of images ({@link BatchNormSmallPlanes}): the
 * statistics, the running averages, out, dγ, dβ and dx on one, two and three threads.
 */
class BatchNormSplitTest {
    /** Plane sizes: 1×1 and 3×3 (shorter than a vector), 4×4, 7×7, a 17-long row. */
    private static final int[][] PLANES = {{1, 1}, {3, 3}, {4, 4}, {7, 7}, {1, 17}};

    @Property(tries = 25)
    void everySplitGivesTheSameBits(@ForAll @IntRange(min = 1, max = 70) int n,
                                    @ForAll @IntRange(min = 1, max = 72) int c,
                                    @ForAll @IntRange(min = 0, max = 4) int plane,
                                    @ForAll boolean vector, @ForAll boolean relu, @ForAll long seed) {
        sameBitsOnOneTwoAndThreeThreads(Shape.of(n, c, PLANES[plane][0], PLANES[plane][1]), vector, relu, seed);
    }

    /** Shapes that take each split on two threads, the default run's among them. */
    @Test
    void theDefaultRunsShapesGiveTheSameBits() {
        int[][] shapes = {{64, 16, 7, 7}, {64, 16, 35, 35}, {64, 48, 3, 3}, {64, 64, 3, 3}, {64, 96, 1, 1}, {64, 512, 1, 1},
                {8, 384, 8, 8}, {8, 64, 35, 35}, {3, 5, 17, 1}};
        for (int[] d : shapes) {
            sameBitsOnOneTwoAndThreeThreads(Shape.of(d[0], d[1], d[2], d[3]), true, true, d[1]);
        }
    }

    /** The shapes above reach the splits they stand for (so that the test above tests them). */
    @Test
    void theShapesReachEverySplit() {
        try (CpuBackend two = new CpuBackend(new CpuConfig(2, true))) {
            assertTrue(BatchNorm.byImages(two, 64, 16, 49), "64 x 16 x 7 x 7 by images");
            assertTrue(BatchNorm.byImages(two, 64, 16, 35 * 35), "64 x 16 x 35 x 35 by images");
            assertTrue(!BatchNorm.byImages(two, 8, 64, 147 * 147), "8 x 64 x 147 x 147 by channels");
            assertTrue(BatchNorm.byImages(two, 8, 192, 17 * 17), "8 x 192 x 17 x 17 by images");
            assertTrue(!BatchNorm.byImages(two, 8, 80, 73 * 73), "8 x 80 x 73 x 73 by channels");
            // 3 × 3 planes are shorter than a vector with 16 lanes (AVX-512), not with 8.
            assertTrue(BatchNormSmallPlanes.applies(9) == (9 < Vectors.F.length()) && 64 * 64 * 9 >= 1 << 15,
                    "64 x 64 x 3 x 3 by blocks where a vector holds more than 9 floats");
            assertTrue(BatchNormSmallPlanes.applies(1) && 64 * 512 >= 1 << 15, "64 x 512 x 1 x 1 by blocks");
        }
    }

    private static void sameBitsOnOneTwoAndThreeThreads(Shape xs, boolean vector, boolean relu, long seed) {
        List<List<float[]>> results = new ArrayList<>();
        for (int threads = 1; threads <= 3; threads++) {
            try (CpuBackend cpu = new CpuBackend(new CpuConfig(threads, vector));
                 TensorScope scope = TensorScope.open()) {
                Shape cs = Shape.of(xs.dim(1));
                Tensor x = Ops.uniform(cpu, xs, seed, -3f, 3f), dy = Ops.uniform(cpu, xs, seed + 1, -1f, 1f);
                Tensor gamma = Ops.uniform(cpu, cs, seed + 2, -2f, 2f), beta = Ops.uniform(cpu, cs, seed + 3, -1f, 1f);
                Tensor rm = Ops.uniform(cpu, cs, seed + 4, -1f, 1f), rv = Ops.uniform(cpu, cs, seed + 5, 0.5f, 2f);
                Ops.BatchNormResult r = Ops.batchNormTraining(x, gamma, beta, rm, rv, 1e-3f, 0.1f, relu);
                Ops.BatchNormGrads g = relu
                        ? Ops.batchNormReluBackward(dy, r.out(), x, gamma, r.mean(), r.invStd())
                        : Ops.batchNormBackward(dy, x, gamma, r.mean(), r.invStd());
                results.add(List.of(r.out().toArray(), r.mean().toArray(), r.invStd().toArray(), rm.toArray(),
                        rv.toArray(), g.dx().toArray(), g.dgamma().toArray(), g.dbeta().toArray()));
            }
        }
        String[] names = {"out", "saved mean", "saved invStd", "running mean", "running variance", "dx", "dgamma",
                "dbeta"};
        for (int threads = 2; threads <= 3; threads++) {
            for (int k = 0; k < names.length; k++) {
                assertArrayEquals(results.get(0).get(k), results.get(threads - 1).get(k),
                        xs + (vector ? " vector" : " plain") + (relu ? " + relu" : "") + ": " + names[k] + ", 1 vs "
                                + threads + " threads");
            }
        }
    }
}
