package org.inceptionj.gpu;

/**
 * Raw device memory, the one thing {@link CachingAllocator} needs from the GPU: {@link CudaDeviceMemory}
 * on a device ({@code cuMemAlloc}/{@code cuMemFree}), a fake in the allocator's tests.
 */
interface DeviceMemory {
    /**
     * Allocates {@code bytes} (&gt; 0) of device memory.
     *
     * @return the device address, or 0 if the device is out of memory; other failures throw
     */
    long alloc(long bytes);

    /** Frees an address {@link #alloc} returned. */
    void free(long ptr);
}
