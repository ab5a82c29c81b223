package org.inceptionj.inception.onnx;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.inceptionj.api.BinaryOp;
import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.ReduceOp;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.api.UnaryOp;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.cost.ShapeBackend;
import org.inceptionj.inception.io.SafeTensors;

/**
 * Writes a model's evaluation forward as an ONNX file (opset {@value #OPSET}, IR version
 * {@value #IR_VERSION}) that ONNX Runtime and other ONNX engines run.
 *
 * <p>How. The graph is not written by hand beside the model, where it could drift from it: a twin of
 * the model (same {@link InceptionV3.Config}) runs its own evaluation forward on a {@link ShapeBackend},
 * which records every backend call with its tensors and settings, and each call becomes ONNX nodes.
 * Which parameter a call reads is known by identity (the twin's {@code Parameters} name each tensor);
 * the values are then taken from {@code model}, under the same names. So every preset, width,
 * stem and {@code transform_input} exports exactly as it runs.
 *
 * <p>What the file holds. One input {@code input} [N, 3, S, S] (float, N a symbolic batch dimension
 * {@code "N"}, S the exported side), one output {@code logits} [N, K]. Every convolution followed only by
 * its batch norm is one {@code Conv} whose weight and bias hold the batch norm, folded in double
 * precision: with s = γ/√(σ² + ε), W′ = W·s (per output channel) and b′ = β − μ·s; then {@code Relu},
 * {@code MaxPool}, {@code AveragePool} (with {@code count_include_pad} as the preset pools: 1 for
 * torchvision, 0 for TF-slim), {@code Concat}, {@code GlobalAveragePool}, {@code Flatten} and {@code Gemm}
 * (fc, transB = 1); {@code transform_input} becomes {@code Slice}, {@code Mul}, {@code Add} and {@code Concat}.
 * Weights are initializers (raw little-endian float32), named after the layer
 * ({@code Mixed_5b.branch1x1.weight}, {@code fc.weight}). Not exported: the aux head and dropout, which
 * evaluation does not run.
 *
 * <p>The protobuf is written by {@link Proto}, field numbers from {@code onnx.proto}; the file streams out
 * (protobuf's 2 GB message limit is far away: the full model is about 95 MB).
 */
public final class OnnxExport {
    /** The operator set: ONNX Runtime 1.12 and later run it; every op used here has had this form since opset 13. */
    public static final int OPSET = 17;
    /** The IR version that goes with opset 17 (ONNX 1.12). */
    public static final long IR_VERSION = 8;
    /** The graph's input and output names. */
    public static final String INPUT = "input";
    public static final String OUTPUT = "logits";

    /**
     * What was written.
     *
     * @param file         the file
     * @param bytes        its size
     * @param nodes        node count
     * @param initializers initializer count
     * @param parameters   float values stored as initializers
     * @param ops          how many nodes of each op type, sorted by name
     */
    public record Result(Path file, long bytes, int nodes, int initializers, long parameters, Map<String, Integer> ops) {
    }

    private OnnxExport() {
    }

    /**
     * Writes {@code model} (its evaluation forward at a square input side {@code side}) to {@code file}.
     * Atomic: the bytes go to {@code <name>.<pid>.<nanos>.tmp} beside it, which then replaces the target
     * (temporary files of dead writers are removed first, as {@link SafeTensors#write} does). Reads the
     * model's parameters; mutates nothing.
     *
     * @param side      the input side, at least {@code model.config().minInput(false)} and at most
     *                  {@value InceptionV3.Config#MAX_INPUT_SIDE}
     * @param overwrite replace an existing file; false: an existing file is an error
     * @throws IllegalArgumentException for a bad side, an existing file without {@code overwrite}, a folder
     *                                  that does not exist
     * @throws UncheckedIOException     if writing fails (the target is then untouched)
     */
    public static Result write(InceptionV3 model, int side, Path file, boolean overwrite) {
        if (model == null || file == null) {
            throw new IllegalArgumentException("OnnxExport.write: model and file must be given");
        }
        Path target = file.toAbsolutePath();
        if (!overwrite && Files.exists(target)) {
            throw new IllegalArgumentException("OnnxExport.write: " + file + " already exists (pass overwrite / --force to replace it)");
        }
        if (target.getParent() == null || !Files.isDirectory(target.getParent())) {
            throw new IllegalArgumentException("OnnxExport.write: " + file + ": the folder " + target.getParent() + " does not exist");
        }
        Graph g = trace(model, side);
        Proto.Message m = g.model(model.config(), side);
        SafeTensors.deleteStaleTemporaries(target);
        Path tmp = target.resolveSibling(target.getFileName() + "." + ProcessHandle.current().pid() + "."
                + System.nanoTime() + ".tmp");
        try {
            try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE), 1 << 16)) {
                Proto.Out out = new Proto.Out(os);
                m.writeTo(out);
                out.flush();
            }
            if (overwrite) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } else {
                if (Files.exists(target)) {
                    throw new FileAlreadyExistsException(target.toString(), null, "appeared while the model was written");
                }
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the next write removes it
            }
            throw new UncheckedIOException("OnnxExport.write: " + file + ": " + e.getMessage(), e);
        }
        long params = 0;
        for (Init i : g.initializers) {
            params += i.values.length;
        }
        long bytes;
        try {
            bytes = Files.size(target);
        } catch (IOException e) {
            bytes = -1;
        }
        Map<String, Integer> ops = new TreeMap<>();
        for (Node n : g.nodes) {
            ops.merge(n.op, 1, Integer::sum);
        }
        return new Result(target, bytes, g.nodes.size(), g.initializers.size(), params, ops);
    }

    /** The evaluation forward of {@code model} at side {@code side}, as ONNX nodes and initializers. */
    static Graph trace(InceptionV3 model, int side) {
        InceptionV3.Config config = model.config();
        int min = config.minInput(false);
        if (side < min || side > InceptionV3.Config.MAX_INPUT_SIDE) {
            throw new IllegalArgumentException("OnnxExport: input side " + side + " is outside [" + min + ", "
                    + InceptionV3.Config.MAX_INPUT_SIDE + "] for this model");
        }
        ShapeBackend shapes = new ShapeBackend();
        try (InceptionV3 twin = new InceptionV3(shapes, config, 0);
             TensorScope scope = TensorScope.open()) {
            Map<Tensor, String> paramNames = new IdentityHashMap<>();
            twin.parameters().asMap().forEach((name, t) -> paramNames.put(t, name));
            Map<String, Tensor> values = model.parameters().asMap();
            Tensor x = shapes.allocate(Shape.of(1, 3, side, side));
            shapes.clear();
            Tensor logits = twin.forward(x, InceptionV3.Mode.EVAL).logits();
            Graph g = new Graph(paramNames, values);
            g.names.put(x, INPUT);
            g.translate(shapes.calls());
            g.rename(g.name(logits), OUTPUT);
            g.numClasses = logits.shape().dim(1);
            return g;
        }
    }

    // ------------------------------------------------------------------------------- the graph

    /** A node: op type, inputs, one output, name, attributes (already encoded). */
    record Node(String op, List<String> inputs, String output, String name, List<Proto.Message> attributes) {
    }

    /** An initializer: name, dims, values. */
    record Init(String name, int[] dims, float[] values) {
    }

    /** An int64 initializer (Slice's starts, ends, axes). */
    record IntInit(String name, long[] values) {
    }

    static final class Graph {
        final List<Node> nodes = new ArrayList<>();
        final List<Init> initializers = new ArrayList<>();
        final List<IntInit> intInitializers = new ArrayList<>();
        /** The ONNX value name each twin tensor holds now (a tensor written in place gets a new one). */
        final Map<Tensor, String> names = new IdentityHashMap<>();
        private final Map<Tensor, String> paramNames;
        private final Map<String, Tensor> values;
        private final Map<String, Integer> used = new LinkedHashMap<>();
        private final Map<String, String> paramInits = new LinkedHashMap<>();
        int numClasses;

        Graph(Map<Tensor, String> paramNames, Map<String, Tensor> values) {
            this.paramNames = paramNames;
            this.values = values;
        }

        String name(Tensor t) {
            String n = names.get(t);
            if (n == null) {
                String p = paramNames.get(t);
                if (p != null) {
                    return paramInit(p);
                }
                throw new IllegalStateException("OnnxExport: the forward reads a tensor " + t.shape()
                        + " that no earlier call wrote and that is not a parameter");
            }
            return n;
        }

        /** The parameter {@code name} as an initializer (once), its values copied from the model. */
        private String paramInit(String name) {
            return paramInits.computeIfAbsent(name, n -> {
                Tensor v = value(n);
                initializers.add(new Init(n, v.shape().dims(), v.toArray()));
                return n;
            });
        }

        private Tensor value(String name) {
            Tensor v = values.get(name);
            if (v == null) {
                throw new IllegalStateException("OnnxExport: the model has no parameter '" + name + "'");
            }
            return v;
        }

        private String param(Tensor t) {
            return paramNames.get(t);
        }

        /** A fresh value name from {@code base}: base, base_1, base_2, … */
        private String fresh(String base) {
            int k = used.merge(base, 1, Integer::sum);
            return k == 1 ? base : base + "_" + (k - 1);
        }

        private String node(String op, String nameBase, List<String> inputs, Tensor out, Proto.Message... attrs) {
            String name = fresh(nameBase);
            nodes.add(new Node(op, inputs, name, name, List.of(attrs)));
            if (out != null) {
                names.put(out, name);
            }
            return name;
        }

        void rename(String from, String to) {
            for (int i = 0; i < nodes.size(); i++) {
                Node n = nodes.get(i);
                List<String> in = n.inputs.stream().map(s -> s.equals(from) ? to : s).toList();
                nodes.set(i, new Node(n.op, in, n.output.equals(from) ? to : n.output, n.name, n.attributes));
            }
        }

        void translate(List<ShapeBackend.Call> calls) {
            Map<Tensor, Integer> reads = new IdentityHashMap<>();
            for (ShapeBackend.Call c : calls) {
                for (Tensor t : c.inputs()) {
                    reads.merge(t, 1, Integer::sum);
                }
            }
            for (int i = 0; i < calls.size(); i++) {
                ShapeBackend.Call c = calls.get(i);
                ShapeBackend.Call next = i + 1 < calls.size() ? calls.get(i + 1) : null;
                Tensor out = c.outputs().isEmpty() ? null : c.outputs().getFirst();
                switch (c.op()) {
                    case "conv2d" -> {
                        boolean fold = next != null && next.op().equals("batchNormInference")
                                && next.inputs().getFirst() == out && reads.get(out) == 1
                                && c.inputs().size() == 2 && param(c.inputs().get(1)) != null
                                && next.inputs().subList(1, 5).stream().allMatch(t -> param(t) != null);
                        if (fold) {
                            conv(c, next);
                            i++;
                        } else {
                            conv(c, null);
                        }
                    }
                    case "batchNormInference" -> {
                        List<String> in = new ArrayList<>();
                        for (Tensor t : c.inputs()) {
                            in.add(name(t));
                        }
                        node("BatchNormalization", "BatchNormalization", in, out, floatAttr("epsilon", (Float) c.spec()));
                    }
                    case "unary" -> {
                        if (c.spec() != UnaryOp.RELU) {
                            throw unsupported(c);
                        }
                        String in = name(c.inputs().getFirst());
                        node("Relu", in.endsWith(".conv") ? in.substring(0, in.length() - ".conv".length()) : "Relu",
                                List.of(in), out);
                    }
                    case "maxPool2d" -> {
                        Pool2dSpec p = (Pool2dSpec) c.spec();
                        List<Proto.Message> a = poolAttrs(p);
                        if (p.dilationH() != 1 || p.dilationW() != 1) {
                            a.add(intsAttr("dilations", p.dilationH(), p.dilationW()));
                        }
                        node("MaxPool", "MaxPool", List.of(name(c.inputs().getFirst())), out, a.toArray(Proto.Message[]::new));
                    }
                    case "avgPool2d" -> {
                        Pool2dSpec p = (Pool2dSpec) c.spec();
                        if (p.dilationH() != 1 || p.dilationW() != 1) {
                            throw new IllegalStateException("OnnxExport: a dilated average pool needs opset 19: " + c);
                        }
                        List<Proto.Message> a = poolAttrs(p);
                        a.add(intAttr("count_include_pad", p.countIncludePad() ? 1 : 0));
                        node("AveragePool", "AveragePool", List.of(name(c.inputs().getFirst())), out, a.toArray(Proto.Message[]::new));
                    }
                    case "reduce" -> {
                        Shape in = c.inputs().getFirst().shape();
                        Shape o = out.shape();
                        if (c.spec() != ReduceOp.MEAN || in.rank() != 4 || o.rank() != 4 || o.dim(0) != in.dim(0)
                                || o.dim(1) != in.dim(1) || o.dim(2) != 1 || o.dim(3) != 1) {
                            throw unsupported(c);
                        }
                        node("GlobalAveragePool", "avgpool", List.of(name(c.inputs().getFirst())), out);
                    }
                    case "copy" -> {
                        Shape in = c.inputs().getFirst().shape();
                        Shape o = out.shape();
                        if (o.equals(in)) {
                            names.put(out, name(c.inputs().getFirst())); // a plain copy: the same value
                        } else if (o.rank() == 2 && in.rank() >= 2 && o.dim(0) == in.dim(0)) {
                            node("Flatten", "Flatten", List.of(name(c.inputs().getFirst())), out, intAttr("axis", 1));
                        } else {
                            throw unsupported(c);
                        }
                    }
                    case "concat" -> {
                        List<String> in = new ArrayList<>();
                        for (Tensor t : c.inputs()) {
                            in.add(name(t));
                        }
                        node("Concat", "Concat", in, out, intAttr("axis", (Integer) c.spec()));
                    }
                    case "slice" -> {
                        ShapeBackend.Slice s = (ShapeBackend.Slice) c.spec();
                        String base = fresh("Slice");
                        int len = out.shape().dim(s.axis());
                        intInitializers.add(new IntInit(base + ".starts", new long[] {s.start()}));
                        intInitializers.add(new IntInit(base + ".ends", new long[] {s.start() + len}));
                        intInitializers.add(new IntInit(base + ".axes", new long[] {s.axis()}));
                        nodes.add(new Node("Slice", List.of(name(c.inputs().getFirst()), base + ".starts", base + ".ends",
                                base + ".axes"), base, base, List.of()));
                        names.put(out, base);
                    }
                    case "affine" -> {
                        ShapeBackend.Affine a = (ShapeBackend.Affine) c.spec();
                        String mulName = fresh("Mul");
                        initializers.add(new Init(mulName + ".alpha", new int[0], new float[] {a.alpha()}));
                        nodes.add(new Node("Mul", List.of(name(c.inputs().getFirst()), mulName + ".alpha"), mulName, mulName, List.of()));
                        String addName = fresh("Add");
                        initializers.add(new Init(addName + ".beta", new int[0], new float[] {a.beta()}));
                        nodes.add(new Node("Add", List.of(mulName, addName + ".beta"), addName, addName, List.of()));
                        names.put(out, addName);
                    }
                    case "matmul" -> {
                        ShapeBackend.Transposes tr = (ShapeBackend.Transposes) c.spec();
                        List<String> in = new ArrayList<>(List.of(name(c.inputs().get(0)), name(c.inputs().get(1))));
                        // out = a·bᵀ, then out += bias in place (Ops.linear): one Gemm with C = bias.
                        boolean bias = next != null && next.op().equals("binary") && next.spec() == BinaryOp.ADD
                                && next.outputs().getFirst() == out && next.inputs().get(0) == out
                                && next.inputs().get(1).shape().rank() == 1;
                        if (bias) {
                            in.add(name(next.inputs().get(1)));
                            i++;
                        }
                        Tensor w = c.inputs().get(1);
                        String p = param(w);
                        node("Gemm", p != null && p.endsWith(".weight") ? p.substring(0, p.length() - ".weight".length()) : "Gemm",
                                in, out, intAttr("transA", tr.a() ? 1 : 0), intAttr("transB", tr.b() ? 1 : 0));
                    }
                    case "binary" -> {
                        String op = switch ((BinaryOp) c.spec()) {
                            case ADD -> "Add";
                            case SUB -> "Sub";
                            case MUL -> "Mul";
                            case DIV -> "Div";
                            default -> throw unsupported(c);
                        };
                        node(op, op, List.of(name(c.inputs().get(0)), name(c.inputs().get(1))), out);
                    }
                    default -> throw unsupported(c);
                }
            }
        }

        private static IllegalStateException unsupported(ShapeBackend.Call c) {
            return new IllegalStateException("OnnxExport: the evaluation forward makes a call the exporter does not"
                    + " translate: " + c);
        }

        /**
         * A Conv from the convolution {@code c}, with the batch norm {@code bn} (or null) folded into its
         * weight and bias, in double: s = γ/√(σ² + ε), W′[o] = W[o]·s[o], b′[o] = (b[o] − μ[o])·s[o] + β[o].
         */
        private void conv(ShapeBackend.Call c, ShapeBackend.Call bn) {
            Tensor w = c.inputs().get(1);
            String wName = param(w);
            Conv2dSpec spec = (Conv2dSpec) c.spec();
            Shape ws = w.shape();
            String layer = wName == null ? "Conv"
                    : wName.endsWith(".conv.weight") ? wName.substring(0, wName.length() - ".conv.weight".length())
                    : wName.endsWith(".weight") ? wName.substring(0, wName.length() - ".weight".length()) : wName;
            List<String> in = new ArrayList<>();
            in.add(name(c.inputs().getFirst()));
            if (bn == null) {
                in.add(name(w));
                if (c.inputs().size() > 2) {
                    in.add(name(c.inputs().get(2)));
                }
            } else {
                float[] wv = value(wName).toArray();
                float[] bias = c.inputs().size() > 2 ? value(param(c.inputs().get(2))).toArray() : new float[ws.dim(0)];
                float[] gamma = value(param(bn.inputs().get(1))).toArray();
                float[] beta = value(param(bn.inputs().get(2))).toArray();
                float[] mean = value(param(bn.inputs().get(3))).toArray();
                float[] var = value(param(bn.inputs().get(4))).toArray();
                double eps = (Float) bn.spec();
                int cout = ws.dim(0);
                int per = ws.size() / cout;
                float[] fw = new float[wv.length];
                float[] fb = new float[cout];
                for (int o = 0; o < cout; o++) {
                    double s = gamma[o] / Math.sqrt((double) var[o] + eps);
                    for (int k = 0; k < per; k++) {
                        fw[o * per + k] = (float) (wv[o * per + k] * s);
                    }
                    fb[o] = (float) (((double) bias[o] - mean[o]) * s + beta[o]);
                }
                String base = layer; // each layer's weight is read once in evaluation: the name is unique
                initializers.add(new Init(base + ".weight", ws.dims(), fw));
                initializers.add(new Init(base + ".bias", new int[] {cout}, fb));
                in.add(base + ".weight");
                in.add(base + ".bias");
                layer = base;
            }
            Tensor out = (bn == null ? c : bn).outputs().getFirst();
            node("Conv", layer + ".conv", in, out,
                    intsAttr("kernel_shape", ws.dim(2), ws.dim(3)),
                    intsAttr("strides", spec.strideH(), spec.strideW()),
                    intsAttr("pads", spec.padTop(), spec.padLeft(), spec.padBottom(), spec.padRight()),
                    intsAttr("dilations", spec.dilationH(), spec.dilationW()));
        }

        private static List<Proto.Message> poolAttrs(Pool2dSpec p) {
            List<Proto.Message> a = new ArrayList<>();
            a.add(intsAttr("kernel_shape", p.kernelH(), p.kernelW()));
            a.add(intsAttr("strides", p.strideH(), p.strideW()));
            a.add(intsAttr("pads", p.padTop(), p.padLeft(), p.padBottom(), p.padRight()));
            a.add(intAttr("ceil_mode", p.ceilMode() ? 1 : 0));
            return a;
        }

        // ------------------------------------------------------------------------- encoding (onnx.proto)

        /** ModelProto: ir_version 1, producer_name 2, producer_version 3, graph 7, opset_import 8, metadata_props 14. */
        Proto.Message model(InceptionV3.Config config, int side) {
            Proto.Message graph = new Proto.Message();
            for (Node n : nodes) {
                graph.message(1, node(n));                                     // GraphProto.node = 1
            }
            graph.string(2, "inceptionj_inception_v3");                         // GraphProto.name = 2
            for (Init i : initializers) {
                graph.message(5, tensor(i));                                    // GraphProto.initializer = 5
            }
            for (IntInit i : intInitializers) {
                graph.message(5, new Proto.Message().varints(1, i.values.length).varint(2, 7).string(8, i.name)
                        .varints(7, i.values));                                 // dims, INT64, name, int64_data
            }
            graph.message(11, valueInfo(INPUT, "N", 3, side, side));            // GraphProto.input = 11
            graph.message(12, valueInfo(OUTPUT, "N", numClasses));              // GraphProto.output = 12

            Proto.Message m = new Proto.Message();
            m.varint(1, IR_VERSION);
            m.string(2, "inceptionj");
            m.string(3, "0.1.0");
            m.string(6, "Inception-v3 (Szegedy et al. 2015), evaluation forward, batch norm folded into the convolutions");
            m.message(7, graph);
            m.message(8, new Proto.Message().string(1, "").varint(2, OPSET)); // OperatorSetIdProto: domain 1, version 2
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("inceptionj.config", config.toString());
            meta.put("inceptionj.input_size", Integer.toString(side));
            for (var e : meta.entrySet()) {
                m.message(14, new Proto.Message().string(1, e.getKey()).string(2, e.getValue()));
            }
            return m;
        }

        /** NodeProto: input 1, output 2, name 3, op_type 4, attribute 5. */
        private static Proto.Message node(Node n) {
            Proto.Message m = new Proto.Message();
            for (String in : n.inputs) {
                m.string(1, in);
            }
            m.string(2, n.output);
            m.string(3, n.name);
            m.string(4, n.op);
            for (Proto.Message a : n.attributes) {
                m.message(5, a);
            }
            return m;
        }

        /** TensorProto: dims 1, data_type 2 (FLOAT = 1), name 8, raw_data 9 (little-endian). */
        private static Proto.Message tensor(Init i) {
            Proto.Message m = new Proto.Message();
            for (int d : i.dims) {
                m.varint(1, d);
            }
            m.varint(2, 1);
            m.string(8, i.name);
            m.rawFloats(9, i.values);
            return m;
        }

        /**
         * ValueInfoProto {name 1, type 2}; TypeProto.tensor_type 1 → {elem_type 1 (FLOAT), shape 2};
         * TensorShapeProto.dim 1 → Dimension {dim_value 1 | dim_param 2}. The first dimension is symbolic.
         */
        private static Proto.Message valueInfo(String name, String batch, int... dims) {
            Proto.Message shape = new Proto.Message().message(1, new Proto.Message().string(2, batch));
            for (int d : dims) {
                shape.message(1, new Proto.Message().varint(1, d));
            }
            Proto.Message tensor = new Proto.Message().varint(1, 1).message(2, shape);
            return new Proto.Message().string(1, name).message(2, new Proto.Message().message(1, tensor));
        }

        /** AttributeProto: name 1, f 2, i 3, ints 8, type 20 (FLOAT = 1, INT = 2, INTS = 7). */
        private static Proto.Message intAttr(String name, long v) {
            return new Proto.Message().string(1, name).varint(3, v).varint(20, 2);
        }

        private static Proto.Message floatAttr(String name, float v) {
            return new Proto.Message().string(1, name).fixed32(2, v).varint(20, 1);
        }

        private static Proto.Message intsAttr(String name, long... v) {
            return new Proto.Message().string(1, name).varints(8, v).varint(20, 7);
        }
    }
}
