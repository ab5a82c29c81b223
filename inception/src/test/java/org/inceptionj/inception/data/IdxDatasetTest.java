package org.inceptionj.inception.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.inceptionj.inception.io.InvalidFileException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxDatasetTest {
    @TempDir
    Path tmp;

    /** An IDX file: magic, dims, payload. */
    static byte[] idx(int magic, int[] dims, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + payload.length); // big-endian
        b.putInt(magic);
        for (int d : dims) {
            b.putInt(d);
        }
        b.put(payload);
        return b.array();
    }

    static byte[] gzip(byte[] data) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
                gz.write(data);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] randomBytes(int n, long seed, int bound) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) r.nextInt(bound);
        }
        return b;
    }

    private Path write(String name, byte[] data) throws IOException {
        Path p = tmp.resolve(name);
        Files.createDirectories(p.getParent());
        Files.write(p, data);
        return p;
    }

    /** Writes an images and a labels file of n images of rows×cols; returns {pixels, labels}. */
    private byte[][] writePair(String images, String labels, int n, int rows, int cols, boolean gz) throws IOException {
        byte[] px = randomBytes(n * rows * cols, 1, 256), lb = randomBytes(n, 2, 10);
        byte[] im = idx(IdxDataset.IMAGES_MAGIC, new int[] {n, rows, cols}, px);
        byte[] la = idx(IdxDataset.LABELS_MAGIC, new int[] {n}, lb);
        write(images, gz ? gzip(im) : im);
        write(labels, gz ? gzip(la) : la);
        return new byte[][] {px, lb};
    }

    /** The message of the {@link InvalidFileException} {@code r} throws (a format problem is never another type). */
    private String error(Runnable r) {
        return assertThrows(InvalidFileException.class, r::run).getMessage();
    }

    @Test
    void readsTrainAndBothTestNamingsGzippedOrNot() throws Exception {
        byte[][] train = writePair("a/train-images-idx3-ubyte.gz", "a/train-labels-idx1-ubyte.gz", 5, 3, 4, true);
        byte[][] test = writePair("a/t10k-images-idx3-ubyte", "a/t10k-labels-idx1-ubyte", 2, 3, 4, false);
        IdxDataset tr = IdxDataset.open(tmp.resolve("a"), Split.TRAIN);
        IdxDataset te = IdxDataset.open(tmp.resolve("a"), Split.TEST);
        assertEquals(5, tr.size());
        assertEquals(2, te.size());
        assertEquals(3, tr.height());
        assertEquals(4, tr.width());
        assertEquals(1, tr.channels());
        assertEquals(IdxDataset.DIGITS, tr.classes());
        for (int i = 0; i < 5; i++) {
            assertArrayEquals(Arrays.copyOfRange(train[0], i * 12, i * 12 + 12), tr.pixels(i));
            assertEquals(train[1][i], tr.label(i));
        }
        assertArrayEquals(Arrays.copyOfRange(test[0], 12, 24), te.pixels(1));
        assertTrue(tr.describe(3).contains("train-images-idx3-ubyte.gz") && tr.describe(3).endsWith(" 3"), tr.describe(3));

        // test-* naming, gzip detected by content although the name has no .gz, and classes.txt.
        byte[][] other = writePair("b/test-images-idx3-ubyte", "b/test-labels-idx1-ubyte.gz", 3, 2, 2, true);
        Files.writeString(tmp.resolve("b/classes.txt"), "zero\none\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\n\n");
        IdxDataset b = IdxDataset.open(tmp.resolve("b"), Split.TEST);
        assertEquals("nine", b.classes().get(9));
        assertEquals(10, b.classes().size());
        assertArrayEquals(Arrays.copyOfRange(other[0], 8, 12), b.pixels(2));
    }

    @Test
    void imageIsRgbWithGrayReplicated() throws Exception {
        byte[][] d = writePair("train-images-idx3-ubyte", "train-labels-idx1-ubyte", 2, 3, 5, false);
        IdxDataset ds = IdxDataset.open(tmp, Split.TRAIN);
        BufferedImage img = ds.image(1);
        assertEquals(BufferedImage.TYPE_INT_RGB, img.getType());
        assertEquals(5, img.getWidth());
        assertEquals(3, img.getHeight());
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 5; x++) {
                int g = d[0][15 + y * 5 + x] & 0xFF;
                assertEquals((g << 16) | (g << 8) | g, img.getRGB(x, y) & 0xFFFFFF, "pixel " + x + "," + y);
            }
        }
        assertThrows(IndexOutOfBoundsException.class, () -> ds.image(2));
        assertThrows(IndexOutOfBoundsException.class, () -> ds.label(-1));
    }

    @Property(tries = 40)
    void whatIsWrittenIsRead(@ForAll @IntRange(min = 1, max = 30) int n, @ForAll @IntRange(min = 1, max = 9) int rows,
                             @ForAll @IntRange(min = 1, max = 9) int cols, @ForAll boolean gz, @ForAll long seed) {
        byte[] px = randomBytes(n * rows * cols, seed, 256), lb = randomBytes(n, ~seed, 10);
        byte[] im = idx(IdxDataset.IMAGES_MAGIC, new int[] {n, rows, cols}, px);
        byte[] la = idx(IdxDataset.LABELS_MAGIC, new int[] {n}, lb);
        if (gz) {
            im = gzip(im);
            la = gzip(la);
        }
        IdxDataset ds = IdxDataset.read(new ByteArrayInputStream(im), "im", gz ? -1 : im.length,
                new ByteArrayInputStream(la), "la", -1, IdxDataset.DIGITS, "mem");
        byte[] all = new byte[n * rows * cols];
        for (int i = 0; i < n; i++) {
            System.arraycopy(ds.pixels(i), 0, all, i * rows * cols, rows * cols);
            assertEquals(lb[i], ds.label(i));
        }
        assertArrayEquals(px, all);
    }

    @Test
    void wrongMagicAndRankAreNamed() throws Exception {
        writePair("train-images-idx3-ubyte", "train-labels-idx1-ubyte", 2, 2, 2, false);
        Path labels = tmp.resolve("train-labels-idx1-ubyte");
        Path bad = write("x/images", idx(0x00000801, new int[] {2, 2, 2}, new byte[8]));
        String m = error(() -> IdxDataset.read(bad, labels, IdxDataset.DIGITS, "t"));
        assertTrue(m.contains(bad.toString()) && m.contains("0x00000801") && m.contains("expected rank 3"), m);

        Path floats = write("x/floats", idx(0x00000D03, new int[] {2, 2, 2}, new byte[32]));
        m = error(() -> IdxDataset.read(floats, labels, IdxDataset.DIGITS, "t"));
        assertTrue(m.contains(floats.toString()) && m.contains("magic number 0x00000D03, expected 0x00000803"), m);

        // Labels given where images are expected, and the other way round.
        Path images = tmp.resolve("train-images-idx3-ubyte");
        m = error(() -> IdxDataset.read(images, images, IdxDataset.DIGITS, "t"));
        assertTrue(m.contains("labels file " + images) && m.contains("0x00000803") && m.contains("expected rank 1"), m);

        Path empty = write("x/empty", new byte[0]);
        m = error(() -> IdxDataset.read(empty, labels, IdxDataset.DIGITS, "t"));
        assertTrue(m.contains(empty.toString()) && m.contains("ends inside its header"), m);
    }

    @Test
    void dimensionsOutOfRangeAreNamed() throws Exception {
        Path labels = write("l", idx(IdxDataset.LABELS_MAGIC, new int[] {1}, new byte[1]));
        Path rows = write("rows", idx(IdxDataset.IMAGES_MAGIC, new int[] {1, 0, 3}, new byte[0]));
        String m = error(() -> IdxDataset.read(rows, labels, IdxDataset.DIGITS, "t"));
        assertTrue(m.contains(rows.toString()) && m.contains("rows 0 outside 1..4096"), m);
        Path cols = write("cols", idx(IdxDataset.IMAGES_MAGIC, new int[] {1, 3, 5000}, new byte[0]));
        m = error(() -> IdxDataset.read(cols, labels, IdxDataset.DIGITS, "t"));
        assertTrue(m.contains("cols 5000 outside 1..4096"), m);
        Path count = write("count", idx(IdxDataset.IMAGES_MAGIC, new int[] {0, 3, 3}, new byte[0]));
        m = error(() -> IdxDataset.read(count, labels, IdxDataset.DIGITS, "t"));
        assertTrue(m.contains(count.toString()) && m.contains("count 0, expected at least 1"), m);
        // 200,000·4096·4096 bytes would not fit one array: rejected from the header, nothing allocated.
        Path huge = write("huge", gzip(idx(IdxDataset.IMAGES_MAGIC, new int[] {200_000, 4096, 4096}, new byte[10])));
        m = error(() -> IdxDataset.read(huge, labels, IdxDataset.DIGITS, "t"));
        assertTrue(m.contains(huge.toString()) && m.contains("3355443200000 bytes"), m);
    }

    @Test
    void countDisagreeingWithPayloadIsTruncatedOrTrailing() throws Exception {
        Path labels = write("l", idx(IdxDataset.LABELS_MAGIC, new int[] {3}, new byte[3]));
        // The header claims 3 images of 2×2 (12 bytes); the file holds 2 (8 bytes).
        byte[] shortFile = idx(IdxDataset.IMAGES_MAGIC, new int[] {3, 2, 2}, new byte[8]);
        Path plain = write("short", shortFile);
        String m = error(() -> IdxDataset.read(plain, labels, IdxDataset.DIGITS, "t"));
        assertTrue(m.contains(plain.toString()) && m.contains("truncated") && m.contains("claims 12 payload bytes, found 8"), m);
        Path gz = write("short.gz", gzip(shortFile));
        m = error(() -> IdxDataset.read(gz, labels, IdxDataset.DIGITS, "t"));
        assertTrue(m.contains(gz.toString()) && m.contains("truncated") && m.contains("claims 12 payload bytes, found 8"), m);

        byte[] longFile = idx(IdxDataset.IMAGES_MAGIC, new int[] {3, 2, 2}, new byte[17]);
        Path plainLong = write("long", longFile);
        m = error(() -> IdxDataset.read(plainLong, labels, IdxDataset.DIGITS, "t"));
        assertTrue(m.contains(plainLong.toString()) && m.contains("trailing bytes") && m.contains("claims 12 payload bytes, found 17"), m);
        Path gzLong = write("long.gz", gzip(longFile));
        m = error(() -> IdxDataset.read(gzLong, labels, IdxDataset.DIGITS, "t"));
        assertTrue(m.contains(gzLong.toString()) && m.contains("trailing bytes") && m.contains("found 17"), m);
    }

    /**
     * A small gzip whose payload inflates to far more than its header promises: rejected after at
     * most {@link IdxDataset#TRAILING_PROBE} extra bytes, not after inflating all of it.
     */
    @Test
    void gzipBombIsRejectedWithoutInflatingItAll() throws Exception {
        Path labels = write("l", idx(IdxDataset.LABELS_MAGIC, new int[] {2}, new byte[2]));
        byte[] header = idx(IdxDataset.IMAGES_MAGIC, new int[] {2, 3, 3}, new byte[18]);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(header);
            byte[] zeros = new byte[1 << 20];
            for (int k = 0; k < 64; k++) { // 64 MiB of zeros after the 18 promised bytes: about 64 KB compressed
                gz.write(zeros);
            }
        }
        Path bomb = write("bomb.gz", out.toByteArray());
        assertTrue(Files.size(bomb) < 2_000_000, "a small file: " + Files.size(bomb));
        long t0 = System.nanoTime();
        String m = error(() -> IdxDataset.read(bomb, labels, IdxDataset.DIGITS, "t"));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(m.contains(bomb.toString()) && m.contains("trailing bytes") && m.contains("found more than")
                && m.contains("inflates to far more"), m);
        assertTrue(ms < 2000, "read " + ms + " ms");
    }

    /** Damaged deflate data inside the header or the payload is a format error, not an I/O error. */
    @Test
    void damagedGzipIsAFormatError() throws Exception {
        Path labels = write("l", idx(IdxDataset.LABELS_MAGIC, new int[] {50}, new byte[50]));
        byte[] gz = gzip(idx(IdxDataset.IMAGES_MAGIC, new int[] {50, 20, 20}, randomBytes(20_000, 3, 256)));
        for (int at : new int[] {10, 11, 12, gz.length / 2}) { // the first deflate bytes hold the IDX header
            byte[] bad = gz.clone();
            bad[at] ^= (byte) 0xFF;
            bad[at + 1] ^= (byte) 0x5A;
            Path f = write("damaged-" + at + ".gz", bad);
            String m = error(() -> IdxDataset.read(f, labels, IdxDataset.DIGITS, "t"));
            assertTrue(m.contains(f.toString()), m);
        }
        Path header = write("badheader.gz", new byte[] {0x1f, (byte) 0x8b, 9, 0, 0, 0});
        String m = error(() -> IdxDataset.read(header, labels, IdxDataset.DIGITS, "t"));
        assertTrue(m.contains(header.toString()) && m.contains("gzip header is invalid"), m);
    }

    @Test
    void truncatedGzipIsNamed() throws Exception {
        Path labels = write("l", idx(IdxDataset.LABELS_MAGIC, new int[] {50}, new byte[50]));
        byte[] gz = gzip(idx(IdxDataset.IMAGES_MAGIC, new int[] {50, 20, 20}, randomBytes(20_000, 3, 256)));
        Path cut = write("cut.gz", Arrays.copyOf(gz, gz.length / 2));
        String m = error(() -> IdxDataset.read(cut, labels, IdxDataset.DIGITS, "t"));
        assertTrue(m.contains(cut.toString()) && m.contains("truncated") && m.contains("claims 20000 payload bytes")
                && m.contains("gzip"), m);
    }

    @Test
    void countsMustAgreeAndLabelsMustBeInRange() throws Exception {
        writePair("train-images-idx3-ubyte", "x", 3, 2, 2, false);
        Path images = tmp.resolve("train-images-idx3-ubyte");
        Path two = write("two", idx(IdxDataset.LABELS_MAGIC, new int[] {2}, new byte[2]));
        String m = error(() -> IdxDataset.read(images, two, IdxDataset.DIGITS, "t"));
        assertTrue(m.contains("holds 3 images") && m.contains(two + ": holds 2 labels"), m);

        Path bad = write("bad", idx(IdxDataset.LABELS_MAGIC, new int[] {3}, new byte[] {1, 10, (byte) 200}));
        m = error(() -> IdxDataset.read(images, bad, IdxDataset.DIGITS, "t"));
        assertTrue(m.contains(bad.toString()) && m.contains("label 10 at index 1") && m.contains("10 classes")
                && m.contains("2 label(s) out of range"), m);
        // With three class names, label 2 is the largest allowed.
        Path ok = write("ok", idx(IdxDataset.LABELS_MAGIC, new int[] {3}, new byte[] {0, 1, 2}));
        assertEquals(2, IdxDataset.read(images, ok, List.of("a", "b", "c"), "t").label(2));
        m = error(() -> IdxDataset.read(images, ok, List.of("a", "b"), "t"));
        assertTrue(m.contains("label 2 at index 2 is out of range for 2 classes [a, b]"), m);
    }

    @Test
    void missingFilesListTheNamesLookedFor() throws Exception {
        Files.createDirectories(tmp.resolve("d"));
        String m = error(() -> IdxDataset.open(tmp.resolve("d"), Split.TEST));
        assertTrue(m.contains(tmp.resolve("d").toString()) && m.contains("no test images file")
                && m.contains("t10k-images-idx3-ubyte, t10k-images-idx3-ubyte.gz, test-images-idx3-ubyte, test-images-idx3-ubyte.gz"), m);
        write("d/train-images-idx3-ubyte.gz", new byte[0]);
        m = error(() -> IdxDataset.open(tmp.resolve("d"), Split.TRAIN));
        assertTrue(m.contains("no train labels file") && m.contains("train-labels-idx1-ubyte, train-labels-idx1-ubyte.gz"), m);
        m = error(() -> IdxDataset.open(tmp.resolve("nope"), Split.TRAIN));
        assertTrue(m.contains("nope") && m.contains("no such directory"), m);
    }

    @Test
    void badClassNamesFileIsNamed() throws Exception {
        writePair("train-images-idx3-ubyte", "train-labels-idx1-ubyte", 1, 1, 1, false);
        Files.writeString(tmp.resolve("classes.txt"), "a\n\nb\n");
        String m = error(() -> IdxDataset.open(tmp, Split.TRAIN));
        assertTrue(m.contains("classes.txt") && m.contains("line 2 is blank"), m);
        Files.writeString(tmp.resolve("classes.txt"), "a\nb\na\n");
        m = error(() -> IdxDataset.open(tmp, Split.TRAIN));
        assertTrue(m.contains("classes.txt") && m.contains("line 3 repeats \"a\""), m);
        Files.write(tmp.resolve("classes.txt"), new byte[] {'a', '\n', (byte) 0xFF, '\n'});
        m = error(() -> IdxDataset.open(tmp, Split.TRAIN));
        assertTrue(m.contains(tmp.resolve("classes.txt").toString()) && m.contains("not UTF-8"), m);
    }
}
