package org.inceptionj.api;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Scoped ownership of tensors, so that a training step's temporaries are freed deterministically:
 *
 * <pre>{@code
 * try (TensorScope step = TensorScope.open()) {
 *     Tensor h = Ops.relu(Ops.conv2d(x, w, null, Conv2dSpec.of(1, 1)));   // both owned by step
 *     result = step.keep(Ops.globalAvgPool(h));                           // moved to the outer scope
 * }                                                                       // h and the conv output are freed here
 * }</pre>
 *
 * Scopes nest per thread. A tensor created while a scope is open belongs to the innermost one;
 * with no scope open, the caller owns it and must close it. Closing a scope closes, newest
 * first, every tensor it still owns, and any inner scope that was left open.
 */
public final class TensorScope implements AutoCloseable {
    private static final ThreadLocal<TensorScope> CURRENT = new ThreadLocal<>();

    private final TensorScope parent;
    private final Thread thread;
    // Insertion-ordered identity set: tensors are freed newest first.
    private final Map<Tensor, Boolean> owned = new IdentityHashMap<>();
    private final List<Tensor> order = new ArrayList<>();
    private boolean closed;

    private TensorScope(TensorScope parent) {
        this.parent = parent;
        this.thread = Thread.currentThread();
    }

    /** Opens a scope nested in the current one (if any) of this thread. */
    public static TensorScope open() {
        TensorScope s = new TensorScope(CURRENT.get());
        CURRENT.set(s);
        return s;
    }

    /** The innermost open scope of this thread, or null. */
    public static TensorScope current() {
        return CURRENT.get();
    }

    static void adoptIntoCurrent(Tensor t) {
        TensorScope s = CURRENT.get();
        if (s != null) {
            s.adopt(t);
        }
    }

    private void adopt(Tensor t) {
        owned.put(t, Boolean.TRUE);
        order.add(t);
        t.owner = this;
    }

    void forget(Tensor t) {
        owned.remove(t);
        // 'order' is compacted lazily at close; removing here would make close quadratic.
    }

    /**
     * Moves {@code t} out of this scope: into the enclosing scope if there is one, otherwise to
     * the caller, who must close it. Returns {@code t}.
     *
     * @throws IllegalArgumentException if this scope does not own {@code t}
     */
    public Tensor keep(Tensor t) {
        if (closed) {
            throw new IllegalStateException("TensorScope.keep: scope is already closed");
        }
        if (t == null || !owned.containsKey(t)) {
            throw new IllegalArgumentException("TensorScope.keep: " + t + " is not owned by this scope");
        }
        owned.remove(t);
        t.owner = null;
        if (parent != null && !parent.closed) {
            parent.adopt(t);
        }
        return t;
    }

    /**
     * Takes {@code t} out of whichever scope owns it: the caller now owns it and must close it
     * (a model's parameters, say, which outlive every step). Returns {@code t}.
     */
    public static Tensor detach(Tensor t) {
        if (t != null && t.owner != null) {
            t.owner.forget(t);
            t.owner = null;
        }
        return t;
    }

    /** Number of live tensors this scope owns. */
    public int ownedCount() {
        return owned.size();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (Thread.currentThread() != thread) {
            throw new IllegalStateException("TensorScope.close: scope opened on thread '" + thread.getName()
                    + "' closed from '" + Thread.currentThread().getName() + "'");
        }
        // Close inner scopes left open (an exception skipped their close).
        TensorScope s = CURRENT.get();
        while (s != null && s != this) {
            TensorScope p = s.parent;
            s.close();
            s = p;
        }
        closed = true;
        RuntimeException first = null;
        for (int i = order.size() - 1; i >= 0; i--) {
            Tensor t = order.get(i);
            if (owned.containsKey(t)) {
                try {
                    t.close();
                } catch (RuntimeException e) {
                    if (first == null) {
                        first = e;
                    }
                }
            }
        }
        owned.clear();
        order.clear();
        CURRENT.set(parent);
        if (first != null) {
            throw first;
        }
    }
}
