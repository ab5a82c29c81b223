package org.inceptionj.cpu;

import org.inceptionj.api.Storage;

/** A CPU tensor's memory: one float array, row-major. */
final class CpuStorage implements Storage {
    final float[] data;
    private final CpuBackend owner;

    CpuStorage(CpuBackend owner, int size) {
        this.owner = owner;
        this.data = owner.cache().allocate(size);
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
