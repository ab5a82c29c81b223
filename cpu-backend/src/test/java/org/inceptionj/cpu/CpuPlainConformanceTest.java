package org.inceptionj.cpu;

import org.inceptionj.conformance.BackendConformance;

/** The conformance kit against the CPU backend on its plain scalar loops (the readable oracle), one thread. */
class CpuPlainConformanceTest extends BackendConformance {
    CpuPlainConformanceTest() {
        super(() -> new CpuBackend(new CpuConfig(1, false)));
    }
}
