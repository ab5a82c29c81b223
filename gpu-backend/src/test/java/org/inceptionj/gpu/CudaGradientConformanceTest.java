package org.inceptionj.gpu;

import net.jqwik.api.lifecycle.AddLifecycleHook;

import org.inceptionj.conformance.GradientConformance;
import org.inceptionj.conformance.Tolerances;
import org.inceptionj.cpu.CpuBackend;
import org.inceptionj.cpu.CpuConfig;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The conformance kit's gradient suite (backward primitives, the tape, two networks against finite
 * differences) against the cuda backend, with the CPU backend as oracle; tolerances as in
 * {@link CudaConformanceTest}. Skipped, with the reason, without a GPU.
 */
@Tag("gpu")
@ExtendWith(CudaAvailable.class)
@AddLifecycleHook(CudaAvailable.class)
class CudaGradientConformanceTest extends GradientConformance {
    CudaGradientConformanceTest() {
        super(CudaBackend::new, () -> new CpuBackend(new CpuConfig(2, true)));
    }

    @Override
    protected Tolerances tolerances() {
        return CudaConformanceTest.cudaTolerances();
    }
}
