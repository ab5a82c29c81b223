package org.inceptionj.inception.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import org.inceptionj.inception.image.Images;
import org.inceptionj.inception.io.InvalidFileException;

/**
 * A labelled image dataset in torchvision's {@code ImageFolder} layout:
 * <pre>
 *   root/&lt;class name&gt;/&lt;image files&gt;      e.g. root/n01440764/n01440764_10026.JPEG
 * </pre>
 * <ul>
 *   <li>every directory directly under {@code root} is a class; classes are sorted by name
 *       (code-point order, as Python's {@code sorted}) and numbered 0..K−1;</li>
 *   <li>the images of a class are the files with extension .jpg, .jpeg or .png (any case) anywhere
 *       below its directory (torchvision walks class folders recursively, following links),
 *       ordered as torchvision orders them: by containing directory, then by file name;</li>
 *   <li>names beginning with '.' (hidden files and folders) are ignored — unlike torchvision, so
 *       that e.g. a {@code .cache} folder does not become a class;</li>
 *   <li>the example order is class 0's files, then class 1's, ... (torchvision's {@code samples}).</li>
 * </ul>
 * Only the listing happens here; images are decoded when {@link #image(int)} asks for one.
 */
public final class ImageFolder implements Dataset {
    private final Path root;
    private final List<String> classes;
    private final Path[] paths;
    private final int[] labels;

    private ImageFolder(Path root, List<String> classes, Path[] paths, int[] labels) {
        this.root = root;
        this.classes = classes;
        this.paths = paths;
        this.labels = labels;
    }

    /**
     * Lists {@code root}; a missing root, a root without class folders or a class without images is
     * an {@link InvalidFileException} naming the root (and the classes). Images are not opened
     * here, so their sizes may differ: every view resizes (a corrupt image fails when it is read).
     */
    public static ImageFolder open(Path root) {
        if (root == null) {
            throw new IllegalArgumentException("ImageFolder: root is null");
        }
        if (!Files.isDirectory(root)) {
            throw new InvalidFileException("ImageFolder", root, "no such directory");
        }
        List<String> classes = new ArrayList<>();
        try (Stream<Path> children = Files.list(root)) {
            children.filter(Files::isDirectory)
                    .map(p -> p.getFileName().toString())
                    .filter(n -> !n.startsWith("."))
                    .sorted()
                    .forEach(classes::add);
        } catch (IOException e) {
            throw new UncheckedIOException("ImageFolder " + root + ": cannot list (" + e.getMessage() + ")", e);
        }
        if (classes.isEmpty()) {
            throw new InvalidFileException("ImageFolder", root, "no class folders (expected root/<class name>/<image files>)");
        }
        List<Path> paths = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        List<String> empty = new ArrayList<>();
        for (int k = 0; k < classes.size(); k++) {
            List<Path> files = imagesOf(root.resolve(classes.get(k)));
            if (files.isEmpty()) {
                empty.add(classes.get(k));
            }
            for (Path f : files) {
                paths.add(f);
                labels.add(k);
            }
        }
        if (!empty.isEmpty()) {
            throw new InvalidFileException("ImageFolder", root, "class folder(s) " + empty
                    + " contain no .jpg/.jpeg/.png image");
        }
        return new ImageFolder(root, List.copyOf(classes), paths.toArray(Path[]::new),
                labels.stream().mapToInt(Integer::intValue).toArray());
    }

    /** The image files below {@code classDir}, in torchvision's order (directory, then name). */
    private static List<Path> imagesOf(Path classDir) {
        try (Stream<Path> walk = Files.walk(classDir, FileVisitOption.FOLLOW_LINKS)) {
            return walk.filter(p -> !classDir.relativize(p).toString().isEmpty())
                    .filter(p -> !isHidden(classDir.relativize(p)))
                    .filter(Files::isRegularFile)
                    .filter(ImageFolder::isImageName)
                    .sorted(Comparator.<Path, String>comparing(p -> unixParent(classDir.relativize(p)))
                            .thenComparing(p -> p.getFileName().toString()))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("ImageFolder " + classDir + ": cannot list (" + e.getMessage() + ")", e);
        } catch (UncheckedIOException e) {
            throw new UncheckedIOException("ImageFolder " + classDir + ": cannot list (" + e.getMessage() + ")",
                    e.getCause());
        }
    }

    private static boolean isHidden(Path relative) {
        for (Path part : relative) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    private static String unixParent(Path relative) {
        Path parent = relative.getParent();
        return parent == null ? "" : parent.toString().replace('\\', '/');
    }

    /** Whether {@code file}'s name ends in .jpg, .jpeg or .png, ignoring case. */
    public static boolean isImageName(Path file) {
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".png");
    }

    public Path root() {
        return root;
    }

    @Override
    public String source() {
        return root.toString();
    }

    @Override
    public String describe(int i) {
        return path(i).toString();
    }

    /** Number of examples (images over all classes). */
    @Override
    public int size() {
        return paths.length;
    }

    /** Class names; the label of {@code classes().get(k)} is k. */
    @Override
    public List<String> classes() {
        return classes;
    }

    /** The class index 0..K−1 of example {@code i}. */
    @Override
    public int label(int i) {
        check(i);
        return labels[i];
    }

    /** The file of example {@code i}. */
    public Path path(int i) {
        check(i);
        return paths[i];
    }

    /** Decodes example {@code i} as 8-bit RGB ({@link Images#readRgb}); errors name the file. */
    @Override
    public BufferedImage image(int i) {
        return Images.readRgb(path(i));
    }

    private void check(int i) {
        if (i < 0 || i >= paths.length) {
            throw new IndexOutOfBoundsException("ImageFolder " + root + ": example " + i
                    + " out of range [0, " + paths.length + ")");
        }
    }
}
