package org.inceptionj.conformance.onnx;

/**
 * {@code TensorProto.DataType} of onnx.proto: the element type of a tensor. InceptionJ computes in
 * float32 only; the adapter reads INT64 (axes, labels) and BOOL (Dropout's training_mode) inputs
 * as host values, and a test that needs any other type is skipped with the type named.
 */
public enum OnnxDataType {
    UNDEFINED(0, 0), FLOAT(1, 4), UINT8(2, 1), INT8(3, 1), UINT16(4, 2), INT16(5, 2), INT32(6, 4), INT64(7, 8),
    STRING(8, 0), BOOL(9, 1), FLOAT16(10, 2), DOUBLE(11, 8), UINT32(12, 4), UINT64(13, 8), COMPLEX64(14, 8),
    COMPLEX128(15, 16), BFLOAT16(16, 2), FLOAT8E4M3FN(17, 1), FLOAT8E4M3FNUZ(18, 1), FLOAT8E5M2(19, 1),
    FLOAT8E5M2FNUZ(20, 1), UINT4(21, 0), INT4(22, 0), FLOAT4E2M1(23, 0);

    private final int code;
    private final int byteSize;

    OnnxDataType(int code, int byteSize) {
        this.code = code;
        this.byteSize = byteSize;
    }

    /** The enum value written in the file. */
    public int code() {
        return code;
    }

    /** Bytes per element in {@code raw_data}; 0 for variable-size (STRING) or sub-byte types. */
    public int byteSize() {
        return byteSize;
    }

    /** The type with this code, or null for a code onnx.proto does not define. */
    public static OnnxDataType ofCode(int code) {
        for (OnnxDataType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }

    /** numpy-style name for messages: float32, int64, bool, ... */
    public String displayName() {
        return switch (this) {
            case FLOAT -> "float32";
            case DOUBLE -> "float64";
            case FLOAT16 -> "float16";
            default -> name().toLowerCase();
        };
    }
}
