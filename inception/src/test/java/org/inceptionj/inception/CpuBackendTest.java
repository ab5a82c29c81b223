package org.inceptionj.inception;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Backends;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Base of the JUnit test classes that share one CPU backend per class, closed when the class is done. */
public abstract class CpuBackendTest {
    protected static Backend backend;

    @BeforeAll
    static void startBackend() {
        backend = Backends.load("cpu");
    }

    @AfterAll
    static void stopBackend() {
        backend.close();
    }
}
