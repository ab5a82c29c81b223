package org.inceptionj.inception.image;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * The preprocessing of each weight source, as named, explicit steps (no hidden switch):
 * <ul>
 *   <li>{@link #TORCHVISION}: resize the shorter side to ⌊size/0.875⌋ (342 for 299), center-crop
 *       size×size, scale to [0, 1], normalize with the ImageNet mean (0.485, 0.456, 0.406) and
 *       standard deviation (0.229, 0.224, 0.225) — torchvision's {@code Inception_V3_Weights}
 *       transforms;</li>
 *   <li>{@link #TF_INCEPTION}: central crop of 87.5% of each side, resize to size×size, scale to
 *       [−1, 1] as x/127.5 − 1 — TF-slim's {@code inception_preprocessing} for evaluation.</li>
 * </ul>
 * The torchvision recipe resizes exactly as Pillow's bilinear filter does and crops as torchvision
 * does; the TF recipe ({@link #apply}) runs in float with TF's central crop and TF1's
 * {@code resize_bilinear} arithmetic.
 */
public enum Preprocessing {
    TORCHVISION(new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f}),
    TF_INCEPTION(new float[] {0.5f, 0.5f, 0.5f}, new float[] {0.5f, 0.5f, 0.5f});

    /** The fraction of the image the central crop keeps in both recipes (0.875 = 299/342). */
    public static final double CROP_FRACTION = 0.875;

    private final float[] mean;
    private final float[] std;

    Preprocessing(float[] mean, float[] std) {
        this.mean = mean;
        this.std = std;
    }

    /**
     * The single center view of {@code img} at {@code size}×{@code size}, as CHW floats. The TF recipe
     * runs in float as TF-slim's {@code preprocess_for_eval} does ({@link #tfEval}); the torchvision
     * recipe in 8-bit pixels as PIL does, then normalizes.
     */
    public float[] apply(BufferedImage img, int size) {
        checkSize(size);
        BufferedImage rgb = Images.toRgb(img);
        return this == TF_INCEPTION ? tfEval(rgb, size) : toChw(centerView(rgb, size));
    }

    /**
     * Step 1–2 of the recipe as an 8-bit image: the center size×size view. (For the TF recipe this
     * rounds to 8 bits what {@link #apply} keeps in float.)
     */
    public BufferedImage centerView(BufferedImage img, int size) {
        return switch (this) {
            case TORCHVISION -> {
                // Resize(⌊size/0.875⌋) then CenterCrop(size), computing only the crop's pixels.
                int[] target = shorterSideTarget(img.getWidth(), img.getHeight(), (int) Math.floor(size / CROP_FRACTION));
                int left = centerOffset(target[0], size), top = centerOffset(target[1], size);
                yield Images.resizeLikePillow(img, target[0], target[1], left, top, size, size);
            }
            case TF_INCEPTION -> {
                int[] box = tfCentralCrop(img.getWidth(), img.getHeight());
                yield Images.resize(crop(img, box[0], box[1], box[2], box[3]), size, size);
            }
        };
    }

    /**
     * TF's {@code central_crop(image, 0.875)}: with offset divisor ⌊1 / ((1 − 0.875)/2)⌋ = 16, the
     * window starts at ⌊W/16⌋, ⌊H/16⌋ and keeps W − 2⌊W/16⌋ × H − 2⌊H/16⌋. Returns {x, y, w, h}.
     */
    static int[] tfCentralCrop(int w, int h) {
        int divisor = (int) (1 / ((1 - CROP_FRACTION) / 2.0));
        int x = w / divisor, y = h / divisor;
        return new int[] {x, y, w - 2 * x, h - 2 * y};
    }

    /**
     * TF-slim's {@code preprocess_for_eval}, in float32 as TensorFlow runs it: pixels to [0,1]
     * ({@code convert_image_dtype}: v · (1/255)), {@link #tfCentralCrop}, TF1's
     * {@code resize_bilinear(align_corners=False)} (no half-pixel centers: source = dest · in/out,
     * interpolating toward the next row and column, clamped at the last), then (x − 0.5)·2.
     */
    static float[] tfEval(BufferedImage rgb, int size) {
        int[] box = tfCentralCrop(rgb.getWidth(), rgb.getHeight());
        float[] out = tfResizeUnit(rgb.getRGB(box[0], box[1], box[2], box[3], null, 0, box[2]), box[2], box[3], size);
        for (int i = 0; i < out.length; i++) {
            out[i] = (out[i] - 0.5f) * 2f;
        }
        return out;
    }

    /**
     * TensorFlow's float path for 8-bit pixels {@code px} (cw×ch, packed RGB, row-major): to [0,1] as
     * {@code convert_image_dtype} (v · (1/255)), then TF1's {@code resize_bilinear(align_corners=False)}
     * to size×size — source = dest · in/out without half-pixel centers, interpolating toward the next
     * row and column, clamped at the last. CHW floats in [0,1]; TF-slim's eval and training views
     * both resize this way.
     */
    public static float[] tfResizeUnit(int[] px, int cw, int ch, int size) {
        if (cw < 1 || ch < 1 || size < 1 || px.length < cw * ch) {
            throw new IllegalArgumentException("tfResizeUnit: " + cw + "x" + ch + " pixels (" + px.length
                    + " given) to " + size + "x" + size);
        }
        float toUnit = 1f / 255f;
        float scaleY = (float) ch / size, scaleX = (float) cw / size;
        int plane = size * size;
        float[] out = new float[3 * plane];
        for (int y = 0; y < size; y++) {
            float inY = y * scaleY;
            int y0 = (int) Math.floor(inY), y1 = Math.min(y0 + 1, ch - 1);
            float ly = inY - y0;
            for (int x = 0; x < size; x++) {
                float inX = x * scaleX;
                int x0 = (int) Math.floor(inX), x1 = Math.min(x0 + 1, cw - 1);
                float lx = inX - x0;
                int tl = px[y0 * cw + x0], tr = px[y0 * cw + x1], bl = px[y1 * cw + x0], br = px[y1 * cw + x1];
                for (int c = 0, shift = 16; c < 3; c++, shift -= 8) {
                    float a = ((tl >> shift) & 0xFF) * toUnit, b = ((tr >> shift) & 0xFF) * toUnit;
                    float d = ((bl >> shift) & 0xFF) * toUnit, e = ((br >> shift) & 0xFF) * toUnit;
                    float top = a + (b - a) * lx;
                    float bottom = d + (e - d) * lx;
                    out[c * plane + y * size + x] = top + (bottom - top) * ly;
                }
            }
        }
        return out;
    }

    /**
     * The 10 views of multi-crop evaluation (torchvision {@code TenCrop}; the paper's Table 4
     * reports 10-crop results): the image resized so its shorter side is ⌊size/0.875⌋, then the
     * four corner crops and the center crop of size×size, and the same five of the mirrored image.
     */
    public List<float[]> tenCrop(BufferedImage img, int size) {
        checkSize(size);
        int[] target = shorterSideTarget(img.getWidth(), img.getHeight(), (int) Math.floor(size / CROP_FRACTION));
        int w = target[0], h = target[1];
        // The crops of the resized image, computed alone: left-top, right-top, left-bottom, right-bottom, center.
        int[][] at = {{0, 0}, {w - size, 0}, {0, h - size}, {w - size, h - size}, {centerOffset(w, size), centerOffset(h, size)}};
        List<float[]> views = new ArrayList<>(10);
        for (int[] xy : at) {
            views.add(toChw(Images.resizeLikePillow(img, w, h, xy[0], xy[1], size, size)));
        }
        // The same five of the mirrored image: the mirror of the crop at column w − x − size.
        for (int[] xy : at) {
            views.add(toChw(flipHorizontal(Images.resizeLikePillow(img, w, h, w - xy[0] - size, xy[1], size, size))));
        }
        return views;
    }

    /** Step 3: pixels to CHW floats, (v/255 − mean)/std per channel. */
    public float[] toChw(BufferedImage img) {
        int w = img.getWidth(), h = img.getHeight(), plane = h * w;
        int[] argb = img.getRGB(0, 0, w, h, null, 0, w); // one bulk read, row-major like the planes
        float[] out = new float[3 * plane];
        for (int i = 0; i < plane; i++) {
            int rgb = argb[i];
            out[i] = (((rgb >> 16) & 0xFF) / 255f - mean[0]) / std[0];
            out[plane + i] = (((rgb >> 8) & 0xFF) / 255f - mean[1]) / std[1];
            out[2 * plane + i] = ((rgb & 0xFF) / 255f - mean[2]) / std[2];
        }
        return out;
    }

    /**
     * torchvision's {@code Resize(shorter)}: the shorter side becomes {@code shorter}, the longer
     * ⌊shorter·long/short⌋, resampled as Pillow's bilinear filter ({@link Images#resizeLikePillow}).
     * Materializes the whole resized image; {@link #centerView} and {@link #tenCrop} compute only
     * their crops.
     */
    public static BufferedImage resizeShorterSide(BufferedImage img, int shorter) {
        int[] target = shorterSideTarget(img.getWidth(), img.getHeight(), shorter);
        if ((long) target[0] * target[1] > Integer.MAX_VALUE - 8) { // the most elements an array holds
            throw new IllegalArgumentException("resize: " + img.getWidth() + "x" + img.getHeight() + " with its shorter"
                    + " side at " + shorter + " would be " + target[0] + "x" + target[1] + ", more pixels than an image holds");
        }
        return Images.resizeLikePillow(img, target[0], target[1]);
    }

    /**
     * The size torchvision's {@code Resize(shorter)} gives a w×h image: {shorter, ⌊shorter·h/w⌋} when
     * w ≤ h, else {⌊shorter·w/h⌋, shorter}, in exact integer arithmetic (torchvision's
     * {@code int(shorter * long / short)} in double agrees while shorter·long < 2^52: a quotient that
     * is not an integer is then further than an ulp from one). Rejects a longer side beyond
     * 2^31 − 1, which the decoder's aspect-ratio limit keeps decoded images far from.
     */
    static int[] shorterSideTarget(int w, int h, int shorter) {
        if (w < 1 || h < 1 || shorter < 1) {
            throw new IllegalArgumentException("resize: " + w + "x" + h + " to shorter side " + shorter);
        }
        long longer = (long) shorter * Math.max(w, h) / Math.min(w, h);
        if (longer > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("resize: " + w + "x" + h + " with its shorter side at " + shorter
                    + " would have a longer side of " + longer + " pixels (aspect ratio over " + Integer.MAX_VALUE / shorter
                    + ":1)");
        }
        return w <= h ? new int[] {shorter, (int) longer} : new int[] {(int) longer, shorter};
    }

    /** torchvision's {@code center_crop} offset: round((size − crop)/2), Python's round-half-to-even. */
    static int centerOffset(int size, int crop) {
        return (int) Math.rint((size - crop) / 2.0);
    }

    /**
     * The centered cw×ch window, placed as torchvision's {@code center_crop}:
     * top = round((H − ch)/2) with Python's round-half-to-even (so 342 → 299 starts at 22, not 21).
     * An image smaller than the window is first resized up.
     */
    public static BufferedImage centerCrop(BufferedImage img, int cw, int ch) {
        BufferedImage im = img;
        if (im.getWidth() < cw || im.getHeight() < ch) {
            im = Images.resize(im, Math.max(cw, im.getWidth()), Math.max(ch, im.getHeight()));
        }
        int left = centerOffset(im.getWidth(), cw), top = centerOffset(im.getHeight(), ch);
        return crop(im, left, top, cw, ch);
    }

    static BufferedImage crop(BufferedImage img, int x, int y, int w, int h) {
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int j = 0; j < h; j++) {
            for (int i = 0; i < w; i++) {
                out.setRGB(i, j, img.getRGB(x + i, y + j));
            }
        }
        return out;
    }

    static BufferedImage flipHorizontal(BufferedImage img) {
        int w = img.getWidth(), h = img.getHeight();
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int j = 0; j < h; j++) {
            for (int i = 0; i < w; i++) {
                out.setRGB(w - 1 - i, j, img.getRGB(i, j));
            }
        }
        return out;
    }

    private static void checkSize(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("preprocessing: crop size must be >= 1, got " + size);
        }
    }
}
