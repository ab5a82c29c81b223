package org.inceptionj.inception.io;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Builds safetensors bytes by hand, independently of {@link SafeTensors#write}: each value is
 * split into little-endian bytes with shifts, so the reader is checked against the format, not
 * against our own writer.
 */
final class RawFile {
    private final ByteArrayOutputStream data = new ByteArrayOutputStream();

    /** Appends floats to the data buffer, little-endian IEEE 754 bits. */
    RawFile f32(float... values) {
        for (float v : values) {
            int bits = Float.floatToRawIntBits(v);
            for (int k = 0; k < 4; k++) {
                data.write((bits >>> (8 * k)) & 0xFF);
            }
        }
        return this;
    }

    /** Appends 64-bit integers to the data buffer, little-endian two's complement. */
    RawFile i64(long... values) {
        for (long v : values) {
            for (int k = 0; k < 8; k++) {
                data.write((int) (v >>> (8 * k)) & 0xFF);
            }
        }
        return this;
    }

    /** Appends raw bytes to the data buffer. */
    RawFile bytes(int... values) {
        for (int v : values) {
            data.write(v);
        }
        return this;
    }

    int dataSize() {
        return data.size();
    }

    /** The whole file: header length, the header JSON as given (UTF-8), the data. */
    byte[] build(String headerJson) {
        byte[] h = headerJson.getBytes(StandardCharsets.UTF_8);
        return build(h.length, h);
    }

    /** The whole file with a header length field that may lie about the header. */
    byte[] build(long headerLength, byte[] header) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int k = 0; k < 8; k++) {
            out.write((int) (headerLength >>> (8 * k)) & 0xFF);
        }
        out.writeBytes(header);
        out.writeBytes(data.toByteArray());
        return out.toByteArray();
    }
}
