package org.inceptionj.inception;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.ReduceOp;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.api.autograd.Tape;
import org.inceptionj.inception.cost.ShapeBackend;

/**
 * The cost table of Inception-v3 for one input size: every layer's output shape, trainable
 * parameters and multiply-adds, block by block, with torchvision's names (spec §3, §7.1, §8).
 *
 * <p>Derived from the model itself, so that the architecture is written down once, in the block
 * classes: an {@link InceptionV3} is built on a {@link ShapeBackend}, which holds no values, and its
 * forward runs once on a 1×3×H×W input. Every call the backend records belongs to the top-level
 * module whose output the forward reports next, and, inside a block, to the layer whose parameter it
 * reads ({@code Mixed_5b.branch5x5_2.conv.weight} → {@code Mixed_5b.branch5x5_2}). Output shapes come
 * from the forward, multiply-adds from the recorded calls, parameters from the model's named tensors,
 * op texts from the calls' geometry, block texts from the blocks ({@code InceptionC c7=128}).
 *
 * <p>Counting convention (spec §8):
 * <ul>
 *   <li>parameters = what PyTorch's {@code model.parameters()} holds: conv weights Cout·Cin·kh·kw
 *       plus the BN affine pair 2·Cout per BasicConv2d; fc weight K·Cin plus bias K. The BN running
 *       statistics are buffers and are not counted.</li>
 *   <li>multiply-adds: a convolution costs Hout·Wout·Cout·Cin·kh·kw, a fully connected layer Cin·K.
 *       BN (foldable into the convolution), ReLU, pooling, concatenation, dropout and the bias adds cost 0.</li>
 *   <li>the auxiliary head's parameters exist whenever the model is built with it, but it only runs
 *       (and so only costs multiply-adds) in training.</li>
 * </ul>
 */
public final class Summary {

    /**
     * One line of the table.
     *
     * @param name       torchvision module name ({@code Mixed_5b}, {@code Mixed_5b.branch5x5_2}, {@code fc})
     * @param depth      0 for a top-level layer or block (their rows add up to the totals), 1 for a layer inside a block
     * @param op         what the layer does, e.g. {@code conv 1x7 /1 pad (0,3)}
     * @param output     output shape without the batch axis (C, H, W) or (K) for a classifier;
     *                   null for the aux head in evaluation, where it does not run
     * @param parameters trainable values
     * @param macs       multiply-adds per image
     */
    public record Row(String name, int depth, String op, Shape output, long parameters, long macs) {
    }

    private final InceptionV3.Config config;
    private final int height;
    private final int width;
    private final InceptionV3.Mode mode;
    private final List<Row> rows;

    private Summary(InceptionV3.Config config, int height, int width, InceptionV3.Mode mode, List<Row> rows) {
        this.config = config;
        this.height = height;
        this.width = width;
        this.mode = mode;
        this.rows = Collections.unmodifiableList(rows);
    }

    /**
     * The table for an input of 3×height×width in the given mode. Rejects inputs the network cannot
     * carry: below {@code config.minInput(false)} on either axis ({@value InceptionV3#MIN_EVAL_INPUT} for the
     * released stem), or below {@code config.minInput(true)} ({@value InceptionV3#MIN_AUX_INPUT}) when training
     * with the aux head.
     */
    public static Summary of(InceptionV3.Config config, int height, int width, InceptionV3.Mode mode) {
        if (config == null || mode == null) {
            throw new IllegalArgumentException("Summary: config and mode must not be null");
        }
        int minEval = config.minInput(false);
        if (height < minEval || width < minEval) {
            throw new IllegalArgumentException("Summary: input " + height + "x" + width + " is too small: Inception-v3"
                    + " needs H, W >= " + minEval + " (the smallest input whose last grid is 1x1)");
        }
        int minAux = config.minInput(true);
        if (mode == InceptionV3.Mode.TRAIN && config.auxLogits() && (height < minAux || width < minAux)) {
            throw new IllegalArgumentException("Summary: input " + height + "x" + width + " is too small for training"
                    + " with the auxiliary head, which needs H, W >= " + minAux
                    + "; leave the aux head out for smaller inputs");
        }
        return walk(config, height, width, mode);
    }

    /**
     * The table without the up-front size checks: the model's forward runs unchecked and an
     * {@link IllegalArgumentException} names the first top-level module that cannot carry its input.
     * Tests use it to confirm that the minimum sizes above are exactly where the geometry stops working.
     */
    static Summary walk(InceptionV3.Config config, int height, int width, InceptionV3.Mode mode) {
        ShapeBackend backend = new ShapeBackend();
        try (InceptionV3 model = new InceptionV3(backend, config, 0)) {
            List<Module> ran = new ArrayList<>();
            try {
                run(model, backend, height, width, mode, ran);
            } catch (IllegalArgumentException e) {
                throw notCarried(model, backend, mode, height, width, ran, e);
            }
            return new Summary(config, height, width, mode, rows(model, mode, ran));
        }
    }

    public InceptionV3.Config config() {
        return config;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    public InceptionV3.Mode mode() {
        return mode;
    }

    /** Every row in torchvision's module order; a block's row comes before the rows of its layers. */
    public List<Row> rows() {
        return rows;
    }

    /** The row named {@code name}. */
    public Row row(String name) {
        for (Row r : rows) {
            if (r.name().equals(name)) {
                return r;
            }
        }
        throw new IllegalArgumentException("Summary: no layer named '" + name + "'");
    }

    /** Total trainable parameters (sum of the top-level rows). */
    public long parameters() {
        long n = 0;
        for (Row r : rows) {
            n += r.depth() == 0 ? r.parameters() : 0;
        }
        return n;
    }

    /** Total multiply-adds per image (sum of the top-level rows). */
    public long macs() {
        long n = 0;
        for (Row r : rows) {
            n += r.depth() == 0 ? r.macs() : 0;
        }
        return n;
    }

    // ---- the run ----

    /** A top-level module as the forward reported it: its output [1, ...] and the backend calls it made. */
    private record Module(String name, Shape output, List<ShapeBackend.Call> calls) {
    }

    /**
     * Runs the model's forward once on a 1×3×height×width input, appending to {@code ran} each module it
     * reports, with the calls made since the previous report.
     */
    private static void run(InceptionV3 model, ShapeBackend backend, int height, int width, InceptionV3.Mode mode,
                            List<Module> ran) {
        backend.clear();
        int[] from = {0};
        try (TensorScope scope = TensorScope.open(); Tape none = Tape.inference()) {
            Tensor x = Ops.zeros(backend, Shape.of(1, 3, height, width));
            model.forwardUnchecked(none, x, mode, (name, h) -> {
                List<ShapeBackend.Call> calls = backend.calls();
                ran.add(new Module(name, h.shape(), List.copyOf(calls.subList(from[0], calls.size()))));
                from[0] = calls.size();
            });
        }
    }

    /**
     * The forward failed after the modules in {@code ran}: names the next one, found in a run at the
     * smallest input the network carries, with the input it could not carry and the op's own message.
     */
    private static IllegalArgumentException notCarried(InceptionV3 model, ShapeBackend backend, InceptionV3.Mode mode,
                                                       int height, int width, List<Module> ran,
                                                       IllegalArgumentException e) {
        String last = ran.isEmpty() ? null : ran.getLast().name();
        Shape in = ran.isEmpty() ? Shape.of(1, 3, height, width) : ran.getLast().output();
        String next = last == null ? "the first layer" : "the module after " + last;
        int side = model.config().minInput(mode == InceptionV3.Mode.TRAIN && model.config().auxLogits());
        List<Module> all = new ArrayList<>();
        try {
            run(model, backend, side, side, mode, all);
        } catch (IllegalArgumentException notEvenThere) {
            // Only the modules reached are known; the generic name above stands.
        }
        for (int i = 0; i < all.size(); i++) {
            if (last == null || all.get(i).name().equals(last)) {
                int k = last == null ? i : i + 1;
                next = k < all.size() ? all.get(k).name() : next;
                break;
            }
        }
        String grid = in.rank() == 4 ? in.dim(2) + "x" + in.dim(3) : withoutBatch(in).toString();
        return new IllegalArgumentException("Summary: " + next + " gets a " + grid + " input, which it cannot carry ("
                + e.getMessage() + ")", e);
    }

    // ---- the table ----

    private static List<Row> rows(InceptionV3 model, InceptionV3.Mode mode, List<Module> ran) {
        Map<String, Tensor> trainable = model.parameters().trainable();
        Map<Tensor, String> names = new IdentityHashMap<>();
        model.parameters().asMap().forEach((name, t) -> names.put(t, name));
        // Modules that hold parameters, in the order the model built them.
        List<String> built = new ArrayList<>(new LinkedHashSet<>(
                trainable.keySet().stream().map(n -> n.substring(0, n.indexOf('.'))).toList()));
        Set<String> reported = new HashSet<>();
        ran.forEach(m -> reported.add(m.name()));

        List<Row> rows = new ArrayList<>();
        int placed = 0;
        for (Module m : ran) {
            // A module with parameters that did not run (the aux head in evaluation) keeps its place.
            int at = built.indexOf(m.name());
            for (; placed < at; placed++) {
                String idle = built.get(placed);
                if (!reported.contains(idle)) {
                    rows.add(idleRow(model, mode, idle, trainable));
                }
            }
            placed = Math.max(placed, at + 1);

            long macs = macs(m.calls());
            String block = model.describeBlock(m.name());
            Shape out = withoutBatch(m.output());
            if (block == null) {
                rows.add(new Row(m.name(), 0, op(m.calls()), out, parametersUnder(m.name(), trainable), macs));
                continue;
            }
            rows.add(new Row(m.name(), 0, block, out, parametersUnder(m.name(), trainable), macs));
            Map<String, List<ShapeBackend.Call>> layers = new LinkedHashMap<>();
            for (ShapeBackend.Call c : m.calls()) {
                String layer = layerOf(c, names);
                if (layer != null) {
                    layers.computeIfAbsent(layer, k -> new ArrayList<>()).add(c);
                }
            }
            for (var e : layers.entrySet()) {
                List<ShapeBackend.Call> calls = e.getValue();
                rows.add(new Row(e.getKey(), 1, op(calls), withoutBatch(calls.getLast().output()),
                        parametersUnder(e.getKey(), trainable), macs(calls)));
            }
        }
        for (; placed < built.size(); placed++) {
            if (!reported.contains(built.get(placed))) {
                rows.add(idleRow(model, mode, built.get(placed), trainable));
            }
        }
        return rows;
    }

    /** A module that exists but did not run in this mode: its parameters, no shape, no multiply-adds. */
    private static Row idleRow(InceptionV3 model, InceptionV3.Mode mode, String name, Map<String, Tensor> trainable) {
        String block = model.describeBlock(name);
        String op = (block == null ? name : block) + (mode == InceptionV3.Mode.EVAL ? " (training only)" : " (not run)");
        return new Row(name, 0, op, null, parametersUnder(name, trainable), 0);
    }

    /** The layer inside a block that a call belongs to: block.layer of the first parameter it reads, or null. */
    private static String layerOf(ShapeBackend.Call c, Map<Tensor, String> names) {
        for (Tensor t : c.inputs()) {
            String name = names.get(t);
            int dot = name == null ? -1 : name.indexOf('.', name.indexOf('.') + 1);
            if (dot > 0) {
                return name.substring(0, dot);
            }
        }
        return null;
    }

    private static long parametersUnder(String prefix, Map<String, Tensor> trainable) {
        long n = 0;
        for (var e : trainable.entrySet()) {
            n += e.getKey().startsWith(prefix + ".") ? e.getValue().size() : 0;
        }
        return n;
    }

    private static long macs(List<ShapeBackend.Call> calls) {
        long n = 0;
        for (ShapeBackend.Call c : calls) {
            n += c.macs();
        }
        return n;
    }

    /** What a layer does, from the first of its calls that says: its convolution, pool, classifier, .... */
    private static String op(List<ShapeBackend.Call> calls) {
        for (ShapeBackend.Call c : calls) {
            String op = op(c);
            if (op != null) {
                return op;
            }
        }
        return "";
    }

    /** {@code conv 1x7 /1 pad (0,3)}, {@code max pool 3x3 /2}, {@code global avg pool}, {@code linear 2048->1000}, ...; null for a call that only follows one of these (BN after a convolution, ReLU, copies). */
    private static String op(ShapeBackend.Call c) {
        Shape in = c.inputs().isEmpty() ? null : c.inputs().getFirst().shape();
        return switch (c.op()) {
            case "conv2d" -> {
                Conv2dSpec s = (Conv2dSpec) c.spec();
                Shape w = c.inputs().get(1).shape();
                yield "conv " + w.dim(2) + "x" + w.dim(3) + " /" + s.strideH() + padding(s.padTop(), s.padLeft());
            }
            case "maxPool2d", "avgPool2d" -> {
                Pool2dSpec p = (Pool2dSpec) c.spec();
                yield (c.op().startsWith("max") ? "max" : "avg") + " pool " + p.kernelH() + "x" + p.kernelW() + " /"
                        + p.strideH() + padding(p.padTop(), p.padLeft());
            }
            case "reduce" -> c.spec() == ReduceOp.MEAN && in.rank() == 4 && c.output().size() == in.sizeBetween(0, 2)
                    ? "global avg pool" : "reduce " + c.spec().toString().toLowerCase();
            case "matmul" -> {
                ShapeBackend.Transposes t = (ShapeBackend.Transposes) c.spec();
                yield "linear " + (t.a() ? in.dim(0) : in.dim(1)) + "->" + c.output().dim(1);
            }
            case "batchNormInference", "batchNormTraining" -> in.rank() == 2 ? "batch norm 1d" : "batch norm";
            case "dropout" -> "dropout p=" + c.spec();
            default -> null;
        };
    }

    private static String padding(int h, int w) {
        return h + w > 0 ? " pad (" + h + "," + w + ")" : "";
    }

    private static Shape withoutBatch(Shape s) {
        int[] d = s.dims();
        return Shape.of(Arrays.copyOfRange(d, 1, d.length));
    }
}
