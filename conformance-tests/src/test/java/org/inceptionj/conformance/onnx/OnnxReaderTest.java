package org.inceptionj.conformance.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.inceptionj.api.Shape;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The wire-format reader on messages built byte by byte with {@link ProtoWriter} (expected values
 * come from how the bytes were written, not from the reader), on malformed input, and on one real
 * node test whose contents the INDEX of the test folder states.
 */
class OnnxReaderTest {

    // ---------------------------------------------------------------- TensorProto

    @Test
    void rawFloatDataIsLittleEndianRowMajor() {
        byte[] pb = new ProtoWriter().varint(1, 2).varint(1, 3).varint(2, 1).string(8, "x")
                .bytes(9, ProtoWriter.le(1f, -2f, 0.5f, 3f, Float.NaN, -0f)).toByteArray();
        OnnxTensor t = OnnxTensor.parse(pb, "input_0.pb");
        assertEquals("x", t.name());
        assertEquals(OnnxDataType.FLOAT, t.dataType());
        assertEquals(Shape.of(2, 3), t.shape());
        assertArrayEquals(new float[] {1f, -2f, 0.5f, 3f, Float.NaN, -0f}, t.floats());
    }

    @Test
    void typedFieldsPackedAndUnpacked() {
        byte[] packed = new ProtoWriter().packedVarints(1, 2, 2).varint(2, 1).packedFloats(4, 1f, 2f, 3f, 4f).toByteArray();
        byte[] unpacked = new ProtoWriter().varint(1, 2).varint(1, 2).varint(2, 1)
                .float32(4, 1f).float32(4, 2f).float32(4, 3f).float32(4, 4f).toByteArray();
        assertArrayEquals(new float[] {1f, 2f, 3f, 4f}, OnnxTensor.parse(packed, "a.pb").floats());
        assertArrayEquals(new float[] {1f, 2f, 3f, 4f}, OnnxTensor.parse(unpacked, "b.pb").floats());

        byte[] longsPacked = new ProtoWriter().varint(1, 3).varint(2, 7).packedVarints(7, -1, 0, Long.MAX_VALUE).toByteArray();
        byte[] longsUnpacked = new ProtoWriter().varint(1, 3).varint(2, 7)
                .varint(7, -1).varint(7, 0).varint(7, Long.MAX_VALUE).toByteArray();
        byte[] longsRaw = new ProtoWriter().varint(1, 3).varint(2, 7).bytes(9, ProtoWriter.le(-1L, 0L, Long.MAX_VALUE))
                .toByteArray();
        long[] want = {-1, 0, Long.MAX_VALUE};
        assertArrayEquals(want, OnnxTensor.parse(longsPacked, "c.pb").longs());
        assertArrayEquals(want, OnnxTensor.parse(longsUnpacked, "d.pb").longs());
        assertArrayEquals(want, OnnxTensor.parse(longsRaw, "e.pb").longs());
    }

    @Test
    void scalarEmptyBoolAndOtherTypes() {
        OnnxTensor scalar = OnnxTensor.parse(new ProtoWriter().varint(2, 1).bytes(9, ProtoWriter.le(3.14f)).toByteArray(), "s.pb");
        assertEquals(0, scalar.dims().length);
        assertEquals(1, scalar.size());
        assertEquals(3.14f, scalar.floats()[0]);

        OnnxTensor empty = OnnxTensor.parse(new ProtoWriter().varint(1, 2).varint(1, 0).varint(1, 4).varint(2, 1)
                .bytes(9, new byte[0]).toByteArray(), "e.pb");
        assertEquals(Shape.of(2, 0, 4), empty.shape());
        assertEquals(0, empty.floats().length);

        OnnxTensor bool = OnnxTensor.parse(new ProtoWriter().varint(1, 3).varint(2, 9).bytes(9, new byte[] {0, 1, 7})
                .toByteArray(), "b.pb");
        assertArrayEquals(new long[] {0, 1, 1}, bool.longs());

        OnnxTensor uint8 = OnnxTensor.parse(new ProtoWriter().varint(1, 2).varint(2, 2).bytes(9, new byte[] {1, 2})
                .toByteArray(), "u.pb");
        assertEquals(OnnxDataType.UINT8, uint8.dataType());
        assertFalse(uint8.hasValues());
    }

    @Test
    void inconsistentTensorsAreRejectedNamingTheFile() {
        assertRejected("raw_data has 8 bytes", new ProtoWriter().varint(1, 3).varint(2, 1).bytes(9, ProtoWriter.le(1f, 2f)));
        assertRejected("float_data holds 1 values, dims [2] need 2", new ProtoWriter().varint(1, 2).varint(2, 1).float32(4, 1f));
        assertRejected("both in raw_data and in float_data",
                new ProtoWriter().varint(1, 1).varint(2, 1).float32(4, 1f).bytes(9, ProtoWriter.le(1f)));
        assertRejected("float_data holds 1 values but the tensor is int64", new ProtoWriter().varint(1, 1).varint(2, 7).float32(4, 1f));
        assertRejected("data_type (field 2) is missing", new ProtoWriter().varint(1, 1).bytes(9, ProtoWriter.le(1f)));
        assertRejected("unknown data_type 99", new ProtoWriter().varint(2, 99));
        assertRejected("dimension 0 is -3", new ProtoWriter().varint(1, -3).varint(2, 1));
        assertRejected("no data", new ProtoWriter().varint(1, 1).varint(2, 1), "float_data holds 0 values");
        assertRejected("more than", new ProtoWriter().varint(1, 1L << 20).varint(1, 1L << 20).varint(2, 1));
    }

    private static void assertRejected(String what, ProtoWriter w) {
        assertRejected(what, w, what);
    }

    private static void assertRejected(String what, ProtoWriter w, String messagePart) {
        OnnxFormatException e = assertThrows(OnnxFormatException.class,
                () -> OnnxTensor.parse(w.toByteArray(), "test_x/test_data_set_0/input_0.pb"), what);
        assertTrue(e.getMessage().startsWith("test_x/test_data_set_0/input_0.pb: TensorProto"), e.getMessage());
        assertTrue(e.getMessage().contains(messagePart), e.getMessage());
    }

    // ---------------------------------------------------------------- wire format errors

    @Test
    void malformedWireFormatIsRejectedWithOffset() {
        // 0x0A = field 1, LEN; length 5 but only 2 bytes follow
        assertWire("length 5 runs past the end", new byte[] {0x0A, 5, 1, 2});
        // field 1 varint whose continuation bit is set on the last byte
        assertWire("truncated varint", new byte[] {0x08, (byte) 0x80, (byte) 0x80});
        // 11 continuation bytes: longer than 64 bits
        byte[] longVarint = new byte[12];
        longVarint[0] = 0x08;
        Arrays.fill(longVarint, 1, 12, (byte) 0xFF);
        assertWire("varint longer than 64 bits", longVarint);
        assertWire("invalid field number 0", new byte[] {0x00, 1});
        assertWire("group wire type 3", new byte[] {0x0B});
        assertWire("invalid wire type 7", new byte[] {0x0F});
        // dims (field 1) written as fixed32: the wrong wire type for an int64
        assertWire("has wire type 5, expected 0", new byte[] {0x0D, 0, 0, 0, 0});
        // name (field 8) with invalid UTF-8
        assertWire("not valid UTF-8", new byte[] {0x42, 1, (byte) 0xFF});
        // packed floats whose byte count is not a multiple of 4
        assertWire("not a multiple of 4", new byte[] {0x10, 1, 0x22, 3, 0, 0, 0});
    }

    private static void assertWire(String messagePart, byte[] bytes) {
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> OnnxTensor.parse(bytes, "bad.pb"));
        assertTrue(e.getMessage().startsWith("bad.pb: TensorProto"), e.getMessage());
        assertTrue(e.getMessage().contains(messagePart), e.getMessage());
    }

    // ---------------------------------------------------------------- ModelProto

    /** A Conv model as onnx's helper writes it: ints unpacked, negative values as 10-byte varints. */
    private static ProtoWriter convModel(boolean packedInts, boolean typed) {
        ProtoWriter strides = new ProtoWriter().string(1, "strides");
        if (packedInts) {
            strides.packedVarints(8, 2, 2);
        } else {
            strides.varint(8, 2).varint(8, 2);
        }
        if (typed) {
            strides.varint(20, 7);
        }
        ProtoWriter axis = new ProtoWriter().string(1, "axis").varint(3, -1);
        ProtoWriter alpha = new ProtoWriter().string(1, "alpha").float32(2, 0.25f);
        ProtoWriter pad = new ProtoWriter().string(1, "auto_pad").string(4, "SAME_LOWER");
        ProtoWriter scales = new ProtoWriter().string(1, "scales").packedFloats(7, 1.5f, -2f);
        if (typed) {
            axis.varint(20, 2);
            alpha.varint(20, 1);
            pad.varint(20, 3);
            scales.varint(20, 6);
        }
        ProtoWriter node = new ProtoWriter().string(1, "x").string(1, "").string(1, "W").string(2, "y")
                .string(3, "conv0").string(4, "Conv")
                .message(5, strides).message(5, axis).message(5, alpha).message(5, pad).message(5, scales);
        ProtoWriter dim = new ProtoWriter().varint(1, 5);
        ProtoWriter symbolic = new ProtoWriter().string(2, "N");
        ProtoWriter shape = new ProtoWriter().message(1, symbolic).message(1, dim);
        ProtoWriter tensorType = new ProtoWriter().varint(1, 1).message(2, shape);
        ProtoWriter input = new ProtoWriter().string(1, "x").message(2, new ProtoWriter().message(1, tensorType));
        ProtoWriter weight = new ProtoWriter().string(1, "W");
        ProtoWriter output = new ProtoWriter().string(1, "y");
        ProtoWriter graph = new ProtoWriter().message(1, node).string(2, "g").message(11, input).message(11, weight)
                .message(12, output);
        return new ProtoWriter().varint(1, 8).string(2, "test").message(7, graph)
                .message(8, new ProtoWriter().string(1, "").varint(2, 22))
                .message(8, new ProtoWriter().string(1, "com.example").varint(2, 3));
    }

    @Test
    void modelNodeAttributesAndOpsets() {
        for (boolean packed : new boolean[] {false, true}) {
            for (boolean typed : new boolean[] {false, true}) {
                OnnxModel m = OnnxModel.parse(convModel(packed, typed).toByteArray(), "model.onnx");
                assertEquals(8, m.irVersion());
                assertEquals(22, m.opset(""));
                assertEquals(22, m.opset("ai.onnx"));
                assertEquals(3, m.opset("com.example"));
                assertEquals(-1, m.opset("other"));
                OnnxNode n = m.singleNode();
                assertEquals("Conv", n.opType());
                assertEquals("conv0", n.name());
                assertEquals(List.of("x", "", "W"), n.inputs());
                assertFalse(n.hasInput(1));
                assertTrue(n.hasInput(2));
                assertFalse(n.hasInput(3));
                assertEquals(List.of("y"), n.outputs());
                assertArrayEquals(new long[] {2, 2}, n.attrInts("strides", null));
                assertEquals(-1, n.attrInt("axis", 0));
                assertEquals(0.25f, n.attrFloat("alpha", 1f));
                assertEquals("SAME_LOWER", n.attrString("auto_pad", "NOTSET"));
                assertArrayEquals(new float[] {1.5f, -2f}, n.attrFloats("scales", null));
                assertEquals(7, n.attrInt("group", 7));
                assertNull(n.attrInts("pads", null));
                assertEquals(List.of("x", "W"), m.inputs().stream().map(OnnxModel.ValueInfo::name).toList());
                assertEquals(OnnxDataType.FLOAT, m.inputs().get(0).elemType());
                assertArrayEquals(new long[] {-1, 5}, m.inputs().get(0).dims());
                assertNull(m.inputs().get(1).elemType());
                assertEquals("y", m.outputs().get(0).name());
            }
        }
    }

    @Test
    void attributeOfTheWrongTypeIsRejected() {
        OnnxNode n = OnnxModel.parse(convModel(false, true).toByteArray(), "model.onnx").singleNode();
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> n.attrInt("strides", 1));
        assertTrue(e.getMessage().contains("'strides' is INTS"), e.getMessage());
    }

    @Test
    void malformedModelsAreRejectedNamingTheFile() {
        ProtoWriter dupAttr = new ProtoWriter().string(4, "Relu")
                .message(5, new ProtoWriter().string(1, "a").varint(3, 1).varint(20, 2))
                .message(5, new ProtoWriter().string(1, "a").varint(3, 2).varint(20, 2));
        assertModelRejected("attribute 'a' is given twice", new ProtoWriter().message(7, new ProtoWriter().message(1, dupAttr)));
        assertModelRejected("node without op_type", new ProtoWriter().message(7, new ProtoWriter().message(1, new ProtoWriter())));
        assertModelRejected("no graph", new ProtoWriter().varint(1, 8));
        assertModelRejected("has no valid version", new ProtoWriter().message(7, new ProtoWriter())
                .message(8, new ProtoWriter().string(1, "")));
        assertModelRejected("neither a type nor a value", new ProtoWriter().message(7, new ProtoWriter()
                .message(1, new ProtoWriter().string(4, "Relu").message(5, new ProtoWriter().string(1, "a")))));
        OnnxFormatException e = assertThrows(OnnxFormatException.class,
                () -> OnnxModel.parse(new ProtoWriter().message(7, new ProtoWriter()).toByteArray(), "model.onnx").singleNode());
        assertTrue(e.getMessage().contains("model.onnx: a node test has exactly one node, this graph has 0"), e.getMessage());
    }

    private static void assertModelRejected(String messagePart, ProtoWriter w) {
        OnnxFormatException e = assertThrows(OnnxFormatException.class,
                () -> OnnxModel.parse(w.toByteArray(), "test_y/model.onnx"));
        assertTrue(e.getMessage().startsWith("test_y/model.onnx: ModelProto"), e.getMessage());
        assertTrue(e.getMessage().contains(messagePart), e.getMessage());
    }

    /**
     * A truncated or corrupted model either still parses (protobuf has no end marker, so a cut
     * between fields is a shorter valid message) or throws {@link OnnxFormatException}; never an
     * index or arithmetic exception from inside the reader.
     */
    @Property(tries = 200)
    void corruptModelsFailOnlyWithFormatErrors(@ForAll @IntRange(min = 0, max = 400) int cut,
                                               @ForAll @IntRange(min = 0, max = 400) int flipAt,
                                               @ForAll @IntRange(min = 0, max = 255) int flipTo) {
        byte[] good = convModel(flipTo % 2 == 0, flipTo % 3 == 0).toByteArray();
        byte[] bad = Arrays.copyOf(good, Math.min(cut, good.length));
        if (bad.length > 0) {
            bad[flipAt % bad.length] = (byte) flipTo;
        }
        try {
            OnnxModel.parse(bad, "model.onnx");
        } catch (OnnxFormatException | OnnxUnsupportedException e) {
            assertTrue(e.getMessage().startsWith("model.onnx"), e.getMessage());
        }
    }

    // ---------------------------------------------------------------- a real node test

    /** test_conv_with_strides_and_asymmetric_padding as the INDEX of the node tests describes it. */
    @Test
    void readsARealNodeTest() {
        OnnxNodeConformance.Located where = OnnxNodeConformance.locate();
        Assumptions.assumeTrue(where.dir().isPresent(), where::explanation);
        Path dir = where.dir().get().resolve("test_conv_with_strides_and_asymmetric_padding");
        Assumptions.assumeTrue(Files.isDirectory(dir), "no " + dir.getFileName());
        OnnxNodeCase c = OnnxNodeCase.load(dir);
        OnnxNode n = c.model().singleNode();
        assertEquals("Conv", n.opType());
        assertEquals(22, c.model().opset(""));
        assertArrayEquals(new long[] {3, 3}, n.attrInts("kernel_shape", null));
        assertArrayEquals(new long[] {1, 0, 1, 0}, n.attrInts("pads", null));
        assertArrayEquals(new long[] {2, 2}, n.attrInts("strides", null));
        assertEquals(1, c.dataSets().size());
        OnnxNodeCase.DataSet set = c.dataSets().get(0);
        assertEquals(Shape.of(1, 1, 7, 5), set.inputs().get(0).shape());
        assertEquals(Shape.of(1, 1, 3, 3), set.inputs().get(1).shape());
        assertEquals(Shape.of(1, 1, 4, 2), set.outputs().get(0).shape());
        assertEquals("x", set.inputs().get(0).name());
        assertEquals("W", set.inputs().get(1).name());
        assertEquals("y", set.outputs().get(0).name());
    }
}
