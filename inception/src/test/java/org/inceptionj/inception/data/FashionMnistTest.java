package org.inceptionj.inception.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

class FashionMnistTest {
    /** Where the full files are, relative to the checkout: the first shared/datasets/fashion-mnist upwards from here. */
    static Path fullFiles() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path d = p.resolve("shared/datasets/fashion-mnist");
            if (Files.isRegularFile(d.resolve("train-images-idx3-ubyte.gz"))) {
                return d;
            }
        }
        return null;
    }

    @Test
    void shippedTestSplitIsWholeAndBalanced() {
        IdxDataset test = FashionMnist.shipped(Split.TEST);
        assertEquals(10_000, test.size());
        assertEquals(FashionMnist.CLASSES, test.classes());
        assertEquals(28, test.height());
        assertEquals(28, test.width());
        int[] perClass = new int[10];
        for (int i = 0; i < test.size(); i++) {
            perClass[test.label(i)]++;
        }
        int[] thousand = new int[10];
        Arrays.fill(thousand, 1000);
        assertArrayEquals(thousand, perClass);
        assertEquals("Fashion-MNIST (shipped test) image 7", test.describe(7));
    }

    @Test
    void shippedTrainSplitIsABalancedPrefix() {
        IdxDataset train = FashionMnist.shipped(Split.TRAIN);
        assertEquals(FashionMnist.SHIPPED_TRAIN_SIZE, train.size());
        assertEquals(0, train.size() % 10);
        for (int i = 0; i < train.size(); i++) {
            assertEquals(i % 10, train.label(i), "label of training image " + i); // interleaved classes
        }
    }

    @Test
    void shippedClassNamesFileAgrees() throws IOException {
        try (InputStream in = FashionMnist.class.getResourceAsStream(FashionMnist.RESOURCES + "classes.txt")) {
            assertEquals(FashionMnist.CLASSES,
                    IdxDataset.parseClassNames(new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList(), Path.of("classes.txt")));
        }
    }

    @Test
    void shippedSplitsEqualTheFullFiles() {
        Path full = fullFiles();
        assumeTrue(full != null, "the full Fashion-MNIST files (shared/datasets/fashion-mnist above the working "
                + "directory) are absent, so the shipped subset cannot be compared with them");
        for (Split split : Split.values()) {
            IdxDataset shipped = FashionMnist.shipped(split), whole = FashionMnist.open(full, split);
            assertEquals(FashionMnist.CLASSES, whole.classes());
            assertEquals(split == Split.TEST ? whole.size() : FashionMnist.SHIPPED_TRAIN_SIZE, shipped.size());
            for (int i = 0; i < shipped.size(); i++) {
                assertEquals(whole.label(i), shipped.label(i), split + " label " + i);
                if (!Arrays.equals(whole.pixels(i), shipped.pixels(i))) {
                    assertArrayEquals(whole.pixels(i), shipped.pixels(i), split + " image " + i);
                }
            }
        }
    }
}
