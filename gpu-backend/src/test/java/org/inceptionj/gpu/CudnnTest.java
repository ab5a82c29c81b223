package org.inceptionj.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.stream.Stream;

import org.inceptionj.api.Conv2dSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * cuDNN through the patched JCudnn without a GPU: version, descriptors, output shapes. Skipped,
 * with the reason, where no cuDNN is found (set INCEPTIONJ_CUDNN_PATH).
 */
class CudnnTest {

    @Test
    void loadsThroughThePatchedJCudnn() {
        CudaLibraries.CudnnInfo c = GpuHosts.cudnn();
        assertEquals(c.major(), Cudnn.majorVersion());
        assertTrue(c.major() == 8 || c.major() == 9, c.version());
        if (c.major() == 9) {
            assertTrue(c.patch9() == JCudnnPatch.Outcome.PATCHED || c.patch9() == JCudnnPatch.Outcome.ALREADY_PATCHED);
        }
        assertEquals(CudaLibraries.nativeDir(), c.jcudnn().getParent());
        System.out.println("cuDNN " + c.version() + " from " + c.library() + " (" + c.how() + "), JCudnn patch: "
                + c.patch9());
        assertTrue(CudaLibraries.loadCudnn() == c, "loading again returns the same result");
    }

    /** Inception-v3's convolutions (torchvision names): input [N,C,H,W], weight [K,C,R,S], spec, expected output. */
    static Stream<Arguments> inceptionConvs() {
        return Stream.of(
                conv("Conv2d_1a_3x3", 8, 3, 299, 299, 32, 3, 3, Conv2dSpec.of(2, 0), 149, 149),
                conv("Conv2d_2a_3x3", 8, 32, 149, 149, 32, 3, 3, Conv2dSpec.of(1, 0), 147, 147),
                conv("Conv2d_2b_3x3", 8, 32, 147, 147, 64, 3, 3, Conv2dSpec.of(1, 1), 147, 147),
                conv("Conv2d_3b_1x1", 8, 64, 73, 73, 80, 1, 1, Conv2dSpec.of(1, 0), 73, 73),
                conv("Conv2d_4a_3x3", 8, 80, 73, 73, 192, 3, 3, Conv2dSpec.of(1, 0), 71, 71),
                conv("Mixed_5b.branch5x5_2", 8, 48, 35, 35, 64, 5, 5, Conv2dSpec.of(1, 2), 35, 35),
                conv("Mixed_5b.branch3x3dbl_2", 8, 64, 35, 35, 96, 3, 3, Conv2dSpec.of(1, 1), 35, 35),
                conv("Mixed_6a.branch3x3", 8, 288, 35, 35, 384, 3, 3, Conv2dSpec.of(2, 0), 17, 17),
                conv("Mixed_6b.branch7x7_2 (1x7)", 8, 128, 17, 17, 128, 1, 7, Conv2dSpec.of(1, 0, 3), 17, 17),
                conv("Mixed_6b.branch7x7_3 (7x1)", 8, 128, 17, 17, 192, 7, 1, Conv2dSpec.of(1, 3, 0), 17, 17),
                conv("Mixed_7a.branch3x3_2", 8, 192, 17, 17, 320, 3, 3, Conv2dSpec.of(2, 0), 8, 8),
                conv("Mixed_7b.branch3x3_2a (1x3)", 8, 384, 8, 8, 384, 1, 3, Conv2dSpec.of(1, 0, 1), 8, 8),
                conv("Mixed_7b.branch3x3_2b (3x1)", 8, 384, 8, 8, 384, 3, 1, Conv2dSpec.of(1, 1, 0), 8, 8),
                conv("AuxLogits.conv1 (5x5)", 8, 128, 5, 5, 768, 5, 5, Conv2dSpec.of(1, 0), 1, 1),
                conv("fc as 1x1 conv", 8, 2048, 1, 1, 1000, 1, 1, Conv2dSpec.of(1, 0), 1, 1),
                conv("odd size, stride 2, pad 1", 3, 5, 17, 10, 7, 3, 3, Conv2dSpec.of(2, 1), 9, 5),
                conv("dilation 2", 1, 2, 11, 11, 4, 3, 3, new Conv2dSpec(1, 1, 2, 2, 2, 2, 2, 2), 11, 11));
    }

    private static Arguments conv(String name, int n, int c, int h, int w, int k, int r, int s, Conv2dSpec spec,
                                  int oh, int ow) {
        return Arguments.of(name, new int[] {n, c, h, w}, new int[] {k, c, r, s}, spec, new int[] {n, k, oh, ow});
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("inceptionConvs")
    void convolutionOutputShapes(String name, int[] x, int[] w, Conv2dSpec spec, int[] expected) {
        GpuHosts.cudnn();
        try (Cudnn.TensorDesc xd = Cudnn.TensorDesc.nchw("x", x[0], x[1], x[2], x[3]);
             Cudnn.FilterDesc wd = new Cudnn.FilterDesc("w", w[0], w[1], w[2], w[3]);
             Cudnn.ConvDesc cd = new Cudnn.ConvDesc(spec)) {
            int[] y = Cudnn.convOutputDim(cd, xd, wd);
            assertArrayEquals(expected, y, name + ": " + Arrays.toString(y));
            // the API's own formula agrees
            assertEquals(spec.outH(x[2], w[2]), y[2]);
            assertEquals(spec.outW(x[3], w[3]), y[3]);
        }
    }

    @Test
    void poolingOutputShapes() {
        GpuHosts.cudnn();
        int[][] cases = {
                // h, w, kernel, stride, pad, expected h, w
                {147, 147, 3, 2, 0, 73, 73},     // maxpool1
                {71, 71, 3, 2, 0, 35, 35},       // maxpool2
                {35, 35, 3, 1, 1, 35, 35},       // branch_pool avg 3x3/1 pad 1
                {17, 17, 5, 3, 0, 5, 5},         // AuxLogits avg 5x5/3
                {8, 8, 8, 1, 0, 1, 1},           // global average pool
        };
        for (Cudnn.PoolMode mode : Cudnn.PoolMode.values()) {
            for (int[] c : cases) {
                try (Cudnn.TensorDesc x = Cudnn.TensorDesc.nchw("x", 2, 3, c[0], c[1]);
                     Cudnn.PoolDesc p = new Cudnn.PoolDesc(mode, c[2], c[2], c[4], c[4], c[3], c[3])) {
                    assertArrayEquals(new int[] {2, 3, c[5], c[6]}, Cudnn.poolOutputDim(p, x), p.toString());
                }
            }
        }
    }

    @Test
    void everyDescriptorKindCanBeMadeAndClosed() {
        GpuHosts.cudnn();
        try (Cudnn.TensorDesc slice = Cudnn.TensorDesc.strided("Mixed_5b[:, 64:128]", 8, 64, 35, 35, 256 * 35 * 35,
                35 * 35, 35, 1);
             Cudnn.TensorDesc x = Cudnn.TensorDesc.nchw("x", 8, 64, 35, 35);
             Cudnn.TensorDesc bn = Cudnn.batchNormParams(x);
             Cudnn.ActivationDesc relu = new Cudnn.ActivationDesc();
             Cudnn.OpTensorDesc add = new Cudnn.OpTensorDesc(Cudnn.TensorOp.ADD);
             Cudnn.ReduceDesc sum = new Cudnn.ReduceDesc(Cudnn.ReduceOp.ADD)) {
            assertTrue(slice.toString().contains("strides [313600,1225,35,1]"), slice.toString());
            assertEquals("bn(x) [1,64,1,1]", bn.toString());
        }
    }

    @Test
    void aFailedCallCarriesCudnnsTextTheFunctionAndTheShape() {
        CudaLibraries.CudnnInfo c = GpuHosts.cudnn();
        GpuException e = assertThrows(GpuException.class, () -> Cudnn.TensorDesc.nchw("x", 8, 3, -1, 17));
        String m = e.getMessage();
        System.out.println("cuDNN " + c.version() + " error: " + m);
        assertEquals(GpuException.Library.CUDNN, e.library());
        assertTrue(m.startsWith("cudnnSetTensor4dDescriptor(x [8,3,-1,17]) failed: CUDNN_STATUS_BAD_PARAM"), m);
        assertTrue(e.status() != 0);
        assertTrue(Cudnn.errorString(0).contains("SUCCESS"), Cudnn.errorString(0));
    }

    @Test
    void asymmetricPaddingIsRefusedBeforeCudnnSeesIt() {
        // pad (top,left,bottom,right) = (0,0,1,1), TF's "SAME" for a 3x3/2 on an even input
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Cudnn.ConvDesc(new Conv2dSpec(2, 2, 0, 0, 1, 1, 1, 1)));
        assertTrue(e.getMessage().contains("one pad per axis"), e.getMessage());
    }
}
