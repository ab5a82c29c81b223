package org.inceptionj.inception.data;

import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Ops;
import org.inceptionj.api.RandomStream;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;

/**
 * Batches of a {@link Dataset} (an {@link ImageFolder}, IDX or CIFAR-10 files) for training or evaluation (torchvision {@code DataLoader}
 * with a seeded sampler):
 * <ul>
 *   <li>epoch e visits the examples in the order of a Fisher–Yates permutation drawn from a
 *       {@link SplittableRandom} seeded by (seed, e) — or in dataset order when shuffling is off;</li>
 *   <li>the order is cut into batches of {@code batchSize}; the last, shorter batch is dropped
 *       when {@code dropLast} (the training default), kept otherwise;</li>
 *   <li>each batch holds N·3·S·S floats in NCHW order and N labels; example k of the batch is
 *       {@code transform.apply(image, e, index)} of the k-th index of the batch — or, when the
 *       dataset is a {@link RasterDataset} and the transform a {@link RasterTransform}, the
 *       transform of the dataset's bytes, which must be the same floats without a BufferedImage;</li>
 *   <li>a shard (rank r of R replicas, for data-parallel training) cuts the same order into global
 *       batches of R·batchSize and takes the r-th slice of batchSize of each: the R shards of an
 *       epoch are disjoint, together they are the global batches (⌊n/(R·B)⌋ of them), and rank r's
 *       batch b is exactly part r of what one process with batch R·B would see as its batch b;</li>
 *   <li>decoding and transforming run on {@code workers} daemon threads, one task per example,
 *       with at most {@code prefetch} batches computed ahead of the consumer; since every
 *       example depends only on (seed, epoch, index), batches are identical for any number of
 *       workers.</li>
 * </ul>
 * A file that cannot be decoded fails {@link Epoch#next()} with an exception naming its path;
 * with {@code skipCorrupt} it is instead left out of its batch (which becomes shorter) and
 * reported to the skip listener, in batch order. Closing an {@link Epoch} cancels its pending
 * work; closing the loader stops its threads.
 */
public final class DataLoader implements AutoCloseable {
    private static final long SHUFFLE_SALT = 0x53485546464C45L;
    private static final AtomicInteger LOADERS = new AtomicInteger();

    private final Dataset dataset;
    private final Transform transform;
    private final int imageSize;
    private final int batchSize;
    private final long seed;
    private final boolean shuffle;
    private final boolean dropLast;
    private final int workers;
    private final int rank;
    private final int ranks;
    private final int prefetch;
    private final boolean skipCorrupt;
    private final Consumer<String> onSkip;
    /** Whether examples go from the dataset's bytes straight to the transform (no BufferedImage). */
    private final boolean rasterPath;
    private final ExecutorService pool;
    private final String threadPrefix;
    private final List<Thread> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
    private Epoch current;
    private boolean closed;

    private DataLoader(Builder b) {
        this.dataset = b.dataset;
        this.transform = b.transform;
        this.imageSize = b.imageSize;
        this.batchSize = b.batchSize;
        this.seed = b.seed;
        this.shuffle = b.shuffle;
        this.dropLast = b.dropLast;
        this.workers = b.workers;
        this.rank = b.rank;
        this.ranks = b.ranks;
        this.prefetch = b.prefetch;
        this.skipCorrupt = b.skipCorrupt;
        this.onSkip = b.onSkip;
        this.rasterPath = dataset instanceof RasterDataset && transform instanceof RasterTransform;
        this.threadPrefix = "inceptionj-data-" + LOADERS.incrementAndGet() + "-";
        AtomicInteger n = new AtomicInteger();
        ThreadFactory factory = r -> {
            Thread t = new Thread(r, threadPrefix + n.incrementAndGet());
            t.setDaemon(true); // a forgotten loader must not keep the JVM alive
            threads.add(t);
            return t;
        };
        this.pool = Executors.newFixedThreadPool(workers, factory);
    }

    /**
     * A loader over {@code dataset} producing {@code imageSize}×{@code imageSize} views through
     * {@code transform} (e.g. {@link TrainAugmentation} or {@link Transform#eval}).
     */
    public static Builder builder(Dataset dataset, Transform transform, int imageSize) {
        return new Builder(dataset, transform, imageSize);
    }

    /** Options; defaults: batch 32, seed 0, shuffle, dropLast, min(4, cores) workers, prefetch 2, fail on corrupt files. */
    public static final class Builder {
        private final Dataset dataset;
        private final Transform transform;
        private final int imageSize;
        private int batchSize = 32;
        private long seed;
        private boolean shuffle = true;
        private boolean dropLast = true;
        private int workers = Math.min(4, Runtime.getRuntime().availableProcessors());
        private int prefetch = 2;
        private int rank = 0;
        private int ranks = 1;
        private boolean skipCorrupt;
        private Consumer<String> onSkip = m -> System.err.println("DataLoader: skipped " + m);

        private Builder(Dataset dataset, Transform transform, int imageSize) {
            if (dataset == null || transform == null) {
                throw new IllegalArgumentException("DataLoader: dataset and transform must not be null");
            }
            if (imageSize < 1) {
                throw new IllegalArgumentException("DataLoader: image size must be >= 1, got " + imageSize);
            }
            this.dataset = dataset;
            this.transform = transform;
            this.imageSize = imageSize;
        }

        public Builder batchSize(int batchSize) {
            if (batchSize < 1) {
                throw new IllegalArgumentException("DataLoader: batch size must be >= 1, got " + batchSize);
            }
            this.batchSize = batchSize;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Whether each epoch visits a fresh permutation (true) or the dataset order (false, for evaluation). */
        public Builder shuffle(boolean shuffle) {
            this.shuffle = shuffle;
            return this;
        }

        /** Whether the last batch is dropped when shorter than the batch size. */
        public Builder dropLast(boolean dropLast) {
            this.dropLast = dropLast;
            return this;
        }

        /** Number of decoding threads, ≥ 1. */
        public Builder workers(int workers) {
            if (workers < 1) {
                throw new IllegalArgumentException("DataLoader: workers must be >= 1, got " + workers);
            }
            this.workers = workers;
            return this;
        }

        /** Number of batches prepared ahead of the consumer, ≥ 1 (bounds memory: about (prefetch+1)·N·3·S·S floats). */
        public Builder prefetch(int prefetch) {
            if (prefetch < 1) {
                throw new IllegalArgumentException("DataLoader: prefetch must be >= 1, got " + prefetch);
            }
            this.prefetch = prefetch;
            return this;
        }

        /**
         * Leave undecodable files out of their batch instead of failing; each one is reported to
         * {@code listener} as "path: reason". Off by default.
         */
        public Builder skipCorrupt(boolean skipCorrupt, Consumer<String> listener) {
            if (skipCorrupt && listener == null) {
                throw new IllegalArgumentException("DataLoader: skipCorrupt needs a listener for the skipped files");
            }
            this.skipCorrupt = skipCorrupt;
            if (listener != null) {
                this.onSkip = listener;
            }
            return this;
        }

        /**
         * Rank {@code rank}'s shard of {@code ranks} replicas (see the class comment); (0, 1), the
         * default, is the whole data. Sharding needs dropLast, so that every rank takes as many steps.
         */
        public Builder shard(int rank, int ranks) {
            if (ranks < 1 || rank < 0 || rank >= ranks) {
                throw new IllegalArgumentException("DataLoader: shard " + rank + " of " + ranks + " is not a rank of 0.."
                        + (ranks - 1) + " (ranks >= 1)");
            }
            this.rank = rank;
            this.ranks = ranks;
            return this;
        }

        public DataLoader build() {
            if (ranks > 1 && !dropLast) {
                throw new IllegalArgumentException("DataLoader: a shard (rank " + rank + " of " + ranks
                        + ") needs dropLast, so that every rank takes the same number of batches");
            }
            if (ranks > 1 && dataset.size() < (long) ranks * batchSize) {
                throw new IllegalArgumentException("DataLoader: " + dataset.source() + " has " + dataset.size()
                        + " examples, fewer than one global batch of " + ranks + " x " + batchSize);
            }
            return new DataLoader(this);
        }
    }

    /**
     * One batch: {@code images} is N·3·S·S floats in NCHW order, {@code labels[k]} and
     * {@code indices[k]} the class and dataset index of example k.
     */
    public record Batch(int epoch, int number, int[] indices, int[] labels, float[] images, int imageSize) {
        /** Number of examples N. */
        public int size() {
            return labels.length;
        }

        /** [N, 3, S, S]. */
        public Shape shape() {
            return Shape.of(labels.length, 3, imageSize, imageSize);
        }

        /** The images as a tensor of {@code backend} ({@link Ops#fromArray}); the caller owns it. */
        public Tensor toTensor(Backend backend) {
            return Ops.fromArray(backend, shape(), images);
        }
    }

    public Dataset dataset() {
        return dataset;
    }

    public int batchSize() {
        return batchSize;
    }

    public int workers() {
        return workers;
    }

    /** Batches per epoch: ⌊n/B⌋ with dropLast, ⌈n/B⌉ without; ⌊n/(R·B)⌋ for a shard of R ranks. */
    public int batchesPerEpoch() {
        int n = dataset.size();
        return ranks > 1 ? n / (ranks * batchSize) : dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
    }

    /** The visiting order of epoch {@code epoch}: a permutation of 0..n−1 (identity without shuffle). */
    public int[] order(int epoch) {
        int n = dataset.size();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        if (shuffle) {
            SplittableRandom rng = new SplittableRandom(RandomStream.mix(RandomStream.mix(seed, SHUFFLE_SALT), epoch));
            for (int i = n - 1; i > 0; i--) { // Fisher–Yates
                int j = rng.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        return order;
    }

    /**
     * Starts epoch {@code epoch}; a previous epoch still open is closed (its pending work
     * cancelled). Close the returned epoch, or the loader, when stopping early.
     */
    public synchronized Epoch epoch(int epoch) {
        return epoch(epoch, 0);
    }

    /**
     * Epoch {@code epoch} from batch {@code fromBatch} on (the same batches as a full epoch's from
     * that point: how a resumed run continues exactly where its checkpoint was taken).
     */
    public synchronized Epoch epoch(int epoch, int fromBatch) {
        if (closed) {
            throw new IllegalStateException("DataLoader: closed");
        }
        if (fromBatch < 0 || fromBatch > batchesPerEpoch()) {
            throw new IllegalArgumentException("DataLoader: epoch " + epoch + " has " + batchesPerEpoch()
                    + " batches, cannot start at batch " + fromBatch);
        }
        if (current != null) {
            current.close();
        }
        current = new Epoch(epoch, fromBatch);
        return current;
    }

    /**
     * Cancels pending work, interrupts running decodes and waits (up to 10 s) until every worker
     * thread has ended.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (current != null) {
            current.close();
        }
        pool.shutdownNow();
        try {
            pool.awaitTermination(10, TimeUnit.SECONDS);
            // The pool reports termination as its workers leave their loop; join so that no thread outlives close().
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(10));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether every worker thread has ended (after {@link #close}). */
    public boolean isTerminated() {
        return pool.isTerminated() && threads.stream().noneMatch(Thread::isAlive);
    }

    /** The name prefix of this loader's threads (for diagnostics and tests). */
    String threadPrefix() {
        return threadPrefix;
    }

    /** The view of one example, or the reason it could not be made. */
    private record Example(float[] view, RuntimeException error) {
    }

    private final class Pending {
        final int number;
        final int[] indices;
        final List<Future<Example>> views;

        Pending(int number, int[] indices, List<Future<Example>> views) {
            this.number = number;
            this.indices = indices;
            this.views = views;
        }
    }

    /**
     * The batches of one epoch, in order, prefetched in the background. One consumer thread calls
     * {@link #next()}; {@link #close()} may come from any thread. Iterable once.
     */
    public final class Epoch implements Iterator<Batch>, Iterable<Batch>, AutoCloseable {
        private final int epoch;
        private final int[] order;
        private final int batches;
        // The consumer adds and removes; close() (possibly from another thread) cancels what is here.
        private final ConcurrentLinkedDeque<Pending> inFlight = new ConcurrentLinkedDeque<>();
        private int submitted;
        private int delivered;
        private volatile boolean open = true;

        private Epoch(int epoch, int fromBatch) {
            this.epoch = epoch;
            this.order = order(epoch);
            this.batches = batchesPerEpoch();
            this.submitted = fromBatch;
            this.delivered = fromBatch;
            while (submitted < Math.min(batches, fromBatch + prefetch)) {
                submitNext();
            }
        }

        public int number() {
            return epoch;
        }

        /** Batches in this epoch. */
        public int batches() {
            return batches;
        }

        private void submitNext() {
            int b = submitted++;
            // Part `rank` of global batch b (rank 0 of 1: batch b itself).
            int from = (b * ranks + rank) * batchSize, to = Math.min(order.length, from + batchSize);
            int[] indices = Arrays.copyOfRange(order, from, to);
            List<Future<Example>> views = new ArrayList<>(indices.length);
            try {
                for (int index : indices) {
                    views.add(pool.submit(() -> load(index)));
                }
            } catch (RejectedExecutionException e) {
                views.forEach(f -> f.cancel(true));
                throw new IllegalStateException("DataLoader: closed while epoch " + epoch + " was running", e);
            }
            inFlight.addLast(new Pending(b, indices, views));
        }

        private Example load(int index) {
            try {
                float[] v;
                if (rasterPath) {
                    RasterDataset r = (RasterDataset) dataset;
                    v = ((RasterTransform) transform).apply(r.pixels(index), r.channels(), r.height(), r.width(),
                            epoch, index);
                } else {
                    v = transform.apply(dataset.image(index), epoch, index);
                }
                int expected = 3 * imageSize * imageSize;
                if (v == null || v.length != expected) {
                    return new Example(null, new IllegalStateException("DataLoader: transform returned "
                            + (v == null ? "null" : v.length + " floats") + " for " + dataset.describe(index)
                            + ", expected 3*" + imageSize + "*" + imageSize + " = " + expected));
                }
                return new Example(v, null);
            } catch (RuntimeException e) {
                return new Example(null, e);
            }
        }

        /** Whether a batch remains and the epoch is open. Call {@link #next} from one thread only. */
        @Override
        public boolean hasNext() {
            return open && delivered < batches;
        }

        /** The next batch (blocks until it is ready); fails naming the file when an image cannot be read. */
        @Override
        public Batch next() {
            if (!hasNext()) {
                throw new NoSuchElementException("DataLoader: epoch " + epoch
                        + (open ? " has no more batches" : " is closed"));
            }
            if (submitted < batches) {
                submitNext(); // keep the workers busy while the consumer waits for this one
            }
            // Stays in inFlight while awaited, so that a concurrent close() cancels it too.
            Pending p = inFlight.peekFirst();
            if (p == null) {
                throw new IllegalStateException("DataLoader: epoch " + epoch + " was closed");
            }
            delivered++;
            int n = p.indices.length, chw = 3 * imageSize * imageSize;
            float[] images = new float[n * chw];
            int[] labels = new int[n];
            int[] kept = new int[n];
            int k = 0;
            for (int i = 0; i < n; i++) {
                int index = p.indices[i];
                Example ex = await(p.views.get(i), index);
                if (ex.error() != null) {
                    String what = dataset.describe(index) + " (example " + index + ", class "
                            + dataset.classes().get(dataset.label(index)) + "): " + ex.error().getMessage();
                    if (!skipCorrupt || !(ex.error() instanceof IllegalArgumentException)) {
                        close();
                        throw new IllegalStateException("DataLoader: cannot load " + what, ex.error());
                    }
                    onSkip.accept(what);
                    continue;
                }
                System.arraycopy(ex.view(), 0, images, k * chw, chw);
                labels[k] = dataset.label(index);
                kept[k] = index;
                k++;
            }
            inFlight.remove(p);
            if (k < n) {
                images = Arrays.copyOf(images, k * chw);
                labels = Arrays.copyOf(labels, k);
                kept = Arrays.copyOf(kept, k);
            }
            return new Batch(epoch, p.number, kept, labels, images, imageSize);
        }

        private Example await(Future<Example> f, int index) {
            try {
                return f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                close();
                throw new IllegalStateException("DataLoader: interrupted while waiting for " + dataset.describe(index), e);
            } catch (CancellationException e) {
                throw new IllegalStateException("DataLoader: epoch " + epoch + " was closed while waiting for "
                        + dataset.describe(index), e);
            } catch (ExecutionException e) {
                close();
                throw new IllegalStateException("DataLoader: loading " + dataset.describe(index) + " failed", e);
            }
        }

        /** Cancels the batches prepared ahead; further {@link #next()} calls fail. */
        @Override
        public void close() {
            open = false;
            for (Pending p : inFlight) {
                for (Future<Example> f : p.views) {
                    f.cancel(true);
                }
            }
            inFlight.clear();
        }

        @Override
        public Iterator<Batch> iterator() {
            return this;
        }
    }
}
