package org.inceptionj.api;

/**
 * Geometry of a 2-D max or average pool over NCHW input.
 *
 * <p>{@code countIncludePad} decides the divisor of an average pool at the border:
 * {@code true} divides by the full window kh·kw, padded zeros included (torchvision's
 * {@code F.avg_pool2d} default, cuDNN {@code AVERAGE_COUNT_INCLUDE_PADDING});
 * {@code false} divides by the number of real input cells in the window (TF-slim / Keras
 * "SAME" average pool, ONNX default). Inception-v3's 3×3/1/pad 1 branch pools differ
 * only through this flag (spec §9.1). Cells that a ceil-mode window hangs past the padded
 * input are never counted. Ignored by max pool, whose padding acts as −∞.
 *
 * <p>Output size per axis: {@code floor or ceil((in + padBegin + padEnd - dilation·(k-1) - 1) / stride) + 1};
 * with {@code ceilMode}, a last window that would start inside the end padding is dropped
 * (PyTorch and ONNX agree on this).
 */
public record Pool2dSpec(int kernelH, int kernelW, int strideH, int strideW,
                         int padTop, int padLeft, int padBottom, int padRight,
                         int dilationH, int dilationW, boolean ceilMode, boolean countIncludePad) {

    public Pool2dSpec {
        if (kernelH < 1 || kernelW < 1) {
            throw new IllegalArgumentException("pool2d: kernel must be >= 1, got (" + kernelH + "," + kernelW + ")");
        }
        if (strideH < 1 || strideW < 1) {
            throw new IllegalArgumentException("pool2d: stride must be >= 1, got (" + strideH + "," + strideW + ")");
        }
        if (dilationH < 1 || dilationW < 1) {
            throw new IllegalArgumentException("pool2d: dilation must be >= 1, got (" + dilationH + "," + dilationW + ")");
        }
        if (padTop < 0 || padLeft < 0 || padBottom < 0 || padRight < 0) {
            throw new IllegalArgumentException("pool2d: padding must be >= 0, got (top,left,bottom,right)=("
                    + padTop + "," + padLeft + "," + padBottom + "," + padRight + ")");
        }
    }

    /** Square kernel k, stride s, padding p on every side; floor mode; padding counted in averages. */
    public static Pool2dSpec of(int k, int s, int p) {
        return new Pool2dSpec(k, k, s, s, p, p, p, p, 1, 1, false, true);
    }

    /** The same geometry with padded cells counted ({@code true}) or not in an average. */
    public Pool2dSpec withCountIncludePad(boolean include) {
        return new Pool2dSpec(kernelH, kernelW, strideH, strideW, padTop, padLeft, padBottom, padRight,
                dilationH, dilationW, ceilMode, include);
    }

    public int outH(int h) {
        return outSize(h, kernelH, strideH, padTop, padBottom, dilationH, ceilMode);
    }

    public int outW(int w) {
        return outSize(w, kernelW, strideW, padLeft, padRight, dilationW, ceilMode);
    }

    private static int outSize(int in, int k, int s, int p0, int p1, int d, boolean ceil) {
        int span = in + p0 + p1 - d * (k - 1) - 1;
        if (span < 0) {
            return 0;
        }
        int out = (ceil ? Math.ceilDiv(span, s) : span / s) + 1;
        if (ceil && (out - 1) * s >= in + p0) {
            out--; // the last window would start in the end padding
        }
        return out;
    }

    @Override
    public String toString() {
        return "kernel=(" + kernelH + "," + kernelW + ") stride=(" + strideH + "," + strideW + ") pad(t,l,b,r)=("
                + padTop + "," + padLeft + "," + padBottom + "," + padRight + ") dilation=(" + dilationH + ","
                + dilationW + ")" + (ceilMode ? " ceil" : "") + (countIncludePad ? " countIncludePad" : " excludePad");
    }
}
