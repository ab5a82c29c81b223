package org.inceptionj.bench.peers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import org.inceptionj.api.Backend;
import org.inceptionj.api.Backends;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.Presets;
import org.inceptionj.inception.onnx.OnnxExport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ONNX Runtime on the exported file gives our logits: relative L2 ≤ 1e-4, for a small preset and for the
 * full model at 299×299, on a random input, with batch norms that are not the identity (so that their
 * folding into the convolutions is what is checked). Profile {@code peers} only:
 * {@code ./mvnw -Ppeers -pl benchmarks -am verify -Dtest=OnnxRuntimeAgreementTest -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class OnnxRuntimeAgreementTest {
    @TempDir
    Path tmp;

    @Test
    void smallPresets() throws Exception {
        for (String preset : new String[] {"inception-v3", "inception-v3-tf", "inception-v3-unfactorized-stem"}) {
            check(Presets.named(preset).withWidthMultiplier(0.25), 75, 3, preset + " w0.25 75x75");
        }
        check(Presets.named("inception-v3").withWidthMultiplier(0.25).withTransformInput(true), 75, 2,
                "inception-v3 w0.25 75x75 transform_input");
    }

    @Test
    void fullModelAt299() throws Exception {
        check(Presets.named("inception-v3"), 299, 2, "inception-v3 299x299");
    }

    private void check(InceptionV3.Config config, int side, int batch, String label) throws Exception {
        Path file = tmp.resolve("m.onnx");
        float[] x = Peers.uniform(7, batch * 3 * side * side);
        float[] want;
        try (Backend backend = Backends.load();
             InceptionV3 m = Peers.model(backend, config, 11);
             TensorScope s = TensorScope.open()) {
            OnnxExport.write(m, side, file, true);
            Tensor t = Ops.fromArray(backend, Shape.of(batch, 3, side, side), x);
            want = m.forward(t, InceptionV3.Mode.EVAL).logits().toArray();
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(2);
            try (OrtSession session = env.createSession(file.toString(), o);
                 OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {batch, 3, side, side});
                 OrtSession.Result r = session.run(Map.of(OnnxExport.INPUT, in))) {
                OnnxTensor out = (OnnxTensor) r.get(OnnxExport.OUTPUT).orElseThrow();
                assertArrayEquals(new long[] {batch, config.numClasses()}, out.getInfo().getShape());
                float[] got = new float[want.length];
                out.getFloatBuffer().get(got);
                double rel = Peers.relativeL2(got, want);
                System.out.printf("ONNX Runtime %s vs InceptionJ, %s batch %d: relative L2 %.3e%n",
                        OrtEnvironment.getEnvironment().getVersion(), label, batch, rel);
                assertTrue(rel <= 1e-4, label + ": relative L2 " + rel);
            }
        }
    }
}
