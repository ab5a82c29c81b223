package org.inceptionj.inception.train;

import java.util.Collections;
import java.util.List;
import java.util.Map;

import org.inceptionj.api.Ops;
import org.inceptionj.api.ReduceOp;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.api.autograd.Tape;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.distributed.Collective;
import org.inceptionj.inception.distributed.SingleProcess;

/**
 * One training step of the paper's recipe (§7, §8) on a batch, with the reference scripts' choices
 * where the paper is silent (spec §11.1):
 *
 * <pre>
 *   lr    = schedule(epoch),  epoch = examples seen before this step / examples per epoch
 *   L     = CE_ε(logits, y) + w_aux · CE_ε(aux logits, y)   (aux term only when the model has the head)
 *           + wd · Σ_w Σ w² / 2                            (conv and fc weights)
 *   g     = ∂L/∂θ                                          (tape backward; wd·w added in closed form)
 *   g     ← clip(g, 2.0)                                   (global or per-tensor norm)
 *   θ     ← RMSProp(θ, g, lr)  or  Momentum(θ, g, lr)       (TF1 semantics)
 *   θ_ema ← EMA(θ_ema, θ; num_updates = steps before this one)
 * </pre>
 *
 * CE_ε is label-smoothed softmax cross-entropy, uniform prior, ε = 0.1, mean over the batch. The
 * forward runs in {@link InceptionV3.Mode#TRAIN} (batch statistics, running statistics updated,
 * dropout). Mutates the model's parameters and BN statistics, the optimizer slots and the shadows.
 *
 * <p>Nothing is read back from the backend during the step: on a GPU each read would stall the
 * pipeline. The norms, the clip factors and the weight-decay loss are computed on the backend; the
 * update of all parameters is one call of the optimizer's fused primitive, the average another. The
 * step's figures (the losses, the gradient norm, the logits for the accuracy) are gathered into one
 * small tensor that is read once, when the caller asks: {@link #run} asks at once (one read per
 * step), {@link #enqueue} leaves it to the caller.
 *
 * <p>A step whose loss or gradient norm is not finite changes no parameter, slot or shadow: the clip
 * factors it hands to the optimizer are made NaN on the backend (0·x is NaN exactly when x is not
 * finite), and the fused updates then write nothing. Its result throws {@link NonFiniteLossException}
 * naming the step. The BN running statistics of that forward pass may already hold the bad batch's
 * values (they are updated during the forward, as in PyTorch), which is why a run that stops there
 * should be resumed from its last checkpoint, not from the model in memory.
 *
 * <p>Data parallelism ({@link #enqueue(List, List)}): a step may take several micro-batches, and
 * with a {@link Collective} of N ranks it runs on every rank at once, each on its own part of the
 * global batch. Then g above is the average of the micro-batches' and ranks' gradients
 * ({@link AveragedGradients}: one all-reduce per step, through the host), and everything after it
 * (weight decay, clipping by the global norm of the averaged gradient, the update, the average) is
 * the single-process step on that g: the ranks' parameters stay identical without being exchanged.
 * Batch normalization uses each micro-batch's own statistics (per replica, as in the paper's
 * training), and each rank's running statistics follow its own batches.
 *
 * <p>Memory: everything a step allocates (activations, tape, gradients) is freed before
 * {@link #run} returns (or {@link #enqueue}, but for its figures); what persists is the model, the
 * RMSProp slots (2× trainable) and the EMA shadows (1× all), all allocated when this object is
 * built. {@link #close()} frees slots and shadows, never the model.
 */
public final class TrainStep implements AutoCloseable {

    /**
     * What one step measured.
     *
     * @param step            index of this step (0 for the first)
     * @param epoch           epoch at the start of the step (what the schedule saw)
     * @param learningRate    the rate applied
     * @param loss            main-head cross-entropy
     * @param auxLoss         aux-head cross-entropy (unweighted), NaN without the aux head
     * @param weightDecayLoss wd · Σ w² / 2 at the start of the step
     * @param totalLoss       loss + w_aux·auxLoss + weightDecayLoss
     * @param gradientNorm    global ‖g‖₂ of all gradients (weight decay included) before clipping
     * @param examples        the batch size N
     * @param correct         examples of the batch whose main-head top-1 class (training mode) is the label
     */
    public record Result(long step, double epoch, float learningRate, float loss, float auxLoss,
                         double weightDecayLoss, double totalLoss, double gradientNorm, int examples, int correct) {
    }

    /** A step that would have applied a NaN or infinite loss or gradient; nothing was updated. */
    public static final class NonFiniteLossException extends IllegalStateException {
        private final long step;

        NonFiniteLossException(long step, String what) {
            super("training diverged at step " + step + ": " + what + "; nothing was updated by this step");
            this.step = step;
        }

        /** The step that was refused. */
        public long step() {
            return step;
        }
    }

    private final InceptionV3 model;
    private final TrainConfig config;
    private final Map<String, Tensor> trainable;
    private final Optimizer optimizer;
    private final WeightDecay weightDecay;
    private final ExponentialMovingAverage ema;
    private final Collective collective;
    /** The host buffer of the averaged path; made on its first use (never, for one process and one batch). */
    private AveragedGradients averaged;
    private long step;
    private long examplesSeen;

    /** Allocates the optimizer slots and (if {@code config.emaDecay() > 0}) the EMA shadows for {@code model}. */
    public TrainStep(InceptionV3 model, TrainConfig config) {
        this(model, config, SingleProcess.INSTANCE);
    }

    /**
     * A step of one replica among {@code collective.size()}: every rank builds one, with the same
     * model, config and (after a broadcast) parameters, and calls {@link #enqueue} as often.
     */
    public TrainStep(InceptionV3 model, TrainConfig config, Collective collective) {
        if (model == null || config == null || collective == null) {
            throw new IllegalArgumentException("TrainStep: model, config and collective must not be null, got "
                    + (model == null ? "no model" : config == null ? "no config" : "no collective"));
        }
        this.collective = collective;
        this.model = model;
        this.config = config;
        this.trainable = model.parameters().trainable();
        this.weightDecay = new WeightDecay(config.weightDecay(), trainable);
        this.optimizer = config.newOptimizer(trainable);
        try {
            this.ema = config.emaDecay() > 0f ? ExponentialMovingAverage.of(model, config.emaDecay()) : null;
        } catch (RuntimeException e) {
            optimizer.close();
            throw e;
        }
    }

    public TrainConfig config() {
        return config;
    }

    public Optimizer optimizer() {
        return optimizer;
    }

    /** The parameter average, or null when {@code emaDecay} is 0. */
    public ExponentialMovingAverage ema() {
        return ema;
    }

    /** Steps taken so far (TF's global_step). */
    public long steps() {
        return step;
    }

    /** Examples seen so far: the sum of the batch sizes of the steps taken (the schedule's epoch is this / examplesPerEpoch). */
    public long examplesSeen() {
        return examplesSeen;
    }

    /** The ranks this step averages its gradients over (a single process by default). */
    public Collective collective() {
        return collective;
    }

    /**
     * What averaging gradients over micro-batches and ranks cost so far.
     *
     * @param steps              steps that averaged (one all-reduce each)
     * @param floatsPerStep      floats each all-reduce carried (the parameters' gradients and two losses)
     * @param allReduceSeconds   time in the all-reduce (waiting for the slowest rank included)
     * @param hostCopySeconds    time copying gradients from the backend into the buffer and back
     */
    public record AveragingTime(long steps, long floatsPerStep, double allReduceSeconds, double hostCopySeconds) {
    }

    /** The cost of averaging so far, or null when no step averaged (one process, one micro-batch). */
    public AveragingTime averagingTime() {
        return averaged == null ? null : averaged.time();
    }

    /** The model this step trains (not owned). */
    public InceptionV3 model() {
        return model;
    }

    /**
     * Sets the counters to those of a saved run ({@link Checkpoint#load}): the next step is number
     * {@code steps}, its EMA warm-up uses num_updates = {@code steps}, its schedule sees
     * {@code examplesSeen / examplesPerEpoch}.
     */
    void restoreCounters(long steps, long examplesSeen) {
        if (steps < 0 || examplesSeen < 0) {
            throw new IllegalArgumentException("TrainStep.restoreCounters: steps and examplesSeen must be >= 0, got "
                    + steps + " and " + examplesSeen);
        }
        this.step = steps;
        this.examplesSeen = examplesSeen;
    }

    /**
     * One step on {@code images} [N,3,H,W] with integer {@code labels} (length N), and its figures:
     * {@link #enqueue} and {@link Pending#result()}, so exactly one read from the backend. A step that
     * is not finite throws {@link NonFiniteLossException} and leaves the counters as they were.
     */
    public Result run(Tensor images, int[] labels) {
        return run(Collections.singletonList(images), Collections.singletonList(labels));
    }

    /**
     * One step on the micro-batches {@code images} (each [N_m,3,H,W]) with their {@code labels},
     * whose gradients are averaged with each other and those of the other ranks: {@link #enqueue(List, List)}
     * and its result.
     */
    public Result run(List<Tensor> images, List<int[]> labels) {
        long stepBefore = step, seenBefore = examplesSeen;
        try (Pending p = enqueue(images, labels)) {
            return p.result();
        } catch (NonFiniteLossException e) {
            step = stepBefore;
            examplesSeen = seenBefore;
            throw e;
        }
    }

    /**
     * One step on {@code images} [N,3,H,W] with integer {@code labels} (length N), without reading
     * anything from the backend: its figures stay in a small tensor until {@link Pending#result()}.
     * A step whose loss or gradient norm is not finite is skipped on the backend (no parameter, slot
     * or shadow changes, see {@link Optimizer#step(Map, float, Tensor)}); only its result tells, by
     * throwing. The counters advance either way. The caller closes the returned {@link Pending}.
     */
    public Pending enqueue(Tensor images, int[] labels) {
        return enqueue(Collections.singletonList(images), Collections.singletonList(labels));
    }

    /**
     * One step on the global batch whose part on this rank is the micro-batches {@code images}
     * (each [N_m,3,H,W], with integer {@code labels} of length N_m): g is the mean of the gradients
     * of all micro-batches of all ranks (see the class comment), and the reported losses are the
     * mean over them; the accuracy figures are this rank's. One micro-batch on a single process is
     * {@link #enqueue(Tensor, int[])}'s step exactly, with nothing read from the backend; otherwise
     * the gradients go through the host, and every rank must call this once per step.
     */
    public Pending enqueue(List<Tensor> images, List<int[]> labels) {
        if (images == null || labels == null || images.isEmpty() || images.size() != labels.size()) {
            throw new IllegalArgumentException("TrainStep.run: needs as many label arrays as micro-batches (at least one), got "
                    + (images == null ? "null" : images.size()) + " micro-batches and "
                    + (labels == null ? "null" : labels.size()) + " label arrays");
        }
        int n = 0;
        for (int m = 0; m < images.size(); m++) {
            Tensor x = images.get(m);
            int[] y = labels.get(m);
            Ops.checkOpen("TrainStep.run", x);
            int nm = x.shape().rank() == 4 ? x.shape().dim(0) : -1;
            if (y == null || y.length != nm) {
                throw new IllegalArgumentException("TrainStep.run: images " + x.shape() + (images.size() > 1 ? " (micro-batch "
                        + m + ")" : "") + " need " + nm + " labels, got " + (y == null ? "null" : y.length));
            }
            n += nm;
        }
        int[] allLabels = new int[n];
        for (int m = 0, at = 0; m < labels.size(); at += labels.get(m).length, m++) {
            System.arraycopy(labels.get(m), 0, allLabels, at, labels.get(m).length);
        }
        double epoch = (double) examplesSeen / config.examplesPerEpoch();
        float lr = (float) config.learningRate().at(epoch);
        float eps = config.labelSmoothing();
        boolean hasAux = model.config().auxLogits();
        Tensor figures;
        try (TensorScope s = TensorScope.open()) {
            Tensor wdLoss = weightDecay.lossOnBackend();                       // [1], before the update moves w
            if (images.size() == 1 && collective.size() == 1) {
                // Gradients live on the tape until it closes; they are modified in place in update().
                try (Tape tape = Tape.recording()) {
                    Backward b = forwardBackward(tape, images.get(0), labels.get(0), eps);
                    figures = update(b.grads(), b.loss(), b.auxLoss(), b.logits(), wdLoss, lr);
                }
            } else {
                if (averaged == null) {
                    averaged = new AveragedGradients(trainable, collective);
                }
                float[] logits = new float[n * model.config().numClasses()];
                for (int m = 0, at = 0; m < images.size(); m++) {
                    try (Tape tape = Tape.recording(); TensorScope micro = TensorScope.open()) {
                        Backward b = forwardBackward(tape, images.get(m), labels.get(m), eps);
                        averaged.add(m, b.grads(), b.loss(), b.auxLoss());
                        b.logits().backend().read(b.logits(), logits, at);
                        at += b.logits().size();
                    }
                }
                AveragedGradients.Averaged g = averaged.reduce(images.size(), wdLoss.backend());
                Tensor logitsTensor = Ops.fromArray(wdLoss.backend(), Shape.of(n, model.config().numClasses()), logits);
                figures = update(g.gradients(), g.loss(), hasAux ? g.auxLoss() : null, logitsTensor, wdLoss, lr);
            }
            TensorScope.detach(figures);
        }
        // Every rank's part of the global batch is as large as this one (the loader shards evenly).
        examplesSeen += (long) n * collective.size();
        return new Pending(figures, step++, epoch, lr, hasAux, allLabels);
    }

    /** One micro-batch's gradients (by parameter name, living on its tape), mean losses and logits. */
    private record Backward(Map<String, Tensor> grads, Tensor loss, Tensor auxLoss, Tensor logits) {
    }

    /** Forward in training mode, the label-smoothed losses, and backward on {@code tape}. */
    private Backward forwardBackward(Tape tape, Tensor images, int[] labels, float eps) {
        model.watch(tape);
        InceptionV3.Output out = model.forward(tape, images, InceptionV3.Mode.TRAIN, null);
        Tensor main = tape.crossEntropy(out.logits(), labels, eps, null);  // []
        Tensor total = main;
        Tensor aux = null;
        if (out.auxLogits() != null) {
            aux = tape.crossEntropy(out.auxLogits(), labels, eps, null);
            total = tape.add(main, tape.affine(aux, config.auxWeight(), 0f));
        }
        tape.backward(total);
        return new Backward(tape.gradients(trainable), main, aux, out.logits());
    }

    /**
     * Weight decay, clipping, the optimizer's update and the average, from the gradients
     * {@code grads} (modified in place) of the mean losses {@code main} and {@code aux} (null
     * without the aux head); returns the step's figures [loss, aux loss, wd loss, ‖g‖², logits…].
     */
    private Tensor update(Map<String, Tensor> grads, Tensor main, Tensor aux, Tensor logits, Tensor wdLoss, float lr) {
        weightDecay.addGradient(grads);
        Tensor squaredNorms = GradientClipping.squaredNorms(grads.values());  // [T]
        Tensor normSquared = Ops.reduce(ReduceOp.SUM, squaredNorms, true, 0);  // [1] ‖g‖² before clipping
        // The step's scalars [loss, aux loss, wd loss, ‖g‖²], and the logits for the accuracy after them:
        // one tensor, read once, when the caller asks.
        Shape one = Shape.of(1);
        Tensor scalars = Ops.concat(0, Ops.reshape(main, one),
                aux != null ? Ops.reshape(aux, one) : Ops.zeros(wdLoss.backend(), one), wdLoss, normSquared);
        Tensor figures = Ops.concat(0, scalars, Ops.reshape(logits, Shape.of(logits.size())));
        // 0·x is 0 for a finite x and NaN for ±∞ and NaN: the gate is 0, or NaN when a scalar is not finite.
        Tensor gate = Ops.reduce(ReduceOp.SUM, Ops.affine(scalars, 0f, 0f), true, 0);
        // The clip factors, made NaN by the gate: the optimizer and the average then skip the step.
        Tensor gradScale = Ops.add(GradientClipping.factors(config.clipping(), squaredNorms, config.clipNorm()), gate);
        optimizer.step(grads, lr, gradScale);
        if (ema != null) {
            // num_updates = steps completed before this one: d = 0.1 on the first update.
            ema.update(step, gate);
        }
        return figures;
    }

    /**
     * A step that has run on the backend and whose figures have not been read yet: one small tensor
     * (four scalars and the logits). Owned by the caller; {@link #close()} frees it.
     */
    public final class Pending implements AutoCloseable {
        private final Tensor figures;
        private final long stepIndex;
        private final double epoch;
        private final float learningRate;
        private final boolean hasAux;
        private final int[] labels;
        private Result result;
        private NonFiniteLossException failure;

        private Pending(Tensor figures, long stepIndex, double epoch, float learningRate, boolean hasAux, int[] labels) {
            this.figures = figures;
            this.stepIndex = stepIndex;
            this.epoch = epoch;
            this.learningRate = learningRate;
            this.hasAux = hasAux;
            this.labels = labels;
        }

        /**
         * The step's figures: reads the tensor on the first call (the one read of the step), then
         * returns the same result.
         *
         * @throws NonFiniteLossException when a loss or the gradient norm was not finite (the step
         *                                changed no parameter, slot or shadow)
         */
        public Result result() {
            if (result == null && failure == null) {
                read();
            }
            if (failure != null) {
                throw failure;
            }
            return result;
        }

        private void read() {
            float[] v = figures.toArray();
            float loss = v[0], auxLoss = hasAux ? v[1] : Float.NaN;
            double wdLoss = v[2], gradNorm = Math.sqrt(v[3]);
            if (!Float.isFinite(loss) || (hasAux && !Float.isFinite(auxLoss)) || !Double.isFinite(wdLoss)) {
                failure = new NonFiniteLossException(stepIndex, "loss " + loss + (hasAux ? ", aux loss " + auxLoss : "")
                        + ", weight-decay loss " + wdLoss + " at learning rate " + learningRate);
            } else if (!Double.isFinite(gradNorm)) {
                failure = new NonFiniteLossException(stepIndex, "gradient norm " + gradNorm + " (loss " + loss
                        + ") at learning rate " + learningRate);
            } else {
                int correct = correct(java.util.Arrays.copyOfRange(v, 4, v.length), labels);
                double totalLoss = loss + (hasAux ? (double) config.auxWeight() * auxLoss : 0) + wdLoss;
                result = new Result(stepIndex, epoch, learningRate, loss, auxLoss, wdLoss, totalLoss, gradNorm,
                        labels.length, correct);
            }
        }

        /** Frees the figures (read or not). Idempotent. */
        @Override
        public void close() {
            figures.close();
        }
    }

    /** How many rows of {@code logits} [N,K] have their largest value (first on ties) at the label. */
    static int correct(float[] logits, int[] labels) {
        int n = labels.length, k = logits.length / n, hits = 0;
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int c = 1; c < k; c++) {
                if (logits[i * k + c] > logits[i * k + best]) {
                    best = c;
                }
            }
            hits += best == labels[i] ? 1 : 0;
        }
        return hits;
    }

    /** Frees the optimizer slots and the EMA shadows (restoring the model if a swap is open); the model stays. */
    @Override
    public void close() {
        try {
            optimizer.close();
        } finally {
            try {
                if (ema != null) {
                    ema.close();
                }
            } finally {
                if (averaged != null) {
                    averaged.close();
                }
            }
        }
    }
}
