package org.inceptionj.inception.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.inceptionj.inception.io.InvalidFileException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Truncated and corrupt files: rejected where Pillow rejects them (a JPEG without its EOI marker, a
 * PNG whose image data is cut, a bad CRC before the image data), and where Pillow decodes made-up
 * pixels without a word (a JPEG scan that ends early or holds an impossible Huffman code, a PNG zlib
 * stream that ends before the last row); accepted, with the intact file's pixels, where the damage
 * does not touch the pixels and Pillow accepts too (bytes before EOI or after the end, no IEND, a
 * bad IDAT CRC).
 */
class TruncatedImageTest {
    @TempDir
    Path tmp;

    private static byte[] golden(String name) throws Exception {
        return Files.readAllBytes(ImageGoldenTest.golden(name));
    }

    private Path write(String name, byte[] bytes) throws Exception {
        return Files.write(tmp.resolve(name), bytes);
    }

    private static InvalidFileException rejected(Path p, String... words) {
        InvalidFileException e = assertThrows(InvalidFileException.class, () -> Images.readRgb(p));
        assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
        for (String w : words) {
            assertTrue(e.getMessage().contains(w), "'" + w + "' in: " + e.getMessage());
        }
        return e;
    }

    private static int[] pixels(BufferedImage img) {
        return img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth());
    }

    /** Where the entropy-coded data of the (single) scan starts. */
    private static int scanData(byte[] jpeg) {
        for (int i = 0; i + 3 < jpeg.length; i++) {
            if ((jpeg[i] & 0xFF) == 0xFF && (jpeg[i + 1] & 0xFF) == 0xDA) {
                return i + 2 + ((jpeg[i + 2] & 0xFF) << 8 | jpeg[i + 3] & 0xFF);
            }
        }
        throw new IllegalStateException("no SOS");
    }

    @Test
    void truncatedJpegsAreRejectedAsPillowRejectsThem() throws Exception {
        byte[] jpeg = golden("jpeg_420.jpg");
        rejected(write("half.jpg", Arrays.copyOf(jpeg, jpeg.length / 2)), "truncated");
        rejected(write("no-eoi.jpg", Arrays.copyOf(jpeg, jpeg.length - 2)), "truncated", "EOI");
        rejected(write("half-eoi.jpg", Arrays.copyOf(jpeg, jpeg.length - 1)), "truncated");
        rejected(write("header-only.jpg", Arrays.copyOf(jpeg, scanData(jpeg))), "truncated");
    }

    @Test
    void corruptJpegScansAreRejected() throws Exception {
        byte[] jpeg = golden("jpeg_420.jpg");
        int start = scanData(jpeg);
        // The scan cut short and closed with EOI: libjpeg fills the rest with gray ("premature end of data segment").
        byte[] cut = Arrays.copyOf(jpeg, start + 200 + 2);
        cut[start + 200] = (byte) 0xFF;
        cut[start + 201] = (byte) 0xD9;
        rejected(write("scan-cut.jpg", cut), "corrupt", "premature end of data segment");
        // All-ones bits (FF 00, a stuffed 0xFF) are no Huffman code: libjpeg reports a bad code and makes pixels up.
        byte[] ones = jpeg.clone();
        for (int i = start + 20; i < start + 120; i += 2) {
            ones[i] = (byte) 0xFF;
            ones[i + 1] = 0;
        }
        rejected(write("bad-huffman.jpg", ones), "corrupt");
    }

    @Test
    void bytesAroundTheJpegDataAreAcceptedWithTheSamePixels() throws Exception {
        byte[] jpeg = golden("jpeg_420.jpg");
        int[] intact = pixels(Images.readRgb(write("intact.jpg", jpeg)));
        ByteArrayOutputStream padded = new ByteArrayOutputStream();
        padded.write(jpeg, 0, jpeg.length - 2);
        padded.writeBytes(new byte[] {0, 0, 0});      // "3 extraneous bytes before marker 0xd9": Pillow accepts
        padded.write(jpeg, jpeg.length - 2, 2);
        padded.writeBytes("trailing bytes".getBytes()); // after EOI: ignored by both
        assertArrayEquals(intact, pixels(Images.readRgb(write("padded.jpg", padded.toByteArray()))));
    }

    @Test
    void truncatedAndCorruptPngsAreRejected() throws Exception {
        byte[] png = golden("png_rgb8.png");
        rejected(write("half.png", Arrays.copyOf(png, png.length / 2)), "truncated");
        rejected(write("signature.png", Arrays.copyOf(png, 8)), "truncated");
        byte[] badHeader = png.clone();
        badHeader[8 + 8 + 12] ^= 1; // the last byte of IHDR's CRC
        rejected(write("bad-ihdr-crc.png", badHeader), "CRC", "IHDR");
        // A complete zlib stream that holds 12 of the 13 rows: Pillow accepts it, leaving a row unset.
        byte[] raw = new byte[12 * (1 + 3 * 23)];
        Arrays.fill(raw, (byte) 0);
        byte[] shortData = PngWriter.png(PngWriter.ihdr(23, 13, 8, 2, 0), PngWriter.chunk("IDAT", PngWriter.zlib(raw)),
                PngWriter.chunk("IEND", new byte[0]));
        rejected(write("short-data.png", shortData), "12 rows of 13");
        byte[] filter = raw.clone();
        filter[0] = 5;
        rejected(write("filter-5.png", PngWriter.png(PngWriter.ihdr(23, 12, 8, 2, 0),
                PngWriter.chunk("IDAT", PngWriter.zlib(filter)), PngWriter.chunk("IEND", new byte[0]))), "filter type 5");
    }

    @Test
    void pngDamageThatSparesThePixelsIsAcceptedAsByPillow() throws Exception {
        byte[] png = golden("png_rgb8.png");
        int[] intact = pixels(Images.readRgb(write("intact.png", png)));
        assertArrayEquals(intact, pixels(Images.readRgb(write("no-iend.png", Arrays.copyOf(png, png.length - 12)))));
        byte[] badIdatCrc = png.clone();
        int idat = 8 + 25;                                      // after the signature and IHDR
        int len = ByteBuffer.wrap(png, idat, 4).getInt();
        badIdatCrc[idat + 8 + len] ^= 0x55;                     // Pillow does not check IDAT CRCs; zlib checks the data
        assertArrayEquals(intact, pixels(Images.readRgb(write("bad-idat-crc.png", badIdatCrc))));
        byte[] trailing = Arrays.copyOf(png, png.length + 5);
        assertArrayEquals(intact, pixels(Images.readRgb(write("trailing.png", trailing))));
    }
}
