package org.inceptionj.conformance;

import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

import net.jqwik.api.lifecycle.AfterProperty;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Ops;
import org.inceptionj.api.OptionalFeature;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.conformance.reference.DTensor;
import org.junit.jupiter.api.AfterEach;

/**
 * The plumbing under {@link BackendConformance}: the backend under test (and an optional oracle
 * backend), created lazily from their suppliers and closed after every test and property, and
 * {@link #verify}, which runs an op, compares every output with its reference, and checks that
 * nothing leaked. Extend {@link BackendConformance}, not this class.
 */
public abstract class ConformanceBase {
    /** System property: {@code -Dinceptionj.conformance.report=true} prints the worst error per op after each property. */
    public static final String REPORT_PROPERTY = "inceptionj.conformance.report";

    private final Supplier<? extends Backend> backendFactory;
    private final Supplier<? extends Backend> oracleFactory;
    private Backend backend;
    private Backend oracle;

    protected ConformanceBase(Supplier<? extends Backend> backend, Supplier<? extends Backend> oracle) {
        if (backend == null) {
            throw new IllegalArgumentException("conformance: the backend supplier is null");
        }
        this.backendFactory = backend;
        this.oracleFactory = oracle;
    }

    /** The tolerances of this run; override to state a backend's own (e.g. TF32 matmul). */
    protected Tolerances tolerances() {
        return Tolerances.FLOAT32;
    }

    /** The backend under test, created on first use (one per test or property). */
    protected final Backend backend() {
        if (backend == null) {
            backend = create(backendFactory, "backend");
        }
        return backend;
    }

    /** The oracle backend, or null when the suite runs against the references only. */
    protected final Backend oracle() {
        if (oracle == null && oracleFactory != null) {
            oracle = create(oracleFactory, "oracle");
        }
        return oracle;
    }

    /**
     * Whether the backend under test implements everything {@code needed}: the properties draw only
     * such cases, and {@link RejectionConformance#optionalFeatures()} reports each feature it leaves
     * out as a named skip.
     */
    protected final boolean supports(Set<OptionalFeature> needed) {
        for (OptionalFeature f : needed) {
            if (backend().unsupported().contains(f)) {
                return false;
            }
        }
        return true;
    }

    /** A second, independent instance of the backend under test (the caller closes it). */
    protected final Backend anotherBackend() {
        return create(backendFactory, "second backend");
    }

    private static Backend create(Supplier<? extends Backend> factory, String what) {
        Backend b = factory.get();
        if (b == null) {
            throw new IllegalStateException("conformance: the " + what + " supplier returned null");
        }
        return b;
    }

    /** Closes the backends after every JUnit test and every jqwik property (all its tries). */
    @AfterEach
    @AfterProperty
    public final void closeBackends() {
        try {
            if (backend != null) {
                backend.close();
            }
            if (oracle != null) {
                oracle.close();
            }
        } finally {
            backend = null;
            oracle = null;
            String report = Harness.drainReport();
            if (Boolean.getBoolean(REPORT_PROPERTY) && !report.isEmpty()) {
                System.out.print("conformance " + getClass().getSimpleName() + ":\n" + report);
            }
        }
    }

    // ---------------------------------------------------------------- helpers for properties

    /** A tensor of {@code be} holding d's values (float32: they are float values already); owned by {@code be}. */
    protected static Tensor upload(Backend be, DTensor d) {
        return Harness.assertOwned(be, "Ops.fromArray (allocate, write)", Ops.fromArray(be, d.shape(), d.toFloats()));
    }

    /** A tensor of {@code be} full of NaN: an output that a correct op overwrites completely; owned by {@code be}. */
    protected static Tensor nans(Backend be, Shape shape) {
        return Harness.assertOwned(be, "Ops.full (allocate, fill)", Ops.full(be, shape, Float.NaN));
    }

    /** The expected results of {@link #verify}, in order. */
    protected static DTensor[] expect(DTensor... expected) {
        return expected;
    }

    /**
     * Runs {@code run} on the backend under test inside a {@link TensorScope}; checks that it owns
     * each output ({@link Harness#assertOwned}), each output against {@code expected[k]} with
     * {@code tol[k]} (see {@link Harness#assertClose}), repeats
     * for identical bits, and that {@link Backend#liveBytes()} is back to its value before the
     * scope once it closes. With an oracle, runs the same on the oracle and checks each output
     * against the oracle's with the same tolerance.
     *
     * @param op      the op's name, for messages
     * @param context the case, for messages
     * @param run     uploads the inputs to the given backend and calls the op(s); returns the outputs
     */
    protected final void verify(String op, Object context, Function<Backend, Outputs> run,
                                DTensor[] expected, DTensor[] tol) {
        Results mine = runOn(backend(), op, context, run);
        for (int k = 0; k < mine.outputs.size(); k++) {
            Outputs.Output o = mine.outputs.get(k);
            Harness.assertClose(op, o.name(), context, mine.shapes[k], mine.values[k], expected[o.expected()],
                    tol[o.expected()]);
            if (o.repeats() >= 0) {
                Harness.assertSameBits(op, o.name(), mine.outputs.get(o.repeats()).name(), context, mine.shapes[k],
                        mine.values[k], mine.values[o.repeats()]);
            }
        }
        Backend theirs = oracle();
        if (theirs != null) {
            Results ref = runOn(theirs, op, context, run);
            for (int k = 0; k < mine.outputs.size(); k++) {
                Outputs.Output o = mine.outputs.get(k);
                Harness.assertClose(op, o.name() + " vs oracle '" + theirs.name() + "'", context, mine.shapes[k],
                        mine.values[k], DTensor.of(ref.shapes[k], ref.values[k]), tol[o.expected()]);
            }
        }
    }

    /** What one run of an op left behind: its outputs, read back before the scope freed them. */
    record Results(List<Outputs.Output> outputs, Shape[] shapes, float[][] values) {
    }

    /** Runs {@code run} on {@code be} in a scope, reads its outputs back, and fails if the scope leaked. */
    static Results runOn(Backend be, String op, Object context, Function<Backend, Outputs> run) {
        long live = be.liveBytes();
        Results r;
        try (TensorScope scope = TensorScope.open()) {
            List<Outputs.Output> outs = run.apply(be).list();
            Shape[] shapes = new Shape[outs.size()];
            float[][] values = new float[outs.size()][];
            for (int k = 0; k < outs.size(); k++) {
                Harness.assertOwned(be, op + " " + outs.get(k).name(), outs.get(k).tensor());
                shapes[k] = outs.get(k).tensor().shape();
                values[k] = outs.get(k).tensor().toArray();
            }
            r = new Results(outs, shapes, values);
        }
        long after = be.liveBytes();
        if (after != live) {
            throw new AssertionError(op + ": backend '" + be.name() + "' holds " + after + " live bytes after the "
                    + "TensorScope closed, " + live + " before: closing a scope must free every tensor it owns"
                    + "\n  case: " + context);
        }
        return r;
    }
}
