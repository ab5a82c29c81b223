package org.inceptionj.cpu;

import org.inceptionj.conformance.GradientConformance;

/** The gradient suite against the CPU backend on its Vector API path, with two threads. */
class CpuGradientConformanceTest extends GradientConformance {
    CpuGradientConformanceTest() {
        super(() -> new CpuBackend(new CpuConfig(2, true)));
    }
}
