package org.inceptionj.gpu;

import net.jqwik.api.lifecycle.AddLifecycleHook;

import org.inceptionj.conformance.BackendConformance;
import org.inceptionj.conformance.Tolerances;
import org.inceptionj.cpu.CpuBackend;
import org.inceptionj.cpu.CpuConfig;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The conformance kit's forward suite against the cuda backend, each output checked against the
 * double-precision references and against the CPU backend as oracle. Tolerances: the kit's float32
 * bounds, with a dot-product unit roundoff of 4u for conv2d and matmul (cuDNN may pick Winograd or
 * FFT algorithms, whose rounding is a few times that of a plain dot product), or TF32's 2⁻¹¹ with
 * {@code -Dinceptionj.cuda.tf32=true}. Skipped, with the reason, without a GPU.
 */
@Tag("gpu")
@ExtendWith(CudaAvailable.class)
@AddLifecycleHook(CudaAvailable.class)
class CudaConformanceTest extends BackendConformance {
    CudaConformanceTest() {
        super(CudaBackend::new, () -> new CpuBackend(new CpuConfig(2, true)));
    }

    @Override
    protected Tolerances tolerances() {
        return cudaTolerances();
    }

    static Tolerances cudaTolerances() {
        return new Tolerances(Tolerances.U32, Boolean.getBoolean(CudaBackend.TF32_PROPERTY) ? Tolerances.U_TF32
                : 4 * Tolerances.U32);
    }
}
