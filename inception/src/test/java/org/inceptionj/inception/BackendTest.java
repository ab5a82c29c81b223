package org.inceptionj.inception;

import java.util.List;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Backends;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Base of the JUnit test classes that share one backend per class, closed when the class is done:
 * the configured backend ({@code -Dinceptionj.backend=NAME}, else {@code INCEPTIONJ_BACKEND}, else
 * {@code cpu}; see {@link Backends}), so that {@code ./mvnw verify -Dinceptionj.backend=NAME} runs the
 * model, training, golden and resume tests on NAME. The tests' class path registers one more backend,
 * {@code cpu-delegate} ({@link DelegateCpuBackendProvider}), which is not the CPU's but computes what
 * it computes: the way to see that a suite follows the configuration without a GPU.
 */
public abstract class BackendTest {
    protected static Backend backend;

    @BeforeAll
    static void startBackend() {
        backend = Backends.load();
    }

    @AfterAll
    static void stopBackend() {
        backend.close();
    }

    /** JVM options that give a child JVM (a CLI run in its own process) the same backend as this one. */
    public static List<String> childJvmOptions() {
        return List.of("-D" + Backends.PROPERTY + "=" + Backends.configured().name());
    }
}
