package org.inceptionj.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.inceptionj.api.BackendUnavailableException;
import org.inceptionj.api.Backends;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CudaBackendProviderTest {

    @Test
    void registeredUnderItsName() {
        assertTrue(Backends.available().contains("cuda"), "available: " + Backends.available());
    }

    @Test
    void cannotStartAndSaysWhatIsMissing() {
        // Until the cuDNN kernels exist, the backend never starts; on a host without a driver
        // the message names the driver, with one it names cuDNN or the missing kernels.
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> Backends.load("cuda"));
        String m = e.getMessage();
        assertTrue(m.contains("backend 'cuda'"), m);
        assertTrue(m.contains("libcuda.so.1") || m.contains("cuDNN"), m);
        assertTrue(m.contains("Available backends: cpu"), m);
    }

    @Test
    void findsALibraryInTheFirstDirectoryThatHasIt(@TempDir Path tmp) throws Exception {
        Path a = Files.createDirectory(tmp.resolve("a"));
        Path b = Files.createDirectory(tmp.resolve("b"));
        Files.createFile(b.resolve("libcudnn.so.9"));
        assertEquals(b.resolve("libcudnn.so.9"), CudaBackendProvider.find(List.of(a, b), "libcudnn.so.9").orElseThrow());
        assertTrue(CudaBackendProvider.find(List.of(a), "libcudnn.so.9").isEmpty());
    }
}
