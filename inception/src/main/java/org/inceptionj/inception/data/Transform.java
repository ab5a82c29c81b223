package org.inceptionj.inception.data;

import java.awt.image.BufferedImage;

import org.inceptionj.inception.image.Preprocessing;

/**
 * What the {@link DataLoader} does to each decoded image: an RGB image in, one CHW float view of
 * 3·size·size values out. Any randomness must be a function of (epoch, index) only, so that the
 * result does not depend on which thread computes it or when.
 */
@FunctionalInterface
public interface Transform {
    /**
     * The CHW view (length 3·size·size) of {@code image}, example {@code index} of the dataset,
     * in epoch {@code epoch}.
     */
    float[] apply(BufferedImage image, int epoch, int index);

    /**
     * The evaluation transform: {@link Preprocessing#apply} (resize and center crop, then the
     * recipe's normalization); deterministic, ignores epoch and index.
     */
    static Transform eval(Preprocessing preprocessing, int size) {
        if (preprocessing == null) {
            throw new IllegalArgumentException("Transform.eval: preprocessing is null");
        }
        if (size < 1) {
            throw new IllegalArgumentException("Transform.eval: size must be >= 1, got " + size);
        }
        return (image, epoch, index) -> preprocessing.apply(image, size);
    }
}
