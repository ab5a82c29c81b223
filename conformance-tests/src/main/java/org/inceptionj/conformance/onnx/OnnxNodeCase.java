package org.inceptionj.conformance.onnx;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Shape;
import org.inceptionj.api.TensorScope;
import org.inceptionj.conformance.Harness;

/**
 * One ONNX backend node test: a folder holding {@code model.onnx} (a one-node graph) and one or
 * more {@code test_data_set_<k>/} with {@code input_<i>.pb} for the i-th graph input and
 * {@code output_<j>.pb} for the j-th graph output.
 *
 * <p>{@link #run(Backend)} feeds the inputs to the node through {@link OnnxOpAdapter} and checks
 * each output the way onnx's own backend test runner does ({@code onnx/backend/test/runner},
 * {@code assert_similar_outputs}): the same element type, the same shape, and
 * {@code numpy.testing.assert_allclose(actual, expected, rtol, atol)}, i.e. elementwise
 * {@code |actual − expected| <= atol + rtol·|expected|}, NaN equal to NaN, with the tolerances
 * onnx's test loader ({@code onnx/backend/test/loader}) gives every node test: {@link #RTOL} = 1e-3
 * and {@link #ATOL} = 1e-7. Bool outputs must match exactly.
 */
public final class OnnxNodeCase {
    /** Relative tolerance of onnx's backend test loader for node tests. */
    public static final double RTOL = 1e-3;
    /** Absolute tolerance of onnx's backend test loader for node tests. */
    public static final double ATOL = 1e-7;

    private static final int MISMATCHES_SHOWN = 5;

    private final String name;
    private final OnnxModel model;
    private final List<DataSet> dataSets;

    /** One {@code test_data_set_<k>}: its inputs and expected outputs in file order. */
    public record DataSet(String name, List<OnnxTensor> inputs, List<OnnxTensor> outputs) {
        public DataSet {
            inputs = List.copyOf(inputs);
            outputs = List.copyOf(outputs);
        }
    }

    private OnnxNodeCase(String name, OnnxModel model, List<DataSet> dataSets) {
        this.name = name;
        this.model = model;
        this.dataSets = List.copyOf(dataSets);
    }

    /** Reads a test folder; malformed files throw {@link OnnxFormatException} naming the file. */
    public static OnnxNodeCase load(Path dir) {
        String name = dir.getFileName().toString();
        OnnxModel model = OnnxModel.read(dir.resolve("model.onnx"));
        List<DataSet> sets = new ArrayList<>();
        for (Path set : list(dir, "test_data_set_")) {
            sets.add(new DataSet(set.getFileName().toString(), numbered(set, "input_", model.inputs().size()),
                    numbered(set, "output_", model.outputs().size())));
        }
        if (sets.isEmpty()) {
            throw new OnnxFormatException(name + ": no test_data_set_<k> folder");
        }
        return new OnnxNodeCase(name, model, sets);
    }

    /** Reads prefix0.pb, prefix1.pb, ... (consecutive, at most {@code max}). */
    private static List<OnnxTensor> numbered(Path set, String prefix, int max) {
        List<OnnxTensor> out = new ArrayList<>();
        int files = 0;
        for (Path p : list(set, prefix)) {
            if (p.getFileName().toString().endsWith(".pb")) {
                files++;
            }
        }
        for (int i = 0; i < files; i++) {
            Path p = set.resolve(prefix + i + ".pb");
            if (!Files.isRegularFile(p)) {
                throw new OnnxFormatException(set.getFileName() + ": " + files + " " + prefix + "*.pb files but no "
                        + p.getFileName());
            }
            out.add(OnnxTensor.read(p));
        }
        if (files > max) {
            throw new OnnxFormatException(set.getFileName() + ": " + files + " " + prefix + "*.pb files for a graph with "
                    + max + (prefix.startsWith("input") ? " inputs" : " outputs"));
        }
        return out;
    }

    private static List<Path> list(Path dir, String prefix) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(prefix)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The folder name, e.g. {@code test_conv_with_strides_padding}. */
    public String name() {
        return name;
    }

    public OnnxModel model() {
        return model;
    }

    public List<DataSet> dataSets() {
        return dataSets;
    }

    /**
     * Runs every data set on {@code backend} and checks the outputs.
     *
     * @throws AssertionError on an output of the wrong type, shape or values, on an output that the
     *         backend does not own (see {@link Harness#assertOwned}), or on a tensor leak
     * @throws OnnxUnsupportedException if the node cannot be run on the InceptionJ API (a skip)
     */
    public void run(Backend backend) {
        OnnxNode node = model.singleNode();
        long opset = model.opset(node.domain());
        for (DataSet set : dataSets) {
            Map<String, OnnxTensor> values = new HashMap<>();
            for (OnnxTensor t : model.initializers()) {
                values.put(t.name(), t);
            }
            for (int i = 0; i < set.inputs().size(); i++) {
                OnnxTensor t = set.inputs().get(i);
                String declared = model.inputs().get(i).name();
                if (!t.name().isEmpty() && !t.name().equals(declared)) {
                    throw new OnnxFormatException(name + "/" + set.name() + "/input_" + i + ".pb is named '" + t.name()
                            + "', graph input " + i + " is '" + declared + "'");
                }
                if (!t.hasValues()) {
                    throw new OnnxUnsupportedException("input '" + declared + "' is " + t.dataType().displayName()
                            + "; InceptionJ tensors are float32");
                }
                values.put(declared, t);
            }
            List<OnnxTensor> slots = new ArrayList<>();
            for (String in : node.inputs()) {
                if (in.isEmpty()) {
                    slots.add(null);
                } else if (values.containsKey(in)) {
                    slots.add(values.get(in));
                } else {
                    throw new OnnxFormatException(name + ": node input '" + in + "' is neither a graph input with a data"
                            + " file in " + set.name() + " nor an initializer");
                }
            }

            long liveBefore = backend.liveBytes();
            // Every tensor of the test (inputs, temporaries, outputs) lives in this scope.
            TensorScope scope = TensorScope.open();
            try {
                List<OnnxOpAdapter.Output> outs = OnnxOpAdapter.run(backend, node, opset, slots);
                for (int j = 0; j < set.outputs().size(); j++) {
                    String out = model.outputs().get(j).name();
                    int slot = node.outputs().indexOf(out);
                    if (slot < 0) {
                        throw new OnnxFormatException(name + ": graph output '" + out + "' is not an output of the node");
                    }
                    String what = name + "/" + set.name() + " output '" + out + "'";
                    if (outs.get(slot) != null) {
                        Harness.assertOwned(backend, what, outs.get(slot).value());
                    }
                    check(what, set.outputs().get(j), outs.get(slot));
                }
            } finally {
                scope.close();
            }
            long leaked = backend.liveBytes() - liveBefore;
            if (leaked != 0) {
                throw new AssertionError(name + ": backend '" + backend.name() + "' holds " + leaked
                        + " more bytes after every tensor of the test was closed (a leak)");
            }
        }
    }

    /** Type, shape and values of one output, as onnx's runner checks them. */
    static void check(String what, OnnxTensor expected, OnnxOpAdapter.Output actual) {
        OnnxDataType type = expected.dataType();
        if (type != OnnxDataType.FLOAT && type != OnnxDataType.BOOL) {
            throw new OnnxUnsupportedException(what + " is " + type.displayName() + "; InceptionJ tensors are float32");
        }
        if (actual.type() != type) {
            throw new AssertionError(what + ": element type " + actual.type().displayName() + ", expected "
                    + type.displayName());
        }
        Shape shape = expected.shape();
        if (!actual.value().shape().equals(shape)) {
            throw new AssertionError(what + ": shape " + actual.value().shape() + ", expected " + shape);
        }
        float[] got = actual.value().toArray();
        if (type == OnnxDataType.BOOL) {
            long[] want = expected.longs();
            for (int i = 0; i < want.length; i++) {
                if (got[i] != want[i]) {
                    throw new AssertionError(what + ": element " + index(shape, i) + " is " + got[i]
                            + ", expected " + (want[i] != 0));
                }
            }
            return;
        }
        assertAllClose(what, shape, expected.floats(), got, RTOL, ATOL);
    }

    /**
     * numpy.testing.assert_allclose(actual, expected, rtol, atol): every element satisfies
     * |actual − expected| <= atol + rtol·|expected| (computed in double), NaN matches NaN and an
     * infinity matches the same infinity.
     */
    static void assertAllClose(String what, Shape shape, float[] expected, float[] actual, double rtol, double atol) {
        int bad = 0;
        int worst = -1;
        double worstAbs = 0, worstRel = 0;
        StringBuilder first = new StringBuilder();
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i], a = actual[i];
            boolean ok;
            if (Double.isNaN(e) || Double.isNaN(a)) {
                ok = Double.isNaN(e) && Double.isNaN(a);
            } else if (Double.isInfinite(e) || Double.isInfinite(a)) {
                ok = e == a;
            } else {
                ok = Math.abs(a - e) <= atol + rtol * Math.abs(e);
            }
            if (ok) {
                continue;
            }
            bad++;
            double abs = Math.abs(a - e);
            double rel = e == 0 ? Double.POSITIVE_INFINITY : abs / Math.abs(e);
            if (worst < 0 || abs > worstAbs || Double.isNaN(abs)) {
                worst = i;
                worstAbs = abs;
            }
            worstRel = Math.max(worstRel, rel);
            if (bad <= MISMATCHES_SHOWN) {
                first.append(bad == 1 ? "" : "; ").append(index(shape, i)).append(": got ").append(actual[i])
                        .append(", expected ").append(expected[i]);
            }
        }
        if (bad > 0) {
            throw new AssertionError(what + ": " + bad + " of " + expected.length + " elements differ beyond |got − expected| <= "
                    + atol + " + " + rtol + "·|expected| (shape " + shape + "); max abs diff " + (float) worstAbs
                    + " at " + index(shape, worst) + ", max rel diff " + (float) worstRel + "; first: " + first);
        }
    }

    /** The multi-index [i0,i1,...] of flat row-major position {@code flat}. */
    static String index(Shape shape, int flat) {
        int[] strides = shape.strides();
        StringBuilder b = new StringBuilder("[");
        for (int d = 0; d < strides.length; d++) {
            b.append(d == 0 ? "" : ",").append(flat / strides[d]);
            flat %= strides[d];
        }
        return b.append(']').toString();
    }
}
