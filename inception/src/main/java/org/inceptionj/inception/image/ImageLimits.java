package org.inceptionj.inception.image;

import java.nio.file.Path;

import org.inceptionj.inception.io.InvalidFileException;

/**
 * How large and how elongated an image the decoder accepts. Both are checked against the size in
 * the file's header (PNG's IHDR, JPEG's SOF) before a single pixel is decoded, so a small file that
 * declares a huge image costs nothing.
 * <ul>
 *   <li>{@code maxPixels}: width × height at most this. The default, 89,478,485, is Pillow's
 *       {@code Image.MAX_IMAGE_PIXELS} (a 256 MiB 24-bit image; Pillow warns above it and refuses
 *       above twice it). Set with {@code -Dinceptionj.image.maxPixels=N}. At most
 *       {@value #MAX_ARRAY}, the most pixels one Java array holds.</li>
 *   <li>{@code maxAspectRatio}: the longer side at most this many times the shorter. The default is
 *       100. Set with {@code -Dinceptionj.image.maxAspectRatio=R}.</li>
 * </ul>
 * Why an aspect-ratio limit: the evaluation recipes resize the shorter side to 342 and keep the
 * aspect ratio, so a 1×100,000 image would become 342×34,200,000 (11.7 billion pixels) before its
 * center is cropped. The preprocessing only ever computes the pixels of the crop (see
 * {@link Preprocessing#centerView}), so time and memory are bounded by the input and the crop
 * alone, but an image 100 times longer than it is wide is not a photograph and every recipe would
 * see a sliver of it; within both limits every size is resized without integer overflow.
 *
 * <p>Memory: a decoded image takes 4 bytes a pixel (358 MB at the default limit); while a JPEG
 * decodes, its components take up to 4 more.
 *
 * @param maxPixels      largest width × height accepted (≥ 1)
 * @param maxAspectRatio largest ratio of the longer side to the shorter one accepted (≥ 1)
 */
public record ImageLimits(long maxPixels, long maxAspectRatio) {
    /** Pillow's {@code Image.MAX_IMAGE_PIXELS}: ⌊1024 · 1024 · 1024 / 4 / 3⌋. */
    public static final long PILLOW_MAX_IMAGE_PIXELS = 89_478_485L;
    /** The default longest side over shortest side. */
    public static final long DEFAULT_MAX_ASPECT_RATIO = 100;
    /** The system property that sets {@link #maxPixels()}. */
    public static final String MAX_PIXELS_PROPERTY = "inceptionj.image.maxPixels";
    /** The system property that sets {@link #maxAspectRatio()}. */
    public static final String MAX_ASPECT_RATIO_PROPERTY = "inceptionj.image.maxAspectRatio";
    /** The most elements a Java array may have, and so the most pixels one decoded image may have. */
    public static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    public ImageLimits {
        if (maxPixels < 1 || maxPixels > MAX_ARRAY) {
            throw new IllegalArgumentException("image limits: maxPixels must be in 1.." + MAX_ARRAY + ", got " + maxPixels);
        }
        if (maxAspectRatio < 1) {
            throw new IllegalArgumentException("image limits: maxAspectRatio must be >= 1, got " + maxAspectRatio);
        }
    }

    /** The defaults, or what {@value #MAX_PIXELS_PROPERTY} and {@value #MAX_ASPECT_RATIO_PROPERTY} set. */
    public static ImageLimits fromSystemProperties() {
        return new ImageLimits(property(MAX_PIXELS_PROPERTY, PILLOW_MAX_IMAGE_PIXELS),
                property(MAX_ASPECT_RATIO_PROPERTY, DEFAULT_MAX_ASPECT_RATIO));
    }

    private static long property(String name, long fallback) {
        String v = System.getProperty(name);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            return Long.parseLong(v.strip().replace("_", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-D" + name + "=" + v + " is not a whole number", e);
        }
    }

    /**
     * Checks a header's size: both sides ≥ 1, width × height ≤ maxPixels, longer ≤ maxAspectRatio ×
     * shorter. The message names the file, the size and the property that raises the limit.
     */
    void check(Path file, String format, long width, long height) {
        if (width < 1 || height < 1) {
            throw new InvalidFileException("image", file, format + " header declares " + width + "x" + height
                    + " pixels: an image needs at least 1x1");
        }
        if (width * height > maxPixels) { // both ≤ 2^32, so the product fits in a long
            throw new InvalidFileException("image", file, format + " header declares " + width + "x" + height + " = "
                    + width * height + " pixels, more than the limit of " + maxPixels + " (-D" + MAX_PIXELS_PROPERTY
                    + "=N raises it; a decompression bomb declares a huge size in a small file)");
        }
        long longer = Math.max(width, height), shorter = Math.min(width, height);
        if (maxAspectRatio <= Long.MAX_VALUE / shorter && longer > maxAspectRatio * shorter) {
            throw new InvalidFileException("image", file, format + " header declares " + width + "x" + height
                    + " pixels: aspect ratio " + longer + ":" + shorter + " exceeds the limit of " + maxAspectRatio
                    + ":1 (-D" + MAX_ASPECT_RATIO_PROPERTY + "=R raises it)");
        }
    }
}
