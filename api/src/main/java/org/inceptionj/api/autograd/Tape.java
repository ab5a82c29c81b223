package org.inceptionj.api.autograd;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.inceptionj.api.BinaryOp;
import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;

/**
 * Reverse-mode automatic differentiation: a tape you hold (one per training step, never global)
 * that records differentiable ops as they run and replays their backward rules in reverse.
 *
 * <pre>{@code
 * try (Tape tape = Tape.recording(); TensorScope step = TensorScope.open()) {
 *     for (Tensor p : params) tape.watch(p);                       // leaves that want gradients
 *     Tensor loss = tape.crossEntropy(model(tape, x), labels, 0.1f, null);
 *     tape.backward(loss);                                         // d loss / d p for every watched p
 *     Tensor g = tape.grad(w);
 * }
 * }</pre>
 *
 * <ul>
 *   <li>The ops are the methods below; each lives with its backward rule in its own file
 *       ({@link Conv2dFn}, {@link BatchNormFn}, ...). An op is recorded only if one of its inputs
 *       is watched or was produced by a recorded op.</li>
 *   <li><b>Accumulation.</b> Backward primitives overwrite; the tape adds. A tensor that feeds
 *       several consumers (every Inception block feeds its input to four branches) receives the
 *       sum of their gradients. A second {@link #backward} on a tape made with
 *       {@code retainGraph = true} <b>adds</b> to the gradients of the first (PyTorch's rule);
 *       {@link #zeroGrad()} clears them. Without retainGraph a second backward is an error.</li>
 *   <li><b>Memory.</b> What a backward rule needs is {@linkplain Tensor#retain() retained}, so the
 *       scopes that made the activations may close as usual; everything is released when backward
 *       finishes (or, with retainGraph, when the tape closes). Gradients of intermediates are freed
 *       as soon as they have been passed on; gradients of watched tensors live until
 *       {@link #close()}.</li>
 *   <li>{@link #inference()} gives a tape that records nothing: the same model code runs in
 *       evaluation with no bookkeeping.</li>
 * </ul>
 * A tape is used by one thread.
 */
public final class Tape implements AutoCloseable {

    /** A recorded op's backward rule: given dL/d(output), the gradients of its inputs (null where not needed). */
    @FunctionalInterface
    interface Rule {
        Tensor[] backward(Tensor dy);
    }

    private record Node(String op, Tensor[] inputs, Tensor output, Rule rule) {
    }

    private final boolean recording;
    private final boolean retainGraph;
    private final List<Node> nodes = new ArrayList<>();
    private final Map<Tensor, Boolean> watched = new IdentityHashMap<>();
    private final Map<Tensor, Boolean> tracked = new IdentityHashMap<>();
    private final Map<Tensor, Tensor> grads = new IdentityHashMap<>();
    private final List<Tensor> retained = new ArrayList<>();
    private int backwardRuns;
    private boolean closed;

    private Tape(boolean recording, boolean retainGraph) {
        this.recording = recording;
        this.retainGraph = retainGraph;
    }

    /** A tape that records; one backward pass, after which its saved tensors are released. */
    public static Tape recording() {
        return new Tape(true, false);
    }

    /** A tape that records; with {@code retainGraph} backward may run again and adds to the gradients. */
    public static Tape recording(boolean retainGraph) {
        return new Tape(true, retainGraph);
    }

    /** A tape that records nothing (evaluation): ops just run. */
    public static Tape inference() {
        return new Tape(false, false);
    }

    public boolean isRecording() {
        return recording;
    }

    /** Marks {@code t} as a leaf whose gradient is wanted (a parameter). Returns t. */
    public Tensor watch(Tensor t) {
        checkUsable("watch");
        Ops.checkOpen("watch", t);
        if (recording) {
            watched.put(t, Boolean.TRUE);
            tracked.put(t, Boolean.TRUE);
        }
        return t;
    }

    // ================================================================ the differentiable ops

    /** {@link Ops#conv2d}, recorded. */
    public Tensor conv2d(Tensor x, Tensor w, Tensor bias, Conv2dSpec spec) {
        return Conv2dFn.apply(this, x, w, bias, spec);
    }

    /**
     * Batch norm: with {@code training}, batch statistics (and the running statistics updated in
     * place with {@code momentum}); otherwise the running statistics. Recorded either way.
     */
    public Tensor batchNorm(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                            float eps, float momentum, boolean training) {
        return BatchNormFn.apply(this, x, gamma, beta, runningMean, runningVar, eps, momentum, training);
    }

    /**
     * relu(batchNorm(x)), recorded: in training one forward call and one backward call
     * ({@link Ops#batchNormTraining} with relu, {@link Ops#batchNormReluBackward}), the same values as
     * {@link #batchNorm} and {@link #relu} in turn; in evaluation those two.
     */
    public Tensor batchNormRelu(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                float eps, float momentum, boolean training) {
        return BatchNormFn.apply(this, x, gamma, beta, runningMean, runningVar, eps, momentum, training, true);
    }

    /** {@link Ops#relu}, recorded. */
    public Tensor relu(Tensor x) {
        return ReluFn.apply(this, x);
    }

    /** {@link Ops#maxPool2d}, recorded. */
    public Tensor maxPool2d(Tensor x, Pool2dSpec spec) {
        return PoolFn.max(this, x, spec);
    }

    /** {@link Ops#avgPool2d}, recorded. */
    public Tensor avgPool2d(Tensor x, Pool2dSpec spec) {
        return PoolFn.average(this, x, spec);
    }

    /** {@link Ops#globalAvgPool}, recorded. */
    public Tensor globalAvgPool(Tensor x) {
        return MeanFn.globalAvgPool(this, x);
    }

    /** {@link Ops#concat}, recorded. */
    public Tensor concat(int axis, Tensor... parts) {
        return ConcatFn.concat(this, axis, parts);
    }

    /** {@link Ops#slice}, recorded. */
    public Tensor slice(Tensor x, int axis, int start, int length) {
        return ConcatFn.slice(this, x, axis, start, length);
    }

    /** {@link Ops#split}, recorded (one slice per piece). */
    public Tensor[] split(Tensor x, int axis, int... sizes) {
        Ops.checkOpen("split", x);
        int a = x.shape().normalizeAxis(axis);
        long total = 0;
        for (int s : sizes) {
            total += s;
        }
        if (total != x.shape().dim(a)) {
            throw new IllegalArgumentException("split: sizes " + java.util.Arrays.toString(sizes) + " add up to "
                    + total + ", axis " + axis + " of " + x.shape() + " has " + x.shape().dim(a));
        }
        Tensor[] out = new Tensor[sizes.length];
        for (int i = 0, start = 0; i < sizes.length; start += sizes[i], i++) {
            out[i] = slice(x, a, start, sizes[i]);
        }
        return out;
    }

    /** {@link Ops#linear}, recorded: y = x·wᵀ + b. */
    public Tensor linear(Tensor x, Tensor w, Tensor bias) {
        return LinearFn.apply(this, x, w, bias);
    }

    /** {@link Ops#add} with broadcasting, recorded. */
    public Tensor add(Tensor a, Tensor b) {
        return ElementwiseFn.binary(this, BinaryOp.ADD, a, b);
    }

    /** {@link Ops#sub} with broadcasting, recorded. */
    public Tensor sub(Tensor a, Tensor b) {
        return ElementwiseFn.binary(this, BinaryOp.SUB, a, b);
    }

    /** {@link Ops#mul} with broadcasting, recorded. */
    public Tensor mul(Tensor a, Tensor b) {
        return ElementwiseFn.binary(this, BinaryOp.MUL, a, b);
    }

    /** alpha·x + beta, recorded. */
    public Tensor affine(Tensor x, float alpha, float beta) {
        return ElementwiseFn.affine(this, x, alpha, beta);
    }

    /** {@link Ops#flatten}, recorded. */
    public Tensor flatten(Tensor x, int axis) {
        return ReshapeFn.flatten(this, x, axis);
    }

    /** Inverted dropout with probability p (identity when p = 0), recorded. */
    public Tensor dropout(Tensor x, float p, long seed) {
        return DropoutFn.apply(this, x, p, seed);
    }

    /** {@link Ops#logSoftmax}, recorded. */
    public Tensor logSoftmax(Tensor x, int axis) {
        return SoftmaxFn.apply(this, x, axis, true);
    }

    /** {@link Ops#softmax}, recorded. */
    public Tensor softmax(Tensor x, int axis) {
        return SoftmaxFn.apply(this, x, axis, false);
    }

    /** Mean over all elements, a scalar [] tensor, recorded. */
    public Tensor mean(Tensor x) {
        return MeanFn.all(this, x);
    }

    /**
     * Label-smoothed softmax cross-entropy, mean over the batch (paper §7): logits [N,K], labels
     * in [0,K), ε in [0,1), prior u [K] summing to 1 (null: uniform). Returns a scalar [] tensor.
     */
    public Tensor crossEntropy(Tensor logits, int[] labels, float epsilon, Tensor prior) {
        return CrossEntropyFn.apply(this, logits, labels, epsilon, prior);
    }

    // ================================================================ recording, for the Fn files

    /** True when an op on these inputs must be recorded. */
    boolean needsGrad(Tensor... inputs) {
        checkUsable("record");
        if (!recording) {
            return false;
        }
        for (Tensor t : inputs) {
            if (t != null && tracked.containsKey(t)) {
                return true;
            }
        }
        return false;
    }

    /** True when this input's gradient is wanted. */
    boolean wantsGrad(Tensor t) {
        return t != null && tracked.containsKey(t);
    }

    /** Records op → output with its rule; {@code saved} are kept alive until backward has run. */
    void record(String op, Tensor[] inputs, Tensor output, Rule rule, Tensor... saved) {
        for (Tensor s : saved) {
            if (s != null) {
                retained.add(s.retain());
            }
        }
        nodes.add(new Node(op, inputs, output, rule));
        tracked.put(output, Boolean.TRUE);
    }

    // ================================================================ backward

    /** Backward from a one-element tensor (a loss): dL/dL = 1. */
    public void backward(Tensor loss) {
        checkUsable("backward");
        Ops.checkOpen("backward", loss);
        if (loss.size() != 1) {
            throw new IllegalArgumentException("backward: " + loss.shape() + " is not a scalar (" + loss.size()
                    + " elements); pass an upstream gradient with backward(y, dy)");
        }
        try (TensorScope s = TensorScope.open()) {
            run(loss, Ops.full(loss.backend(), loss.shape(), 1f));
        }
    }

    /** Backward from y with upstream gradient dy (same shape as y). */
    public void backward(Tensor y, Tensor dy) {
        checkUsable("backward");
        Ops.checkOpen("backward", y, dy);
        if (!y.shape().equals(dy.shape())) {
            throw new IllegalArgumentException("backward: upstream gradient " + dy.shape() + " does not match "
                    + y.shape());
        }
        try (TensorScope s = TensorScope.open()) {
            run(y, Ops.copy(dy));
        }
    }

    private void run(Tensor y, Tensor dy) {
        if (!recording) {
            throw new IllegalStateException("backward: this is an inference tape; it recorded nothing");
        }
        if (backwardRuns > 0 && !retainGraph) {
            throw new IllegalStateException("backward: this tape already ran backward and released what it saved;"
                    + " make it with Tape.recording(true) to run backward more than once");
        }
        if (!tracked.containsKey(y)) {
            throw new IllegalArgumentException("backward: " + y.shape()
                    + " was not computed by a recorded op from a watched tensor; nothing to differentiate");
        }
        backwardRuns++;
        // Gradients of this pass, then added into what earlier passes left on watched tensors.
        Map<Tensor, Tensor> pass = new IdentityHashMap<>();
        pass.put(y, TensorScope.detach(dy));
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Node node = nodes.get(i);
            Tensor g = pass.get(node.output);
            if (g == null) {
                continue; // this op does not lead to y
            }
            Tensor[] gin;
            try (TensorScope s = TensorScope.open()) {
                gin = node.rule.backward(g);
                for (Tensor t : gin) {
                    if (t != null) {
                        TensorScope.detach(t);
                    }
                }
            }
            if (!watched.containsKey(node.output)) {
                pass.remove(node.output).close(); // passed on: an intermediate's gradient is no longer needed
            }
            for (int k = 0; k < gin.length; k++) {
                Tensor in = node.inputs[k];
                if (gin[k] == null || !tracked.containsKey(in)) {
                    if (gin[k] != null) {
                        gin[k].close();
                    }
                    continue;
                }
                accumulate(pass, in, gin[k]);
            }
        }
        for (Map.Entry<Tensor, Tensor> e : pass.entrySet()) {
            if (watched.containsKey(e.getKey())) {
                accumulate(grads, e.getKey(), e.getValue());
            } else {
                e.getValue().close();
            }
        }
        if (!retainGraph) {
            releaseSaved();
        }
    }

    /** into[key] += g (g is consumed). */
    private static void accumulate(Map<Tensor, Tensor> into, Tensor key, Tensor g) {
        Tensor old = into.get(key);
        if (old == null) {
            into.put(key, g);
        } else {
            old.backend().binary(BinaryOp.ADD, old, old, g); // in place: += (out may alias a)
            g.close();
        }
    }

    /**
     * dL/dt for a watched tensor after backward.
     *
     * @throws IllegalStateException if t is watched but received no gradient (it did not take part in
     *         the loss, or only through non-differentiable ops): reported, never a silent zero
     * @throws IllegalArgumentException if t was never watched
     */
    public Tensor grad(Tensor t) {
        checkUsable("grad");
        if (!watched.containsKey(t)) {
            throw new IllegalArgumentException("grad: " + t + " is not watched by this tape; call watch() before"
                    + " the forward pass");
        }
        Tensor g = grads.get(t);
        if (g == null) {
            throw new IllegalStateException("grad: " + t + " received no gradient"
                    + (backwardRuns == 0 ? " (backward has not run)" : " (it does not contribute to the loss)"));
        }
        return g;
    }

    /** Whether a watched tensor has received a gradient. */
    public boolean hasGrad(Tensor t) {
        return grads.containsKey(t);
    }

    /** The names of the given parameters that received no gradient (empty when all did). */
    public List<String> missingGradients(Map<String, Tensor> params) {
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            if (!grads.containsKey(e.getValue())) {
                missing.add(e.getKey());
            }
        }
        return Collections.unmodifiableList(missing);
    }

    /**
     * Gradients of the given parameters by name; throws naming every one that received none. The
     * tensors are the tape's own and live until it closes: an optimizer may modify them in place
     * (weight decay, clipping) before it applies them; with {@code recording(true)} such changes carry
     * into the sum of a later backward.
     */
    public Map<String, Tensor> gradients(Map<String, Tensor> params) {
        List<String> missing = missingGradients(params);
        if (!missing.isEmpty()) {
            throw new IllegalStateException("gradients: " + missing.size() + " parameter(s) received no gradient: "
                    + missing);
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            out.put(e.getKey(), grads.get(e.getValue()));
        }
        return out;
    }

    /** Frees the accumulated gradients of watched tensors (before another retained-graph backward). */
    public void zeroGrad() {
        for (Tensor g : grads.values()) {
            g.close();
        }
        grads.clear();
    }

    /** Number of recorded ops. */
    public int size() {
        return nodes.size();
    }

    private void releaseSaved() {
        for (Tensor t : retained) {
            t.release();
        }
        retained.clear();
    }

    private void checkUsable(String what) {
        if (closed) {
            throw new IllegalStateException(what + ": the tape is closed");
        }
    }

    /** Releases what the tape saved and frees the gradients it holds. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        releaseSaved();
        zeroGrad();
        nodes.clear();
        closed = true;
    }
}
