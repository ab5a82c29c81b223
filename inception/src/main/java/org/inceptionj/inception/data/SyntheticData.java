package org.inceptionj.inception.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

import javax.imageio.ImageIO;

/**
 * A small generated dataset in {@link ImageFolder} layout, for tests and for a training smoke
 * run without downloading anything: class k is named {@code class_k}; its images are PNGs of
 * varying sizes (so the crop and resize paths are exercised) filled with the class's base colour
 * plus per-pixel noise, so the classes are separable by colour.
 */
public final class SyntheticData {
    private SyntheticData() {
    }

    /**
     * Writes {@code classes} × {@code perClass} PNGs under {@code root} (created if needed) and
     * returns the listed folder. Sizes are drawn in [minSide, maxSide] per side; everything is a
     * function of {@code seed}.
     */
    public static ImageFolder write(Path root, int classes, int perClass, int minSide, int maxSide, long seed) {
        if (classes < 1 || perClass < 1 || minSide < 1 || maxSide < minSide) {
            throw new IllegalArgumentException("SyntheticData: need classes, perClass >= 1 and 1 <= minSide <= maxSide, got "
                    + classes + ", " + perClass + ", [" + minSide + ", " + maxSide + "]");
        }
        SplittableRandom rng = new SplittableRandom(seed);
        try {
            for (int k = 0; k < classes; k++) {
                Path dir = Files.createDirectories(root.resolve(String.format("class_%d", k)));
                // Base colours spread around the hue circle.
                int base = java.awt.Color.HSBtoRGB((float) k / classes, 0.8f, 0.9f) & 0xFFFFFF;
                for (int i = 0; i < perClass; i++) {
                    int w = minSide + rng.nextInt(maxSide - minSide + 1);
                    int h = minSide + rng.nextInt(maxSide - minSide + 1);
                    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
                    for (int y = 0; y < h; y++) {
                        for (int x = 0; x < w; x++) {
                            img.setRGB(x, y, jitter(base, rng));
                        }
                    }
                    Path file = dir.resolve(String.format("img_%03d.png", i));
                    if (!ImageIO.write(img, "png", file.toFile())) {
                        throw new IllegalStateException("SyntheticData: no PNG writer available");
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("SyntheticData: cannot write under " + root + " (" + e.getMessage() + ")", e);
        }
        return ImageFolder.open(root);
    }

    private static int jitter(int rgb, SplittableRandom rng) {
        int out = 0;
        for (int shift = 16; shift >= 0; shift -= 8) {
            int c = ((rgb >> shift) & 0xFF) + rng.nextInt(-24, 25);
            out |= Math.max(0, Math.min(255, c)) << shift;
        }
        return out;
    }
}
