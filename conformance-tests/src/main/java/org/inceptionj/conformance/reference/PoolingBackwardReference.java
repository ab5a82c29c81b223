package org.inceptionj.conformance.reference;

import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.Shape;

/**
 * Gradients of max and average pooling (see {@link PoolingReference}), in double precision: the
 * forward window loop, sending each dy back to the cells its output was computed from. A cell in
 * several overlapping windows receives the sum.
 */
public final class PoolingBackwardReference {
    private PoolingBackwardReference() {
    }

    /**
     * dx[cell] = Σ dy[n,c,oh,ow] over the windows that {@code cell} won. The winner of a window is
     * its largest real cell; among equal maxima the first in row-major window order (kernel row i
     * first, then column j, both ascending) wins, as in PyTorch and cuDNN: the loop below only
     * moves the winner on a strictly larger value.
     */
    public static DTensor max(DTensor dy, DTensor x, Pool2dSpec s) {
        int n = x.shape().dim(0), c = x.shape().dim(1), h = x.shape().dim(2), w = x.shape().dim(3);
        DTensor dx = DTensor.zeros(x.shape());
        for (int b = 0; b < n; b++) {
            for (int ch = 0; ch < c; ch++) {
                for (int oh = 0; oh < dy.shape().dim(2); oh++) {
                    for (int ow = 0; ow < dy.shape().dim(3); ow++) {
                        int winH = -1, winW = -1;
                        double max = Double.NEGATIVE_INFINITY;
                        for (int i = 0; i < s.kernelH(); i++) {
                            int ih = oh * s.strideH() - s.padTop() + i * s.dilationH();
                            for (int j = 0; j < s.kernelW(); j++) {
                                int iw = ow * s.strideW() - s.padLeft() + j * s.dilationW();
                                if (ih >= 0 && ih < h && iw >= 0 && iw < w
                                        && (winH < 0 || x.get(b, ch, ih, iw) > max)) {
                                    max = x.get(b, ch, ih, iw);
                                    winH = ih;
                                    winW = iw;
                                }
                            }
                        }
                        int at = dx.offset(b, ch, winH, winW);
                        dx.data()[at] += dy.get(b, ch, oh, ow);
                    }
                }
            }
        }
        return dx;
    }

    /**
     * dx[cell] = Σ dy[n,c,oh,ow] / divisor[oh,ow] over the windows whose real cells include
     * {@code cell}; the divisor is the forward's ({@link PoolingReference#divisors}), so a
     * count-include-pad window at the border passes on only part of its gradient.
     */
    public static DTensor average(DTensor dy, Shape xShape, Pool2dSpec s) {
        int n = xShape.dim(0), c = xShape.dim(1), h = xShape.dim(2), w = xShape.dim(3);
        DTensor divisor = PoolingReference.divisors(xShape, s);
        DTensor dx = DTensor.zeros(xShape);
        for (int b = 0; b < n; b++) {
            for (int ch = 0; ch < c; ch++) {
                for (int oh = 0; oh < dy.shape().dim(2); oh++) {
                    for (int ow = 0; ow < dy.shape().dim(3); ow++) {
                        double share = dy.get(b, ch, oh, ow) / divisor.get(b, ch, oh, ow);
                        for (int i = 0; i < s.kernelH(); i++) {
                            int ih = oh * s.strideH() - s.padTop() + i * s.dilationH();
                            for (int j = 0; j < s.kernelW(); j++) {
                                int iw = ow * s.strideW() - s.padLeft() + j * s.dilationW();
                                if (ih >= 0 && ih < h && iw >= 0 && iw < w) {
                                    int at = dx.offset(b, ch, ih, iw);
                                    dx.data()[at] += share;
                                }
                            }
                        }
                    }
                }
            }
        }
        return dx;
    }
}
