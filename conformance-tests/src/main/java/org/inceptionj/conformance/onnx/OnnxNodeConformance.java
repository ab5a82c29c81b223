package org.inceptionj.conformance.onnx;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.inceptionj.api.Backend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;

/**
 * The ONNX backend node tests against one InceptionJ backend. A backend's test suite subclasses
 * this with one line:
 *
 * <pre>{@code
 * class CpuOnnxNodeTest extends OnnxNodeConformance {
 *     CpuOnnxNodeTest() { super(() -> new CpuBackend(new CpuConfig(2, true))); }
 * }
 * }</pre>
 *
 * Each test folder becomes one {@link DynamicTest} named after it ({@code test_conv_with_strides_padding}),
 * run by {@link OnnxNodeCase#run}. A node the API cannot express, or one that needs an
 * {@link org.inceptionj.api.OptionalFeature} the backend declares unsupported, is reported as
 * skipped (aborted) with the reason; a wrong result, or an output the backend does not own, fails.
 * After the last test a summary table (passed / skipped with reason / failed with message) is
 * printed to standard output.
 *
 * <p>Where the tests are: the system property {@value #DIR_PROPERTY} (the root pom passes
 * {@code ../shared/conformance/onnx-node} relative to the checkout), else the first
 * {@code shared/conformance/onnx-node} found in the working directory or one of its ancestors.
 * Where neither exists, the factory is skipped with a message saying so. The system property
 * {@value #FILTER_PROPERTY} (a regular expression, matched against the folder name with
 * {@code find}) runs a subset.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class OnnxNodeConformance {
    /** System property with the folder of the node tests. */
    public static final String DIR_PROPERTY = "inceptionj.onnx.dir";
    /** System property with a regular expression selecting test folders by name. */
    public static final String FILTER_PROPERTY = "inceptionj.onnx.filter";
    /** Where the tests are looked for, upwards from the working directory, when the property does not name a folder. */
    public static final String RELATIVE_DIR = "shared/conformance/onnx-node";

    private final Supplier<Backend> backendFactory;
    private Backend backend;
    private final List<Result> results = Collections.synchronizedList(new ArrayList<>());

    /** One test's outcome, for the summary. */
    public record Result(String test, Outcome outcome, String detail) {
    }

    public enum Outcome {
        PASSED, SKIPPED, FAILED
    }

    /** @param backendFactory makes the backend under test; called once, the backend is closed after the last test */
    protected OnnxNodeConformance(Supplier<Backend> backendFactory) {
        this.backendFactory = Objects.requireNonNull(backendFactory, "backendFactory");
    }

    @TestFactory
    public Stream<DynamicTest> onnxNodeTests() {
        Located where = locate();
        if (where.dir().isEmpty()) {
            // One visible skipped test carrying the reason: an aborted factory is counted by no runner.
            System.out.println("ONNX node tests skipped: " + where.explanation());
            return Stream.of(DynamicTest.dynamicTest("onnx-node tests not found",
                    () -> Assumptions.abort(where.explanation())));
        }
        Path dir = where.dir().get();
        String filter = System.getProperty(FILTER_PROPERTY, "");
        Pattern select = filter.isBlank() ? null : Pattern.compile(filter);
        List<Path> cases;
        try (Stream<Path> s = Files.list(dir)) {
            cases = s.filter(p -> Files.isRegularFile(p.resolve("model.onnx")))
                    .filter(p -> select == null || select.matcher(p.getFileName().toString()).find())
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the ONNX node tests in " + dir + ": " + e.getMessage(), e);
        }
        Assumptions.assumeFalse(cases.isEmpty(), () -> "no ONNX node test folder (with model.onnx) in " + dir
                + (select == null ? "" : " matches -D" + FILTER_PROPERTY + "=" + filter));
        // No test source URI on the dynamic tests: with a directory URI as source, Maven Surefire
        // drops them from its counts, and a failing node test would pass the build.
        return cases.stream().map(p -> DynamicTest.dynamicTest(p.getFileName().toString(), () -> runOne(p)));
    }

    private void runOne(Path dir) {
        String name = dir.getFileName().toString();
        try {
            OnnxNodeCase test = OnnxNodeCase.load(dir);
            test.run(backend());
            results.add(new Result(name, Outcome.PASSED, ""));
        } catch (OnnxUnsupportedException e) {
            results.add(new Result(name, Outcome.SKIPPED, e.getMessage()));
            Assumptions.abort(e.getMessage());
        } catch (UnsupportedOperationException e) {
            // Ops refused an optional feature the backend declares unsupported (Backend#unsupported).
            String reason = "the backend leaves out what this node needs: " + e.getMessage();
            results.add(new Result(name, Outcome.SKIPPED, reason));
            Assumptions.abort(reason);
        } catch (AssertionError e) {
            results.add(new Result(name, Outcome.FAILED, e.getMessage()));
            throw e;
        } catch (RuntimeException e) {
            // Reports that list tests by index still show which folder failed; the cause keeps the stack.
            String message = name + ": " + e.getClass().getSimpleName() + ": " + e.getMessage();
            results.add(new Result(name, Outcome.FAILED, message));
            throw new AssertionError(message, e);
        }
    }

    private Backend backend() {
        if (backend == null) {
            backend = Objects.requireNonNull(backendFactory.get(), "backend factory returned null");
        }
        return backend;
    }

    /** Prints the summary table and closes the backend. */
    @AfterAll
    public void summarizeAndClose() {
        try {
            if (!results.isEmpty()) {
                System.out.println(summary());
            }
        } finally {
            if (backend != null) {
                backend.close();
            }
        }
    }

    /** The outcomes so far, in run order. */
    public List<Result> results() {
        synchronized (results) {
            return List.copyOf(results);
        }
    }

    /** A plain-text table: one line per test, then the counts and the skip reasons grouped. */
    public String summary() {
        List<Result> rs = results();
        String backendName = backend == null ? "?" : backend.describe();
        int width = 4;
        for (Result r : rs) {
            width = Math.max(width, r.test().length());
        }
        StringBuilder b = new StringBuilder();
        b.append("ONNX node tests on ").append(backendName).append(" (rtol ").append(OnnxNodeCase.RTOL)
                .append(", atol ").append(OnnxNodeCase.ATOL).append(")\n");
        b.append(String.format("%-" + width + "s  %-7s  %s%n", "test", "result", "detail"));
        int[] counts = new int[Outcome.values().length];
        Map<String, List<String>> skipReasons = new TreeMap<>();
        for (Result r : rs) {
            counts[r.outcome().ordinal()]++;
            String detail = r.detail().replace('\n', ' ');
            b.append(String.format("%-" + width + "s  %-7s  %s%n", r.test(), r.outcome(), detail));
            if (r.outcome() == Outcome.SKIPPED) {
                skipReasons.computeIfAbsent(r.detail(), k -> new ArrayList<>()).add(r.test());
            }
        }
        b.append(rs.size()).append(" tests: ").append(counts[Outcome.PASSED.ordinal()]).append(" passed, ")
                .append(counts[Outcome.SKIPPED.ordinal()]).append(" skipped, ")
                .append(counts[Outcome.FAILED.ordinal()]).append(" failed\n");
        for (Map.Entry<String, List<String>> e : skipReasons.entrySet()) {
            b.append("  skipped ").append(e.getValue().size()).append(": ").append(e.getKey()).append('\n');
        }
        return b.toString();
    }

    // ---------------------------------------------------------------- finding the tests

    /** The folder found, or an explanation of where it was looked for. */
    record Located(Optional<Path> dir, String explanation) {
    }

    static Located locate() {
        String property = System.getProperty(DIR_PROPERTY);
        if (property != null && !property.isBlank()) {
            Path p = Paths.get(property.trim());
            if (Files.isDirectory(p)) {
                return new Located(Optional.of(p.normalize()), "");
            }
        }
        Path cwd = Paths.get("").toAbsolutePath();
        for (Path a = cwd; a != null; a = a.getParent()) {
            Path p = a.resolve(RELATIVE_DIR);
            if (Files.isDirectory(p)) {
                return new Located(Optional.of(p.normalize()), "");
            }
        }
        return new Located(Optional.empty(), "ONNX node tests not found, skipped: "
                + (property == null || property.isBlank() ? "-D" + DIR_PROPERTY + " is not set"
                : "-D" + DIR_PROPERTY + "=" + property + " is not a directory")
                + ", and no " + RELATIVE_DIR + " in the working directory or above it");
    }
}
