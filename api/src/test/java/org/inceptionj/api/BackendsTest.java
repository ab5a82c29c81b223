package org.inceptionj.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BackendsTest {

    @Test
    void propertyBeatsEnvironmentBeatsDefault() {
        assertEquals("cuda", Backends.configured("cuda", "cpu").name());
        assertTrue(Backends.configured("cuda", "cpu").reason().contains("system property inceptionj.backend=cuda"));
        assertEquals("cpu", Backends.configured(null, "cpu").name());
        assertTrue(Backends.configured(" ", "cpu").reason().contains("INCEPTIONJ_BACKEND=cpu"));
        assertEquals("cpu", Backends.configured(null, null).name());
        assertTrue(Backends.configured(null, "").reason().startsWith("default"));
    }

    @Test
    void anUnknownNameFailsListingWhatIsAvailable() {
        // The api module alone has no provider on its class path.
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> Backends.load("tpu"));
        assertTrue(e.getMessage().contains("unknown backend 'tpu'"), e.getMessage());
        assertTrue(e.getMessage().contains("available: none"), e.getMessage());
    }
}
