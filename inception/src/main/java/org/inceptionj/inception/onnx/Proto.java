package org.inceptionj.inception.onnx;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Just enough of the protocol-buffers wire format to write an ONNX model: a message is a list of
 * fields, each a field number and a value; it knows its encoded size before it is written, so a
 * large model streams to the file (the weights' floats are encoded from their arrays in blocks,
 * never gathered into one byte array).
 *
 * <p>The wire format (protobuf's "Encoding" page): every field is a key varint
 * {@code (fieldNumber << 3) | wireType}, then its value: wire type 0 a varint (int64, int32, enums),
 * 2 a length varint and that many bytes (strings, bytes, nested messages, packed floats), 5 four
 * little-endian bytes (float). Repeated scalars are written one key per element (proto2's unpacked
 * form, which ONNX's own serializer uses for {@code dims} and {@code ints}); every parser accepts it.
 */
final class Proto {
    private static final int VARINT = 0;
    private static final int LENGTH_DELIMITED = 2;
    private static final int FIXED32 = 5;

    /** One message under construction: add fields in field-number order or any order (protobuf accepts both). */
    static final class Message {
        private final List<Field> fields = new ArrayList<>();
        private long size = -1;

        Message varint(int field, long value) {
            return add(new Field(field, VARINT, value, null));
        }

        Message fixed32(int field, float value) {
            return add(new Field(field, FIXED32, Float.floatToRawIntBits(value), null));
        }

        Message string(int field, String value) {
            return add(new Field(field, LENGTH_DELIMITED, 0, value.getBytes(StandardCharsets.UTF_8)));
        }

        /** The floats as little-endian bytes, one length-delimited field (TensorProto.raw_data). */
        Message rawFloats(int field, float[] values) {
            return add(new Field(field, LENGTH_DELIMITED, 0, values));
        }

        Message message(int field, Message value) {
            return add(new Field(field, LENGTH_DELIMITED, 0, value));
        }

        /** One key per element (unpacked). */
        Message varints(int field, long... values) {
            for (long v : values) {
                varint(field, v);
            }
            return this;
        }

        private Message add(Field f) {
            fields.add(f);
            size = -1;
            return this;
        }

        /** Encoded size in bytes (without an enclosing key and length). */
        long size() {
            if (size < 0) {
                long n = 0;
                for (Field f : fields) {
                    n += varintSize(((long) f.number << 3) | f.wireType);
                    n += switch (f.wireType) {
                        case VARINT -> varintSize(f.value);
                        case FIXED32 -> 4;
                        default -> {
                            long len = payloadSize(f.payload);
                            yield varintSize(len) + len;
                        }
                    };
                }
                size = n;
            }
            return size;
        }

        void writeTo(Out out) throws IOException {
            for (Field f : fields) {
                out.varint(((long) f.number << 3) | f.wireType);
                switch (f.wireType) {
                    case VARINT -> out.varint(f.value);
                    case FIXED32 -> out.fixed32((int) f.value);
                    default -> {
                        out.varint(payloadSize(f.payload));
                        switch (f.payload) {
                            case byte[] b -> out.bytes(b);
                            case float[] fl -> out.floats(fl);
                            case Message m -> m.writeTo(out);
                            default -> throw new IllegalStateException("unknown payload " + f.payload.getClass());
                        }
                    }
                }
            }
        }

        private static long payloadSize(Object payload) {
            return switch (payload) {
                case byte[] b -> b.length;
                case float[] fl -> 4L * fl.length;
                case Message m -> m.size();
                default -> throw new IllegalStateException("unknown payload " + payload.getClass());
            };
        }
    }

    /** A field: scalar {@code value} for varint and fixed32, else {@code payload} (byte[], float[] or Message). */
    private record Field(int number, int wireType, long value, Object payload) {
    }

    /** Bytes in a varint: 7 bits per byte; a negative int64 takes 10. */
    static int varintSize(long v) {
        int n = 1;
        while ((v & ~0x7FL) != 0) {
            v >>>= 7;
            n++;
        }
        return n;
    }

    /** A buffered writer of the three value forms. */
    static final class Out {
        private final OutputStream out;
        private final ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);

        Out(OutputStream out) {
            this.out = out;
        }

        void varint(long v) throws IOException {
            room(10);
            while ((v & ~0x7FL) != 0) {
                buf.put((byte) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            buf.put((byte) v);
        }

        void fixed32(int bits) throws IOException {
            room(4);
            buf.putInt(bits);
        }

        void bytes(byte[] b) throws IOException {
            flush();
            out.write(b);
        }

        void floats(float[] f) throws IOException {
            for (float v : f) {
                room(4);
                buf.putFloat(v);
            }
        }

        private void room(int n) throws IOException {
            if (buf.remaining() < n) {
                flush();
            }
        }

        void flush() throws IOException {
            out.write(buf.array(), 0, buf.position());
            buf.clear();
        }
    }

    private Proto() {
    }
}
