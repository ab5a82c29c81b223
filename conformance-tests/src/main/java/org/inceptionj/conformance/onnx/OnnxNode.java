package org.inceptionj.conformance.onnx;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed ONNX {@code NodeProto}: one operator application.
 *
 * <p>Fields read (onnx.proto numbers): input=1, output=2, name=3, op_type=4, attribute=5,
 * domain=7. An input or output name may be the empty string: an optional slot left out (Clip with
 * inputs {@code ["x", "", "max"]}); trailing optional slots may also be absent from the list.
 *
 * @param opType     the operator, e.g. {@code Conv}
 * @param domain     the operator set domain; "" is the default {@code ai.onnx}
 * @param name       the node name (may be empty)
 * @param inputs     input value names in slot order
 * @param outputs    output value names in slot order
 * @param attributes attributes by name, in file order
 */
public record OnnxNode(String opType, String domain, String name, List<String> inputs, List<String> outputs,
                       Map<String, OnnxAttribute> attributes) {

    public OnnxNode {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        attributes = Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
    }

    static OnnxNode parse(ProtoReader r) {
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        Map<String, OnnxAttribute> attributes = new LinkedHashMap<>();
        String opType = null, domain = "", name = "";
        while (r.next()) {
            switch (r.field()) {
                case 1 -> inputs.add(r.string("input"));
                case 2 -> outputs.add(r.string("output"));
                case 3 -> name = r.string("name");
                case 4 -> opType = r.string("op_type");
                case 5 -> {
                    OnnxAttribute a = OnnxAttribute.parse(r.message("attribute[" + attributes.size() + "]"));
                    if (attributes.putIfAbsent(a.name(), a) != null) {
                        throw r.error("attribute '" + a.name() + "' is given twice");
                    }
                }
                case 7 -> domain = r.string("domain");
                default -> r.skip();
            }
        }
        if (opType == null || opType.isEmpty()) {
            throw r.error("node without op_type");
        }
        return new OnnxNode(opType, domain, name, inputs, outputs, attributes);
    }

    /** The domain with {@code ai.onnx} written as "", so both spellings of the default compare equal. */
    public String canonicalDomain() {
        return "ai.onnx".equals(domain) ? "" : domain;
    }

    /** The input name in slot {@code i}, or "" if that optional slot is left out. */
    public String input(int i) {
        return i < inputs.size() ? inputs.get(i) : "";
    }

    /** Whether optional input slot {@code i} is given. */
    public boolean hasInput(int i) {
        return !input(i).isEmpty();
    }

    /** Whether optional output slot {@code j} is requested. */
    public boolean hasOutput(int j) {
        return j < outputs.size() && !outputs.get(j).isEmpty();
    }

    public boolean has(String attribute) {
        return attributes.containsKey(attribute);
    }

    /** An INT attribute, or {@code otherwise} if absent. */
    public long attrInt(String attribute, long otherwise) {
        OnnxAttribute a = typed(attribute, OnnxAttribute.Type.INT);
        return a == null ? otherwise : a.i();
    }

    /** A FLOAT attribute, or {@code otherwise} if absent. */
    public float attrFloat(String attribute, float otherwise) {
        OnnxAttribute a = typed(attribute, OnnxAttribute.Type.FLOAT);
        return a == null ? otherwise : a.f();
    }

    /** A STRING attribute, or {@code otherwise} if absent. */
    public String attrString(String attribute, String otherwise) {
        OnnxAttribute a = typed(attribute, OnnxAttribute.Type.STRING);
        return a == null ? otherwise : a.s();
    }

    /** An INTS attribute, or {@code otherwise} (may be null) if absent. */
    public long[] attrInts(String attribute, long[] otherwise) {
        OnnxAttribute a = typed(attribute, OnnxAttribute.Type.INTS);
        return a == null ? otherwise : a.ints();
    }

    /** A FLOATS attribute, or {@code otherwise} (may be null) if absent. */
    public float[] attrFloats(String attribute, float[] otherwise) {
        OnnxAttribute a = typed(attribute, OnnxAttribute.Type.FLOATS);
        return a == null ? otherwise : a.floats();
    }

    private OnnxAttribute typed(String attribute, OnnxAttribute.Type type) {
        OnnxAttribute a = attributes.get(attribute);
        if (a != null && a.type() != type) {
            throw new OnnxFormatException(opType + " node: attribute '" + attribute + "' is " + a.type() + ", the operator takes "
                    + type);
        }
        return a;
    }

    /** {@code Conv(x, W) -> (y) [kernel_shape=[3,3], pads=[1,1,1,1]]}. */
    @Override
    public String toString() {
        return opType + "(" + String.join(", ", inputs) + ") -> (" + String.join(", ", outputs) + ")"
                + (attributes.isEmpty() ? "" : " " + attributes.values());
    }
}
