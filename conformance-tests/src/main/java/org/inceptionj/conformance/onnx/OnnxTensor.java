package org.inceptionj.conformance.onnx;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.inceptionj.api.Shape;

/**
 * A parsed ONNX {@code TensorProto}: name, dims (outermost first), element type and, for the
 * types InceptionJ's conformance run can use, the values in row-major order.
 *
 * <p>Fields read (onnx.proto numbers): dims=1, data_type=2, float_data=4, int32_data=5,
 * int64_data=7, name=8, raw_data=9, data_location=14. Values come from {@code raw_data} (fixed
 * width, little-endian) or, when it is absent, from the typed field, packed or unpacked. Values are
 * kept for FLOAT (as float), INT64 (as long) and BOOL (as long 0 or 1); any other type keeps only
 * its name, dims and type, and {@link #hasValues()} is false. Anything inconsistent (a negative
 * dim, a raw_data length that is not count × element size, values in two places or in the field of
 * another type) is rejected with an {@link OnnxFormatException} naming the file.
 */
public final class OnnxTensor {
    private static final int[] NO_DIMS = {};

    private final String name;
    private final int[] dims;
    private final OnnxDataType dataType;
    private final float[] floats;
    private final long[] longs;

    private OnnxTensor(String name, int[] dims, OnnxDataType dataType, float[] floats, long[] longs) {
        this.name = name;
        this.dims = dims;
        this.dataType = dataType;
        this.floats = floats;
        this.longs = longs;
    }

    /** A float32 tensor, e.g. for tests of code that consumes tensors. */
    public static OnnxTensor ofFloats(String name, int[] dims, float[] values) {
        check(dims, values.length);
        return new OnnxTensor(name, dims.clone(), OnnxDataType.FLOAT, values.clone(), null);
    }

    /** An int64 tensor. */
    public static OnnxTensor ofLongs(String name, int[] dims, long[] values) {
        check(dims, values.length);
        return new OnnxTensor(name, dims.clone(), OnnxDataType.INT64, null, values.clone());
    }

    private static void check(int[] dims, int n) {
        if (Shape.of(dims).size() != n) {
            throw new IllegalArgumentException("OnnxTensor: dims " + Arrays.toString(dims) + " need "
                    + Shape.of(dims).size() + " values, got " + n);
        }
    }

    /** Reads one serialized TensorProto file (an {@code input_<i>.pb} or {@code output_<j>.pb}). */
    public static OnnxTensor read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read ONNX tensor file " + file + ": " + e.getMessage(), e);
        }
        return parse(bytes, file.toString());
    }

    /** Parses a serialized TensorProto; {@code source} names it in errors (usually the file). */
    public static OnnxTensor parse(byte[] bytes, String source) {
        return parse(new ProtoReader(bytes, source + ": TensorProto"));
    }

    static OnnxTensor parse(ProtoReader r) {
        ProtoReader.LongList dims = new ProtoReader.LongList();
        int dataType = -1;
        String name = "";
        byte[] raw = null;
        ProtoReader.FloatList floatData = new ProtoReader.FloatList();
        ProtoReader.LongList int32Data = new ProtoReader.LongList();
        ProtoReader.LongList int64Data = new ProtoReader.LongList();
        boolean external = false;
        while (r.next()) {
            switch (r.field()) {
                case 1 -> r.int64s("dims", dims);
                case 2 -> dataType = r.int32("data_type");
                case 4 -> r.float32s("float_data", floatData);
                case 5 -> r.int64s("int32_data", int32Data);
                case 7 -> r.int64s("int64_data", int64Data);
                case 8 -> name = r.string("name");
                case 9 -> raw = r.bytes("raw_data");
                case 13 -> {
                    external = true;
                    r.skip();
                }
                case 14 -> external |= r.int32("data_location") == 1;
                default -> r.skip();
            }
        }
        String what = r.where() + (name.isEmpty() ? "" : " '" + name + "'");

        if (dataType < 0) {
            throw new OnnxFormatException(what + ": data_type (field 2) is missing");
        }
        OnnxDataType type = OnnxDataType.ofCode(dataType);
        if (type == null || type == OnnxDataType.UNDEFINED) {
            throw new OnnxFormatException(what + ": unknown data_type " + dataType);
        }
        long[] declared = dims.toArray();
        int[] shape = declared.length == 0 ? NO_DIMS : new int[declared.length];
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            long d = declared[i];
            if (d < 0 || d > Integer.MAX_VALUE) {
                throw new OnnxFormatException(what + ": dimension " + i + " is " + d + " in dims "
                        + Arrays.toString(declared));
            }
            shape[i] = (int) d;
            count *= d;
            if (count > Integer.MAX_VALUE) {
                throw new OnnxFormatException(what + ": dims " + Arrays.toString(declared)
                        + " hold more than " + Integer.MAX_VALUE + " elements");
            }
        }
        int n = (int) count;
        if (external) {
            throw new OnnxUnsupportedException(what + ": tensor data is stored in an external file, which this reader does not follow");
        }

        // The values live in raw_data or in exactly one typed field, the one of this element type.
        String typedField = switch (type) {
            case FLOAT -> "float_data";
            case INT64 -> "int64_data";
            case BOOL, INT32, INT16, INT8, UINT16, UINT8, FLOAT16, BFLOAT16 -> "int32_data";
            default -> null;
        };
        int typedCount = 0;
        String[] fields = {"float_data", "int32_data", "int64_data"};
        int[] counts = {floatData.size(), int32Data.size(), int64Data.size()};
        for (int i = 0; i < fields.length; i++) {
            if (counts[i] > 0 && !fields[i].equals(typedField)) {
                throw new OnnxFormatException(what + ": " + fields[i] + " holds " + counts[i] + " values but the tensor is "
                        + type.displayName());
            }
            if (fields[i].equals(typedField)) {
                typedCount = counts[i];
            }
        }
        if (raw != null && typedCount > 0) {
            throw new OnnxFormatException(what + ": values are given both in raw_data and in " + typedField);
        }
        if (raw != null && type.byteSize() > 0 && raw.length != (long) n * type.byteSize()) {
            throw new OnnxFormatException(what + ": raw_data has " + raw.length + " bytes, dims "
                    + Arrays.toString(shape) + " of " + type.displayName() + " need " + (long) n * type.byteSize());
        }
        if (raw == null && typedField != null && typedCount != n) {
            throw new OnnxFormatException(what + ": " + typedField + " holds " + typedCount + " values, dims "
                    + Arrays.toString(shape) + " need " + n);
        }

        ByteBuffer le = raw == null ? null : ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        return switch (type) {
            case FLOAT -> {
                float[] v = new float[n];
                if (le != null) {
                    le.asFloatBuffer().get(v);
                } else {
                    v = floatData.toArray();
                }
                yield new OnnxTensor(name, shape, type, v, null);
            }
            case INT64 -> {
                long[] v = new long[n];
                if (le != null) {
                    le.asLongBuffer().get(v);
                } else {
                    v = int64Data.toArray();
                }
                yield new OnnxTensor(name, shape, type, null, v);
            }
            case BOOL -> {
                long[] v = le == null ? int32Data.toArray() : new long[n];
                for (int i = 0; i < n; i++) {
                    // numpy reads any non-zero byte as True
                    v[i] = (le == null ? v[i] : raw[i]) != 0 ? 1 : 0;
                }
                yield new OnnxTensor(name, shape, type, null, v);
            }
            default -> new OnnxTensor(name, shape, type, null, null);
        };
    }

    /** The TensorProto name: the graph input or output it belongs to. */
    public String name() {
        return name;
    }

    /** Dimensions, outermost first; empty for a rank-0 scalar. */
    public int[] dims() {
        return dims.clone();
    }

    /** The dims as an InceptionJ {@link Shape}. */
    public Shape shape() {
        return Shape.of(dims);
    }

    /** Number of elements (1 for a scalar, 0 if any dim is 0). */
    public int size() {
        return shape().size();
    }

    public OnnxDataType dataType() {
        return dataType;
    }

    /** Whether the values were kept: FLOAT, INT64 and BOOL tensors. */
    public boolean hasValues() {
        return floats != null || longs != null;
    }

    /** A copy of the values of a FLOAT tensor. */
    public float[] floats() {
        if (floats == null) {
            throw new IllegalStateException("tensor '" + name + "' is " + dataType.displayName() + ", not float32");
        }
        return floats.clone();
    }

    /** A copy of the values of an INT64 tensor, or of a BOOL tensor as 0 / 1. */
    public long[] longs() {
        if (longs == null) {
            throw new IllegalStateException("tensor '" + name + "' is " + dataType.displayName() + ", not int64 or bool");
        }
        return longs.clone();
    }

    /** {@code x: float32[1,3,5,5]}, as the INDEX and error messages write it. */
    @Override
    public String toString() {
        return (name.isEmpty() ? "" : name + ": ") + dataType.displayName() + Shape.of(dims);
    }
}
