package org.inceptionj.inception.data;

import java.util.SplittableRandom;

/**
 * TF-slim's {@code distort_color} ({@code research/slim/preprocessing/inception_preprocessing.py})
 * on a CHW image of floats in [0, 1], with each colour op written as TensorFlow's CPU kernel
 * computes it ({@code tensorflow/core/kernels/image/adjust_*_op.cc}).
 * <p>
 * The four orderings of slim, chosen by {@code apply_with_random_selector(num_cases=4)}:
 * <pre>
 *   fast mode (slim's default):  ordering 0: brightness, saturation
 *                                ordering 1, 2, 3: saturation, brightness
 *   full mode:                   0: brightness, saturation, hue, contrast
 *                                1: saturation, brightness, contrast, hue
 *                                2: contrast, hue, brightness, saturation
 *                                3: hue, saturation, contrast, brightness
 * </pre>
 * then a clip to [0, 1] (the ops themselves do not clamp, so a later op sees values outside it).
 * Fast mode therefore puts brightness first with probability 1/4 and never changes hue or contrast.
 * <p>
 * Every function mutates {@code chw} in place; {@code plane} = height·width, channel c of pixel i
 * is {@code chw[c·plane + i]}.
 */
public final class ColorDistortion {
    /** {@code random_brightness(max_delta=32/255)}: δ ~ U[−32/255, 32/255). */
    public static final float BRIGHTNESS_MAX_DELTA = 32f / 255f;
    /** {@code random_saturation(lower=0.5, upper=1.5)}. */
    public static final float SATURATION_LOWER = 0.5f;
    public static final float SATURATION_UPPER = 1.5f;
    /** {@code random_hue(max_delta=0.2)}: δ ~ U[−0.2, 0.2), in turns of the colour wheel. */
    public static final float HUE_MAX_DELTA = 0.2f;
    /** {@code random_contrast(lower=0.5, upper=1.5)}. */
    public static final float CONTRAST_LOWER = 0.5f;
    public static final float CONTRAST_UPPER = 1.5f;
    /** {@code num_cases} of the ordering selector. */
    public static final int ORDERINGS = 4;

    private ColorDistortion() {
    }

    /**
     * One draw of {@code distort_color}'s randomness: the ordering in {0..3} and the four factors
     * (all four are drawn in every mode, so the number of draws does not depend on the ordering).
     */
    public record Params(int ordering, float brightnessDelta, float saturationFactor, float hueDelta,
                         float contrastFactor) {
        public Params {
            if (ordering < 0 || ordering >= ORDERINGS) {
                throw new IllegalArgumentException("ColorDistortion: ordering must be in [0, 3], got " + ordering);
            }
        }
    }

    /** Draws ordering ~ U{0..3}, then δ_b, s, δ_h, c each ~ U[lower, upper) as {@code random_uniform}. */
    public static Params sample(SplittableRandom rng) {
        int ordering = rng.nextInt(ORDERINGS);
        float brightness = uniform(rng, -BRIGHTNESS_MAX_DELTA, BRIGHTNESS_MAX_DELTA);
        float saturation = uniform(rng, SATURATION_LOWER, SATURATION_UPPER);
        float hue = uniform(rng, -HUE_MAX_DELTA, HUE_MAX_DELTA);
        float contrast = uniform(rng, CONTRAST_LOWER, CONTRAST_UPPER);
        return new Params(ordering, brightness, saturation, hue, contrast);
    }

    private static float uniform(SplittableRandom rng, float lower, float upper) {
        return lower + (upper - lower) * rng.nextFloat();
    }

    /** {@code distort_color(image, p.ordering, fastMode)}: the ops in slim's order, then the clip to [0, 1]. */
    public static void apply(float[] chw, int plane, Params p, boolean fastMode) {
        checkLength(chw, plane);
        if (fastMode) {
            if (p.ordering() == 0) {
                adjustBrightness(chw, p.brightnessDelta());
                adjustSaturation(chw, plane, p.saturationFactor());
            } else {
                adjustSaturation(chw, plane, p.saturationFactor());
                adjustBrightness(chw, p.brightnessDelta());
            }
        } else {
            switch (p.ordering()) {
                case 0 -> {
                    adjustBrightness(chw, p.brightnessDelta());
                    adjustSaturation(chw, plane, p.saturationFactor());
                    adjustHue(chw, plane, p.hueDelta());
                    adjustContrast(chw, plane, p.contrastFactor());
                }
                case 1 -> {
                    adjustSaturation(chw, plane, p.saturationFactor());
                    adjustBrightness(chw, p.brightnessDelta());
                    adjustContrast(chw, plane, p.contrastFactor());
                    adjustHue(chw, plane, p.hueDelta());
                }
                case 2 -> {
                    adjustContrast(chw, plane, p.contrastFactor());
                    adjustHue(chw, plane, p.hueDelta());
                    adjustBrightness(chw, p.brightnessDelta());
                    adjustSaturation(chw, plane, p.saturationFactor());
                }
                default -> {
                    adjustHue(chw, plane, p.hueDelta());
                    adjustSaturation(chw, plane, p.saturationFactor());
                    adjustContrast(chw, plane, p.contrastFactor());
                    adjustBrightness(chw, p.brightnessDelta());
                }
            }
        }
        clip(chw);
    }

    /** {@code tf.image.adjust_brightness} on floats: x ← x + δ for every value (no clamp). */
    public static void adjustBrightness(float[] chw, float delta) {
        for (int i = 0; i < chw.length; i++) {
            chw[i] += delta;
        }
    }

    /**
     * {@code tf.image.adjust_contrast} (AdjustContrastv2): per channel c, with μ_c the mean of the
     * channel over all pixels, x ← μ_c + (x − μ_c)·f (no clamp). The mean is summed in double here;
     * TF sums in float, which can differ in the last bits.
     */
    public static void adjustContrast(float[] chw, int plane, float factor) {
        checkLength(chw, plane);
        for (int c = 0; c < 3; c++) {
            int base = c * plane;
            double sum = 0;
            for (int i = 0; i < plane; i++) {
                sum += chw[base + i];
            }
            float mean = (float) (sum / plane);
            for (int i = 0; i < plane; i++) {
                chw[base + i] = mean + (chw[base + i] - mean) * factor;
            }
        }
    }

    /**
     * {@code tf.image.adjust_saturation}: per pixel RGB → HSV, S ← clamp(S·f, 0, 1), HSV → RGB,
     * with TF's conversions ({@link #rgbToHsv}, {@link #hsvToRgb}); H and V are kept, so f = 0
     * gives the gray (V, V, V) with V = max(r, g, b).
     */
    public static void adjustSaturation(float[] chw, int plane, float factor) {
        checkLength(chw, plane);
        float[] hsv = new float[3];
        for (int i = 0; i < plane; i++) {
            rgbToHsv(chw[i], chw[plane + i], chw[2 * plane + i], hsv);
            float s = Math.min(1f, Math.max(0f, hsv[1] * factor));
            hsvToRgb(hsv[0], s, hsv[2], chw, i, plane);
        }
    }

    /**
     * {@code tf.image.adjust_hue}: per pixel, the hue h ∈ [0, 6) (sixths of the wheel) moves by 6·δ
     * and wraps into [0, 6); the largest and smallest channel (HSV's V and V·(1−S)) are kept, the
     * middle one is recomputed from the new hue. δ = 1/3 takes red (1, 0, 0) to green (0, 1, 0).
     */
    public static void adjustHue(float[] chw, int plane, float delta) {
        checkLength(chw, plane);
        for (int i = 0; i < plane; i++) {
            float r = chw[i], g = chw[plane + i], b = chw[2 * plane + i];
            // rgb_to_hv_range: sort the channels; the sextant (h_category) is fixed by their order.
            float vMax, vMid, vMin;
            int category;
            if (r < g) {
                if (b < r) {
                    vMax = g; vMid = r; vMin = b; category = 1;
                } else if (b > g) {
                    vMax = b; vMid = g; vMin = r; category = 3;
                } else {
                    vMax = g; vMid = b; vMin = r; category = 2;
                }
            } else {
                if (b < g) {
                    vMax = r; vMid = g; vMin = b; category = 0;
                } else if (b > r) {
                    vMax = b; vMid = r; vMin = g; category = 4;
                } else {
                    vMax = r; vMid = b; vMin = g; category = 5;
                }
            }
            float h;
            if (vMax == vMin) {
                h = 0;
            } else {
                float ratio = (vMid - vMin) / (vMax - vMin);
                h = category + ((category & 1) == 0 ? ratio : 1 - ratio);
            }
            h += delta * 6;
            while (h < 0) {
                h += 6;
            }
            while (h >= 6) {
                h -= 6;
            }
            // hv_range_to_rgb
            int k = (int) h;
            float ratio = h - k;
            if ((k & 1) != 0) {
                ratio = 1 - ratio;
            }
            float mid = vMin + ratio * (vMax - vMin);
            float rr, gg, bb;
            switch (k) {
                case 0 -> { rr = vMax; gg = mid; bb = vMin; }
                case 1 -> { rr = mid; gg = vMax; bb = vMin; }
                case 2 -> { rr = vMin; gg = vMax; bb = mid; }
                case 3 -> { rr = vMin; gg = mid; bb = vMax; }
                case 4 -> { rr = mid; gg = vMin; bb = vMax; }
                default -> { rr = vMax; gg = vMin; bb = mid; }
            }
            chw[i] = rr;
            chw[plane + i] = gg;
            chw[2 * plane + i] = bb;
        }
    }

    /** {@code tf.clip_by_value(x, 0, 1)}. */
    public static void clip(float[] chw) {
        for (int i = 0; i < chw.length; i++) {
            chw[i] = Math.min(1f, Math.max(0f, chw[i]));
        }
    }

    /**
     * TF's {@code rgb_to_hsv} of the saturation kernel: V = max, S = (max − min)/V (0 when V ≤ 0),
     * H ∈ [0, 1) from the sextant of the largest channel (0 for a gray). Writes (H, S, V) to {@code hsv}.
     */
    static void rgbToHsv(float r, float g, float b, float[] hsv) {
        float v = Math.max(r, Math.max(g, b));
        float range = v - Math.min(r, Math.min(g, b));
        float s = v > 0 ? range / v : 0;
        float norm = 1f / (6f * range);
        float h;
        if (r == v) {
            h = norm * (g - b);
        } else if (g == v) {
            h = (float) (norm * (b - r) + 2.0 / 6.0); // TF adds the double 2.0/6.0, then stores a float
        } else {
            h = (float) (norm * (r - g) + 4.0 / 6.0);
        }
        if (range <= 0) {
            h = 0;
        }
        if (h < 0) {
            h = h + 1;
        }
        hsv[0] = h;
        hsv[1] = s;
        hsv[2] = v;
    }

    /**
     * TF's {@code hsv_to_rgb} of the saturation kernel (Wikipedia's "From HSV"): C = S·V, m = V − C,
     * X = C·(1 − |(6H mod 2) − 1|), the sextant ⌊6H⌋ places (C, X, 0), then + m. Writes R, G, B to
     * {@code out[i]}, {@code out[plane + i]}, {@code out[2·plane + i]}.
     */
    static void hsvToRgb(float h, float s, float v, float[] out, int i, int plane) {
        float c = s * v;
        float m = v - c;
        float dh = h * 6;
        int category = (int) dh;
        float fmodu = dh;
        while (fmodu <= 0) {
            fmodu += 2f;
        }
        while (fmodu >= 2f) {
            fmodu -= 2f;
        }
        float x = c * (1 - Math.abs(fmodu - 1));
        float rr, gg, bb;
        switch (category) {
            case 0 -> { rr = c; gg = x; bb = 0; }
            case 1 -> { rr = x; gg = c; bb = 0; }
            case 2 -> { rr = 0; gg = c; bb = x; }
            case 3 -> { rr = 0; gg = x; bb = c; }
            case 4 -> { rr = x; gg = 0; bb = c; }
            case 5 -> { rr = c; gg = 0; bb = x; }
            default -> { rr = 0; gg = 0; bb = 0; }
        }
        out[i] = rr + m;
        out[plane + i] = gg + m;
        out[2 * plane + i] = bb + m;
    }

    private static void checkLength(float[] chw, int plane) {
        if (plane < 1 || chw.length != 3 * plane) {
            throw new IllegalArgumentException("ColorDistortion: image of " + chw.length
                    + " floats is not 3 planes of " + plane);
        }
    }
}
