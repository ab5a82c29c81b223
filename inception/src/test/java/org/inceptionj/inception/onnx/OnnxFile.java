package org.inceptionj.inception.onnx;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;

/**
 * A test's reading of an ONNX file, independent of the writer: a generic protobuf decoder (field
 * number → values), the parts of ModelProto the export writes, and an interpreter of those ops on
 * {@link Ops}, so that the default build checks an exported file's numbers without ONNX Runtime.
 * Field numbers from onnx.proto, read again here rather than shared with the writer.
 */
final class OnnxFile {

    /** A decoded message: each field number's values in order (Long for varints, Integer bits for fixed32, byte[] otherwise). */
    static final class Msg {
        final Map<Integer, List<Object>> fields = new HashMap<>();

        static Msg parse(byte[] b) {
            return parse(ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN));
        }

        static Msg parse(ByteBuffer b) {
            Msg m = new Msg();
            while (b.hasRemaining()) {
                long key = varint(b);
                int field = (int) (key >>> 3), wire = (int) (key & 7);
                Object v = switch (wire) {
                    case 0 -> varint(b);
                    case 1 -> b.getLong();
                    case 2 -> {
                        byte[] bytes = new byte[(int) varint(b)];
                        b.get(bytes);
                        yield bytes;
                    }
                    case 5 -> b.getInt();
                    default -> throw new IllegalArgumentException("wire type " + wire + " of field " + field);
                };
                m.fields.computeIfAbsent(field, k -> new ArrayList<>()).add(v);
            }
            return m;
        }

        private static long varint(ByteBuffer b) {
            long v = 0;
            for (int shift = 0; ; shift += 7) {
                byte x = b.get();
                v |= (long) (x & 0x7F) << shift;
                if (x >= 0) {
                    return v;
                }
            }
        }

        List<Object> all(int field) {
            return fields.getOrDefault(field, List.of());
        }

        long integer(int field, long absent) {
            List<Object> v = all(field);
            return v.isEmpty() ? absent : (Long) v.getLast();
        }

        String string(int field) {
            List<Object> v = all(field);
            return v.isEmpty() ? null : new String((byte[]) v.getLast(), StandardCharsets.UTF_8);
        }

        Msg msg(int field) {
            List<Object> v = all(field);
            return v.isEmpty() ? null : parse((byte[]) v.getLast());
        }

        List<Msg> msgs(int field) {
            List<Msg> l = new ArrayList<>();
            for (Object o : all(field)) {
                l.add(parse((byte[]) o));
            }
            return l;
        }

        long[] integers(int field) {
            List<Object> v = all(field);
            long[] r = new long[v.size()];
            for (int i = 0; i < r.length; i++) {
                r[i] = (Long) v.get(i);
            }
            return r;
        }
    }

    record Node(String op, List<String> inputs, String output, Map<String, Msg> attributes) {
        long i(String name, long absent) {
            Msg a = attributes.get(name);
            return a == null ? absent : a.integer(3, absent);      // AttributeProto.i = 3
        }

        long[] ints(String name) {
            Msg a = attributes.get(name);
            return a == null ? null : a.integers(8);               // AttributeProto.ints = 8
        }

        float f(String name) {
            return Float.intBitsToFloat((Integer) attributes.get(name).all(2).getLast()); // AttributeProto.f = 2
        }
    }

    record Initializer(String name, int[] dims, int dataType, float[] floats, long[] longs) {
    }

    final long irVersion;
    final long opset;
    final List<Node> nodes = new ArrayList<>();
    final Map<String, Initializer> initializers = new LinkedHashMap<>();
    /** Input and output: name → dims, a symbolic dimension as −1 and its name in {@link #symbols}. */
    final Map<String, long[]> inputs = new LinkedHashMap<>();
    final Map<String, long[]> outputs = new LinkedHashMap<>();
    final Map<String, String> symbols = new LinkedHashMap<>();
    final Map<String, String> metadata = new LinkedHashMap<>();

    OnnxFile(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Msg model = Msg.parse(bytes);
        irVersion = model.integer(1, -1);                                        // ModelProto.ir_version
        Msg opsetId = model.msg(8);                                              // opset_import
        opset = opsetId.integer(2, -1);
        for (Msg kv : model.msgs(14)) {                                          // metadata_props
            metadata.put(kv.string(1), kv.string(2));
        }
        Msg graph = model.msg(7);
        for (Msg n : graph.msgs(1)) {                                            // GraphProto.node
            Map<String, Msg> attrs = new LinkedHashMap<>();
            for (Msg a : n.msgs(5)) {
                attrs.put(a.string(1), a);
            }
            List<String> in = new ArrayList<>();
            for (Object o : n.all(1)) {
                in.add(new String((byte[]) o, StandardCharsets.UTF_8));
            }
            nodes.add(new Node(n.string(4), in, n.string(2), attrs));
        }
        for (Msg t : graph.msgs(5)) {                                            // initializer: TensorProto
            long[] d = t.integers(1);
            int[] dims = new int[d.length];
            for (int k = 0; k < d.length; k++) {
                dims[k] = (int) d[k];
            }
            int type = (int) t.integer(2, 0);
            float[] f = null;
            long[] l = null;
            if (type == 1) {
                FloatBufferHolder h = new FloatBufferHolder((byte[]) t.all(9).getLast()); // raw_data
                f = h.floats;
            } else if (type == 7) {
                l = t.integers(7);                                               // int64_data
            }
            initializers.put(t.string(8), new Initializer(t.string(8), dims, type, f, l));
        }
        readValueInfos(graph.msgs(11), inputs);
        readValueInfos(graph.msgs(12), outputs);
    }

    private void readValueInfos(List<Msg> infos, Map<String, long[]> into) {
        for (Msg vi : infos) {
            Msg tensor = vi.msg(2).msg(1);                                       // TypeProto.tensor_type
            List<Msg> dims = tensor.msg(2).msgs(1);                              // shape.dim
            long[] d = new long[dims.size()];
            for (int k = 0; k < d.length; k++) {
                Msg dim = dims.get(k);
                if (dim.fields.containsKey(2)) {
                    d[k] = -1;
                    symbols.put(vi.string(1) + "[" + k + "]", dim.string(2));
                } else {
                    d[k] = dim.integer(1, -1);
                }
            }
            into.put(vi.string(1), d);
        }
    }

    private static final class FloatBufferHolder {
        final float[] floats;

        FloatBufferHolder(byte[] raw) {
            floats = new float[raw.length / 4];
            ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(floats);
        }
    }

    /** Runs the graph on {@code x} with the ops of {@code backend}; the tensors made belong to the caller's scope. */
    Tensor run(Backend backend, Tensor x) {
        Map<String, Tensor> v = new HashMap<>();
        for (Initializer i : initializers.values()) {
            if (i.dataType == 1) {
                v.put(i.name, Ops.fromArray(backend, Shape.of(i.dims), i.floats));
            }
        }
        v.put(inputs.keySet().iterator().next(), x);
        for (Node n : nodes) {
            Tensor in = v.get(n.inputs.getFirst());
            Tensor y = switch (n.op) {
                case "Conv" -> {
                    long[] s = n.ints("strides"), p = n.ints("pads"), d = n.ints("dilations");
                    yield Ops.conv2d(in, v.get(n.inputs.get(1)), n.inputs.size() > 2 ? v.get(n.inputs.get(2)) : null,
                            new Conv2dSpec((int) s[0], (int) s[1], (int) p[0], (int) p[1], (int) p[2], (int) p[3],
                                    (int) d[0], (int) d[1]));
                }
                case "Relu" -> Ops.relu(in);
                case "MaxPool", "AveragePool" -> {
                    long[] k = n.ints("kernel_shape"), s = n.ints("strides"), p = n.ints("pads");
                    Pool2dSpec spec = new Pool2dSpec((int) k[0], (int) k[1], (int) s[0], (int) s[1], (int) p[0], (int) p[1],
                            (int) p[2], (int) p[3], 1, 1, n.i("ceil_mode", 0) == 1, n.i("count_include_pad", 0) == 1);
                    yield n.op.equals("MaxPool") ? Ops.maxPool2d(in, spec) : Ops.avgPool2d(in, spec);
                }
                case "Concat" -> {
                    Tensor[] parts = n.inputs.stream().map(v::get).toArray(Tensor[]::new);
                    yield Ops.concat((int) n.i("axis", 0), parts);
                }
                case "GlobalAveragePool" -> Ops.globalAvgPool(in);
                case "Flatten" -> Ops.flatten(in, (int) n.i("axis", 1));
                case "Gemm" -> {
                    if (n.i("transA", 0) != 0 || n.i("transB", 0) != 1) {
                        throw new IllegalArgumentException("Gemm other than x·wᵀ: " + n);
                    }
                    yield Ops.linear(in, v.get(n.inputs.get(1)), n.inputs.size() > 2 ? v.get(n.inputs.get(2)) : null);
                }
                case "Slice" -> {
                    long start = initializers.get(n.inputs.get(1)).longs[0], end = initializers.get(n.inputs.get(2)).longs[0];
                    int axis = (int) initializers.get(n.inputs.get(3)).longs[0];
                    yield Ops.slice(in, axis, (int) start, (int) (end - start));
                }
                case "Mul" -> Ops.affine(in, initializers.get(n.inputs.get(1)).floats[0], 0f);
                case "Add" -> Ops.affine(in, 1f, initializers.get(n.inputs.get(1)).floats[0]);
                default -> throw new IllegalArgumentException("op not interpreted here: " + n.op);
            };
            v.put(n.output, y);
        }
        return v.get(outputs.keySet().iterator().next());
    }
}
