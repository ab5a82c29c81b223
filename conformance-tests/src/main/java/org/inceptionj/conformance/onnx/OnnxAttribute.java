package org.inceptionj.conformance.onnx;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A parsed ONNX {@code AttributeProto}: a named constant on a node (Conv's {@code strides},
 * Softmax's {@code axis}, ...).
 *
 * <p>Fields read (onnx.proto numbers): name=1, f=2, i=3, s=4, t=5, floats=7, ints=8, strings=9,
 * type=20, ref_attr_name=21. Repeated numbers may be packed or unpacked. When {@code type} is
 * absent (files older than IR version 2) it is inferred from the one value field that is set.
 * Graph, sparse-tensor and type-proto values are recognised by type but not kept.
 *
 * @param name    the attribute name
 * @param type    AttributeType of onnx.proto
 * @param f       value of a FLOAT attribute
 * @param i       value of an INT attribute
 * @param s       value of a STRING attribute, decoded as UTF-8 (ONNX strings such as
 *                {@code auto_pad} are ASCII)
 * @param t       value of a TENSOR attribute, or null
 * @param floats  values of a FLOATS attribute
 * @param ints    values of an INTS attribute
 * @param strings values of a STRINGS attribute
 */
public record OnnxAttribute(String name, Type type, float f, long i, String s, OnnxTensor t,
                            float[] floats, long[] ints, List<String> strings) {

    /** {@code AttributeProto.AttributeType}. */
    public enum Type {
        UNDEFINED(0), FLOAT(1), INT(2), STRING(3), TENSOR(4), GRAPH(5), FLOATS(6), INTS(7), STRINGS(8),
        TENSORS(9), GRAPHS(10), SPARSE_TENSOR(11), SPARSE_TENSORS(12), TYPE_PROTO(13), TYPE_PROTOS(14);

        private final int code;

        Type(int code) {
            this.code = code;
        }

        static Type ofCode(int code) {
            for (Type t : values()) {
                if (t.code == code) {
                    return t;
                }
            }
            return null;
        }
    }

    public OnnxAttribute {
        floats = floats.clone();
        ints = ints.clone();
        strings = List.copyOf(strings);
    }

    @Override
    public float[] floats() {
        return floats.clone();
    }

    @Override
    public long[] ints() {
        return ints.clone();
    }

    static OnnxAttribute parse(ProtoReader r) {
        String name = null;
        int typeCode = 0;
        float f = 0f;
        long i = 0;
        String s = null;
        OnnxTensor t = null;
        ProtoReader.FloatList floats = new ProtoReader.FloatList();
        ProtoReader.LongList ints = new ProtoReader.LongList();
        List<String> strings = new ArrayList<>();
        boolean hasF = false, hasI = false, hasG = false;
        String ref = null;
        while (r.next()) {
            switch (r.field()) {
                case 1 -> name = r.string("name");
                case 2 -> {
                    f = r.float32("f");
                    hasF = true;
                }
                case 3 -> {
                    i = r.int64("i");
                    hasI = true;
                }
                case 4 -> s = r.string("s");
                case 5 -> t = OnnxTensor.parse(r.message("t"));
                case 6 -> {
                    hasG = true;
                    r.skip();
                }
                case 7 -> r.float32s("floats", floats);
                case 8 -> r.int64s("ints", ints);
                case 9 -> strings.add(r.string("strings"));
                case 20 -> typeCode = r.int32("type");
                case 21 -> ref = r.string("ref_attr_name");
                default -> r.skip();
            }
        }
        if (name == null || name.isEmpty()) {
            throw r.error("attribute without a name");
        }
        if (ref != null && !ref.isEmpty()) {
            throw new OnnxUnsupportedException(r.where() + ": attribute '" + name + "' refers to function attribute '"
                    + ref + "', which only a function body may do");
        }
        Type type = Type.ofCode(typeCode);
        if (type == null) {
            throw r.error("attribute '" + name + "' has unknown type " + typeCode);
        }
        if (type == Type.UNDEFINED) {
            // IR version 1 had no type field: the one value that is set decides it.
            type = hasF ? Type.FLOAT : hasI ? Type.INT : s != null ? Type.STRING : t != null ? Type.TENSOR
                    : hasG ? Type.GRAPH : floats.size() > 0 ? Type.FLOATS : ints.size() > 0 ? Type.INTS
                    : !strings.isEmpty() ? Type.STRINGS : null;
            if (type == null) {
                throw r.error("attribute '" + name + "' has neither a type nor a value");
            }
        }
        if (type == Type.TENSOR && t == null) {
            throw r.error("attribute '" + name + "' is a TENSOR but has no t (field 5)");
        }
        return new OnnxAttribute(name, type, f, i, s == null ? "" : s, t, floats.toArray(), ints.toArray(), strings);
    }

    /** {@code strides=[2,2]}, {@code auto_pad=SAME_UPPER}: the form the INDEX uses. */
    @Override
    public String toString() {
        String v = switch (type) {
            case FLOAT -> Float.toString(f);
            case INT -> Long.toString(i);
            case STRING -> s;
            case FLOATS -> Arrays.toString(floats).replace(" ", "");
            case INTS -> Arrays.toString(ints).replace(" ", "");
            case STRINGS -> strings.toString();
            case TENSOR -> String.valueOf(t);
            default -> type.name();
        };
        return name + "=" + v;
    }
}
