package org.inceptionj.conformance.onnx;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A cursor over one protobuf message in wire format, enough to read ONNX files without a protobuf
 * library (https://protobuf.dev/programming-guides/encoding/).
 *
 * <p>A message is a sequence of fields in any order. Each starts with a varint key
 * {@code (fieldNumber << 3) | wireType}; wire type 0 is a varint, 1 a little-endian 64-bit value,
 * 2 a varint length followed by that many bytes (strings, bytes, nested messages, packed repeated
 * numbers), 5 a little-endian 32-bit value. Varints hold 7 bits per byte, least significant group
 * first, the high bit set on every byte but the last; ONNX's int32/int64 fields are plain two's
 * complement varints (a negative value takes 10 bytes), never zigzag.
 *
 * <p>Usage: {@code while (r.next()) switch (r.field()) { case 1 -> ...; default -> r.skip(); }}.
 * Every read is bounds-checked; a malformed message throws {@link OnnxFormatException} whose
 * message starts with {@link #where()} (the file and the message path) and gives the byte offset.
 */
final class ProtoReader {
    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LEN = 2;
    static final int FIXED32 = 5;

    private final byte[] buf;
    private final int end;
    private final String where;
    private int pos;
    private int field;
    private int wireType;

    /** A reader over the whole of {@code bytes}; {@code where} names the file and message, e.g. {@code "model.onnx: ModelProto"}. */
    ProtoReader(byte[] bytes, String where) {
        this(bytes, 0, bytes.length, where);
    }

    private ProtoReader(byte[] buf, int start, int end, String where) {
        this.buf = buf;
        this.pos = start;
        this.end = end;
        this.where = where;
    }

    /** The file and message path this reader reports in its errors. */
    String where() {
        return where;
    }

    /** Reads the next key; false at the end of the message. */
    boolean next() {
        if (pos >= end) {
            return false;
        }
        int keyAt = pos;
        long key = varint();
        long number = key >>> 3;
        wireType = (int) (key & 7);
        if (number == 0 || number > 0x1FFF_FFFFL) {
            throw error(keyAt, "invalid field number " + number + " (key " + key + ")");
        }
        if (wireType == 3 || wireType == 4) {
            throw error(keyAt, "field " + number + " uses the deprecated group wire type " + wireType
                    + ", which ONNX never writes");
        }
        if (wireType != VARINT && wireType != FIXED64 && wireType != LEN && wireType != FIXED32) {
            throw error(keyAt, "field " + number + " has invalid wire type " + wireType);
        }
        field = (int) number;
        return true;
    }

    /** The field number of the key just read by {@link #next()}. */
    int field() {
        return field;
    }

    /** The wire type of the key just read by {@link #next()}. */
    int wireType() {
        return wireType;
    }

    /** Skips the value of the current field. */
    void skip() {
        switch (wireType) {
            case VARINT -> varint();
            case FIXED64 -> advance(8);
            case FIXED32 -> advance(4);
            case LEN -> advance(length());
            default -> throw error(pos, "cannot skip wire type " + wireType);
        }
    }

    // ---------------------------------------------------------------- scalar values

    /** An int64 field (wire type 0). */
    long int64(String name) {
        expect(VARINT, name);
        return varint();
    }

    /** An int32 or enum field (wire type 0): a varint that must fit in 32 bits (sign-extended if negative). */
    int int32(String name) {
        int at = pos;
        long v = int64(name);
        if (v != (int) v) {
            throw error(at, name + " = " + v + " does not fit in int32");
        }
        return (int) v;
    }

    /** A float field (wire type 5). */
    float float32(String name) {
        expect(FIXED32, name);
        return Float.intBitsToFloat(fixed32());
    }

    /** A bytes field (wire type 2), copied. */
    byte[] bytes(String name) {
        expect(LEN, name);
        int n = length();
        byte[] out = Arrays.copyOfRange(buf, pos, pos + n);
        pos += n;
        return out;
    }

    /** A string field (wire type 2): must be valid UTF-8, as protobuf requires. */
    String string(String name) {
        int at = pos;
        byte[] b = bytes(name);
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw error(at, name + " is not valid UTF-8");
        }
    }

    /** A nested message (wire type 2) as a reader over its bytes; {@code path} is appended to {@link #where()}. */
    ProtoReader message(String path) {
        expect(LEN, path);
        int n = length();
        ProtoReader sub = new ProtoReader(buf, pos, pos + n, where + "." + path);
        pos += n;
        return sub;
    }

    // ---------------------------------------------------------------- repeated numbers, packed or not

    /** Appends one or more int64 values: a single varint (unpacked) or a packed run (wire type 2). */
    void int64s(String name, LongList out) {
        if (wireType == LEN) {
            int n = length();
            int stop = pos + n;
            while (pos < stop) {
                out.add(varintBefore(stop, name));
            }
        } else {
            out.add(int64(name));
        }
    }

    /** Appends one or more floats: a single fixed32 (unpacked) or a packed run of 4-byte values. */
    void float32s(String name, FloatList out) {
        if (wireType == LEN) {
            int at = pos;
            int n = length();
            if (n % 4 != 0) {
                throw error(at, "packed " + name + " has " + n + " bytes, not a multiple of 4");
            }
            for (int i = 0; i < n; i += 4) {
                out.add(Float.intBitsToFloat(fixed32()));
            }
        } else {
            out.add(float32(name));
        }
    }

    // ---------------------------------------------------------------- wire primitives

    private long varint() {
        return varintBefore(end, "varint");
    }

    /** A varint that must end before {@code stop} (the end of a packed run or of the message). */
    private long varintBefore(int stop, String name) {
        int at = pos;
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= stop) {
                throw error(at, name + ": truncated varint (the data ends inside it)");
            }
            int b = buf[pos++] & 0xFF;
            if (shift == 63 && b > 1) {
                throw error(at, name + ": varint longer than 64 bits");
            }
            result |= (long) (b & 0x7F) << shift;
            if (b < 0x80) {
                return result;
            }
        }
        throw error(at, name + ": varint longer than 10 bytes");
    }

    private int fixed32() {
        need(4);
        int v = (buf[pos] & 0xFF) | (buf[pos + 1] & 0xFF) << 8 | (buf[pos + 2] & 0xFF) << 16 | (buf[pos + 3] & 0xFF) << 24;
        pos += 4;
        return v;
    }

    /** A length prefix, checked against what is left of the message. */
    private int length() {
        int at = pos;
        long n = varint();
        if (n < 0 || n > end - pos) {
            throw error(at, "length " + n + " runs past the end of the message (" + (end - pos) + " bytes left)");
        }
        return (int) n;
    }

    private void advance(int n) {
        need(n);
        pos += n;
    }

    private void need(int n) {
        if (end - pos < n) {
            throw error(pos, "truncated: need " + n + " bytes, " + (end - pos) + " left");
        }
    }

    private void expect(int wt, String name) {
        if (wireType != wt) {
            throw error(pos, name + " (field " + field + ") has wire type " + wireType + ", expected " + wt);
        }
    }

    /** An exception for malformed input at byte {@code at} of the file. */
    OnnxFormatException error(int at, String message) {
        return new OnnxFormatException(where + " (byte " + at + "): " + message);
    }

    /** An exception for a semantic error in the message just read (no byte offset). */
    OnnxFormatException error(String message) {
        return new OnnxFormatException(where + ": " + message);
    }

    // ---------------------------------------------------------------- growable primitive arrays

    /** A growable long[]: repeated int64 fields without boxing. */
    static final class LongList {
        private long[] a = new long[8];
        private int n;

        void add(long v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, 2 * n);
            }
            a[n++] = v;
        }

        int size() {
            return n;
        }

        long[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }

    /** A growable float[]: repeated float fields without boxing. */
    static final class FloatList {
        private float[] a = new float[8];
        private int n;

        void add(float v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, 2 * n);
            }
            a[n++] = v;
        }

        int size() {
            return n;
        }

        float[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }
}
