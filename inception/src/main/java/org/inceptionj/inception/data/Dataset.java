package org.inceptionj.inception.data;

import java.awt.image.BufferedImage;
import java.util.List;

/**
 * A labelled image classification dataset: what a {@link DataLoader} batches. An {@link ImageFolder}
 * decodes its files when asked; the in-memory formats (IDX, CIFAR-10) decode once when opened and
 * hand out views of their pixels.
 *
 * <p>Implementations must be safe to read from several threads at once (the loader's workers call
 * {@link #image} concurrently) and must not change after construction.
 */
public interface Dataset {
    /** Where the data comes from, for messages: a folder, a file, a shipped resource. */
    String source();

    /** Number of examples. */
    int size();

    /** Class names; the label of {@code classes().get(k)} is k. */
    List<String> classes();

    /** The class index 0..K−1 of example {@code i}. */
    int label(int i);

    /**
     * Example {@code i} as an 8-bit RGB image (grayscale data has equal channels); fails with a
     * message naming {@link #describe(int)} when it cannot be decoded.
     */
    BufferedImage image(int i);

    /** Example {@code i} for a person: its file, or its source and index. */
    String describe(int i);
}
