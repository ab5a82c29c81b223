package org.inceptionj.inception.distributed;

import java.lang.foreign.MemorySegment;

/**
 * One process, one rank: the sum over ranks of x is x and rank 0's bytes are one's own, so every
 * operation leaves its buffer as it is. The default {@link Collective}: a trainer built without
 * one trains exactly as it did before distributed training existed.
 */
public final class SingleProcess implements Collective {
    public static final SingleProcess INSTANCE = new SingleProcess();

    private SingleProcess() {
    }

    @Override
    public int rank() {
        return 0;
    }

    @Override
    public int size() {
        return 1;
    }

    @Override
    public String describe() {
        return "single process";
    }

    @Override
    public void allReduceSum(MemorySegment floats) {
        if (floats == null || floats.byteSize() % Float.BYTES != 0) {
            throw new IllegalArgumentException("allReduceSum: " + (floats == null ? "null buffer"
                    : floats.byteSize() + " bytes is not a whole number of floats"));
        }
    }

    @Override
    public void broadcast(MemorySegment bytes, int root) {
        if (bytes == null || root != 0) {
            throw new IllegalArgumentException("broadcast: " + (bytes == null ? "null buffer" : "root " + root
                    + " is not a rank of a single process (only 0 is)"));
        }
    }

    @Override
    public void barrier() {
    }

    @Override
    public void abort(int code) {
        Runtime.getRuntime().halt(code);
    }

    @Override
    public void close() {
    }
}
