package org.inceptionj.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.junit.jupiter.api.Test;

/**
 * The CPU's fused inference block, {@code conv2dBatchNormInference}, is bit for bit the three calls it
 * replaces (conv2d, batchNormInference, RELU): the GEMM sums each element as conv2d does and the
 * epilogue does BatchNorm's float operations. Over random geometry (so the per-image, the across-batch
 * and the weights-in-place products, edge tiles and several k-blocks all come up), one and two
 * threads, with and without the ReLU, and with statistics that make some outputs negative. With
 * Winograd's inference convolutions off: where they apply the sums differ in their last bits
 * ({@link Conv2dWinogradTest} holds them to the formula instead).
 */
class Conv2dBatchNormTest {

    @Property(tries = 60)
    void fusedIsTheThreeCallsBitForBit(@ForAll @IntRange(min = 1, max = 3) int n,
                                        @ForAll @IntRange(min = 1, max = 40) int cin,
                                        @ForAll @IntRange(min = 1, max = 140) int cout,
                                        @ForAll @IntRange(min = 1, max = 24) int size,
                                        @ForAll @IntRange(min = 1, max = 3) int k,
                                        @ForAll @IntRange(min = 1, max = 2) int stride,
                                        @ForAll boolean pad, @ForAll boolean relu,
                                        @ForAll @IntRange(min = 1, max = 2) int threads, @ForAll long seed) {
        int kh = 2 * k - 1, kw = k == 2 ? 1 : kh;   // 1×1, 3×1, 5×5
        int padH = pad ? kh / 2 : 0, padW = pad ? kw / 2 : 0;
        int h = Math.max(size, kh), w = Math.max(size, kw);
        check(n, cin, h, w, cout, kh, kw, Conv2dSpec.of(stride, padH, padW), relu, threads, seed);
    }

    /** Past KC (K = 360) with W read in place and a 133-row M; and a product over many columns, packed. */
    @Test
    void inPlaceAndPackedWeightsAcrossBlocks() {
        check(1, 40, 8, 8, 133, 3, 3, Conv2dSpec.of(1, 1), true, 2, 1);
        check(2, 40, 21, 21, 133, 3, 3, Conv2dSpec.of(1, 1), true, 2, 2);
        check(4, 300, 5, 5, 13, 1, 1, Conv2dSpec.of(1, 0), false, 1, 3);
    }

    private static void check(int n, int cin, int h, int w, int cout, int kh, int kw, Conv2dSpec spec, boolean relu,
                              int threads, long seed) {
        Random r = new Random(seed);
        float[] x = values(r, n * cin * h * w, 1f), wt = values(r, cout * cin * kh * kw, 1f);
        float[] gamma = values(r, cout, 2f), beta = values(r, cout, 1f), mean = values(r, cout, 1f);
        float[] var = new float[cout];
        for (int i = 0; i < cout; i++) {
            var[i] = r.nextFloat() * 3;
        }
        try (CpuBackend cpu = new CpuBackend(new CpuConfig(threads, true, CpuConfig.defaultCacheBytes(), true, false));
             TensorScope s = TensorScope.open()) {
            Tensor xt = Ops.fromArray(cpu, Shape.of(n, cin, h, w), x);
            Tensor wtt = Ops.fromArray(cpu, Shape.of(cout, cin, kh, kw), wt);
            Tensor g = Ops.fromArray(cpu, Shape.of(cout), gamma), b = Ops.fromArray(cpu, Shape.of(cout), beta);
            Tensor m = Ops.fromArray(cpu, Shape.of(cout), mean), v = Ops.fromArray(cpu, Shape.of(cout), var);
            Tensor bn = Ops.batchNorm(Ops.conv2d(xt, wtt, null, spec), g, b, m, v, 1e-3f);
            float[] expected = (relu ? Ops.relu(bn) : bn).toArray();
            float[] got = Ops.conv2dBatchNorm(xt, wtt, g, b, m, v, 1e-3f, spec, relu).toArray();
            assertEquals(expected.length, got.length);
            for (int i = 0; i < got.length; i++) {
                if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(got[i])) {
                    throw new AssertionError("x[" + n + "," + cin + "," + h + "," + w + "] w[" + cout + "," + cin + ","
                            + kh + "," + kw + "] " + spec + (relu ? " relu" : "") + " on " + threads
                            + " thread(s): element " + i + " fused " + got[i] + ", separate " + expected[i]);
                }
            }
        }
    }

    private static float[] values(Random r, int size, float scale) {
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = (r.nextFloat() * 2 - 1) * scale;
        }
        return a;
    }
}
