package org.inceptionj.conformance.selftest;

import java.util.function.Supplier;

import org.inceptionj.api.Backend;
import org.inceptionj.conformance.BackendConformance;
import org.inceptionj.conformance.GradientConformance;
import org.inceptionj.conformance.onnx.OnnxNodeConformance;

/**
 * The kit's three suites, as a third party subclasses them, bound to whichever backend
 * {@link #backend} makes: {@link DelegatingBackendKitTest} sets it and runs these classes through
 * the JUnit Platform launcher. Nested classes, so that Surefire does not run them by themselves.
 */
final class DelegateSuites {
    private DelegateSuites() {
    }

    /** Makes the backend under test of the next launcher run. */
    static volatile Supplier<Backend> backend;

    static final class Forward extends BackendConformance {
        Forward() {
            super(() -> backend.get());
        }
    }

    static final class Gradient extends GradientConformance {
        Gradient() {
            super(() -> backend.get());
        }
    }

    static final class Onnx extends OnnxNodeConformance {
        Onnx() {
            super(() -> backend.get());
        }
    }
}
