package org.inceptionj.cpu;

import org.inceptionj.api.Backend;
import org.inceptionj.api.BackendProvider;
import org.inceptionj.api.BackendUnavailableException;

/** Registers the CPU backend under the name {@code cpu}. */
public final class CpuBackendProvider implements BackendProvider {
    static final String VECTOR_MODULE = "jdk.incubator.vector";

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public String description() {
        return "Java Vector API on the CPU, multi-threaded";
    }

    @Override
    public Backend create() {
        if (ModuleLayer.boot().findModule(VECTOR_MODULE).isEmpty()) {
            throw new BackendUnavailableException("the Java Vector API module " + VECTOR_MODULE
                    + " is not loaded; start java with --add-modules " + VECTOR_MODULE);
        }
        return new CpuBackend(CpuConfig.fromSystemProperties());
    }
}
