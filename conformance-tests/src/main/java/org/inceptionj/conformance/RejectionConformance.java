package org.inceptionj.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.inceptionj.api.Backend;
import org.inceptionj.api.BinaryOp;
import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Ops;
import org.inceptionj.api.OptionalFeature;
import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.RandomStream;
import org.inceptionj.api.ReduceOp;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.api.UnaryOp;
import org.inceptionj.conformance.reference.DTensor;
import org.inceptionj.conformance.reference.ElementwiseReference;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;

/**
 * The part of {@link BackendConformance} that is not about numbers: every op rejects bad
 * arguments (mismatched shapes, wrong ranks, negative or oversized padding, kernels larger than
 * the padded input, bad axes and parameters, closed tensors, tensors of another backend instance)
 * with an unchecked exception whose message names the op and the offending shape or value;
 * {@link TensorScope} frees what it owns and {@link Backend#liveBytes()} accounts for it; special
 * values (±0, ±∞, NaN) and empty tensors follow the formulas. Every test also checks that the
 * rejected calls leaked nothing. Extend {@link BackendConformance}, not this class.
 */
public abstract class RejectionConformance extends ConformanceBase {

    protected RejectionConformance(Supplier<? extends Backend> backend, Supplier<? extends Backend> oracle) {
        super(backend, oracle);
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Asserts that {@code call} throws {@code type} whose message contains every fragment.
     *
     * @return the exception
     */
    protected static <E extends RuntimeException> E assertRejects(Class<E> type, Executable call, String... fragments) {
        E e = assertThrows(type, call);
        String m = String.valueOf(e.getMessage());
        for (String f : fragments) {
            assertTrue(m.contains(f), () -> type.getSimpleName() + " message \"" + m + "\" should name \"" + f + "\"");
        }
        return e;
    }

    /** Runs body with the backend under test inside a TensorScope; then checks liveBytes is back to its start. */
    protected final void inScope(Consumer<Backend> body) {
        Backend be = backend();
        long live = be.liveBytes();
        try (TensorScope scope = TensorScope.open()) {
            body.accept(be);
        }
        assertEquals(live, be.liveBytes(), "live bytes after the scope closed (a rejected call must not leak)");
    }

    private static Tensor t(Backend be, int... dims) {
        Shape s = Shape.of(dims);
        return Harness.assertOwned(be, "Ops.fromArray (allocate, write)",
                Ops.fromArray(be, s, Values.of(s, Values.Kind.UNIT, s.size()).toFloats()));
    }

    // ---------------------------------------------------------------- identity

    @Test
    public void describesItself() {
        Backend be = backend();
        assertFalse(be.name() == null || be.name().isBlank(), "name() must not be blank");
        assertFalse(be.describe() == null || be.describe().isBlank(), "describe() must not be blank");
    }

    // ---------------------------------------------------------------- ownership of what it returns

    /**
     * Every tensor the backend hands out, from {@link Backend#allocate} and through every kind of
     * {@link Ops} call, is owned by it ({@link Tensor#backend()}): otherwise {@link Ops} would run the
     * later calls on whichever backend owns it, and the kit would be checking that one instead.
     */
    @Test
    public void everyTensorItReturnsIsItsOwn() {
        inScope(be -> {
            Harness.assertOwned(be, "allocate", be.allocate(Shape.of(3, 4)));
            Harness.assertOwned(be, "allocate (empty)", be.allocate(Shape.of(0)));
            Harness.assertOwned(be, "allocate (scalar)", be.allocate(Shape.scalar()));
            List<Made> made = oneOfEach(be);
            for (Made m : made) {
                Harness.assertOwned(be, m.call(), m.tensor());
            }
        });
    }

    /** A tensor and the call that made it. */
    private record Made(String call, Tensor tensor) {
    }

    /** One tensor from each kind of call: creation, elementwise, reductions, layout, linear algebra, conv, pools, BN, dropout. */
    private static List<Made> oneOfEach(Backend be) {
        List<Made> made = new ArrayList<>();
        Tensor x = t(be, 2, 3, 9, 9);
        made.add(new Made("Ops.fromArray", x));
        made.add(new Made("Ops.zeros", Ops.zeros(be, Shape.of(17))));
        made.add(new Made("Ops.full", Ops.full(be, Shape.of(5, 3), 2f)));
        made.add(new Made("Ops.uniform", Ops.uniform(be, Shape.of(9), 7L, -1f, 1f)));
        made.add(new Made("Ops.copy", Ops.copy(x)));
        made.add(new Made("Ops.reshape", Ops.reshape(x, Shape.of(6, 81))));
        made.add(new Made("Ops.relu", Ops.relu(x)));
        made.add(new Made("Ops.add", Ops.add(x, t(be, 9))));
        made.add(new Made("Ops.affine", Ops.affine(x, 2f, 1f)));
        made.add(new Made("Ops.clip", Ops.clip(x, -0.5f, 0.5f)));
        made.add(new Made("Ops.matmul", Ops.matmul(t(be, 4, 5), t(be, 5, 3))));
        made.add(new Made("Ops.conv2d", Ops.conv2d(x, t(be, 4, 3, 3, 3), t(be, 4), Conv2dSpec.of(1, 1))));
        made.add(new Made("Ops.conv2dBatchNorm", Ops.conv2dBatchNorm(x, t(be, 4, 3, 3, 3), t(be, 4), t(be, 4),
                t(be, 4), Ops.full(be, Shape.of(4), 1f), 1e-3f, Conv2dSpec.of(1, 1), true)));
        made.add(new Made("Ops.avgPool2dConv2dBatchNorm", Ops.avgPool2dConv2dBatchNorm(x, t(be, 2, 3, 1, 1), t(be, 2),
                t(be, 2), t(be, 2), Ops.full(be, Shape.of(2), 1f), 1e-3f, Pool2dSpec.of(3, 1, 1), Conv2dSpec.of(1, 0),
                true)));
        made.add(new Made("Ops.maxPool2d", Ops.maxPool2d(x, Pool2dSpec.of(3, 2, 0))));
        made.add(new Made("Ops.avgPool2d", Ops.avgPool2d(x, Pool2dSpec.of(3, 1, 1))));
        made.add(new Made("Ops.softmax", Ops.softmax(x, 1)));
        made.add(new Made("Ops.sum", Ops.sum(x, 2, 3)));
        Ops.BatchNormResult bn = Ops.batchNormTraining(x, t(be, 3), t(be, 3), t(be, 3), Ops.full(be, Shape.of(3), 1f),
                1e-3f, 0.1f);
        made.add(new Made("Ops.batchNormTraining out", bn.out()));
        made.add(new Made("Ops.batchNormTraining mean", bn.mean()));
        made.add(new Made("Ops.batchNormTraining invStd", bn.invStd()));
        Ops.DropoutResult d = Ops.dropout(x, 0.2f, 3L);
        made.add(new Made("Ops.dropout out", d.out()));
        made.add(new Made("Ops.dropout mask", d.mask()));
        for (Tensor piece : Ops.split(x, 2, 4, 5)) {
            made.add(new Made("Ops.split", piece));
        }
        made.add(new Made("Ops.concat", Ops.concat(1, x, x)));
        return made;
    }

    // ---------------------------------------------------------------- what it leaves out

    /**
     * One test per {@link OptionalFeature}: a feature the backend implements passes (the properties
     * check it with everything else); one it declares in {@link Backend#unsupported()} must be refused
     * by {@link Ops} with an {@link UnsupportedOperationException} naming the op, the feature and the
     * backend, and is then reported as skipped, with that reason, under its own name: the properties
     * draw no case that needs it.
     */
    @TestFactory
    public Stream<DynamicTest> optionalFeatures() {
        Set<OptionalFeature> left = Set.copyOf(backend().unsupported());
        return Arrays.stream(OptionalFeature.values()).map(f -> DynamicTest.dynamicTest(f.name(), () -> {
            if (!left.contains(f)) {
                // Implemented: the properties check it; here one call that needs it must reach the backend.
                inScope(be -> {
                    Tensor x = t(be, 1, 2, 6, 6);
                    Tensor y = switch (f) {
                        case ASYMMETRIC_PADDING -> Ops.conv2d(x, t(be, 3, 2, 3, 3), null, new Conv2dSpec(1, 1, 0, 1, 1, 1, 1, 1));
                        case POOL_DILATION -> Ops.maxPool2d(x, new Pool2dSpec(2, 2, 1, 1, 0, 0, 0, 0, 2, 2, false, true));
                        case CEIL_MODE -> Ops.avgPool2d(x, new Pool2dSpec(3, 3, 2, 2, 0, 0, 0, 0, 1, 1, true, true));
                    };
                    Harness.assertOwned(be, f + " (" + f.description() + ")", y);
                });
                return;
            }
            inScope(be -> {
                Tensor x = t(be, 1, 2, 6, 6);
                Executable call = switch (f) {
                    case ASYMMETRIC_PADDING -> () -> Ops.conv2d(x, t(be, 3, 2, 3, 3), null,
                            new Conv2dSpec(1, 1, 0, 1, 1, 1, 1, 1));
                    case POOL_DILATION -> () -> Ops.maxPool2d(x, new Pool2dSpec(2, 2, 1, 1, 0, 0, 0, 0, 2, 2, false, true));
                    case CEIL_MODE -> () -> Ops.avgPool2d(x, new Pool2dSpec(3, 3, 2, 2, 0, 0, 0, 0, 1, 1, true, true));
                };
                assertRejects(UnsupportedOperationException.class, call, f.description(), "'" + be.name() + "'");
            });
            Assumptions.abort("backend '" + backend().name() + "' declares " + f + " (" + f.description()
                    + ") unsupported: Ops refuses it, and no case that needs it was checked");
        }));
    }

    // ---------------------------------------------------------------- shapes and geometry

    /** The fused inference block: conv2d's checks under its own name, and batch norm's on [Cout]. */
    @Test
    public void conv2dBatchNormRejectsBadInput() {
        inScope(be -> {
            Tensor x = t(be, 1, 3, 8, 8), w = t(be, 4, 3, 3, 3), c = t(be, 4), var = Ops.full(be, Shape.of(4), 1f);
            Conv2dSpec same = Conv2dSpec.of(1, 1);
            assertRejects(IllegalArgumentException.class,
                    () -> Ops.conv2dBatchNorm(x, t(be, 4, 2, 3, 3), c, c, c, var, 1e-3f, same, true),
                    "conv2dBatchNorm", "[1,3,8,8]", "[4,2,3,3]");
            assertRejects(IllegalArgumentException.class,
                    () -> Ops.conv2dBatchNorm(x, w, t(be, 3), c, c, var, 1e-3f, same, true),
                    "conv2dBatchNorm", "gamma", "[3]", "[1,4,8,8]");
            assertRejects(IllegalArgumentException.class,
                    () -> Ops.conv2dBatchNorm(x, w, c, c, c, t(be, 4, 1), 1e-3f, same, false),
                    "conv2dBatchNorm", "var", "[4,1]");
            assertRejects(IllegalArgumentException.class,
                    () -> Ops.conv2dBatchNorm(x, w, c, c, c, var, 0f, same, true), "conv2dBatchNorm", "eps", "0.0");
            assertRejects(IllegalArgumentException.class,
                    () -> Ops.conv2dBatchNorm(x, w, c, c, c, var, 1e-3f, Conv2dSpec.of(1, 3), true),
                    "conv2dBatchNorm", "padding", "(3,3,3,3)");
            assertRejects(IllegalArgumentException.class,
                    () -> Ops.conv2dBatchNorm(x, w, c, c, c, var, 1e-3f, null, true), "conv2dBatchNorm", "spec");
            assertRejects(IllegalArgumentException.class,
                    () -> Ops.conv2dBatchNorm(x, w, null, c, c, var, 1e-3f, same, true),
                    "conv2dBatchNorm", "argument 2", "null");
        });
    }

    /** A module's branch pool in inference: the pool's checks, then the block's on the pooled shape. */
    @Test
    public void avgPool2dConv2dBatchNormRejectsBadInput() {
        inScope(be -> {
            Tensor x = t(be, 1, 8, 6, 6), w = t(be, 4, 8, 1, 1), c = t(be, 4), var = Ops.full(be, Shape.of(4), 1f);
            Pool2dSpec pool = Pool2dSpec.of(3, 1, 1);
            Conv2dSpec one = Conv2dSpec.of(1, 0);
            assertRejects(IllegalArgumentException.class,
                    () -> Ops.avgPool2dConv2dBatchNorm(x, t(be, 4, 5, 1, 1), c, c, c, var, 1e-3f, pool, one, true),
                    "avgPool2dConv2dBatchNorm", "[1,8,6,6]", "[4,5,1,1]");
            assertRejects(IllegalArgumentException.class,
                    () -> Ops.avgPool2dConv2dBatchNorm(x, w, c, c, c, var, 1e-3f, null, one, true),
                    "avgPool2dConv2dBatchNorm", "spec");
            assertRejects(IllegalArgumentException.class,
                    () -> Ops.avgPool2dConv2dBatchNorm(x, w, c, c, c, var, 1e-3f, Pool2dSpec.of(7, 1, 0), one, true),
                    "avgPool2dConv2dBatchNorm", "[1,8,6,6]");
            assertRejects(IllegalArgumentException.class,
                    () -> Ops.avgPool2dConv2dBatchNorm(x, w, c, c, c, var, 1e-3f, pool, null, true),
                    "avgPool2dConv2dBatchNorm", "spec");
            assertRejects(IllegalArgumentException.class,
                    () -> Ops.avgPool2dConv2dBatchNorm(x, w, t(be, 3), c, c, var, 1e-3f, pool, one, true),
                    "avgPool2dConv2dBatchNorm", "gamma", "[3]", "[1,4,6,6]");
            assertRejects(IllegalArgumentException.class,
                    () -> Ops.avgPool2dConv2dBatchNorm(x, w, c, c, c, var, -1f, pool, one, true),
                    "avgPool2dConv2dBatchNorm", "eps", "-1.0");
            assertRejects(IllegalArgumentException.class,
                    () -> Ops.avgPool2dConv2dBatchNorm(x, w, c, null, c, var, 1e-3f, pool, one, true),
                    "avgPool2dConv2dBatchNorm", "argument 3", "null");
            assertRejects(IllegalArgumentException.class,
                    () -> Ops.avgPool2dConv2dBatchNorm(t(be, 8, 6, 6), w, c, c, c, var, 1e-3f, pool, one, true),
                    "avgPool2dConv2dBatchNorm", "rank 4");
        });
    }

    @Test
    public void conv2dRejectsBadInput() {
        inScope(be -> {
            Tensor x = t(be, 1, 3, 8, 8), w = t(be, 4, 3, 3, 3);
            Conv2dSpec same = Conv2dSpec.of(1, 1);
            assertRejects(IllegalArgumentException.class, () -> Ops.conv2d(x, t(be, 4, 2, 3, 3), null, same),
                    "conv2d", "[1,3,8,8]", "[4,2,3,3]");
            assertRejects(IllegalArgumentException.class, () -> Ops.conv2d(t(be, 3, 8, 8), w, null, same),
                    "conv2d", "[3,8,8]", "rank 4");
            assertRejects(IllegalArgumentException.class, () -> Ops.conv2d(x, t(be, 4, 27), null, same),
                    "conv2d", "[4,27]", "rank 4");
            assertRejects(IllegalArgumentException.class, () -> Ops.conv2d(x, w, t(be, 5), same),
                    "conv2d", "bias", "[5]", "[4,3,3,3]");
            assertRejects(IllegalArgumentException.class, () -> Ops.conv2d(x, w, t(be, 4, 1), same),
                    "conv2d", "bias", "[4,1]");
            assertRejects(IllegalArgumentException.class, () -> Ops.conv2d(x, w, null, Conv2dSpec.of(1, 3)),
                    "conv2d", "padding", "(3,3,3,3)", "[1,3,8,8]", "[4,3,3,3]");
            assertRejects(IllegalArgumentException.class,
                    () -> Ops.conv2d(x, t(be, 4, 3, 1, 7), null, new Conv2dSpec(1, 1, 1, 3, 0, 3, 1, 1)),
                    "conv2d", "padding", "(1,3,0,3)", "[4,3,1,7]");
            assertRejects(IllegalArgumentException.class, () -> Ops.conv2d(t(be, 1, 3, 2, 2), t(be, 4, 3, 5, 5), null,
                    Conv2dSpec.of(1, 1)), "conv2d", "larger than the padded input", "[1,3,2,2]");
            assertRejects(IllegalArgumentException.class, () -> Ops.conv2d(t(be, 1, 3, 9, 2), t(be, 4, 3, 1, 3), null,
                    new Conv2dSpec(1, 1, 0, 0, 0, 0, 1, 2)), "conv2d", "larger than the padded input", "[1,3,9,2]");
            assertRejects(IllegalArgumentException.class, () -> Ops.conv2d(x, w, null, null), "conv2d", "spec");
            assertRejects(IllegalArgumentException.class, () -> new Conv2dSpec(1, 1, -1, 0, 0, 0, 1, 1),
                    "conv2d", "padding", "-1");
            assertRejects(IllegalArgumentException.class, () -> new Conv2dSpec(0, 1, 0, 0, 0, 0, 1, 1),
                    "conv2d", "stride", "0");
            assertRejects(IllegalArgumentException.class, () -> new Conv2dSpec(1, 1, 0, 0, 0, 0, 1, 0),
                    "conv2d", "dilation", "0");
        });
    }

    @Test
    public void matmulAndLinearRejectBadInput() {
        inScope(be -> {
            Tensor a = t(be, 2, 3);
            assertRejects(IllegalArgumentException.class, () -> Ops.matmul(a, t(be, 4, 5)),
                    "matmul", "[2,3]", "[4,5]", "3 != 4");
            assertRejects(IllegalArgumentException.class, () -> Ops.matmul(a, t(be, 5, 4), false, true),
                    "matmul", "[2,3]", "[5,4]", "3 != 4");
            assertRejects(IllegalArgumentException.class, () -> Ops.matmul(a, t(be, 3, 5), true, false),
                    "matmul", "[2,3]", "[3,5]", "2 != 3");
            assertRejects(IllegalArgumentException.class, () -> Ops.matmul(t(be, 2, 3, 4), a),
                    "matmul", "[2,3,4]", "rank 2");
            assertRejects(IllegalArgumentException.class, () -> Ops.matmul(a, t(be, 3)),
                    "matmul", "[3]", "rank 2");
            assertRejects(IllegalArgumentException.class, () -> Ops.linear(a, t(be, 4, 5), null),
                    "linear", "[2,3]", "[4,5]");
            assertRejects(IllegalArgumentException.class, () -> Ops.linear(a, t(be, 4, 3), t(be, 5)),
                    "linear", "bias", "[5]", "[4,3]");
        });
    }

    @Test
    public void elementwiseRejectsShapesThatDoNotBroadcast() {
        inScope(be -> {
            assertRejects(IllegalArgumentException.class, () -> Ops.add(t(be, 2, 3), t(be, 4)),
                    "add", "[2,3]", "[4]", "3 vs 4");
            assertRejects(IllegalArgumentException.class, () -> Ops.mul(t(be, 2, 3, 4), t(be, 3, 3)),
                    "mul", "[2,3,4]", "[3,3]");
            assertRejects(IllegalArgumentException.class, () -> Ops.binary(BinaryOp.MAX, t(be, 7), t(be, 8)),
                    "max", "[7]", "[8]");
            assertRejects(IllegalArgumentException.class, () -> Ops.unary(null, t(be, 2)), "unary", "null");
            assertRejects(IllegalArgumentException.class, () -> Ops.clip(t(be, 2), Float.NaN, 1f), "clip", "NaN");
        });
    }

    @Test
    public void batchNormRejectsBadInput() {
        inScope(be -> {
            Tensor x = t(be, 2, 4, 5, 5), c = t(be, 4), wrong = t(be, 3);
            assertRejects(IllegalArgumentException.class, () -> Ops.batchNorm(x, wrong, c, c, c, 1e-3f),
                    "batchNorm", "gamma", "[3]", "[2,4,5,5]");
            assertRejects(IllegalArgumentException.class, () -> Ops.batchNorm(x, c, wrong, c, c, 1e-3f),
                    "batchNorm", "beta", "[3]");
            assertRejects(IllegalArgumentException.class, () -> Ops.batchNorm(x, c, c, wrong, c, 1e-3f),
                    "batchNorm", "mean", "[3]");
            assertRejects(IllegalArgumentException.class, () -> Ops.batchNorm(x, c, c, c, t(be, 4, 1), 1e-3f),
                    "batchNorm", "var", "[4,1]");
            assertRejects(IllegalArgumentException.class, () -> Ops.batchNorm(t(be, 4), c, c, c, c, 1e-3f),
                    "batchNorm", "[4]", "rank");
            for (float eps : new float[] {0f, -1e-3f, Float.NaN, Float.POSITIVE_INFINITY}) {
                assertRejects(IllegalArgumentException.class, () -> Ops.batchNorm(x, c, c, c, c, eps),
                        "batchNorm", "eps", String.valueOf(eps));
            }
            assertRejects(IllegalArgumentException.class, () -> Ops.batchNormTraining(x, c, c, c, c, 1e-3f, 1.5f),
                    "batchNormTraining", "momentum", "1.5");
            assertRejects(IllegalArgumentException.class, () -> Ops.batchNormTraining(x, c, c, c, c, 1e-3f, Float.NaN),
                    "batchNormTraining", "momentum", "NaN");
            assertRejects(IllegalArgumentException.class, () -> Ops.batchNormTraining(x, c, c, c, wrong, 1e-3f, 0.1f),
                    "batchNormTraining", "[3]", "[2,4,5,5]");
        });
    }

    @Test
    public void poolingRejectsBadInput() {
        inScope(be -> {
            Tensor x = t(be, 1, 2, 3, 3);
            for (String op : new String[] {"maxPool2d", "avgPool2d"}) {
                java.util.function.BiFunction<Tensor, Pool2dSpec, Tensor> pool =
                        op.equals("maxPool2d") ? Ops::maxPool2d : Ops::avgPool2d;
                assertRejects(IllegalArgumentException.class, () -> pool.apply(t(be, 2, 3, 3), Pool2dSpec.of(3, 1, 1)),
                        op, "[2,3,3]", "rank 4");
                assertRejects(IllegalArgumentException.class, () -> pool.apply(x, Pool2dSpec.of(3, 1, 3)),
                        op, "padding", "(3,3,3,3)", "[1,2,3,3]");
                assertRejects(IllegalArgumentException.class,
                        () -> pool.apply(x, new Pool2dSpec(1, 7, 1, 1, 0, 0, 0, 7, 1, 1, false, true)),
                        op, "padding", "(0,0,0,7)");
                assertRejects(IllegalArgumentException.class, () -> pool.apply(x, Pool2dSpec.of(5, 1, 0)),
                        op, "larger than the padded input", "[1,2,3,3]");
                assertRejects(IllegalArgumentException.class,
                        () -> pool.apply(x, new Pool2dSpec(2, 2, 1, 1, 0, 0, 0, 0, 3, 1, false, true)),
                        op, "larger than the padded input", "[1,2,3,3]");
                assertRejects(IllegalArgumentException.class, () -> pool.apply(x, null), op, "spec");
            }
            assertRejects(IllegalArgumentException.class, () -> Pool2dSpec.of(3, 1, -1), "pool2d", "padding", "-1");
            assertRejects(IllegalArgumentException.class, () -> Pool2dSpec.of(0, 1, 0), "pool2d", "kernel", "0");
            assertRejects(IllegalArgumentException.class, () -> Pool2dSpec.of(3, 0, 0), "pool2d", "stride", "0");
            assertRejects(IllegalArgumentException.class, () -> Ops.globalAvgPool(t(be, 2, 3, 3)),
                    "globalAvgPool", "[2,3,3]", "rank 4");
        });
    }

    @Test
    public void axesAndParametersAreChecked() {
        inScope(be -> {
            Tensor x = t(be, 2, 3);
            assertRejects(IllegalArgumentException.class, () -> Ops.softmax(x, 2), "softmax", "axis 2", "[2,3]");
            assertRejects(IllegalArgumentException.class, () -> Ops.logSoftmax(x, -3), "logSoftmax", "axis -3", "[2,3]");
            assertRejects(IllegalArgumentException.class, () -> Ops.sum(x, 2), "reduceSum", "axis 2", "[2,3]");
            assertRejects(IllegalArgumentException.class, () -> Ops.mean(x, 1, -1), "reduceMean", "axis -1", "twice");
            assertRejects(IllegalArgumentException.class, () -> Ops.reduce(ReduceOp.MAX, t(be, 0, 3), false, 0),
                    "reduceMax", "empty", "[0,3]");
            for (float p : new float[] {1f, -0.1f, Float.NaN}) {
                assertRejects(IllegalArgumentException.class, () -> Ops.dropout(x, p, 1L), "dropout", String.valueOf(p));
            }
            assertRejects(IllegalArgumentException.class, () -> Ops.uniform(be, Shape.of(2), 1L, 1f, 0f),
                    "random UNIFORM", "0.0", "1.0");
            assertRejects(IllegalArgumentException.class, () -> Ops.normal(be, Shape.of(2), 1L, 0f, -1f),
                    "random NORMAL", "-1.0");
            assertRejects(IllegalArgumentException.class,
                    () -> Ops.truncatedNormal(be, Shape.of(2), 1L, Float.NaN, 1f), "random TRUNCATED_NORMAL", "NaN");
            assertRejects(IllegalArgumentException.class, () -> Ops.fromArray(be, Shape.of(2, 3), new float[5]),
                    "fromArray", "[2,3]", "5");
        });
    }

    @Test
    public void layoutRejectsBadInput() {
        inScope(be -> {
            Tensor x = t(be, 2, 3);
            assertRejects(IllegalArgumentException.class, () -> Ops.concat(0, x, t(be, 2, 4)),
                    "concat", "[2,3], [2,4]", "axis 1");
            assertRejects(IllegalArgumentException.class, () -> Ops.concat(0, x, t(be, 6)),
                    "concat", "ranks", "[2,3], [6]");
            assertRejects(IllegalArgumentException.class, () -> Ops.concat(2, x, x), "concat", "axis 2", "[2,3]");
            assertRejects(IllegalArgumentException.class, () -> Ops.concat(0), "concat");
            assertRejects(IllegalArgumentException.class, () -> Ops.slice(x, 1, 2, 2), "slice", "[2, 4)", "[2,3]");
            assertRejects(IllegalArgumentException.class, () -> Ops.slice(x, 0, -1, 1), "slice", "-1", "[2,3]");
            assertRejects(IllegalArgumentException.class, () -> Ops.slice(x, 2, 0, 1), "slice", "axis 2", "[2,3]");
            assertRejects(IllegalArgumentException.class, () -> Ops.split(x, 1, 1, 1), "split", "[1, 1]", "[2,3]");
            assertRejects(IllegalArgumentException.class, () -> Ops.split(x, 1, 4, -1), "split", "-1");
            assertRejects(IllegalArgumentException.class, () -> Ops.reshape(x, Shape.of(4)), "reshape", "[2,3]", "[4]");
            assertRejects(IllegalArgumentException.class, () -> Ops.flatten(x, 3), "flatten", "axis 3", "[2,3]");
        });
    }

    // ---------------------------------------------------------------- ownership

    /** Every op that takes tensors, called with a closed tensor: op name, "closed" and its shape. */
    @Test
    public void closedTensorsAreRejected() {
        inScope(be -> {
            Tensor x = t(be, 2, 3, 4, 4), open = t(be, 2, 3, 4, 4), c = t(be, 3), m = t(be, 4, 4);
            x.close();
            x.close(); // closing twice is a no-op
            assertTrue(x.isClosed());
            record Call(String op, Executable call) {
            }
            List<Call> calls = List.of(
                    new Call("relu", () -> Ops.relu(x)), new Call("add", () -> Ops.add(x, open)),
                    new Call("add", () -> Ops.add(open, x)), new Call("affine", () -> Ops.affine(x, 2f, 1f)),
                    new Call("clip", () -> Ops.clip(x, 0f, 1f)), new Call("reduceSum", () -> Ops.sum(x, 1)),
                    new Call("concat", () -> Ops.concat(0, open, x)), new Call("slice", () -> Ops.slice(x, 0, 0, 1)),
                    new Call("split", () -> Ops.split(x, 0, 1, 1)), new Call("copy", () -> Ops.copy(x)),
                    new Call("reshape", () -> Ops.reshape(x, Shape.of(96))),
                    new Call("flatten", () -> Ops.flatten(x, 1)), new Call("matmul", () -> Ops.matmul(x, m)),
                    new Call("matmul", () -> Ops.matmul(m, x)), new Call("linear", () -> Ops.linear(x, m, null)),
                    new Call("conv2d", () -> Ops.conv2d(x, open, null, Conv2dSpec.of(1, 0))),
                    new Call("conv2d", () -> Ops.conv2d(open, x, null, Conv2dSpec.of(1, 0))),
                    new Call("batchNorm", () -> Ops.batchNorm(x, c, c, c, c, 1e-3f)),
                    new Call("batchNormTraining", () -> Ops.batchNormTraining(x, c, c, c, c, 1e-3f, 0.1f)),
                    new Call("maxPool2d", () -> Ops.maxPool2d(x, Pool2dSpec.of(2, 2, 0))),
                    new Call("avgPool2d", () -> Ops.avgPool2d(x, Pool2dSpec.of(2, 2, 0))),
                    new Call("globalAvgPool", () -> Ops.globalAvgPool(x)), new Call("softmax", () -> Ops.softmax(x, 1)),
                    new Call("logSoftmax", () -> Ops.logSoftmax(x, 1)), new Call("dropout", () -> Ops.dropout(x, 0.5f, 1L)),
                    new Call("toArray", x::toArray));
            for (Call call : calls) {
                assertRejects(IllegalStateException.class, call.call(), call.op(), "closed", "[2,3,4,4]");
            }
        });
    }

    /** Tensors of a second instance of the same backend must not mix with this one's. */
    @Test
    public void tensorsOfAnotherBackendInstanceAreRejected() {
        Backend be = backend();
        long live = be.liveBytes();
        try (Backend other = anotherBackend(); TensorScope scope = TensorScope.open()) {
            assertTrue(other != be, "the backend supplier must return a new instance each time");
            Tensor x = t(be, 1, 3, 5, 5), w = t(be, 4, 3, 3, 3), c = t(be, 3), m = t(be, 3, 3);
            Tensor xo = t(other, 1, 3, 5, 5), wo = t(other, 4, 3, 3, 3), co = t(other, 3), bo = t(other, 4),
                    mo = t(other, 3, 3);
            String name = "belongs to backend";
            assertRejects(IllegalArgumentException.class, () -> Ops.add(x, xo), "add", name, "[1,3,5,5]");
            assertRejects(IllegalArgumentException.class, () -> Ops.binary(BinaryOp.DIV, xo, x), "div", name);
            assertRejects(IllegalArgumentException.class, () -> Ops.matmul(m, mo), "matmul", name, "[3,3]");
            assertRejects(IllegalArgumentException.class, () -> Ops.linear(m, mo, null), "linear", name);
            assertRejects(IllegalArgumentException.class, () -> Ops.linear(m, m, co), "linear", name, "[3]");
            assertRejects(IllegalArgumentException.class, () -> Ops.conv2d(x, wo, null, Conv2dSpec.of(1, 1)),
                    "conv2d", name, "[4,3,3,3]", "[1,3,5,5]");
            assertRejects(IllegalArgumentException.class, () -> Ops.conv2d(x, w, bo, Conv2dSpec.of(1, 1)),
                    "conv2d", name, "[4]");
            assertRejects(IllegalArgumentException.class, () -> Ops.batchNorm(x, co, c, c, c, 1e-3f),
                    "batchNorm", name, "[3]");
            assertRejects(IllegalArgumentException.class, () -> Ops.batchNormTraining(x, c, c, c, co, 1e-3f, 0.1f),
                    "batchNormTraining", name, "[3]");
            assertRejects(IllegalArgumentException.class, () -> Ops.concat(1, x, xo), "concat", name, "[1,3,5,5]");
        }
        assertEquals(live, be.liveBytes(), "live bytes after the scope closed");
    }

    @Test
    public void scopeFreesEveryTensorItOwns() {
        Backend be = backend();
        long live = be.liveBytes();
        List<Tensor> made = new ArrayList<>();
        try (TensorScope scope = TensorScope.open()) {
            oneOfEach(be).forEach(m -> made.add(m.tensor()));
            assertTrue(be.liveBytes() > live, "liveBytes() must count open tensors");
            assertTrue(scope.ownedCount() >= made.size(), "every tensor made in the scope belongs to it");
        }
        for (Tensor t : made) {
            assertTrue(t.isClosed(), () -> t + " was not closed by its scope");
        }
        assertEquals(live, be.liveBytes(), "live bytes after the scope closed");
    }

    @Test
    public void keptTensorsOutliveTheirScope() {
        Backend be = backend();
        long live = be.liveBytes();
        Tensor kept;
        try (TensorScope outer = TensorScope.open()) {
            Tensor inOuter;
            try (TensorScope inner = TensorScope.open()) {
                Tensor tmp = t(be, 8, 8);
                inOuter = inner.keep(Ops.relu(tmp));
                assertEquals(1, inner.ownedCount());
                TensorScope.open(); // left open on purpose: the outer scope must close it too
                Ops.zeros(be, Shape.of(3));
            }
            assertFalse(inOuter.isClosed(), "a kept tensor moves to the enclosing scope");
            assertEquals(8 * 8, inOuter.toArray().length);
            kept = outer.keep(inOuter);
        }
        assertFalse(kept.isClosed(), "a tensor kept out of the outermost scope belongs to the caller");
        assertTrue(be.liveBytes() > live);
        kept.close();
        kept.close();
        assertEquals(live, be.liveBytes(), "live bytes after the caller closed the kept tensor");
    }

    @Test
    public void liveBytesCountsOpenTensors() {
        Backend be = backend();
        long live = be.liveBytes();
        Tensor a = Harness.assertOwned(be, "allocate", be.allocate(Shape.of(1000)));
        Tensor b = Harness.assertOwned(be, "allocate", be.allocate(Shape.of(3, 5)));
        assertTrue(be.liveBytes() - live >= 4L * 1015, "liveBytes() grows by at least 4 bytes per float");
        float[] zeros = a.toArray();
        for (float z : zeros) {
            assertEquals(0f, z, "allocate() must return zeros");
        }
        a.close();
        b.close();
        assertEquals(live, be.liveBytes(), "live bytes after closing");
    }

    // ---------------------------------------------------------------- special values and empty tensors

    /**
     * ±0, ±∞, NaN, subnormals, overflow and underflow through every unary op, at a length with a
     * vector tail (19). relu(NaN) is left open (max(NaN, 0) is NaN in Java, 0 with C's fmaxf): for
     * RELU the NaN is replaced by 3.
     */
    @Test
    public void unarySpecialValuesFollowTheFormulas() {
        float[] special = {0f, -0f, 1f, -1f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 100f, -100f,
                89f, -104f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE, 1e-30f, -1e-30f, 0.5f, 2f, 1e30f};
        for (UnaryOp op : UnaryOp.values()) {
            float[] v = special.clone();
            if (op == UnaryOp.RELU) {
                v[6] = 3f;
            }
            DTensor x = DTensor.of(Shape.of(v.length), v);
            DTensor ref = ElementwiseReference.unary(op, x);
            verify(op.name().toLowerCase(), "special values " + java.util.Arrays.toString(v),
                    be -> new Outputs().add("out", Ops.unary(op, upload(be, x))), expect(ref),
                    expect(tolerances().unary(op, ref)));
        }
    }

    /** Division by ±0, 0/0, ∞ − ∞, and max/min with ±∞, at a length with a vector tail (9). */
    @Test
    public void binarySpecialValuesFollowTheFormulas() {
        float inf = Float.POSITIVE_INFINITY;
        DTensor a = DTensor.of(Shape.of(9), new float[] {1f, -1f, 0f, inf, inf, -inf, 3f, -0f, 2f});
        DTensor b = DTensor.of(Shape.of(9), new float[] {0f, 0f, 0f, inf, -inf, 5f, -0f, 0f, -inf});
        for (BinaryOp op : BinaryOp.values()) {
            DTensor ref = ElementwiseReference.binary(op, a, b);
            verify(op.name().toLowerCase(), "special values", be -> new Outputs().add("out",
                    Ops.binary(op, upload(be, a), upload(be, b))), expect(ref), expect(tolerances().binary(op, ref)));
        }
    }

    /** Tensors with a zero dimension: elementwise ops and copies give empty results; an empty sum is 0. */
    @Test
    public void emptyTensorsAreHandled() {
        inScope(be -> {
            for (Shape s : new Shape[] {Shape.of(0), Shape.of(2, 0, 3)}) {
                Tensor e = Harness.assertOwned(be, "Ops.zeros", Ops.zeros(be, s));
                assertEquals(s, Ops.relu(e).shape());
                assertEquals(s, Ops.add(e, e).shape());
                assertEquals(s, Ops.affine(e, 2f, 1f).shape());
                assertEquals(s, Ops.clip(e, 0f, 1f).shape());
                assertEquals(s, Ops.copy(e).shape());
                assertEquals(s, Ops.full(be, s, 3f).shape());
                assertEquals(0, Ops.dropout(e, 0.5f, 1L).out().toArray().length);
            }
            Tensor sum = Ops.sum(Ops.zeros(be, Shape.of(2, 0, 3)), 1);
            assertEquals(Shape.of(2, 3), sum.shape());
            for (float v : sum.toArray()) {
                assertEquals(0f, v, "a sum over an empty axis is 0");
            }
            Tensor product = Ops.matmul(Ops.zeros(be, Shape.of(2, 0)), Ops.zeros(be, Shape.of(0, 3)));
            for (float v : product.toArray()) {
                assertEquals(0f, v, "a matmul with inner dimension 0 is 0");
            }
        });
    }

    // ---------------------------------------------------------------- optimizer primitives

    /**
     * The multi-tensor primitives: lists of different lengths, an entry whose shapes differ, a
     * written tensor passed twice or also read, a scale or power of the wrong size, bad
     * hyperparameters, tensors of another backend and closed tensors; each message names the op and
     * the shapes. And a one-element read of a tensor with more elements.
     */
    @Test
    public void optimizerPrimitivesRejectBadInput() {
        inScope(be -> {
            Tensor a = t(be, 2, 3), b = t(be, 5), ga = t(be, 2, 3), gb = t(be, 5), aa = t(be, 2, 3), ab = t(be, 5);
            Tensor ma = t(be, 2, 3), mb = t(be, 5), one = Ops.full(be, Shape.of(1), 1f);
            Tensor[] theta = {a, b}, acc = {aa, ab}, grad = {ga, gb}, ms = {ma, mb};
            Class<IllegalArgumentException> bad = IllegalArgumentException.class;
            assertRejects(bad, () -> Ops.momentumUpdate(theta, acc, new Tensor[] {ga, t(be, 4)}, one, 0.1f, 0.9f, false),
                    "momentumUpdate", "entry 1", "[5]", "[4]");
            assertRejects(bad, () -> Ops.rmsPropUpdate(theta, acc, new Tensor[] {ma}, grad, one, 0.1f, 0.9f, 0.9f, 1f),
                    "rmsPropUpdate", "2 tensors", "mom 1");
            assertRejects(bad, () -> Ops.momentumUpdate(theta, new Tensor[] {a, ab}, grad, one, 0.1f, 0.9f, false),
                    "momentumUpdate", "acc entry 0 [2,3]", "theta entry 0", "appear once");
            assertRejects(bad, () -> Ops.momentumUpdate(theta, acc, new Tensor[] {ga, b}, one, 0.1f, 0.9f, false),
                    "momentumUpdate", "grad entry 1 [5]", "theta entry 1", "written");
            assertRejects(bad, () -> Ops.momentumUpdate(theta, acc, grad, t(be, 3), 0.1f, 0.9f, false),
                    "momentumUpdate", "scale [3]", "[2]");
            assertRejects(bad, () -> Ops.rmsPropUpdate(theta, acc, ms, grad, one, Float.NaN, 0.9f, 0.9f, 1f),
                    "rmsPropUpdate", "learning rate", "NaN");
            assertRejects(bad, () -> Ops.rmsPropUpdate(theta, acc, ms, grad, one, 0.1f, 1f, 0.9f, 1f),
                    "rmsPropUpdate", "rho", "1.0");
            assertRejects(bad, () -> Ops.adamUpdate(theta, acc, ms, grad, t(be, 2), one, Ops.full(be, Shape.of(1), 1f),
                    0.1f, 0.9f, 0.999f, 1e-8f), "adamUpdate", "powers", "[2]");
            assertRejects(bad, () -> Ops.adamUpdate(theta, acc, ms, grad, one, one, Ops.full(be, Shape.of(1), 1f),
                    0.1f, 0.9f, 0.999f, 1e-8f), "adamUpdate", "different tensors");
            assertRejects(bad, () -> Ops.adamUpdate(theta, acc, ms, grad, Ops.full(be, Shape.of(1), 1f),
                    Ops.full(be, Shape.of(1), 1f), one, 0.1f, 0.9f, 0.999f, 0f), "adamUpdate", "eps", "0.0");
            assertRejects(bad, () -> Ops.emaUpdate(theta, grad, t(be, 2), 0.9f), "emaUpdate", "gate [2]");
            assertRejects(bad, () -> Ops.emaUpdate(theta, grad, one, 1.5f), "emaUpdate", "decay", "1.5");
            assertRejects(bad, () -> Ops.emaUpdate(theta, new Tensor[] {a, gb}, one, 0.9f), "emaUpdate",
                    "theta entry 0 [2,3]", "shadow entry 0", "written");
            assertRejects(bad, Ops::sumOfSquares, "sumOfSquares", "empty");
            assertRejects(bad, () -> Ops.axpy(new Tensor[] {a}, 1f, new Tensor[] {b}), "axpy", "[2,3]", "[5]");
            assertRejects(bad, () -> Ops.axpy(new Tensor[] {a, a}, 1f, new Tensor[] {ga, ga}), "axpy", "appear once");
            assertRejects(bad, () -> Ops.axpy(new Tensor[] {a, aa}, 1f, new Tensor[] {aa, ga}), "axpy",
                    "x entry 0 [2,3]", "y entry 1", "written");
            assertRejects(bad, () -> Ops.axpy(new Tensor[] {a}, Float.POSITIVE_INFINITY, new Tensor[] {ga}), "axpy",
                    "alpha", "Infinity");
            assertRejects(bad, () -> t(be, 2, 3).item(), "item", "[2,3]", "6 elements");
            Tensor closed = t(be, 2, 3);
            closed.close();
            assertRejects(IllegalStateException.class, () -> Ops.sumOfSquares(b, closed), "sumOfSquares", "closed",
                    "[2,3]");
            assertRejects(IllegalStateException.class, () -> Ops.momentumUpdate(theta, acc, new Tensor[] {closed, gb},
                    one, 0.1f, 0.9f, false), "momentumUpdate", "closed", "[2,3]");
        });
        Backend be = backend();
        try (Backend other = anotherBackend(); TensorScope scope = TensorScope.open()) {
            Tensor a = t(be, 2, 3), ao = t(other, 2, 3), acc = t(be, 2, 3), one = Ops.full(be, Shape.of(1), 1f);
            String name = "belongs to backend";
            assertRejects(IllegalArgumentException.class, () -> Ops.sumOfSquares(a, ao), "sumOfSquares", name, "[2,3]");
            assertRejects(IllegalArgumentException.class, () -> Ops.momentumUpdate(new Tensor[] {a},
                    new Tensor[] {acc}, new Tensor[] {ao}, one, 0.1f, 0.9f, true), "momentumUpdate", name, "[2,3]");
            assertRejects(IllegalArgumentException.class, () -> Ops.emaUpdate(new Tensor[] {a}, new Tensor[] {acc},
                    Ops.full(other, Shape.of(1), 0f), 0.9f), "emaUpdate", name, "[1]");
        }
    }
}
