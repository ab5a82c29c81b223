package org.inceptionj.inception.data;

import java.awt.image.BufferedImage;
import java.util.SplittableRandom;

import org.inceptionj.api.RandomStream;
import org.inceptionj.inception.predict.Images;
import org.inceptionj.inception.predict.Preprocessing;

/**
 * The Inception training view of an image (torchvision {@code RandomResizedCrop} +
 * {@code RandomHorizontalFlip}; TF-slim {@code preprocess_for_train} without colour distortion):
 * <ol>
 *   <li>crop: up to 10 attempts draw an area fraction s ~ U[minArea, maxArea] and an aspect ratio
 *       r = exp(U[ln minRatio, ln maxRatio]) (log-uniform, as torchvision), giving
 *       w = round(√(s·W·H·r)), h = round(√(s·W·H/r)); the first attempt with 0 &lt; w ≤ W and
 *       0 &lt; h ≤ H is placed uniformly at x ~ U{0..W−w}, y ~ U{0..H−h}. If all 10 fail, the
 *       fallback is the largest centered crop whose aspect ratio is clamped to [minRatio, maxRatio]
 *       (torchvision's fallback);</li>
 *   <li>bilinear resize of the crop to size×size;</li>
 *   <li>horizontal flip with probability 0.5;</li>
 *   <li>normalization of the chosen {@link Preprocessing}: TF_INCEPTION to [−1, 1],
 *       TORCHVISION to (v/255 − mean)/std.</li>
 * </ol>
 * Differences from the reference recipes, stated rather than hidden:
 * <ul>
 *   <li>TF-slim samples its box with {@code sample_distorted_bounding_box} (aspect ratio uniform, not
 *       log-uniform; 100 attempts; {@code min_object_covered} 0.1 against the whole-image box; the
 *       whole image as fallback); here both recipes use torchvision's sampler, only the minimum area
 *       differs (TF-slim 0.05, torchvision 0.08);</li>
 *   <li>TF-slim's colour distortion (random brightness, saturation, hue, contrast in a random
 *       order) is <b>not done</b>;</li>
 *   <li>Java2D bilinear resizing does not antialias when shrinking, unlike PIL / torchvision's
 *       {@code antialias=True}.</li>
 * </ul>
 * Randomness: example {@code index} in epoch {@code epoch} draws from one
 * {@link SplittableRandom} seeded by {@link RandomStream#mix} of (seed, epoch, index), so the
 * view is the same on any thread, in any order, and differs between epochs.
 */
public final class TrainAugmentation implements Transform {
    /** TF-slim's {@code area_range} lower bound. */
    public static final double TF_SLIM_MIN_AREA = 0.05;
    /** torchvision's {@code RandomResizedCrop} default {@code scale=(0.08, 1.0)}. */
    public static final double TORCHVISION_MIN_AREA = 0.08;
    /** Aspect ratio bounds of both recipes (torchvision (3/4, 4/3); TF-slim (0.75, 1.33)). */
    public static final double MIN_RATIO = 3.0 / 4.0;
    public static final double MAX_RATIO = 4.0 / 3.0;
    /** torchvision's number of crop attempts before the center-crop fallback. */
    public static final int ATTEMPTS = 10;

    private static final long SALT = 0x4155474D454E54L; // separates this stream from the loader's shuffle

    private final Preprocessing normalization;
    private final int size;
    private final double minArea;
    private final double maxArea;
    private final double minRatio;
    private final double maxRatio;
    private final long seed;

    /**
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
    }

    /** TF-slim's recipe: area [0.05, 1], aspect [3/4, 4/3], output in [−1, 1]. */
    public static TrainAugmentation tfSlim(int size, long seed) {
        return new TrainAugmentation(Preprocessing.TF_INCEPTION, size, TF_SLIM_MIN_AREA, 1.0, MIN_RATIO, MAX_RATIO, seed);
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
     * A crop window: top-left (x, y), width × height, and whether it is the center-crop fallback
     * after {@link #ATTEMPTS} rejected attempts.
     */
    public record Crop(int x, int y, int width, int height, boolean fallback) {
    }

    /** The draw of example {@code index} in epoch {@code epoch}: its crop and its flip. */
    public record View(Crop crop, boolean flip) {
    }

    /** The random generator of (seed, epoch, index): the only source of randomness of a view. */
    public SplittableRandom random(int epoch, int index) {
        return new SplittableRandom(RandomStream.mix(RandomStream.mix(RandomStream.mix(seed, SALT), epoch), index));
    }

    /** The crop and flip example {@code index} gets in epoch {@code epoch} for a width×height image. */
    public View view(int width, int height, int epoch, int index) {
        SplittableRandom rng = random(epoch, index);
        Crop crop = sampleCrop(width, height, minArea, maxArea, minRatio, maxRatio, rng);
        boolean flip = rng.nextDouble() < 0.5;
        return new View(crop, flip);
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

    private static double uniform(SplittableRandom rng, double a, double b) {
        return a == b ? a : a + (b - a) * rng.nextDouble();
    }

    /** The training view of {@code image} (CHW, 3·size·size floats) for (epoch, index). */
    @Override
    public float[] apply(BufferedImage image, int epoch, int index) {
        BufferedImage rgb = Images.toRgb(image);
        View v = view(rgb.getWidth(), rgb.getHeight(), epoch, index);
        Crop c = v.crop();
        BufferedImage resized = Images.resize(rgb.getSubimage(c.x(), c.y(), c.width(), c.height()), size, size);
        float[] chw = normalization.toChw(resized);
        if (v.flip()) {
            flipRows(chw, 3 * size, size);
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
