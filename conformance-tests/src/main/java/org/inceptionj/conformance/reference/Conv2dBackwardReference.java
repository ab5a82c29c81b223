package org.inceptionj.conformance.reference;

import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Shape;

/**
 * Gradients of {@code conv2d} (see {@link Conv2dReference}), in double precision. Each is the
 * forward loop run backwards: every product x[n,ci,ih,iw]·w[co,ci,i,j] that the forward pass adds
 * into out[n,co,oh,ow] sends dy[n,co,oh,ow] times one factor back to the other factor's cell.
 * That is the whole derivation (the forward is linear in x, in w and in bias), so these read as
 * the forward does, with the same index formulas ih = oh·strideH − padTop + i·dilationH and
 * iw = ow·strideW − padLeft + j·dilationW and the same skipped (zero-padded) taps.
 */
public final class Conv2dBackwardReference {
    private Conv2dBackwardReference() {
    }

    /**
     * dx[n,ci,ih,iw] = Σ dy[n,co,oh,ow]·w[co,ci,i,j] over every (co, oh, ow, i, j) whose tap lands
     * on (ih, iw).
     *
     * @param dy     [N, Cout, outH, outW]
     * @param w      [Cout, Cin, kh, kw]
     * @param xShape the forward input's shape [N, Cin, H, W]
     */
    public static DTensor data(DTensor dy, DTensor w, Shape xShape, Conv2dSpec s) {
        DTensor dx = DTensor.zeros(xShape);
        new Taps(xShape, w.shape(), dy.shape(), s).forEach((xi, wi, yi) -> dx.data()[xi] += dy.data()[yi] * w.data()[wi]);
        return dx;
    }

    /**
     * dw[co,ci,i,j] = Σ_{n,oh,ow} dy[n,co,oh,ow]·x[n,ci,ih,iw], taps outside x contributing 0.
     *
     * @param wShape the weight's shape [Cout, Cin, kh, kw]
     */
    public static DTensor weight(DTensor dy, DTensor x, Shape wShape, Conv2dSpec s) {
        DTensor dw = DTensor.zeros(wShape);
        new Taps(x.shape(), wShape, dy.shape(), s).forEach((xi, wi, yi) -> dw.data()[wi] += dy.data()[yi] * x.data()[xi]);
        return dw;
    }

    /** dbias[co] = Σ_{n,oh,ow} dy[n,co,oh,ow]. */
    public static DTensor bias(DTensor dy) {
        int n = dy.shape().dim(0), cout = dy.shape().dim(1), plane = dy.shape().dim(2) * dy.shape().dim(3);
        DTensor db = DTensor.zeros(Shape.of(cout));
        for (int b = 0; b < n; b++) {
            for (int co = 0; co < cout; co++) {
                for (int p = 0; p < plane; p++) {
                    db.data()[co] += dy.data()[(b * cout + co) * plane + p];
                }
            }
        }
        return db;
    }

    /** A visitor of one product of the forward sum: flat positions in x, w and out. */
    @FunctionalInterface
    interface Tap {
        void accept(int xIndex, int wIndex, int outIndex);
    }

    /** The forward loop of {@link Conv2dReference#forward}, visiting every product it adds up. */
    private record Taps(Shape x, Shape w, Shape out, Conv2dSpec s) {
        void forEach(Tap tap) {
            int n = x.dim(0), cin = x.dim(1), h = x.dim(2), wd = x.dim(3);
            int cout = w.dim(0), kh = w.dim(2), kw = w.dim(3), outH = out.dim(2), outW = out.dim(3);
            for (int b = 0; b < n; b++) {
                for (int co = 0; co < cout; co++) {
                    for (int oh = 0; oh < outH; oh++) {
                        for (int ow = 0; ow < outW; ow++) {
                            int yi = ((b * cout + co) * outH + oh) * outW + ow;
                            for (int ci = 0; ci < cin; ci++) {
                                for (int i = 0; i < kh; i++) {
                                    int ih = oh * s.strideH() - s.padTop() + i * s.dilationH();
                                    if (ih < 0 || ih >= h) {
                                        continue;
                                    }
                                    for (int j = 0; j < kw; j++) {
                                        int iw = ow * s.strideW() - s.padLeft() + j * s.dilationW();
                                        if (iw < 0 || iw >= wd) {
                                            continue;
                                        }
                                        tap.accept(((b * cin + ci) * h + ih) * wd + iw,
                                                ((co * cin + ci) * kh + i) * kw + j, yi);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
