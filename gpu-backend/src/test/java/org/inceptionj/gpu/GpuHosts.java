package org.inceptionj.gpu;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import org.inceptionj.api.BackendUnavailableException;
import org.junit.jupiter.api.Assumptions;

/**
 * What the tests may use of this host: cuDNN (found the way {@link CudaLibraries} finds it; name it
 * with {@code INCEPTIONJ_CUDNN_PATH=DIR} or {@code -Dinceptionj.cudnn.path=DIR}), a GPU. A test that
 * needs a missing piece is skipped with the reason; one that finds it and fails, fails.
 */
final class GpuHosts {
    private GpuHosts() {
    }

    private static String noCudnn;

    /** cuDNN loaded through the patched JCudnn, or the test is skipped saying how to provide it. */
    static synchronized CudaLibraries.CudnnInfo cudnn() {
        if (noCudnn == null) {
            try {
                CudaLibraries.locateCudnn();
                noCudnn = "";
            } catch (BackendUnavailableException e) {
                System.out.println("cuDNN tests skipped: " + e.getMessage());
                noCudnn = "needs cuDNN 8 or 9 (no GPU needed), none found in the standard places: set"
                        + " INCEPTIONJ_CUDNN_PATH=DIR or -Dinceptionj.cudnn.path=DIR to the directory of libcudnn.so.9"
                        + " (pip's nvidia-cudnn-cu12/13 wheel: site-packages/nvidia/cudnn/lib)";
            }
        }
        if (!noCudnn.isEmpty()) {
            Assumptions.abort(noCudnn);
        }
        return CudaLibraries.loadCudnn();
    }

    /** The path of libcudnn.so.9 if one can be found, else null. */
    static Path cudnn9OrNull() {
        try {
            CudaLibraries.CudnnLocation loc = CudaLibraries.locateCudnn();
            return loc.major() == 9 ? loc.library() : null;
        } catch (BackendUnavailableException e) {
            return null;
        }
    }

    private static CudaDriver.Device device;
    private static String noGpu;

    /** GPU 0 with its context current, or the test is skipped naming what is missing. */
    static synchronized CudaDriver.Device gpu() {
        if (device == null && noGpu == null) {
            try {
                CudaLibraries.loadDriver();
                device = CudaDriver.open(0);
            } catch (BackendUnavailableException e) {
                String m = e.getMessage();
                noGpu = "needs an NVIDIA GPU with its driver: " + (m.contains(". ") ? m.substring(0, m.indexOf(". ")) : m);
            }
        }
        if (device == null) {
            Assumptions.abort(noGpu);
        }
        return device;
    }

    /** A copy of resource {@code lib/NAME} (the JCuda natives in this jar) in {@code dir}. */
    static Path nativeCopy(Path dir, String name) throws IOException {
        Path target = dir.resolve(name);
        try (InputStream in = GpuHosts.class.getResourceAsStream("/lib/" + name)) {
            if (in == null) {
                throw new IllegalStateException("resource lib/" + name + " missing: build with Maven");
            }
            Files.copy(in, target);
        }
        return target;
    }
}
