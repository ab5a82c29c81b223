package org.inceptionj.inception.train;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.Map;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.inception.distributed.Collective;

/**
 * The gradient of a global batch split into M micro-batches on each of N replicas (ranks):
 *
 * <pre>
 *   ḡ = (1/(M·N)) · Σ_{r=0}^{N−1} Σ_{m=0}^{M−1} g_{r,m}        g_{r,m} = ∂L(micro-batch m of rank r)/∂θ
 * </pre>
 *
 * the gradient of the mean loss over the global batch when the micro-batches are of one size (each
 * g is the gradient of its own mean). The two mean losses (main and aux head) ride along as two
 * more floats, so one step needs exactly one all-reduce.
 *
 * <p>Layout: one flat off-heap buffer [g of parameter 0 | g of parameter 1 | … | loss | aux loss],
 * parameters in the model's order (the same on every rank). Micro-batch 0 is copied into it and
 * the others added, in order; the collective then sums over ranks, and the sum is multiplied by
 * 1/(M·N). For two micro-batches in one process this computes fl(g₀ + g₁)·½, and for two ranks of
 * one micro-batch each MPI's sum is fl(g₀ + g₁) too (float addition is commutative, and a sum of two
 * has no order to choose), so the two give the same bits: the equivalence that
 * {@code DistributedEquivalenceTest} checks. With more terms the summation order of MPI's
 * all-reduce is its own and the results agree within rounding.
 *
 * <p>Reading the gradients to the host costs one copy of the parameters per micro-batch; the
 * single-process, single-batch step does not come here ({@link TrainStep}). Owns its buffer;
 * {@link #close()} frees it.
 */
final class AveragedGradients implements AutoCloseable {
    private final Map<String, Tensor> params;
    private final Collective collective;
    private final Arena arena = Arena.ofShared();
    /** [Σ g | Σ loss | Σ aux loss]: parameters' elements, then two floats. */
    private final MemorySegment sum;
    private final long elements;
    /** One parameter's gradient on the host, read from the backend. */
    private final float[] staging;
    /** Time spent so far: in the all-reduce, and copying between the backend and the buffer. */
    private long reduceNanos, copyNanos, reductions;

    AveragedGradients(Map<String, Tensor> params, Collective collective) {
        if (params == null || params.isEmpty() || collective == null) {
            throw new IllegalArgumentException("AveragedGradients: needs parameters and a collective, got "
                    + (params == null ? "null" : params.size() + " parameters") + " and " + collective);
        }
        this.params = params;
        this.collective = collective;
        long n = 0;
        int largest = 1;
        for (Tensor p : params.values()) {
            n += p.size();
            largest = Math.max(largest, p.size());
        }
        this.elements = n;
        this.sum = arena.allocate((n + 2) * Float.BYTES, 64);
        this.staging = new float[largest];
    }

    /** Floats that one all-reduce of a step carries: the parameters' elements and the two losses. */
    long floats() {
        return elements + 2;
    }

    /**
     * Adds micro-batch {@code micro}'s gradients (by parameter name) and its mean losses to the sum;
     * micro-batch 0 starts it (copied, not added to zeros: −0 + +0 would be +0). {@code aux} is null
     * without the aux head.
     */
    void add(int micro, Map<String, Tensor> grads, Tensor loss, Tensor aux) {
        long t0 = System.nanoTime();
        long at = 0;
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            Tensor g = grads.get(e.getKey());
            int n = e.getValue().size();
            g.backend().read(g, staging, 0);
            accumulate(micro, at, staging, n);
            at += n;
        }
        float[] losses = {loss.toArray()[0], aux == null ? 0f : aux.toArray()[0]};
        accumulate(micro, at, losses, 2);
        copyNanos += System.nanoTime() - t0;
    }

    private void accumulate(int micro, long at, float[] v, int n) {
        if (micro == 0) {
            MemorySegment.copy(v, 0, sum, ValueLayout.JAVA_FLOAT, at * Float.BYTES, n);
            return;
        }
        for (int i = 0; i < n; i++) {
            long k = at + i;
            sum.setAtIndex(ValueLayout.JAVA_FLOAT, k, sum.getAtIndex(ValueLayout.JAVA_FLOAT, k) + v[i]);
        }
    }

    /** The averaged gradients (new tensors in the current scope, by parameter name) and mean losses. */
    record Averaged(Map<String, Tensor> gradients, Tensor loss, Tensor auxLoss) {
    }

    /**
     * Sums over the ranks (one all-reduce) and divides by M·N: ḡ and the mean losses, as new
     * tensors on {@code backend} in the current scope. Every rank must call it once per step.
     */
    Averaged reduce(int microBatches, Backend backend) {
        long t0 = System.nanoTime();
        collective.allReduceSum(sum);
        long t1 = System.nanoTime();
        reduceNanos += t1 - t0;
        reductions++;
        float scale = 1f / ((float) microBatches * collective.size());
        Map<String, Tensor> out = new LinkedHashMap<>();
        long at = 0;
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            Tensor p = e.getValue();
            int n = p.size();
            MemorySegment.copy(sum, ValueLayout.JAVA_FLOAT, at * Float.BYTES, staging, 0, n);
            for (int i = 0; i < n; i++) {
                staging[i] *= scale;
            }
            Tensor g = backend.allocate(p.shape());
            backend.write(g, staging, 0);
            out.put(e.getKey(), g);
            at += n;
        }
        copyNanos += System.nanoTime() - t1;
        float loss = sum.getAtIndex(ValueLayout.JAVA_FLOAT, at) * scale;
        float aux = sum.getAtIndex(ValueLayout.JAVA_FLOAT, at + 1) * scale;
        return new Averaged(out, Ops.fromArray(backend, Shape.scalar(), loss), Ops.fromArray(backend, Shape.scalar(), aux));
    }

    /** The time the averaging took so far, for the log. */
    TrainStep.AveragingTime time() {
        return new TrainStep.AveragingTime(reductions, floats(), reduceNanos / 1e9, copyNanos / 1e9);
    }

    @Override
    public void close() {
        arena.close();
    }
}
