package org.inceptionj.conformance.onnx;

/**
 * A file that is not a well-formed ONNX protobuf message of the expected kind: truncated, an
 * impossible length or wire type, data that disagrees with its declared shape. The message names
 * the file and, where it helps, the byte offset and the message path inside it
 * ({@code model.onnx: ModelProto.graph.node[0].attribute[1]: ...}).
 */
public final class OnnxFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public OnnxFormatException(String message) {
        super(message);
    }

    public OnnxFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
