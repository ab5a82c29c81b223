package org.inceptionj.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.Presets;
import org.inceptionj.inception.cost.ShapeBackend;

/**
 * One distinct convolution geometry of Inception-v3, per image: input Cin×H×W, Cout, kernel kh×kw,
 * stride, padding (top, left, bottom, right). Written as a key, {@code 192x35x35>64:1x1/1:0,0,0,0}, the
 * form {@link ConvShapesBenchmark}'s {@code shape} parameter takes.
 */
public record ConvShape(int cin, int h, int w, int cout, int kh, int kw, int stride, int padTop, int padLeft,
                        int padBottom, int padRight) {
    private static final Pattern KEY = Pattern.compile(
            "(\\d+)x(\\d+)x(\\d+)>(\\d+):(\\d+)x(\\d+)/(\\d+):(\\d+),(\\d+),(\\d+),(\\d+)");

    public ConvShape {
        if (cin < 1 || h < 1 || w < 1 || cout < 1 || kh < 1 || kw < 1 || stride < 1
                || padTop < 0 || padLeft < 0 || padBottom < 0 || padRight < 0) {
            throw new IllegalArgumentException("ConvShape: sizes must be >= 1 and padding >= 0, got " + key(cin, h, w, cout,
                    kh, kw, stride, padTop, padLeft, padBottom, padRight));
        }
        if (outH(h, kh, stride, padTop, padBottom) < 1 || outH(w, kw, stride, padLeft, padRight) < 1) {
            throw new IllegalArgumentException("ConvShape: kernel " + kh + "x" + kw + " is larger than the padded input "
                    + h + "x" + w);
        }
    }

    /** The shape a key names; an {@link IllegalArgumentException} naming the key when it is not one. */
    public static ConvShape parse(String key) {
        Matcher m = KEY.matcher(key == null ? "" : key.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("conv shape '" + key + "' is not CinxHxW>Cout:KHxKW/STRIDE:TOP,LEFT,BOTTOM,RIGHT"
                    + " (e.g. 192x35x35>64:1x1/1:0,0,0,0)");
        }
        int[] v = new int[11];
        for (int i = 0; i < 11; i++) {
            try {
                v[i] = Integer.parseInt(m.group(i + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("conv shape '" + key + "': " + m.group(i + 1) + " is too large");
            }
        }
        return new ConvShape(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10]);
    }

    public String key() {
        return key(cin, h, w, cout, kh, kw, stride, padTop, padLeft, padBottom, padRight);
    }

    private static String key(int cin, int h, int w, int cout, int kh, int kw, int stride, int pt, int pl, int pb, int pr) {
        return cin + "x" + h + "x" + w + ">" + cout + ":" + kh + "x" + kw + "/" + stride + ":" + pt + "," + pl + "," + pb + "," + pr;
    }

    private static int outH(int in, int k, int s, int p0, int p1) {
        int span = in + p0 + p1 - k;
        return span < 0 ? 0 : span / s + 1;
    }

    public Conv2dSpec spec() {
        return new Conv2dSpec(stride, stride, padTop, padLeft, padBottom, padRight, 1, 1);
    }

    public int outH() {
        return outH(h, kh, stride, padTop, padBottom);
    }

    public int outW() {
        return outH(w, kw, stride, padLeft, padRight);
    }

    /** Multiply-adds for one image: Hout·Wout·Cout·Cin·kh·kw (each gradient costs as much). */
    public long macs() {
        return (long) outH() * outW() * cout * cin * kh * kw;
    }

    /**
     * The distinct convolutions of {@code preset}'s evaluation forward at side × side, each with how many
     * layers have it, in network order of first appearance: read off the model's own forward on
     * {@link ShapeBackend}, so the list follows the code. The full model at 299: 94 convolutions.
     */
    public static Map<ConvShape, Integer> of(String preset, int side) {
        ShapeBackend b = new ShapeBackend();
        Map<ConvShape, Integer> shapes = new LinkedHashMap<>();
        try (InceptionV3 m = new InceptionV3(b, Presets.named(preset), 0); TensorScope s = TensorScope.open()) {
            Tensor x = b.allocate(Shape.of(1, 3, side, side));
            b.clear();
            m.forward(x, InceptionV3.Mode.EVAL);
            for (ShapeBackend.Call c : b.calls()) {
                if (!c.op().equals("conv2d")) {
                    continue;
                }
                Shape in = c.inputs().get(0).shape(), wt = c.inputs().get(1).shape();
                Conv2dSpec sp = (Conv2dSpec) c.spec();
                if (sp.strideH() != sp.strideW() || sp.dilationH() != 1 || sp.dilationW() != 1) {
                    throw new IllegalStateException("ConvShape: a convolution this benchmark does not cover: " + c);
                }
                ConvShape k = new ConvShape(in.dim(1), in.dim(2), in.dim(3), wt.dim(0), wt.dim(2), wt.dim(3), sp.strideH(),
                        sp.padTop(), sp.padLeft(), sp.padBottom(), sp.padRight());
                shapes.merge(k, 1, Integer::sum);
            }
        }
        return shapes;
    }
}
