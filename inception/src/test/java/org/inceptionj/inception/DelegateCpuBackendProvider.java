package org.inceptionj.inception;

import org.inceptionj.api.Backend;
import org.inceptionj.api.BackendProvider;
import org.inceptionj.api.Backends;
import org.inceptionj.conformance.DelegatingBackend;

/**
 * A second backend on the tests' class path, {@value #NAME}: every primitive runs on a CPU backend of
 * its own, through tensors that belong to this backend (the conformance kit's {@link DelegatingBackend}).
 * {@code ./mvnw -pl inception -am test -Dinceptionj.backend=cpu-delegate} runs the model, training,
 * golden and resume tests on it: they must pass as on the CPU, and any code that reaches past the
 * configured backend (a tensor of one backend given to another) fails loudly.
 */
public final class DelegateCpuBackendProvider implements BackendProvider {
    public static final String NAME = "cpu-delegate";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "tests only: every primitive delegated to the CPU backend, through tensors of its own";
    }

    @Override
    public Backend create() {
        return DelegatingBackend.wrap(NAME, Backends.load("cpu"));
    }
}
