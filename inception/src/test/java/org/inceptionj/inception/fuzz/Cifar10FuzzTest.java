package org.inceptionj.inception.fuzz;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.inceptionj.inception.data.Cifar10Dataset;
import org.inceptionj.inception.data.DataSource;
import org.inceptionj.inception.data.IdxDataset;
import org.inceptionj.inception.data.Split;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link FuzzHarness} over the CIFAR-10 reader's public paths: {@link Cifar10Dataset#open} (the
 * test split, the five training batches, directly or in the archive's {@code cifar-10-batches-bin/}
 * subfolder, with and without {@code batches.meta.txt}) and {@link DataSource#open} with
 * {@code cifar10:DIR}. Each case holds small valid batches (1-4 records each) with one seeded
 * mutation, one category per case in turn:
 * <ul>
 *   <li>valid: no mutation (must be accepted);</li>
 *   <li>truncated: a batch cut at a random length (0 included);</li>
 *   <li>trailing bytes: 1-3072 bytes after the last record (not a whole record);</li>
 *   <li>label out of range: one record's label byte at 10-255;</li>
 *   <li>flipped bytes: random bytes XORed, half of them label bytes (a pixel or a label that stays
 *       in range is still valid);</li>
 *   <li>gzip-wrapped: a batch gzipped under its usual name (never valid: the reader takes raw
 *       records, and 0x1f is no label);</li>
 *   <li>class names file: too few names for the labels, blank or repeated lines, not UTF-8, empty,
 *       larger than {@link IdxDataset#MAX_CLASS_NAMES_BYTES};</li>
 *   <li>missing batch: one of the five training batches absent;</li>
 *   <li>oversized: a sparse batch of 700,000 whole records (2.15 GB of pixels, more than one array
 *       holds), refused from its size before anything is read;</li>
 *   <li>garbage: random bytes in a multiple of the record size (may be valid when every label byte
 *       happens to be below 10);</li>
 *   <li>via DataSource cifar10:DIR: training and test batches, one of them mutated (one in five valid).</li>
 * </ul>
 * Every rejection must be an {@code InvalidFileException} naming the mutated file (or the folder,
 * for a missing batch).
 */
class Cifar10FuzzTest {
    private static final String[] CATEGORIES = {"valid", "truncated", "trailing bytes", "label out of range", "flipped bytes",
        "gzip-wrapped", "class names file", "missing batch", "oversized", "garbage", "via DataSource cifar10:DIR"};
    private static final int RECORD = Cifar10Dataset.RECORD_BYTES;
    private static final long TIME_BOUND_MS = 2000;

    @TempDir
    Path tmp;

    @Test
    void malformedCifarBatchesAreRejectedNamingTheFile() {
        new FuzzHarness("CIFAR-10 (Cifar10Dataset.open, DataSource cifar10:DIR)", TIME_BOUND_MS)
                .run(FuzzHarness.cases(), this::make, Cifar10FuzzTest::parse)
                .assertNoUnexpected();
    }

    /**
     * The case folder is the path element named "case-K[-train|-datasource]" above the file (the file
     * may sit in the archive's subfolder); a missing batch's case names the folder itself.
     */
    static void parse(Path file) {
        Path dir = file;
        while (!dir.getFileName().toString().startsWith("case-")) {
            dir = dir.getParent();
        }
        String name = dir.getFileName().toString();
        if (name.endsWith("-datasource")) {
            DataSource.open("cifar10:" + dir);
        } else {
            Cifar10Dataset.open(dir, name.endsWith("-train") ? Split.TRAIN : Split.TEST);
        }
    }

    private FuzzHarness.Case make(int k, Random r) throws IOException {
        String category = CATEGORIES[k % CATEGORIES.length];
        boolean viaSource = category.startsWith("via");
        boolean train = viaSource || category.equals("missing batch") || r.nextInt(3) == 0;
        Path dir = Files.createDirectories(tmp.resolve("case-" + k + (viaSource ? "-datasource" : train ? "-train" : "")));
        Path folder = r.nextInt(4) == 0 ? Files.createDirectories(dir.resolve(Cifar10Dataset.SUBFOLDER)) : dir;
        List<String> names = viaSource ? List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
                "data_batch_5.bin", "test_batch.bin") : Cifar10Dataset.batchNames(train ? Split.TRAIN : Split.TEST);
        byte[][] batches = new byte[names.size()][];
        for (int b = 0; b < batches.length; b++) {
            batches[b] = batch(r, 1 + r.nextInt(4));
        }
        int victim = r.nextInt(batches.length);
        Path target = folder.resolve(names.get(victim));
        boolean mayBeValid = false;
        long sparseSize = 0;
        boolean skipVictim = false;
        byte[] v = batches[victim];
        switch (category) {
            case "valid" -> mayBeValid = true;
            case "truncated" -> batches[victim] = Arrays.copyOf(v, r.nextInt(v.length));
            case "trailing bytes" -> batches[victim] = Arrays.copyOf(v, v.length + 1 + r.nextInt(RECORD - 1));
            case "label out of range" -> v[RECORD * r.nextInt(v.length / RECORD)] = (byte) (10 + r.nextInt(246));
            case "flipped bytes" -> {
                mayBeValid = true;
                for (int f = 1 + r.nextInt(4); f > 0; f--) { // half of the flips hit a label byte
                    int at = r.nextBoolean() ? RECORD * r.nextInt(v.length / RECORD) : r.nextInt(v.length);
                    v[at] ^= (byte) (1 + r.nextInt(255));
                }
            }
            case "gzip-wrapped" -> batches[victim] = IdxFuzzTest.gzip(v);
            case "class names file" -> {
                Path meta = folder.resolve("batches.meta.txt");
                target = meta;
                switch (r.nextInt(6)) {
                    case 0 -> { // too few names: reported on the batch holding the first label beyond them
                        v[0] = 3;
                        for (int b = 0; b < victim; b++) {
                            for (int i = 0; i < batches[b].length; i += RECORD) {
                                batches[b][i] %= 3;
                            }
                        }
                        Files.writeString(meta, "cat\ndog\nemu\n");
                        target = folder.resolve(names.get(victim));
                    }
                    case 1 -> Files.writeString(meta, "a\n\nb\n");
                    case 2 -> Files.writeString(meta, "a\nb\nb\n");
                    case 3 -> Files.write(meta, new byte[] {'a', '\n', (byte) 0xE2, (byte) 0x82, '\n'});
                    case 4 -> Files.writeString(meta, "\n\n");
                    default -> Files.write(meta, new byte[IdxDataset.MAX_CLASS_NAMES_BYTES + 1]);
                }
            }
            case "missing batch" -> {
                skipVictim = true;
                target = dir;
            }
            case "oversized" -> {
                batches[victim] = batch(r, 1);
                sparseSize = 700_000L * RECORD;
            }
            case "garbage" -> {
                mayBeValid = true;
                batches[victim] = IdxFuzzTest.bytes(r, RECORD * (1 + r.nextInt(3)), 256);
            }
            case "via DataSource cifar10:DIR" -> {
                switch (r.nextInt(5)) {
                    case 0 -> mayBeValid = true;
                    case 1 -> batches[victim] = Arrays.copyOf(v, r.nextInt(v.length));
                    case 2 -> v[RECORD * r.nextInt(v.length / RECORD)] = (byte) (10 + r.nextInt(246));
                    case 3 -> batches[victim] = Arrays.copyOf(v, v.length + 1 + r.nextInt(RECORD - 1));
                    default -> batches[victim] = IdxFuzzTest.gzip(v);
                }
            }
            default -> throw new IllegalStateException(category);
        }
        for (int b = 0; b < batches.length; b++) {
            if (!(skipVictim && b == victim)) {
                Files.write(folder.resolve(names.get(b)), batches[b]);
            }
        }
        if (sparseSize > 0) {
            try (SeekableByteChannel ch = Files.newByteChannel(target, StandardOpenOption.WRITE, StandardOpenOption.SPARSE)) {
                ch.position(sparseSize - 1);
                ch.write(ByteBuffer.wrap(new byte[] {1}));
            }
        }
        return new FuzzHarness.Case(target, category, mayBeValid);
    }

    /** {@code n} records with labels 0-9 and random pixels. */
    private static byte[] batch(Random r, int n) {
        byte[] b = IdxFuzzTest.bytes(r, n * RECORD, 256);
        for (int i = 0; i < n; i++) {
            b[i * RECORD] = (byte) r.nextInt(10);
        }
        return b;
    }
}
