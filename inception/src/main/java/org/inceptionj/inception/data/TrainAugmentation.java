package org.inceptionj.inception.data;

import java.awt.image.BufferedImage;
import java.util.SplittableRandom;

import org.inceptionj.api.RandomStream;
import org.inceptionj.inception.image.Images;
import org.inceptionj.inception.image.Preprocessing;

/**
 * The Inception training view of an image, in one of two recipes.
 * <p>
 * <b>torchvision</b> ({@link #torchvision}; {@code RandomResizedCrop} + {@code RandomHorizontalFlip}):
 * <ol>
 *   <li>crop ({@link #sampleCrop}): up to 10 attempts draw an area fraction s ~ U[minArea, maxArea]
 *       and an aspect ratio r = exp(U[ln minRatio, ln maxRatio]) (log-uniform), giving
 *       w = round(√(s·W·H·r)), h = round(√(s·W·H/r)); the first attempt with 0 &lt; w ≤ W and
 *       0 &lt; h ≤ H is placed uniformly at x ~ U{0..W−w}, y ~ U{0..H−h}. If all 10 fail, the
 *       fallback is the largest centered crop whose aspect ratio is clamped to [minRatio, maxRatio];</li>
 *   <li>bilinear resize of the crop to size×size;</li>
 *   <li>horizontal flip with probability 0.5;</li>
 *   <li>normalization of the chosen {@link Preprocessing} ((v/255 − mean)/std).</li>
 * </ol>
 * <b>TF-slim</b> ({@link #tfSlim}; {@code inception_preprocessing.preprocess_for_train} with no
 * bounding box, i.e. the whole image as the object):
 * <ol>
 *   <li>crop ({@link #sampleDistortedBoundingBox}): TF's {@code sample_distorted_bounding_box} with
 *       min_object_covered 0.1, aspect ratio U[0.75, 1.33] (uniform, not log-uniform), area range
 *       [0.05, 1], 100 attempts, and the whole image as the fallback. Because the only object is
 *       the whole image, "covers ≥ 10% of the object" means area ≥ 0.1·W·H, which overrides the
 *       0.05 lower bound of the area range;</li>
 *   <li>bilinear resize of the crop to size×size, then pixels to floats x = v/255 in [0, 1];</li>
 *   <li>horizontal flip with probability 0.5;</li>
 *   <li>{@link ColorDistortion#apply distort_color} with an ordering drawn from {0..3}, clipped to
 *       [0, 1]; fast mode (slim's default: brightness and saturation only) unless
 *       {@link #tfSlim(int, long, boolean)} asks for the full mode (also hue and contrast);</li>
 *   <li>(x − 0.5)·2, into [−1, 1].</li>
 * </ol>
 * Differences from the reference recipes, stated rather than hidden:
 * <ul>
 *   <li>the random numbers are not TF's or PyTorch's (Philox / torch generators): the
 *       distributions are the same, the draws are not;</li>
 *   <li>none in the resizing: the TF recipe resizes the crop in float with TF1's
 *       {@code resize_bilinear} arithmetic ({@link Preprocessing#tfResizeUnit}), the torchvision
 *       recipe in 8-bit pixels exactly as Pillow's antialiased bilinear filter
 *       ({@link Images#resizeLikePillow});</li>
 *   <li>slim's full (non-fast) mode also draws the resize method among bilinear, nearest,
 *       bicubic and area; here it is always bilinear.</li>
 * </ul>
 * Randomness: example {@code index} in epoch {@code epoch} draws from one
 * {@link SplittableRandom} seeded by {@link RandomStream#mix} of (seed, epoch, index) — crop,
 * then flip, then (TF-slim) the colour parameters — so the view is the same on any thread, in any
 * order, and differs between epochs.
 */
public final class TrainAugmentation implements Transform {
    /** TF-slim's {@code area_range} lower bound. */
    public static final double TF_SLIM_MIN_AREA = 0.05;
    /** torchvision's {@code RandomResizedCrop} default {@code scale=(0.08, 1.0)}. */
    public static final double TORCHVISION_MIN_AREA = 0.08;
    /** torchvision's aspect ratio bounds (3/4, 4/3). */
    public static final double MIN_RATIO = 3.0 / 4.0;
    public static final double MAX_RATIO = 4.0 / 3.0;
    /** torchvision's number of crop attempts before the center-crop fallback. */
    public static final int ATTEMPTS = 10;
    /** TF-slim's {@code aspect_ratio_range} (0.75, 1.33). */
    public static final float TF_SLIM_MIN_RATIO = 0.75f;
    public static final float TF_SLIM_MAX_RATIO = 1.33f;
    /** TF-slim's {@code min_object_covered}. */
    public static final float TF_SLIM_MIN_OBJECT_COVERED = 0.1f;
    /** TF-slim's {@code max_attempts} of {@code sample_distorted_bounding_box}. */
    public static final int TF_SLIM_ATTEMPTS = 100;

    private static final long SALT = 0x4155474D454E54L; // separates this stream from the loader's shuffle

    private final Preprocessing normalization;
    private final int size;
    private final double minArea;
    private final double maxArea;
    private final double minRatio;
    private final double maxRatio;
    private final long seed;
    /** TF-slim's recipe: box sampler, float pipeline with colour distortion; false: torchvision's sampler. */
    private final boolean tfSlim;
    /** slim's {@code fast_mode} (only read when {@link #tfSlim}). */
    private final boolean fastMode;

    /**
     * torchvision's sampler ({@link #sampleCrop}) and flip with the given bounds, then the
     * normalization of {@code normalization}; no colour distortion.
     *
     * @param normalization the recipe whose normalization is applied after crop and flip
     * @param size          output side (299 for Inception-v3)
     * @param minArea       smallest crop area as a fraction of the image, in (0, maxArea]
     * @param maxArea       largest crop area fraction, in [minArea, 1]
     * @param minRatio      smallest crop width/height, &gt; 0
     * @param maxRatio      largest crop width/height, ≥ minRatio
     * @param seed          the seed of every random draw
     */
    public TrainAugmentation(Preprocessing normalization, int size, double minArea, double maxArea,
                             double minRatio, double maxRatio, long seed) {
        this(normalization, size, minArea, maxArea, minRatio, maxRatio, seed, false, false);
    }

    private TrainAugmentation(Preprocessing normalization, int size, double minArea, double maxArea,
                              double minRatio, double maxRatio, long seed, boolean tfSlim, boolean fastMode) {
        if (normalization == null) {
            throw new IllegalArgumentException("TrainAugmentation: normalization is null");
        }
        if (size < 1) {
            throw new IllegalArgumentException("TrainAugmentation: size must be >= 1, got " + size);
        }
        if (!(minArea > 0 && minArea <= maxArea && maxArea <= 1)) {
            throw new IllegalArgumentException("TrainAugmentation: area range [" + minArea + ", " + maxArea
                    + "] must satisfy 0 < min <= max <= 1");
        }
        if (!(minRatio > 0 && minRatio <= maxRatio && Double.isFinite(maxRatio))) {
            throw new IllegalArgumentException("TrainAugmentation: aspect ratio range [" + minRatio + ", "
                    + maxRatio + "] must satisfy 0 < min <= max < inf");
        }
        this.normalization = normalization;
        this.size = size;
        this.minArea = minArea;
        this.maxArea = maxArea;
        this.minRatio = minRatio;
        this.maxRatio = maxRatio;
        this.seed = seed;
        this.tfSlim = tfSlim;
        this.fastMode = fastMode;
    }

    /**
     * TF-slim's {@code preprocess_for_train} as its training script calls it ({@code fast_mode=True}):
     * distorted bounding box, resize, flip, brightness and saturation in a random order, [−1, 1].
     */
    public static TrainAugmentation tfSlim(int size, long seed) {
        return tfSlim(size, seed, true);
    }

    /**
     * TF-slim's {@code preprocess_for_train(fast_mode=fastMode)}; with {@code fastMode} false the
     * colour distortion adds hue and contrast (the resize stays bilinear, see the class comment).
     */
    public static TrainAugmentation tfSlim(int size, long seed, boolean fastMode) {
        return new TrainAugmentation(Preprocessing.TF_INCEPTION, size, TF_SLIM_MIN_AREA, 1.0,
                TF_SLIM_MIN_RATIO, TF_SLIM_MAX_RATIO, seed, true, fastMode);
    }

    /** torchvision's recipe: area [0.08, 1], aspect [3/4, 4/3], ImageNet mean/std normalization. */
    public static TrainAugmentation torchvision(int size, long seed) {
        return new TrainAugmentation(Preprocessing.TORCHVISION, size, TORCHVISION_MIN_AREA, 1.0, MIN_RATIO, MAX_RATIO, seed);
    }

    public int size() {
        return size;
    }

    public Preprocessing normalization() {
        return normalization;
    }

    /**
     * A crop window: top-left (x, y), width × height, and whether it is the sampler's fallback after
     * all its attempts were rejected (torchvision: the clamped center crop; TF-slim: the whole image).
     */
    public record Crop(int x, int y, int width, int height, boolean fallback) {
    }

    /**
     * The draw of example {@code index} in epoch {@code epoch}: its crop, its flip, and its colour
     * distortion ({@code null} in the torchvision recipe, which has none).
     */
    public record View(Crop crop, boolean flip, ColorDistortion.Params color) {
    }

    /** Whether this is the TF-slim recipe (box sampler and colour distortion). */
    public boolean isTfSlim() {
        return tfSlim;
    }

    /** slim's {@code fast_mode} of the TF-slim recipe (false for the torchvision recipe). */
    public boolean fastMode() {
        return tfSlim && fastMode;
    }

    /** The random generator of (seed, epoch, index): the only source of randomness of a view. */
    public SplittableRandom random(int epoch, int index) {
        return new SplittableRandom(RandomStream.mix(RandomStream.mix(RandomStream.mix(seed, SALT), epoch), index));
    }

    /** The crop and flip example {@code index} gets in epoch {@code epoch} for a width×height image. */
    public View view(int width, int height, int epoch, int index) {
        SplittableRandom rng = random(epoch, index);
        Crop crop = tfSlim
                ? sampleDistortedBoundingBox(width, height, TF_SLIM_MIN_OBJECT_COVERED, (float) minRatio, (float) maxRatio,
                        (float) minArea, (float) maxArea, TF_SLIM_ATTEMPTS, rng)
                : sampleCrop(width, height, minArea, maxArea, minRatio, maxRatio, rng);
        boolean flip = rng.nextDouble() < 0.5;
        ColorDistortion.Params color = tfSlim ? ColorDistortion.sample(rng) : null;
        return new View(crop, flip, color);
    }

    /**
     * torchvision's {@code RandomResizedCrop.get_params}: see the class comment. Consumes a
     * variable number of draws from {@code rng} (4 per attempt except the failed ones use 2).
     */
    public static Crop sampleCrop(int width, int height, double minArea, double maxArea,
                                  double minRatio, double maxRatio, SplittableRandom rng) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("sampleCrop: image " + width + "x" + height + " is empty");
        }
        double area = (double) width * height;
        double logMin = Math.log(minRatio), logMax = Math.log(maxRatio);
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            double targetArea = area * uniform(rng, minArea, maxArea);
            double ratio = Math.exp(uniform(rng, logMin, logMax));
            int w = (int) Math.round(Math.sqrt(targetArea * ratio));
            int h = (int) Math.round(Math.sqrt(targetArea / ratio));
            if (w > 0 && w <= width && h > 0 && h <= height) {
                int y = rng.nextInt(height - h + 1);
                int x = rng.nextInt(width - w + 1);
                return new Crop(x, y, w, h, false);
            }
        }
        // Fallback: the whole image, narrowed to the nearest allowed aspect ratio, centered.
        double inRatio = (double) width / height;
        int w, h;
        if (inRatio < minRatio) {
            w = width;
            h = Math.max(1, (int) Math.round(w / minRatio));
        } else if (inRatio > maxRatio) {
            h = height;
            w = Math.max(1, (int) Math.round(h * maxRatio));
        } else {
            w = width;
            h = height;
        }
        return new Crop((width - w) / 2, (height - h) / 2, w, h, true);
    }

    /**
     * TF's {@code sample_distorted_bounding_box} (kernel {@code sample_distorted_bounding_box_op.cc})
     * with one object box, the whole image, as slim uses it without bounding boxes. Each of up to
     * {@code maxAttempts} attempts:
     * <ol>
     *   <li>r ~ U[minRatio, maxRatio) (uniform, in float);</li>
     *   <li>the height h is uniform over the integers [round(√(minArea·W·H/r)), hMax], where
     *       hMax = round(√(maxArea·W·H/r)) lowered until round(hMax·r) ≤ W and hMax ≤ H (so it is the
     *       side, not the area, that is uniform); w = round(h·r);</li>
     *   <li>if w·h falls below minArea·W·H, h + 1 is tried, if above maxArea·W·H, h − 1; the attempt
     *       fails unless minArea·W·H ≤ w·h ≤ maxArea·W·H, 0 &lt; w ≤ W, 0 &lt; h ≤ H;</li>
     *   <li>y ~ U{0..H−h−1} (0 when h = H), x ~ U{0..W−w−1} (0 when w = W): TF's {@code Uniform(n)} is
     *       in [0, n), so a crop narrower than the image never touches its right or bottom edge;</li>
     *   <li>accepted when w·h ≥ 1 and it covers ≥ minObjectCovered of the object, here
     *       w·h / (W·H) ≥ minObjectCovered.</li>
     * </ol>
     * After {@code maxAttempts} failures the crop is the whole image ({@code fallback} true).
     * Rounding is round-half-even ({@code lrintf}) and the arithmetic is float, as in the kernel.
     */
    public static Crop sampleDistortedBoundingBox(int width, int height, float minObjectCovered,
                                                  float minRatio, float maxRatio, float minArea, float maxArea,
                                                  int maxAttempts, SplittableRandom rng) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("sampleDistortedBoundingBox: image " + width + "x" + height + " is empty");
        }
        if (!(minRatio > 0 && minRatio <= maxRatio && minArea > 0 && minArea <= maxArea && maxArea <= 1
                && minObjectCovered >= 0 && maxAttempts > 0)) {
            throw new IllegalArgumentException("sampleDistortedBoundingBox: invalid aspect [" + minRatio + ", " + maxRatio
                    + "], area [" + minArea + ", " + maxArea + "], min_object_covered " + minObjectCovered
                    + " or max_attempts " + maxAttempts);
        }
        float imageArea = (float) (width * (long) height);
        for (int attempt = 0; attempt < maxAttempts; attempt++) {
            float ratio = rng.nextFloat() * (maxRatio - minRatio) + minRatio;
            Crop c = generateRandomCrop(width, height, minArea, maxArea, ratio, rng);
            if (c != null) {
                float area = (float) (c.width() * (long) c.height());
                if (area >= 1f && area / imageArea >= minObjectCovered) {
                    return c;
                }
            }
        }
        return new Crop(0, 0, width, height, true);
    }

    /** The kernel's {@code GenerateRandomCrop}: one attempt at aspect ratio {@code ratio}, or null. */
    private static Crop generateRandomCrop(int width, int height, float minRelativeArea, float maxRelativeArea,
                                           float ratio, SplittableRandom rng) {
        float minArea = minRelativeArea * width * height;
        float maxArea = maxRelativeArea * width * height;
        int h = lrint((float) Math.sqrt(minArea / ratio));
        int maxH = lrint((float) Math.sqrt(maxArea / ratio));
        if (lrint(maxH * ratio) > width) {
            // The largest hMax with round(hMax·r) ≤ W; the ε and the second check guard float error.
            maxH = (int) ((width + 0.5 - 0.0000001f) / ratio);
            if (lrint(maxH * ratio) > width) {
                maxH -= 1;
            }
        }
        maxH = Math.min(maxH, height);
        if (h >= maxH) {
            h = maxH;
        } else {
            h += rng.nextInt(maxH - h + 1);
        }
        int w = lrint(h * ratio);
        float area = (float) (w * (long) h);
        if (area < minArea) {
            h += 1;
            w = lrint(h * ratio);
            area = (float) (w * (long) h);
        }
        if (area > maxArea) {
            h -= 1;
            w = lrint(h * ratio);
            area = (float) (w * (long) h);
        }
        if (area < minArea || area > maxArea || w > width || h > height || w <= 0 || h <= 0) {
            return null;
        }
        int y = h < height ? rng.nextInt(height - h) : 0;
        int x = w < width ? rng.nextInt(width - w) : 0;
        return new Crop(x, y, w, h, false);
    }

    /** C's {@code lrintf} in the default rounding mode: nearest, ties to even. */
    private static int lrint(float v) {
        return (int) Math.rint(v);
    }

    private static double uniform(SplittableRandom rng, double a, double b) {
        return a == b ? a : a + (b - a) * rng.nextDouble();
    }

    /** The training view of {@code image} (CHW, 3·size·size floats) for (epoch, index). */
    @Override
    public float[] apply(BufferedImage image, int epoch, int index) {
        BufferedImage rgb = Images.toRgb(image);
        View v = view(rgb.getWidth(), rgb.getHeight(), epoch, index);
        Crop c = v.crop();
        if (!tfSlim) {
            BufferedImage resized = Images.resizeLikePillow(rgb.getSubimage(c.x(), c.y(), c.width(), c.height()), size, size);
            float[] chw = normalization.toChw(resized);
            if (v.flip()) {
                flipRows(chw, 3 * size, size);
            }
            return chw;
        }
        // slim's order, all in float as TensorFlow: resize, flip, distort_color on [0, 1] (clipped), then (x − 0.5)·2.
        float[] chw = Preprocessing.tfResizeUnit(rgb.getRGB(c.x(), c.y(), c.width(), c.height(), null, 0, c.width()),
                c.width(), c.height(), size);
        if (v.flip()) {
            flipRows(chw, 3 * size, size);
        }
        ColorDistortion.apply(chw, size * size, v.color(), fastMode);
        for (int i = 0; i < chw.length; i++) {
            chw[i] = (chw[i] - 0.5f) * 2f;
        }
        return chw;
    }

    /** Reverses each of {@code rows} rows of length {@code width} in place (a horizontal mirror of CHW). */
    static void flipRows(float[] chw, int rows, int width) {
        for (int r = 0; r < rows; r++) {
            int a = r * width, b = a + width - 1;
            while (a < b) {
                float t = chw[a];
                chw[a++] = chw[b];
                chw[b--] = t;
            }
        }
    }
}
