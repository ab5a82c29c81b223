package org.inceptionj.inception.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.stream.Collectors;

import org.inceptionj.inception.BackendTest;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.Summary;
import org.junit.jupiter.api.Test;

/** The profile zips a timed run with a shape run: its counts are the model's, its times add up. */
class OpProfileTest extends BackendTest {
    static final InceptionV3.Config TINY = new InceptionV3.Config(10, false, true, 0.5f).withWidthMultiplier(0.25);

    @Test
    void anEvalProfileCountsTheModelsCallsAndMultiplyAdds() {
        OpProfile p = OpProfile.of(backend, TINY, 75, 2, OpProfile.Pass.EVAL, 1, 2);
        assertEquals(2 * Summary.of(TINY, 75, 75, InceptionV3.Mode.EVAL).macs(), p.macs(),
                "multiply-adds of a batch of 2 = twice the cost table's per-image total");
        Map<String, Integer> calls = p.byOp().stream().collect(Collectors.toMap(OpProfile.Row::op, OpProfile.Row::calls));
        assertEquals(85, calls.get("conv2dBatchNormInference"), "one fused call per BasicConv2d: " + calls);
        assertEquals(9, calls.get("avgPool2dConv2dBatchNormInference"),
                "the nine branch pools', each with its average pool: " + calls);
        assertNull(calls.get("avgPool2d"), "no average pool outside the branch pools' calls: " + calls);
        assertNull(calls.get("conv2d"), "no convolution outside the fused block: " + calls);
        assertNull(calls.get("batchNormInference"), "no batch norm outside the fused block: " + calls);
        assertEquals(1, calls.get("matmul"), "the classifier");
        assertTrue(p.rows().stream().allMatch(r -> r.nanos() >= 0 && r.calls() > 0), p.table(100));
        assertTrue(p.opNanos() <= p.passNanos(), "calls take " + p.opNanos() + " ns of a " + p.passNanos() + " ns pass");
        for (int i = 1; i < p.rows().size(); i++) {
            assertTrue(p.rows().get(i - 1).nanos() >= p.rows().get(i).nanos(), "rows sorted by time");
        }
        OpProfile.Row stem = p.rows().stream().filter(r -> r.layers().contains("Conv2d_1a_3x3")).findFirst().orElseThrow();
        assertEquals("conv2dBatchNormInference", stem.op());
        assertEquals(2L * 37 * 37 * 16 * 3 * 3 * 3, stem.macs(), "N·Hout·Wout·Cout·Cin·kh·kw of the first convolution");
        String table = p.table(5);
        assertTrue(table.startsWith("Inception-v3 eval forward 75x75 batch 2 on " + backend.describe()), table);
        assertEquals(5, table.lines().dropWhile(l -> !l.startsWith("the 5 most expensive")).count() - 2, table);
    }

    @Test
    void aTrainingProfileHasTheBackwardAndOneCallPerFusedUpdate() {
        OpProfile p = OpProfile.of(backend, TINY, 75, 2, OpProfile.Pass.TRAIN, 1, 1);
        Map<String, Integer> calls = p.byOp().stream().collect(Collectors.toMap(OpProfile.Row::op, OpProfile.Row::calls));
        assertEquals(94, calls.get("conv2dBackwardWeight"), calls.toString());
        // Batch norm and ReLU are one call each way (the training block's fused calls): no ReLU of its own.
        assertEquals(94, calls.get("batchNormReluBackward"), calls.toString());
        assertEquals(94, calls.get("batchNormTraining"), calls.toString());
        assertEquals(null, calls.get("reluBackward"), calls.toString());
        assertEquals(1, calls.get("rmsPropUpdate"), calls.toString());
        assertEquals(1, calls.get("emaUpdate"), calls.toString());
        assertEquals(1, calls.get("read"), "a step reads its figures once: " + calls);
        // The update's row names its first and last tensors and how many, not every parameter's shape.
        String update = p.table(1000).lines().filter(l -> l.contains(" rmsPropUpdate (")).findFirst().orElseThrow();
        assertTrue(update.length() < 300 && update.contains(" tensors)"), update);
    }

    @Test
    void badSettingsAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OpProfile.of(backend, TINY, 75, 0, OpProfile.Pass.EVAL, 1, 1));
        assertEquals("profile: batch must be in [1, 4096], got 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> OpProfile.of(backend, TINY, 75, 1, OpProfile.Pass.EVAL, 1, 0));
        assertEquals("profile: warm-up must be in [0, 1000] and steps in [1, 1000], got 1 and 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> OpProfile.of(backend, TINY, 60, 1, OpProfile.Pass.EVAL, 1, 1));
        assertTrue(e.getMessage().startsWith("profile: size 60 is outside [75, 2048]"), e.getMessage());
    }
}
