package org.inceptionj.inception.cost;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.inceptionj.api.BinaryOp;
import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Ops;
import org.inceptionj.api.RandomStream;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.inception.InceptionV3;
import org.junit.jupiter.api.Test;

/** The recorder: what one call records, that it holds no values, and the calls of a whole forward. */
class ShapeBackendTest {

    @Test
    void recordsEachCallWithItsTensorsSettingsAndMultiplyAdds() {
        ShapeBackend be = new ShapeBackend();
        try (TensorScope s = TensorScope.open()) {
            Tensor x = Ops.zeros(be, Shape.of(2, 3, 9, 9));
            Tensor w = Ops.zeros(be, Shape.of(4, 3, 3, 3));
            Conv2dSpec spec = Conv2dSpec.of(2, 1);
            Tensor y = Ops.relu(Ops.conv2d(x, w, null, spec));                 // [2,4,5,5]
            Tensor a = Ops.zeros(be, Shape.of(5, 7));
            Tensor fc = Ops.zeros(be, Shape.of(3, 7));
            Tensor bias = Ops.zeros(be, Shape.of(3));
            Ops.linear(a, fc, bias);                                           // matmul a·fcᵀ, then + bias
            List<ShapeBackend.Call> calls = be.calls();
            assertEquals(List.of("conv2d", "unary", "matmul", "binary"), calls.stream().map(ShapeBackend.Call::op).toList());

            ShapeBackend.Call conv = calls.get(0);
            assertEquals(Shape.of(2, 4, 5, 5), conv.output());
            assertSame(x, conv.inputs().get(0));
            assertSame(w, conv.inputs().get(1));
            assertEquals(2, conv.inputs().size(), "the absent bias is left out");
            assertSame(spec, conv.spec());
            assertEquals(2L * 4 * 5 * 5 * 3 * 3 * 3, conv.macs(), "N·Hout·Wout·Cout·Cin·kh·kw");
            assertEquals(0L, calls.get(1).macs(), "ReLU is free");
            assertSame(y, calls.get(1).outputs().getFirst());

            ShapeBackend.Call mm = calls.get(2);
            assertEquals(new ShapeBackend.Transposes(false, true), mm.spec());
            assertEquals(5L * 3 * 7, mm.macs(), "M·N·K");
            assertEquals(BinaryOp.ADD, calls.get(3).spec());
            assertSame(bias, calls.get(3).inputs().get(1));
            assertEquals(0L, calls.get(3).macs(), "the bias add is free");
            assertEquals(1, be.count("matmul"));
            assertEquals(8, be.allocations(), "x, w, the conv and ReLU outputs, a, fc, bias, and the linear output"
                    + " (its bias add is in place)");
        }
    }

    /** What a replay of the calls needs beyond the shapes (the ONNX export): affine's scalars, slice's start, BN's ε. */
    @Test
    void recordsTheScalarsOfAffineSliceAndBatchNorm() {
        ShapeBackend be = new ShapeBackend();
        try (TensorScope s = TensorScope.open()) {
            Tensor x = Ops.zeros(be, Shape.of(2, 3, 4, 4));
            Ops.affine(Ops.slice(x, 1, 2, 1), 0.5f, -0.25f);
            Tensor c = Ops.zeros(be, Shape.of(3));
            Ops.batchNorm(x, c, c, c, c, 0.001f);
            List<ShapeBackend.Call> calls = be.calls().stream().filter(k -> !k.op().equals("fill")).toList();
            assertEquals(List.of("slice", "affine", "batchNormInference"), calls.stream().map(ShapeBackend.Call::op).toList());
            assertEquals(new ShapeBackend.Slice(1, 2), calls.get(0).spec());
            assertEquals(new ShapeBackend.Affine(0.5f, -0.25f), calls.get(1).spec());
            assertEquals(0.001f, calls.get(2).spec());
        }
    }

    @Test
    void holdsNoValuesAndAccountsForItsBytes() {
        ShapeBackend be = new ShapeBackend();
        Tensor t = Ops.uniform(be, Shape.of(2, 5), 7, -1f, 1f);
        assertEquals(RandomStream.Distribution.UNIFORM, be.calls().getFirst().spec());
        assertEquals(40L, be.liveBytes());
        assertArrayEquals(new float[10], t.toArray(), "every value reads as zero");
        assertEquals(1, be.count("read"), "and the read is on the record");
        t.close();
        assertEquals(0L, be.liveBytes());
        be.clear();
        assertEquals(0, be.calls().size());
        assertEquals(0L, be.allocations());
    }

    /**
     * One evaluation forward of the published network at 299: 314 backend calls, 3 per BasicConv2d
     * (conv, BN, ReLU) × 94, the pools and concatenations of the blocks, and the head. None reads a value,
     * the convolutions and fc add up to the published 5,713,216,096 multiply-adds, and nothing leaks.
     */
    @Test
    void countsTheCallsOfOneEvaluationForward() {
        ShapeBackend be = new ShapeBackend();
        try (InceptionV3 m = new InceptionV3(be, InceptionV3.Config.torchvision(), 1)) {
            be.clear();
            try (TensorScope s = TensorScope.open()) {
                m.forward(Ops.zeros(be, Shape.of(1, 3, 299, 299)), InceptionV3.Mode.EVAL);
            }
            Map<String, Integer> byOp = new TreeMap<>();
            long macs = 0;
            for (ShapeBackend.Call c : be.calls()) {
                byOp.merge(c.op(), 1, Integer::sum);
                macs += c.macs();
            }
            assertEquals(Map.of(
                    "conv2d", 94, "batchNormInference", 94, "unary", 94,       // every BasicConv2d: conv, BN, ReLU
                    "maxPool2d", 4,                                            // maxpool1, maxpool2, Mixed_6a, Mixed_7a
                    "avgPool2d", 9,                                            // the pool branch of 5b–5d, 6b–6e, 7b, 7c
                    "concat", 15,                                              // one per block, two more in 7b and 7c
                    "reduce", 1, "copy", 1, "matmul", 1, "binary", 1), byOp);  // avgpool, flatten, fc and its bias
            assertEquals(314, be.calls().size());
            assertEquals(5_713_216_096L, macs);
            assertEquals(0, be.count("read"), "the forward never looks at a value");
        }
        assertEquals(0L, be.liveBytes(), "every tensor of the forward and the model is closed");
    }

    /** Training adds the aux head (avg pool, 2 × conv/BN/ReLU, avg, flatten, fc, bias: 11 calls) and dropout. */
    @Test
    void countsTheCallsOfOneTrainingForward() {
        ShapeBackend be = new ShapeBackend();
        try (InceptionV3 m = new InceptionV3(be, InceptionV3.Config.torchvision(), 1);
             TensorScope s = TensorScope.open()) {
            be.clear();
            m.forward(Ops.zeros(be, Shape.of(1, 3, 299, 299)), InceptionV3.Mode.TRAIN);
            assertEquals(314 + 11 + 1, be.calls().size());
            assertEquals(96, be.count("batchNormTraining"));
            assertEquals(0, be.count("batchNormInference"));
            assertEquals(1, be.count("dropout"));
        }
    }
}
