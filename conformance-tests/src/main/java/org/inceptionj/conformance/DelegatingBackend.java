package org.inceptionj.conformance;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

import org.inceptionj.api.Backend;
import org.inceptionj.api.OptionalFeature;
import org.inceptionj.api.Storage;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;

/**
 * A backend of its own that computes nothing itself: every primitive runs on an inner backend.
 * It is what a correct "delegating" third-party backend looks like: its tensors are its own
 * ({@code new Tensor(this, shape, storage)}, the storage holding the inner backend's tensor), so
 * {@link org.inceptionj.api.Ops} dispatches to it, and it unwraps the arguments before passing them
 * on. Two uses:
 * <ul>
 *   <li>the kit's own tests: with an {@link AfterCall} that plants a bug in one primitive, the kit
 *       must fail that primitive's cases; with a call counter, every primitive must be reached;</li>
 *   <li>any suite that takes its backend from configuration: registered under a name of its own, it is
 *       "another backend" that is not the CPU's, computes what the inner one computes, and fails loudly
 *       wherever code reaches past the configured backend (a tensor of one backend given to the other).</li>
 * </ul>
 * Written as a {@link Proxy} over the {@link Backend} interface, so it forwards every primitive,
 * including ones added to the contract later, without a line per method.
 */
public final class DelegatingBackend {
    private DelegatingBackend() {
    }

    /**
     * What runs after each call that reached the inner backend: the method's name and the arguments as
     * the inner backend saw them (its own tensors); e.g. a test that adds 10⁻³ to conv2d's output.
     */
    @FunctionalInterface
    public interface AfterCall {
        void after(Backend inner, String method, Object[] innerArgs);
    }

    /** A backend named {@code name} that runs everything on {@code inner}; closing it closes inner. */
    public static Backend wrap(String name, Backend inner) {
        return wrap(name, inner, null, (b, m, a) -> { });
    }

    /**
     * As {@link #wrap(String, Backend)}, declaring {@code unsupported} as its
     * {@link Backend#unsupported()} (null: the inner backend's), and calling {@code after} after every
     * call that reached the inner backend.
     */
    public static Backend wrap(String name, Backend inner, Set<OptionalFeature> unsupported, AfterCall after) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(inner, "inner");
        Objects.requireNonNull(after, "after");
        Handler h = new Handler(name, inner, unsupported == null ? null : Set.copyOf(unsupported), after);
        Backend proxy = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, h);
        h.self = proxy;
        return proxy;
    }

    /** The inner backend's tensor behind a tensor of a delegating backend. */
    public static Tensor unwrap(Tensor t) {
        return t.storage(Wrapped.class).inner();
    }

    /** The storage of a delegating backend's tensor: the inner backend's tensor, closed with it. */
    private record Wrapped(Tensor inner) implements Storage {
        @Override
        public long byteSize() {
            return 4L * inner.size();
        }

        @Override
        public void free() {
            inner.close();
        }
    }

    private static final class Handler implements InvocationHandler {
        private final String name;
        private final Backend inner;
        private final Set<OptionalFeature> unsupported;
        private final AfterCall after;
        private Backend self;

        Handler(String name, Backend inner, Set<OptionalFeature> unsupported, AfterCall after) {
            this.name = name;
            this.inner = inner;
            this.unsupported = unsupported;
            this.after = after;
        }

        @Override
        public Object invoke(Object proxy, Method m, Object[] args) throws Throwable {
            switch (m.getName()) {
                case "name":
                    return name;
                case "describe":
                    return name + " (every primitive delegated to " + inner.describe() + ")";
                case "unsupported":
                    if (unsupported != null) {
                        return unsupported;
                    }
                    break;
                case "toString":
                    return name;
                case "hashCode":
                    return System.identityHashCode(proxy);
                case "equals":
                    return proxy == args[0];
                default:
                    break;
            }
            Object[] innerArgs = args == null ? new Object[0] : args.clone();
            for (int i = 0; i < innerArgs.length; i++) {
                innerArgs[i] = unwrapArgument(innerArgs[i]);
            }
            Object result;
            try {
                result = m.invoke(inner, innerArgs);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
            after.after(inner, m.getName(), innerArgs);
            if (result instanceof Tensor t && t.backend() == inner) {
                // Allocated by the inner backend: the wrapper, not the inner tensor, belongs to the caller's scope.
                return new Tensor(self, t.shape(), new Wrapped(TensorScope.detach(t)));
            }
            return result;
        }

        /** Tensors (alone, in arrays or lists) become the inner backend's; anything else passes as is. */
        private Object unwrapArgument(Object a) {
            if (a instanceof Tensor t) {
                return unwrapOwn(t);
            }
            if (a instanceof Tensor[] ts) {
                Tensor[] out = new Tensor[ts.length];
                for (int i = 0; i < ts.length; i++) {
                    out[i] = ts[i] == null ? null : unwrapOwn(ts[i]);
                }
                return out;
            }
            if (a instanceof List<?> list && !list.isEmpty() && list.getFirst() instanceof Tensor) {
                List<Object> out = new ArrayList<>(list.size());
                for (Object o : list) {
                    out.add(o instanceof Tensor t ? unwrapOwn(t) : o);
                }
                return out;
            }
            return a;
        }

        private Tensor unwrapOwn(Tensor t) {
            if (t.backend() != self) {
                throw new IllegalArgumentException("backend '" + name + "': tensor " + t.shape() + " belongs to backend '"
                        + t.backend().name() + "', not to this one");
            }
            return unwrap(t);
        }
    }
}
