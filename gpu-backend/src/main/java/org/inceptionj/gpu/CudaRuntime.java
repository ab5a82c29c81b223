package org.inceptionj.gpu;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;

import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;

/**
 * What every {@code cuda} backend of the process shares: GPU 0's primary context, <b>one stream</b>,
 * the cuDNN handle bound to that stream ({@code cudnnSetStream}), and the PTX modules loaded on the
 * context. Made once, on first use, and kept for the life of the process: the conformance kit
 * creates a backend per property, and loading the modules (a PTX JIT compile on the driver) and
 * {@code cudnnCreate} would cost more than most properties. A backend's own memory is its own
 * ({@link CudaBackend#close()} frees it); these few shared objects are released when the process exits.
 *
 * <p>Threads: CUDA needs the context current on the calling thread; {@link #makeCurrent()} does
 * it once per thread (a thread-local flag, so the check costs a field read per op). The backend is
 * used by one thread at a time (the cuDNN handle is not safe for concurrent calls).
 *
 * <p><b>Never run</b>: needs a GPU.
 */
final class CudaRuntime {
    private static CudaRuntime instance;

    final CudaDriver.Device device;
    final Cudnn.Handle cudnn;
    final String cudnnVersion;
    final int driverVersion;
    private final Map<PtxModules, CUmodule> modules = new EnumMap<>(PtxModules.class);
    private final Map<PtxModules, Map<String, CUfunction>> functions = new EnumMap<>(PtxModules.class);
    private final ThreadLocal<Boolean> current = ThreadLocal.withInitial(() -> false);

    private CudaRuntime() {
        CudaLibraries.loadDriver();
        CudaLibraries.CudnnInfo info = CudaLibraries.loadCudnn();
        device = CudaDriver.open(0);   // primary context current on this thread, one stream
        current.set(true);
        driverVersion = CudaDriver.driverVersion();
        cudnn = new Cudnn.Handle(device.stream());
        cudnnVersion = info.version();
    }

    /** The process's runtime, made on first call (throws what {@link CudaDriver#open} or cuDNN throws). */
    static synchronized CudaRuntime get() {
        if (instance == null) {
            instance = new CudaRuntime();
        }
        instance.makeCurrent();
        return instance;
    }

    CUstream stream() {
        return device.stream();
    }

    /** Makes the primary context current on the calling thread, once per thread. */
    void makeCurrent() {
        if (!current.get()) {
            CudaDriver.makeCurrent(device.context());
            current.set(true);
        }
    }

    /** A kernel of one of the own modules, the module loaded ({@code cuModuleLoadData}) on first use. */
    synchronized CUfunction function(PtxModules module, String kernel) {
        Map<String, CUfunction> loaded = functions.computeIfAbsent(module, k -> new HashMap<>());
        CUfunction f = loaded.get(kernel);
        if (f == null) {
            if (!module.kernels().contains(kernel)) {
                throw new IllegalArgumentException("module " + module.fileName() + " has no kernel " + kernel);
            }
            CUmodule m = modules.computeIfAbsent(module, k -> CudaDriver.loadModule(k.fileName(), k.ptxWithNul()));
            f = CudaDriver.function(m, module.fileName(), kernel);
            loaded.put(kernel, f);
        }
        return f;
    }
}
