package org.inceptionj.inception.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

import org.inceptionj.inception.io.InvalidFileException;

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
 * problem with a file is an {@link InvalidFileException} naming the file and the value: the magic
 * number (element type 0x08 and the rank), 1 ≤ rows, cols ≤ {@value #MAX_SIDE}, N ≥ 1,
 * N·rows·cols ≤ {@value #MAX_BYTES} bytes (computed in 64 bits, so no product overflows), a
 * payload of exactly N·rows·cols (resp. N) bytes (fewer: truncated; more: trailing bytes), equal
 * counts in the two files, and every label below the number of classes.
 *
 * <p>Memory follows the bytes that are really there, never a count read from a header alone: an
 * uncompressed file's size is compared with its header before the payload is allocated; a gzipped
 * file's inflated size is only known while inflating, so its buffer starts at 1 MiB at most and
 * doubles as bytes arrive, up to the header's N·rows·cols. Beyond the payload at most
 * {@value #TRAILING_PROBE} more inflated bytes are read to report trailing bytes, so a small gzip
 * that inflates to far more than its header promises (a "gzip bomb") costs no more than that.
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
    /** Inflated bytes read past a gzipped payload to count trailing bytes; more are reported as "more than". */
    public static final int TRAILING_PROBE = 1 << 20;
    /** Largest accepted {@code classes.txt} (or CIFAR's {@code batches.meta.txt}): ImageNet-21k's names take under 1 MiB. */
    public static final int MAX_CLASS_NAMES_BYTES = 4 << 20;

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
            throw new InvalidFileException("IDX dataset", dir, "no such directory");
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
        throw new InvalidFileException("IDX dataset", dir, "no " + split.label()
                + (suffix.contains("images") ? " images" : " labels") + " file; looked for " + String.join(", ", tried));
    }

    /**
     * Reads a {@code classes.txt}: UTF-8, one class name per line, label 0 first, at most
     * {@value #MAX_CLASS_NAMES_BYTES} bytes; trailing blank lines are ignored, other blank lines,
     * repeated names and bytes that are not UTF-8 are {@link InvalidFileException}s naming the file
     * (and the line).
     */
    public static List<String> readClassNames(Path file) {
        try {
            long size = Files.size(file);
            if (size > MAX_CLASS_NAMES_BYTES) {
                throw new InvalidFileException("class names", file, size + " bytes, more than the "
                        + MAX_CLASS_NAMES_BYTES + " a list of class names may take; is it the right file?");
            }
            return parseClassNames(Files.readAllLines(file, StandardCharsets.UTF_8), file);
        } catch (CharacterCodingException e) {
            throw new InvalidFileException("class names", file, "not UTF-8 text (" + e + ")", e);
        } catch (IOException e) {
            throw new UncheckedIOException("class names " + file + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    static List<String> parseClassNames(List<String> lines, Path file) {
        List<String> names = new ArrayList<>(lines.stream().map(String::strip).toList());
        while (!names.isEmpty() && names.getLast().isEmpty()) {
            names.removeLast();
        }
        if (names.isEmpty()) {
            throw new InvalidFileException("class names", file, "no names (expected one per line)");
        }
        HashSet<String> seen = new HashSet<>();
        for (int k = 0; k < names.size(); k++) {
            if (names.get(k).isEmpty()) {
                throw new InvalidFileException("class names", file, "line " + (k + 1) + " is blank");
            }
            if (!seen.add(names.get(k))) {
                throw new InvalidFileException("class names", file, "line " + (k + 1) + " repeats \""
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
     * wrong length be reported before anything large is read), or −1. {@code imagesName} and
     * {@code labelsName} name the streams in the {@link InvalidFileException}s (as paths).
     */
    public static IdxDataset read(InputStream images, String imagesName, long imagesSize,
                                  InputStream labels, String labelsName, long labelsSize,
                                  List<String> classNames, String source) {
        if (classNames == null || classNames.isEmpty()) {
            throw new IllegalArgumentException("IDX dataset " + source + ": no class names given");
        }
        try {
            Input im = Input.of(images, fileOf(imagesName), imagesSize, "IDX images file");
            Input lb = Input.of(labels, fileOf(labelsName), labelsSize, "IDX labels file");
            // Both headers first, so that a count mismatch is reported before the big payload is read.
            int[] imDims = im.header(IMAGES_MAGIC);
            int[] lbDims = lb.header(LABELS_MAGIC);
            if (imDims[0] != lbDims[0]) {
                throw new InvalidFileException("IDX labels file", lb.file, "holds " + lbDims[0]
                        + " labels, but the images file " + imagesName + " holds " + imDims[0] + " images");
            }
            byte[] labelBytes = lb.payload(lbDims[0]);
            checkLabels(labelBytes, classNames, lb.file);
            byte[] pixels = im.payload((long) imDims[0] * imDims[1] * imDims[2]);
            return new IdxDataset(source, List.copyOf(classNames), imDims[1], imDims[2], pixels, labelBytes);
        } catch (IOException e) {
            throw new UncheckedIOException("IDX dataset " + source + ": cannot read " + imagesName + " or "
                    + labelsName + " (" + e.getMessage() + ")", e);
        }
    }

    /** {@code name} as a path for messages ("classpath:/..." stays as it is where the platform allows it). */
    private static Path fileOf(String name) {
        try {
            return Path.of(name);
        } catch (InvalidPathException e) {
            return Path.of(name.replaceAll("[^A-Za-z0-9._/\\\\-]", "_"));
        }
    }

    /** Every label below the number of classes, else an {@link InvalidFileException} naming the first and counting all. */
    private static void checkLabels(byte[] labels, List<String> classNames, Path file) {
        int bad = 0, first = -1;
        for (int i = 0; i < labels.length; i++) {
            if ((labels[i] & 0xFF) >= classNames.size()) {
                if (bad++ == 0) {
                    first = i;
                }
            }
        }
        if (bad > 0) {
            throw new InvalidFileException("IDX labels file", file, "label " + (labels[first] & 0xFF)
                    + " at index " + first + " is out of range for " + classNames.size() + " classes "
                    + classNames + " (" + bad + " label(s) out of range; a classes.txt next to the files names the classes)");
        }
    }

    /**
     * One IDX file being read: the stream (un-gzipped when it starts with 1f 8b), its file, and
     * the number of bytes it holds when known (uncompressed files of known size), else −1. Every
     * format problem, gzip's included (a {@link ZipException} or an early end of the compressed
     * data), becomes an {@link InvalidFileException}; only real I/O errors stay {@link IOException}s.
     */
    private static final class Input {
        final DataInputStream in;
        final Path file;
        final String what;
        final long size;
        final boolean gzip;
        int headerBytes;

        private Input(DataInputStream in, Path file, String what, long size, boolean gzip) {
            this.in = in;
            this.file = file;
            this.what = what;
            this.size = size;
            this.gzip = gzip;
        }

        static Input of(InputStream raw, Path file, long size, String what) throws IOException {
            BufferedInputStream b = new BufferedInputStream(raw, 1 << 16);
            b.mark(2);
            int b0 = b.read(), b1 = b.read();
            b.reset();
            boolean gzip = b0 == 0x1f && b1 == 0x8b; // RFC 1952 ID1 ID2
            InputStream in = b;
            if (gzip) {
                try {
                    in = new BufferedInputStream(new GZIPInputStream(b, 1 << 16), 1 << 16);
                } catch (ZipException | EOFException e) {
                    throw new InvalidFileException(what, file, "starts like gzip (1f 8b) but its gzip header is invalid ("
                            + e.getMessage() + ")", e);
                }
            }
            return new Input(new DataInputStream(in), file, what, gzip ? -1 : size, gzip);
        }

        private InvalidFileException bad(String problem) {
            return new InvalidFileException(what, file, problem);
        }

        /** Reads and validates the header; returns the dimensions. */
        int[] header(int magic) throws IOException {
            int found = readInt("magic number");
            int rank = magic & 0xFF;
            if ((found & 0xFFFFFF00) != (magic & 0xFFFFFF00)) {
                throw bad("magic number " + hex(found) + ", expected " + hex(magic) + " (unsigned bytes, rank " + rank + ")"
                        + (gzip ? "" : "; is it an IDX file, or gzipped under another format?"));
            }
            if ((found & 0xFF) != rank) {
                throw bad("magic number " + hex(found) + " says rank " + (found & 0xFF) + ", expected rank " + rank
                        + " (" + hex(magic) + ")");
            }
            int[] dims = new int[rank];
            for (int d = 0; d < rank; d++) {
                dims[d] = readInt("dimension " + d);
            }
            headerBytes = 4 + 4 * rank;
            if (dims[0] < 1) {
                throw bad("count " + dims[0] + ", expected at least 1");
            }
            if (rank == 3) {
                for (int d = 1; d < 3; d++) {
                    if (dims[d] < 1 || dims[d] > MAX_SIDE) {
                        throw bad((d == 1 ? "rows " : "cols ") + dims[d] + " outside 1.." + MAX_SIDE);
                    }
                }
                long bytes = (long) dims[0] * dims[1] * dims[2]; // < 2^31 · 2^12 · 2^12: no overflow in 64 bits
                if (bytes > MAX_BYTES) {
                    throw bad(dims[0] + "·" + dims[1] + "·" + dims[2] + " = " + bytes + " bytes, more than the "
                            + MAX_BYTES + " one array can hold");
                }
            }
            return dims;
        }

        private int readInt(String field) throws IOException {
            try {
                return in.readInt();
            } catch (EOFException e) {
                throw new InvalidFileException(what, file, "ends inside its header (reading the " + field + ")", e);
            } catch (ZipException e) {
                throw new InvalidFileException(what, file, "gzip data damaged inside the IDX header (reading the "
                        + field + ": " + e.getMessage() + ")", e);
            }
        }

        /**
         * The {@code expected} payload bytes, then end of file. A file of known size is checked
         * before anything is allocated; a gzip stream is read into a buffer that grows with the
         * bytes inflated, up to exactly {@code expected} bytes (never more), then must end: at most
         * {@link #TRAILING_PROBE} further bytes are inflated to say how many trail.
         */
        byte[] payload(long expected) throws IOException {
            if (size >= 0 && size - headerBytes != expected) {
                throw bad(lengthProblem(expected, size - headerBytes, false));
            }
            int n = (int) expected; // ≤ MAX_BYTES, checked with the header (labels: equal to the image count)
            byte[] buf = new byte[size >= 0 ? n : Math.min(n, 1 << 20)];
            int read = 0;
            try {
                while (read < n) {
                    if (read == buf.length) {
                        buf = Arrays.copyOf(buf, (int) Math.min(n, 2L * buf.length));
                    }
                    int r = in.read(buf, read, buf.length - read);
                    if (r < 0) {
                        throw bad(lengthProblem(expected, read, false));
                    }
                    read += r;
                }
            } catch (EOFException | ZipException e) {
                // GZIPInputStream: the compressed data stops (truncated download) or is damaged.
                throw new InvalidFileException(what, file, lengthProblem(expected, read, false) + " (gzip: "
                        + e.getMessage() + ")", e);
            }
            long extra = 0;
            try {
                byte[] skip = new byte[8192];
                for (int r; extra <= TRAILING_PROBE && (r = in.read(skip)) >= 0; ) {
                    extra += r;
                }
            } catch (EOFException | ZipException e) {
                throw new InvalidFileException(what, file, "gzip data damaged after the " + expected
                        + " payload bytes (" + e.getMessage() + ")", e);
            }
            if (extra > 0) {
                throw bad(lengthProblem(expected, expected + extra, extra > TRAILING_PROBE));
            }
            return buf;
        }

        /** "truncated"/"trailing bytes: the header claims E payload bytes, found F"; {@code more}: F is a lower bound. */
        private String lengthProblem(long expected, long found, boolean more) {
            return (found < expected ? "truncated" : "trailing bytes") + ": the header claims " + expected
                    + " payload bytes, found " + (more ? "more than " : "") + found + (gzip ? " (after gunzip)" : "")
                    + (more ? "; stopped counting: the gzip data inflates to far more than the header says" : "");
        }
    }

    private static String hex(int v) {
        return String.format("0x%08X", v);
    }

    /**
     * The same images and labels under other class names (as many as the labels need); a label
     * beyond them is an {@link InvalidFileException} naming the dataset's source.
     */
    public IdxDataset withClasses(List<String> classNames) {
        if (classNames == null || classNames.isEmpty()) {
            throw new IllegalArgumentException("IDX dataset " + source + ": no class names given");
        }
        checkLabels(labels, classNames, fileOf(source));
        return new IdxDataset(source, List.copyOf(classNames), height, width, pixels, labels);
    }
}
