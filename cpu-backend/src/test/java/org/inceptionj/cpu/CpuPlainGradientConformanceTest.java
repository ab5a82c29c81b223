package org.inceptionj.cpu;

import org.inceptionj.conformance.GradientConformance;

/** The gradient suite against the CPU backend on its plain scalar loops (the readable oracle), one thread. */
class CpuPlainGradientConformanceTest extends GradientConformance {
    CpuPlainGradientConformanceTest() {
        super(() -> new CpuBackend(new CpuConfig(1, false)));
    }
}
