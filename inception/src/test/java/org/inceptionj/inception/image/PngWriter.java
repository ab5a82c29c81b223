package org.inceptionj.inception.image;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/** Writes PNG files byte by byte for tests: any header, any chunk, right or wrong CRCs. */
public final class PngWriter {
    private PngWriter() {
    }

    public static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    /** A chunk: length, type, data, CRC of type and data. */
    public static byte[] chunk(String type, byte[] data) {
        byte[] t = type.getBytes(StandardCharsets.ISO_8859_1);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        return ByteBuffer.allocate(12 + data.length).putInt(data.length).put(t).put(data).putInt((int) crc.getValue())
                .array();
    }

    /** An IHDR chunk; width and height as unsigned 32-bit values. */
    public static byte[] ihdr(long width, long height, int bitDepth, int colorType, int interlace) {
        return chunk("IHDR", ByteBuffer.allocate(13).putInt((int) width).putInt((int) height).put((byte) bitDepth)
                .put((byte) colorType).put((byte) 0).put((byte) 0).put((byte) interlace).array());
    }

    /** The signature followed by the chunks. */
    public static byte[] png(byte[]... chunks) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(SIGNATURE);
        for (byte[] c : chunks) {
            out.writeBytes(c);
        }
        return out.toByteArray();
    }

    /** zlib-compressed {@code raw}. */
    public static byte[] zlib(byte[] raw) {
        Deflater d = new Deflater(Deflater.BEST_COMPRESSION);
        try {
            d.setInput(raw);
            d.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[1 << 16];
            while (!d.finished()) {
                out.write(buf, 0, d.deflate(buf));
            }
            return out.toByteArray();
        } finally {
            d.end();
        }
    }

    /** zlib-compressed {@code n} zero bytes, without holding them: a decompression bomb's payload. */
    public static byte[] zlibZeros(long n) {
        Deflater d = new Deflater(Deflater.BEST_COMPRESSION);
        try {
            byte[] zeros = new byte[1 << 16], buf = new byte[1 << 16];
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (long left = n; left > 0; left -= zeros.length) {
                d.setInput(zeros, 0, (int) Math.min(zeros.length, left));
                while (!d.needsInput()) {
                    out.write(buf, 0, d.deflate(buf));
                }
            }
            d.finish();
            while (!d.finished()) {
                out.write(buf, 0, d.deflate(buf));
            }
            return out.toByteArray();
        } finally {
            d.end();
        }
    }

    /** A complete 8-bit gray PNG whose pixel (x, y) is {@code gray.value(x, y)}, rows unfiltered. */
    public static byte[] gray8(int width, int height, Pixel gray) {
        byte[] raw = new byte[height * (width + 1)];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                raw[y * (width + 1) + 1 + x] = (byte) gray.value(x, y);
            }
        }
        return png(ihdr(width, height, 8, 0, 0), chunk("IDAT", zlib(raw)), chunk("IEND", new byte[0]));
    }

    /** A pixel value at (x, y). */
    @FunctionalInterface
    public interface Pixel {
        int value(int x, int y);
    }
}
