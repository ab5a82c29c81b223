package org.inceptionj.cpu;

import org.inceptionj.conformance.BackendConformance;

/** The conformance kit against the CPU backend on its Vector API path, with two threads. */
class CpuConformanceTest extends BackendConformance {
    CpuConformanceTest() {
        super(() -> new CpuBackend(new CpuConfig(2, true)));
    }
}
