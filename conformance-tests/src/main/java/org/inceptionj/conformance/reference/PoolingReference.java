package org.inceptionj.conformance.reference;

import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.Shape;

/**
 * References of max and average pooling over NCHW windows, in double precision.
 *
 * <p>Window (oh, ow) holds the kernel positions (i, j), i &lt; kernelH, j &lt; kernelW, at input
 * cells ih = oh·strideH − padTop + i·dilationH, iw = ow·strideW − padLeft + j·dilationW.
 * A position is <em>real</em> if (ih, iw) lies in the input, and <em>in the padded input</em> if
 * −padTop ≤ ih &lt; H + padBottom and −padLeft ≤ iw &lt; W + padRight; a ceil-mode window may
 * hang past the padded input, and those positions count for nothing.
 */
public final class PoolingReference {
    private PoolingReference() {
    }

    /**
     * Output size along one axis: span = in + padBegin + padEnd − dilation·(k − 1) − 1;
     * out = floor(span / stride) + 1, or ceil(span / stride) + 1 in ceil mode, where a last window
     * that would start at or after in + padBegin (in the end padding) is dropped. Written out
     * here rather than taken from {@link Pool2dSpec} so that the spec's formula is checked too.
     */
    public static int outSize(int in, int k, int stride, int padBegin, int padEnd, int dilation, boolean ceil) {
        int span = in + padBegin + padEnd - dilation * (k - 1) - 1;
        if (span < 0) {
            return 0;
        }
        int out = (ceil ? (span + stride - 1) / stride : span / stride) + 1;
        if (ceil && (out - 1) * stride >= in + padBegin) {
            out--;
        }
        return out;
    }

    /** [N, C, outH, outW] for x [N, C, H, W]. */
    public static Shape outShape(Shape x, Pool2dSpec s) {
        return Shape.of(x.dim(0), x.dim(1),
                outSize(x.dim(2), s.kernelH(), s.strideH(), s.padTop(), s.padBottom(), s.dilationH(), s.ceilMode()),
                outSize(x.dim(3), s.kernelW(), s.strideW(), s.padLeft(), s.padRight(), s.dilationW(), s.ceilMode()));
    }

    /** out[n,c,oh,ow] = max of x over the window's real positions (padding acts as −∞). */
    public static DTensor max(DTensor x, Pool2dSpec s) {
        return pool(x, s, true);
    }

    /**
     * out[n,c,oh,ow] = (Σ of x over the window's real positions) / divisor, where the divisor
     * counts the window's positions in the padded input ({@code countIncludePad}) or its real
     * positions (otherwise).
     */
    public static DTensor average(DTensor x, Pool2dSpec s) {
        return pool(x, s, false);
    }

    /** The divisor of {@link #average} for every output cell, as a tensor of out's shape. */
    public static DTensor divisors(Shape x, Pool2dSpec s) {
        Shape os = outShape(x, s);
        DTensor d = DTensor.zeros(os);
        for (int flat = 0; flat < d.size(); flat++) {
            int[] o = DTensor.unravel(os, flat);
            d.data()[flat] = s.countIncludePad() ? window(x, s, o[2], o[3])[1] : window(x, s, o[2], o[3])[0];
        }
        return d;
    }

    /** True if every output window has at least one real position (else a max is −∞ and an average 0/0). */
    public static boolean everyWindowTouchesInput(Shape x, Pool2dSpec s) {
        Shape os = outShape(x, s);
        for (int oh = 0; oh < os.dim(2); oh++) {
            for (int ow = 0; ow < os.dim(3); ow++) {
                if (window(x, s, oh, ow)[0] == 0) {
                    return false;
                }
            }
        }
        return true;
    }

    /** {number of real positions, number of positions in the padded input} of window (oh, ow). */
    private static int[] window(Shape x, Pool2dSpec s, int oh, int ow) {
        int h = x.dim(2), w = x.dim(3), real = 0, padded = 0;
        for (int i = 0; i < s.kernelH(); i++) {
            int ih = oh * s.strideH() - s.padTop() + i * s.dilationH();
            for (int j = 0; j < s.kernelW(); j++) {
                int iw = ow * s.strideW() - s.padLeft() + j * s.dilationW();
                if (ih >= 0 && ih < h && iw >= 0 && iw < w) {
                    real++;
                }
                if (ih >= -s.padTop() && ih < h + s.padBottom() && iw >= -s.padLeft() && iw < w + s.padRight()) {
                    padded++;
                }
            }
        }
        return new int[] {real, padded};
    }

    private static DTensor pool(DTensor x, Pool2dSpec s, boolean isMax) {
        int n = x.shape().dim(0), c = x.shape().dim(1), h = x.shape().dim(2), w = x.shape().dim(3);
        Shape os = outShape(x.shape(), s);
        DTensor out = DTensor.zeros(os);
        for (int b = 0; b < n; b++) {
            for (int ch = 0; ch < c; ch++) {
                for (int oh = 0; oh < os.dim(2); oh++) {
                    for (int ow = 0; ow < os.dim(3); ow++) {
                        double max = Double.NEGATIVE_INFINITY, sum = 0;
                        for (int i = 0; i < s.kernelH(); i++) {
                            int ih = oh * s.strideH() - s.padTop() + i * s.dilationH();
                            for (int j = 0; j < s.kernelW(); j++) {
                                int iw = ow * s.strideW() - s.padLeft() + j * s.dilationW();
                                if (ih >= 0 && ih < h && iw >= 0 && iw < w) {
                                    double v = x.get(b, ch, ih, iw);
                                    max = Math.max(max, v);
                                    sum += v;
                                }
                            }
                        }
                        int[] counts = window(x.shape(), s, oh, ow);
                        double divisor = s.countIncludePad() ? counts[1] : counts[0];
                        out.set(isMax ? max : sum / divisor, b, ch, oh, ow);
                    }
                }
            }
        }
        return out;
    }
}
