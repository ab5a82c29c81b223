package org.inceptionj.api;

/**
 * A backend's memory behind one tensor: a Java array for the CPU backend, a device pointer for a
 * GPU backend. Only the backend that made it looks inside; {@link Tensor#close()} calls
 * {@link #free()} exactly once.
 */
public interface Storage {
    /** Size in bytes, for accounting. */
    long byteSize();

    /** Releases the memory. Called once, by {@link Tensor#close()}. */
    void free();
}
