package org.inceptionj.api;

/**
 * Geometry of a 2-D convolution (cross-correlation, as in every DL framework) over NCHW input
 * with weight [Cout, Cin, kh, kw]. Padding is given per side, so TF's asymmetric "SAME" and
 * the 1×7 / 7×1 factorized convolutions (pad (0,3) / (3,0)) are both expressible.
 *
 * <p>Output size per axis: {@code out = floor((in + padBegin + padEnd - dilation·(k-1) - 1) / stride) + 1}.
 */
public record Conv2dSpec(int strideH, int strideW,
                         int padTop, int padLeft, int padBottom, int padRight,
                         int dilationH, int dilationW) {

    public Conv2dSpec {
        if (strideH < 1 || strideW < 1) {
            throw new IllegalArgumentException("conv2d: stride must be >= 1, got (" + strideH + "," + strideW + ")");
        }
        if (dilationH < 1 || dilationW < 1) {
            throw new IllegalArgumentException("conv2d: dilation must be >= 1, got (" + dilationH + "," + dilationW + ")");
        }
        if (padTop < 0 || padLeft < 0 || padBottom < 0 || padRight < 0) {
            throw new IllegalArgumentException("conv2d: padding must be >= 0, got (top,left,bottom,right)=("
                    + padTop + "," + padLeft + "," + padBottom + "," + padRight + ")");
        }
    }

    /** Stride {@code stride} on both axes, symmetric padding (padH, padW), no dilation. */
    public static Conv2dSpec of(int stride, int padH, int padW) {
        return new Conv2dSpec(stride, stride, padH, padW, padH, padW, 1, 1);
    }

    /** Stride {@code stride} on both axes, the same padding on all four sides. */
    public static Conv2dSpec of(int stride, int pad) {
        return of(stride, pad, pad);
    }

    /** Output height for input height {@code h} and kernel height {@code kh} (may be <= 0 if the kernel does not fit). */
    public int outH(int h, int kh) {
        return Math.floorDiv(h + padTop + padBottom - dilationH * (kh - 1) - 1, strideH) + 1;
    }

    /** Output width for input width {@code w} and kernel width {@code kw}. */
    public int outW(int w, int kw) {
        return Math.floorDiv(w + padLeft + padRight - dilationW * (kw - 1) - 1, strideW) + 1;
    }

    @Override
    public String toString() {
        return "stride=(" + strideH + "," + strideW + ") pad(t,l,b,r)=(" + padTop + "," + padLeft + ","
                + padBottom + "," + padRight + ") dilation=(" + dilationH + "," + dilationW + ")";
    }
}
