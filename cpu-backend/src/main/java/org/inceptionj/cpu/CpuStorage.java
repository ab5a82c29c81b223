package org.inceptionj.cpu;

import org.inceptionj.api.Storage;

/** A CPU tensor's memory: one float array, row-major. */
final class CpuStorage implements Storage {
    final float[] data;
    private final CpuBackend owner;

    /** zero: whether the elements must start at 0 ({@code allocate}) or may be stale ({@code empty}). */
    CpuStorage(CpuBackend owner, int size, boolean zero) {
        this.owner = owner;
        this.data = zero ? owner.cache().allocate(size) : owner.cache().allocateStale(size);
        owner.account(byteSize());
    }

    @Override
    public long byteSize() {
        return 4L * data.length;
    }

    @Override
    public void free() {
        owner.account(-byteSize());
        owner.cache().recycle(data);
    }
}
