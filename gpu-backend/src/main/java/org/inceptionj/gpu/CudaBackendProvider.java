package org.inceptionj.gpu;

import java.util.LinkedHashSet;
import java.util.Set;

import org.inceptionj.api.Backend;
import org.inceptionj.api.BackendProvider;
import org.inceptionj.api.BackendUnavailableException;

/**
 * Registers the cuDNN backend under the name {@code cuda}. {@link #create()} loads what a GPU host
 * must have and names every missing piece in one message: the NVIDIA driver ({@code libcuda.so.1}),
 * cuDNN 8 or 9 ({@code -D}{@value CudaLibraries#CUDNN_PATH_PROPERTY}{@code =DIR} or
 * {@value CudaLibraries#CUDNN_PATH_ENV}{@code =DIR} to name its directory; see {@link CudaLibraries}),
 * and a GPU. With all three present it returns a {@link CudaBackend} on GPU 0.
 */
public final class CudaBackendProvider implements BackendProvider {
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
        Set<String> missing = new LinkedHashSet<>();   // one line per cause (both say 'Linux x86-64 only' elsewhere)
        try {
            CudaLibraries.loadDriver();
        } catch (BackendUnavailableException e) {
            missing.add(e.getMessage());
        }
        String cudnn = null;
        try {
            CudaLibraries.CudnnInfo c = CudaLibraries.loadCudnn();
            cudnn = "cuDNN " + c.version() + " (" + c.library() + ")";
        } catch (BackendUnavailableException e) {
            missing.add(e.getMessage());
        }
        if (!missing.isEmpty()) {
            throw new BackendUnavailableException(String.join("; ", missing)
                    + (cudnn == null ? "" : "; " + cudnn + " loads"));
        }
        try {
            return new CudaBackend();
        } catch (GpuException e) {
            throw new BackendUnavailableException("the NVIDIA driver does not start: " + e.getMessage()
                    + " (an older driver than CUDA 11.7, or a GPU in a bad state: check nvidia-smi)", e);
        }
    }
}
