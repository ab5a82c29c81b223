package org.inceptionj.gpu;

/**
 * A CUDA driver or cuDNN call returned an error. Carries the library, the numeric status, the
 * library's own text for it ({@code cuGetErrorName}/{@code cuGetErrorString}, or
 * {@code cudnnGetErrorString}: JCudnn 11.7's status names are wrong for cuDNN 9, which renumbered
 * them), the function and the arguments that matter, e.g.
 * {@code cudnnSetTensor4dDescriptor(x [8,3,-1,17]) failed: CUDNN_STATUS_BAD_PARAM (status 2000)}.
 */
public final class GpuException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Which library the status comes from. */
    public enum Library {
        CUDA_DRIVER, CUDNN
    }

    private final Library library;
    private final int status;
    private final String call;

    GpuException(Library library, int status, String statusText, String call) {
        super(call + " failed: " + statusText + " (status " + status + ")");
        this.library = library;
        this.status = status;
        this.call = call;
    }

    public Library library() {
        return library;
    }

    /** The raw status code (cudnnStatus_t or CUresult). */
    public int status() {
        return status;
    }

    /** The function and its relevant arguments, as in the message. */
    public String call() {
        return call;
    }
}
