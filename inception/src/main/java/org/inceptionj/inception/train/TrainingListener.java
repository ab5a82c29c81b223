package org.inceptionj.inception.train;

import java.nio.file.Path;

/**
 * What a {@link Trainer} tells the outside while it runs: progress bars, logs and plots are listeners.
 * Every method is called on the training thread, between steps (the state is whole), in this order:
 * {@code onStart}, then per epoch {@code onEpochStart}, {@code onStep}…, {@code onEpochEnd},
 * {@code onEvaluation} (when the epoch is evaluated), and {@code onCheckpoint} after every save;
 * finally {@code onEnd} (also after a requested stop, not after a failure). A listener that throws
 * stops the run; the checkpoint on disk is then the last one saved.
 */
public interface TrainingListener {
    /** The run is about to take its first step. */
    default void onStart(Trainer.Run run) {
    }

    /** Epoch {@code epoch} (0-based) begins at batch {@code fromBatch} of {@code batches} (a resumed run starts mid-epoch). */
    default void onEpochStart(int epoch, int batches, int fromBatch) {
    }

    /** A step is done; {@code imagesPerSecond} counts the step alone (forward, backward, update), not data loading. */
    default void onStep(TrainStep.Result result, double imagesPerSecond) {
    }

    /** Epoch {@code epoch} is complete. */
    default void onEpochEnd(int epoch) {
    }

    /** The test set was evaluated after epoch {@code epoch}. */
    default void onEvaluation(Trainer.Evaluated evaluated) {
    }

    /** The whole training state was saved to {@code file} after step {@code steps}. */
    default void onCheckpoint(Path file, long steps) {
    }

    /** The run ended normally or by a requested stop. */
    default void onEnd(Trainer.Outcome outcome) {
    }
}
