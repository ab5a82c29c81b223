package org.inceptionj.conformance.onnx;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import org.inceptionj.api.Backend;
import org.inceptionj.api.BinaryOp;
import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.ReduceOp;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.conformance.Harness;

/**
 * Runs one ONNX node on an InceptionJ {@link Backend} by mapping it onto {@link Ops} calls: each
 * operator of the Inception-v3 set (see the INDEX of the node tests) is one method below, written
 * from the ONNX operator spec for the operator version that the model's opset selects.
 *
 * <p>What is not mapped throws {@link OnnxUnsupportedException} with the reason, which the runner
 * reports as a skip: MaxPool's argmax output,
 * element types other than float32 (int64 and bool are read only where ONNX uses them as
 * parameters: axes, Dropout's training_mode), attributes this adapter does not know (so that an
 * attribute is never silently ignored), and Dropout in training mode with a non-zero ratio, whose
 * output depends on ONNX's random generator. Inputs are copied to the backend with
 * {@link Ops#fromArray}; every tensor is created in the caller's {@link org.inceptionj.api.TensorScope}.
 */
public final class OnnxOpAdapter {
    private OnnxOpAdapter() {
    }

    /** One node output: the tensor and the ONNX element type it stands for (BOOL outputs hold 0 / 1). */
    public record Output(Tensor value, OnnxDataType type) {
        static Output of(Tensor t) {
            return new Output(t, OnnxDataType.FLOAT);
        }
    }

    /**
     * Runs {@code node} with the given input values.
     *
     * @param backend the backend to run on
     * @param node    the node
     * @param opset   the opset the model imports for the node's domain
     * @param inputs  one value per input slot of the node, null where an optional slot is left out
     * @return one output per output slot of the node, null where the node does not request it
     * @throws OnnxUnsupportedException if the node cannot be mapped onto {@link Ops}
     */
    public static List<Output> run(Backend backend, OnnxNode node, long opset, List<OnnxTensor> inputs) {
        if (!node.canonicalDomain().isEmpty()) {
            throw new OnnxUnsupportedException("operator " + node.domain() + "." + node.opType()
                    + " is outside the default ai.onnx domain");
        }
        if (opset < 1) {
            throw new OnnxFormatException(node.opType() + ": the model imports no opset for the ai.onnx domain");
        }
        Call c = new Call(backend, node, opset, inputs);
        List<Output> produced = switch (node.opType()) {
            case "Conv" -> conv(c);
            case "MaxPool" -> pool(c, true);
            case "AveragePool" -> pool(c, false);
            case "GlobalAveragePool" -> globalAveragePool(c);
            case "BatchNormalization" -> batchNormalization(c);
            case "Relu" -> unary(c, Ops::relu);
            case "Sqrt" -> unary(c, Ops::sqrt);
            case "Concat" -> concat(c);
            case "Gemm" -> gemm(c);
            case "MatMul" -> matMul(c);
            case "Softmax" -> softmax(c, false);
            case "LogSoftmax" -> softmax(c, true);
            case "Dropout" -> dropout(c);
            case "Flatten" -> flatten(c);
            case "Add" -> binary(c, BinaryOp.ADD);
            case "Sub" -> binary(c, BinaryOp.SUB);
            case "Mul" -> binary(c, BinaryOp.MUL);
            case "Div" -> binary(c, BinaryOp.DIV);
            case "Sum" -> sum(c);
            case "ReduceMean" -> reduce(c, ReduceOp.MEAN, 18);
            case "ReduceSum" -> reduce(c, ReduceOp.SUM, 13);
            case "Clip" -> clip(c);
            case "SoftmaxCrossEntropyLoss" -> softmaxCrossEntropyLoss(c);
            default -> throw new OnnxUnsupportedException("operator " + node.opType() + " is not mapped onto the InceptionJ API");
        };
        List<Output> out = new ArrayList<>();
        for (int j = 0; j < node.outputs().size(); j++) {
            Output o = j < produced.size() ? produced.get(j) : null;
            if (node.hasOutput(j) && o == null) {
                throw new OnnxUnsupportedException(node.opType() + ": output " + j + " ('" + node.outputs().get(j)
                        + "') is not supported");
            }
            out.add(node.hasOutput(j) ? o : null);
        }
        return out;
    }

    // ================================================================ convolution and pooling

    /** Conv (versions 1, 11, 22): Y = X ⋆ W + B over 2-D NCHW input; group g splits channels into g convolutions. */
    private static List<Output> conv(Call c) {
        c.allow("auto_pad", "dilations", "group", "kernel_shape", "pads", "strides");
        Tensor x = c.tensor(0), w = c.tensor(1), b = c.optionalTensor(2);
        if (x.shape().rank() != 4 || w.shape().rank() != 4) {
            throw c.unsupported("only 2-D convolution (NCHW input, [M,C/group,kH,kW] weight) is mapped; got X "
                    + x.shape() + ", W " + w.shape());
        }
        int kh = w.shape().dim(2), kw = w.shape().dim(3);
        long[] kernel = c.node.attrInts("kernel_shape", null);
        if (kernel != null && !Arrays.equals(kernel, new long[] {kh, kw})) {
            throw c.malformed("kernel_shape " + Arrays.toString(kernel) + " disagrees with W " + w.shape());
        }
        int[] stride = c.pair("strides", 1), dilation = c.pair("dilations", 1);
        String autoPad = c.node.attrString("auto_pad", "NOTSET");
        long[] pads = c.node.attrInts("pads", null);
        OnnxPadding.Pad ph = OnnxPadding.along("Conv", autoPad, pads, 0, 2, x.shape().dim(2), kh, stride[0], dilation[0]);
        OnnxPadding.Pad pw = OnnxPadding.along("Conv", autoPad, pads, 1, 2, x.shape().dim(3), kw, stride[1], dilation[1]);
        Conv2dSpec spec = new Conv2dSpec(stride[0], stride[1], ph.begin(), pw.begin(), ph.end(), pw.end(),
                dilation[0], dilation[1]);

        int group = c.intAttr("group", 1);
        if (group == 1) {
            return List.of(Output.of(Ops.conv2d(x, w, b, spec)));
        }
        // Grouped convolution: channel block g of X meets filter block g of W (spec: C = group·W.dim(1)).
        int channels = x.shape().dim(1), filters = w.shape().dim(0);
        if (group < 1 || channels % group != 0 || filters % group != 0 || w.shape().dim(1) != channels / group) {
            throw c.malformed("group=" + group + " does not divide X " + x.shape() + " and W " + w.shape());
        }
        Tensor[] xs = Ops.split(x, 1, repeat(channels / group, group));
        Tensor[] ws = Ops.split(w, 0, repeat(filters / group, group));
        Tensor[] bs = b == null ? new Tensor[group] : Ops.split(b, 0, repeat(filters / group, group));
        Tensor[] ys = new Tensor[group];
        for (int g = 0; g < group; g++) {
            ys[g] = Ops.conv2d(xs[g], ws[g], bs[g], spec);
        }
        return List.of(Output.of(Ops.concat(1, ys)));
    }

    /**
     * MaxPool (1, 8, 10, 11, 12, 22) and AveragePool (1, 7, 10, 11, 19, 22) over 2-D NCHW input.
     * Windows that a ceil_mode output would start in the end padding are dropped (ONNX and
     * {@link Pool2dSpec} agree). MaxPool's optional second output (argmax Indices) is not mapped.
     */
    private static List<Output> pool(Call c, boolean max) {
        String op = max ? "MaxPool" : "AveragePool";
        if (max) {
            if (c.node.hasOutput(1)) {
                throw c.unsupported("MaxPool's second output (argmax Indices, int64) is not supported: the API's"
                        + " maxPool2d returns values only");
            }
            // storage_order only orders the Indices output.
            c.allow("auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides");
        } else {
            c.allow("auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape", "pads", "strides");
        }
        Tensor x = c.tensor(0);
        long[] kernel = c.node.attrInts("kernel_shape", null);
        if (kernel == null) {
            throw c.malformed("kernel_shape is required");
        }
        if (x.shape().rank() != 4 || kernel.length != 2) {
            throw c.unsupported("only 2-D pooling (NCHW input, 2 kernel dims) is mapped; got X " + x.shape()
                    + ", kernel_shape " + Arrays.toString(kernel));
        }
        int kh = c.positive("kernel_shape", kernel[0]), kw = c.positive("kernel_shape", kernel[1]);
        int[] stride = c.pair("strides", 1), dilation = c.pair("dilations", 1);
        String autoPad = c.node.attrString("auto_pad", "NOTSET");
        long[] pads = c.node.attrInts("pads", null);
        OnnxPadding.Pad ph = OnnxPadding.along(op, autoPad, pads, 0, 2, x.shape().dim(2), kh, stride[0], dilation[0]);
        OnnxPadding.Pad pw = OnnxPadding.along(op, autoPad, pads, 1, 2, x.shape().dim(3), kw, stride[1], dilation[1]);
        // With SAME_* padding the output is ⌈in/stride⌉ by construction; ceil_mode does not apply.
        boolean ceil = c.intAttr("ceil_mode", 0) != 0 && !autoPad.startsWith("SAME");
        boolean countIncludePad = !max && c.intAttr("count_include_pad", 0) != 0;
        Pool2dSpec spec = new Pool2dSpec(kh, kw, stride[0], stride[1], ph.begin(), pw.begin(), ph.end(), pw.end(),
                dilation[0], dilation[1], ceil, countIncludePad);
        return List.of(Output.of(max ? Ops.maxPool2d(x, spec) : Ops.avgPool2d(x, spec)));
    }

    /** GlobalAveragePool: the mean over every axis after N and C, kept as size 1. */
    private static List<Output> globalAveragePool(Call c) {
        c.allow();
        Tensor x = c.tensor(0);
        int r = x.shape().rank();
        if (r == 4) {
            return List.of(Output.of(Ops.globalAvgPool(x)));
        }
        if (r < 3) {
            throw c.malformed("input " + x.shape() + " must have rank >= 3 ([N,C,spatial...])");
        }
        int[] spatial = new int[r - 2];
        for (int i = 0; i < spatial.length; i++) {
            spatial[i] = i + 2;
        }
        return List.of(Output.of(Ops.reduce(ReduceOp.MEAN, x, true, spatial)));
    }

    // ================================================================ normalization

    /**
     * BatchNormalization. Inference: Y = scale·(X − mean)/√(var + ε) + B. Training
     * ({@code training_mode=1}, version 14+): Y uses the batch mean μ and biased variance σ², and
     * the optional outputs are running_mean = mean·momentum + μ·(1 − momentum) and
     * running_var = var·momentum + σ²·(1 − momentum) (the ONNX reference uses numpy's biased
     * {@code var}, and the expected outputs of the node tests agree).
     *
     * <p>InceptionJ's {@link Ops#batchNormTraining} updates running statistics with PyTorch's rule
     * (batch weight = momentum, unbiased variance). Called with momentum 1 on fresh buffers it
     * leaves μ and the unbiased σ²·M/(M − 1) there; ONNX's outputs are composed from those.
     */
    private static List<Output> batchNormalization(Call c) {
        c.allow("epsilon", "momentum", "training_mode", "spatial");
        if (c.intAttr("spatial", 1) != 1) {
            throw c.unsupported("spatial=0 (per-activation statistics, BatchNormalization-7/9) is not mapped");
        }
        Tensor x = c.tensor(0), scale = c.tensor(1), bias = c.tensor(2), mean = c.tensor(3), var = c.tensor(4);
        float eps = c.node.attrFloat("epsilon", 1e-5f);
        float momentum = c.node.attrFloat("momentum", 0.9f);
        boolean training;
        if (c.opset >= 14) {
            training = c.intAttr("training_mode", 0) != 0;
        } else {
            // Before version 14, training mode was signalled by requesting the statistics outputs,
            // whose meaning (saved mean / saved variance) differs across versions.
            training = c.node.outputs().size() > 1;
            if (training) {
                throw c.unsupported("training-mode BatchNormalization before version 14 (outputs mean, var,"
                        + " saved_mean, saved_var) is not mapped");
            }
        }
        if (!training) {
            return List.of(Output.of(Ops.batchNorm(x, scale, bias, mean, var, eps)));
        }
        int channels = x.shape().dim(1);
        Tensor batchMean = Ops.zeros(c.backend, Shape.of(channels));
        Tensor unbiasedVar = Ops.zeros(c.backend, Shape.of(channels));
        Ops.BatchNormResult r = Ops.batchNormTraining(x, scale, bias, batchMean, unbiasedVar, eps, 1f);
        int m = x.size() / channels;
        Tensor biasedVar = m > 1 ? Ops.scale(unbiasedVar, (float) (m - 1) / m) : unbiasedVar;
        Tensor runningMean = Ops.add(Ops.scale(mean, momentum), Ops.scale(batchMean, 1f - momentum));
        Tensor runningVar = Ops.add(Ops.scale(var, momentum), Ops.scale(biasedVar, 1f - momentum));
        return List.of(Output.of(r.out()), Output.of(runningMean), Output.of(runningVar));
    }

    // ================================================================ elementwise

    private static List<Output> unary(Call c, java.util.function.UnaryOperator<Tensor> f) {
        c.allow();
        return List.of(Output.of(f.apply(c.tensor(0))));
    }

    /** Add, Sub, Mul, Div with NumPy (multidirectional) broadcasting, versions 7+. */
    private static List<Output> binary(Call c, BinaryOp op) {
        // Versions 1 and 6 had 'broadcast' (suffix broadcasting, a subset of NumPy's) and 'axis'.
        c.allow("broadcast");
        return List.of(Output.of(Ops.binary(op, c.tensor(0), c.tensor(1))));
    }

    /** Sum: variadic, broadcasting; the sum of one input is a copy of it. */
    private static List<Output> sum(Call c) {
        c.allow();
        int n = c.node.inputs().size();
        if (n < 1) {
            throw c.malformed("Sum needs at least one input");
        }
        Tensor acc = Ops.copy(c.tensor(0));
        for (int i = 1; i < n; i++) {
            acc = Ops.add(acc, c.tensor(i));
        }
        return List.of(Output.of(acc));
    }

    /** Clip: min(max(x, min), max). Version 11+: optional scalar inputs; before: attributes (default ±FLT_MAX). */
    private static List<Output> clip(Call c) {
        Tensor x = c.tensor(0);
        float lo, hi;
        if (c.opset >= 11) {
            c.allow();
            lo = c.node.hasInput(1) ? c.scalar(1) : Float.NEGATIVE_INFINITY;
            hi = c.node.hasInput(2) ? c.scalar(2) : Float.POSITIVE_INFINITY;
        } else {
            c.allow("min", "max");
            lo = c.node.attrFloat("min", -Float.MAX_VALUE);
            hi = c.node.attrFloat("max", Float.MAX_VALUE);
        }
        return List.of(Output.of(Ops.clip(x, lo, hi)));
    }

    // ================================================================ layout

    /** Concat along axis (negative counts from the end, version 11+). */
    private static List<Output> concat(Call c) {
        c.allow("axis");
        if (!c.node.has("axis") && c.opset >= 4) {
            throw c.malformed("axis is required");
        }
        int axis = c.intAttr("axis", 1);
        int n = c.node.inputs().size();
        Tensor[] parts = new Tensor[n];
        for (int i = 0; i < n; i++) {
            parts[i] = c.tensor(i);
        }
        return List.of(Output.of(Ops.concat(axis, parts)));
    }

    /** Flatten to [prod(dims[0, axis)), prod(dims[axis, r))]. */
    private static List<Output> flatten(Call c) {
        c.allow("axis");
        return List.of(Output.of(Ops.flatten(c.tensor(0), c.intAttr("axis", 1))));
    }

    // ================================================================ linear algebra

    /** Gemm: Y = alpha·A'·B' + beta·C, A' = Aᵀ if transA, B' = Bᵀ if transB; C broadcasts to [M,N] (optional from version 11). */
    private static List<Output> gemm(Call c) {
        c.allow("alpha", "beta", "transA", "transB", "broadcast");
        Tensor a = c.tensor(0), b = c.tensor(1), cc = c.optionalTensor(2);
        float alpha = c.node.attrFloat("alpha", 1f), beta = c.node.attrFloat("beta", 1f);
        Tensor y = Ops.matmul(a, b, c.intAttr("transA", 0) != 0, c.intAttr("transB", 0) != 0);
        if (alpha != 1f) {
            y = Ops.scale(y, alpha);
        }
        if (cc != null) {
            Shape s = Ops.broadcastShape("Gemm", cc.shape(), y.shape());
            if (!s.equals(y.shape())) {
                throw c.malformed("C " + cc.shape() + " does not broadcast to A'·B' " + y.shape());
            }
            y = Ops.add(y, beta == 1f ? cc : Ops.scale(cc, beta));
        }
        return List.of(Output.of(y));
    }

    /** MatMul of two 2-D tensors (numpy.matmul of other ranks is not mapped). */
    private static List<Output> matMul(Call c) {
        c.allow();
        Tensor a = c.tensor(0), b = c.tensor(1);
        if (a.shape().rank() != 2 || b.shape().rank() != 2) {
            throw c.unsupported("only 2-D MatMul is mapped; got " + a.shape() + " · " + b.shape());
        }
        return List.of(Output.of(Ops.matmul(a, b)));
    }

    // ================================================================ softmax

    /**
     * Softmax / LogSoftmax. Version 13+: along the single axis {@code axis} (default −1). Before:
     * the input is viewed as 2-D [prod(dims[0, axis)), prod(dims[axis, r))] (axis default 1) and
     * normalized over the second dimension, i.e. over all axes from {@code axis} on.
     */
    private static List<Output> softmax(Call c, boolean log) {
        c.allow("axis");
        Tensor x = c.tensor(0);
        if (c.opset >= 13) {
            int axis = c.intAttr("axis", -1);
            return List.of(Output.of(log ? Ops.logSoftmax(x, axis) : Ops.softmax(x, axis)));
        }
        Tensor x2 = Ops.flatten(x, c.intAttr("axis", 1));
        Tensor y2 = log ? Ops.logSoftmax(x2, 1) : Ops.softmax(x2, 1);
        return List.of(Output.of(Ops.reshape(y2, x.shape())));
    }

    // ================================================================ regularization

    /**
     * Dropout. In inference (no training_mode input, or false; before version 12 always, before 7
     * unless is_test=0) the output is the input and the optional mask is all true. In training
     * mode with ratio 0 the same holds, computed with {@link Ops#dropout} at p = 0; with a
     * non-zero ratio the mask comes from ONNX's random generator, which no backend can
     * reproduce, so the test is skipped.
     */
    private static List<Output> dropout(Call c) {
        float ratio;
        boolean training;
        if (c.opset >= 12) {
            c.allow("seed");
            ratio = c.node.hasInput(1) ? c.scalar(1) : 0.5f;
            training = c.node.hasInput(2) && c.bool(2);
        } else {
            c.allow("ratio", "is_test", "seed");
            ratio = c.node.attrFloat("ratio", 0.5f);
            training = c.opset < 7 && c.intAttr("is_test", 0) == 0;
        }
        Tensor x = c.tensor(0);
        Tensor y;
        if (!training) {
            y = Ops.copy(x);
        } else if (ratio == 0f) {
            y = Ops.dropout(x, 0f, 0L).out();
        } else {
            throw c.unsupported("training-mode Dropout with ratio " + ratio + " depends on ONNX's random mask,"
                    + " which InceptionJ's RandomStream cannot reproduce");
        }
        // The mask is bool from version 10 on, of the input's type before.
        OnnxDataType maskType = c.opset >= 10 ? OnnxDataType.BOOL : OnnxDataType.FLOAT;
        Output mask = c.node.hasOutput(1) ? new Output(Ops.full(c.backend, x.shape(), 1f), maskType) : null;
        return Arrays.asList(Output.of(y), mask);
    }

    // ================================================================ reductions

    /**
     * ReduceMean / ReduceSum. From version {@code axesInputSince} (18 for ReduceMean, 13 for
     * ReduceSum) the axes are an optional int64 input and {@code noop_with_empty_axes} decides
     * what empty axes mean (1: identity, 0: reduce all); before, axes is an attribute (absent:
     * all). keepdims keeps reduced axes as size 1.
     */
    private static List<Output> reduce(Call c, ReduceOp op, long axesInputSince) {
        long[] axes;
        boolean noop = false;
        if (c.opset >= axesInputSince) {
            c.allow("keepdims", "noop_with_empty_axes");
            axes = c.node.hasInput(1) ? c.ints(1) : new long[0];
            noop = c.intAttr("noop_with_empty_axes", 0) != 0;
        } else {
            c.allow("keepdims", "axes");
            axes = c.node.attrInts("axes", new long[0]);
        }
        Tensor x = c.tensor(0);
        if (axes.length == 0 && noop) {
            return List.of(Output.of(Ops.copy(x)));
        }
        int[] a = new int[axes.length];
        for (int i = 0; i < a.length; i++) {
            a[i] = Math.toIntExact(axes[i]);
        }
        return List.of(Output.of(Ops.reduce(op, x, c.intAttr("keepdims", 1) != 0, a)));
    }

    // ================================================================ helpers

    private static int[] repeat(int value, int n) {
        int[] a = new int[n];
        Arrays.fill(a, value);
        return a;
    }

    /** One node application: the node, its opset, its inputs and the conversions they need. */
    // ================================================================ loss

    /**
     * SoftmaxCrossEntropyLoss: scores x [N, C, d1, ...], labels y [N, d1, ...] (int64), optional
     * class weights w [C], {@code ignore_index}, {@code reduction} none | sum | mean, and the
     * optional second output log_prob = logSoftmax(x) over axis 1. Per element,
     * loss = −w[y]·log_prob[y] (0 where y = ignore_index); mean divides by Σ w[y] over the
     * elements not ignored (ONNX's weighted mean).
     * <p>The plain case (2-D, mean, no weights, no ignore_index) runs the fused
     * {@link Ops#softmaxCrossEntropy} with ε = 0, the op training uses. Every other case is
     * composed: a target tensor t[n,c,...] = w[c]·[c = y[n,...]] is built from the labels, and
     * loss = −Σ_c t·log_prob along axis 1.
     */
    private static List<Output> softmaxCrossEntropyLoss(Call c) {
        c.allow("ignore_index", "reduction");
        Tensor x = c.tensor(0);
        long[] labels = c.ints(1);
        Tensor weights = c.optionalTensor(2);
        String reduction = c.node.attrString("reduction", "mean");
        boolean hasIgnore = c.node.has("ignore_index");
        long ignore = c.node.attrInt("ignore_index", Long.MIN_VALUE);
        Shape xs = x.shape();
        if (xs.rank() < 2) {
            throw c.malformed("scores " + xs + " must be [N, C, ...]");
        }
        int n = xs.dim(0), classes = xs.dim(1), d = xs.sizeBetween(2, xs.rank());
        if (labels.length != n * d) {
            throw c.malformed(labels.length + " labels for scores " + xs);
        }
        for (long y : labels) {
            if ((y < 0 || y >= classes) && !(hasIgnore && y == ignore)) {
                throw c.malformed("label " + y + " is outside [0, " + classes + ")");
            }
        }
        if (!reduction.equals("none") && !reduction.equals("sum") && !reduction.equals("mean")) {
            throw c.unsupported("reduction '" + reduction + "'");
        }
        boolean wantLogProb = c.node.hasOutput(1);
        if (xs.rank() == 2 && weights == null && !hasIgnore && reduction.equals("mean") && !wantLogProb) {
            int[] y = new int[n];
            for (int i = 0; i < n; i++) {
                y[i] = (int) labels[i];
            }
            return List.of(Output.of(Ops.softmaxCrossEntropy(x, y, 0f, null, false).loss()));
        }
        float[] w = weights == null ? null : weights.toArray();
        float[] target = new float[xs.size()];
        double weightSum = 0;
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < d; k++) {
                long y = labels[i * d + k];
                if (hasIgnore && y == ignore) {
                    continue;
                }
                float wy = w == null ? 1f : w[(int) y];
                target[(i * classes + (int) y) * d + k] = wy;
                weightSum += wy;
            }
        }
        Tensor logProb = Ops.logSoftmax(x, 1);
        Tensor perElement = Ops.neg(Ops.reduce(ReduceOp.SUM, Ops.mul(Ops.fromArray(c.backend, xs, target), logProb),
                false, 1));                                                         // [N, d1, ...]
        Tensor loss = switch (reduction) {
            case "none" -> perElement;
            case "sum" -> Ops.reduce(ReduceOp.SUM, perElement, false);
            default -> Ops.scale(Ops.reduce(ReduceOp.SUM, perElement, false), (float) (1.0 / weightSum));
        };
        return wantLogProb ? List.of(Output.of(loss), Output.of(logProb)) : List.of(Output.of(loss));
    }

    private static final class Call {
        final Backend backend;
        final OnnxNode node;
        final long opset;
        final List<OnnxTensor> inputs;

        Call(Backend backend, OnnxNode node, long opset, List<OnnxTensor> inputs) {
            this.backend = backend;
            this.node = node;
            this.opset = opset;
            this.inputs = inputs;
        }

        String op() {
            return node.opType() + "-opset" + opset;
        }

        OnnxUnsupportedException unsupported(String reason) {
            return new OnnxUnsupportedException(node.opType() + ": " + reason);
        }

        OnnxFormatException malformed(String reason) {
            return new OnnxFormatException(op() + ": " + reason);
        }

        /** Every attribute on the node must be one this mapping reads, so none is silently ignored. */
        void allow(String... known) {
            Set<String> k = Set.of(known);
            for (String a : node.attributes().keySet()) {
                if (!k.contains(a)) {
                    throw unsupported("attribute '" + a + "' is not mapped (" + node.attributes().get(a) + ")");
                }
            }
        }

        OnnxTensor value(int slot) {
            if (!node.hasInput(slot)) {
                throw malformed("required input " + slot + " is missing");
            }
            OnnxTensor t = slot < inputs.size() ? inputs.get(slot) : null;
            if (t == null) {
                throw malformed("no value for input " + slot + " ('" + node.input(slot) + "')");
            }
            return t;
        }

        /** A float32 input as a tensor of the backend. */
        Tensor tensor(int slot) {
            OnnxTensor t = value(slot);
            if (t.dataType() != OnnxDataType.FLOAT) {
                throw unsupported("input " + slot + " (" + t + ") has element type " + t.dataType().displayName()
                        + "; InceptionJ tensors are float32");
            }
            return Harness.assertOwned(backend, node.opType() + " input " + slot + " (Ops.fromArray)",
                    Ops.fromArray(backend, t.shape(), t.floats()));
        }

        Tensor optionalTensor(int slot) {
            return node.hasInput(slot) ? tensor(slot) : null;
        }

        /** A one-element float32 input (rank 0 or [1]) as a Java float. */
        float scalar(int slot) {
            OnnxTensor t = value(slot);
            if (t.dataType() != OnnxDataType.FLOAT) {
                throw unsupported("input " + slot + " (" + t + ") has element type " + t.dataType().displayName()
                        + "; InceptionJ tensors are float32");
            }
            if (t.size() != 1) {
                throw malformed("input " + slot + " (" + t + ") must be a scalar");
            }
            return t.floats()[0];
        }

        /** An int64 input (axes) as Java longs. */
        long[] ints(int slot) {
            OnnxTensor t = value(slot);
            if (t.dataType() != OnnxDataType.INT64) {
                throw malformed("input " + slot + " (" + t + ") must be int64");
            }
            return t.longs();
        }

        /** A one-element bool input as a Java boolean. */
        boolean bool(int slot) {
            OnnxTensor t = value(slot);
            if (t.dataType() != OnnxDataType.BOOL || t.size() != 1) {
                throw malformed("input " + slot + " (" + t + ") must be a bool scalar");
            }
            return t.longs()[0] != 0;
        }

        int intAttr(String name, int otherwise) {
            long v = node.attrInt(name, otherwise);
            if (v != (int) v) {
                throw malformed("attribute " + name + "=" + v + " is out of int range");
            }
            return (int) v;
        }

        int positive(String name, long v) {
            if (v < 1 || v > Integer.MAX_VALUE) {
                throw malformed(name + " must be >= 1, got " + v);
            }
            return (int) v;
        }

        /** A 2-D INTS attribute such as strides, or (d, d) if absent. */
        int[] pair(String name, int otherwise) {
            long[] v = node.attrInts(name, null);
            if (v == null) {
                return new int[] {otherwise, otherwise};
            }
            if (v.length != 2) {
                throw malformed(name + " " + Arrays.toString(v) + " must have 2 values for 2-D input");
            }
            return new int[] {positive(name, v[0]), positive(name, v[1])};
        }
    }
}
