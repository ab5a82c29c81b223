package org.inceptionj.inception.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

import org.inceptionj.inception.image.Preprocessing;

/**
 * The training and test data a {@code --data} value names, opened and checked before training
 * starts. The accepted forms ({@link #FORMS}):
 * <ul>
 *   <li>{@code fashion-mnist}: the subset shipped in the jar ({@link FashionMnist#shipped}); a
 *       folder of that name is {@code ./fashion-mnist};</li>
 *   <li>{@code idx:DIR}: MNIST-style IDX files in DIR ({@link IdxDataset#open});</li>
 *   <li>{@code cifar10:DIR}: CIFAR-10 binary batches in DIR ({@link Cifar10Dataset#open});</li>
 *   <li>{@code folder:DIR}: image folders DIR/train and DIR/test (or DIR/val, not both), each in
 *       {@link ImageFolder}'s layout, with the same classes;</li>
 *   <li>a plain {@code DIR} (the older form): an {@link ImageFolder} of training images only;
 *       the test images come from a separate folder ({@code --val DIR}), or there are none.</li>
 * </ul>
 * Training needs at least 2 classes. {@link Kind#smallImages()} tells a command which default
 * augmentation fits (the in-memory 28/32-px sources: {@link SmallImageAugmentation}; photographs:
 * {@link TrainAugmentation}), and {@link #nativeSize} the sources' own image side.
 *
 * @param spec       the {@code --data} value as given
 * @param kind       which form it is
 * @param train      the training examples
 * @param test       the test examples, or null (a plain DIR without {@code --val})
 * @param nativeSize the side of every image (28 for Fashion-MNIST, 32 for CIFAR-10, the IDX files'
 *                   side when square), or null when images vary (folders)
 */
public record DataSource(String spec, Kind kind, Dataset train, Dataset test, Integer nativeSize) {
    /** The accepted forms of a {@code --data} value, for messages and help texts. */
    public static final String FORMS = "fashion-mnist (the subset shipped in the jar), idx:DIR (MNIST-style IDX files), "
            + "cifar10:DIR (CIFAR-10 binary batches), folder:DIR (DIR/train and DIR/test or DIR/val, one folder per class), "
            + "or DIR (one folder per class, training images only; test images from --val DIR)";

    public enum Kind {
        FASHION_MNIST("fashion-mnist", true, true),
        /** Flipping is off: IDX files are often digits or letters, which a mirror changes. */
        IDX("idx", true, false),
        CIFAR10("cifar10", true, true),
        FOLDER("folder", false, true),
        /** A plain DIR: training images only. */
        TRAIN_FOLDER("", false, true);

        private final String prefix;
        private final boolean small;
        private final boolean flips;

        Kind(String prefix, boolean small, boolean flips) {
            this.prefix = prefix;
            this.small = small;
            this.flips = flips;
        }

        /**
         * Whether the default training view mirrors images: yes for clothing, CIFAR's objects and
         * photographs; no for {@code idx:DIR}, which may hold digits.
         */
        public boolean flips() {
            return flips;
        }

        /**
         * Whether the images are small, of one size and in memory (train with
         * {@link SmallImageAugmentation#light}, evaluate with {@link SmallImageAugmentation#none})
         * rather than photographs of any size (TF-slim / torchvision recipes).
         */
        public boolean smallImages() {
            return small;
        }
    }

    public DataSource {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(train, "train");
    }

    /** A parsed {@code --data} value, before anything is opened: its kind and folder (null for fashion-mnist). */
    public record Spec(String value, Kind kind, Path dir) {
    }

    /**
     * Parses {@code value} without reading anything; fails naming the value and listing the
     * accepted forms. A word of two or more letters before ':' must be a known type (so a typo
     * such as {@code cifar:DIR} is not taken for a folder), unless the whole value is an
     * existing folder.
     */
    public static Spec parse(String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("--data: no value; expected " + FORMS);
        }
        if (value.equals(Kind.FASHION_MNIST.prefix)) {
            return new Spec(value, Kind.FASHION_MNIST, null);
        }
        int colon = value.indexOf(':');
        // "C:\data" is a Windows path, not a type: types are at least two characters.
        if (colon >= 2 && value.substring(0, colon).chars().allMatch(ch -> Character.isLetterOrDigit(ch) || ch == '-')
                && !Files.isDirectory(Path.of(value))) {
            String type = value.substring(0, colon).toLowerCase(Locale.ROOT), dir = value.substring(colon + 1);
            for (Kind k : List.of(Kind.IDX, Kind.CIFAR10, Kind.FOLDER)) {
                if (k.prefix.equals(type)) {
                    if (dir.isBlank()) {
                        throw new IllegalArgumentException("--data " + value + ": no folder after '" + type
                                + ":'; expected " + FORMS);
                    }
                    return new Spec(value, k, Path.of(dir));
                }
            }
            throw new IllegalArgumentException("--data " + value + ": unknown source type '" + type + "'; expected " + FORMS);
        }
        return new Spec(value, Kind.TRAIN_FOLDER, Path.of(value));
    }

    /** {@link #open(String, Path)} without a separate test folder. */
    public static DataSource open(String value) {
        return open(value, null);
    }

    /**
     * Opens and checks the data {@code value} names ({@link #parse}). {@code val} is the separate
     * test folder of the plain-DIR form (may be null); with any other form it must be null, since
     * those already hold a test split.
     */
    public static DataSource open(String value, Path val) {
        Spec spec = parse(value);
        if (val != null && spec.kind() != Kind.TRAIN_FOLDER) {
            throw new IllegalArgumentException("--data " + value + " already has a test split; --val " + val
                    + " only goes with a plain training folder (--data DIR)");
        }
        if (spec.kind() != Kind.FASHION_MNIST && !Files.isDirectory(spec.dir())) {
            throw new IllegalArgumentException("--data " + value + ": no such directory " + spec.dir() + "; expected " + FORMS);
        }
        return switch (spec.kind()) {
            case FASHION_MNIST -> rasters(value, spec.kind(), FashionMnist.shipped(Split.TRAIN), FashionMnist.shipped(Split.TEST));
            case IDX -> rasters(value, spec.kind(), IdxDataset.open(spec.dir(), Split.TRAIN), IdxDataset.open(spec.dir(), Split.TEST));
            case CIFAR10 -> rasters(value, spec.kind(), Cifar10Dataset.open(spec.dir(), Split.TRAIN),
                    Cifar10Dataset.open(spec.dir(), Split.TEST));
            case FOLDER -> folders(value, spec.kind(), spec.dir().resolve("train"), testFolder(value, spec.dir()));
            case TRAIN_FOLDER -> folders(value, spec.kind(), spec.dir(), val);
        };
    }

    /** DIR/test or DIR/val (exactly one of them must exist), for {@code folder:DIR}. */
    private static Path testFolder(String value, Path dir) {
        Path test = dir.resolve("test"), val = dir.resolve("val");
        boolean hasTest = Files.isDirectory(test), hasVal = Files.isDirectory(val);
        if (!Files.isDirectory(dir.resolve("train"))) {
            throw new IllegalArgumentException("--data " + value + ": no training folder " + dir.resolve("train")
                    + " (folder:DIR expects DIR/train and DIR/test or DIR/val)");
        }
        if (hasTest == hasVal) {
            throw new IllegalArgumentException("--data " + value + ": " + (hasTest
                    ? "both " + test + " and " + val + " exist; keep one test folder"
                    : "no test folder " + test + " or " + val) + " (folder:DIR expects DIR/train and DIR/test or DIR/val)");
        }
        return hasTest ? test : val;
    }

    private static DataSource rasters(String value, Kind kind, RasterDataset train, RasterDataset test) {
        checkClasses(value, train, test);
        if (train.height() != test.height() || train.width() != test.width() || train.channels() != test.channels()) {
            throw new IllegalArgumentException("--data " + value + ": training images are " + train.channels() + "x"
                    + train.height() + "x" + train.width() + " but test images " + test.channels() + "x" + test.height()
                    + "x" + test.width() + " (" + train.source() + ", " + test.source() + ")");
        }
        return new DataSource(value, kind, train, test, train.height() == train.width() ? train.height() : null);
    }

    private static DataSource folders(String value, Kind kind, Path trainDir, Path testDir) {
        ImageFolder train = ImageFolder.open(trainDir);
        ImageFolder test = testDir == null ? null : ImageFolder.open(testDir);
        checkClasses(value, train, test);
        return new DataSource(value, kind, train, test, null);
    }

    /** At least 2 training classes, and the same classes in train and test. */
    private static void checkClasses(String value, Dataset train, Dataset test) {
        if (train.classes().size() < 2) {
            throw new IllegalArgumentException("--data " + value + ": training data " + train.source() + " has "
                    + train.classes().size() + " class " + train.classes() + "; classification needs at least 2 classes");
        }
        if (test != null && !test.classes().equals(train.classes())) {
            List<String> onlyTrain = new ArrayList<>(train.classes()), onlyTest = new ArrayList<>(test.classes());
            onlyTrain.removeAll(test.classes());
            onlyTest.removeAll(train.classes());
            throw new IllegalArgumentException("--data " + value + ": training classes (" + train.source() + ") and test classes ("
                    + test.source() + ") differ: only in training " + onlyTrain + ", only in test " + onlyTest
                    + (onlyTrain.isEmpty() && onlyTest.isEmpty() ? " (same names, different order)" : ""));
        }
    }

    /**
     * The default training transform for this source at {@code size}: for small images
     * {@link SmallImageAugmentation#light} (flipping as {@link Kind#flips()} says), for
     * photographs {@code photos}' recipe ({@link TrainAugmentation#tfSlim} for
     * {@link Preprocessing#TF_INCEPTION}, {@link TrainAugmentation#torchvision} for
     * {@link Preprocessing#TORCHVISION}).
     */
    public Transform trainTransform(int size, long seed, Preprocessing photos) {
        if (kind.smallImages()) {
            return SmallImageAugmentation.light(size, seed, kind.flips());
        }
        return switch (Objects.requireNonNull(photos, "photos")) {
            case TF_INCEPTION -> TrainAugmentation.tfSlim(size, seed);
            case TORCHVISION -> TrainAugmentation.torchvision(size, seed);
        };
    }

    /**
     * The evaluation transform that goes with this source at {@code size}: for small images
     * exactly {@link SmallImageAugmentation#none} (the whole image resized), for photographs
     * {@link Transform#eval} with {@code photos}' recipe (center crop and resize).
     */
    public Transform evalTransform(int size, Preprocessing photos) {
        return kind.smallImages() ? SmallImageAugmentation.none(size) : Transform.eval(photos, size);
    }
}
