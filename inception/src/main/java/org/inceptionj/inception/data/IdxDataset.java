package org.inceptionj.inception.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.zip.GZIPInputStream;

/**
 * A labelled dataset in the IDX format of MNIST and Fashion-MNIST, decoded once into memory.
 *
 * <p>An IDX file is a big-endian int32 magic number {@code 0x0000TTRR} (TT the element type,
 * 0x08 = unsigned byte; RR the rank), RR big-endian int32 dimensions, then the elements in
 * row-major order. The images file has magic 0x00000803 and dimensions (N, rows, cols), the labels
 * file 0x00000801 and (N); a file may be gzipped (recognized by its first bytes 1f 8b, whatever
 * its name).
 *
 * <p>Everything is validated before the pixels are allocated or training starts, and every
 * failure is an {@link IllegalArgumentException} naming the file and the value: the magic number,
 * 1 ≤ rows, cols ≤ {@value #MAX_SIDE}, N ≥ 1, N·rows·cols ≤ {@value #MAX_BYTES} bytes, a payload of
 * exactly N·rows·cols (resp. N) bytes (fewer: truncated; more: trailing bytes), equal counts in
 * the two files, and every label below the number of classes.
 *
 * <p>Images are {@link RasterDataset rasters} of one gray channel; {@link #image} replicates it
 * to RGB.
 */
public final class IdxDataset extends ByteRaster {
    /** The images file's magic: unsigned bytes (0x08), rank 3. */
    public static final int IMAGES_MAGIC = 0x00000803;
    /** The labels file's magic: unsigned bytes (0x08), rank 1. */
    public static final int LABELS_MAGIC = 0x00000801;
    /** Largest accepted image side. */
    public static final int MAX_SIDE = 4096;
    /** Largest accepted payload: the largest array a JVM reliably allocates. */
    public static final int MAX_BYTES = Integer.MAX_VALUE - 8;

    /** Class names when a folder has no {@code classes.txt}: the MNIST digits. */
    public static final List<String> DIGITS = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

    private IdxDataset(String source, List<String> classes, int rows, int cols, byte[] pixels, byte[] labels) {
        super("IDX dataset", source, classes, 1, rows, cols, pixels, labels); // N·rows·cols gray bytes, N labels
    }

    /**
     * The {@code split} of the IDX files in {@code dir}, named as the official distributions name
     * them: {@code train-images-idx3-ubyte} and {@code train-labels-idx1-ubyte}; for the test split
     * {@code t10k-images-idx3-ubyte}/{@code t10k-labels-idx1-ubyte} or
     * {@code test-images-idx3-ubyte}/{@code test-labels-idx1-ubyte}; each with or without
     * {@code .gz}. Class names come from {@code dir/classes.txt} (one per line, label 0 first) when
     * present, else {@link #DIGITS}.
     */
    public static IdxDataset open(Path dir, Split split) {
        Objects.requireNonNull(split, "split");
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IllegalArgumentException("IDX dataset " + dir + ": no such directory");
        }
        List<String> prefixes = split == Split.TRAIN ? List.of("train") : List.of("t10k", "test");
        Path images = find(dir, prefixes, "-images-idx3-ubyte", split);
        // The labels that go with the images found: t10k with t10k, test with test.
        String prefix = images.getFileName().toString().substring(0, images.getFileName().toString().indexOf('-'));
        List<String> labelPrefixes = new ArrayList<>(List.of(prefix));
        prefixes.stream().filter(p -> !p.equals(prefix)).forEach(labelPrefixes::add);
        Path labels = find(dir, labelPrefixes, "-labels-idx1-ubyte", split);
        Path names = dir.resolve("classes.txt");
        List<String> classes = Files.isRegularFile(names) ? readClassNames(names) : DIGITS;
        return read(images, labels, classes, images.toString());
    }

    /** The first of prefix+suffix, prefix+suffix+".gz" that exists, or an error listing all the names tried. */
    private static Path find(Path dir, List<String> prefixes, String suffix, Split split) {
        List<String> tried = new ArrayList<>();
        for (String p : prefixes) {
            for (String name : List.of(p + suffix, p + suffix + ".gz")) {
                tried.add(name);
                if (Files.isRegularFile(dir.resolve(name))) {
                    return dir.resolve(name);
                }
            }
        }
        throw new IllegalArgumentException("IDX dataset " + dir + ": no " + split.label()
                + (suffix.contains("images") ? " images" : " labels") + " file; looked for " + String.join(", ", tried));
    }

    /**
     * Reads a {@code classes.txt}: one class name per line, label 0 first; trailing blank lines
     * are ignored, other blank lines and repeated names are errors naming the file and line.
     */
    public static List<String> readClassNames(Path file) {
        try {
            return parseClassNames(Files.readAllLines(file, StandardCharsets.UTF_8), file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("class names " + file + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    static List<String> parseClassNames(List<String> lines, String file) {
        List<String> names = new ArrayList<>(lines.stream().map(String::strip).toList());
        while (!names.isEmpty() && names.getLast().isEmpty()) {
            names.removeLast();
        }
        if (names.isEmpty()) {
            throw new IllegalArgumentException("class names " + file + ": no names (expected one per line)");
        }
        HashSet<String> seen = new HashSet<>();
        for (int k = 0; k < names.size(); k++) {
            if (names.get(k).isEmpty()) {
                throw new IllegalArgumentException("class names " + file + ": line " + (k + 1) + " is blank");
            }
            if (!seen.add(names.get(k))) {
                throw new IllegalArgumentException("class names " + file + ": line " + (k + 1) + " repeats \""
                        + names.get(k) + "\"");
            }
        }
        return List.copyOf(names);
    }

    /**
     * Reads an images file and a labels file (each gzipped or not), validating both as the class
     * comment says. {@code source} names the dataset in messages and {@link #describe}.
     */
    public static IdxDataset read(Path images, Path labels, List<String> classNames, String source) {
        try (InputStream im = Files.newInputStream(images); InputStream lb = Files.newInputStream(labels)) {
            return read(im, images.toString(), Files.size(images), lb, labels.toString(), Files.size(labels),
                    classNames, source);
        } catch (IOException e) {
            throw new UncheckedIOException("IDX dataset " + source + ": cannot read " + images + " or " + labels
                    + " (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Reads an images stream and a labels stream (each gzipped or not; not closed here).
     * {@code imagesSize}/{@code labelsSize} are the files' sizes in bytes when known (they let a
     * wrong length be reported before anything large is read), or −1.
     */
    public static IdxDataset read(InputStream images, String imagesName, long imagesSize,
                                  InputStream labels, String labelsName, long labelsSize,
                                  List<String> classNames, String source) {
        if (classNames == null || classNames.isEmpty()) {
            throw new IllegalArgumentException("IDX dataset " + source + ": no class names given");
        }
        try {
            Input im = Input.of(images, imagesName, imagesSize);
            Input lb = Input.of(labels, labelsName, labelsSize);
            // Both headers first, so that a count mismatch is reported before the big payload is read.
            int[] imDims = im.header(IMAGES_MAGIC, "images");
            int[] lbDims = lb.header(LABELS_MAGIC, "labels");
            if (imDims[0] != lbDims[0]) {
                throw new IllegalArgumentException("IDX dataset " + source + ": images file " + imagesName + " holds "
                        + imDims[0] + " images but labels file " + labelsName + " holds " + lbDims[0] + " labels");
            }
            byte[] labelBytes = lb.payload(lbDims[0]);
            checkLabels(labelBytes, classNames, labelsName);
            byte[] pixels = im.payload((long) imDims[0] * imDims[1] * imDims[2]);
            return new IdxDataset(source, List.copyOf(classNames), imDims[1], imDims[2], pixels, labelBytes);
        } catch (IOException e) {
            throw new UncheckedIOException("IDX dataset " + source + ": cannot read " + imagesName + " or "
                    + labelsName + " (" + e.getMessage() + ")", e);
        }
    }

    private static void checkLabels(byte[] labels, List<String> classNames, String file) {
        int bad = 0, first = -1;
        for (int i = 0; i < labels.length; i++) {
            if ((labels[i] & 0xFF) >= classNames.size()) {
                if (bad++ == 0) {
                    first = i;
                }
            }
        }
        if (bad > 0) {
            throw new IllegalArgumentException("IDX labels file " + file + ": label " + (labels[first] & 0xFF)
                    + " at index " + first + " is out of range for " + classNames.size() + " classes "
                    + classNames + " (" + bad + " label(s) out of range; a classes.txt next to the files names the classes)");
        }
    }

    /**
     * One IDX file being read: the stream (un-gzipped when it starts with 1f 8b), its name, and
     * the number of bytes it holds when known (uncompressed files of known size), else −1.
     */
    private static final class Input {
        final DataInputStream in;
        final String name;
        final long size;
        final boolean gzip;
        int headerBytes;

        private Input(DataInputStream in, String name, long size, boolean gzip) {
            this.in = in;
            this.name = name;
            this.size = size;
            this.gzip = gzip;
        }

        static Input of(InputStream raw, String name, long size) throws IOException {
            BufferedInputStream b = new BufferedInputStream(raw, 1 << 16);
            b.mark(2);
            int b0 = b.read(), b1 = b.read();
            b.reset();
            boolean gzip = b0 == 0x1f && b1 == 0x8b; // RFC 1952 ID1 ID2
            InputStream in = b;
            if (gzip) {
                try {
                    in = new BufferedInputStream(new GZIPInputStream(b, 1 << 16), 1 << 16);
                } catch (IOException e) {
                    throw new IllegalArgumentException("IDX file " + name + ": starts like gzip (1f 8b) but its gzip header is invalid ("
                            + e.getMessage() + ")", e);
                }
            }
            return new Input(new DataInputStream(in), name, gzip ? -1 : size, gzip);
        }

        /** Reads and validates the header; returns the dimensions. */
        int[] header(int magic, String what) throws IOException {
            int found = readInt("magic number");
            int rank = magic & 0xFF;
            if ((found & 0xFFFFFF00) != (magic & 0xFFFFFF00)) {
                throw new IllegalArgumentException("IDX " + what + " file " + name + ": magic number "
                        + hex(found) + ", expected " + hex(magic) + " (unsigned bytes, rank " + rank + ")"
                        + (gzip ? "" : "; is it an IDX file, or gzipped under another format?"));
            }
            if ((found & 0xFF) != rank) {
                throw new IllegalArgumentException("IDX " + what + " file " + name + ": magic number " + hex(found)
                        + " says rank " + (found & 0xFF) + ", expected rank " + rank + " (" + hex(magic) + ")");
            }
            int[] dims = new int[rank];
            for (int d = 0; d < rank; d++) {
                dims[d] = readInt("dimension " + d);
            }
            headerBytes = 4 + 4 * rank;
            if (dims[0] < 1) {
                throw new IllegalArgumentException("IDX " + what + " file " + name + ": count " + dims[0]
                        + ", expected at least 1");
            }
            if (rank == 3) {
                for (int d = 1; d < 3; d++) {
                    if (dims[d] < 1 || dims[d] > MAX_SIDE) {
                        throw new IllegalArgumentException("IDX " + what + " file " + name + ": "
                                + (d == 1 ? "rows " : "cols ") + dims[d] + " outside 1.." + MAX_SIDE);
                    }
                }
                long bytes = (long) dims[0] * dims[1] * dims[2];
                if (bytes > MAX_BYTES) {
                    throw new IllegalArgumentException("IDX " + what + " file " + name + ": " + dims[0] + "·"
                            + dims[1] + "·" + dims[2] + " = " + bytes + " bytes, more than the " + MAX_BYTES
                            + " one array can hold");
                }
            }
            return dims;
        }

        private int readInt(String field) throws IOException {
            try {
                return in.readInt();
            } catch (EOFException e) {
                throw new IllegalArgumentException("IDX file " + name + ": ends inside its header (reading the "
                        + field + ")", e);
            }
        }

        /**
         * The {@code expected} payload bytes, then end of file. A file of known size is checked
         * before anything is allocated; a gzip stream is read into a buffer that grows up to
         * exactly {@code expected} bytes (never more), then must end.
         */
        byte[] payload(long expected) throws IOException {
            if (size >= 0 && size - headerBytes != expected) {
                throw new IllegalArgumentException(lengthMessage(expected, size - headerBytes));
            }
            int n = (int) expected; // ≤ MAX_BYTES, checked with the header
            byte[] buf = new byte[size >= 0 ? n : Math.min(n, 1 << 20)];
            int read = 0;
            try {
                while (read < n) {
                    if (read == buf.length) {
                        buf = Arrays.copyOf(buf, (int) Math.min(n, 2L * buf.length));
                    }
                    int r = in.read(buf, read, buf.length - read);
                    if (r < 0) {
                        throw new IllegalArgumentException(lengthMessage(expected, read));
                    }
                    read += r;
                }
            } catch (EOFException | java.util.zip.ZipException e) {
                // GZIPInputStream: the compressed data stops (truncated download) or is damaged.
                throw new IllegalArgumentException(lengthMessage(expected, read) + " (gzip: " + e.getMessage() + ")", e);
            }
            long extra;
            try {
                extra = in.transferTo(OutputStream.nullOutputStream());
            } catch (EOFException | java.util.zip.ZipException e) {
                throw new IllegalArgumentException("IDX file " + name + ": gzip data damaged after the "
                        + expected + " payload bytes (" + e.getMessage() + ")", e);
            }
            if (extra > 0) {
                throw new IllegalArgumentException(lengthMessage(expected, expected + extra));
            }
            return buf;
        }

        private String lengthMessage(long expected, long found) {
            return "IDX file " + name + ": " + (found < expected ? "truncated" : "trailing bytes")
                    + ": the header claims " + expected + " payload bytes, found " + found
                    + (gzip ? " (after gunzip)" : "");
        }
    }

    private static String hex(int v) {
        return String.format("0x%08X", v);
    }

    /** The same images and labels under other class names (as many as the labels need). */
    public IdxDataset withClasses(List<String> classNames) {
        if (classNames == null || classNames.isEmpty()) {
            throw new IllegalArgumentException("IDX dataset " + source + ": no class names given");
        }
        checkLabels(labels, classNames, source);
        return new IdxDataset(source, List.copyOf(classNames), height, width, pixels, labels);
    }
}
