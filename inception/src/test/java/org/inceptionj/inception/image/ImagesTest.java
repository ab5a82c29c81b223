package org.inceptionj.inception.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import javax.imageio.ImageIO;

import org.inceptionj.inception.io.InvalidFileException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Decoding and the evaluation recipes: what every consumer of images (predict, evaluate, training data) relies on. */
class ImagesTest {
    @TempDir
    Path tmp;

    private Path write(String name, BufferedImage img, String format) throws Exception {
        Path p = tmp.resolve(name);
        assertTrue(ImageIO.write(img, format, p.toFile()), "writer for " + format);
        return p;
    }

    @Test
    void readsRgbGrayAlphaAnd16BitAsEightBitRgb() throws Exception {
        BufferedImage rgb = new BufferedImage(4, 3, BufferedImage.TYPE_INT_RGB);
        rgb.setRGB(1, 2, 0x102030);
        assertEquals(0x102030, Images.readRgb(write("a.png", rgb, "png")).getRGB(1, 2) & 0xFFFFFF);

        BufferedImage gray = new BufferedImage(2, 2, BufferedImage.TYPE_BYTE_GRAY);
        gray.getRaster().setSample(0, 0, 0, 200);
        BufferedImage g = Images.readRgb(write("g.png", gray, "png"));
        assertEquals(BufferedImage.TYPE_INT_RGB, g.getType());
        int v = g.getRGB(0, 0);
        assertEquals((v >> 16) & 0xFF, v & 0xFF, "gray replicated");

        BufferedImage g16 = new BufferedImage(2, 2, BufferedImage.TYPE_USHORT_GRAY);
        g16.getRaster().setSample(1, 1, 0, 65535);
        assertEquals(0xFFFFFF, Images.readRgb(write("g16.png", g16, "png")).getRGB(1, 1) & 0xFFFFFF);

        BufferedImage argb = new BufferedImage(2, 2, BufferedImage.TYPE_INT_ARGB);
        argb.setRGB(0, 0, 0xFF405060);
        assertEquals(0x405060, Images.readRgb(write("a.png", argb, "png")).getRGB(0, 0) & 0xFFFFFF);

        BufferedImage tiny = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        assertEquals(1, Images.readRgb(write("t.jpg", tiny, "jpg")).getWidth());
    }

    @Test
    void rejectsCorruptTruncatedAndForeignFilesNamingThem() throws Exception {
        Path text = Files.writeString(tmp.resolve("notes.png"), "not an image");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Images.readRgb(text));
        assertTrue(e.getMessage().contains("notes.png"), e.getMessage());

        BufferedImage img = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        for (int i = 0; i < 64; i++) {
            img.setRGB(i, i, 0xFF00FF);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ImageIO.write(img, "png", bytes);
        byte[] all = bytes.toByteArray();
        Path cut = Files.write(tmp.resolve("cut.png"), Arrays.copyOf(all, all.length / 2));
        e = assertThrows(IllegalArgumentException.class, () -> Images.readRgb(cut));
        assertTrue(e.getMessage().contains("cut.png"), e.getMessage());

        Path missing = tmp.resolve("nope.jpg");
        e = assertThrows(IllegalArgumentException.class, () -> Images.readRgb(missing));
        assertTrue(e.getMessage().contains("nope.jpg") && e.getMessage().contains("no such file"), e.getMessage());
    }

    @Test
    void foreignAndEmptyFilesAreNamed() throws Exception {
        BufferedImage img = new BufferedImage(3, 3, BufferedImage.TYPE_INT_RGB);
        Path gif = write("anim.png", img, "gif"); // a GIF whatever its name says
        InvalidFileException e = assertThrows(InvalidFileException.class, () -> Images.readRgb(gif));
        assertTrue(e.getMessage().contains("anim.png: GIF is not supported"), e.getMessage());
        Path empty = Files.write(tmp.resolve("empty.jpg"), new byte[0]);
        e = assertThrows(InvalidFileException.class, () -> Images.readRgb(empty));
        assertTrue(e.getMessage().contains("empty.jpg: empty file"), e.getMessage());
    }

    /** The header check reads structure, not pixels: corrupt compressed data passes it and fails the decode. */
    @Test
    void readHeaderChecksEverythingButThePixels() throws Exception {
        ImageLimits limits = ImageLimits.fromSystemProperties();
        BufferedImage img = new BufferedImage(5, 4, BufferedImage.TYPE_INT_RGB);
        assertEquals(new Images.Header("JPEG", 5, 4), Images.readHeader(write("a.jpg", img, "jpg"), limits));
        assertEquals(new Images.Header("PNG", 5, 4), Images.readHeader(write("a.png", img, "png"), limits));
        byte[] raw = new byte[4 * (1 + 5)];
        byte[] zlib = PngWriter.zlib(raw);
        zlib[zlib.length - 6] ^= 0x7F; // inside the deflate data
        zlib[2] = (byte) 0xFF;         // an invalid deflate block type
        Path bad = Files.write(tmp.resolve("bad-data.png"), PngWriter.png(PngWriter.ihdr(5, 4, 8, 0, 0),
                PngWriter.chunk("IDAT", zlib), PngWriter.chunk("IEND", new byte[0])));
        assertEquals(new Images.Header("PNG", 5, 4), Images.readHeader(bad, limits));
        InvalidFileException e = assertThrows(InvalidFileException.class, () -> Images.readRgb(bad));
        assertTrue(e.getMessage().contains("bad-data.png: corrupt PNG: bad zlib data"), e.getMessage());
        e = assertThrows(InvalidFileException.class, () -> Images.readHeader(write("b.png", img, "png"), new ImageLimits(19, 100)));
        assertTrue(e.getMessage().contains("5x4 = 20 pixels, more than the limit of 19"), e.getMessage());
    }

    @Test
    void limitsAreValidated() {
        assertThrows(IllegalArgumentException.class, () -> new ImageLimits(0, 100));
        assertThrows(IllegalArgumentException.class, () -> new ImageLimits(ImageLimits.MAX_ARRAY + 1, 100));
        assertThrows(IllegalArgumentException.class, () -> new ImageLimits(100, 0));
        try {
            System.setProperty(ImageLimits.MAX_PIXELS_PROPERTY, "lots");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, ImageLimits::fromSystemProperties);
            assertTrue(e.getMessage().contains("-Dinceptionj.image.maxPixels=lots"), e.getMessage());
            System.setProperty(ImageLimits.MAX_PIXELS_PROPERTY, "1_000_000");
            assertEquals(new ImageLimits(1_000_000, 100), ImageLimits.fromSystemProperties());
        } finally {
            System.clearProperty(ImageLimits.MAX_PIXELS_PROPERTY);
        }
        assertEquals(new ImageLimits(89_478_485, 100), ImageLimits.fromSystemProperties());
    }

    /** In-memory images become RGB as Pillow's convert("RGB") does: alpha dropped, gray without a gamma change. */
    @Test
    void toRgbDropsAlphaAndKeepsGray() {
        BufferedImage argb = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
        argb.setRGB(0, 0, 0x00FF8040);
        argb.setRGB(1, 0, 0x80102030);
        BufferedImage rgb = Images.toRgb(argb);
        assertEquals(BufferedImage.TYPE_INT_RGB, rgb.getType());
        assertEquals(0xFF8040, rgb.getRGB(0, 0) & 0xFFFFFF, "transparent: colour kept, not blended to black");
        assertEquals(0x102030, rgb.getRGB(1, 0) & 0xFFFFFF);
        BufferedImage gray = new BufferedImage(1, 1, BufferedImage.TYPE_BYTE_GRAY);
        gray.getRaster().setSample(0, 0, 0, 128);
        assertEquals(0x808080, Images.toRgb(gray).getRGB(0, 0) & 0xFFFFFF);
    }

    @Test
    void normalizationFollowsEachRecipe() {
        BufferedImage white = new BufferedImage(10, 20, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 20; y++) {
            for (int x = 0; x < 10; x++) {
                white.setRGB(x, y, 0xFFFFFF);
            }
        }
        float[] tf = Preprocessing.TF_INCEPTION.apply(white, 8);
        assertEquals(3 * 8 * 8, tf.length);
        assertEquals(1f, tf[0], 1e-6f);                                  // 255/127.5 − 1
        float[] tv = Preprocessing.TORCHVISION.apply(white, 8);
        assertEquals((1f - 0.485f) / 0.229f, tv[0], 1e-5f);              // red channel
        assertEquals((1f - 0.406f) / 0.225f, tv[2 * 64], 1e-5f);         // blue channel
    }

    /** TF's central_crop(0.875): start ⌊side/16⌋, keep side − 2⌊side/16⌋ (375 → 23..351, 500 → 31..468). */
    @Test
    void tfCentralCropFollowsTensorFlow() {
        assertArrayEquals(new int[] {31, 23, 438, 329}, Preprocessing.tfCentralCrop(500, 375));
        assertArrayEquals(new int[] {0, 0, 15, 15}, Preprocessing.tfCentralCrop(15, 15));
        assertArrayEquals(new int[] {1, 2, 14, 28}, Preprocessing.tfCentralCrop(16, 32));
    }

    /**
     * TF1's resize_bilinear(align_corners=False), worked by hand: source = dest·in/out without
     * half-pixel centers. Halving a 4×4 image (no crop below 16 px) picks the even pixels exactly;
     * doubling a 2×2 image interpolates at 0, 0.5, 1, 1.5 → the last row/column is clamped.
     */
    @Test
    void tfEvalInterpolatesAsTensorFlow1() {
        BufferedImage g = new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                int v = 16 * (4 * y + x);
                g.setRGB(x, y, v << 16 | v << 8 | v);
            }
        }
        float[] half = Preprocessing.TF_INCEPTION.apply(g, 2);
        float[] expectedHalf = {0, 32, 128, 160};                       // pixels (0,0), (2,0), (0,2), (2,2)
        for (int i = 0; i < 4; i++) {
            assertEquals((expectedHalf[i] / 255f - 0.5f) * 2f, half[i], 1e-6f, "halved, pixel " + i);
        }
        BufferedImage two = new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB);
        two.setRGB(0, 0, 0x000000);
        two.setRGB(1, 0, 0x640000);                                      // red 100
        two.setRGB(0, 1, 0xC80000);                                      // red 200
        two.setRGB(1, 1, 0xFF0000);                                      // red 255
        float[] up = Preprocessing.TF_INCEPTION.apply(two, 4);
        double[][] red = {                                               // rows y = 0, 0.5, 1, 1 (clamped)
                {0, 50, 100, 100},
                {100, 138.75, 177.5, 177.5},
                {200, 227.5, 255, 255},
                {200, 227.5, 255, 255}};
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                assertEquals((red[y][x] / 255 - 0.5) * 2, up[y * 4 + x], 1e-5, "doubled, red at " + x + "," + y);
            }
        }
    }

    @Test
    void tenCropIsFourCornersAndTheCenterOfTheImageAndOfItsMirror() {
        // A horizontal ramp: after mirroring, the left-top crop of the mirror is the right-top crop reversed.
        BufferedImage ramp = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                ramp.setRGB(x, y, (x * 16) << 16);
            }
        }
        int size = 8;  // shorter side resized to floor(8/0.875) = 9
        List<float[]> views = Preprocessing.TF_INCEPTION.tenCrop(ramp, size);
        assertEquals(10, views.size());
        float[] topRight = views.get(1), mirroredTopLeft = views.get(5);
        for (int x = 0; x < size; x++) {
            assertEquals(topRight[size - 1 - x], mirroredTopLeft[x], 1e-6f, "column " + x);
        }
        assertTrue(views.get(0)[0] < views.get(1)[size - 1], "left crop darker than right crop");
    }
}
