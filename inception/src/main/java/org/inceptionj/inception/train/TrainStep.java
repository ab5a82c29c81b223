package org.inceptionj.inception.train;

import java.util.Map;

import org.inceptionj.api.Ops;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.api.autograd.Tape;
import org.inceptionj.inception.InceptionV3;

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
 * <p>A step whose loss or gradient norm is not finite changes no parameter, slot or shadow (the
 * update is refused before it is applied) and throws {@link NonFiniteLossException} naming the step;
 * the BN running statistics of that forward pass may already hold the bad batch's values (they are
 * updated during the forward, as in PyTorch), which is why a run that stops there should be resumed
 * from its last checkpoint, not from the model in memory.
 *
 * <p>Memory: everything a step allocates (activations, tape, gradients) is freed before
 * {@link #run} returns; what persists is the model, the RMSProp slots (2× trainable) and the EMA
 * shadows (1× all), all allocated when this object is built. {@link #close()} frees slots and shadows,
 * never the model.
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
    private long step;
    private long examplesSeen;

    /** Allocates the optimizer slots and (if {@code config.emaDecay() > 0}) the EMA shadows for {@code model}. */
    public TrainStep(InceptionV3 model, TrainConfig config) {
        if (model == null || config == null) {
            throw new IllegalArgumentException("TrainStep: model and config must not be null");
        }
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

    /** One step on {@code images} [N,3,H,W] with integer {@code labels} (length N). */
    public Result run(Tensor images, int[] labels) {
        Ops.checkOpen("TrainStep.run", images);
        int n = images.shape().rank() == 4 ? images.shape().dim(0) : -1;
        if (labels == null || labels.length != n) {
            throw new IllegalArgumentException("TrainStep.run: images " + images.shape() + " need " + n
                    + " labels, got " + (labels == null ? "null" : labels.length));
        }
        double epoch = (double) examplesSeen / config.examplesPerEpoch();
        float lr = (float) config.learningRate().at(epoch);
        float eps = config.labelSmoothing();
        float loss;
        float auxLoss = Float.NaN;
        int correct;
        double wdLoss = weightDecay.loss();
        double gradNorm;
        try (Tape tape = Tape.recording(); TensorScope s = TensorScope.open()) {
            model.watch(tape);
            InceptionV3.Output out = model.forward(tape, images, InceptionV3.Mode.TRAIN, null);
            Tensor main = tape.crossEntropy(out.logits(), labels, eps, null);
            Tensor total = main;
            loss = main.item();
            correct = correct(out.logits().toArray(), labels);
            if (out.auxLogits() != null) {
                Tensor aux = tape.crossEntropy(out.auxLogits(), labels, eps, null);
                auxLoss = aux.item();
                total = tape.add(main, tape.affine(aux, config.auxWeight(), 0f));
            }
            if (!Float.isFinite(loss) || (out.auxLogits() != null && !Float.isFinite(auxLoss)) || !Double.isFinite(wdLoss)) {
                throw new NonFiniteLossException(step, "loss " + loss + (out.auxLogits() != null ? ", aux loss " + auxLoss : "")
                        + ", weight-decay loss " + wdLoss + " at learning rate " + lr);
            }
            tape.backward(total);
            // Gradients live on the tape until it closes; they are modified in place below.
            Map<String, Tensor> grads = tape.gradients(trainable);
            weightDecay.addGradient(grads);
            gradNorm = GradientClipping.clip(config.clipping(), grads, config.clipNorm());
            if (!Double.isFinite(gradNorm)) {
                throw new NonFiniteLossException(step, "gradient norm " + gradNorm + " (loss " + loss + ") at learning rate " + lr);
            }
            optimizer.step(grads, lr);
        }
        if (ema != null) {
            // num_updates = steps completed before this one: d = 0.1 on the first update.
            ema.update(step);
        }
        examplesSeen += n;
        double totalLoss = loss + (Float.isNaN(auxLoss) ? 0 : (double) config.auxWeight() * auxLoss) + wdLoss;
        return new Result(step++, epoch, lr, loss, auxLoss, wdLoss, totalLoss, gradNorm, n, correct);
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
            if (ema != null) {
                ema.close();
            }
        }
    }
}
