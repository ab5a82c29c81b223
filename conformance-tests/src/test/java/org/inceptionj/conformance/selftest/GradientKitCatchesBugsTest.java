package org.inceptionj.conformance.selftest;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Consumer;

import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.Shape;
import org.inceptionj.conformance.Cases;
import org.inceptionj.conformance.GradientCases;
import org.inceptionj.conformance.GradientConformance;
import org.inceptionj.conformance.Values;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Every gradient property can fail: for each deliberate backward {@link ReferenceBackend.Bug}, one
 * case passes on the correct backend and fails, with a message naming the op, on the buggy one;
 * where the tape uses the primitive, the tape check and the end-to-end network check fail too.
 */
class GradientKitCatchesBugsTest {

    /** The suite bound to a backend with the given bugs (an inner class, so no engine runs it by itself). */
    class Suite extends GradientConformance {
        Suite(ReferenceBackend.Bug... bugs) {
            super(() -> new ReferenceBackend(bugs));
        }
    }

    private void caught(ReferenceBackend.Bug bug, String op, Consumer<GradientConformance> property) {
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

    /** The errors of these hand-made cases are not the suite's report. */
    @AfterEach
    void forgetErrors() {
        GradientConformance.forgetWorstErrors();
    }

    private static final Values.Kind UNIT = Values.Kind.UNIT;

    @Test
    void convBackwardIgnoringDilation() {
        caught(ReferenceBackend.Bug.CONV_BACKWARD_DATA_IGNORES_DILATION, "conv2dBackward",
                s -> s.conv2dBackwardMatchesReference(new Cases.Conv2d(Shape.of(1, 2, 9, 9), Shape.of(3, 2, 3, 3), true,
                        new Conv2dSpec(1, 1, 1, 2, 2, 1, 2, 2), UNIT, 21)));
    }

    @Test
    void batchNormBackwardWithoutTheStatistics() {
        caught(ReferenceBackend.Bug.BN_BACKWARD_WITHOUT_STATISTICS, "batchNormBackward",
                s -> s.batchNormBackwardMatchesReference(new Cases.BatchNorm(Shape.of(2, 3, 4, 4), 1e-3f, 0.1f, 22)));
    }

    @Test
    void batchNormBackwardBugReachesTheNetwork() {
        caught(ReferenceBackend.Bug.BN_BACKWARD_WITHOUT_STATISTICS, "stem",
                s -> s.stemGradientsMatchFiniteDifferences(new GradientCases.Composite("stem", 23)));
    }

    @Test
    void maxPoolBackwardGivingTiesToTheLastMaximum() {
        caught(ReferenceBackend.Bug.MAXPOOL_BACKWARD_LAST_TIE, "maxPool2dBackward",
                s -> s.maxPool2dBackwardMatchesReference(new Cases.Pool(Shape.of(1, 2, 7, 7), Pool2dSpec.of(3, 2, 1),
                        Values.Kind.INTEGERS, 24)));
    }

    @Test
    void averagePoolBackwardCountingPadding() {
        caught(ReferenceBackend.Bug.AVGPOOL_BACKWARD_ALWAYS_INCLUDES_PAD, "avgPool2dBackward",
                s -> s.avgPool2dBackwardMatchesReference(new Cases.Pool(Shape.of(1, 2, 5, 5),
                        Pool2dSpec.of(3, 1, 1).withCountIncludePad(false), UNIT, 25)));
    }

    @Test
    void softmaxBackwardAccumulatingIntoItsOutput() {
        caught(ReferenceBackend.Bug.SOFTMAX_BACKWARD_ACCUMULATES, "softmaxBackward",
                s -> s.softmaxBackwardMatchesReference(new Cases.Softmax(Shape.of(3, 9), 1, false, UNIT, 26)));
    }

    @Test
    void crossEntropyGradientNotAveraged() {
        caught(ReferenceBackend.Bug.CROSS_ENTROPY_GRADIENT_NOT_AVERAGED, "softmaxCrossEntropy",
                s -> s.crossEntropyMatchesReference(new GradientCases.CrossEntropy(4, 9, 0.1f, true, UNIT, 27)));
    }

    @Test
    void crossEntropyBugReachesTheNetwork() {
        caught(ReferenceBackend.Bug.CROSS_ENTROPY_GRADIENT_NOT_AVERAGED, "inceptionA",
                s -> s.inceptionABlockGradientsMatchFiniteDifferences(new GradientCases.Composite("inceptionA", 28)));
    }

    @Test
    void leaksAreNoticed() {
        caught(ReferenceBackend.Bug.LEAKS_BYTES, "relu",
                s -> s.reluBackwardMatchesReference(new GradientCases.Pointwise(Shape.of(3, 17), UNIT, 29)));
    }
}
