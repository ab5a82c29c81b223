package org.inceptionj.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

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
import org.inceptionj.conformance.reference.BatchNormReference;
import org.inceptionj.conformance.reference.Conv2dReference;
import org.inceptionj.conformance.reference.DTensor;
import org.inceptionj.conformance.reference.ElementwiseReference;
import org.inceptionj.conformance.reference.LayoutReference;
import org.inceptionj.conformance.reference.MatMulReference;
import org.inceptionj.conformance.reference.OptimizerReference;
import org.inceptionj.conformance.reference.PoolingReference;
import org.inceptionj.conformance.reference.RandomReference;
import org.inceptionj.conformance.reference.ReduceReference;
import org.inceptionj.conformance.reference.SoftmaxReference;
import org.junit.jupiter.api.Test;

/**
 * The conformance suite of an InceptionJ {@link Backend}: every primitive, through {@link Ops},
 * against the double-precision references of {@code org.inceptionj.conformance.reference} with
 * the tolerances of {@link Tolerances}, over random shapes, geometries and values from
 * {@link Generators}. A backend runs it with one class:
 *
 * <pre>{@code
 * class MyBackendConformanceTest extends BackendConformance {
 *     MyBackendConformanceTest() { super(MyBackend::new); }
 * }
 * }</pre>
 *
 * and, to also compare with another backend (e.g. a GPU backend with the CPU backend),
 * {@code super(MyBackend::new, CpuBackend::new)}.
 *
 * <p>Each property calls an op three ways where the contract allows: through {@link Ops} (fresh
 * zero-filled output), through the {@link Backend} primitive into a NaN-filled output (which must
 * give the same bits: deterministic, and overwritten rather than accumulated into), and in place
 * where the contract says the output may alias an input. Every tensor the kit makes (inputs
 * through {@link Ops#fromArray}, NaN-filled outputs) and every output it checks must be owned by
 * the backend under test ({@link Harness#assertOwned}): {@link Ops} runs each op on the backend
 * that owns its input, so a backend that handed out another backend's tensors would be bypassed.
 * Every try runs in a {@link org.inceptionj.api.TensorScope} and checks that
 * {@link Backend#liveBytes()} returns to its start. The bad-input, ownership, memory and scope
 * tests, and the report of the {@link org.inceptionj.api.OptionalFeature}s a backend leaves out,
 * are in {@link RejectionConformance}.
 *
 * <p>Tries are modest (30–100 per property) and shapes small: the whole suite runs in well under
 * a minute on two cores for a CPU backend.
 */
public abstract class BackendConformance extends RejectionConformance {

    /** Checks {@code backend} against the references. */
    protected BackendConformance(Supplier<? extends Backend> backend) {
        this(backend, null);
    }

    /**
     * Checks {@code backend} against the references and, with the same tolerances, against
     * {@code oracle} (null: references only).
     */
    protected BackendConformance(Supplier<? extends Backend> backend, Supplier<? extends Backend> oracle) {
        super(backend, oracle);
    }

    // ================================================================ generators (see Generators)

    @Provide
    Arbitrary<Cases.Unary> unaryCases() {
        return Generators.unaryCases();
    }

    @Provide
    Arbitrary<Cases.Binary> binaryCases() {
        return Generators.binaryCases();
    }

    @Provide
    Arbitrary<Cases.Affine> affineCases() {
        return Generators.affineCases();
    }

    @Provide
    Arbitrary<Cases.Clip> clipCases() {
        return Generators.clipCases();
    }

    @Provide
    Arbitrary<Cases.Reduce> reduceCases() {
        return Generators.reduceCases();
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
    Arbitrary<Cases.Copy> copyCases() {
        return Generators.copyCases();
    }

    @Provide
    Arbitrary<Cases.MatMul> matmulCases() {
        return Generators.matmulCases();
    }

    /** Cases that need an {@link OptionalFeature} the backend leaves out are not drawn (see {@link #optionalFeatures()}). */
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
        return Generators.softmaxCases();
    }

    @Provide
    Arbitrary<Cases.Fill> fillCases() {
        return Generators.fillCases();
    }

    @Provide
    Arbitrary<Cases.RandomFill> randomCases() {
        return Generators.randomCases();
    }

    @Provide
    Arbitrary<Cases.Dropout> dropoutCases() {
        return Generators.dropoutCases();
    }

    @Provide
    Arbitrary<Shape> shapes() {
        return Generators.shapes();
    }

    @Provide
    Arbitrary<Cases.SumOfSquares> sumOfSquaresCases() {
        return Generators.sumOfSquaresCases();
    }

    @Provide
    Arbitrary<Cases.Axpy> axpyCases() {
        return Generators.axpyCases();
    }

    @Provide
    Arbitrary<Cases.MomentumUpdate> momentumCases() {
        return Generators.momentumCases();
    }

    @Provide
    Arbitrary<Cases.RmsPropUpdate> rmsPropCases() {
        return Generators.rmsPropCases();
    }

    @Provide
    Arbitrary<Cases.AdamUpdate> adamCases() {
        return Generators.adamCases();
    }

    @Provide
    Arbitrary<Cases.EmaUpdate> emaCases() {
        return Generators.emaCases();
    }

    // ================================================================ elementwise

    /** unary: out = f(x) through Ops, into a NaN-filled output, and in place (out aliases x). */
    @Property(tries = 100)
    public void unaryMatchesReference(@ForAll("unaryCases") Cases.Unary c) {
        UnaryOp op = c.op();
        DTensor x = switch (op) {
            case SQRT, LOG -> Values.positive(c.shape(), c.values(), c.seed());
            case RECIPROCAL -> Values.nonZero(c.shape(), c.values(), c.seed());
            default -> Values.of(c.shape(), c.values(), c.seed());
        };
        DTensor ref = ElementwiseReference.unary(op, x);
        verify(op.name().toLowerCase(), c, be -> {
            Tensor xt = upload(be, x), dirty = nans(be, c.shape()), inPlace = upload(be, x);
            be.unary(op, dirty, xt);
            be.unary(op, inPlace, inPlace);
            return new Outputs().add("out", Ops.unary(op, xt)).repeat("out (into NaNs)", dirty, 0)
                    .add("out (in place)", inPlace, 0);
        }, expect(ref), expect(tolerances().unary(op, ref)));
    }

    /**
     * binary: out = f(a, b) with broadcasting, through Ops, into a NaN-filled output, and in place
     * (out aliases a, or b) when a (or b) already has the output's shape.
     */
    @Property(tries = 100)
    public void binaryMatchesReference(@ForAll("binaryCases") Cases.Binary c) {
        BinaryOp op = c.op();
        DTensor a = Values.of(c.a(), c.values(), c.seed());
        DTensor b = op == BinaryOp.DIV ? Values.nonZero(c.b(), c.values(), c.seed() + 1)
                : Values.of(c.b(), c.values(), c.seed() + 1);
        DTensor ref = ElementwiseReference.binary(op, a, b);
        verify(op.name().toLowerCase(), c, be -> {
            Tensor at = upload(be, a), bt = upload(be, b), dirty = nans(be, ref.shape());
            be.binary(op, dirty, at, bt);
            Outputs outs = new Outputs().add("out", Ops.binary(op, at, bt)).repeat("out (into NaNs)", dirty, 0);
            if (c.a().equals(ref.shape())) {
                Tensor inPlace = upload(be, a);
                be.binary(op, inPlace, inPlace, bt);
                outs.add("out (in place, aliasing a)", inPlace, 0);
            }
            if (c.b().equals(ref.shape())) {
                Tensor inPlace = upload(be, b);
                be.binary(op, inPlace, at, inPlace);
                outs.add("out (in place, aliasing b)", inPlace, 0);
            }
            return outs;
        }, expect(ref), expect(tolerances().binary(op, ref)));
    }

    /** affine: out = alpha·x + beta, through Ops, into NaNs, in place. */
    @Property(tries = 60)
    public void affineMatchesReference(@ForAll("affineCases") Cases.Affine c) {
        DTensor x = Values.of(c.shape(), c.values(), c.seed());
        DTensor ref = ElementwiseReference.affine(x, c.alpha(), c.beta());
        verify("affine", c, be -> {
            Tensor xt = upload(be, x), dirty = nans(be, c.shape()), inPlace = upload(be, x);
            be.affine(dirty, xt, c.alpha(), c.beta());
            be.affine(inPlace, inPlace, c.alpha(), c.beta());
            return new Outputs().add("out", Ops.affine(xt, c.alpha(), c.beta())).repeat("out (into NaNs)", dirty, 0)
                    .add("out (in place)", inPlace, 0);
        }, expect(ref), expect(tolerances().affine(x, c.alpha(), c.beta())));
    }

    /** clip: out = min(max(x, lo), hi), exactly; through Ops, into NaNs, in place. */
    @Property(tries = 60)
    public void clipMatchesReference(@ForAll("clipCases") Cases.Clip c) {
        DTensor x = Values.of(c.shape(), c.values(), c.seed());
        DTensor ref = ElementwiseReference.clip(x, c.lo(), c.hi());
        verify("clip", c, be -> {
            Tensor xt = upload(be, x), dirty = nans(be, c.shape()), inPlace = upload(be, x);
            be.clip(dirty, xt, c.lo(), c.hi());
            be.clip(inPlace, inPlace, c.lo(), c.hi());
            return new Outputs().add("out", Ops.clip(xt, c.lo(), c.hi())).repeat("out (into NaNs)", dirty, 0)
                    .add("out (in place)", inPlace, 0);
        }, expect(ref), expect(tolerances().exact(ref.shape())));
    }

    // ================================================================ reductions

    /**
     * reduce: SUM, MEAN, MAX over any set of axes, keepDims both ways through Ops, and into a
     * NaN-filled keepdims output through the primitive.
     */
    @Property(tries = 100)
    public void reduceMatchesReference(@ForAll("reduceCases") Cases.Reduce c) {
        DTensor x = Values.of(c.shape(), c.values(), c.seed());
        boolean[] flags = new boolean[c.shape().rank()];
        for (int a : c.axes()) {
            flags[a < 0 ? a + flags.length : a] = true;
        }
        if (c.axes().isEmpty()) {
            Arrays.fill(flags, true);
        }
        int[] axes = c.axes().stream().mapToInt(Integer::intValue).toArray();
        DTensor ref = ReduceReference.reduce(c.op(), x, flags, c.keepDims());
        DTensor keep = ReduceReference.reduce(c.op(), x, flags, true);
        String name = "reduce" + c.op().name().charAt(0) + c.op().name().substring(1).toLowerCase();
        verify(name, c, be -> {
            Tensor xt = upload(be, x), dirty = nans(be, keep.shape());
            be.reduce(c.op(), dirty, xt, flags.clone());
            return new Outputs().add("out", Ops.reduce(c.op(), xt, c.keepDims(), axes))
                    .add("out (keepdims, into NaNs)", dirty);
        }, expect(ref, keep), expect(tolerances().reduce(c.op(), x, flags, c.keepDims()),
                tolerances().reduce(c.op(), x, flags, true)));
    }

    /** globalAvgPool: mean over H and W into [N,C,1,1]. */
    @Property(tries = 40)
    public void globalAvgPoolMatchesReference(@ForAll("poolCases") Cases.Pool c) {
        DTensor x = Values.of(c.x(), c.values(), c.seed());
        boolean[] hw = {false, false, true, true};
        DTensor ref = ReduceReference.reduce(ReduceOp.MEAN, x, hw, true);
        verify("globalAvgPool", c, be -> new Outputs().add("out", Ops.globalAvgPool(upload(be, x))),
                expect(ref), expect(tolerances().reduce(ReduceOp.MEAN, x, hw, true)));
    }

    // ================================================================ layout

    /** concat along any axis (negative too), parts of size 0 included; through Ops and into NaNs. */
    @Property(tries = 80)
    public void concatMatchesReference(@ForAll("concatCases") Cases.Concat c) {
        DTensor[] parts = new DTensor[c.parts().size()];
        for (int p = 0; p < parts.length; p++) {
            parts[p] = Values.of(c.parts().get(p), c.values(), c.seed() + p);
        }
        int axis = c.axis() < 0 ? c.axis() + parts[0].shape().rank() : c.axis();
        DTensor ref = LayoutReference.concat(parts, axis);
        verify("concat", c, be -> {
            Tensor[] ts = new Tensor[parts.length];
            for (int p = 0; p < parts.length; p++) {
                ts[p] = upload(be, parts[p]);
            }
            Tensor dirty = nans(be, ref.shape());
            be.concat(dirty, ts.clone(), axis);
            return new Outputs().add("out", Ops.concat(c.axis(), ts)).repeat("out (into NaNs)", dirty, 0);
        }, expect(ref), expect(tolerances().exact(ref.shape())));
    }

    /**
     * slice and split: x[..., start : start + length, ...] through Ops and into NaNs, and
     * split into the three pieces [0, start), [start, start + length), [start + length, n).
     */
    @Property(tries = 80)
    public void sliceMatchesReference(@ForAll("sliceCases") Cases.Slice c) {
        DTensor x = Values.of(c.shape(), c.values(), c.seed());
        int n = c.shape().dim(c.axis()), end = c.start() + c.length();
        DTensor ref = LayoutReference.slice(x, c.axis(), c.start(), c.length());
        DTensor head = LayoutReference.slice(x, c.axis(), 0, c.start());
        DTensor tail = LayoutReference.slice(x, c.axis(), end, n - end);
        verify("slice", c, be -> {
            Tensor xt = upload(be, x), dirty = nans(be, ref.shape());
            be.slice(dirty, xt, c.axis(), c.start());
            Tensor[] pieces = Ops.split(xt, c.axis(), c.start(), c.length(), n - end);
            return new Outputs().add("out", Ops.slice(xt, c.axis(), c.start(), c.length()))
                    .repeat("out (into NaNs)", dirty, 0)
                    .add("split piece 0", pieces[0]).add("split piece 1", pieces[1], 0).add("split piece 2", pieces[2]);
        }, expect(ref, head, tail), expect(tolerances().exact(ref.shape()), tolerances().exact(head.shape()),
                tolerances().exact(tail.shape())));
    }

    /** copy, reshape and flatten: the same values under another shape; also into NaNs. */
    @Property(tries = 60)
    public void copyMatchesReference(@ForAll("copyCases") Cases.Copy c) {
        DTensor x = Values.of(c.from(), c.values(), c.seed());
        int rank = c.from().rank(), flatAxis = rank / 2;
        Shape flat = Shape.of(c.from().sizeBetween(0, flatAxis), c.from().sizeBetween(flatAxis, rank));
        DTensor copy = LayoutReference.copy(x, c.from()), reshaped = LayoutReference.copy(x, c.to()),
                flattened = LayoutReference.copy(x, flat);
        verify("copy", c, be -> {
            Tensor xt = upload(be, x), dirty = nans(be, c.to());
            be.copy(dirty, xt);
            return new Outputs().add("copy", Ops.copy(xt)).add("reshape", Ops.reshape(xt, c.to()))
                    .repeat("reshape (into NaNs)", dirty, 1).add("flatten", Ops.flatten(xt, flatAxis));
        }, expect(copy, reshaped, flattened), expect(tolerances().exact(c.from()), tolerances().exact(c.to()),
                tolerances().exact(flat)));
    }

    /**
     * write and read through memory segments (native memory, at an odd byte offset, as a slice of a
     * larger file-like buffer would be): the same bits both ways, and nothing outside the slice touched.
     */
    @Property(tries = 30)
    public void writeAndReadThroughMemorySegments(@ForAll("shapes") Shape shape) {
        int n = shape.size(), offset = 4 * (n % 3) + 1;   // bytes, not a multiple of 4 on purpose
        float[] src = Values.of(shape, Values.Kind.UNIT, n + 7).toFloats();
        try (Arena arena = Arena.ofConfined(); TensorScope scope = TensorScope.open()) {
            MemorySegment in = arena.allocate(4L * n + offset + 4, 1);
            MemorySegment.copy(src, 0, in, ValueLayout.JAVA_FLOAT_UNALIGNED, offset, n);
            Tensor t = Harness.assertOwned(backend(), "Ops.fromSegment",
                    Ops.fromSegment(backend(), shape, in.asSlice(offset, 4L * n)));
            float[] viaArray = t.toArray();
            MemorySegment out = arena.allocate(4L * n + offset + 4, 1);
            out.fill((byte) 0x5A);
            Ops.read(t, out.asSlice(offset, 4L * n));
            for (int i = 0; i < n; i++) {
                float back = out.get(ValueLayout.JAVA_FLOAT_UNALIGNED, offset + 4L * i);
                if (Float.floatToIntBits(viaArray[i]) != Float.floatToIntBits(src[i])
                        || Float.floatToIntBits(back) != Float.floatToIntBits(src[i])) {
                    throw new AssertionError("write(MemorySegment) then read of " + shape + ": element " + i
                            + " is " + viaArray[i] + " (read into an array) and " + back
                            + " (read into a segment), wrote " + src[i]);
                }
            }
            for (long b = 0; b < out.byteSize(); b = b + 1 == offset ? offset + 4L * n : b + 1) {
                if (out.get(ValueLayout.JAVA_BYTE, b) != 0x5A) {
                    throw new AssertionError("read(MemorySegment) of " + shape + " wrote outside its slice, at byte "
                            + (b - offset) + " of it");
                }
            }
        }
    }

    /**
     * empty: a tensor of this backend with the shape asked for, which an op then fills entirely
     * (what {@link Ops} does with every output; the ops' own properties check the overwrite).
     */
    @Property(tries = 20)
    public void emptyGivesAnOwnedTensorThatAWriteFills(@ForAll("shapes") Shape shape) {
        float[] src = Values.of(shape, Values.Kind.UNIT, shape.size() + 3).toFloats();
        try (TensorScope scope = TensorScope.open()) {
            Tensor t = Harness.assertOwned(backend(), "Backend.empty", backend().empty(shape));
            if (!t.shape().equals(shape)) {
                throw new AssertionError("empty(" + shape + ") gave a tensor of shape " + t.shape());
            }
            backend().write(t, src, 0);
            float[] back = t.toArray();
            for (int i = 0; i < back.length; i++) {
                if (Float.floatToIntBits(back[i]) != Float.floatToIntBits(src[i])) {
                    throw new AssertionError("empty(" + shape + ") then write: element " + i + " is " + back[i]
                            + ", wrote " + src[i]);
                }
            }
        }
    }

    /** write and read at offsets: dst[i] = src[offset + i] and back. */
    @Property(tries = 30)
    public void writeAndReadHonourOffsets(@ForAll("shapes") Shape shape) {
        int offset = shape.size() % 5 + 1;
        float[] src = Values.of(Shape.of(shape.size() + offset), Values.Kind.UNIT, shape.size()).toFloats();
        float[] back = new float[shape.size() + 3];
        back[0] = back[1] = back[2] = 42f;
        try (TensorScope scope = TensorScope.open()) {
            Tensor t = Harness.assertOwned(backend(), "Ops.zeros", Ops.zeros(backend(), shape));
            backend().write(t, src, offset);
            backend().read(t, back, 3);
        }
        for (int i = 0; i < 3; i++) {
            if (back[i] != 42f) {
                throw new AssertionError("read " + shape + " at offset 3 wrote before the offset, at " + i);
            }
        }
        for (int i = 0; i < shape.size(); i++) {
            if (Float.floatToIntBits(back[3 + i]) != Float.floatToIntBits(src[offset + i])) {
                throw new AssertionError("write at offset " + offset + " then read at offset 3 of " + shape
                        + ": element " + i + " is " + back[3 + i] + ", wrote " + src[offset + i]);
            }
        }
    }

    // ================================================================ linear algebra

    /**
     * matmul with every combination of transposes, through Ops and into NaNs; and, when the
     * layout is x·wᵀ, {@link Ops#linear} with a bias (checked as a matmul with inner dimension
     * K + 1: x extended by a column of ones, w by the bias).
     */
    @Property(tries = 80)
    public void matmulMatchesReference(@ForAll("matmulCases") Cases.MatMul c) {
        DTensor a = Values.of(c.aShape(), c.values(), c.seed()), b = Values.of(c.bShape(), c.values(), c.seed() + 1);
        DTensor ref = MatMulReference.matmul(a, b, c.transA(), c.transB());
        DTensor tol = tolerances().matmul(a, b, c.transA(), c.transB());
        boolean linear = !c.transA() && c.transB();
        DTensor bias = Values.of(Shape.of(c.n()), c.values(), c.seed() + 2);
        DTensor[] expected = {ref, ref}, tols = {tol, tol};
        if (linear) {
            DTensor xOnes = appendColumn(a, DTensor.full(Shape.of(c.m()), 1.0));
            DTensor wBias = appendColumn(b, bias);
            expected[1] = MatMulReference.matmul(xOnes, wBias, false, true);
            tols[1] = tolerances().matmul(xOnes, wBias, false, true);
        }
        verify("matmul", c, be -> {
            Tensor at = upload(be, a), bt = upload(be, b), dirty = nans(be, ref.shape());
            be.matmul(dirty, at, bt, c.transA(), c.transB());
            Outputs outs = new Outputs().add("out", Ops.matmul(at, bt, c.transA(), c.transB()))
                    .repeat("out (into NaNs)", dirty, 0);
            if (linear) {
                outs.add("linear (x·wᵀ + bias)", Ops.linear(at, bt, upload(be, bias)), 1);
            }
            return outs;
        }, expected, tols);
    }

    /** [rows, k] with column {@code col} appended: [rows, k + 1]. */
    private static DTensor appendColumn(DTensor m, DTensor col) {
        int rows = m.shape().dim(0), k = m.shape().dim(1);
        DTensor out = DTensor.zeros(Shape.of(rows, k + 1));
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < k; j++) {
                out.set(m.get(i, j), i, j);
            }
            out.set(col.get(i), i, k);
        }
        return out;
    }

    /**
     * conv2d over random geometry (kernels 1×1 to 7×7 incl. 1×7/7×1/1×3/3×1, strides 1–3,
     * dilations, per-side paddings up to the kernel extent − 1, odd and even sizes, with and
     * without bias) and Inception-v3's layers; through Ops and into NaNs.
     */
    @Property(tries = 80)
    public void conv2dMatchesReference(@ForAll("conv2dCases") Cases.Conv2d c) {
        DTensor x = Values.of(c.x(), c.values(), c.seed()), w = Values.of(c.w(), c.values(), c.seed() + 1);
        DTensor bias = c.bias() ? Values.of(Shape.of(c.w().dim(0)), c.values(), c.seed() + 2) : null;
        DTensor ref = Conv2dReference.forward(x, w, bias, c.spec());
        verify("conv2d", c, be -> {
            Tensor xt = upload(be, x), wt = upload(be, w), bt = bias == null ? null : upload(be, bias);
            Tensor dirty = nans(be, ref.shape());
            be.conv2d(dirty, xt, wt, bt, c.spec());
            return new Outputs().add("out", Ops.conv2d(xt, wt, bt, c.spec())).repeat("out (into NaNs)", dirty, 0);
        }, expect(ref), expect(tolerances().conv2d(x, w, bias, c.spec())));
    }

    /**
     * conv2dBatchNormInference, the inference block (convolution without bias, batch norm with given
     * statistics, ReLU or not), against the references composed in double, over the same geometry as
     * conv2d; statistics that send some outputs below zero; through Ops and into NaNs.
     */
    @Property(tries = 40)
    public void conv2dBatchNormInferenceMatchesReference(@ForAll("conv2dCases") Cases.Conv2d c, @ForAll boolean relu) {
        Shape cs = Shape.of(c.w().dim(0));
        float eps = 1e-3f;
        DTensor x = Values.of(c.x(), c.values(), c.seed()), w = Values.of(c.w(), c.values(), c.seed() + 1);
        DTensor gamma = Values.uniform(cs, c.seed() + 2, -2, 2), beta = Values.uniform(cs, c.seed() + 3, -1, 1);
        DTensor mean = Values.uniform(cs, c.seed() + 4, -1, 1), var = Values.uniform(cs, c.seed() + 5, 0, 3);
        DTensor bn = BatchNormReference.inference(Conv2dReference.forward(x, w, null, c.spec()), gamma, beta, mean,
                var, eps);
        DTensor ref = relu ? ElementwiseReference.unary(UnaryOp.RELU, bn) : bn;
        verify("conv2dBatchNormInference", c, be -> {
            Tensor xt = upload(be, x), wt = upload(be, w), g = upload(be, gamma), b = upload(be, beta),
                    m = upload(be, mean), v = upload(be, var), dirty = nans(be, ref.shape());
            be.conv2dBatchNormInference(dirty, xt, wt, g, b, m, v, eps, c.spec(), relu);
            return new Outputs().add("out", Ops.conv2dBatchNorm(xt, wt, g, b, m, v, eps, c.spec(), relu))
                    .repeat("out (into NaNs)", dirty, 0);
        }, expect(ref), expect(tolerances().conv2dBatchNormInference(x, w, c.spec(), gamma, beta, mean, var, eps)));
    }

    /**
     * avgPool2dConv2dBatchNormInference, a module's branch pool in inference (an average pool, then the inference
     * block), against the references composed in double: every pool geometry of avgPool2d's cases, then a 1×1
     * (most cases: the one a backend may take before the pool) or a padded 3×3 on the pooled input, with fewer or
     * more output channels than input ones; through Ops and into NaNs.
     */
    @Property(tries = 40)
    public void avgPool2dConv2dBatchNormInferenceMatchesReference(@ForAll("poolCases") Cases.Pool c,
                                                                  @ForAll @IntRange(min = 1, max = 40) int cout,
                                                                  @ForAll @IntRange(min = 0, max = 3) int kind,
                                                                  @ForAll boolean relu) {
        Shape xs = c.x(), cs = Shape.of(cout);
        int k = kind == 0 ? 3 : 1;
        Conv2dSpec spec = Conv2dSpec.of(1, k / 2);
        float eps = 1e-3f;
        DTensor x = Values.of(xs, c.values(), c.seed()), w = Values.of(Shape.of(cout, xs.dim(1), k, k), c.values(),
                c.seed() + 1);
        DTensor gamma = Values.uniform(cs, c.seed() + 2, -2, 2), beta = Values.uniform(cs, c.seed() + 3, -1, 1);
        DTensor mean = Values.uniform(cs, c.seed() + 4, -1, 1), var = Values.uniform(cs, c.seed() + 5, 0, 3);
        DTensor bn = BatchNormReference.inference(Conv2dReference.forward(PoolingReference.average(x, c.spec()), w,
                null, spec), gamma, beta, mean, var, eps);
        DTensor ref = relu ? ElementwiseReference.unary(UnaryOp.RELU, bn) : bn;
        verify("avgPool2dConv2dBatchNormInference", c, be -> {
            Tensor xt = upload(be, x), wt = upload(be, w), g = upload(be, gamma), b = upload(be, beta),
                    m = upload(be, mean), v = upload(be, var), dirty = nans(be, ref.shape());
            be.avgPool2dConv2dBatchNormInference(dirty, xt, wt, g, b, m, v, eps, c.spec(), spec, relu);
            return new Outputs().add("out", Ops.avgPool2dConv2dBatchNorm(xt, wt, g, b, m, v, eps, c.spec(), spec,
                    relu)).repeat("out (into NaNs)", dirty, 0);
        }, expect(ref), expect(tolerances().avgPool2dConv2dBatchNormInference(x, c.spec(), w, spec, gamma, beta,
                mean, var, eps)));
    }

    // ================================================================ pooling

    /** maxPool2d over every Pool2dSpec option, exactly; through Ops and into NaNs. */
    @Property(tries = 80)
    public void maxPool2dMatchesReference(@ForAll("poolCases") Cases.Pool c) {
        DTensor x = Values.of(c.x(), c.values(), c.seed());
        DTensor ref = PoolingReference.max(x, c.spec());
        verify("maxPool2d", c, be -> {
            Tensor xt = upload(be, x), dirty = nans(be, ref.shape());
            be.maxPool2d(dirty, xt, c.spec());
            return new Outputs().add("out", Ops.maxPool2d(xt, c.spec())).repeat("out (into NaNs)", dirty, 0);
        }, expect(ref), expect(tolerances().maxPool2d(c.x(), c.spec())));
    }

    /** avgPool2d over every Pool2dSpec option, countIncludePad and ceil mode both ways; Ops and NaNs. */
    @Property(tries = 80)
    public void avgPool2dMatchesReference(@ForAll("poolCases") Cases.Pool c) {
        DTensor x = Values.of(c.x(), c.values(), c.seed());
        DTensor ref = PoolingReference.average(x, c.spec());
        verify("avgPool2d", c, be -> {
            Tensor xt = upload(be, x), dirty = nans(be, ref.shape());
            be.avgPool2d(dirty, xt, c.spec());
            return new Outputs().add("out", Ops.avgPool2d(xt, c.spec())).repeat("out (into NaNs)", dirty, 0);
        }, expect(ref), expect(tolerances().avgPool2d(x, c.spec())));
    }

    /** synchronize() waits for the ops issued before it: their results are there, and it may be called again. */
    @Test
    public void synchronizeCompletesTheWorkIssuedBeforeIt() {
        inScope(be -> {
            Tensor x = Harness.assertOwned(be, "Ops.full", Ops.full(be, Shape.of(3, 5), 1.5f));
            Tensor y = Ops.affine(x, 2f, 1f);
            be.synchronize();
            be.synchronize();
            float[] v = y.toArray();
            for (int i = 0; i < v.length; i++) {
                assertEquals(4f, v[i], 0f, "after synchronize, element " + i);
            }
        });
    }

    /**
     * The border test vector of Inception-v3's 3×3/1/pad 1 average pools, as torchvision and TensorFlow
     * compute it: a 4×4 plane of ones gives, counting padding (torchvision), 4/9 at the corners, 6/9 on
     * the edges and 1 inside; not counting it (TF-slim, Keras), 1 everywhere.
     */
    @Test
    public void avgPool2dBorderVectorOfInceptionV3() {
        inScope(be -> {
            Tensor ones = Harness.assertOwned(be, "Ops.full", Ops.full(be, Shape.of(1, 1, 4, 4), 1f));
            float[] counted = Ops.avgPool2d(ones, Pool2dSpec.of(3, 1, 1).withCountIncludePad(true)).toArray();
            float[] uncounted = Ops.avgPool2d(ones, Pool2dSpec.of(3, 1, 1).withCountIncludePad(false)).toArray();
            float c = 4f / 9, e = 6f / 9;
            float[] expected = {c, e, e, c, e, 1, 1, e, e, 1, 1, e, c, e, e, c};
            for (int i = 0; i < 16; i++) {
                assertEquals(expected[i], counted[i], 1e-6f, "counting padding, cell " + i);
                assertEquals(1f, uncounted[i], 1e-6f, "not counting padding, cell " + i);
            }
        });
    }

    // ================================================================ normalization

    /** batchNorm (inference) with given statistics; through Ops and into NaNs. */
    @Property(tries = 60)
    public void batchNormInferenceMatchesReference(@ForAll("batchNormCases") Cases.BatchNorm c) {
        Shape cs = Shape.of(c.x().dim(1));
        DTensor x = Values.channels(c.x(), c.seed());
        DTensor gamma = Values.uniform(cs, c.seed() + 1, -2, 2), beta = Values.uniform(cs, c.seed() + 2, -1, 1);
        DTensor mean = Values.uniform(cs, c.seed() + 3, -1, 1), var = Values.uniform(cs, c.seed() + 4, 0, 3);
        DTensor ref = BatchNormReference.inference(x, gamma, beta, mean, var, c.eps());
        verify("batchNorm", c, be -> {
            Tensor xt = upload(be, x), g = upload(be, gamma), b = upload(be, beta), m = upload(be, mean),
                    v = upload(be, var), dirty = nans(be, c.x());
            be.batchNormInference(dirty, xt, g, b, m, v, c.eps());
            return new Outputs().add("out", Ops.batchNorm(xt, g, b, m, v, c.eps())).repeat("out (into NaNs)", dirty, 0);
        }, expect(ref), expect(tolerances().batchNormInference(x, gamma, beta, mean, var, c.eps())));
    }

    /**
     * batchNormTraining: output, saved mean and inverse std, and the running statistics updated in
     * place (unbiased variance; M = 1 included); through Ops and into NaN-filled outputs.
     */
    @Property(tries = 60)
    public void batchNormTrainingMatchesReference(@ForAll("batchNormCases") Cases.BatchNorm c) {
        checkBatchNormTraining(c, false);
    }

    /**
     * batchNormTraining with a ReLU (the training half of Inception's block): max(γ·x̂ + β, 0), with the
     * statistics and running averages of the call without it; through Ops and into NaN-filled outputs.
     * The ReLU takes no error in, so the batch norm's tolerance holds for its output.
     */
    @Property(tries = 30)
    public void batchNormTrainingWithReluMatchesReference(@ForAll("batchNormCases") Cases.BatchNorm c) {
        checkBatchNormTraining(c, true);
    }

    private void checkBatchNormTraining(Cases.BatchNorm c, boolean relu) {
        Shape cs = Shape.of(c.x().dim(1));
        DTensor x = Values.channels(c.x(), c.seed());
        DTensor gamma = Values.uniform(cs, c.seed() + 1, -2, 2), beta = Values.uniform(cs, c.seed() + 2, -1, 1);
        DTensor rm = Values.uniform(cs, c.seed() + 3, -1, 1), rv = Values.uniform(cs, c.seed() + 4, 0.5, 2);
        BatchNormReference.Training ref = BatchNormReference.training(x, gamma, beta, rm, rv, c.eps(), c.momentum());
        Tolerances.BatchNormTraining tol = tolerances().batchNormTraining(x, gamma, beta, rm, rv, c.eps(),
                c.momentum(), ref);
        double[] out = ref.out().data().clone();
        for (int i = 0; relu && i < out.length; i++) {
            out[i] = Math.max(out[i], 0);
        }
        verify(relu ? "batchNormTraining (relu)" : "batchNormTraining", c, be -> {
            Tensor xt = upload(be, x), g = upload(be, gamma), b = upload(be, beta);
            Tensor rmT = upload(be, rm), rvT = upload(be, rv), rm2 = upload(be, rm), rv2 = upload(be, rv);
            Tensor dirty = nans(be, c.x()), mean = nans(be, cs), invStd = nans(be, cs);
            Ops.BatchNormResult r;
            if (relu) {
                r = Ops.batchNormTraining(xt, g, b, rmT, rvT, c.eps(), c.momentum(), true);
                be.batchNormTraining(dirty, mean, invStd, xt, g, b, rm2, rv2, c.eps(), c.momentum(), true);
            } else {   // the primitive without the flag, as a backend implements it
                r = Ops.batchNormTraining(xt, g, b, rmT, rvT, c.eps(), c.momentum());
                be.batchNormTraining(dirty, mean, invStd, xt, g, b, rm2, rv2, c.eps(), c.momentum());
            }
            return new Outputs().add("out", r.out()).add("saveMean", r.mean()).add("saveInvStd", r.invStd())
                    .add("runningMean", rmT).add("runningVar", rvT)
                    .repeat("out (into NaNs)", dirty, 0).repeat("saveMean (into NaNs)", mean, 1)
                    .repeat("saveInvStd (into NaNs)", invStd, 2).repeat("runningMean (2nd run)", rm2, 3)
                    .repeat("runningVar (2nd run)", rv2, 4);
        }, expect(new DTensor(ref.out().shape(), out), ref.mean(), ref.invStd(), ref.runningMean(), ref.runningVar()),
                expect(tol.out(), tol.mean(), tol.invStd(), tol.runningMean(), tol.runningVar()));
    }

    // ================================================================ softmax

    /** softmax and log-softmax along any axis; through Ops and into NaNs. */
    @Property(tries = 80)
    public void softmaxMatchesReference(@ForAll("softmaxCases") Cases.Softmax c) {
        DTensor x = Values.of(c.shape(), c.values(), c.seed());
        int axis = c.axis() < 0 ? c.axis() + c.shape().rank() : c.axis();
        DTensor ref = SoftmaxReference.softmax(x, axis, c.log());
        verify(c.log() ? "logSoftmax" : "softmax", c, be -> {
            Tensor xt = upload(be, x), dirty = nans(be, c.shape());
            be.softmax(dirty, xt, axis, c.log());
            Tensor out = c.log() ? Ops.logSoftmax(xt, c.axis()) : Ops.softmax(xt, c.axis());
            return new Outputs().add("out", out).repeat("out (into NaNs)", dirty, 0);
        }, expect(ref), expect(tolerances().softmax(x, axis, c.log(), ref)));
    }

    // ================================================================ fills and randomness

    /** fill: every element is the value, special values included; through Ops and into NaNs. */
    @Property(tries = 40)
    public void fillMatchesReference(@ForAll("fillCases") Cases.Fill c) {
        DTensor ref = RandomReference.fill(c.shape(), c.value());
        verify("fill", c, be -> {
            Tensor dirty = nans(be, c.shape());
            be.fill(dirty, c.value());
            return new Outputs().add("out", Ops.full(be, c.shape(), c.value())).repeat("out (into NaNs)", dirty, 0);
        }, expect(ref), expect(tolerances().exact(c.shape())));
    }

    /** fillRandom: the values of {@link org.inceptionj.api.RandomStream} for every distribution. */
    @Property(tries = 60)
    public void fillRandomMatchesRandomStream(@ForAll("randomCases") Cases.RandomFill c) {
        DTensor ref = RandomReference.fillRandom(c.shape(), c.distribution(), c.seed(), c.a(), c.b());
        verify("random " + c.distribution(), c, be -> {
            Tensor dirty = nans(be, c.shape());
            be.fillRandom(dirty, c.distribution(), c.seed(), c.a(), c.b());
            return new Outputs().add("out", Ops.random(be, c.shape(), c.distribution(), c.seed(), c.a(), c.b()))
                    .repeat("out (into NaNs)", dirty, 0);
        }, expect(ref), expect(tolerances().fillRandom(c.shape(), c.distribution(), c.seed(), c.a(), c.b())));
    }

    /** dropout: the mask of {@link org.inceptionj.api.RandomStream#uniform} &lt; p and out = x·mask. */
    @Property(tries = 60)
    public void dropoutMatchesReference(@ForAll("dropoutCases") Cases.Dropout c) {
        DTensor x = Values.of(c.shape(), c.values(), c.seed());
        RandomReference.Dropout ref = RandomReference.dropout(x, c.p(), c.seed());
        RandomReference.Dropout tol = tolerances().dropout(ref);
        verify("dropout", c, be -> {
            Tensor xt = upload(be, x), out = nans(be, c.shape()), mask = nans(be, c.shape());
            Ops.DropoutResult r = Ops.dropout(xt, c.p(), c.seed());
            be.dropout(out, mask, xt, c.p(), c.seed());
            return new Outputs().add("out", r.out()).add("mask", r.mask())
                    .repeat("out (into NaNs)", out, 0).repeat("mask (into NaNs)", mask, 1);
        }, expect(ref.out(), ref.mask()), expect(tol.out(), tol.mask()));
    }

    // ================================================================ optimizer primitives
    // Each update runs twice on fresh copies of its inputs: through Ops, and through the Backend
    // primitive, which must give the same bits (deterministic). Every list entry is an output.

    /** sumOfSquares over a list, a repeated tensor included; through Ops and into NaNs. */
    @Property(tries = 60)
    public void sumOfSquaresMatchesReference(@ForAll("sumOfSquaresCases") Cases.SumOfSquares c) {
        DTensor[] x = listValues(c.shapes(), c.values(), c.seed(), false);
        DTensor[] passed = c.repeat() ? append(x, x[0]) : x;
        DTensor ref = OptimizerReference.sumOfSquares(passed);
        verify("sumOfSquares", c, be -> {
            Tensor[] xt = upload(be, x);
            Tensor[] list = c.repeat() ? append(xt, xt[0]) : xt;
            Tensor dirty = nans(be, Shape.of(list.length));
            be.sumOfSquares(dirty, list.clone());
            return new Outputs().add("out", Ops.sumOfSquares(list)).repeat("out (into NaNs)", dirty, 0);
        }, expect(ref), expect(tolerances().sumOfSquares(passed)));
    }

    /** axpy y ← y + α·x, also with x[i] being y[i]; through Ops and the primitive. */
    @Property(tries = 60)
    public void axpyMatchesReference(@ForAll("axpyCases") Cases.Axpy c) {
        DTensor[] y = listValues(c.shapes(), c.values(), c.seed(), false);
        DTensor[] x = c.inPlace() ? y : listValues(c.shapes(), c.values(), c.seed() + 1, false);
        verify("axpy", c, be -> {
            Tensor[] y1 = upload(be, y), x1 = c.inPlace() ? y1 : upload(be, x);
            Tensor[] y2 = upload(be, y), x2 = c.inPlace() ? y2 : upload(be, x);
            Ops.axpy(y1, c.alpha(), x1);
            be.axpy(y2, c.alpha(), x2);
            return updated(new String[] {"y"}, new Tensor[][] {y1}, new Tensor[][] {y2});
        }, OptimizerReference.axpy(y, c.alpha(), x), tolerances().axpy(y, c.alpha(), x));
    }

    /** momentumUpdate, heavy ball and Nesterov, every kind of gradient scale (a skipped step included). */
    @Property(tries = 60)
    public void momentumUpdateMatchesReference(@ForAll("momentumCases") Cases.MomentumUpdate c) {
        DTensor[] theta = listValues(c.shapes(), c.values(), c.seed(), false);
        DTensor[] acc = listValues(c.shapes(), c.values(), c.seed() + 1, false);
        DTensor[] grad = listValues(c.shapes(), c.values(), c.seed() + 2, false);
        DTensor scale = gradScale(c.scale(), c.shapes().size(), c.seed());
        OptimizerReference.Momentum ref = OptimizerReference.momentum(theta, acc, grad, scale, c.lr(), c.mu(),
                c.nesterov());
        OptimizerReference.Momentum tol = tolerances().momentum(theta, acc, grad, scale, c.lr(), c.mu(), c.nesterov());
        verify("momentumUpdate", c, be -> {
            Tensor[] th1 = upload(be, theta), a1 = upload(be, acc), th2 = upload(be, theta), a2 = upload(be, acc);
            Tensor[] g = upload(be, grad);
            Tensor s = upload(be, scale);
            Ops.momentumUpdate(th1, a1, g, s, c.lr(), c.mu(), c.nesterov());
            be.momentumUpdate(th2, a2, g.clone(), s, c.lr(), c.mu(), c.nesterov());
            return updated(new String[] {"theta", "acc"}, new Tensor[][] {th1, a1}, new Tensor[][] {th2, a2});
        }, append(ref.theta(), ref.acc()), append(tol.theta(), tol.acc()));
    }

    /** rmsPropUpdate (ε inside the root), every kind of gradient scale (a skipped step included). */
    @Property(tries = 60)
    public void rmsPropUpdateMatchesReference(@ForAll("rmsPropCases") Cases.RmsPropUpdate c) {
        DTensor[] theta = listValues(c.shapes(), c.values(), c.seed(), false);
        DTensor[] ms = listValues(c.shapes(), c.values(), c.seed() + 1, true);
        DTensor[] mom = listValues(c.shapes(), c.values(), c.seed() + 2, false);
        DTensor[] grad = listValues(c.shapes(), c.values(), c.seed() + 3, false);
        DTensor scale = gradScale(c.scale(), c.shapes().size(), c.seed());
        OptimizerReference.RmsProp ref = OptimizerReference.rmsProp(theta, ms, mom, grad, scale, c.lr(), c.rho(),
                c.mu(), c.eps());
        OptimizerReference.RmsProp tol = tolerances().rmsProp(theta, ms, mom, grad, scale, c.lr(), c.rho(), c.mu(),
                c.eps());
        verify("rmsPropUpdate", c, be -> {
            Tensor[] th1 = upload(be, theta), ms1 = upload(be, ms), mom1 = upload(be, mom);
            Tensor[] th2 = upload(be, theta), ms2 = upload(be, ms), mom2 = upload(be, mom);
            Tensor[] g = upload(be, grad);
            Tensor s = upload(be, scale);
            Ops.rmsPropUpdate(th1, ms1, mom1, g, s, c.lr(), c.rho(), c.mu(), c.eps());
            be.rmsPropUpdate(th2, ms2, mom2, g.clone(), s, c.lr(), c.rho(), c.mu(), c.eps());
            return updated(new String[] {"theta", "ms", "mom"}, new Tensor[][] {th1, ms1, mom1},
                    new Tensor[][] {th2, ms2, mom2});
        }, append(append(ref.theta(), ref.ms()), ref.mom()), append(append(tol.theta(), tol.ms()), tol.mom()));
    }

    /** adamUpdate with its powers after t steps, every kind of gradient scale (a skipped step included). */
    @Property(tries = 60)
    public void adamUpdateMatchesReference(@ForAll("adamCases") Cases.AdamUpdate c) {
        DTensor[] theta = listValues(c.shapes(), c.values(), c.seed(), false);
        DTensor[] m = listValues(c.shapes(), c.values(), c.seed() + 1, false);
        DTensor[] v = listValues(c.shapes(), c.values(), c.seed() + 2, true);
        DTensor[] grad = listValues(c.shapes(), c.values(), c.seed() + 3, false);
        DTensor scale = gradScale(c.scale(), c.shapes().size(), c.seed());
        float p1 = (float) Math.pow(c.beta1(), c.t()), p2 = (float) Math.pow(c.beta2(), c.t());
        OptimizerReference.Adam ref = OptimizerReference.adam(theta, m, v, grad, p1, p2, scale, c.lr(), c.beta1(),
                c.beta2(), c.eps());
        OptimizerReference.Adam tol = tolerances().adam(theta, m, v, grad, p1, p2, scale, c.lr(), c.beta1(), c.beta2(),
                c.eps());
        Shape one = Shape.of(1);
        verify("adamUpdate", c, be -> {
            Tensor[] th1 = upload(be, theta), m1 = upload(be, m), v1 = upload(be, v);
            Tensor[] th2 = upload(be, theta), m2 = upload(be, m), v2 = upload(be, v);
            Tensor[] g = upload(be, grad);
            Tensor s = upload(be, scale);
            Tensor[] powers1 = {Ops.full(be, one, p1), Ops.full(be, one, p2)};
            Tensor[] powers2 = {Ops.full(be, one, p1), Ops.full(be, one, p2)};
            Ops.adamUpdate(th1, m1, v1, g, powers1[0], powers1[1], s, c.lr(), c.beta1(), c.beta2(), c.eps());
            be.adamUpdate(th2, m2, v2, g.clone(), powers2[0], powers2[1], s, c.lr(), c.beta1(), c.beta2(), c.eps());
            return updated(new String[] {"theta", "m", "v", "beta power"}, new Tensor[][] {th1, m1, v1, powers1},
                    new Tensor[][] {th2, m2, v2, powers2});
        }, append(append(append(ref.theta(), ref.m()), ref.v()), new DTensor[] {DTensor.full(one, ref.beta1Power()),
                DTensor.full(one, ref.beta2Power())}),
                append(append(append(tol.theta(), tol.m()), tol.v()), new DTensor[] {DTensor.full(one,
                        tol.beta1Power()), DTensor.full(one, tol.beta2Power())}));
    }

    /** emaUpdate, and with a NaN gate nothing changes. */
    @Property(tries = 60)
    public void emaUpdateMatchesReference(@ForAll("emaCases") Cases.EmaUpdate c) {
        DTensor[] shadow = listValues(c.shapes(), c.values(), c.seed(), false);
        DTensor[] theta = listValues(c.shapes(), c.values(), c.seed() + 1, false);
        double gate = c.skip() ? Double.NaN : 0;
        verify("emaUpdate", c, be -> {
            Tensor[] sh1 = upload(be, shadow), sh2 = upload(be, shadow), th = upload(be, theta);
            Tensor gt = Ops.full(be, Shape.of(1), (float) gate);
            Ops.emaUpdate(sh1, th, gt, c.decay());
            be.emaUpdate(sh2, th.clone(), gt, c.decay());
            return updated(new String[] {"shadow"}, new Tensor[][] {sh1}, new Tensor[][] {sh2});
        }, OptimizerReference.ema(shadow, theta, gate, c.decay()), tolerances().ema(shadow, theta, gate, c.decay()));
    }

    /** Values for each shape of a list (seeded per entry); non-negative ones for slots of squares. */
    private static DTensor[] listValues(List<Shape> shapes, Values.Kind kind, long seed, boolean nonNegative) {
        DTensor[] out = new DTensor[shapes.size()];
        for (int i = 0; i < out.length; i++) {
            DTensor d = Values.of(shapes.get(i), kind, seed * 31 + i);
            out[i] = nonNegative ? d.abs() : d;
        }
        return out;
    }

    /**
     * The gradient scale of a case: [1] 1; [1] in (0, 1]; [T] in (0, 1]; or [1] or [T] with one
     * element NaN, +∞ or −∞ (the step is skipped).
     */
    private static DTensor gradScale(Cases.GradScale kind, int entries, long seed) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        int n = kind == Cases.GradScale.PER_TENSOR || (kind == Cases.GradScale.NOT_FINITE && r.nextBoolean())
                ? entries : 1;
        DTensor s = DTensor.full(Shape.of(n), 1.0);
        if (kind != Cases.GradScale.ONE) {
            for (int i = 0; i < n; i++) {
                s.data()[i] = (float) r.nextDouble(0.01, 1.0);
            }
        }
        if (kind == Cases.GradScale.NOT_FINITE) {
            s.data()[r.nextInt(n)] = new double[] {Double.NaN, Double.POSITIVE_INFINITY,
                    Double.NEGATIVE_INFINITY}[r.nextInt(3)];
        }
        return s;
    }

    private static Tensor[] upload(Backend be, DTensor[] ds) {
        Tensor[] out = new Tensor[ds.length];
        for (int i = 0; i < ds.length; i++) {
            out[i] = upload(be, ds[i]);
        }
        return out;
    }

    @SafeVarargs
    private static <T> T[] append(T[] a, T... b) {
        T[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /**
     * The updated lists as outputs: list l's entry i checked against expected result l·T + i, and the
     * same tensors of the second run ({@code again}) repeating them bit for bit.
     */
    private static Outputs updated(String[] names, Tensor[][] lists, Tensor[][] again) {
        Outputs o = new Outputs();
        int t = lists[0].length;
        for (int l = 0; l < lists.length; l++) {
            for (int i = 0; i < lists[l].length; i++) {
                o.add(names[l] + "[" + i + "]", lists[l][i], l * t + i);
            }
        }
        for (int l = 0; l < lists.length; l++) {
            for (int i = 0; i < lists[l].length; i++) {
                o.repeat(names[l] + "[" + i + "] (primitive)", again[l][i], l * t + i);
            }
        }
        return o;
    }
}
