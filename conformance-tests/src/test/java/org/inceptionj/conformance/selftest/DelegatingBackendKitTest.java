package org.inceptionj.conformance.selftest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import org.inceptionj.api.Backend;
import org.inceptionj.api.OptionalFeature;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.UnaryOp;
import org.inceptionj.conformance.DelegatingBackend;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * The whole kit (forward, gradient and ONNX suites, run as a third party runs them) against a
 * backend that delegates to {@link ReferenceBackend}, as an outsider writes one:
 * <ul>
 *   <li>correct, with tensors of its own ({@link DelegatingBackend}): everything passes, and every
 *       primitive of {@link Backend} is reached;</li>
 *   <li>with a planted bug in one op (a leaky ReLU, a conv2d output off by 10⁻³): that op's forward,
 *       gradient and ONNX cases fail;</li>
 *   <li>handing out the inner backend's own tensors from allocate (so {@code Ops} never calls it):
 *       the ownership check fails it at once, everywhere;</li>
 *   <li>declaring an optional feature unsupported: reported as a named skip, and the ONNX node tests
 *       that need it are skipped with the reason.</li>
 * </ul>
 * Shrinking is off in these runs (a planted bug fails at once; shrinking would only cost time).
 */
class DelegatingBackendKitTest {

    /** What one launcher run reported, by test name (jqwik property or JUnit test, ONNX folder). */
    record Report(List<String> passed, List<String> failed, List<String> skipped, List<String> failureMessages) {
        boolean failedAny(String nameFragment) {
            return failed.stream().anyMatch(n -> n.contains(nameFragment));
        }

        String describe() {
            return passed.size() + " passed, " + failed.size() + " failed " + failed + ", " + skipped.size()
                    + " skipped " + skipped;
        }
    }

    /** Runs the three suites on the backends {@code make} supplies; returns what each test did. */
    static Report runKit(Supplier<Backend> make) {
        DelegateSuites.backend = make;
        List<String> passed = new ArrayList<>(), failed = new ArrayList<>(), skipped = new ArrayList<>(),
                messages = new ArrayList<>();
        TestExecutionListener listener = new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (!id.isTest()) {
                    if (result.getStatus() == TestExecutionResult.Status.FAILED) {
                        failed.add(id.getDisplayName() + " (container)");
                        messages.add(String.valueOf(result.getThrowable().map(Throwable::getMessage).orElse("")));
                    }
                    return;
                }
                String name = id.getDisplayName();
                switch (result.getStatus()) {
                    case SUCCESSFUL -> passed.add(name);
                    case ABORTED -> skipped.add(name);
                    case FAILED -> {
                        failed.add(name);
                        messages.add(name + ": " + result.getThrowable().map(Throwable::getMessage).orElse(""));
                    }
                }
            }

            @Override
            public void executionSkipped(TestIdentifier id, String reason) {
                skipped.add(id.getDisplayName());
            }
        };
        // The suites' own reports (failure details, error tables, the ONNX summary) are not this test's output.
        PrintStream out = System.out;
        System.setOut(new PrintStream(OutputStream.nullOutputStream(), false, StandardCharsets.UTF_8));
        try {
            Launcher launcher = LauncherFactory.create();
            launcher.execute(LauncherDiscoveryRequestBuilder.request()
                    .selectors(selectClass(DelegateSuites.Forward.class), selectClass(DelegateSuites.Gradient.class),
                            selectClass(DelegateSuites.Onnx.class))
                    .configurationParameter("jqwik.shrinking.default", "OFF")
                    .configurationParameter("jqwik.failures.after", "RANDOM_SEED")
                    .build(), listener);
        } finally {
            System.setOut(out);
            DelegateSuites.backend = null;
        }
        return new Report(passed, failed, skipped, messages);
    }

    /** Whether the ONNX node tests were found (else the runner reports one skipped placeholder). */
    private static boolean onnxFound(Report r) {
        return r.passed().contains("test_add") || r.failed().contains("test_add") || r.skipped().contains("test_add");
    }

    @Test
    void aCorrectDelegatingBackendPassesTheWholeKitAndIsReachedByEveryPrimitive() {
        Set<String> reached = ConcurrentHashMap.newKeySet();
        Report r = runKit(() -> DelegatingBackend.wrap("delegate", new ReferenceBackend(), null,
                (inner, method, args) -> reached.add(method)));
        System.out.println("correct delegate: " + r.describe());
        assertEquals(List.of(), r.failed(), () -> String.join("\n", r.failureMessages()));
        assertTrue(r.passed().size() > 60, r.describe());
        // Every primitive of the contract was called on the backend under test (name, describe and
        // unsupported are answered by the delegate itself).
        Set<String> primitives = new TreeSet<>();
        for (Method m : Backend.class.getMethods()) {
            if (!Modifier.isStatic(m.getModifiers())) {
                primitives.add(m.getName());
            }
        }
        primitives.removeAll(Set.of("name", "describe", "unsupported"));
        Set<String> missed = new TreeSet<>(primitives);
        missed.removeAll(reached);
        assertEquals(Set.of(), missed, "Backend methods the kit never called on the backend under test");
    }

    @Test
    void aLeakyReluIsCaughtByTheForwardGradientAndOnnxCases() {
        Report r = runKit(() -> DelegatingBackend.wrap("delegate-leaky-relu", new ReferenceBackend(), null,
                (inner, method, args) -> {
                    if (method.equals("unary") && args[0] == UnaryOp.RELU) {
                        // out = x for x > 0, else 0.01·x (the planted bug: ReLU's slope on the negative side).
                        Tensor out = (Tensor) args[1], x = (Tensor) args[2];
                        float[] o = new float[out.size()], v = new float[x.size()];
                        inner.read(out, o, 0);
                        inner.read(x, v, 0);
                        for (int i = 0; i < o.length; i++) {
                            if (v[i] < 0) {
                                o[i] = 0.01f * v[i];
                            }
                        }
                        inner.write(out, o, 0);
                    }
                }));
        System.out.println("leaky ReLU: " + r.describe());
        assertTrue(r.failedAny("unaryMatchesReference"), "forward: " + r.describe());
        assertTrue(r.failedAny("reluBackwardMatchesReference"), "gradient: " + r.describe());
        if (onnxFound(r)) {
            assertTrue(r.failed().contains("test_relu"), "ONNX: " + r.describe());
        }
    }

    @Test
    void aConvolutionOffByOneThousandthIsCaughtByTheForwardAndGradientCases() {
        Report r = runKit(() -> DelegatingBackend.wrap("delegate-conv-offset", new ReferenceBackend(), null,
                (inner, method, args) -> {
                    if (method.equals("conv2d")) {
                        Tensor out = (Tensor) args[0];
                        float[] o = new float[out.size()];
                        inner.read(out, o, 0);
                        for (int i = 0; i < o.length; i++) {
                            o[i] += 1e-3f;
                        }
                        inner.write(out, o, 0);
                    }
                }));
        System.out.println("conv2d + 1e-3: " + r.describe());
        assertTrue(r.failedAny("conv2dMatchesReference"), "forward: " + r.describe());
        // The tape's forward output is checked too: dx and dw do not depend on it, and the
        // networks' batch norm absorbs a constant offset.
        assertTrue(r.failedAny("conv2dBackwardMatchesReference"), "gradient: " + r.describe());
        // The ONNX conv node tests compare with onnx's rtol 1e-3 against outputs of 12 and more, so an
        // offset of 1e-3 is within their tolerance: it is the kit's own tolerances that catch it.
    }

    @Test
    void aBackendThatHandsOutTheInnerBackendsTensorsFailsTheOwnershipCheck() {
        Report r = runKit(() -> {
            Backend inner = new ReferenceBackend();
            // The outsider's delegate: every call forwarded as is, so allocate returns the inner backend's tensors.
            return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                    (proxy, m, args) -> switch (m.getName()) {
                        case "name", "toString" -> "passthrough";
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        default -> {
                            try {
                                yield m.invoke(inner, args);
                            } catch (InvocationTargetException e) {
                                throw e.getCause();
                            }
                        }
                    });
        });
        System.out.println("hands out the inner backend's tensors: " + r.describe());
        assertTrue(r.failedAny("everyTensorItReturnsIsItsOwn"), r.describe());
        assertTrue(r.failedAny("unaryMatchesReference"), r.describe());
        assertTrue(r.failedAny("conv2dBackwardMatchesReference"), r.describe());
        assertTrue(r.failureMessages().stream().filter(m -> m.startsWith("unaryMatchesReference"))
                        .allMatch(m -> m.contains("is owned by backend 'reference'")),
                () -> "the failure names the owner:\n" + String.join("\n", r.failureMessages()));
        assertEquals(List.of("describesItself()"), r.passed(), "only name() and describe() work without tensors of its own");
        if (onnxFound(r)) {
            assertTrue(r.failed().contains("test_relu"), r.describe());
        }
    }

    @Test
    void aDeclaredUnsupportedFeatureIsANamedSkipNotASilentPass() {
        Report r = runKit(() -> DelegatingBackend.wrap("delegate-no-ceil", new ReferenceBackend(),
                Set.of(OptionalFeature.CEIL_MODE), (inner, method, args) -> { }));
        System.out.println("CEIL_MODE declared unsupported: " + r.describe());
        assertEquals(List.of(), r.failed(), () -> String.join("\n", r.failureMessages()));
        assertTrue(r.skipped().contains("CEIL_MODE"), r.describe());
        assertTrue(r.passed().containsAll(List.of("ASYMMETRIC_PADDING", "POOL_DILATION")), r.describe());
        if (onnxFound(r)) {
            // Every node test with ceil_mode = 1 (test_averagepool_2d_dilations has it too), and MaxPool's
            // argmax output, which the API does not have, for any backend.
            Set<String> onnx = r.skipped().stream().filter(n -> n.startsWith("test_")).collect(Collectors.toSet());
            assertEquals(Set.of("test_averagepool_2d_ceil", "test_averagepool_2d_ceil_last_window_starts_on_pad",
                    "test_averagepool_2d_dilations", "test_maxpool_2d_ceil", "test_maxpool_2d_ceil_output_size_reduce_by_one",
                    "test_maxpool_with_argmax_2d_precomputed_pads", "test_maxpool_with_argmax_2d_precomputed_strides"),
                    onnx, r.describe());
        }
    }
}
