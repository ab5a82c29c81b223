package org.inceptionj.inception.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Backends;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.FloatRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/** Global-norm clipping on random gradients: the result has norm min(‖g‖, c). */
class GradientClippingPropertiesTest {
    static Backend backend;

    @BeforeContainer
    static void start() {
        backend = Backends.load();
    }

    @AfterContainer
    static void stop() {
        backend.close();
    }

    @Property(tries = 60)
    void afterGlobalClippingTheNormIsMinOfNormAndThreshold(
            @ForAll @Size(min = 1, max = 9) List<@FloatRange(min = -5f, max = 5f) Float> values) {
        try (TensorScope s = TensorScope.open()) {
            float[] v = new float[values.size()];
            double sq = 0;
            for (int i = 0; i < v.length; i++) {
                v[i] = values.get(i);
                sq += v[i] * (double) v[i];
            }
            Tensor g = Ops.fromArray(backend, Shape.of(v.length), v);
            double before = GradientClipping.clipByGlobalNorm(List.of(g), 2.0);
            assertEquals(Math.sqrt(sq), before, 1e-5 * (1 + before));
            assertEquals(Math.min(before, 2.0), GradientClipping.norm(g), 1e-5 * (1 + before));
        }
    }
}
