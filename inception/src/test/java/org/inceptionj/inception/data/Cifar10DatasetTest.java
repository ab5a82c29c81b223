package org.inceptionj.inception.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.inceptionj.inception.io.InvalidFileException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Cifar10DatasetTest {
    @TempDir
    Path tmp;

    /** A batch of {@code n} records with labels label0, label0+1, ... (mod 10) and pixels from {@code seed}. */
    static byte[] batch(int n, int label0, long seed) {
        byte[] px = IdxDatasetTest.randomBytes(n * Cifar10Dataset.IMAGE_BYTES, seed, 256);
        byte[] b = new byte[n * Cifar10Dataset.RECORD_BYTES];
        for (int r = 0; r < n; r++) {
            b[r * Cifar10Dataset.RECORD_BYTES] = (byte) ((label0 + r) % 10);
            System.arraycopy(px, r * Cifar10Dataset.IMAGE_BYTES, b, r * Cifar10Dataset.RECORD_BYTES + 1, Cifar10Dataset.IMAGE_BYTES);
        }
        return b;
    }

    private void writeTrain(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (int k = 1; k <= 5; k++) {
            Files.write(dir.resolve("data_batch_" + k + ".bin"), batch(k, k, k));
        }
    }

    @Test
    void readsTheBatchesInOrderAsChwRasters() throws Exception {
        writeTrain(tmp);
        byte[] test = batch(3, 7, 99);
        Files.write(tmp.resolve("test_batch.bin"), test);
        Cifar10Dataset train = Cifar10Dataset.open(tmp, Split.TRAIN);
        assertEquals(1 + 2 + 3 + 4 + 5, train.size());
        assertEquals(Cifar10Dataset.CLASSES, train.classes());
        assertEquals(3, train.channels());
        assertEquals(32, train.height());
        // Example 1 is record 0 of data_batch_2 (batch 1 has one record): label 2.
        byte[] b2 = batch(2, 2, 2);
        assertEquals(2, train.label(1));
        assertArrayEquals(Arrays.copyOfRange(b2, 1, Cifar10Dataset.RECORD_BYTES), train.pixels(1));
        assertEquals(5, train.label(10)); // record 0 of data_batch_5: examples 0..9 are batches 1..4
        assertEquals(9, train.label(14));
        Cifar10Dataset t = Cifar10Dataset.open(tmp, Split.TEST);
        assertEquals(3, t.size());
        assertEquals(9, t.label(2));
        // image(): the R, G and B planes packed into each pixel.
        BufferedImage img = t.image(2);
        int base = 2 * Cifar10Dataset.RECORD_BYTES + 1, p = 5 * 32 + 7;
        int expected = ((test[base + p] & 0xFF) << 16) | ((test[base + 1024 + p] & 0xFF) << 8) | (test[base + 2048 + p] & 0xFF);
        assertEquals(expected, img.getRGB(7, 5) & 0xFFFFFF);
    }

    @Test
    void acceptsTheArchiveSubfolderAndItsClassNames() throws Exception {
        Path sub = tmp.resolve("cifar-10-batches-bin");
        Files.createDirectories(sub);
        Files.write(sub.resolve("test_batch.bin"), batch(4, 0, 1));
        Files.writeString(sub.resolve("batches.meta.txt"), "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n\n");
        Cifar10Dataset t = Cifar10Dataset.open(tmp, Split.TEST);
        assertEquals(4, t.size());
        assertEquals("j", t.classes().get(9));
        assertTrue(t.source().contains("cifar-10-batches-bin"), t.source());
    }

    @Test
    void truncatedBatchIsNamedWithItsSize() throws Exception {
        writeTrain(tmp);
        byte[] b3 = batch(3, 3, 3);
        Path f = tmp.resolve("data_batch_3.bin");
        Files.write(f, Arrays.copyOf(b3, b3.length - 100));
        String m = assertThrows(InvalidFileException.class, () -> Cifar10Dataset.open(tmp, Split.TRAIN)).getMessage();
        assertTrue(m.contains(f.toString()) && m.contains((3 * 3073 - 100) + " bytes") && m.contains("3073-byte record")
                && m.contains("2 whole records and 2973 bytes left over"), m);
        Files.write(f, new byte[0]);
        m = assertThrows(InvalidFileException.class, () -> Cifar10Dataset.open(tmp, Split.TRAIN)).getMessage();
        assertTrue(m.contains(f.toString()) && m.contains("0 bytes is not a positive multiple"), m);
    }

    @Test
    void labelOutOfRangeAndMissingBatchesAreNamed() throws Exception {
        byte[] b = batch(3, 0, 5);
        b[2 * Cifar10Dataset.RECORD_BYTES] = 10;
        Path f = tmp.resolve("test_batch.bin");
        Files.write(f, b);
        String m = assertThrows(InvalidFileException.class, () -> Cifar10Dataset.open(tmp, Split.TEST)).getMessage();
        assertTrue(m.contains(f.toString()) && m.contains("record 2 has label 10") && m.contains("10 classes"), m);

        writeTrain(tmp);
        Files.delete(tmp.resolve("data_batch_4.bin"));
        m = assertThrows(InvalidFileException.class, () -> Cifar10Dataset.open(tmp, Split.TRAIN)).getMessage();
        assertTrue(m.contains("missing from " + tmp + ": data_batch_4.bin") && m.contains("train split needs data_batch_1.bin"), m);
        m = assertThrows(InvalidFileException.class, () -> Cifar10Dataset.open(tmp.resolve("none"), Split.TRAIN)).getMessage();
        assertTrue(m.contains("none") && m.contains("no such directory"), m);
    }

    @Test
    void classNamesFileDecidesTheLabelRangeAndIsValidated() throws Exception {
        Files.write(tmp.resolve("test_batch.bin"), batch(4, 0, 9)); // labels 0..3
        Path meta = tmp.resolve("batches.meta.txt");
        Files.writeString(meta, "a\nb\nc\n");
        InvalidFileException e = assertThrows(InvalidFileException.class, () -> Cifar10Dataset.open(tmp, Split.TEST));
        assertEquals(tmp.resolve("test_batch.bin"), e.file());
        assertTrue(e.getMessage().contains("record 3 has label 3, out of range for 3 classes [a, b, c]"), e.getMessage());
        Files.write(meta, new byte[] {'a', '\n', (byte) 0xC3, (byte) 0x28, '\n'}); // not UTF-8
        e = assertThrows(InvalidFileException.class, () -> Cifar10Dataset.open(tmp, Split.TEST));
        assertEquals(meta, e.file());
        assertTrue(e.getMessage().contains("not UTF-8"), e.getMessage());
        Files.write(meta, new byte[IdxDataset.MAX_CLASS_NAMES_BYTES + 1]);
        e = assertThrows(InvalidFileException.class, () -> Cifar10Dataset.open(tmp, Split.TEST));
        assertTrue(e.getMessage().contains(meta + ": " + (IdxDataset.MAX_CLASS_NAMES_BYTES + 1) + " bytes, more than"),
                e.getMessage());
    }

    @Test
    void readsThroughTheLoaderWithTheSmallImageTransform() throws Exception {
        writeTrain(tmp);
        Cifar10Dataset train = Cifar10Dataset.open(tmp, Split.TRAIN);
        try (DataLoader loader = DataLoader.builder(train, SmallImageAugmentation.none(40), 40)
                .batchSize(5).shuffle(false).dropLast(false).workers(1).build()) {
            DataLoader.Batch b = loader.epoch(0).next();
            assertEquals(List.of(1, 2, 3, 3, 4), Arrays.stream(b.labels()).boxed().toList());
            float[] first = Arrays.copyOf(b.images(), 3 * 40 * 40);
            assertArrayEquals(SmallImageAugmentation.none(40).apply(train.image(0), 0, 0), first);
        }
    }
}
