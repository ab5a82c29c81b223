package org.inceptionj.gpu;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.inceptionj.api.BackendUnavailableException;
import org.inceptionj.api.Backends;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class CudaBackendProviderTest {

    @Test
    void registeredUnderItsName() {
        assertTrue(Backends.available().contains("cuda"), "available: " + Backends.available());
    }

    @Test
    void withoutAGpuFailsSayingWhatIsMissing() {
        // Without a driver the message names libcuda.so.1; without cuDNN it names cuDNN and the
        // property; with both but no GPU, the GPU. On a GPU host the backend starts (GpuBackendTest).
        boolean gpu;
        try {
            CudaLibraries.loadDriver();
            CudaDriver.driverVersion();
            gpu = true;
        } catch (RuntimeException e) {
            gpu = false;
        }
        Assumptions.assumeFalse(gpu, "this host has an NVIDIA driver: the cuda backend may start here");
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> Backends.load("cuda"));
        String m = e.getMessage();
        System.out.println(m);
        assertTrue(m.contains("backend 'cuda'"), m);
        assertTrue(m.contains("no NVIDIA driver (libcuda.so.1) found") || m.contains("cuDNN")
                || m.contains("no CUDA-capable GPU"), m);
        assertTrue(m.contains("Available backends: cpu"), m);
    }
}
