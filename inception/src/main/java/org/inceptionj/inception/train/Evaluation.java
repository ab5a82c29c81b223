package org.inceptionj.inception.train;

import java.util.function.IntConsumer;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.data.DataLoader;

/**
 * Top-1 and top-5 accuracy of a model on every batch of a loader, in evaluation mode (running BN
 * statistics, no dropout): the figures of the paper's tables, as error = 1 − accuracy. To evaluate
 * the parameter average as the paper does (§8), run it inside {@link ExponentialMovingAverage#swapIn()}.
 */
public final class Evaluation {
    private Evaluation() {
    }

    /** Counts over a dataset; accuracies are fractions in [0, 1]. */
    public record Result(long examples, long top1Correct, long top5Correct) {
        public double top1() {
            return examples == 0 ? Double.NaN : (double) top1Correct / examples;
        }

        public double top5() {
            return examples == 0 ? Double.NaN : (double) top5Correct / examples;
        }
    }

    /**
     * Runs epoch 0 of {@code loader} (use one built with {@code shuffle(false).dropLast(false)} and an
     * evaluation transform) through {@code model}; {@code afterBatch} (may be null) gets the number of
     * examples done so far, for progress.
     */
    public static Result run(InceptionV3 model, DataLoader loader, Backend backend, IntConsumer afterBatch) {
        if (model == null || loader == null || backend == null) {
            throw new IllegalArgumentException("Evaluation.run: model, loader and backend must not be null (got "
                    + (model == null ? "no model" : loader == null ? "no loader" : "no backend") + ")");
        }
        long n = 0, top1 = 0, top5 = 0;
        try (DataLoader.Epoch batches = loader.epoch(0)) {
            for (DataLoader.Batch b : batches) {
                try (TensorScope s = TensorScope.open()) {
                    Tensor x = b.toTensor(backend);
                    float[] logits = model.forward(x, InceptionV3.Mode.EVAL).logits().toArray();
                    int k = logits.length / b.size();
                    for (int i = 0; i < b.size(); i++) {
                        int rank = rankOfLabel(logits, i * k, k, b.labels()[i]);
                        top1 += rank < 1 ? 1 : 0;
                        top5 += rank < 5 ? 1 : 0;
                    }
                }
                n += b.size();
                if (afterBatch != null) {
                    afterBatch.accept((int) n);
                }
            }
        }
        return new Result(n, top1, top5);
    }

    /**
     * How many classes score strictly higher than the true one (0 = top-1). Ties count against the
     * label only when the other class comes first, as a stable sort by descending score would place it;
     * a NaN score of the label ranks last.
     */
    static int rankOfLabel(float[] logits, int offset, int k, int label) {
        float target = logits[offset + label];
        if (Float.isNaN(target)) {
            return k; // a diverged model is wrong, not right by accident of comparisons with NaN
        }
        int rank = 0;
        for (int c = 0; c < k; c++) {
            float v = logits[offset + c];
            if (v > target || (v == target && c < label)) {
                rank++;
            }
        }
        return rank;
    }
}
