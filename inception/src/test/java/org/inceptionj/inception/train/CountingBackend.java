package org.inceptionj.inception.train;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Storage;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;

/**
 * A backend that counts the calls made to another one, by method name. The tensors it allocates are
 * its own (their {@link Tensor#backend()} is this wrapper, their storage the wrapped backend's), so
 * every op on them, which {@link org.inceptionj.api.Ops} dispatches on the tensor's backend, passes
 * through here. A {@link Proxy}: every method of the contract is counted, including primitives added
 * after this class was written.
 *
 * <p>Host reads are the calls to {@link Backend#read} ({@link Tensor#toArray()} and {@link Tensor#item()}
 * end there): on a GPU each is a blocking device-to-host copy.
 */
final class CountingBackend {
    /** Methods that describe the backend rather than do work, not counted. */
    private static final Set<String> NOT_COUNTED = Set.of("name", "describe", "liveBytes", "toString", "hashCode",
            "equals", "close");

    private final Map<String, Long> calls = new TreeMap<>();
    private final Backend proxy;

    CountingBackend(Backend inner) {
        proxy = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (self, method, args) -> invoke(inner, (Backend) self, method, args));
    }

    private Object invoke(Backend inner, Backend self, Method method, Object[] args) throws Throwable {
        String name = method.getName();
        if (!NOT_COUNTED.contains(name)) {
            calls.merge(name, 1L, Long::sum);
        }
        if (name.equals("close")) {
            return null; // the wrapped backend belongs to the caller
        }
        Object result;
        try {
            result = method.invoke(inner, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
        if (result instanceof Tensor theirs && theirs.backend() == inner) {
            // allocate or empty: the wrapped backend's tensor gives its storage to one of ours and is then
            // forgotten: ours is the one in the scope, and closing it frees the storage once.
            TensorScope.detach(theirs);
            return new Tensor(self, theirs.shape(), theirs.storage(Storage.class));
        }
        return result;
    }

    /** The counting backend: build models and tensors on it. */
    Backend backend() {
        return proxy;
    }

    /** Forgets the counts so far. */
    void reset() {
        calls.clear();
    }

    /** Calls since the last reset, every method but the descriptive ones. */
    long calls() {
        return calls.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Calls of one method since the last reset. */
    long calls(String method) {
        return calls.getOrDefault(method, 0L);
    }

    /** Blocking reads into host memory since the last reset. */
    long hostReads() {
        return calls("read");
    }

    /** The counts by method, for messages. */
    @Override
    public String toString() {
        return calls() + " calls " + calls;
    }
}
