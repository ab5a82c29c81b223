package org.inceptionj.inception.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Fashion-MNIST (Zalando Research; Xiao, Rasul, Vollgraf 2017; MIT license): 28×28 grayscale
 * images of clothing in 10 classes, in IDX files.
 *
 * <p>{@link #shipped} reads the subset that ships inside this module (and its jar) under
 * {@value #RESOURCES}: the whole test split (10,000 images, 1,000 per class) and the first
 * {@value #SHIPPED_TRAIN_SIZE} training images ({@value #SHIPPED_TRAIN_SIZE}/10 per class, since the
 * training split interleaves the classes). Its README there gives the attribution, the license and
 * the script that made it. {@link #open} reads the full files from a folder.
 */
public final class FashionMnist {
    /** The class names; label k is {@code CLASSES.get(k)}. */
    public static final List<String> CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
    /** The classpath folder of the shipped subset. */
    public static final String RESOURCES = "/org/inceptionj/inception/data/fashion-mnist/";
    /** Training images in the shipped subset (the first ones of the full split). */
    public static final int SHIPPED_TRAIN_SIZE = 26_640;
    /** Side of every image. */
    public static final int SIDE = 28;

    private FashionMnist() {
    }

    /**
     * The shipped subset's {@code split}, read with {@link Class#getResourceAsStream} so that it
     * works from the classes folder and from inside the shaded jar alike; class names
     * {@link #CLASSES}. Decodes the files each time it is called (about 21 MB for the training split).
     */
    public static IdxDataset shipped(Split split) {
        Objects.requireNonNull(split, "split");
        String prefix = RESOURCES + split.label();
        String images = prefix + "-images-idx3-ubyte.gz", labels = prefix + "-labels-idx1-ubyte.gz";
        try (InputStream im = FashionMnist.class.getResourceAsStream(images);
             InputStream lb = FashionMnist.class.getResourceAsStream(labels)) {
            if (im == null || lb == null) {
                throw new IllegalStateException("Fashion-MNIST: resource " + (im == null ? images : labels)
                        + " is missing from the classpath (the build should copy it from src/main/resources)");
            }
            return IdxDataset.read(im, "classpath:" + images, -1, lb, "classpath:" + labels, -1, CLASSES,
                    "Fashion-MNIST (shipped " + split.label() + ")");
        } catch (IOException e) {
            throw new UncheckedIOException("Fashion-MNIST: cannot read " + images + " (" + e.getMessage() + ")", e);
        }
    }

    /**
     * The full Fashion-MNIST {@code split} in {@code dir} ({@link IdxDataset#open}'s file names),
     * named with {@link #CLASSES} unless {@code dir/classes.txt} names the classes.
     */
    public static IdxDataset open(Path dir, Split split) {
        IdxDataset d = IdxDataset.open(dir, split);
        if (dir != null && Files.isRegularFile(dir.resolve("classes.txt"))) {
            return d;
        }
        return d.withClasses(CLASSES);
    }
}
