package org.inceptionj.gpu;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.inceptionj.api.Backend;
import org.inceptionj.api.BackendProvider;
import org.inceptionj.api.BackendUnavailableException;

/**
 * Registers the cuDNN backend under the name {@code cuda}. Before anything native is loaded it
 * checks, and names in its error, the two pieces a GPU host must have: the NVIDIA driver
 * ({@code libcuda.so.1}) and cuDNN 8 or 9 ({@code libcudnn.so.8/9}; an explicit location may be given
 * with {@code -Dinceptionj.cudnn.path=DIR} or {@code INCEPTIONJ_CUDNN_PATH}).
 */
public final class CudaBackendProvider implements BackendProvider {
    public static final String CUDNN_PATH_PROPERTY = "inceptionj.cudnn.path";
    public static final String CUDNN_PATH_ENV = "INCEPTIONJ_CUDNN_PATH";

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public String description() {
        return "NVIDIA GPU through cuDNN (JCuda + JCudnn)";
    }

    @Override
    public Backend create() {
        List<Path> dirs = libraryDirs();
        Optional<Path> driver = find(dirs, "libcuda.so.1");
        if (driver.isEmpty()) {
            throw new BackendUnavailableException("the NVIDIA driver library libcuda.so.1 was not found (searched "
                    + dirs + "); install the NVIDIA driver on a machine with a CUDA-capable GPU");
        }
        Optional<Path> cudnn = find(dirs, "libcudnn.so.9").or(() -> find(dirs, "libcudnn.so.8"));
        if (cudnn.isEmpty()) {
            throw new BackendUnavailableException("cuDNN (libcudnn.so.9 or libcudnn.so.8) was not found (searched "
                    + dirs + "); install cuDNN, or name its directory with -D" + CUDNN_PATH_PROPERTY + "=DIR or "
                    + CUDNN_PATH_ENV + "=DIR");
        }
        throw new BackendUnavailableException("found " + driver.get() + " and " + cudnn.get()
                + ", but this version of InceptionJ does not contain the cuDNN kernels yet (they arrive with the"
                + " GPU backend); use -Dinceptionj.backend=cpu");
    }

    /** Explicit cuDNN location first, then LD_LIBRARY_PATH, then the usual system and CUDA directories. */
    static List<Path> libraryDirs() {
        Set<String> d = new LinkedHashSet<>();
        String explicit = System.getProperty(CUDNN_PATH_PROPERTY, System.getenv(CUDNN_PATH_ENV));
        if (explicit != null && !explicit.isBlank()) {
            d.add(explicit.trim());
        }
        String ld = System.getenv("LD_LIBRARY_PATH");
        if (ld != null) {
            for (String p : ld.split(":")) {
                if (!p.isBlank()) {
                    d.add(p);
                }
            }
        }
        d.add("/usr/lib/x86_64-linux-gnu");
        d.add("/usr/lib64");
        d.add("/usr/lib");
        d.add("/usr/local/cuda/lib64");
        d.add("/usr/lib/wsl/lib");
        List<Path> out = new ArrayList<>();
        for (String s : d) {
            out.add(Path.of(s));
        }
        return out;
    }

    static Optional<Path> find(List<Path> dirs, String file) {
        for (Path dir : dirs) {
            Path p = dir.resolve(file);
            if (Files.exists(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
