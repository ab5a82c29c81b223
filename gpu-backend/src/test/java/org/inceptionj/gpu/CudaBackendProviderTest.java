package org.inceptionj.gpu;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.inceptionj.api.BackendUnavailableException;
import org.inceptionj.api.Backends;
import org.junit.jupiter.api.Test;

class CudaBackendProviderTest {

    @Test
    void registeredUnderItsName() {
        assertTrue(Backends.available().contains("cuda"), "available: " + Backends.available());
    }

    @Test
    void cannotStartAndSaysWhatIsMissing() {
        // Until the cuDNN ops exist, the backend never starts. Without a driver the message names
        // libcuda.so.1; without cuDNN it names cuDNN and the property; with both, the GPU or the
        // missing ops. CI hosts have no GPU and may lack cuDNN: all of these are fine here.
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> Backends.load("cuda"));
        String m = e.getMessage();
        System.out.println(m);
        assertTrue(m.contains("backend 'cuda'"), m);
        assertTrue(m.contains("no NVIDIA driver (libcuda.so.1) found") || m.contains("cuDNN")
                || m.contains("no CUDA-capable GPU"), m);
        assertTrue(m.contains("Available backends: cpu"), m);
    }
}
