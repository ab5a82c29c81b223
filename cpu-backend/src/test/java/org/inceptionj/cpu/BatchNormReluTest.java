package org.inceptionj.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;

/**
 * The training block's fused calls give the bits of the calls they stand for: batchNormTraining with a
 * ReLU those of batchNormTraining and relu, batchNormReluBackward those of reluBackward and
 * batchNormBackward, on planes shorter than a vector ({@link BatchNormSmallPlanes}) and longer, on one
 * to three threads, vectorized or plain.
 */
class BatchNormReluTest {
    @Property(tries = 40)
    void fusedCallsGiveTheBitsOfTheSeparateOnes(@ForAll @IntRange(min = 1, max = 4) int n,
                                                @ForAll @IntRange(min = 1, max = 40) int c,
                                                @ForAll @IntRange(min = 1, max = 60) int side,
                                                @ForAll @IntRange(min = 1, max = 3) int threads,
                                                @ForAll boolean vector, @ForAll long seed) {
        int h = 1 + side / 8, w = 1 + side % 8 + side / 4;
        try (CpuBackend cpu = new CpuBackend(new CpuConfig(threads, vector));
             TensorScope scope = TensorScope.open()) {
            Shape xs = Shape.of(n, c, h, w), cs = Shape.of(c);
            Tensor x = Ops.uniform(cpu, xs, seed, -3f, 3f), dy = Ops.uniform(cpu, xs, seed + 1, -1f, 1f);
            Tensor gamma = Ops.uniform(cpu, cs, seed + 2, -2f, 2f), beta = Ops.uniform(cpu, cs, seed + 3, -1f, 1f);
            Tensor rm1 = Ops.zeros(cpu, cs), rv1 = Ops.full(cpu, cs, 1f), rm2 = Ops.zeros(cpu, cs), rv2 = Ops.full(cpu, cs, 1f);
            String what = xs + " on " + threads + " thread(s), " + (vector ? "vector" : "plain");

            Ops.BatchNormResult fused = Ops.batchNormTraining(x, gamma, beta, rm1, rv1, 1e-3f, 0.1f, true);
            Ops.BatchNormResult plain = Ops.batchNormTraining(x, gamma, beta, rm2, rv2, 1e-3f, 0.1f);
            Tensor y = Ops.relu(plain.out());
            assertArrayEquals(y.toArray(), fused.out().toArray(), what + ": forward out");
            assertArrayEquals(plain.mean().toArray(), fused.mean().toArray(), what + ": saved mean");
            assertArrayEquals(plain.invStd().toArray(), fused.invStd().toArray(), what + ": saved invStd");
            assertArrayEquals(rv2.toArray(), rv1.toArray(), what + ": running variance");

            Ops.BatchNormGrads g1 = Ops.batchNormReluBackward(dy, y, x, gamma, plain.mean(), plain.invStd());
            Ops.BatchNormGrads g2 = Ops.batchNormBackward(Ops.reluBackward(dy, y), x, gamma, plain.mean(), plain.invStd());
            assertArrayEquals(g2.dx().toArray(), g1.dx().toArray(), what + ": dx");
            assertArrayEquals(g2.dgamma().toArray(), g1.dgamma().toArray(), what + ": dgamma");
            assertArrayEquals(g2.dbeta().toArray(), g1.dbeta().toArray(), what + ": dbeta");
        }
    }
}
