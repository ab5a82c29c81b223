package org.inceptionj.inception;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;

/**
 * A model's named tensors in creation order, with torchvision's state-dict names
 * ({@code Mixed_5b.branch1x1.conv.weight}, {@code ...bn.running_mean}, {@code fc.bias}). The
 * model owns them: {@link #close()} frees them all. Initial values are seeded, so two models
 * built with the same seed are identical on any backend.
 */
public final class Parameters implements AutoCloseable {
    private final Backend backend;
    private final long seed;
    private final InceptionV3.Init init;
    private final Map<String, Tensor> byName = new LinkedHashMap<>();

    public Parameters(Backend backend, long seed) {
        this(backend, seed, InceptionV3.Init.TORCHVISION);
    }

    /** Parameters drawn with {@code init}'s rule ({@link InceptionV3.Init}). */
    public Parameters(Backend backend, long seed, InceptionV3.Init init) {
        if (init == null) {
            throw new IllegalArgumentException("Parameters: init is null (TORCHVISION or HE)");
        }
        this.backend = backend;
        this.seed = seed;
        this.init = init;
    }

    public Backend backend() {
        return backend;
    }

    /**
     * A new parameter drawn from N(0, stddev²): torchvision's Inception-v3 initialization
     * {@code nn.init.trunc_normal_(w, mean=0.0, std=stddev, a=-2, b=2)}, whose bounds ±2 are
     * absolute, i.e. at least 20σ out for the stddevs used here (0.1, 0.01, 0.001), so no draw is
     * ever cut. The per-tensor seed is derived from the model seed and the creation index.
     */
    Tensor normal(String name, Shape shape, float stddev) {
        float std = init == InceptionV3.Init.TORCHVISION ? stddev : heStd(shape);
        return add(name, Ops.normal(backend, shape, seed * 1_000_003L + byName.size(), 0f, std));
    }

    /**
     * He et al. (2015) for a weight of {@code shape}: √(2 / fan-in) for a convolution [Cout, Cin, kh, kw]
     * (fan-in Cin·kh·kw; the gain 2 of a ReLU), √(1 / fan-in) for the classifier [K, C], which no ReLU follows.
     */
    static float heStd(Shape shape) {
        int fanIn = 1;
        for (int d = 1; d < shape.rank(); d++) {
            fanIn *= shape.dim(d);
        }
        return (float) Math.sqrt((shape.rank() == 4 ? 2.0 : 1.0) / fanIn);
    }

    /** A new parameter filled with {@code value}. */
    Tensor constant(String name, Shape shape, float value) {
        return add(name, Ops.full(backend, shape, value));
    }

    private Tensor add(String name, Tensor t) {
        if (byName.containsKey(name)) {
            t.close();
            throw new IllegalArgumentException("parameter '" + name + "' is defined twice");
        }
        // Parameters belong to the model alone, whatever TensorScope is open while it is built.
        TensorScope.detach(t);
        byName.put(name, t);
        return t;
    }

    /** Every parameter by name, in creation order (read-only view). */
    public Map<String, Tensor> asMap() {
        return Collections.unmodifiableMap(byName);
    }

    /** The trainable parameters by name (everything but the BN running statistics), in order. */
    public Map<String, Tensor> trainable() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (var e : byName.entrySet()) {
            if (!isRunningStatistic(e.getKey())) {
                m.put(e.getKey(), e.getValue());
            }
        }
        return Collections.unmodifiableMap(m);
    }

    /** Total number of scalar values. */
    public long count() {
        long n = 0;
        for (Tensor t : byName.values()) {
            n += t.size();
        }
        return n;
    }

    /**
     * Number of trainable values: everything but the batch-norm running statistics, which is what
     * PyTorch's {@code sum(p.numel() for p in model.parameters())} counts.
     */
    public long trainableCount() {
        long n = 0;
        for (var e : byName.entrySet()) {
            if (!isRunningStatistic(e.getKey())) {
                n += e.getValue().size();
            }
        }
        return n;
    }

    /** BN running mean/variance: buffers, not parameters. */
    public static boolean isRunningStatistic(String name) {
        return name.endsWith(".running_mean") || name.endsWith(".running_var");
    }

    @Override
    public void close() {
        for (Tensor t : byName.values()) {
            t.close();
        }
        byName.clear();
    }
}
