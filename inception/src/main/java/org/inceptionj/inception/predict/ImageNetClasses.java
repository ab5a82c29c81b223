package org.inceptionj.inception.predict;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The 1000 ILSVRC-2012 class names in the index order of torchvision's and Keras' ImageNet models
 * (0 = "tench, Tinca tinca", 999 = "toilet tissue, ..."). Shipped as a resource; see
 * {@code imagenet-classes.NOTICE} beside it for its source and license. TF-slim checkpoints
 * trained with 1001 classes put "background" at 0: use {@link #name(int, int)} with offset 1.
 */
public final class ImageNetClasses {
    private static final List<String> NAMES = load();

    private ImageNetClasses() {
    }

    private static List<String> load() {
        try (InputStream in = ImageNetClasses.class.getResourceAsStream("imagenet-classes.txt")) {
            if (in == null) {
                throw new IllegalStateException("resource imagenet-classes.txt is missing from the jar");
            }
            List<String> names = new ArrayList<>(1000);
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    names.add(line);
                }
            }
            if (names.size() != 1000) {
                throw new IllegalStateException("imagenet-classes.txt has " + names.size() + " lines, not 1000");
            }
            return List.copyOf(names);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The name of class {@code index} in [0, 1000). */
    public static String name(int index) {
        return name(index, 0);
    }

    /**
     * The name of logit {@code index} of a classifier whose first {@code offset} outputs are extra
     * classes (1 for TF-slim's 1001-way "background" models); extra classes are named "background".
     */
    public static String name(int index, int offset) {
        int i = index - offset;
        if (i < 0 && index >= 0) {
            return "background";
        }
        if (i < 0 || i >= NAMES.size()) {
            throw new IllegalArgumentException("ImageNet class index " + index + " (offset " + offset
                    + ") is outside [0, " + (NAMES.size() + offset) + ")");
        }
        return NAMES.get(i);
    }

    public static int count() {
        return NAMES.size();
    }
}
