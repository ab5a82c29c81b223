package org.inceptionj.inception.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import javax.imageio.ImageIO;

import org.inceptionj.inception.image.Preprocessing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataSourceTest {
    @TempDir
    Path tmp;

    private static String error(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    private void png(Path file) throws Exception {
        Files.createDirectories(file.getParent());
        assertTrue(ImageIO.write(new BufferedImage(3, 2, BufferedImage.TYPE_INT_RGB), "png", file.toFile()));
    }

    private void idxPair(Path dir, String prefix, int n, int rows, int cols) throws Exception {
        Files.createDirectories(dir);
        Files.write(dir.resolve(prefix + "-images-idx3-ubyte"),
                IdxDatasetTest.idx(IdxDataset.IMAGES_MAGIC, new int[] {n, rows, cols}, new byte[n * rows * cols]));
        Files.write(dir.resolve(prefix + "-labels-idx1-ubyte.gz"),
                IdxDatasetTest.gzip(IdxDatasetTest.idx(IdxDataset.LABELS_MAGIC, new int[] {n}, IdxDatasetTest.randomBytes(n, 1, 10))));
    }

    @Test
    void parsesEveryForm() {
        assertEquals(DataSource.Kind.FASHION_MNIST, DataSource.parse("fashion-mnist").kind());
        assertNull(DataSource.parse("fashion-mnist").dir());
        assertEquals(new DataSource.Spec("idx:/a/b", DataSource.Kind.IDX, Path.of("/a/b")), DataSource.parse("idx:/a/b"));
        assertEquals(DataSource.Kind.CIFAR10, DataSource.parse("CIFAR10:x").kind());
        assertEquals(Path.of("x:y"), DataSource.parse("folder:x:y").dir());
        assertEquals(new DataSource.Spec("some/dir", DataSource.Kind.TRAIN_FOLDER, Path.of("some/dir")), DataSource.parse("some/dir"));
        assertEquals(DataSource.Kind.TRAIN_FOLDER, DataSource.parse("C:/data").kind()); // a drive letter is not a type
    }

    @Test
    void badSpecsNameTheValueAndListTheForms() {
        String m = error(() -> DataSource.parse("cifar:/data/c10"));
        assertTrue(m.contains("cifar:/data/c10") && m.contains("unknown source type 'cifar'") && m.contains(DataSource.FORMS), m);
        m = error(() -> DataSource.parse("idx:"));
        assertTrue(m.contains("no folder after 'idx:'") && m.contains("cifar10:DIR"), m);
        m = error(() -> DataSource.parse(" "));
        assertTrue(m.contains("no value") && m.contains("folder:DIR"), m);
        m = error(() -> DataSource.open(tmp.resolve("absent").toString()));
        assertTrue(m.contains("no such directory " + tmp.resolve("absent")) && m.contains("fashion-mnist"), m);
        m = error(() -> DataSource.open("idx:" + tmp.resolve("absent")));
        assertTrue(m.contains("no such directory " + tmp.resolve("absent")), m);
        m = error(() -> DataSource.open("fashion-mnist", tmp));
        assertTrue(m.contains("--val " + tmp) && m.contains("already has a test split"), m);
    }

    @Test
    void shippedFashionMnistIsSmallImagesOf28() {
        DataSource d = DataSource.open("fashion-mnist");
        assertTrue(d.kind().smallImages());
        assertEquals(28, d.nativeSize());
        assertEquals(FashionMnist.SHIPPED_TRAIN_SIZE, d.train().size());
        assertEquals(10_000, d.test().size());
        assertEquals(FashionMnist.CLASSES, d.train().classes());
        assertInstanceOf(SmallImageAugmentation.class, d.evalTransform(75, Preprocessing.TF_INCEPTION));
        assertFalse(((SmallImageAugmentation) d.evalTransform(75, Preprocessing.TF_INCEPTION)).isRandom());
        SmallImageAugmentation train = (SmallImageAugmentation) d.trainTransform(75, 1, Preprocessing.TF_INCEPTION);
        assertTrue(train.isRandom() && train.flips() && train.size() == 75);
    }

    @Test
    void idxAndCifarFolders() throws Exception {
        idxPair(tmp.resolve("m"), "train", 4, 5, 5);
        idxPair(tmp.resolve("m"), "t10k", 2, 5, 5);
        DataSource m = DataSource.open("idx:" + tmp.resolve("m"));
        assertEquals(DataSource.Kind.IDX, m.kind());
        assertEquals(5, m.nativeSize());
        assertEquals(4, m.train().size());
        assertEquals(2, m.test().size());
        assertFalse(((SmallImageAugmentation) m.trainTransform(30, 1, Preprocessing.TF_INCEPTION)).flips()); // maybe digits

        idxPair(tmp.resolve("r"), "train", 4, 5, 6);
        idxPair(tmp.resolve("r"), "test", 2, 5, 7);
        String e = error(() -> DataSource.open("idx:" + tmp.resolve("r")));
        assertTrue(e.contains("training images are 1x5x6 but test images 1x5x7"), e);

        Path c = tmp.resolve("c/cifar-10-batches-bin");
        Files.createDirectories(c);
        for (int k = 1; k <= 5; k++) {
            Files.write(c.resolve("data_batch_" + k + ".bin"), Cifar10DatasetTest.batch(2, k, k));
        }
        Files.write(c.resolve("test_batch.bin"), Cifar10DatasetTest.batch(3, 0, 9));
        DataSource cifar = DataSource.open("cifar10:" + tmp.resolve("c"));
        assertEquals(32, cifar.nativeSize());
        assertEquals(10, cifar.train().size());
        assertTrue(cifar.kind().smallImages());
    }

    @Test
    void folderFormNeedsTrainAndOneTestFolderWithTheSameClasses() throws Exception {
        png(tmp.resolve("f/train/cat/a.png"));
        png(tmp.resolve("f/train/dog/b.png"));
        String m = error(() -> DataSource.open("folder:" + tmp.resolve("f")));
        assertTrue(m.contains("no test folder " + tmp.resolve("f/test") + " or " + tmp.resolve("f/val")), m);

        png(tmp.resolve("f/val/cat/c.png"));
        png(tmp.resolve("f/val/dog/d.png"));
        DataSource d = DataSource.open("folder:" + tmp.resolve("f"));
        assertEquals(DataSource.Kind.FOLDER, d.kind());
        assertFalse(d.kind().smallImages());
        assertNull(d.nativeSize());
        assertEquals(List.of("cat", "dog"), d.test().classes());
        assertEquals(2, d.test().size());
        assertInstanceOf(TrainAugmentation.class, d.trainTransform(299, 1, Preprocessing.TORCHVISION));
        assertFalse(((TrainAugmentation) d.trainTransform(299, 1, Preprocessing.TORCHVISION)).isTfSlim());
        assertTrue(((TrainAugmentation) d.trainTransform(299, 1, Preprocessing.TF_INCEPTION)).isTfSlim());

        png(tmp.resolve("f/test/cat/e.png"));
        m = error(() -> DataSource.open("folder:" + tmp.resolve("f")));
        assertTrue(m.contains("both " + tmp.resolve("f/test") + " and " + tmp.resolve("f/val")), m);

        png(tmp.resolve("g/train/cat/a.png"));
        png(tmp.resolve("g/train/dog/b.png"));
        png(tmp.resolve("g/test/cat/a.png"));
        png(tmp.resolve("g/test/cow/b.png"));
        m = error(() -> DataSource.open("folder:" + tmp.resolve("g")));
        assertTrue(m.contains("only in training [dog], only in test [cow]"), m);
    }

    @Test
    void singleClassAndEmptyTrainingFoldersAreRejected() throws Exception {
        png(tmp.resolve("one/cat/a.png"));
        String m = error(() -> DataSource.open(tmp.resolve("one").toString()));
        assertTrue(m.contains(tmp.resolve("one").toString()) && m.contains("has 1 class [cat]")
                && m.contains("needs at least 2 classes"), m);
        Files.createDirectories(tmp.resolve("empty"));
        m = error(() -> DataSource.open(tmp.resolve("empty").toString()));
        assertTrue(m.contains(tmp.resolve("empty").toString()) && m.contains("no class folders"), m);
        // IDX files whose classes.txt names one class (all labels 0): refused the same way, before any training.
        Path one = tmp.resolve("idx1");
        Files.createDirectories(one);
        for (String prefix : new String[] {"train", "t10k"}) {
            Files.write(one.resolve(prefix + "-images-idx3-ubyte"),
                    IdxDatasetTest.idx(IdxDataset.IMAGES_MAGIC, new int[] {3, 2, 2}, new byte[12]));
            Files.write(one.resolve(prefix + "-labels-idx1-ubyte"),
                    IdxDatasetTest.idx(IdxDataset.LABELS_MAGIC, new int[] {3}, new byte[3]));
        }
        Files.writeString(one.resolve("classes.txt"), "shoe\n");
        m = error(() -> DataSource.open("idx:" + one));
        assertTrue(m.contains("has 1 class [shoe]") && m.contains("needs at least 2 classes"), m);
    }

    @Test
    void plainFolderTakesItsTestImagesFromVal() throws Exception {
        png(tmp.resolve("tr/a/1.png"));
        png(tmp.resolve("tr/b/2.png"));
        DataSource alone = DataSource.open(tmp.resolve("tr").toString());
        assertNull(alone.test());
        assertEquals(DataSource.Kind.TRAIN_FOLDER, alone.kind());
        png(tmp.resolve("va/a/3.png"));
        png(tmp.resolve("va/b/4.png"));
        png(tmp.resolve("va/b/5.png"));
        DataSource withVal = DataSource.open(tmp.resolve("tr").toString(), tmp.resolve("va"));
        assertEquals(3, withVal.test().size());
        png(tmp.resolve("vb/a/3.png"));
        String m = error(() -> DataSource.open(tmp.resolve("tr").toString(), tmp.resolve("vb")));
        assertTrue(m.contains("only in training [b], only in test []"), m);
    }
}
