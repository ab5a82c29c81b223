package org.inceptionj.conformance.selftest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.inceptionj.api.BinaryOp;
import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.ReduceOp;
import org.inceptionj.api.Shape;
import org.inceptionj.conformance.reference.BatchNormReference;
import org.inceptionj.conformance.reference.Conv2dReference;
import org.inceptionj.conformance.reference.DTensor;
import org.inceptionj.conformance.reference.ElementwiseReference;
import org.inceptionj.conformance.reference.LayoutReference;
import org.inceptionj.conformance.reference.MatMulReference;
import org.inceptionj.conformance.reference.PoolingReference;
import org.inceptionj.conformance.reference.ReduceReference;
import org.inceptionj.conformance.reference.SoftmaxReference;
import org.junit.jupiter.api.Test;

/** The references on examples small enough to work out by hand (the expected values are in the comments' arithmetic). */
class ReferenceExamplesTest {

    private static DTensor t(Shape s, double... v) {
        return new DTensor(s, v);
    }

    @Test
    void conv2dIsACrossCorrelationWithZeroPadding() {
        DTensor x = t(Shape.of(1, 1, 3, 3), 1, 2, 3, 4, 5, 6, 7, 8, 9);
        DTensor w = t(Shape.of(1, 1, 2, 2), 1, 0, 0, 1);           // x[i,j] + x[i+1,j+1]
        assertArrayEquals(new double[] {6, 8, 12, 14},
                Conv2dReference.forward(x, w, null, Conv2dSpec.of(1, 0)).data());
        // one row of zero padding on top only: out[oh,ow] = x[oh-1,ow] + x[oh,ow+1]
        DTensor top = Conv2dReference.forward(x, w, t(Shape.of(1), 0.5), new Conv2dSpec(1, 1, 1, 0, 0, 0, 1, 1));
        assertEquals(Shape.of(1, 1, 3, 2), top.shape());
        assertArrayEquals(new double[] {2.5, 3.5, 6.5, 8.5, 12.5, 14.5}, top.data());
        // dilation 2 on a 1x2 kernel: x[i,j] + x[i,j+2]
        DTensor dil = Conv2dReference.forward(x, t(Shape.of(1, 1, 1, 2), 1, 1), null,
                new Conv2dSpec(1, 1, 0, 0, 0, 0, 1, 2));
        assertArrayEquals(new double[] {4, 10, 16}, dil.data());
    }

    @Test
    void averagePoolDivisorsWithAndWithoutPadding() {
        DTensor x = t(Shape.of(1, 1, 2, 2), 1, 2, 3, 4);
        Pool2dSpec s = Pool2dSpec.of(2, 1, 1);                       // 3x3 output, windows of 1, 2 or 4 cells
        assertArrayEquals(new double[] {0.25, 0.75, 0.5, 1, 2.5, 1.5, 0.75, 1.75, 1},
                PoolingReference.average(x, s).data());
        assertArrayEquals(new double[] {1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4},
                PoolingReference.average(x, s.withCountIncludePad(false)).data());
        assertArrayEquals(new double[] {1, 2, 2, 3, 4, 4, 3, 4, 4}, PoolingReference.max(x, s).data());
    }

    @Test
    void ceilModeWindowsPastThePaddedInputCountForNothing() {
        DTensor x = t(Shape.of(1, 1, 1, 5), 1, 2, 3, 4, 5);
        Pool2dSpec s = new Pool2dSpec(1, 2, 1, 2, 0, 0, 0, 0, 1, 1, true, true);
        assertEquals(Shape.of(1, 1, 1, 3), PoolingReference.outShape(x.shape(), s));
        assertArrayEquals(new double[] {1.5, 3.5, 5}, PoolingReference.average(x, s).data());
        assertArrayEquals(new double[] {2, 4, 5}, PoolingReference.max(x, s).data());
        // a last window that would start in the end padding is dropped: in 4, k 2, s 2, pad (0,1) -> 2 windows
        assertEquals(2, PoolingReference.outSize(4, 2, 2, 0, 1, 1, true));
        assertEquals(3, PoolingReference.outSize(5, 2, 2, 0, 1, 1, true));
    }

    @Test
    void batchNormTrainingStatistics() {
        DTensor x = t(Shape.of(2, 1), 1, 3);                         // mu 2, biased var 1, unbiased 2
        BatchNormReference.Training r = BatchNormReference.training(x, t(Shape.of(1), 2), t(Shape.of(1), 1),
                t(Shape.of(1), 10), t(Shape.of(1), 10), 0.0, 0.5);
        assertArrayEquals(new double[] {2}, r.mean().data());
        assertArrayEquals(new double[] {1}, r.invStd().data());
        assertArrayEquals(new double[] {-1, 3}, r.out().data());      // 2*(x-2)*1 + 1
        assertArrayEquals(new double[] {6}, r.runningMean().data());  // 0.5*10 + 0.5*2
        assertArrayEquals(new double[] {6}, r.runningVar().data());   // 0.5*10 + 0.5*2
        BatchNormReference.Training one = BatchNormReference.training(t(Shape.of(1, 1), 4), t(Shape.of(1), 1),
                t(Shape.of(1), 0), t(Shape.of(1), 0), t(Shape.of(1), 1), 0.25, 1.0);
        assertArrayEquals(new double[] {0}, one.runningVar().data()); // M = 1: the biased variance, 0
        assertArrayEquals(new double[] {2}, one.invStd().data());     // 1/sqrt(0 + 0.25)
        assertArrayEquals(new double[] {1}, BatchNormReference.inference(t(Shape.of(1, 1, 1), 4),
                t(Shape.of(1), 1), t(Shape.of(1), 0), t(Shape.of(1), 2), t(Shape.of(1), 3.75), 0.25).data());
    }

    @Test
    void softmaxReduceBroadcastMatmulLayout() {
        DTensor sm = SoftmaxReference.softmax(t(Shape.of(2), 0, Math.log(3)), 0, false);
        assertArrayEquals(new double[] {0.25, 0.75}, sm.data(), 1e-15);
        assertArrayEquals(new double[] {Math.log(0.25), Math.log(0.75)},
                SoftmaxReference.softmax(t(Shape.of(2), 0, Math.log(3)), 0, true).data(), 1e-15);
        DTensor m = t(Shape.of(2, 3), 1, 2, 3, 4, 5, 6);
        assertArrayEquals(new double[] {5, 7, 9}, ReduceReference.reduce(ReduceOp.SUM, m, new boolean[] {true, false}, false).data());
        assertArrayEquals(new double[] {2, 5}, ReduceReference.reduce(ReduceOp.MEAN, m, new boolean[] {false, true}, true).data());
        assertArrayEquals(new double[] {6}, ReduceReference.reduce(ReduceOp.MAX, m, new boolean[] {true, true}, false).data());
        DTensor sum = ElementwiseReference.binary(BinaryOp.ADD, t(Shape.of(2, 1), 10, 20), t(Shape.of(3), 1, 2, 3));
        assertEquals(Shape.of(2, 3), sum.shape());
        assertArrayEquals(new double[] {11, 12, 13, 21, 22, 23}, sum.data());
        DTensor a = t(Shape.of(2, 2), 1, 2, 3, 4), b = t(Shape.of(2, 2), 5, 6, 7, 8);
        assertArrayEquals(new double[] {19, 22, 43, 50}, MatMulReference.matmul(a, b, false, false).data());
        assertArrayEquals(new double[] {26, 30, 38, 44}, MatMulReference.matmul(a, b, true, false).data());
        assertArrayEquals(new double[] {17, 23, 39, 53}, MatMulReference.matmul(a, b, false, true).data());
        assertArrayEquals(new double[] {1, 2, 3, 10, 4, 5, 6, 20},
                LayoutReference.concat(new DTensor[] {m, t(Shape.of(2, 1), 10, 20)}, 1).data());
        assertArrayEquals(new double[] {2, 3, 5, 6}, LayoutReference.slice(m, 1, 1, 2).data());
    }
}
