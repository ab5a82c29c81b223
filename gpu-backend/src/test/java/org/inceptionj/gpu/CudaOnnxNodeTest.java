package org.inceptionj.gpu;

import org.inceptionj.conformance.onnx.OnnxNodeConformance;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The ONNX backend node tests against the cuda backend (the nodes that need an optional feature it
 * leaves out are skipped with that reason). Skipped, with the reason, without a GPU.
 */
@Tag("gpu")
@ExtendWith(CudaAvailable.class)
class CudaOnnxNodeTest extends OnnxNodeConformance {
    CudaOnnxNodeTest() {
        super(CudaBackend::new);
    }
}
