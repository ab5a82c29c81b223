package org.inceptionj.inception.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import javax.imageio.ImageIO;

import org.inceptionj.inception.io.InvalidFileException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderTest {
    @TempDir
    Path tmp;

    private void png(Path file) throws Exception {
        Files.createDirectories(file.getParent());
        assertTrue(ImageIO.write(new BufferedImage(3, 2, BufferedImage.TYPE_INT_RGB), "png", file.toFile()));
    }

    @Test
    void classesAreSortedFoldersAndFilesAreSortedImagesOnly() throws Exception {
        // Code-point order: "C" < "a" < "b".
        png(tmp.resolve("b/z.png"));
        png(tmp.resolve("b/A.JPG"));        // extensions in any case
        png(tmp.resolve("a/y.jpeg"));
        png(tmp.resolve("a/x.Png"));
        png(tmp.resolve("a/sub/w.png"));     // nested: after the files of a/ (directory "" < "sub")
        png(tmp.resolve("a/.hidden.png"));   // hidden: ignored
        Files.writeString(tmp.resolve("a/notes.txt"), "not an image");
        Files.writeString(tmp.resolve("a/x.gif"), "other format");
        png(tmp.resolve("C/q.jpg"));
        png(tmp.resolve(".cache/k.png"));   // hidden folder: not a class
        png(tmp.resolve("stray.png"));      // a file at the root: not a class

        ImageFolder f = ImageFolder.open(tmp);
        assertEquals(List.of("C", "a", "b"), f.classes());
        assertEquals(6, f.size());
        List<String> rel = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int i = 0; i < f.size(); i++) {
            rel.add(tmp.relativize(f.path(i)).toString().replace('\\', '/'));
            labels.add(f.label(i));
        }
        assertEquals(List.of("C/q.jpg", "a/x.Png", "a/y.jpeg", "a/sub/w.png", "b/A.JPG", "b/z.png"), rel);
        assertEquals(List.of(0, 1, 1, 1, 2, 2), labels);
        assertEquals(3, f.image(0).getWidth());
        assertThrows(IndexOutOfBoundsException.class, () -> f.label(6));
        assertThrows(IndexOutOfBoundsException.class, () -> f.path(-1));
    }

    @Test
    void missingOrEmptyRootAndEmptyClassAreNamed() throws Exception {
        Path missing = tmp.resolve("nothing-here");
        InvalidFileException e = assertThrows(InvalidFileException.class, () -> ImageFolder.open(missing));
        assertTrue(e.getMessage().contains("nothing-here"), e.getMessage());

        Path flat = Files.createDirectories(tmp.resolve("flat"));
        png(flat.resolve("only-file.png"));
        e = assertThrows(InvalidFileException.class, () -> ImageFolder.open(flat));
        assertTrue(e.getMessage().contains("no class folders"), e.getMessage());

        Path r = tmp.resolve("r");
        png(r.resolve("cat/1.png"));
        Files.createDirectories(r.resolve("dog"));
        Files.writeString(r.resolve("dog/readme.txt"), "x");
        e = assertThrows(InvalidFileException.class, () -> ImageFolder.open(r));
        assertTrue(e.getMessage().contains("dog") && !e.getMessage().contains("cat"), e.getMessage());
    }

    @Test
    void decodingIsLazyAndACorruptFileIsNamedWhenRead() throws Exception {
        png(tmp.resolve("a/good.png"));
        Path bad = tmp.resolve("a/bad.png");
        Files.writeString(bad, "definitely not a PNG");
        ImageFolder f = ImageFolder.open(tmp);   // listing does not decode
        assertEquals(2, f.size());
        assertEquals(bad, f.path(0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> f.image(0));
        assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
        assertEquals(3, f.image(1).getWidth());
    }

    @Test
    void syntheticDataHasTheRequestedLayout() {
        ImageFolder f = SyntheticData.write(tmp.resolve("syn"), 3, 5, 10, 40, 7);
        assertEquals(List.of("class_0", "class_1", "class_2"), f.classes());
        assertEquals(15, f.size());
        for (int i = 0; i < 15; i++) {
            assertEquals(i / 5, f.label(i));
            BufferedImage img = f.image(i);
            assertTrue(img.getWidth() >= 10 && img.getWidth() <= 40 && img.getHeight() >= 10 && img.getHeight() <= 40);
        }
    }
}
