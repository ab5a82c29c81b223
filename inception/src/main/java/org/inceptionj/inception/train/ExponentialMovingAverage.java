package org.inceptionj.inception.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.inception.InceptionV3;

/**
 * A running average of the parameters for evaluation (paper §8: "evaluations are performed using
 * a running average of the parameters computed over time"), with TF's
 * {@code tf.train.ExponentialMovingAverage(decay, num_updates)} semantics. Each shadow starts as a
 * copy of its variable; an update does, per element,
 *
 * <pre>
 *   d      = min(decay, (1 + n) / (10 + n))     with num_updates n (warm-up), or d = decay without
 *   shadow ← shadow − (1 − d)·(shadow − θ)
 * </pre>
 *
 * The warm-up lets the average follow the fast early changes (d = 0.1, 2/11, 1/4, ... for
 * n = 0, 1, 2, ...) until (1 + n)/(10 + n) passes {@code decay}. inception_train.py averages the
 * trainable variables <b>and</b> the batch-norm moving statistics with decay 0.9999 and
 * num_updates = global_step (spec §11.1); {@link #of(InceptionV3, float)} does the same.
 *
 * <p>Shadows are keyed by their variable's name (a state-dict of the averaged model). They are owned
 * here and freed by {@link #close()}. To evaluate with them, either {@link #copyTo} another model, or
 * {@link #swapIn()} for a scope during which the tracked variables hold the averages, restored bit
 * for bit on close.
 */
public final class ExponentialMovingAverage implements AutoCloseable {
    /** inception_train.py {@code MOVING_AVERAGE_DECAY}. */
    public static final float DEFAULT_DECAY = 0.9999f;

    private final float decay;
    private final Map<String, Tensor> variables;
    private final Map<String, Tensor> shadows = new LinkedHashMap<>();
    private Swap active;
    private boolean closed;

    /**
     * Shadows of {@code variables} (name → tensor), initialized to copies of their current values.
     *
     * @param decay in (0, 1)
     */
    public ExponentialMovingAverage(Map<String, Tensor> variables, float decay) {
        if (!(decay > 0f && decay < 1f)) {
            throw new IllegalArgumentException("ExponentialMovingAverage: decay must be in (0, 1), got " + decay);
        }
        if (variables == null || variables.isEmpty()) {
            throw new IllegalArgumentException("ExponentialMovingAverage: no variables to average");
        }
        this.decay = decay;
        this.variables = Collections.unmodifiableMap(new LinkedHashMap<>(variables));
        try {
            for (Map.Entry<String, Tensor> e : this.variables.entrySet()) {
                Ops.checkOpen("ExponentialMovingAverage: variable '" + e.getKey() + "'", e.getValue());
                shadows.put(e.getKey(), TensorScope.detach(Ops.copy(e.getValue())));
            }
        } catch (RuntimeException ex) {
            close();
            throw ex;
        }
    }

    /** inception_train.py's choice: every trainable parameter and every BN running statistic of the model. */
    public static ExponentialMovingAverage of(InceptionV3 model, float decay) {
        return new ExponentialMovingAverage(model.parameters().asMap(), decay);
    }

    public float decay() {
        return decay;
    }

    /** min(decay, (1 + n)/(10 + n)), computed in double and rounded to float as TF's float32 graph does. */
    public float effectiveDecay(long numUpdates) {
        if (numUpdates < 0) {
            throw new IllegalArgumentException("ExponentialMovingAverage: num_updates must be >= 0, got " + numUpdates);
        }
        return (float) Math.min(decay, (1.0 + numUpdates) / (10.0 + numUpdates));
    }

    /** One update with the warm-up decay for {@code numUpdates} (TF passes global_step). Mutates the shadows. */
    public void update(long numUpdates) {
        checkOpen("update");
        try (TensorScope s = TensorScope.open()) {
            update(numUpdates, Ops.zeros(shadows.values().iterator().next().backend(), Shape.of(1)));
        }
    }

    /**
     * {@link #update(long)} unless {@code gate} (one element) is NaN or ±∞, when nothing changes: the
     * optimizer step it follows was skipped on the backend ({@link Optimizer#step(Map, float, Tensor)}),
     * and the average must not move either. Nothing is read back to the host.
     */
    public void update(long numUpdates, Tensor gate) {
        apply(effectiveDecay(numUpdates), gate);
    }

    /** One update with the constant decay (TF without num_updates). Mutates the shadows. */
    public void update() {
        checkOpen("update");
        try (TensorScope s = TensorScope.open()) {
            apply(decay, Ops.zeros(shadows.values().iterator().next().backend(), Shape.of(1)));
        }
    }

    /** TF's assign_sub form, shadow −= (1 − d)·(shadow − θ), for every variable in one backend call. */
    private void apply(float d, Tensor gate) {
        checkOpen("update");
        if (active != null) {
            throw new IllegalStateException("ExponentialMovingAverage.update: the averages are swapped into the"
                    + " variables; close the swap first");
        }
        for (Map.Entry<String, Tensor> e : variables.entrySet()) {
            Ops.checkOpen("ExponentialMovingAverage.update '" + e.getKey() + "'", e.getValue());
        }
        Ops.emaUpdate(shadows.values().toArray(Tensor[]::new), variables.values().toArray(Tensor[]::new), gate, d);
    }

    /** The shadows by variable name (read-only view; owned here: do not close them). */
    public Map<String, Tensor> shadows() {
        checkOpen("shadows");
        return Collections.unmodifiableMap(shadows);
    }

    /** Copies every shadow into the same-named tensor of {@code target} (shapes must agree; all names must exist). */
    public void copyTo(Map<String, Tensor> target) {
        checkOpen("copyTo");
        for (Map.Entry<String, Tensor> e : shadows.entrySet()) {
            Tensor t = target.get(e.getKey());
            if (t == null) {
                throw new IllegalArgumentException("ExponentialMovingAverage.copyTo: target has no tensor '" + e.getKey() + "'");
            }
            if (!t.shape().equals(e.getValue().shape())) {
                throw new IllegalArgumentException("ExponentialMovingAverage.copyTo: '" + e.getKey() + "' is "
                        + t.shape() + " in the target, " + e.getValue().shape() + " here");
            }
        }
        for (Map.Entry<String, Tensor> e : shadows.entrySet()) {
            Tensor t = target.get(e.getKey());
            t.backend().copy(t, e.getValue());
        }
    }

    /** Copies the averages into another model built with the same config (an evaluation copy). */
    public void copyTo(InceptionV3 other) {
        copyTo(other.parameters().asMap());
    }

    /** Whether {@link #swapIn()} is in effect (the model holds the averages). */
    public boolean isSwappedIn() {
        return active != null;
    }

    /**
     * Puts the averages into the tracked variables until the returned scope closes, which puts the
     * trained values back exactly. Holds one backup copy of every variable meanwhile. One swap at a
     * time; no {@link #update} while swapped.
     */
    public Swap swapIn() {
        checkOpen("swapIn");
        if (active != null) {
            throw new IllegalStateException("ExponentialMovingAverage.swapIn: already swapped in");
        }
        List<Tensor> backups = new ArrayList<>();
        try {
            for (Map.Entry<String, Tensor> e : shadows.entrySet()) {
                Tensor v = variables.get(e.getKey());
                backups.add(TensorScope.detach(Ops.copy(v)));
                v.backend().copy(v, e.getValue());
            }
        } catch (RuntimeException ex) {
            restore(backups);
            throw ex;
        }
        active = new Swap(backups);
        return active;
    }

    private void restore(List<Tensor> backups) {
        int i = 0;
        for (Tensor v : variables.values()) {
            if (i == backups.size()) {
                break;
            }
            Tensor bk = backups.get(i++);
            v.backend().copy(v, bk);
            bk.close();
        }
    }

    /** The scope of {@link #swapIn()}: closing it restores the trained values and frees the backups. */
    public final class Swap implements AutoCloseable {
        private List<Tensor> backups;

        private Swap(List<Tensor> backups) {
            this.backups = backups;
        }

        @Override
        public void close() {
            if (backups == null) {
                return;
            }
            restore(backups);
            backups = null;
            active = null;
        }
    }

    private void checkOpen(String what) {
        if (closed) {
            throw new IllegalStateException("ExponentialMovingAverage." + what + ": closed");
        }
    }

    /** Restores a swap still open, then frees the shadows. Idempotent. */
    @Override
    public void close() {
        if (active != null) {
            active.close();
        }
        closed = true;
        for (Tensor t : shadows.values()) {
            t.close();
        }
        shadows.clear();
    }
}
