package org.inceptionj.inception.distributed;

import java.lang.foreign.MemorySegment;

/**
 * The few collective operations that synchronous data-parallel training needs (the "engine" under
 * it: Open MPI here, NCCL or another later). N processes ("ranks" 0..N−1) call the same operations
 * in the same order; each call returns on a rank once that rank's part is done.
 *
 * <pre>
 *   allReduceSum(x):  x_r ← Σ_{q=0}^{N−1} x_q      on every rank r   (element-wise, floats)
 *   broadcast(b, 0):  b_r ← b_0                   on every rank r   (bytes)
 *   barrier():        returns once every rank has called it
 * </pre>
 *
 * Buffers are off-heap ({@link MemorySegment}s), so an implementation hands them to native code
 * without copying. Errors are unchecked and name the operation and the engine's error text. A rank
 * that waits longer than the implementation's bound for the others in {@link #allReduceSum} or
 * {@link #broadcast} stops its process with a message naming the call (a rank has died or hangs);
 * {@link #barrier} has no such bound: it is where ranks wait while rank 0 evaluates or saves.
 *
 * <p>{@link SingleProcess} (one rank, every operation is the identity) is the default; {@link OpenMpi}
 * is the engine for several processes or machines.
 */
public interface Collective extends AutoCloseable {

    /** This process's rank, 0 ≤ rank < size. */
    int rank();

    /** The number of ranks N. */
    int size();

    /** What the engine is, for the log: its name and version, the rank and the size. */
    String describe();

    /** Replaces the {@code floats.byteSize()/4} floats of {@code floats} by their sum over all ranks, in place. */
    void allReduceSum(MemorySegment floats);

    /** Replaces the bytes of {@code bytes} on every rank by those of rank {@code root}; every rank passes the same size. */
    void broadcast(MemorySegment bytes, int root);

    /** Waits until every rank has called it (no time bound). */
    void barrier();

    /**
     * Stops every rank of the job now with exit code {@code code} after this rank printed why: for a
     * failure on one rank that the others would otherwise wait for forever. Does not return.
     */
    void abort(int code);

    /** Ends the engine on this rank (after the last collective call). Idempotent. */
    @Override
    void close();
}
