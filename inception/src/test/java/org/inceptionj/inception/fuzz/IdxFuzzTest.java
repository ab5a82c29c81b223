package org.inceptionj.inception.fuzz;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

import org.inceptionj.inception.data.DataSource;
import org.inceptionj.inception.data.IdxDataset;
import org.inceptionj.inception.data.Split;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link FuzzHarness} over the IDX reader's public paths: {@link IdxDataset#open} (train and test
 * splits, gzipped or not, with and without {@code classes.txt}) and {@link DataSource#open} with
 * {@code idx:DIR}. Each case is a folder holding a small valid pair (1-12 images of at most 8×8)
 * with one seeded mutation, one category per case in turn:
 * <ul>
 *   <li>valid: no mutation (must be accepted: the suite also checks that good files pass);</li>
 *   <li>truncated: the images or labels file (plain or gzipped bytes) cut at a random length;</li>
 *   <li>flipped header byte: one byte of the magic or the dimensions XORed;</li>
 *   <li>wrong magic, dtype or rank: other element types (0x09-0x0E), ranks, non-zero leading bytes,
 *       the two files swapped, a PNG signature;</li>
 *   <li>count disagrees with payload: both counts (or rows) changed, the payload kept;</li>
 *   <li>count overflows or exceeds limits: N·rows·cols beyond 32 bits (up to Integer.MAX_VALUE in
 *       every dimension) or over {@link IdxDataset#MAX_BYTES}, zero or negative dimensions, sides over
 *       {@link IdxDataset#MAX_SIDE}, counts a small payload cannot back (plain: the size check;
 *       gzipped: the buffer grows only with the bytes inflated), and a sparse 3 GB file under a small
 *       header;</li>
 *   <li>labels and images disagree: a labels file of another count;</li>
 *   <li>label out of range: one label at 10-255 with the ten default names;</li>
 *   <li>trailing bytes: 1-64 bytes after the payload, inside the gzip stream when gzipped;</li>
 *   <li>gzip bomb: a second gzip member of {@value #BOMB_MIB} MiB of zeros (about 8 KB) after a
 *       valid member, or under a header that claims 100,000 images;</li>
 *   <li>gzip damaged: bytes XORed past the gzip header (may still be valid: a flipped padding bit
 *       changes nothing);</li>
 *   <li>garbage: random bytes, half of them behind the gzip signature;</li>
 *   <li>class names file: blank or repeated lines, not UTF-8, empty, too few names for the labels,
 *       larger than {@link IdxDataset#MAX_CLASS_NAMES_BYTES};</li>
 *   <li>via DataSource idx:DIR: a valid training pair and a mutated (or, one in five, valid) test pair.</li>
 * </ul>
 * Every rejection must be an {@code InvalidFileException} naming the mutated file.
 */
class IdxFuzzTest {
    static final int BOMB_MIB = 8;
    private static final String[] CATEGORIES = {"valid", "truncated", "flipped header byte", "wrong magic, dtype or rank",
        "count disagrees with payload", "count overflows or exceeds limits", "labels and images disagree",
        "label out of range", "trailing bytes", "gzip bomb", "gzip damaged", "garbage", "class names file",
        "via DataSource idx:DIR"};
    /** The most one case may take (the cases are small; a gzip bomb inflates at most {@value #BOMB_MIB} MiB). */
    private static final long TIME_BOUND_MS = 2000;

    @TempDir
    Path tmp;

    private byte[] bomb; // one gzip member of BOMB_MIB MiB of zeros, made once

    @Test
    void malformedIdxFilesAreRejectedNamingTheFile() {
        new FuzzHarness("IDX (IdxDataset.open, DataSource idx:DIR)", TIME_BOUND_MS)
                .run(FuzzHarness.cases(), this::make, IdxFuzzTest::parse)
                .assertNoUnexpected();
    }

    /** The folder's name says which public path reads it: "-datasource", "-test" or the training split. */
    static void parse(Path file) {
        Path dir = file.getParent();
        String name = dir.getFileName().toString();
        if (name.endsWith("-datasource")) {
            DataSource.open("idx:" + dir);
        } else {
            IdxDataset.open(dir, name.endsWith("-test") ? Split.TEST : Split.TRAIN);
        }
    }

    private FuzzHarness.Case make(int k, Random r) throws IOException {
        String category = CATEGORIES[k % CATEGORIES.length];
        boolean viaSource = category.startsWith("via");
        boolean test = !viaSource && r.nextBoolean();
        Path dir = Files.createDirectories(tmp.resolve("case-" + k + (viaSource ? "-datasource" : test ? "-test" : "")));
        String prefix = viaSource ? "t10k" : test ? (r.nextBoolean() ? "t10k" : "test") : "train";
        int n = 1 + r.nextInt(12), rows = 1 + r.nextInt(8), cols = 1 + r.nextInt(8);
        byte[] px = bytes(r, n * rows * cols, 256), lb = bytes(r, n, 10);
        byte[] im = idx(IdxDataset.IMAGES_MAGIC, new int[] {n, rows, cols}, px);
        byte[] la = idx(IdxDataset.LABELS_MAGIC, new int[] {n}, lb);
        boolean gzIm = r.nextBoolean(), gzLa = r.nextBoolean();
        Path imFile = dir.resolve(prefix + "-images-idx3-ubyte" + (gzIm && r.nextBoolean() ? ".gz" : ""));
        Path laFile = dir.resolve(prefix + "-labels-idx1-ubyte" + (gzLa && r.nextBoolean() ? ".gz" : ""));
        boolean images = r.nextBoolean(); // which file a one-file mutation changes
        boolean mayBeValid = false;
        Path target = images ? imFile : laFile;
        byte[] imBytes = null, laBytes = null; // final bytes, when a mutation works on them rather than on im/la
        long sparseSize = 0; // > 0: the images file is extended (sparse) to this many bytes

        switch (category) {
            case "valid" -> mayBeValid = true;
            case "truncated" -> {
                byte[] whole = pack(images ? im : la, images ? gzIm : gzLa);
                byte[] cut = Arrays.copyOf(whole, r.nextInt(whole.length));
                if (images) {
                    imBytes = cut;
                } else {
                    laBytes = cut;
                }
            }
            case "flipped header byte" -> {
                byte[] raw = images ? im : la;
                raw[r.nextInt(images ? 16 : 8)] ^= (byte) (1 + r.nextInt(255));
            }
            case "wrong magic, dtype or rank" -> {
                int variant = r.nextInt(5);
                if (variant == 3) { // the two files swapped: the images header is read first
                    byte[] t = im;
                    im = la;
                    la = t;
                    target = imFile;
                } else {
                    byte[] raw = images ? im : la;
                    switch (variant) {
                        case 0 -> raw[2] = (byte) (0x09 + r.nextInt(6)); // the other IDX element types
                        case 1 -> raw[3] = (byte) List.of(0, 1, 2, 3, 4, 5, 255).stream()
                                .filter(x -> x != (images ? 3 : 1)).toList().get(r.nextInt(6)).intValue();
                        case 2 -> raw[r.nextInt(2)] = (byte) (1 + r.nextInt(255));
                        default -> System.arraycopy(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, 0, raw, 0, 4);
                    }
                }
            }
            case "count disagrees with payload" -> {
                if (r.nextBoolean()) { // both counts say N', both payloads hold N
                    int other = n + (r.nextBoolean() ? 1 + r.nextInt(5) : -(1 + r.nextInt(n)));
                    ByteBuffer.wrap(im).putInt(4, other);
                    ByteBuffer.wrap(la).putInt(4, other);
                    target = other < 1 ? imFile : laFile; // images header, else the labels payload read first
                } else {
                    ByteBuffer.wrap(im).putInt(8, rows + 1 + r.nextInt(3));
                    target = imFile;
                }
            }
            case "count overflows or exceeds limits" -> {
                int max = Integer.MAX_VALUE;
                int[][] dims = {{max, 4096, 4096}, {max, max, max}, {-1, rows, cols}, {0, rows, cols}, {n, 0, cols},
                    {n, IdxDataset.MAX_SIDE + 1, 1}, {n, -5, 3}, {65536, 4096, 4096}, {100_000, 100, 200},
                    {20_000, 4096, 27}, {max, 1, 1}, {Integer.MIN_VALUE, rows, cols}};
                int[] d = dims[r.nextInt(dims.length)];
                im = idx(IdxDataset.IMAGES_MAGIC, d, px);
                // The counts agree, with a full labels payload where one is small enough: the images must be refused.
                la = idx(IdxDataset.LABELS_MAGIC, new int[] {d[0]}, d[0] >= 1 && d[0] <= 1_000_000 ? new byte[d[0]] : lb);
                if (r.nextInt(8) == 0) { // a small header on a sparse 3 GB file: refused from the size, not read
                    im = idx(IdxDataset.IMAGES_MAGIC, new int[] {n, rows, cols}, px);
                    la = idx(IdxDataset.LABELS_MAGIC, new int[] {n}, lb);
                    imFile = dir.resolve(prefix + "-images-idx3-ubyte");
                    imBytes = im;
                    sparseSize = 3_000_000_000L;
                }
                target = imFile;
            }
            case "labels and images disagree" -> {
                int other = n + 1 + r.nextInt(3);
                la = idx(IdxDataset.LABELS_MAGIC, new int[] {other}, bytes(r, other, 10));
                target = laFile;
            }
            case "label out of range" -> {
                la[8 + r.nextInt(n)] = (byte) (10 + r.nextInt(246));
                target = laFile;
            }
            case "trailing bytes" -> {
                byte[] raw = images ? im : la, more = Arrays.copyOf(raw, raw.length + 1 + r.nextInt(64));
                if (images) {
                    im = more;
                } else {
                    la = more;
                }
            }
            case "gzip bomb" -> {
                switch (r.nextInt(3)) {
                    case 0 -> imBytes = concat(gzip(im), bomb()); // far more than N·rows·cols after the payload
                    case 1 -> laBytes = concat(gzip(la), bomb());
                    default -> { // a header claiming 100,000 images of 28×28, backed by zeros only up to the bomb's size
                        imBytes = concat(gzip(idx(IdxDataset.IMAGES_MAGIC, new int[] {100_000, 28, 28}, new byte[0])), bomb());
                        la = idx(IdxDataset.LABELS_MAGIC, new int[] {100_000}, new byte[100_000]);
                    }
                }
                target = imBytes != null ? imFile : laFile;
            }
            case "gzip damaged" -> {
                mayBeValid = true;
                byte[] g = gzip(images ? im : la);
                for (int f = 1 + r.nextInt(3); f > 0; f--) {
                    g[10 + r.nextInt(g.length - 10)] ^= (byte) (1 + r.nextInt(255));
                }
                if (images) {
                    imBytes = g;
                } else {
                    laBytes = g;
                }
            }
            case "garbage" -> {
                byte[] g = bytes(r, r.nextInt(100), 256);
                if (g.length >= 2 && r.nextBoolean()) {
                    g[0] = 0x1f;
                    g[1] = (byte) 0x8b;
                }
                if (images) {
                    imBytes = g;
                } else {
                    laBytes = g;
                }
            }
            case "class names file" -> {
                Path names = dir.resolve("classes.txt");
                target = names;
                switch (r.nextInt(6)) {
                    case 0 -> Files.writeString(names, "a\n\nb\n");
                    case 1 -> Files.writeString(names, "a\nb\na\n");
                    case 2 -> Files.write(names, new byte[] {'a', '\n', (byte) 0xC3, '(', '\n'});
                    case 3 -> Files.writeString(names, r.nextBoolean() ? "" : "\n \n");
                    case 4 -> {
                        // Fewer names than the labels need: reported on the labels file.
                        lb[0] = 9;
                        la = idx(IdxDataset.LABELS_MAGIC, new int[] {n}, lb);
                        Files.writeString(names, "a\nb\n");
                        target = laFile;
                    }
                    default -> {
                        if (r.nextInt(4) == 0) {
                            Files.write(names, new byte[IdxDataset.MAX_CLASS_NAMES_BYTES + 1]);
                        } else {
                            Files.writeString(names, "x\ny\nx\n", StandardCharsets.UTF_8);
                        }
                    }
                }
            }
            case "via DataSource idx:DIR" -> {
                // A valid training pair of the same size; the test pair is mutated.
                write(dir.resolve("train-images-idx3-ubyte"), idx(IdxDataset.IMAGES_MAGIC, new int[] {n, rows, cols}, px));
                write(dir.resolve("train-labels-idx1-ubyte.gz"), gzip(idx(IdxDataset.LABELS_MAGIC, new int[] {n}, lb)));
                int variant = r.nextInt(5);
                switch (variant) {
                    case 0 -> mayBeValid = true;
                    case 1 -> imBytes = Arrays.copyOf(pack(im, gzIm), r.nextInt(pack(im, gzIm).length));
                    case 2 -> la[8 + r.nextInt(n)] = (byte) (10 + r.nextInt(246));
                    case 3 -> la = Arrays.copyOf(la, la.length + 1 + r.nextInt(9));
                    default -> im[2] = 0x0D; // floats
                }
                target = variant == 2 || variant == 3 ? laFile : imFile;
            }
            default -> throw new IllegalStateException(category);
        }
        write(imFile, imBytes != null ? imBytes : pack(im, gzIm));
        write(laFile, laBytes != null ? laBytes : pack(la, gzLa));
        if (sparseSize > 0) {
            try (SeekableByteChannel ch = Files.newByteChannel(imFile, StandardOpenOption.WRITE, StandardOpenOption.SPARSE)) {
                ch.position(sparseSize - 1);
                ch.write(ByteBuffer.wrap(new byte[] {1}));
            }
        }
        return new FuzzHarness.Case(target, category, mayBeValid);
    }

    private byte[] bomb() {
        if (bomb == null) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
                byte[] zeros = new byte[1 << 20];
                for (int k = 0; k < BOMB_MIB; k++) {
                    gz.write(zeros);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            bomb = out.toByteArray();
        }
        return bomb;
    }

    static byte[] idx(int magic, int[] dims, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + payload.length); // big-endian
        b.putInt(magic);
        for (int d : dims) {
            b.putInt(d);
        }
        return b.put(payload).array();
    }

    static byte[] bytes(Random r, int n, int bound) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) r.nextInt(bound);
        }
        return b;
    }

    static byte[] gzip(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static byte[] pack(byte[] raw, boolean gz) {
        return gz ? gzip(raw) : raw;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private static void write(Path file, byte[] data) throws IOException {
        Files.write(file, data);
    }
}
