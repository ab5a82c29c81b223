package org.inceptionj.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import java.util.Random;

import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.junit.jupiter.api.Test;

/**
 * The columns past each image's last whole strip of a 1×1 (17×17: 9 strips and 1 column), taken
 * together across the batch ({@link Conv2d#tailsTogether}), give the bits of the same images
 * convolved one at a time (where each image's tail is a strip of its own): plain conv2d, the fused
 * inference block and the data gradient, one and two threads.
 */
class Conv2dTailsTest {
    @Test
    void tailsAcrossTheBatchGiveTheBitsOfOneImageAtATime() {
        assumeTrue(Gemm.WIDE, "the tails are taken together only with AVX-512 (Gemm.WIDE)");
        // {batch, cin, side, cout}: 17×17 tails of 1 column (16 images fill a vector), 18×18 of 4; more than
        // 64 output channels, so that the GEMM takes them (not Conv2dDirect).
        int[][] shapes = {{8, 64, 17, 96}, {3, 40, 17, 72}, {2, 300, 17, 133}, {16, 32, 17, 80}, {4, 24, 18, 72}};
        try (CpuBackend one = new CpuBackend(new CpuConfig(1, true))) {
            for (int[] s : shapes) {
                assertTrue(!Conv2dDirect.applies(one, geometry(s[0], s[1], s[2], s[3])),
                        Arrays.toString(s) + " is not a direct convolution");
            }
        }
        for (int[] s : shapes) {
            int n = s[0], cin = s[1], side = s[2], cout = s[3];
            assertTrue(Conv2d.tailsTogether(geometry(n, cin, side, cout)), Arrays.toString(s) + " takes the tails together");
            for (int threads = 1; threads <= 2; threads++) {
                check(n, cin, side, cout, threads, s[3] * 31L + threads);
            }
        }
    }

    private static Conv2d.Geometry geometry(int n, int cin, int side, int cout) {
        return new Conv2d.Geometry(n, cin, side, side, cout, 1, 1, side, side, 1, 1, 0, 0, 1, 1);
    }

    private static void check(int n, int cin, int side, int cout, int threads, long seed) {
        Random r = new Random(seed);
        float[] x = values(r, n * cin * side * side), w = values(r, cout * cin), gamma = values(r, cout),
                beta = values(r, cout), mean = values(r, cout), var = new float[cout];
        for (int i = 0; i < cout; i++) {
            var[i] = 0.5f + r.nextFloat();
        }
        int image = cin * side * side;
        String what = n + "x" + cin + "x" + side + "x" + side + " -> " + cout + ", " + threads + " thread(s)";
        try (CpuBackend cpu = new CpuBackend(new CpuConfig(threads, true));
             TensorScope scope = TensorScope.open()) {
            Tensor wt = Ops.fromArray(cpu, Shape.of(cout, cin, 1, 1), w);
            Tensor g = Ops.fromArray(cpu, Shape.of(cout), gamma), b = Ops.fromArray(cpu, Shape.of(cout), beta),
                    m = Ops.fromArray(cpu, Shape.of(cout), mean), v = Ops.fromArray(cpu, Shape.of(cout), var);
            Tensor xt = Ops.fromArray(cpu, Shape.of(n, cin, side, side), x);
            float[] conv = Ops.conv2d(xt, wt, null, Conv2dSpec.of(1, 0)).toArray();
            float[] fused = Ops.conv2dBatchNorm(xt, wt, g, b, m, v, 1e-3f, Conv2dSpec.of(1, 0), true).toArray();
            int out = cout * side * side;
            float[] dyAll = values(r, n * out);
            float[] dx = Ops.conv2dBackwardData(Ops.fromArray(cpu, Shape.of(n, cout, side, side), dyAll), wt,
                    Shape.of(n, cin, side, side), Conv2dSpec.of(1, 0)).toArray();
            for (int i = 0; i < n; i++) {
                Tensor one = Ops.fromArray(cpu, Shape.of(1, cin, side, side), Arrays.copyOfRange(x, i * image, (i + 1) * image));
                float[] c1 = Ops.conv2d(one, wt, null, Conv2dSpec.of(1, 0)).toArray();
                float[] f1 = Ops.conv2dBatchNorm(one, wt, g, b, m, v, 1e-3f, Conv2dSpec.of(1, 0), true).toArray();
                assertArrayEquals(c1, Arrays.copyOfRange(conv, i * out, (i + 1) * out), what + ": conv2d, image " + i);
                assertArrayEquals(f1, Arrays.copyOfRange(fused, i * out, (i + 1) * out), what + ": fused, image " + i);
                Tensor dy1 = Ops.fromArray(cpu, Shape.of(1, cout, side, side), Arrays.copyOfRange(dyAll, i * out, (i + 1) * out));
                float[] dx1 = Ops.conv2dBackwardData(dy1, wt, Shape.of(1, cin, side, side), Conv2dSpec.of(1, 0)).toArray();
                assertArrayEquals(dx1, Arrays.copyOfRange(dx, i * image, (i + 1) * image), what + ": data gradient, image " + i);
            }
        }
    }

    private static float[] values(Random r, int size) {
        float[] v = new float[size];
        for (int i = 0; i < size; i++) {
            v[i] = r.nextFloat() * 2 - 1;
        }
        return v;
    }
}
