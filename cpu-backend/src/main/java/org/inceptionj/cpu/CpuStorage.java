package org.inceptionj.cpu;

import org.inceptionj.api.Storage;

/** A CPU tensor's memory: one float array, row-major. */
final class CpuStorage implements Storage {
    /** The values, NCHW; null while a producer's channel-blocked values stand in for it (see {@link #writeBlocked}). */
    private float[] data;
    private final int size;
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
    /**
     * For a convolution's weights in the inference forward: the weights the next convolution read last time, and
     * these weights as packed ({@link ReadAhead}).
     */
    CpuStorage nextWeights;
    ReadAhead.Target readAheadTarget;

    /** zero: whether the elements must start at 0 ({@code allocate}) or may be stale ({@code empty}). */
    CpuStorage(CpuBackend owner, int size, boolean zero) {
        this.owner = owner;
        this.size = size;
        this.data = zero ? owner.cache().allocate(size) : owner.cache().allocateStale(size);
        owner.account(byteSize());
    }

    @Override
    public long byteSize() {
        return 4L * size;
    }

    CpuBackend owner() {
        return owner;
    }

    /** The values, NCHW, written from the channel-blocked ones first if a producer left them so. */
    synchronized float[] array() {
        materialize();
        return data;
    }

    /**
     * This storage, a convolution's weights, packed for {@link Conv2dBlocked}: packed again only when
     * data may have changed since the last packing (any {@link CpuBackend#data} since), so inference
     * packs each layer's weights once, and a training step once per weight update. Read here without
     * {@link CpuBackend#data}, which would count as a change. Kept until the storage is freed.
     */
    synchronized float[] blockedWeights(Conv2d.Geometry g) {
        materialize();
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
        materialize();
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

    // ---------------------------------------------------------------- channel-blocked activations

    /**
     * While dataStale: the values as [N][ceil(C/L)][P][L] ({@link BlockedActivations}) for activationBatch,
     * activationChannels and activationPlane, written by a producer in place of data (then null). The first
     * access to data writes them into it and lets them go, so a tensor holds one array at a time.
     */
    private float[] activation;
    private int activationBatch, activationChannels, activationPlane;
    private boolean dataStale;

    /** Writes the channel-blocked values into data and lets them go, if a producer left them; every access to data comes here first. */
    synchronized void materialize() {
        if (dataStale) {
            data = owner.cache().allocateStale(size);
            owner.account(byteSize());
            BlockedActivations.unblock(owner, activation, data, activationBatch, activationChannels, activationPlane);
            dropActivation();
        }
    }

    /** The values channel-blocked for this batch, channels and plane, if a producer wrote them so and nothing has read data since; else null. */
    synchronized float[] blockedView(int batch, int channels, int plane) {
        boolean current = dataStale && activationBatch == batch && activationChannels == channels
                && activationPlane == plane;
        return current ? activation : null;
    }

    /**
     * An array for a producer to write every value into, channel-blocked, in place of data, which goes back to
     * the cache (first, so that the cache can hand it back as this array) until the next {@link CpuBackend#data}
     * or {@link CpuBackend#read} writes the values into a new one. Counts as a change of data.
     */
    synchronized float[] writeBlocked(int batch, int channels, int plane) {
        int length = BlockedActivations.length(batch, channels, plane);
        if (data != null) {
            owner.account(-byteSize());
            owner.cache().recycle(data);
            data = null;
        }
        if (activation == null || activation.length != length) {
            dropActivation();
            activation = owner.cache().allocateStale(length);
            owner.account(4L * length);
        }
        version++;
        activationBatch = batch;
        activationChannels = channels;
        activationPlane = plane;
        dataStale = true;
        return activation;
    }

    private void dropActivation() {
        if (activation != null) {
            owner.account(-4L * activation.length);
            owner.cache().recycle(activation);
            activation = null;
        }
        dataStale = false;
    }

    @Override
    public void free() {
        winograd = null;
        blocked = null;
        nextWeights = null;
        readAheadTarget = null;
        synchronized (this) {
            dropActivation();
            if (data != null) {
                owner.account(-byteSize());
                owner.cache().recycle(data);
                data = null;
            }
        }
    }
}
