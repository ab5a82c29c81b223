package org.inceptionj.inception.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import org.inceptionj.inception.io.InvalidFileException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sizes are checked from the header before decoding: pixels and aspect ratio, see
 * {@link ImageLimits}. (That every shape then preprocesses without overflow is in
 * {@link PillowResizeTest}.)
 */
class ImageSizeLimitTest {
    @TempDir
    Path tmp;

    private Path write(String name, byte[] bytes) throws Exception {
        return Files.write(tmp.resolve(name), bytes);
    }

    /** A gray PNG of width×height zeros: {@code height} rows of a filter byte and {@code width} samples. */
    private static byte[] zeros(long width, long height) {
        return PngWriter.png(PngWriter.ihdr(width, height, 8, 0, 0),
                PngWriter.chunk("IDAT", PngWriter.zlibZeros(height * (width + 1))), PngWriter.chunk("IEND", new byte[0]));
    }

    /**
     * The finding: a 2 KB PNG of 1×1,000,000 pixels (and a 275-byte 1×100,000 one) decoded, then
     * overflowed {@code new int[w*h]} in the shorter-side resize, or took 31 s and 6 GB.
     */
    @Test
    @Timeout(10)
    void longThinPngsAreRejectedFromTheirHeader() throws Exception {
        for (long h : new long[] {1_000_000, 100_000}) {
            byte[] bytes = zeros(1, h);
            assertTrue(bytes.length < 2_500, bytes.length + " bytes");
            Path p = write("thin-1x" + h + ".png", bytes);
            InvalidFileException e = assertThrows(InvalidFileException.class, () -> Images.readRgb(p));
            assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("aspect ratio " + h + ":1"),
                    e.getMessage());
        }
    }

    /** A small file declaring a huge image is rejected before any pixel is decoded (Pillow's MAX_IMAGE_PIXELS). */
    @Test
    @Timeout(10)
    void hugeDeclaredSizesAreRejectedBeforeDecoding() throws Exception {
        Path png = write("bomb.png", PngWriter.png(PngWriter.ihdr(20_000, 20_000, 8, 2, 0),
                PngWriter.chunk("IDAT", PngWriter.zlibZeros(1 << 20)), PngWriter.chunk("IEND", new byte[0])));
        InvalidFileException e = assertThrows(InvalidFileException.class, () -> Images.readRgb(png));
        assertTrue(e.getMessage().contains("400000000 pixels") && e.getMessage().contains("89478485"), e.getMessage());

        byte[] jpeg = Files.readAllBytes(ImageGoldenTest.golden("jpeg_420.jpg"));
        int sof = indexOf(jpeg, (byte) 0xFF, (byte) 0xC0);
        ByteBuffer.wrap(jpeg, sof + 5, 4).putShort((short) 20_000).putShort((short) 20_000);
        Path big = write("bomb.jpg", jpeg);
        e = assertThrows(InvalidFileException.class, () -> Images.readRgb(big));
        assertTrue(e.getMessage().contains("bomb.jpg") && e.getMessage().contains("400000000 pixels"), e.getMessage());
    }

    @Test
    void limitsAreSetBySystemProperties() throws Exception {
        Path p110 = write("11x10.png", PngWriter.gray8(11, 10, (x, y) -> x));
        Path p100 = write("10x10.png", PngWriter.gray8(10, 10, (x, y) -> x));
        Path p511 = write("5x11.png", PngWriter.gray8(5, 11, (x, y) -> y));
        Path p510 = write("5x10.png", PngWriter.gray8(5, 10, (x, y) -> y));
        try {
            System.setProperty("inceptionj.image.maxPixels", "100");
            InvalidFileException e = assertThrows(InvalidFileException.class, () -> Images.readRgb(p110));
            assertTrue(e.getMessage().contains("-Dinceptionj.image.maxPixels"), e.getMessage());
            assertEquals(10, Images.readRgb(p100).getWidth());
            System.clearProperty("inceptionj.image.maxPixels");
            System.setProperty("inceptionj.image.maxAspectRatio", "2");
            e = assertThrows(InvalidFileException.class, () -> Images.readRgb(p511));
            assertTrue(e.getMessage().contains("-Dinceptionj.image.maxAspectRatio"), e.getMessage());
            assertEquals(10, Images.readRgb(p510).getHeight());
        } finally {
            System.clearProperty("inceptionj.image.maxPixels");
            System.clearProperty("inceptionj.image.maxAspectRatio");
        }
    }

    private static int indexOf(byte[] b, byte first, byte second) {
        for (int i = 0; i + 1 < b.length; i++) {
            if (b[i] == first && b[i + 1] == second) {
                return i;
            }
        }
        throw new IllegalStateException("marker not found");
    }
}
