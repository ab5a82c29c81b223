package org.inceptionj.conformance.onnx;

/**
 * A well-formed ONNX node that this adapter cannot map onto InceptionJ's {@code Ops}: an operator
 * outside the API, an element type other than float32, an output such as MaxPool's argmax indices.
 * The runner reports the test as skipped with {@link #getMessage()} as the stated reason; it is
 * never a silent pass.
 */
public final class OnnxUnsupportedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public OnnxUnsupportedException(String reason) {
        super(reason);
    }
}
