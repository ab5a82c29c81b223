package org.inceptionj.inception;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.inceptionj.api.Backends;
import org.junit.jupiter.api.Test;

/** The suites' shared backend is the configured one, and a model built on it lives on it. */
class ConfiguredBackendTest extends BackendTest {

    @Test
    void theSuitesRunOnTheConfiguredBackend() {
        Backends.Choice c = Backends.configured();
        System.out.println("model, training, golden and resume tests run on backend '" + backend.name() + "' ("
                + c.reason() + "): " + backend.describe());
        assertEquals(c.name(), backend.name());
        try (InceptionV3 m = new InceptionV3(backend, new InceptionV3.Config(10, false, true, 0f)
                .withWidthMultiplier(0.125), 1)) {
            m.parameters().asMap().forEach((name, t) -> assertSame(backend, t.backend(), name));
        }
    }

    @Test
    void aSecondBackendIsRegisteredForTheseTests() {
        assertTrue(Backends.available().containsAll(java.util.List.of("cpu", DelegateCpuBackendProvider.NAME)),
                "available: " + Backends.available());
    }
}
