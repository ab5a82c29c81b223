package org.inceptionj.conformance.onnx;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed ONNX {@code ModelProto}, read as far as a node test needs: the operator set imports,
 * and the graph's nodes, initializers, inputs and outputs.
 *
 * <p>Path through onnx.proto (field numbers): ModelProto ir_version=1, graph=7,
 * opset_import=8 (OperatorSetIdProto domain=1, version=2); GraphProto node=1, initializer=5,
 * input=11, output=12; ValueInfoProto name=1, type=2; TypeProto tensor_type=1; Tensor elem_type=1,
 * shape=2; TensorShapeProto dim=1; Dimension dim_value=1, dim_param=2. Everything else is skipped.
 *
 * @param source       the file, for messages
 * @param irVersion    ModelProto.ir_version
 * @param opsetImports operator set version per domain ("" = ai.onnx)
 * @param nodes        the graph's nodes in order
 * @param initializers constant tensors of the graph
 * @param inputs       graph inputs in order ({@code input_<i>.pb} belongs to the i-th)
 * @param outputs      graph outputs in order ({@code output_<j>.pb} belongs to the j-th)
 */
public record OnnxModel(String source, long irVersion, Map<String, Long> opsetImports, List<OnnxNode> nodes,
                        List<OnnxTensor> initializers, List<ValueInfo> inputs, List<ValueInfo> outputs) {

    /**
     * A graph input or output declaration.
     *
     * @param name     the value name
     * @param elemType the tensor element type, or null when the value is not a tensor (sequence, map, optional)
     * @param dims     the declared shape, -1 for a symbolic or unknown dimension; null when no shape is declared
     */
    public record ValueInfo(String name, OnnxDataType elemType, long[] dims) {
        @Override
        public String toString() {
            return name + ": " + (elemType == null ? "non-tensor" : elemType.displayName())
                    + (dims == null ? "" : Arrays.toString(dims).replace(" ", ""));
        }
    }

    public OnnxModel {
        opsetImports = Map.copyOf(opsetImports);
        nodes = List.copyOf(nodes);
        initializers = List.copyOf(initializers);
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
    }

    /** Reads a {@code model.onnx} file. */
    public static OnnxModel read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read ONNX model " + file + ": " + e.getMessage(), e);
        }
        return parse(bytes, file.toString());
    }

    /** Parses a serialized ModelProto; {@code source} names it in errors. */
    public static OnnxModel parse(byte[] bytes, String source) {
        ProtoReader r = new ProtoReader(bytes, source + ": ModelProto");
        long irVersion = 0;
        Map<String, Long> opsets = new LinkedHashMap<>();
        List<OnnxNode> nodes = new ArrayList<>();
        List<OnnxTensor> initializers = new ArrayList<>();
        List<ValueInfo> inputs = new ArrayList<>();
        List<ValueInfo> outputs = new ArrayList<>();
        boolean hasGraph = false;
        while (r.next()) {
            switch (r.field()) {
                case 1 -> irVersion = r.int64("ir_version");
                case 7 -> {
                    if (hasGraph) {
                        throw r.error("graph (field 7) is given twice");
                    }
                    hasGraph = true;
                    parseGraph(r.message("graph"), nodes, initializers, inputs, outputs);
                }
                case 8 -> {
                    ProtoReader o = r.message("opset_import[" + opsets.size() + "]");
                    String domain = "";
                    long version = -1;
                    while (o.next()) {
                        switch (o.field()) {
                            case 1 -> domain = o.string("domain");
                            case 2 -> version = o.int64("version");
                            default -> o.skip();
                        }
                    }
                    if (version < 1) {
                        throw o.error("opset_import for domain '" + domain + "' has no valid version (" + version + ")");
                    }
                    String d = "ai.onnx".equals(domain) ? "" : domain;
                    if (opsets.putIfAbsent(d, version) != null) {
                        throw o.error("domain '" + domain + "' is imported twice");
                    }
                }
                default -> r.skip();
            }
        }
        if (!hasGraph) {
            throw r.error("no graph (field 7): not an ONNX model");
        }
        return new OnnxModel(source, irVersion, opsets, nodes, initializers, inputs, outputs);
    }

    private static void parseGraph(ProtoReader g, List<OnnxNode> nodes, List<OnnxTensor> initializers,
                                   List<ValueInfo> inputs, List<ValueInfo> outputs) {
        while (g.next()) {
            switch (g.field()) {
                case 1 -> nodes.add(OnnxNode.parse(g.message("node[" + nodes.size() + "]")));
                case 5 -> initializers.add(OnnxTensor.parse(g.message("initializer[" + initializers.size() + "]")));
                case 11 -> inputs.add(parseValueInfo(g.message("input[" + inputs.size() + "]")));
                case 12 -> outputs.add(parseValueInfo(g.message("output[" + outputs.size() + "]")));
                default -> g.skip();
            }
        }
    }

    private static ValueInfo parseValueInfo(ProtoReader v) {
        String name = null;
        OnnxDataType elemType = null;
        long[] dims = null;
        while (v.next()) {
            switch (v.field()) {
                case 1 -> name = v.string("name");
                case 2 -> {
                    ProtoReader type = v.message("type");
                    while (type.next()) {
                        if (type.field() != 1) { // only tensor_type; sequence/map/optional stay null
                            type.skip();
                            continue;
                        }
                        ProtoReader tensor = type.message("tensor_type");
                        elemType = OnnxDataType.UNDEFINED;
                        while (tensor.next()) {
                            switch (tensor.field()) {
                                case 1 -> {
                                    int code = tensor.int32("elem_type");
                                    elemType = OnnxDataType.ofCode(code);
                                    if (elemType == null) {
                                        throw tensor.error("unknown elem_type " + code);
                                    }
                                }
                                case 2 -> dims = parseShape(tensor.message("shape"));
                                default -> tensor.skip();
                            }
                        }
                    }
                }
                default -> v.skip();
            }
        }
        if (name == null) {
            throw v.error("value without a name");
        }
        return new ValueInfo(name, elemType, dims);
    }

    private static long[] parseShape(ProtoReader s) {
        ProtoReader.LongList dims = new ProtoReader.LongList();
        while (s.next()) {
            if (s.field() != 1) {
                s.skip();
                continue;
            }
            ProtoReader d = s.message("dim[" + dims.size() + "]");
            long value = -1;
            while (d.next()) {
                if (d.field() == 1) {
                    value = d.int64("dim_value");
                } else {
                    d.skip(); // dim_param (a symbolic name) or denotation
                }
            }
            dims.add(value);
        }
        return dims.toArray();
    }

    /** The opset of {@code domain} ("" or "ai.onnx" for the default), or -1 if the model does not import it. */
    public long opset(String domain) {
        Long v = opsetImports.get("ai.onnx".equals(domain) ? "" : domain);
        return v == null ? -1 : v;
    }

    /** The one node of a node-test model. */
    public OnnxNode singleNode() {
        if (nodes.size() != 1) {
            throw new OnnxFormatException(source + ": a node test has exactly one node, this graph has " + nodes.size());
        }
        return nodes.get(0);
    }
}
