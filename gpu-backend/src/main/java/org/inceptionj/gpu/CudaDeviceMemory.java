package org.inceptionj.gpu;

/**
 * {@link DeviceMemory} on the current CUDA context: {@code cuMemAlloc} (0 on
 * {@code CUDA_ERROR_OUT_OF_MEMORY}) and {@code cuMemFree}. JCuda 11.7 has no {@code cuMemAllocAsync},
 * so every call synchronizes the device: {@link CachingAllocator} sits in front of it.
 *
 * <p><b>Never run</b>: compiles here; needs a GPU.
 */
final class CudaDeviceMemory implements DeviceMemory {
    @Override
    public long alloc(long bytes) {
        return CudaDriver.memAlloc(bytes);
    }

    @Override
    public void free(long ptr) {
        CudaDriver.memFree(ptr);
    }
}
