package org.inceptionj.cpu;

import org.inceptionj.api.Storage;

/** A CPU tensor's memory: one float array, row-major. */
final class CpuStorage implements Storage {
    final float[] data;
    private final CpuBackend owner;
    /**
     * Bumped by every {@link CpuBackend#data} (any of which may be followed by a write), so that a
     * copy derived from data can tell whether it is still current.
     */
    long version;
    /** data packed by {@link Conv2dBlocked#packWeights} for blockedCout output channels, at blockedVersion. */
    private float[] blocked;
    private long blockedVersion;
    private int blockedCout;

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

    /**
     * This storage, a convolution's weights, packed for {@link Conv2dBlocked}: packed again only when
     * data may have changed since the last packing (any {@link CpuBackend#data} since), so inference
     * packs each layer's weights once, and a training step once per weight update. Read here without
     * {@link CpuBackend#data}, which would count as a change. Kept until the storage is freed.
     */
    synchronized float[] blockedWeights(Conv2d.Geometry g) {
        if (blocked == null || blockedVersion != version || blockedCout != g.cout()) {
            int length = Conv2dBlocked.packedLength(g);
            if (blocked == null || blocked.length != length) {
                blocked = new float[length];
            }
            blockedVersion = version;
            blockedCout = g.cout();
            Conv2dBlocked.packWeights(owner.parallel(), data, g, blocked);
        }
        return blocked;
    }

    /** data transformed by {@link Conv2dWinograd#transformWeights} for winogradCout output channels and winogradPlan, at winogradVersion. */
    private float[] winograd;
    private long winogradVersion;
    private int winogradCout;
    private Conv2dWinograd.Plan winogradPlan;

    /**
     * This storage, the weights of a convolution that {@link Conv2dWinograd} takes, transformed for it;
     * kept and made again as {@link #blockedWeights}.
     */
    synchronized float[] winogradWeights(Conv2d.Geometry g) {
        // The plan follows the plane's size too (F(4×4, 3×3) from 16 × 16 outputs): the same weights on a
        // smaller input take F(2×2, 3×3), and their transform is made again.
        Conv2dWinograd.Plan plan = Conv2dWinograd.Plan.of(g);
        if (winograd == null || winogradVersion != version || winogradCout != g.cout() || winogradPlan != plan) {
            int length = Conv2dWinograd.transformedLength(g);
            if (winograd == null || winograd.length != length) {
                winograd = new float[length];
            }
            Conv2dWinograd.transformWeights(owner.parallel(), data, g, false, winograd);
            winogradVersion = version;
            winogradCout = g.cout();
            winogradPlan = plan;
        }
        return winograd;
    }

    @Override
    public void free() {
        winograd = null;
        blocked = null;
        owner.account(-byteSize());
        owner.cache().recycle(data);
    }
}
