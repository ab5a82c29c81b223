package org.inceptionj.api;

import java.util.Objects;

/**
 * A float32 tensor: a {@link Shape}, the {@link Backend} that owns its memory, and that memory.
 * Nothing else: the operations are functions in {@link Ops} (and primitives of {@link Backend}),
 * not methods here.
 *
 * <p>Ownership. A tensor is created inside the innermost open {@link TensorScope} of its thread
 * (if any) and is closed when that scope closes, unless it was moved out with
 * {@link TensorScope#keep(Tensor)}. It may also be closed directly; closing twice is a no-op.
 * Using a closed tensor throws {@link IllegalStateException} naming its shape.
 */
public final class Tensor implements AutoCloseable {
    private final Backend backend;
    private final Shape shape;
    private Storage storage;
    TensorScope owner;
    private int retains;
    private boolean closeRequested;

    /**
     * Wraps storage a backend has just allocated. Backends call this; users get tensors from
     * {@link Ops} or {@link Backend#allocate(Shape)}.
     */
    public Tensor(Backend backend, Shape shape, Storage storage) {
        this.backend = Objects.requireNonNull(backend, "backend");
        this.shape = Objects.requireNonNull(shape, "shape");
        this.storage = Objects.requireNonNull(storage, "storage");
        TensorScope.adoptIntoCurrent(this);
    }

    public Shape shape() {
        return shape;
    }

    public Backend backend() {
        return backend;
    }

    /** Number of elements. */
    public int size() {
        return shape.size();
    }

    public boolean isClosed() {
        return storage == null;
    }

    /**
     * The backend's storage object, for the backend's own kernels.
     *
     * @throws IllegalStateException if the tensor is closed
     * @throws IllegalArgumentException if the storage is not of {@code type} (a tensor of another backend)
     */
    public <S extends Storage> S storage(Class<S> type) {
        Storage s = storage;
        if (s == null) {
            throw new IllegalStateException("tensor " + shape + " on backend '" + backend.name() + "' is closed");
        }
        if (!type.isInstance(s)) {
            throw new IllegalArgumentException("tensor " + shape + " belongs to backend '" + backend.name()
                    + "', its storage is " + s.getClass().getSimpleName() + ", not " + type.getSimpleName());
        }
        return type.cast(s);
    }

    /** Copies the elements into a new Java array, row-major. */
    public float[] toArray() {
        float[] out = new float[shape.size()];
        Ops.checkOpen("toArray", this);
        backend.read(this, out, 0);
        return out;
    }

    /** The single element of a tensor with one element (any rank). */
    public float item() {
        if (shape.size() != 1) {
            throw new IllegalArgumentException("item: tensor " + shape + " has " + shape.size() + " elements, not 1");
        }
        return toArray()[0];
    }

    /**
     * Keeps the memory alive past {@link #close()} until a matching {@link #release()}: how an
     * autodiff tape holds the activations its backward pass needs while the scopes that made them
     * close as usual. Returns this.
     */
    public Tensor retain() {
        if (storage == null) {
            throw new IllegalStateException("retain: tensor " + shape + " is closed");
        }
        retains++;
        return this;
    }

    /** Undoes one {@link #retain()}; frees the memory if the owner has already closed the tensor. */
    public void release() {
        if (retains == 0) {
            throw new IllegalStateException("release: tensor " + shape + " is not retained");
        }
        if (--retains == 0 && closeRequested) {
            free();
        }
    }

    /**
     * Frees the memory now, or, while it is {@linkplain #retain() retained}, as soon as the last
     * retain is released. Idempotent.
     */
    @Override
    public void close() {
        if (storage == null || closeRequested) {
            return;
        }
        if (owner != null) {
            owner.forget(this);
            owner = null;
        }
        if (retains > 0) {
            closeRequested = true;
            return;
        }
        free();
    }

    private void free() {
        Storage s = storage;
        storage = null;
        s.free();
    }

    @Override
    public String toString() {
        return "Tensor" + shape + " on " + backend.name() + (isClosed() ? " (closed)" : "");
    }
}
