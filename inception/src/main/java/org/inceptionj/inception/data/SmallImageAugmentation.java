package org.inceptionj.inception.data;

import java.util.SplittableRandom;

import org.inceptionj.api.RandomStream;
import org.inceptionj.inception.image.Preprocessing;

/**
 * Views of small in-memory images (Fashion-MNIST 28×28, CIFAR-10 32×32) at the network's input
 * size S, as CHW floats in [0, 1]: x = v/255, torchvision's {@code ToTensor} scaling (not the
 * [−1, 1] of the Inception recipes for photographs: with [−1, 1] the small recipe trained unstably
 * on Fashion-MNIST — the mean training loss of steps 100–200 was 2.5 against 1.6 with [0, 1], same
 * seed and rates; README, "Choosing the recipe"). Gray images
 * give three equal channels.
 * <ul>
 *   <li>{@link #none}: the whole W×H image resized to S×S with TF1's {@code resize_bilinear}
 *       (align_corners=False, no half-pixel centers: source u = x·W/S, interpolating toward the
 *       next column, clamped at the last) — bit for bit {@link Preprocessing#tfResizeUnit}. This is
 *       the evaluation transform of these sources.</li>
 *   <li>{@link #light}: a random translation t (each axis uniform in ±maxShift of the side; the
 *       default 1/14 is ±2 px of a 28-px image) and a random isotropic scale s (uniform in
 *       [minScale, maxScale], default [0.9, 1.1]; s &gt; 1 zooms in), and, when enabled, a
 *       horizontal flip with probability 1/2. Flipping suits clothing and CIFAR's objects; it is
 *       wrong for digits and text (a mirrored 2 is not a 2), hence the parameter.</li>
 * </ul>
 * Both are one bilinear resample straight from the source bytes: per axis, output column x reads
 * source column
 * <pre>
 *   u(x) = (x·W/S − c)/s + c − t·W,     c = (S−1)/2 · W/S  (the center of the sampled span)
 * </pre>
 * i.e. u(x) = a·x + b with a = (W/S)/s and b = c − c/s − t·W (rows alike). With s = 1 and t = 0
 * this is exactly {@code none}'s u = x·W/S. A flipped view is the unflipped one mirrored (output
 * column x takes column S−1−x), as {@link TrainAugmentation} flips after resizing. Samples outside
 * the image take the nearest edge pixel (edge padding, as TF1's resize clamps at the last row and
 * column): Fashion-MNIST's border is background, and CIFAR's photos get no black bars.
 *
 * <p>Randomness: example {@code index} in epoch {@code epoch} draws t_x, t_y, s, then the flip
 * (always drawn, used only when enabled), from one {@link SplittableRandom} seeded by
 * {@link RandomStream#mix} of (seed, epoch, index), so a view does not depend on the thread.
 */
public final class SmallImageAugmentation implements RasterTransform {
    /** Default largest shift, as a fraction of the side: 2 px of 28. */
    public static final double DEFAULT_MAX_SHIFT = 1.0 / 14.0;
    public static final double DEFAULT_MIN_SCALE = 0.9;
    public static final double DEFAULT_MAX_SCALE = 1.1;

    private static final long SALT = 0x534D414C4C4147L; // separates this stream from the loader's shuffle
    /** v · (1/255) in float for every byte v: TF's {@code convert_image_dtype}, as tfResizeUnit computes it. */
    private static final float[] UNIT = new float[256];

    static {
        float toUnit = 1f / 255f;
        for (int v = 0; v < 256; v++) {
            UNIT[v] = v * toUnit;
        }
    }

    private final int size;
    private final long seed;
    private final boolean random;
    private final boolean flip;
    private final double maxShift;
    private final double minScale;
    private final double maxScale;

    private SmallImageAugmentation(int size, long seed, boolean random, boolean flip,
                                   double maxShift, double minScale, double maxScale) {
        if (size < 1) {
            throw new IllegalArgumentException("SmallImageAugmentation: size must be >= 1, got " + size);
        }
        if (!(maxShift >= 0 && maxShift < 0.5)) {
            throw new IllegalArgumentException("SmallImageAugmentation: max shift " + maxShift
                    + " must be in [0, 0.5) of the side");
        }
        if (!(minScale > 0 && minScale <= maxScale && Double.isFinite(maxScale))) {
            throw new IllegalArgumentException("SmallImageAugmentation: scale range [" + minScale + ", " + maxScale
                    + "] must satisfy 0 < min <= max < inf");
        }
        this.size = size;
        this.seed = seed;
        this.random = random;
        this.flip = flip;
        this.maxShift = maxShift;
        this.minScale = minScale;
        this.maxScale = maxScale;
    }

    /** The whole image resized to size×size and scaled to [0, 1]: the evaluation view. */
    public static SmallImageAugmentation none(int size) {
        return new SmallImageAugmentation(size, 0, false, false, 0, 1, 1);
    }

    /** {@link #light(int, long, boolean, double, double, double)} with ±1/14 of the side and scale [0.9, 1.1]. */
    public static SmallImageAugmentation light(int size, long seed, boolean flip) {
        return light(size, seed, flip, DEFAULT_MAX_SHIFT, DEFAULT_MIN_SCALE, DEFAULT_MAX_SCALE);
    }

    /**
     * Random shift (each axis uniform in [−maxShift, maxShift] of the side), random scale (uniform
     * in [minScale, maxScale]) and, if {@code flip}, a horizontal flip with probability 1/2.
     */
    public static SmallImageAugmentation light(int size, long seed, boolean flip,
                                               double maxShift, double minScale, double maxScale) {
        return new SmallImageAugmentation(size, seed, true, flip, maxShift, minScale, maxScale);
    }

    public int size() {
        return size;
    }

    /** Whether views are random ({@link #light}) rather than the plain resize ({@link #none}). */
    public boolean isRandom() {
        return random;
    }

    /** Whether {@link #light} views may be flipped. */
    public boolean flips() {
        return flip;
    }

    /**
     * One view's geometry: shifts as fractions of the width and height (positive moves the content
     * right and down), the scale (&gt; 1 zooms in), and the flip.
     */
    public record View(double shiftX, double shiftY, double scale, boolean flip) {
        /** The plain resize. */
        public static final View IDENTITY = new View(0, 0, 1, false);
    }

    /** The view example {@code index} gets in epoch {@code epoch} ({@link View#IDENTITY} for {@link #none}). */
    public View view(int epoch, int index) {
        if (!random) {
            return View.IDENTITY;
        }
        SplittableRandom rng = new SplittableRandom(
                RandomStream.mix(RandomStream.mix(RandomStream.mix(seed, SALT), epoch), index));
        double tx = uniform(rng, -maxShift, maxShift);
        double ty = uniform(rng, -maxShift, maxShift);
        double s = uniform(rng, minScale, maxScale);
        boolean f = rng.nextBoolean();
        return new View(tx, ty, s, flip && f);
    }

    private static double uniform(SplittableRandom rng, double a, double b) {
        return a == b ? a : a + (b - a) * rng.nextDouble();
    }

    @Override
    public float[] apply(byte[] pixels, int channels, int height, int width, int epoch, int index) {
        return render(pixels, channels, height, width, size, view(epoch, index));
    }

    /**
     * The CHW view (3·size·size floats in [0, 1]) of {@code pixels} ({@code channels} planes of
     * height×width bytes) under {@code view}: the resample of the class comment.
     */
    public static float[] render(byte[] pixels, int channels, int height, int width, int size, View view) {
        if ((channels != 1 && channels != 3) || height < 1 || width < 1 || size < 1
                || pixels == null || pixels.length < channels * height * width) {
            throw new IllegalArgumentException("SmallImageAugmentation: " + channels + " channel(s) of " + width + "x"
                    + height + " (" + (pixels == null ? "null" : pixels.length + " bytes") + ") to " + size + "x" + size
                    + "; expected 1 or 3 channels and channels·height·width bytes");
        }
        // Per axis: the two source indices and the weight of the second, for every output index.
        int[] x0 = new int[size], x1 = new int[size], y0 = new int[size], y1 = new int[size];
        float[] fx = new float[size], fy = new float[size];
        axis(width, size, view.scale(), view.shiftX(), x0, x1, fx);
        axis(height, size, view.scale(), view.shiftY(), y0, y1, fy);
        if (view.flip()) {
            reverse(x0);
            reverse(x1);
            reverse(fx);
        }
        int plane = size * size, in = height * width;
        float[] out = new float[3 * plane];
        // Separable, in TF's order: each source row is interpolated along x once (its "top"/"bottom"
        // values, a + (b − a)·lx), then each output row blends two of them along y. The floats are
        // the same as computing both lerps per output pixel, as Preprocessing.tfResizeUnit does.
        float[] rows = new float[height * size];
        for (int c = 0; c < channels; c++) {
            int base = c * in;
            for (int r = 0; r < height; r++) {
                int src = base + r * width, dst = r * size;
                for (int x = 0; x < size; x++) {
                    float a = UNIT[pixels[src + x0[x]] & 0xFF], b = UNIT[pixels[src + x1[x]] & 0xFF];
                    rows[dst + x] = a + (b - a) * fx[x];
                }
            }
            int o = c * plane;
            for (int y = 0; y < size; y++) {
                int r0 = y0[y] * size, r1 = y1[y] * size;
                float ly = fy[y];
                for (int x = 0; x < size; x++) {
                    float top = rows[r0 + x], bottom = rows[r1 + x];
                    out[o++] = top + (bottom - top) * ly;
                }
            }
        }
        if (channels == 1) { // gray: G and B equal R
            System.arraycopy(out, 0, out, plane, plane);
            System.arraycopy(out, 0, out, 2 * plane, plane);
        }
        return out;
    }

    /**
     * Fills, for output index x in 0..size−1, the source indices i0 ≤ i1 and the weight f of i1 at
     * u(x) = x·a + b (class comment), clamped to the edge: u ≤ 0 reads index 0, u ≥ n−1 index n−1.
     */
    private static void axis(int n, int size, double scale, double shift, int[] i0, int[] i1, float[] f) {
        float step = (float) n / size; // TF1's scale, in float as tfResizeUnit computes it
        double c = (size - 1) / 2.0 * step;
        float a = (float) (step / scale);
        float b = (float) (c - c / scale - shift * n); // exactly 0 for scale 1 and shift 0
        for (int x = 0; x < size; x++) {
            float u = x * a + b;
            int k = (int) Math.floor(u);
            if (u <= 0) {
                i0[x] = 0;
                i1[x] = 0;
                f[x] = 0;
            } else if (k >= n - 1) {
                i0[x] = n - 1;
                i1[x] = n - 1;
                f[x] = 0;
            } else {
                i0[x] = k;
                i1[x] = k + 1;
                f[x] = u - k;
            }
        }
    }

    private static void reverse(int[] v) {
        for (int i = 0, j = v.length - 1; i < j; i++, j--) {
            int t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
    }

    private static void reverse(float[] v) {
        for (int i = 0, j = v.length - 1; i < j; i++, j--) {
            float t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
    }
}
