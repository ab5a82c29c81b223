package org.inceptionj.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;

import org.inceptionj.api.Backend;
import org.inceptionj.api.BinaryOp;
import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Ops;
import org.inceptionj.api.OptionalFeature;
import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.ReduceOp;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.api.UnaryOp;
import org.inceptionj.api.autograd.Tape;
import org.inceptionj.conformance.reference.BatchNormBackwardReference;
import org.inceptionj.conformance.reference.BatchNormReference;
import org.inceptionj.conformance.reference.Conv2dBackwardReference;
import org.inceptionj.conformance.reference.Conv2dReference;
import org.inceptionj.conformance.reference.CrossEntropyReference;
import org.inceptionj.conformance.reference.DTensor;
import org.inceptionj.conformance.reference.ElementwiseBackwardReference;
import org.inceptionj.conformance.reference.ElementwiseReference;
import org.inceptionj.conformance.reference.LayoutBackwardReference;
import org.inceptionj.conformance.reference.LayoutReference;
import org.inceptionj.conformance.reference.LinearReference;
import org.inceptionj.conformance.reference.PoolingBackwardReference;
import org.inceptionj.conformance.reference.PoolingReference;
import org.inceptionj.conformance.reference.RandomReference;
import org.inceptionj.conformance.reference.ReduceReference;
import org.inceptionj.conformance.reference.SoftmaxBackwardReference;
import org.inceptionj.conformance.reference.SoftmaxReference;
import org.junit.jupiter.api.function.Executable;

/**
 * The gradient suite of an InceptionJ {@link Backend}: its backward primitives and the
 * {@link Tape} on top of them. A backend runs it with one class, like {@link BackendConformance}:
 *
 * <pre>{@code
 * class MyBackendGradientConformanceTest extends GradientConformance {
 *     MyBackendGradientConformanceTest() { super(MyBackend::new); }          // or (MyBackend::new, CpuBackend::new)
 * }
 * }</pre>
 *
 * Two kinds of checks, with the tolerances of {@link GradientTolerances}:
 * <ol>
 *   <li><b>Each backward primitive and each tape rule against a double reference</b>
 *       ({@code reference/*Backward*}), with a random upstream gradient: through the {@link Ops}
 *       wrapper, through the primitive into NaN-filled outputs (same bits: deterministic and
 *       overwritten, never accumulated into), and through {@link Tape#backward(Tensor, Tensor)}
 *       (for conv2d, ReLU and the pools also the forward output the tape computed, which the
 *       gradients alone would not expose); with an oracle backend, the primitives are also
 *       compared with the oracle's. Every tensor the backend returns must be its own
 *       ({@link Harness#assertOwned}).</li>
 *   <li><b>Whole networks through the tape</b> ({@link GradientComposites}): an InceptionA-style
 *       block and the start of the stem, float32 tape gradients with respect to the input and
 *       every parameter against finite differences of the same network's double forward.</li>
 * </ol>
 * The references the first kind trusts are themselves checked against central finite differences
 * of their forwards, in double precision ({@link FiniteDifferences}); that check touches no backend,
 * so it runs in the kit's own build (its test {@code ReferenceBackwardTest}), not here.
 * Plus the tape's rules: a second backward on {@code Tape.recording(true)} adds, a single-use tape
 * refuses it, a tensor used several times receives the sum, a watched parameter left out of the
 * loss is reported, an inference tape records nothing, backward frees every intermediate, and bad
 * input is rejected with a message that names the value. Every check also verifies that
 * {@link Backend#liveBytes()} returns to its start. The worst error per op is printed as a table
 * once the suite has run.
 */
public abstract class GradientConformance extends ConformanceBase {
    /** At most this many elements per tensor are checked by finite differences in the per-op checks (all in the networks). */
    static final int FD_COORDINATES = 48;

    /** Checks {@code backend}'s gradients against the references. */
    protected GradientConformance(Supplier<? extends Backend> backend) {
        this(backend, null);
    }

    /** Also compares {@code backend}'s backward primitives with {@code oracle}'s (null: references only). */
    protected GradientConformance(Supplier<? extends Backend> backend, Supplier<? extends Backend> oracle) {
        super(backend, oracle);
    }

    /** The gradient tolerances of this run, from {@link #tolerances()}. */
    protected GradientTolerances gradientTolerances() {
        return new GradientTolerances(tolerances());
    }

    /** Prints the table of worst errors (see {@link GradientReport}) when the suite's properties have run. */
    @AfterContainer
    static void printWorstErrors() {
        String table = GradientReport.drain();
        if (!table.isEmpty()) {
            System.out.print(table);
        }
    }

    /** Forgets the worst errors recorded so far, unprinted (for tests that call properties by hand). */
    public static void forgetWorstErrors() {
        GradientReport.drain();
    }

    // ================================================================ generators

    /** Cases that need an {@link OptionalFeature} the backend leaves out are not drawn (the forward suite reports them). */
    @Provide
    Arbitrary<Cases.Conv2d> conv2dCases() {
        return Generators.conv2dCases().filter(c -> supports(OptionalFeature.neededBy(c.spec())));
    }

    @Provide
    Arbitrary<Cases.Pool> poolCases() {
        return Generators.poolCases().filter(c -> supports(OptionalFeature.neededBy(c.spec())));
    }

    @Provide
    Arbitrary<Cases.BatchNorm> batchNormCases() {
        return Generators.batchNormCases();
    }

    @Provide
    Arbitrary<Cases.Softmax> softmaxCases() {
        return GradientGenerators.softmaxCases();
    }

    @Provide
    Arbitrary<Cases.Dropout> dropoutCases() {
        return Generators.dropoutCases();
    }

    @Provide
    Arbitrary<Cases.Concat> concatCases() {
        return Generators.concatCases();
    }

    @Provide
    Arbitrary<Cases.Slice> sliceCases() {
        return Generators.sliceCases();
    }

    @Provide
    Arbitrary<GradientCases.CrossEntropy> crossEntropyCases() {
        return GradientGenerators.crossEntropyCases();
    }

    @Provide
    Arbitrary<GradientCases.Linear> linearCases() {
        return GradientGenerators.linearCases();
    }

    @Provide
    Arbitrary<GradientCases.Binary> binaryCases() {
        return GradientGenerators.binaryCases();
    }

    @Provide
    Arbitrary<GradientCases.Pointwise> pointwiseCases() {
        return GradientGenerators.pointwiseCases();
    }

    @Provide
    Arbitrary<GradientCases.Pointwise> imageCases() {
        return GradientGenerators.imageCases();
    }

    @Provide
    Arbitrary<GradientCases.Composite> inceptionA() {
        return GradientGenerators.composites(GradientComposites.INCEPTION_A);
    }

    @Provide
    Arbitrary<GradientCases.Composite> stem() {
        return GradientGenerators.composites(GradientComposites.STEM);
    }

    // ================================================================ 1. backend against the references

    /**
     * conv2d backward over {@link Generators#conv2dCases()}' geometry: dx and dw through
     * {@link Ops#conv2dBackwardData}/{@link Ops#conv2dBackwardWeight} and into NaNs; dx, dw and
     * dbias through the tape.
     */
    @Property(tries = 40)
    public void conv2dBackwardMatchesReference(@ForAll("conv2dCases") Cases.Conv2d c) {
        Conv2dSpec s = c.spec();
        DTensor x = Values.of(c.x(), c.values(), c.seed()), w = Values.of(c.w(), c.values(), c.seed() + 1);
        DTensor bias = c.bias() ? Values.of(Shape.of(c.w().dim(0)), c.values(), c.seed() + 2) : null;
        Shape ys = Shape.of(c.x().dim(0), c.w().dim(0), s.outH(c.x().dim(2), c.w().dim(2)), s.outW(c.x().dim(3), c.w().dim(3)));
        DTensor dy = Values.of(ys, c.values(), c.seed() + 3);
        GradientTolerances gt = gradientTolerances();
        DTensor dx = Conv2dBackwardReference.data(dy, w, c.x(), s), dw = Conv2dBackwardReference.weight(dy, x, c.w(), s);
        DTensor tdx = gt.conv2dBackwardData(dy, w, c.x(), s), tdw = gt.conv2dBackwardWeight(dy, x, c.w(), s);
        check("conv2dBackward", c, true, be -> {
            Tensor dyt = upload(be, dy), xt = upload(be, x), wt = upload(be, w);
            Tensor dxDirty = nans(be, c.x()), dwDirty = nans(be, c.w());
            be.conv2dBackwardData(dxDirty, dyt, wt, s);
            be.conv2dBackwardWeight(dwDirty, dyt, xt, s);
            return new Outputs().add("dx", Ops.conv2dBackwardData(dyt, wt, c.x(), s))
                    .add("dw", Ops.conv2dBackwardWeight(dyt, xt, c.w(), s))
                    .repeat("dx (into NaNs)", dxDirty, 0).repeat("dw (into NaNs)", dwDirty, 1);
        }, expect(dx, dw), expect(tdx, tdw));
        // The tape's forward output too: a conv2d that is wrong only in its forward (an offset, say)
        // leaves dx and dw intact, and batch norm after it hides it from the networks below.
        check("conv2d (tape)", c, false, be -> {
            try (Tape tape = Tape.recording()) {
                Tensor xt = tape.watch(upload(be, x)), wt = tape.watch(upload(be, w));
                Tensor bt = bias == null ? null : tape.watch(upload(be, bias));
                Tensor y = tape.conv2d(xt, wt, bt, s);
                Outputs o = new Outputs().add("y", Ops.copy(y), 3);
                tape.backward(y, upload(be, dy));
                o.add("dx", grad(tape, xt), 0).add("dw", grad(tape, wt), 1);
                return bias == null ? o : o.add("dbias", grad(tape, bt), 2);
            }
        }, expect(dx, dw, Conv2dBackwardReference.bias(dy), Conv2dReference.forward(x, w, bias, s)),
                expect(tdx, tdw, gt.conv2dBias(dy), tolerances().conv2d(x, w, bias, s)));
    }

    /**
     * Training-mode batch norm backward from given saved statistics (Ops and into NaNs); through the
     * tape, whose saved statistics are those of the backend's own forward pass.
     */
    @Property(tries = 40)
    public void batchNormBackwardMatchesReference(@ForAll("batchNormCases") Cases.BatchNorm c) {
        checkBatchNormBackward(c, false);
    }

    /**
     * The training block's batch norm + ReLU backward from its output y: batchNormBackward's gradients for
     * dy·[y &gt; 0] (Ops and into NaNs, y given); through the tape ({@link Tape#batchNormRelu}), whose y
     * and saved statistics are those of the backend's own forward call.
     */
    @Property(tries = 30)
    public void batchNormReluBackwardMatchesReference(@ForAll("batchNormCases") Cases.BatchNorm c) {
        checkBatchNormBackward(c, true);
    }

    private void checkBatchNormBackward(Cases.BatchNorm c, boolean relu) {
        Shape cs = Shape.of(c.x().dim(1));
        DTensor x = Values.channels(c.x(), c.seed());
        DTensor gamma = Values.uniform(cs, c.seed() + 1, -2, 2), beta = Values.uniform(cs, c.seed() + 2, -1, 1);
        DTensor dy = Values.of(c.x(), GradientGenerators.kindOf(c.seed()), c.seed() + 5);
        BatchNormReference.Training fwd = BatchNormReference.training(x, gamma, beta, DTensor.zeros(cs),
                DTensor.full(cs, 1), c.eps(), c.momentum());
        DTensor mean = rounded(fwd.mean()), invStd = rounded(fwd.invStd());
        double[] out = fwd.out().data().clone();
        for (int i = 0; i < out.length; i++) {
            out[i] = Math.max(out[i], 0);
        }
        // With the ReLU: its output y as the backend would return it, and the gradient that passes it.
        DTensor y = rounded(new DTensor(c.x(), out)), upstream = relu ? masked(dy, y) : dy;
        GradientTolerances gt = gradientTolerances();
        BatchNormBackwardReference.Grads ref = BatchNormBackwardReference.training(upstream, x, gamma, mean, invStd);
        BatchNormBackwardReference.Grads tol = gt.batchNormBackward(upstream, x, gamma, mean, invStd, ref);
        check(relu ? "batchNormReluBackward" : "batchNormBackward", c, true, be -> {
            Tensor dyt = upload(be, dy), xt = upload(be, x), g = upload(be, gamma), m = upload(be, mean),
                    inv = upload(be, invStd);
            Tensor dx = nans(be, c.x()), dg = nans(be, cs), db = nans(be, cs);
            Ops.BatchNormGrads r;
            if (relu) {
                Tensor yt = upload(be, y);
                r = Ops.batchNormReluBackward(dyt, yt, xt, g, m, inv);
                be.batchNormReluBackward(dx, dg, db, dyt, yt, xt, g, m, inv);
            } else {
                r = Ops.batchNormBackward(dyt, xt, g, m, inv);
                be.batchNormBackward(dx, dg, db, dyt, xt, g, m, inv);
            }
            return new Outputs().add("dx", r.dx()).add("dgamma", r.dgamma()).add("dbeta", r.dbeta())
                    .repeat("dx (into NaNs)", dx, 0).repeat("dgamma (into NaNs)", dg, 1).repeat("dbeta (into NaNs)", db, 2);
        }, expect(ref.dx(), ref.dgamma(), ref.dbeta()), expect(tol.dx(), tol.dgamma(), tol.dbeta()));

        float[][] saved = onBackend(be -> {
            Ops.BatchNormResult r = Ops.batchNormTraining(upload(be, x), upload(be, gamma), upload(be, beta),
                    Ops.zeros(be, cs), Ops.full(be, cs, 1f), c.eps(), c.momentum(), relu);
            return new float[][] {r.mean().toArray(), r.invStd().toArray(), r.out().toArray()};
        });
        DTensor meanB = DTensor.of(cs, saved[0]), invStdB = DTensor.of(cs, saved[1]);
        DTensor upstreamB = relu ? masked(dy, DTensor.of(c.x(), saved[2])) : dy;
        BatchNormBackwardReference.Grads refB = BatchNormBackwardReference.training(upstreamB, x, gamma, meanB, invStdB);
        BatchNormBackwardReference.Grads tolB = gt.batchNormBackward(upstreamB, x, gamma, meanB, invStdB, refB);
        check(relu ? "batchNorm + ReLU training (tape)" : "batchNorm training (tape)", c, false, be -> {
            try (Tape tape = Tape.recording()) {
                Tensor xt = tape.watch(upload(be, x)), g = tape.watch(upload(be, gamma)), b = tape.watch(upload(be, beta));
                Tensor rm = Ops.zeros(be, cs), rv = Ops.full(be, cs, 1f);
                Tensor o = relu ? tape.batchNormRelu(xt, g, b, rm, rv, c.eps(), c.momentum(), true)
                        : tape.batchNorm(xt, g, b, rm, rv, c.eps(), c.momentum(), true);
                tape.backward(o, upload(be, dy));
                return new Outputs().add("dx", grad(tape, xt)).add("dgamma", grad(tape, g)).add("dbeta", grad(tape, b));
            }
        }, expect(refB.dx(), refB.dgamma(), refB.dbeta()), expect(tolB.dx(), tolB.dgamma(), tolB.dbeta()));
    }

    /** dy where y &gt; 0, else 0: what reaches the batch norm of a block through its ReLU. */
    private static DTensor masked(DTensor dy, DTensor y) {
        double[] m = new double[dy.size()];
        for (int i = 0; i < m.length; i++) {
            m[i] = y.data()[i] > 0 ? dy.data()[i] : 0;
        }
        return new DTensor(dy.shape(), m);
    }

    /** Evaluation-mode batch norm through the tape (running statistics are constants; the rule is made of Ops). */
    @Property(tries = 30)
    public void batchNormEvalBackwardMatchesReference(@ForAll("batchNormCases") Cases.BatchNorm c) {
        Shape cs = Shape.of(c.x().dim(1));
        DTensor x = Values.channels(c.x(), c.seed());
        DTensor gamma = Values.uniform(cs, c.seed() + 1, -2, 2), beta = Values.uniform(cs, c.seed() + 2, -1, 1);
        DTensor mean = Values.uniform(cs, c.seed() + 3, -1, 1), var = Values.uniform(cs, c.seed() + 4, 0, 3);
        DTensor dy = Values.of(c.x(), GradientGenerators.kindOf(c.seed()), c.seed() + 5);
        BatchNormBackwardReference.Grads ref = BatchNormBackwardReference.inference(dy, x, gamma, mean, var, c.eps());
        BatchNormBackwardReference.Grads tol = gradientTolerances().batchNormEvalBackward(dy, x, mean, var, c.eps(), ref);
        check("batchNorm eval (tape)", c, false, be -> {
            try (Tape tape = Tape.recording()) {
                Tensor xt = tape.watch(upload(be, x)), g = tape.watch(upload(be, gamma)), b = tape.watch(upload(be, beta));
                Tensor y = tape.batchNorm(xt, g, b, upload(be, mean), upload(be, var), c.eps(), c.momentum(), false);
                tape.backward(y, upload(be, dy));
                return new Outputs().add("dx", grad(tape, xt)).add("dgamma", grad(tape, g)).add("dbeta", grad(tape, b));
            }
        }, expect(ref.dx(), ref.dgamma(), ref.dbeta()), expect(tol.dx(), tol.dgamma(), tol.dbeta()));
    }

    /** ReLU backward from the output y = relu(x), exactly (y = 0 passes nothing); Ops, into NaNs, tape. */
    @Property(tries = 40)
    public void reluBackwardMatchesReference(@ForAll("pointwiseCases") GradientCases.Pointwise c) {
        DTensor x = Values.of(c.shape(), c.values(), c.seed()), y = ElementwiseReference.unary(UnaryOp.RELU, x);
        DTensor dy = Values.of(c.shape(), c.values(), c.seed() + 1);
        DTensor ref = ElementwiseBackwardReference.relu(dy, y), tol = gradientTolerances().exact(c.shape());
        check("reluBackward", c, true, be -> {
            Tensor dyt = upload(be, dy), yt = upload(be, y), dirty = nans(be, c.shape());
            be.reluBackward(dirty, dyt, yt);
            return new Outputs().add("dx", Ops.reluBackward(dyt, yt)).repeat("dx (into NaNs)", dirty, 0);
        }, expect(ref), expect(tol));
        check("relu (tape)", c, false, be -> {
            try (Tape tape = Tape.recording()) {
                Tensor xt = tape.watch(upload(be, x));
                Tensor yt = tape.relu(xt);
                Outputs o = new Outputs().add("y", Ops.copy(yt), 1);
                tape.backward(yt, upload(be, dy));
                return o.add("dx", grad(tape, xt), 0);
            }
        }, expect(ref, y), expect(tol, tol));
    }

    /** Max pool backward over every Pool2dSpec option, ties included (first maximum wins); Ops, into NaNs, tape. */
    @Property(tries = 50)
    public void maxPool2dBackwardMatchesReference(@ForAll("poolCases") Cases.Pool c) {
        DTensor x = Values.of(c.x(), c.values(), c.seed());
        DTensor dy = Values.of(PoolingReference.outShape(c.x(), c.spec()), c.values(), c.seed() + 1);
        DTensor ref = PoolingBackwardReference.max(dy, x, c.spec()), tol = gradientTolerances().maxPool2dBackward(dy, x, c.spec());
        check("maxPool2dBackward", c, true, be -> {
            Tensor dyt = upload(be, dy), xt = upload(be, x), yt = Ops.maxPool2d(xt, c.spec()), dirty = nans(be, c.x());
            be.maxPool2dBackward(dirty, dyt, xt, yt, c.spec());
            return new Outputs().add("dx", Ops.maxPool2dBackward(dyt, xt, yt, c.spec())).repeat("dx (into NaNs)", dirty, 0);
        }, expect(ref), expect(tol));
        check("maxPool2d (tape)", c, false, be -> {
            try (Tape tape = Tape.recording()) {
                Tensor xt = tape.watch(upload(be, x));
                Tensor yt = tape.maxPool2d(xt, c.spec());
                Outputs o = new Outputs().add("y", Ops.copy(yt), 1);
                tape.backward(yt, upload(be, dy));
                return o.add("dx", grad(tape, xt), 0);
            }
        }, expect(ref, PoolingReference.max(x, c.spec())), expect(tol, tolerances().maxPool2d(c.x(), c.spec())));
    }

    /** Average pool backward, both padding modes, ceil mode, dilation; Ops, into NaNs, tape. */
    @Property(tries = 50)
    public void avgPool2dBackwardMatchesReference(@ForAll("poolCases") Cases.Pool c) {
        DTensor dy = Values.of(PoolingReference.outShape(c.x(), c.spec()), c.values(), c.seed() + 1);
        DTensor ref = PoolingBackwardReference.average(dy, c.x(), c.spec());
        DTensor tol = gradientTolerances().avgPool2dBackward(dy, c.x(), c.spec());
        check("avgPool2dBackward", c, true, be -> {
            Tensor dyt = upload(be, dy), dirty = nans(be, c.x());
            be.avgPool2dBackward(dirty, dyt, c.spec());
            return new Outputs().add("dx", Ops.avgPool2dBackward(dyt, c.x(), c.spec())).repeat("dx (into NaNs)", dirty, 0);
        }, expect(ref), expect(tol));
        DTensor x = Values.of(c.x(), c.values(), c.seed());
        check("avgPool2d (tape)", c, false, be -> {
            try (Tape tape = Tape.recording()) {
                Tensor xt = tape.watch(upload(be, x));
                Tensor yt = tape.avgPool2d(xt, c.spec());
                Outputs o = new Outputs().add("y", Ops.copy(yt), 1);
                tape.backward(yt, upload(be, dy));
                return o.add("dx", grad(tape, xt), 0);
            }
        }, expect(ref, PoolingReference.average(x, c.spec())), expect(tol, tolerances().avgPool2d(x, c.spec())));
    }

    /**
     * Softmax and log-softmax backward along any axis from a given output y (Ops and into NaNs);
     * through the tape, whose y is the backend's own forward output.
     */
    @Property(tries = 50)
    public void softmaxBackwardMatchesReference(@ForAll("softmaxCases") Cases.Softmax c) {
        int axis = c.axis() < 0 ? c.axis() + c.shape().rank() : c.axis();
        DTensor x = Values.of(c.shape(), c.values(), c.seed()), dy = Values.of(c.shape(), c.values(), c.seed() + 1);
        DTensor y = rounded(SoftmaxReference.softmax(x, axis, c.log()));
        GradientTolerances gt = gradientTolerances();
        DTensor ref = SoftmaxBackwardReference.backward(dy, y, axis, c.log());
        String op = c.log() ? "logSoftmax" : "softmax";
        check(op + "Backward", c, true, be -> {
            Tensor dyt = upload(be, dy), yt = upload(be, y), dirty = nans(be, c.shape());
            be.softmaxBackward(dirty, dyt, yt, axis, c.log());
            return new Outputs().add("dx", Ops.softmaxBackward(dyt, yt, c.axis(), c.log())).repeat("dx (into NaNs)", dirty, 0);
        }, expect(ref), expect(gt.softmaxBackward(dy, y, axis, c.log(), ref)));

        DTensor yB = DTensor.of(c.shape(), onBackend(be -> {
            Tensor xt = upload(be, x);
            return (c.log() ? Ops.logSoftmax(xt, c.axis()) : Ops.softmax(xt, c.axis())).toArray();
        }));
        DTensor refB = SoftmaxBackwardReference.backward(dy, yB, axis, c.log());
        check(op + " (tape)", c, false, be -> {
            try (Tape tape = Tape.recording()) {
                Tensor xt = tape.watch(upload(be, x));
                tape.backward(c.log() ? tape.logSoftmax(xt, c.axis()) : tape.softmax(xt, c.axis()), upload(be, dy));
                return new Outputs().add("dx", grad(tape, xt));
            }
        }, expect(refB), expect(gt.softmaxBackward(dy, yB, axis, c.log(), refB)));
    }

    /**
     * Label-smoothed cross-entropy: loss and dlogits = (p − q')/N with and without a prior, through
     * Ops (with and without the gradient: the same loss bits) and into NaNs; through the tape with
     * a random upstream scalar g (dlogits·g).
     */
    @Property(tries = 50)
    public void crossEntropyMatchesReference(@ForAll("crossEntropyCases") GradientCases.CrossEntropy c) {
        Shape ls = Shape.of(c.n(), c.k());
        DTensor logits = Values.of(ls, c.values(), c.seed());
        int[] labels = GradientGenerators.labels(c.n(), c.k(), c.seed());
        DTensor prior = c.prior() ? GradientGenerators.prior(c.k(), c.seed() + 1) : null;
        CrossEntropyReference.Result ref = CrossEntropyReference.forward(logits, labels, c.epsilon(), prior);
        CrossEntropyReference.Result tol = gradientTolerances().crossEntropy(logits, labels, c.epsilon(), prior, ref);
        check("softmaxCrossEntropy", c, true, be -> {
            Tensor lt = upload(be, logits), pt = prior == null ? null : upload(be, prior);
            Ops.CrossEntropyResult r = Ops.softmaxCrossEntropy(lt, labels, c.epsilon(), pt, true);
            Tensor loss = nans(be, Shape.scalar()), d = nans(be, ls);
            be.softmaxCrossEntropy(loss, d, lt, labels.clone(), c.epsilon(), pt);
            return new Outputs().add("loss", r.loss()).add("dlogits", r.dlogits())
                    .repeat("loss (into NaNs)", loss, 0).repeat("dlogits (into NaNs)", d, 1)
                    .repeat("loss (no gradient)", Ops.softmaxCrossEntropy(lt, labels, c.epsilon(), pt, false).loss(), 0);
        }, expect(ref.loss(), ref.dlogits()), expect(tol.loss(), tol.dlogits()));

        float g = (float) Values.uniform(Shape.of(1), c.seed() + 2, -2, 2).data()[0];
        DTensor scaled = ElementwiseReference.affine(ref.dlogits(), g, 0);
        check("crossEntropy (tape)", c, false, be -> {
            try (Tape tape = Tape.recording()) {
                Tensor lt = tape.watch(upload(be, logits)), pt = prior == null ? null : upload(be, prior);
                tape.backward(tape.crossEntropy(lt, labels, c.epsilon(), pt), Ops.full(be, Shape.scalar(), g));
                return new Outputs().add("dlogits", grad(tape, lt));
            }
        }, expect(scaled), expect(gradientTolerances().timesScalar(tol.dlogits(), g, ref.dlogits())));
    }

    /** linear y = x·wᵀ + b through the tape: dx = dy·w, dw = dyᵀ·x, db = Σ_n dy. */
    @Property(tries = 40)
    public void linearBackwardMatchesReference(@ForAll("linearCases") GradientCases.Linear c) {
        DTensor x = Values.of(Shape.of(c.n(), c.in()), c.values(), c.seed());
        DTensor w = Values.of(Shape.of(c.out(), c.in()), c.values(), c.seed() + 1);
        DTensor b = c.bias() ? Values.of(Shape.of(c.out()), c.values(), c.seed() + 2) : null;
        DTensor dy = Values.of(Shape.of(c.n(), c.out()), c.values(), c.seed() + 3);
        LinearReference.Grads ref = LinearReference.backward(dy, x, w, c.bias());
        LinearReference.Grads tol = gradientTolerances().linearBackward(dy, x, w, c.bias());
        check("linear (tape)", c, false, be -> {
            try (Tape tape = Tape.recording()) {
                Tensor xt = tape.watch(upload(be, x)), wt = tape.watch(upload(be, w));
                Tensor bt = b == null ? null : tape.watch(upload(be, b));
                tape.backward(tape.linear(xt, wt, bt), upload(be, dy));
                Outputs o = new Outputs().add("dx", grad(tape, xt)).add("dw", grad(tape, wt));
                return b == null ? o : o.add("db", grad(tape, bt));
            }
        }, expect(ref.dx(), ref.dw(), ref.db()), expect(tol.dx(), tol.dw(), tol.db()));
    }

    /** concat through the tape: each part receives its slice of dy, exactly (empty parts included). */
    @Property(tries = 40)
    public void concatBackwardMatchesReference(@ForAll("concatCases") Cases.Concat c) {
        Shape[] shapes = c.parts().toArray(Shape[]::new);
        DTensor[] parts = new DTensor[shapes.length];
        for (int p = 0; p < parts.length; p++) {
            parts[p] = Values.of(shapes[p], c.values(), c.seed() + p);
        }
        int axis = c.axis() < 0 ? c.axis() + shapes[0].rank() : c.axis();
        DTensor dy = Values.of(LayoutReference.concat(parts, axis).shape(), c.values(), c.seed() - 1);
        DTensor[] ref = LayoutBackwardReference.concat(dy, shapes, axis);
        DTensor[] tol = new DTensor[ref.length];
        for (int p = 0; p < tol.length; p++) {
            tol[p] = gradientTolerances().exact(shapes[p]);
        }
        check("concat (tape)", c, false, be -> {
            try (Tape tape = Tape.recording()) {
                Tensor[] ts = new Tensor[parts.length];
                for (int p = 0; p < ts.length; p++) {
                    ts[p] = tape.watch(upload(be, parts[p]));
                }
                tape.backward(tape.concat(c.axis(), ts), upload(be, dy));
                Outputs o = new Outputs();
                for (int p = 0; p < ts.length; p++) {
                    o.add("dpart" + p, grad(tape, ts[p]), p);
                }
                return o;
            }
        }, ref, tol);
    }

    /**
     * slice through the tape: dy placed back at its offset, zeros elsewhere; and split into three
     * pieces with a backward from each on one retained tape, which must add up to all of dy.
     */
    @Property(tries = 40)
    public void sliceBackwardMatchesReference(@ForAll("sliceCases") Cases.Slice c) {
        DTensor x = Values.of(c.shape(), c.values(), c.seed());
        int n = c.shape().dim(c.axis()), end = c.start() + c.length();
        DTensor dy = Values.of(c.shape().with(c.axis(), c.length()), c.values(), c.seed() + 1);
        DTensor dAll = Values.of(c.shape(), c.values(), c.seed() + 2);
        DTensor ref = LayoutBackwardReference.slice(dy, c.shape(), c.axis(), c.start());
        DTensor exact = gradientTolerances().exact(c.shape());
        check("slice (tape)", c, false, be -> {
            Outputs o = new Outputs();
            try (Tape tape = Tape.recording()) {
                Tensor xt = tape.watch(upload(be, x));
                tape.backward(tape.slice(xt, c.axis(), c.start(), c.length()), upload(be, dy));
                o.add("dx", grad(tape, xt), 0);
            }
            try (Tape tape = Tape.recording(true)) {
                Tensor xt = tape.watch(upload(be, x));
                Tensor[] pieces = tape.split(xt, c.axis(), c.start(), c.length(), n - end);
                int[] starts = {0, c.start(), end};
                for (int p = 0; p < 3; p++) {
                    Tensor part = upload(be, LayoutReference.slice(dAll, c.axis(), starts[p], pieces[p].shape().dim(c.axis())));
                    tape.backward(pieces[p], part);
                }
                o.add("dx (split, three backward passes)", grad(tape, xt), 1);
            }
            return o;
        }, expect(ref, dAll), expect(exact, exact));
    }

    /** Dropout through the tape: dx = dy·mask, the mask of {@link org.inceptionj.api.RandomStream}. */
    @Property(tries = 40)
    public void dropoutBackwardMatchesReference(@ForAll("dropoutCases") Cases.Dropout c) {
        DTensor x = Values.of(c.shape(), c.values(), c.seed()), dy = Values.of(c.shape(), c.values(), c.seed() + 1);
        DTensor ref = ElementwiseBackwardReference.dropout(dy, RandomReference.dropout(x, c.p(), c.seed()).mask());
        check("dropout (tape)", c, false, be -> {
            try (Tape tape = Tape.recording()) {
                Tensor xt = tape.watch(upload(be, x));
                tape.backward(tape.dropout(xt, c.p(), c.seed()), upload(be, dy));
                return new Outputs().add("dx", grad(tape, xt));
            }
        }, expect(ref), expect(gradientTolerances().relative(ref, 3)));
    }

    /** add, sub, mul with broadcasting through the tape: each input receives dz (times the other) summed over its broadcast axes. */
    @Property(tries = 50)
    public void binaryBackwardMatchesReference(@ForAll("binaryCases") GradientCases.Binary c) {
        DTensor a = Values.of(c.a(), c.values(), c.seed()), b = Values.of(c.b(), c.values(), c.seed() + 1);
        DTensor dz = Values.of(ElementwiseReference.broadcastShape(c.a(), c.b()), c.values(), c.seed() + 2);
        DTensor[] ref = ElementwiseBackwardReference.binary(c.op(), a, b, dz);
        check(c.op().name().toLowerCase() + " (tape)", c, false, be -> {
            try (Tape tape = Tape.recording()) {
                Tensor at = tape.watch(upload(be, a)), bt = tape.watch(upload(be, b));
                Tensor z = switch (c.op()) {
                    case ADD -> tape.add(at, bt);
                    case SUB -> tape.sub(at, bt);
                    default -> tape.mul(at, bt);
                };
                tape.backward(z, upload(be, dz));
                return new Outputs().add("da", grad(tape, at)).add("db", grad(tape, bt));
            }
        }, ref, gradientTolerances().binaryBackward(c.op(), a, b, dz));
    }

    /** affine (dx = α·dy), mean of all elements (g/K), global average pool (dy/HW) and flatten (dy reshaped) through the tape. */
    @Property(tries = 30)
    public void affineMeanAndFlattenBackwardMatchReference(@ForAll("imageCases") GradientCases.Pointwise c) {
        Shape xs = c.shape();
        DTensor x = Values.of(xs, c.values(), c.seed()), dy = Values.of(xs, c.values(), c.seed() + 1);
        DTensor dPooled = Values.of(Shape.of(xs.dim(0), xs.dim(1), 1, 1), c.values(), c.seed() + 2);
        float alpha = (float) Values.uniform(Shape.of(1), c.seed() + 3, -4, 4).data()[0];
        float g = (float) Values.uniform(Shape.of(1), c.seed() + 4, -2, 2).data()[0];
        DTensor affine = ElementwiseBackwardReference.affine(dy, alpha), mean = ElementwiseBackwardReference.mean(g, xs);
        DTensor gap = ElementwiseBackwardReference.globalAvgPool(dPooled, xs);
        GradientTolerances gt = gradientTolerances();
        check("affine, mean, globalAvgPool, flatten (tape)", c, false, be -> {
            Outputs o = new Outputs();
            try (Tape tape = Tape.recording()) {
                Tensor xt = tape.watch(upload(be, x));
                tape.backward(tape.affine(xt, alpha, 0.5f), upload(be, dy));
                o.add("affine dx", grad(tape, xt), 0);
            }
            try (Tape tape = Tape.recording()) {
                Tensor xt = tape.watch(upload(be, x));
                tape.backward(tape.mean(xt), Ops.full(be, Shape.scalar(), g));
                o.add("mean dx", grad(tape, xt), 1);
            }
            try (Tape tape = Tape.recording()) {
                Tensor xt = tape.watch(upload(be, x));
                tape.backward(tape.globalAvgPool(xt), upload(be, dPooled));
                o.add("globalAvgPool dx", grad(tape, xt), 2);
            }
            try (Tape tape = Tape.recording()) {
                Tensor xt = tape.watch(upload(be, x));
                tape.backward(tape.flatten(xt, 1), upload(be, dy.reshape(Shape.of(xs.dim(0), xs.size() / xs.dim(0)))));
                o.add("flatten dx", grad(tape, xt), 3);
            }
            return o;
        }, expect(affine, mean, gap, dy), expect(gt.relative(affine, 1), gt.relative(mean, 2), gt.relative(gap, 2),
                gt.exact(xs)));
    }

    // ================================================================ 3. networks: the tape against finite differences

    /**
     * An InceptionA-style block (one input, four branches of conv → training BN → ReLU, an
     * average-pool branch, channel concat), global average pool, fc, label-smoothed
     * cross-entropy: the tape's gradients with respect to the input and every parameter.
     */
    @Property(tries = 3)
    public void inceptionABlockGradientsMatchFiniteDifferences(@ForAll("inceptionA") GradientCases.Composite c) {
        checkNetwork(c);
    }

    /** The stem chain conv(stride 2) → BN → ReLU → conv → BN → ReLU → max pool 3×3/2, loss Σ c·y. */
    @Property(tries = 3)
    public void stemGradientsMatchFiniteDifferences(@ForAll("stem") GradientCases.Composite c) {
        checkNetwork(c);
    }

    private void checkNetwork(GradientCases.Composite c) {
        GradientComposites.Instance in = GradientComposites.instance(c.network(), c.seed());
        Backend be = backend();
        long live = be.liveBytes();
        Map<String, float[]> grads = new LinkedHashMap<>();
        try (TensorScope scope = TensorScope.open(); Tape tape = Tape.recording()) {
            Map<String, Tensor> ts = new LinkedHashMap<>();
            in.tensors().forEach((name, d) -> ts.put(name, tape.watch(upload(be, d))));
            GradientComposites.backward(in, tape, ts);
            ts.forEach((name, t) -> grads.put(name, tape.grad(t).toArray()));
        }
        assertNoLeak(be, live, c.network() + " (tape)", c);

        long pattern = GradientComposites.loss(in).pattern();
        DTensor one = DTensor.full(Shape.of(1), 1);
        for (Map.Entry<String, DTensor> e : in.tensors().entrySet()) {
            DTensor t = e.getValue();
            int[] all = FiniteDifferences.coordinates(t.size(), t.size(), 0);
            DTensor fd = FiniteDifferences.gradient(() -> {
                GradientComposites.Evaluation ev = GradientComposites.loss(in);
                if (ev.pattern() != pattern) {
                    throw new IllegalStateException(c.network() + ": a finite-difference step in " + e.getKey()
                            + " crossed a ReLU or max-pool kink; the kink margin is too small");
                }
                return DTensor.full(Shape.of(1), ev.loss());
            }, t, one, all).value();
            String which = e.getKey().equals("input") ? "d/d input" : "d/d parameters";
            compare(suite(), c.network() + " (tape vs finite differences)", which + " (" + e.getKey() + ")", which, c,
                    toDoubles(grads.get(e.getKey())), fd, gradientTolerances().composite(fd), all, t.shape());
        }
    }

    // ================================================================ the tape's rules

    /** On Tape.recording(true) a second backward adds to the gradients (they double, bit for bit); zeroGrad clears them. */
    @Example
    public void secondBackwardOnRetainedGraphAddsToGradients() {
        GradientComposites.Instance in = GradientComposites.instance(GradientComposites.INCEPTION_A, 11);
        Backend be = backend();
        long live = be.liveBytes();
        try (TensorScope scope = TensorScope.open(); Tape tape = Tape.recording(true)) {
            Map<String, Tensor> ts = new LinkedHashMap<>();
            in.tensors().forEach((name, d) -> ts.put(name, tape.watch(upload(be, d))));
            Tensor out = GradientComposites.forward(in.network(), new GradientComposites.TapeNet(tape), ts, ts.get("input"));
            Tensor loss = tape.crossEntropy(out, in.labels(), 0.1f, null);
            tape.backward(loss);
            Map<String, float[]> first = gradients(tape, ts);
            tape.backward(loss);
            Map<String, float[]> second = gradients(tape, ts);
            for (String name : ts.keySet()) {
                float[] g1 = first.get(name), g2 = second.get(name);
                for (int i = 0; i < g1.length; i++) {
                    if (Float.floatToIntBits(g2[i]) != Float.floatToIntBits(2 * g1[i])) {
                        throw new AssertionError("second backward on a retained tape: grad of " + name + " at " + i
                                + " is " + g2[i] + ", expected twice the first pass's " + g1[i] + " (the passes add)");
                    }
                }
            }
            tape.zeroGrad();
            assertFalse(tape.hasGrad(ts.get("input")), "zeroGrad must clear the gradients");
            tape.backward(loss);
            Map<String, float[]> third = gradients(tape, ts);
            for (String name : ts.keySet()) {
                assertTrue(Arrays.equals(first.get(name), third.get(name)),
                        "after zeroGrad a backward pass must give the first pass's gradient of " + name);
            }
        }
        assertNoLeak(be, live, "retained tape", "second backward");
    }

    /** Tape.recording() (single use) refuses a second backward, saying how to allow it. */
    @Example
    public void singleUseTapeRefusesSecondBackward() {
        Backend be = backend();
        long live = be.liveBytes();
        try (TensorScope scope = TensorScope.open(); Tape tape = Tape.recording()) {
            Tensor x = tape.watch(owned(be, Ops.uniform(be, Shape.of(2, 3), 1, -1f, 1f)));
            Tensor loss = tape.mean(tape.relu(x));
            tape.backward(loss);
            rejects(IllegalStateException.class, () -> tape.backward(loss), "already ran backward", "recording(true)");
        }
        assertNoLeak(be, live, "single-use tape", "second backward");
    }

    /**
     * A tensor used several times receives the sum of the gradients of its uses: x feeds relu,
     * affine, itself and x·x (both operands of one mul), concatenated along channels.
     */
    @Example
    public void tensorUsedSeveralTimesReceivesTheSum() {
        Shape xs = Shape.of(2, 3, 4, 5);
        DTensor x = Values.of(xs, Values.Kind.UNIT, 5), dy = Values.of(xs.with(1, 12), Values.Kind.UNIT, 6);
        DTensor[] d = LayoutBackwardReference.concat(dy, new Shape[] {xs, xs, xs, xs}, 1);
        DTensor y = ElementwiseReference.unary(UnaryOp.RELU, x);
        DTensor ref = DTensor.zeros(xs), mag = DTensor.zeros(xs);
        for (int i = 0; i < ref.size(); i++) {
            double[] terms = {y.data()[i] > 0 ? d[0].data()[i] : 0, 3 * d[1].data()[i], d[2].data()[i],
                    2 * x.data()[i] * d[3].data()[i]};
            for (double t : terms) {
                ref.data()[i] += t;
                mag.data()[i] += Math.abs(t);
            }
        }
        check("tensor used 4 times (tape)", "relu, affine, identity, x·x", false, be -> {
            try (Tape tape = Tape.recording()) {
                Tensor xt = tape.watch(upload(be, x));
                Tensor out = tape.concat(1, tape.relu(xt), tape.affine(xt, 3f, 1f), xt, tape.mul(xt, xt));
                tape.backward(out, upload(be, dy));
                return new Outputs().add("dx", grad(tape, xt));
            }
        }, expect(ref), expect(gradientTolerances().relative(mag, 6)));
    }

    /** A watched parameter that does not reach the loss is reported by name, never given a silent zero. */
    @Example
    public void unusedParameterIsReported() {
        Backend be = backend();
        long live = be.liveBytes();
        try (TensorScope scope = TensorScope.open(); Tape tape = Tape.recording()) {
            Tensor x = owned(be, Ops.uniform(be, Shape.of(2, 3), 1, -1f, 1f));
            Tensor used = tape.watch(Ops.uniform(be, Shape.of(4, 3), 2, -1f, 1f));
            Tensor unused = tape.watch(Ops.uniform(be, Shape.of(7, 5), 3, -1f, 1f));
            tape.backward(tape.mean(tape.linear(x, used, null)));
            Map<String, Tensor> named = new LinkedHashMap<>();
            named.put("fc.weight", used);
            named.put("AuxLogits.fc.weight", unused);
            assertEquals(List.of("AuxLogits.fc.weight"), tape.missingGradients(named));
            assertTrue(tape.hasGrad(used));
            rejects(IllegalStateException.class, () -> tape.grad(unused), unused.toString(), "received no gradient");
            rejects(IllegalStateException.class, () -> tape.gradients(named), "AuxLogits.fc.weight");
        }
        assertNoLeak(be, live, "unused parameter", "missingGradients");
    }

    /** An inference tape records nothing, holds nothing, computes what Ops computes, and has no backward. */
    @Example
    public void inferenceTapeRecordsNothing() {
        Backend be = backend();
        long live = be.liveBytes();
        Tape tape = Tape.inference();
        assertFalse(tape.isRecording());
        try (TensorScope scope = TensorScope.open()) {
            Tensor x = tape.watch(owned(be, Ops.uniform(be, Shape.of(2, 3, 6, 6), 1, -1f, 1f)));
            Tensor w = tape.watch(Ops.uniform(be, Shape.of(4, 3, 3, 3), 2, -1f, 1f));
            Tensor y = tape.maxPool2d(tape.relu(tape.conv2d(x, w, null, Conv2dSpec.of(1, 1))), Pool2dSpec.of(3, 2, 0));
            Tensor loss = tape.mean(y);
            assertEquals(0, tape.size(), "an inference tape must record no op");
            float[] expected = Ops.maxPool2d(Ops.relu(Ops.conv2d(x, w, null, Conv2dSpec.of(1, 1))), Pool2dSpec.of(3, 2, 0))
                    .toArray();
            assertTrue(Arrays.equals(expected, y.toArray()), "an inference tape must compute what Ops computes");
            rejects(IllegalStateException.class, () -> tape.backward(loss), "inference tape");
            rejects(IllegalArgumentException.class, () -> tape.grad(w), "not watched");
        }
        assertNoLeak(be, live, "inference tape", "scope closed before the tape");
        tape.close();
    }

    /**
     * After backward and the end of the step's scope only the parameters and the gradients of the
     * watched tensors are alive (every activation, saved tensor, mask and intermediate gradient is
     * freed); closing the tape frees the gradients. With recording(true) the saved tensors live
     * until the tape closes.
     */
    @Example
    public void backwardFreesEverythingButParametersAndGradients() {
        Backend be = backend();
        long start = be.liveBytes();
        GradientComposites.Instance in = GradientComposites.instance(GradientComposites.INCEPTION_A, 3);
        Map<String, Tensor> params = new LinkedHashMap<>();
        in.tensors().forEach((name, d) -> params.put(name, upload(be, d)));   // no scope open: owned by this test
        Tensor prior = upload(be, in.prior());
        long base = be.liveBytes(), gradBytes = base - start - 4L * prior.size();
        try {
            for (boolean retain : new boolean[] {false, true}) {
                Tape tape = Tape.recording(retain);
                try (TensorScope step = TensorScope.open()) {
                    params.values().forEach(tape::watch);
                    Tensor logits = GradientComposites.forward(in.network(), new GradientComposites.TapeNet(tape), params,
                            params.get("input"));
                    Tensor dropped = tape.dropout(logits, 0.25f, 7);
                    Tensor aux = tape.mean(tape.logSoftmax(tape.softmax(dropped, 1), 1));
                    tape.backward(tape.add(aux, tape.crossEntropy(logits, in.labels(), 0.1f, prior)));
                }
                long after = be.liveBytes();
                if (retain) {
                    assertTrue(after > base + gradBytes, "recording(true) keeps what backward needs until the tape closes");
                } else {
                    assertEquals(base + gradBytes, after, "after backward and closing the step scope only the parameters ("
                            + base + " bytes) and their gradients (" + gradBytes + ") may remain");
                }
                tape.close();
                assertEquals(base, be.liveBytes(), "closing the tape frees the gradients and whatever it saved");
            }
        } finally {
            params.values().forEach(Tensor::close);
            prior.close();
        }
        assertEquals(start, be.liveBytes());
    }

    /**
     * Bad input to the tape and the loss is rejected, naming the value: backward on a non-scalar
     * without an upstream gradient, an upstream gradient of the wrong shape, ε outside [0, 1),
     * labels outside [0, K), a prior that does not sum to 1; nothing is recorded and nothing leaks.
     */
    @Example
    public void badInputIsRejectedWithItsValue() {
        Backend be = backend();
        long live = be.liveBytes();
        Tape closedTape;
        try (TensorScope scope = TensorScope.open(); Tape tape = Tape.recording()) {
            closedTape = tape;
            Tensor logits = tape.watch(owned(be, Ops.uniform(be, Shape.of(2, 5), 1, -1f, 1f)));
            Tensor y = tape.affine(logits, 2f, 0f);
            int[] labels = {0, 4};
            rejects(IllegalArgumentException.class, () -> tape.backward(y), "[2,5]", "not a scalar");
            rejects(IllegalArgumentException.class, () -> tape.backward(y, Ops.zeros(be, Shape.of(5, 2))), "[5,2]", "[2,5]");
            rejects(IllegalArgumentException.class, () -> tape.crossEntropy(y, labels, 1f, null), "epsilon", "1.0");
            rejects(IllegalArgumentException.class, () -> tape.crossEntropy(y, labels, -0.25f, null), "-0.25");
            rejects(IllegalArgumentException.class, () -> tape.crossEntropy(y, labels, Float.NaN, null), "NaN");
            rejects(IllegalArgumentException.class, () -> tape.crossEntropy(y, new int[] {0, 5}, 0.1f, null),
                    "label 5", "[0, 5)");
            rejects(IllegalArgumentException.class, () -> tape.crossEntropy(y, new int[] {-1, 0}, 0.1f, null), "label -1");
            rejects(IllegalArgumentException.class, () -> tape.crossEntropy(y, new int[] {0, 1, 2}, 0.1f, null), "3 labels");
            Tensor short1 = Ops.fromArray(be, Shape.of(5), 0.5f, 0.25f, 0.125f, 0f, 0f);
            rejects(IllegalArgumentException.class, () -> tape.crossEntropy(y, labels, 0.1f, short1), "sums to 0.875");
            Tensor negative = Ops.fromArray(be, Shape.of(5), -0.5f, 1.5f, 0f, 0f, 0f);
            rejects(IllegalArgumentException.class, () -> tape.crossEntropy(y, labels, 0.1f, negative), "-0.5");
            Tensor wrongSize = Ops.fromArray(be, Shape.of(4), 0.25f, 0.25f, 0.25f, 0.25f);
            rejects(IllegalArgumentException.class, () -> tape.crossEntropy(y, labels, 0.1f, wrongSize), "[4]", "[5]");
            rejects(IllegalArgumentException.class, () -> Ops.softmaxCrossEntropy(y, labels, 1.5f, null, true), "1.5");
            rejects(IllegalArgumentException.class, () -> tape.backward(Ops.zeros(be, Shape.scalar())),
                    "not computed by a recorded op");
            rejects(IllegalArgumentException.class, () -> tape.grad(y), "not watched");
            assertEquals(1, tape.size(), "rejected calls must record nothing");
        }
        try (TensorScope scope = TensorScope.open()) {
            Tensor t = Ops.zeros(be, Shape.of(1));
            rejects(IllegalStateException.class, () -> closedTape.watch(t), "tape is closed");
            rejects(IllegalStateException.class, () -> closedTape.backward(t), "tape is closed");
        }
        assertNoLeak(be, live, "bad input", "tape and loss");
    }

    /** The backward primitives' Ops wrappers reject an upstream gradient or statistics of the wrong shape, naming both. */
    @Example
    public void backwardPrimitivesRejectMismatchedShapes() {
        Backend be = backend();
        long live = be.liveBytes();
        try (TensorScope scope = TensorScope.open()) {
            Tensor x = owned(be, Ops.zeros(be, Shape.of(1, 2, 5, 5))), w = Ops.zeros(be, Shape.of(3, 2, 3, 3));
            Tensor dyConv = Ops.zeros(be, Shape.of(1, 3, 4, 4)), dyPool = Ops.zeros(be, Shape.of(1, 2, 3, 3));
            Conv2dSpec conv = Conv2dSpec.of(1, 0);
            Pool2dSpec pool = Pool2dSpec.of(3, 2, 0);
            rejects(IllegalArgumentException.class, () -> Ops.conv2dBackwardData(dyConv, w, x.shape(), conv),
                    "[1,3,4,4]", "[1,3,3,3]");
            rejects(IllegalArgumentException.class, () -> Ops.conv2dBackwardWeight(dyConv, x, w.shape(), conv),
                    "[1,3,4,4]", "[1,3,3,3]");
            Tensor yPool = Ops.zeros(be, Shape.of(1, 2, 2, 2));
            rejects(IllegalArgumentException.class, () -> Ops.maxPool2dBackward(dyPool, x, yPool, pool),
                    "[1,2,3,3]", "[1,2,2,2]");
            rejects(IllegalArgumentException.class, () -> Ops.maxPool2dBackward(yPool, x, dyPool, pool),
                    "forward output y [1,2,3,3]", "[1,2,2,2]");
            rejects(IllegalArgumentException.class, () -> Ops.avgPool2dBackward(dyPool, x.shape(), pool),
                    "[1,2,3,3]", "[1,2,2,2]");
            rejects(IllegalArgumentException.class,
                    () -> Ops.reluBackward(Ops.zeros(be, Shape.of(2, 3)), Ops.zeros(be, Shape.of(3, 2))), "[2,3]", "[3,2]");
            rejects(IllegalArgumentException.class,
                    () -> Ops.softmaxBackward(Ops.zeros(be, Shape.of(2, 3)), Ops.zeros(be, Shape.of(2, 3)), 2, false),
                    "axis 2");
            Tensor c2 = Ops.zeros(be, Shape.of(2));
            rejects(IllegalArgumentException.class,
                    () -> Ops.batchNormBackward(x, x, Ops.zeros(be, Shape.of(3)), c2, c2), "gamma", "[3]");
            rejects(IllegalArgumentException.class,
                    () -> Ops.batchNormReluBackward(x, Ops.zeros(be, Shape.of(1, 2, 3, 4)), x, c2, c2, c2),
                    "batchNormReluBackward", "output y [1,2,3,4]", "[1,2,5,5]");
            rejects(IllegalArgumentException.class,
                    () -> Ops.batchNormReluBackward(x, x, x, Ops.zeros(be, Shape.of(3)), c2, c2), "gamma", "[3]");
        }
        assertNoLeak(be, live, "backward primitives", "mismatched shapes");
    }

    // ================================================================ plumbing

    /** A tensor's values rounded to float32 (what a backend would hold). */
    private static DTensor rounded(DTensor d) {
        return DTensor.of(d.shape(), d.toFloats());
    }

    private static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    /** t, after checking that the backend under test owns it (see {@link Harness#assertOwned}). */
    private static Tensor owned(Backend be, Tensor t) {
        return Harness.assertOwned(be, "a tensor made through Ops", t);
    }

    /** A copy of the tape's gradient of t in the current scope (it outlives the tape). */
    private static Tensor grad(Tape tape, Tensor t) {
        return Ops.copy(tape.grad(t));
    }

    private static Map<String, float[]> gradients(Tape tape, Map<String, Tensor> ts) {
        Map<String, float[]> g = new LinkedHashMap<>();
        ts.forEach((name, t) -> g.put(name, tape.grad(t).toArray()));
        return g;
    }

    private String suite() {
        return getClass().getSimpleName();
    }

    /** Runs {@code run} on the backend under test in a TensorScope and returns what it read back; checks nothing leaked. */
    private <R> R onBackend(Function<Backend, R> run) {
        Backend be = backend();
        long live = be.liveBytes();
        R r;
        try (TensorScope scope = TensorScope.open()) {
            r = run.apply(be);
        }
        assertNoLeak(be, live, "forward pass", "saved values for a tape check");
        return r;
    }

    private static void assertNoLeak(Backend be, long before, String op, Object context) {
        long after = be.liveBytes();
        if (after != before) {
            throw new AssertionError(op + ": backend '" + be.name() + "' holds " + after + " live bytes after the "
                    + "scope closed (and the tapes), " + before + " before: something was not freed\n  case: " + context);
        }
    }

    /** Asserts that call throws type with a message that contains every fragment. */
    private static <E extends RuntimeException> void rejects(Class<E> type, Executable call, String... fragments) {
        E e = assertThrows(type, call);
        String m = String.valueOf(e.getMessage());
        for (String f : fragments) {
            assertTrue(m.contains(f), () -> type.getSimpleName() + " message \"" + m + "\" should name \"" + f + "\"");
        }
    }


    /**
     * Runs {@code run} on the backend under test in a TensorScope: each output within its
     * tolerance of its expected result, repeats the same bits, nothing leaked. With
     * {@code withOracle} and an oracle, also each output against the oracle's (tape checks pass
     * false: the tape is backend-independent code over the primitives, and some rules use the
     * backend's own forward results, which differ between backends within their tolerance).
     */
    private void check(String op, Object context, boolean withOracle, Function<Backend, Outputs> run,
                       DTensor[] expected, DTensor[] tol) {
        Results mine = runOn(backend(), op, context, run);
        for (int k = 0; k < mine.outputs().size(); k++) {
            Outputs.Output o = mine.outputs().get(k);
            DTensor e = expected[o.expected()], t = tol[o.expected()];
            if (o.repeats() < 0 && mine.shapes()[k].equals(e.shape())) {
                GradientReport.record(suite(), op + " " + o.name(), mine.values()[k], e, t);
            }
            Harness.assertClose(op, o.name(), context, mine.shapes()[k], mine.values()[k], e, t);
            if (o.repeats() >= 0) {
                Harness.assertSameBits(op, o.name(), mine.outputs().get(o.repeats()).name(), context, mine.shapes()[k],
                        mine.values()[k], mine.values()[o.repeats()]);
            }
        }
        Backend theirs = withOracle ? oracle() : null;
        if (theirs != null) {
            Results ref = runOn(theirs, op, context, run);
            for (int k = 0; k < mine.outputs().size(); k++) {
                Outputs.Output o = mine.outputs().get(k);
                Harness.assertClose(op, o.name() + " vs oracle '" + theirs.name() + "'", context, mine.shapes()[k],
                        mine.values()[k], DTensor.of(ref.shapes()[k], ref.values()[k]), tol[o.expected()]);
            }
        }
    }

    /**
     * Kind 2: for each input k (null ones skipped), the analytic gradient analytic[k] against
     * central finite differences of Σ upstream·f with respect to inputs[k], on at most
     * {@link #FD_COORDINATES} of its elements.
     */
    static void finiteDifferences(String suite, String op, Object context, Supplier<DTensor> f, DTensor upstream,
                                  String[] names, DTensor[] inputs, DTensor[] analytic, long seed) {
        for (int k = 0; k < inputs.length; k++) {
            if (inputs[k] == null || inputs[k].size() == 0) {
                continue;
            }
            int[] coords = FiniteDifferences.coordinates(inputs[k].size(), FD_COORDINATES, seed + k);
            FiniteDifferences.Estimate fd = FiniteDifferences.gradient(f, inputs[k], upstream, coords);
            double scale = 0;
            for (double v : analytic[k].data()) {
                scale = Math.max(scale, Math.abs(v));
            }
            compare(suite, op + " (reference vs finite differences)", names[k], names[k], context,
                    FiniteDifferences.gather(analytic[k], coords).data(), fd.value(),
                    GradientTolerances.finiteDifference(fd, scale), coords, inputs[k].shape());
        }
    }

    /** |actual − expected| ≤ tol at the given coordinates of a tensor of {@code shape}; recorded under {@code key}. */
    static void compare(String suite, String op, String output, String key, Object context, double[] actual,
                        DTensor expected, DTensor tol, int[] coords, Shape shape) {
        GradientReport.record(suite, op + " " + key, actual, expected, tol);
        int bad = 0, worst = -1;
        double worstRatio = -1;
        for (int i = 0; i < actual.length; i++) {
            double err = Math.abs(actual[i] - expected.data()[i]), ratio = err / tol.data()[i];
            if (!(ratio <= 1)) {
                bad++;
                ratio = Double.isNaN(ratio) ? Double.POSITIVE_INFINITY : ratio;
            }
            if (ratio > worstRatio) {
                worstRatio = ratio;
                worst = i;
            }
        }
        if (bad > 0) {
            throw new AssertionError(String.format("%s %s: %d of %d elements out of tolerance; worst at %s (flat %d): "
                            + "got %.9g, expected %.9g, |err| %.3g > tol %.3g (%.3g x tol)%n  shape %s%n  case: %s",
                    op, output, bad, actual.length, Arrays.toString(DTensor.unravel(shape, coords[worst])), coords[worst],
                    actual[worst], expected.data()[worst], Math.abs(actual[worst] - expected.data()[worst]),
                    tol.data()[worst], worstRatio, shape, context));
        }
    }
}
