package org.inceptionj.cpu;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;

import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.api.UnaryOp;
import org.inceptionj.conformance.Tolerances;
import org.inceptionj.conformance.Values;
import org.inceptionj.conformance.reference.BatchNormReference;
import org.inceptionj.conformance.reference.Conv2dReference;
import org.inceptionj.conformance.reference.DTensor;
import org.inceptionj.conformance.reference.ElementwiseReference;
import org.inceptionj.conformance.reference.PoolingReference;
import org.junit.jupiter.api.Test;

/**
 * A branch pool taken the other way round ({@link BranchPool}: the 1×1 first, then the average over its fewer
 * channels, then batch norm and ReLU) is within the conformance kit's float tolerance of the pool-first block
 * computed in double: Inception's geometries (3×3 averages at stride 1 counting padding or not), a stride-2
 * average, channel counts that do not fill whole vectors, batch 1 and 3, one and three threads, values of one
 * magnitude and of six decades. Each case checks that the commuted path is the one taken, and that an x left
 * NCHW (where an observer read the module's output) gives the same bits as x left blocked.
 */
class BranchPoolTest {
    private static final int L = Vectors.F.length();

    @Test
    void withinTheKitsToleranceOfThePoolFirstBlock() {
        assumeTrue(Gemm.WIDE, "the commuted branch pool runs only with AVX-512 (Gemm.WIDE), on the blocked path");
        Pool2dSpec[] pools = {Pool2dSpec.of(3, 1, 1), Pool2dSpec.of(3, 1, 1).withCountIncludePad(false),
                Pool2dSpec.of(3, 2, 0)};
        int[][] shapes = {{1, 64, 17, 17, 24}, {3, 40, 9, 7, 16}, {1, 2 * L, 8, 8, L + 3}};
        int k = 0;
        for (Pool2dSpec pool : pools) {
            for (int[] s : shapes) {
                for (Values.Kind kind : new Values.Kind[] {Values.Kind.UNIT, Values.Kind.WIDE}) {
                    for (int threads : new int[] {1, 3}) {
                        check(new CpuConfig(threads, true, 1L << 26, true, true, true), s, pool, kind, k++);
                    }
                }
            }
        }
    }

    @Test
    void takenOnlyForAOneByOneWithFewerOutputChannels() {
        assumeTrue(Gemm.WIDE, "the commuted branch pool runs only with AVX-512 (Gemm.WIDE), on the blocked path");
        try (CpuBackend be = new CpuBackend(new CpuConfig(1, true, 1L << 26, true, true, true));
             TensorScope s = TensorScope.open()) {
            Tensor blocked = PoolBlockedTest.blocked(be, new int[] {1, 32, 8, 8}, new float[32 * 64]);
            Tensor nchw = Ops.zeros(be, Shape.of(1, 32, 8, 8));
            Pool2dSpec pool = Pool2dSpec.of(3, 1, 1);
            Conv2dSpec one = Conv2dSpec.of(1, 0);
            assertTrue(BranchPool.applies(be, blocked, Ops.zeros(be, Shape.of(16, 32, 1, 1)), pool, one));
            assertTrue(BranchPool.applies(be, nchw, Ops.zeros(be, Shape.of(16, 32, 1, 1)), pool, one),
                    "an NCHW x too (the 1×1 reads it in place)");
            assertFalse(BranchPool.applies(be, blocked, Ops.zeros(be, Shape.of(32, 32, 1, 1)), pool, one),
                    "as many output channels as input ones: the pool would not shrink");
            assertFalse(BranchPool.applies(be, blocked, Ops.zeros(be, Shape.of(16, 32, 3, 3)), pool,
                    Conv2dSpec.of(1, 1)), "a 3×3");
            assertFalse(BranchPool.applies(be, blocked, Ops.zeros(be, Shape.of(16, 32, 1, 1)), Pool2dSpec.of(2, 1, 0),
                    one), "a 2×2 pool");
            assertFalse(BranchPool.applies(be, blocked, Ops.zeros(be, Shape.of(16, 32, 1, 1)), pool,
                    Conv2dSpec.of(2, 0)), "stride 2");
        }
    }

    private static void check(CpuConfig config, int[] s, Pool2dSpec pool, Values.Kind kind, long seed) {
        int n = s[0], cin = s[1], h = s[2], w = s[3], cout = s[4];
        Shape xs = Shape.of(n, cin, h, w), cs = Shape.of(cout);
        Conv2dSpec one = Conv2dSpec.of(1, 0);
        float eps = 1e-3f;
        DTensor x = Values.of(xs, kind, seed), wt = Values.of(Shape.of(cout, cin, 1, 1), kind, seed + 1);
        DTensor gamma = Values.uniform(cs, seed + 2, -2, 2), beta = Values.uniform(cs, seed + 3, -1, 1);
        DTensor mean = Values.uniform(cs, seed + 4, -1, 1), var = Values.uniform(cs, seed + 5, 0, 3);
        DTensor ref = ElementwiseReference.unary(UnaryOp.RELU, BatchNormReference.inference(Conv2dReference.forward(
                PoolingReference.average(x, pool), wt, null, one), gamma, beta, mean, var, eps));
        DTensor tol = Tolerances.FLOAT32.avgPool2dConv2dBatchNormInference(x, pool, wt, one, gamma, beta, mean, var,
                eps);
        String what = Arrays.toString(s) + " " + pool + " " + kind + ", " + config.threads() + " thread(s)";
        try (CpuBackend be = new CpuBackend(config); TensorScope scope = TensorScope.open()) {
            Tensor xt = PoolBlockedTest.blocked(be, new int[] {n, cin, h, w}, floats(x));
            Tensor w4 = Ops.fromArray(be, wt.shape(), floats(wt));
            assertTrue(BranchPool.applies(be, xt, w4, pool, one), what + ": the commuted path should be taken");
            float[] got = Ops.avgPool2dConv2dBatchNorm(xt, w4, t(be, gamma), t(be, beta), t(be, mean), t(be, var),
                    eps, pool, one, true).toArray();
            for (int i = 0; i < got.length; i++) {
                if (!(Math.abs(got[i] - ref.data()[i]) <= tol.data()[i])) {
                    fail(what + ": element " + i + " is " + got[i] + ", reference " + ref.data()[i] + " ± "
                            + tol.data()[i]);
                }
            }
            // An NCHW x (left so where something read a module's output) gives the same bits.
            Tensor nchw = Ops.fromArray(be, xs, floats(x));
            assertTrue(BranchPool.applies(be, nchw, w4, pool, one), what + ": NCHW x");
            CpuBackwardTest.assertBitsEqual(what + ": x NCHW against x blocked", got, Ops.avgPool2dConv2dBatchNorm(nchw,
                    w4, t(be, gamma), t(be, beta), t(be, mean), t(be, var), eps, pool, one, true).toArray());
        }
    }

    private static Tensor t(CpuBackend be, DTensor d) {
        return Ops.fromArray(be, d.shape(), floats(d));
    }

    private static float[] floats(DTensor d) {
        float[] f = new float[d.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) d.data()[i];
        }
        return f;
    }
}
