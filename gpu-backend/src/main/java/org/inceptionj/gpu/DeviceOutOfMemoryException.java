package org.inceptionj.gpu;

/**
 * The device could not hold an allocation even after every cached block was given back. The message
 * names the requested size and what was in use (see {@link CachingAllocator#alloc}).
 */
public final class DeviceOutOfMemoryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final long requestedBytes;

    DeviceOutOfMemoryException(String message, long requestedBytes) {
        super(message);
        this.requestedBytes = requestedBytes;
    }

    /** The size asked for, before rounding. */
    public long requestedBytes() {
        return requestedBytes;
    }
}
