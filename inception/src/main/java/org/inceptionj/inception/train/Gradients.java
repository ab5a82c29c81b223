package org.inceptionj.inception.train;

import java.util.Map;

import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;

/** What the optimizers share: the check of their gradients, and the gradient scale 1 when none is given. */
final class Gradients {
    private Gradients() {
    }

    /**
     * The gradients of {@code params} in parameter order, each checked: present, of its parameter's
     * shape, open and of its backend. {@code who} names the caller in messages.
     */
    static Tensor[] inParameterOrder(String who, Map<String, Tensor> params, Map<String, Tensor> grads) {
        if (grads == null) {
            throw new IllegalArgumentException(who + ": gradients must not be null");
        }
        Tensor[] out = new Tensor[params.size()];
        int i = 0;
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            String name = e.getKey();
            Tensor g = grads.get(name);
            if (g == null) {
                throw new IllegalArgumentException(who + ": no gradient for parameter '" + name + "'");
            }
            if (!g.shape().equals(e.getValue().shape())) {
                throw new IllegalArgumentException(who + ": gradient of '" + name + "' has shape " + g.shape()
                        + ", the parameter " + e.getValue().shape());
            }
            Ops.checkOpen(who + " '" + name + "'", e.getValue(), g);
            out[i++] = g;
        }
        return out;
    }

    /** {@code gradScale}, or a one-element 1 in the current scope when it is null. */
    static Tensor scaleOrOne(Tensor gradScale, Tensor anyParameter) {
        return gradScale != null ? gradScale : Ops.full(anyParameter.backend(), Shape.of(1), 1f);
    }
}
