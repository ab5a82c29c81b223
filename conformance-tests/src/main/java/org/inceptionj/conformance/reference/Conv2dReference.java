package org.inceptionj.conformance.reference;

import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Shape;

/** Reference of {@code conv2d}: the defining sum of a 2-D cross-correlation, in double precision. */
public final class Conv2dReference {
    private Conv2dReference() {
    }

    /**
     * Output size along one axis: floor((in + padBegin + padEnd − dilation·(k − 1) − 1) / stride) + 1,
     * written out here rather than taken from {@link Conv2dSpec} so that the spec's formula is checked too.
     */
    public static int outSize(int in, int k, int stride, int padBegin, int padEnd, int dilation) {
        return Math.floorDiv(in + padBegin + padEnd - dilation * (k - 1) - 1, stride) + 1;
    }

    /**
     * out[n,co,oh,ow] = bias[co] + Σ_{ci,i,j} x[n,ci,ih,iw]·w[co,ci,i,j], with
     * ih = oh·strideH − padTop + i·dilationH and iw = ow·strideW − padLeft + j·dilationW;
     * terms with (ih, iw) outside x are zero (zero padding).
     *
     * @param x    [N, Cin, H, W]
     * @param w    [Cout, Cin, kh, kw]
     * @param bias [Cout] or null
     * @return [N, Cout, outH, outW]
     */
    public static DTensor forward(DTensor x, DTensor w, DTensor bias, Conv2dSpec s) {
        int n = x.shape().dim(0), cin = x.shape().dim(1), h = x.shape().dim(2), wd = x.shape().dim(3);
        int cout = w.shape().dim(0), kh = w.shape().dim(2), kw = w.shape().dim(3);
        int outH = outSize(h, kh, s.strideH(), s.padTop(), s.padBottom(), s.dilationH());
        int outW = outSize(wd, kw, s.strideW(), s.padLeft(), s.padRight(), s.dilationW());
        DTensor out = DTensor.zeros(Shape.of(n, cout, outH, outW));
        for (int b = 0; b < n; b++) {
            for (int co = 0; co < cout; co++) {
                for (int oh = 0; oh < outH; oh++) {
                    for (int ow = 0; ow < outW; ow++) {
                        double sum = bias == null ? 0.0 : bias.get(co);
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
                                    sum += x.get(b, ci, ih, iw) * w.get(co, ci, i, j);
                                }
                            }
                        }
                        out.set(sum, b, co, oh, ow);
                    }
                }
            }
        }
        return out;
    }
}
