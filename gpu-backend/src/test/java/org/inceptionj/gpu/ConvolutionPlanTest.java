package org.inceptionj.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Shape;
import org.junit.jupiter.api.Test;

/**
 * The cuda backend's cuDNN set-up without a GPU (cuDNN's descriptor calls need no handle): a
 * {@link Convolutions.Plan} for every convolution of Inception-v3 at batch 1, 32 and 128, in FP32 and
 * TF32 math, whose output shape cuDNN agrees with; the batch-norm parameter descriptor of every
 * convolution output, as the backend views it. Needs cuDNN (skipped with the reason otherwise).
 */
class ConvolutionPlanTest {
    @Test
    void everyInceptionConvolutionGetsAPlanWithTheArchitecturesOutputShape() {
        GpuHosts.cudnn();
        int plans = 0;
        for (int n : new int[] {1, 32, 128}) {
            for (InceptionShapes.Conv c : InceptionShapes.convs(n)) {
                for (boolean tf32 : new boolean[] {false, true}) {
                    try (Convolutions.Plan p = new Convolutions.Plan(c.x(), c.w(), c.spec(), tf32)) {
                        Shape y = c.y();
                        assertArrayEquals(y.dims(), new int[] {p.y.n, p.y.c, p.y.h, p.y.w}, c.name());
                        assertArrayEquals(y.dims(), Cudnn.convOutputDim(p.conv, p.x, p.w), c.name());
                        assertEquals(c.spec().outH(c.x().dim(2), c.w().dim(2)), c.outH(), c.name());
                        assertEquals("bias [1," + c.w().dim(0) + ",1,1]", p.bias.toString(), c.name());
                        plans++;
                    }
                }
            }
        }
        assertEquals(3 * 2 * 96, plans, "Inception-v3 has 96 convolutions (94 and the aux head's two)");
    }

    /** The pools run as own kernels; cuDNN's pooling descriptors agree on their output shapes all the same. */
    @Test
    void everyInceptionPoolHasTheArchitecturesOutputShape() {
        GpuHosts.cudnn();
        for (InceptionShapes.Pool p : InceptionShapes.pools(32)) {
            Shape x = p.x();
            assertEquals(p.out(), p.spec().outH(x.dim(2)), p.name());
            assertEquals(p.out(), p.spec().outW(x.dim(3)), p.name());
            Cudnn.PoolMode mode = p.name().contains("max") ? Cudnn.PoolMode.MAX : p.spec().countIncludePad()
                    ? Cudnn.PoolMode.AVERAGE_INCLUDE_PADDING : Cudnn.PoolMode.AVERAGE_EXCLUDE_PADDING;
            try (Cudnn.TensorDesc xd = Cudnn.TensorDesc.nchw("x", x.dim(0), x.dim(1), x.dim(2), x.dim(3));
                 Cudnn.PoolDesc pd = new Cudnn.PoolDesc(mode, p.spec().kernelH(), p.spec().kernelW(), p.spec().padTop(),
                         p.spec().padLeft(), p.spec().strideH(), p.spec().strideW())) {
                assertArrayEquals(new int[] {32, x.dim(1), p.out(), p.out()}, Cudnn.poolOutputDim(pd, xd), p.name());
            }
        }
    }

    @Test
    void batchNormParametersOfEveryConvolutionOutput() {
        GpuHosts.cudnn();
        for (InceptionShapes.Conv c : InceptionShapes.convs(32)) {
            Shape y = c.y();
            try (Cudnn.TensorDesc x = Cudnn.TensorDesc.nchw("x", y.dim(0), y.dim(1), y.dim(2) * y.dim(3), 1);
                 Cudnn.TensorDesc bn = Cudnn.batchNormParams(x)) {
                assertEquals(1, bn.n, c.name());
                assertEquals(y.dim(1), bn.c, c.name());
            }
        }
    }

    @Test
    void aPlanWhoseShapesCuDnnRefusesFailsNamingThem() {
        GpuHosts.cudnn();
        // more input channels in the weight than in x: cuDNN's output-dimension query refuses it
        GpuException e = assertThrows(GpuException.class,
                () -> new Convolutions.Plan(Shape.of(2, 3, 9, 9), Shape.of(4, 5, 3, 3), Conv2dSpec.of(1, 1), false));
        assertTrue(e.getMessage().contains("[2,3,9,9]") && e.getMessage().contains("[4,5,3,3]"), e.getMessage());
    }
}
