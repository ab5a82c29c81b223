package org.inceptionj.conformance.selftest;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Consumer;

import org.inceptionj.api.BinaryOp;
import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.ReduceOp;
import org.inceptionj.api.Shape;
import org.inceptionj.api.UnaryOp;
import org.inceptionj.conformance.BackendConformance;
import org.inceptionj.conformance.Cases;
import org.inceptionj.conformance.Values;
import org.junit.jupiter.api.Test;

/**
 * Every property of the kit can fail: for each deliberate {@link ReferenceBackend.Bug}, one case
 * passes on the correct backend and fails, with a message naming the op, on the buggy one.
 */
class KitCatchesBugsTest {

    /** The suite bound to a backend with the given bugs (an inner class, so no engine runs it by itself). */
    class Suite extends BackendConformance {
        Suite(ReferenceBackend.Bug... bugs) {
            super(() -> new ReferenceBackend(bugs));
        }
    }

    /** The property passes on the correct backend and fails on the buggy one with a message naming {@code op}. */
    private void caught(ReferenceBackend.Bug bug, String op, Consumer<BackendConformance> property) {
        Suite clean = new Suite();
        try {
            property.accept(clean);
        } finally {
            clean.closeBackends();
        }
        Suite buggy = new Suite(bug);
        try {
            AssertionError e = assertThrows(AssertionError.class, () -> property.accept(buggy), bug + " went unnoticed");
            assertTrue(e.getMessage().contains(op), () -> "message should name " + op + ": " + e.getMessage());
        } finally {
            buggy.closeBackends();
        }
    }

    private static final Values.Kind UNIT = Values.Kind.UNIT;

    @Test
    void asymmetricConvPadding() {
        caught(ReferenceBackend.Bug.CONV_SWAPS_PADDING, "conv2d", s -> s.conv2dMatchesReference(new Cases.Conv2d(
                Shape.of(1, 2, 7, 7), Shape.of(3, 2, 3, 3), true, new Conv2dSpec(2, 2, 0, 0, 1, 1, 1, 1), UNIT, 5)));
    }

    @Test
    void convAccumulatingIntoItsOutput() {
        caught(ReferenceBackend.Bug.CONV_ACCUMULATES, "conv2d", s -> s.conv2dMatchesReference(new Cases.Conv2d(
                Shape.of(1, 2, 5, 5), Shape.of(3, 2, 1, 7), false, Conv2dSpec.of(1, 0, 3), UNIT, 6)));
    }

    @Test
    void averagePoolCountingPadding() {
        caught(ReferenceBackend.Bug.AVGPOOL_ALWAYS_INCLUDES_PAD, "avgPool2d", s -> s.avgPool2dMatchesReference(
                new Cases.Pool(Shape.of(1, 2, 5, 5), Pool2dSpec.of(3, 1, 1).withCountIncludePad(false), UNIT, 7)));
    }

    @Test
    void maxPoolMissingTheCeilModeWindow() {
        caught(ReferenceBackend.Bug.MAXPOOL_SKIPS_LAST_COLUMN, "maxPool2d", s -> s.maxPool2dMatchesReference(
                new Cases.Pool(Shape.of(1, 2, 8, 8), new Pool2dSpec(3, 3, 2, 2, 0, 0, 0, 0, 1, 1, true, true), UNIT, 8)));
    }

    @Test
    void matmulIgnoringTranspose() {
        caught(ReferenceBackend.Bug.MATMUL_IGNORES_TRANSB, "matmul",
                s -> s.matmulMatchesReference(new Cases.MatMul(3, 5, 4, false, true, UNIT, 9)));
    }

    @Test
    void biasedRunningVariance() {
        caught(ReferenceBackend.Bug.BN_BIASED_RUNNING_VAR, "batchNormTraining",
                s -> s.batchNormTrainingMatchesReference(new Cases.BatchNorm(Shape.of(2, 3), 1e-3f, 0.5f, 10)));
    }

    @Test
    void softmaxWithoutTheMax() {
        caught(ReferenceBackend.Bug.SOFTMAX_UNSTABLE, "softmax", s -> s.softmaxMatchesReference(
                new Cases.Softmax(Shape.of(3, 17), 1, false, Values.Kind.WIDE, 11)));
    }

    @Test
    void binaryBroadcastAlongTheLastAxis() {
        caught(ReferenceBackend.Bug.BINARY_BROADCAST_LAST_AXIS, "add", s -> s.binaryMatchesReference(
                new Cases.Binary(BinaryOp.ADD, Shape.of(3, 8), Shape.of(3, 1), UNIT, 12)));
    }

    @Test
    void meanDividingByTheWrongCount() {
        caught(ReferenceBackend.Bug.REDUCE_MEAN_WRONG_COUNT, "reduceMean", s -> s.reduceMatchesReference(
                new Cases.Reduce(ReduceOp.MEAN, Shape.of(4, 8), java.util.List.of(1), false, UNIT, 13)));
    }

    @Test
    void dropoutNotInverted() {
        caught(ReferenceBackend.Bug.DROPOUT_NOT_INVERTED, "dropout",
                s -> s.dropoutMatchesReference(new Cases.Dropout(Shape.of(4, 9), 0.5f, UNIT, 14)));
    }

    @Test
    void sliceIgnoringItsStart() {
        caught(ReferenceBackend.Bug.SLICE_IGNORES_START, "slice",
                s -> s.sliceMatchesReference(new Cases.Slice(Shape.of(3, 9), 1, 2, 4, UNIT, 15)));
    }

    @Test
    void bytesLeakedPastTheScope() {
        caught(ReferenceBackend.Bug.LEAKS_BYTES, "relu", s -> s.unaryMatchesReference(
                new Cases.Unary(UnaryOp.RELU, Shape.of(4, 9), UNIT, 16)));
    }

    @Test
    void inaccurateExp() {
        caught(ReferenceBackend.Bug.EXP_INACCURATE, "exp", s -> s.unaryMatchesReference(
                new Cases.Unary(UnaryOp.EXP, Shape.of(17), UNIT, 17)));
    }

    @Test
    void rmsPropWithEpsilonOutsideTheRoot() {
        caught(ReferenceBackend.Bug.RMSPROP_EPSILON_OUTSIDE_ROOT, "rmsPropUpdate", s -> s.rmsPropUpdateMatchesReference(
                new Cases.RmsPropUpdate(List.of(Shape.of(17), Shape.of(2, 3)), 0.1f, 0.9f, 0.9f, 1f,
                        Cases.GradScale.ONE, UNIT, 18)));
    }

    @Test
    void momentumDroppingTheClipFactor() {
        caught(ReferenceBackend.Bug.MOMENTUM_IGNORES_SCALE, "momentumUpdate", s -> s.momentumUpdateMatchesReference(
                new Cases.MomentumUpdate(List.of(Shape.of(9), Shape.of(4)), 0.1f, 0.9f, true, Cases.GradScale.PER_TENSOR,
                        UNIT, 19)));
    }

    @Test
    void adamWithoutBiasCorrection() {
        caught(ReferenceBackend.Bug.ADAM_WITHOUT_BIAS_CORRECTION, "adamUpdate", s -> s.adamUpdateMatchesReference(
                new Cases.AdamUpdate(List.of(Shape.of(33)), 0.01f, 0.9f, 0.999f, 1e-8f, 2, Cases.GradScale.ONE, UNIT,
                        20)));
    }

    @Test
    void parameterAverageMovingOnASkippedStep() {
        caught(ReferenceBackend.Bug.EMA_IGNORES_GATE, "emaUpdate", s -> s.emaUpdateMatchesReference(
                new Cases.EmaUpdate(List.of(Shape.of(8), Shape.of(3, 5)), 0.9f, true, UNIT, 21)));
    }
}
