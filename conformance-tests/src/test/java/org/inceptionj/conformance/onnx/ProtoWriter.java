package org.inceptionj.conformance.onnx;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Test helper: writes protobuf wire format field by field, so that tests can build ONNX messages
 * byte for byte (including malformed ones) without a protobuf library.
 */
final class ProtoWriter {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    ProtoWriter key(int field, int wireType) {
        return rawVarint(((long) field << 3) | wireType);
    }

    ProtoWriter rawVarint(long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
        return this;
    }

    ProtoWriter rawBytes(byte... b) {
        out.writeBytes(b);
        return this;
    }

    ProtoWriter rawFixed32(int v) {
        for (int i = 0; i < 4; i++) {
            out.write(v >>> (8 * i) & 0xFF);
        }
        return this;
    }

    /** An int32/int64/enum field: two's complement varint (10 bytes when negative). */
    ProtoWriter varint(int field, long v) {
        return key(field, 0).rawVarint(v);
    }

    ProtoWriter float32(int field, float v) {
        return key(field, 5).rawFixed32(Float.floatToRawIntBits(v));
    }

    ProtoWriter bytes(int field, byte[] b) {
        key(field, 2).rawVarint(b.length);
        return rawBytes(b);
    }

    ProtoWriter string(int field, String s) {
        return bytes(field, s.getBytes(StandardCharsets.UTF_8));
    }

    ProtoWriter message(int field, ProtoWriter m) {
        return bytes(field, m.toByteArray());
    }

    ProtoWriter packedVarints(int field, long... vs) {
        ProtoWriter p = new ProtoWriter();
        for (long v : vs) {
            p.rawVarint(v);
        }
        return bytes(field, p.toByteArray());
    }

    ProtoWriter packedFloats(int field, float... vs) {
        ProtoWriter p = new ProtoWriter();
        for (float v : vs) {
            p.rawFixed32(Float.floatToRawIntBits(v));
        }
        return bytes(field, p.toByteArray());
    }

    /** raw_data of float32 values, little-endian. */
    static byte[] le(float... vs) {
        ProtoWriter p = new ProtoWriter();
        for (float v : vs) {
            p.rawFixed32(Float.floatToRawIntBits(v));
        }
        return p.toByteArray();
    }

    /** raw_data of int64 values, little-endian. */
    static byte[] le(long... vs) {
        byte[] b = new byte[8 * vs.length];
        for (int i = 0; i < vs.length; i++) {
            for (int k = 0; k < 8; k++) {
                b[8 * i + k] = (byte) (vs[i] >>> (8 * k));
            }
        }
        return b;
    }

    byte[] toByteArray() {
        return out.toByteArray();
    }
}
