package org.inceptionj.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The rule that picks a convolution algorithm from cuDNN's heuristic answer, for all three directions
 * (pure Java: runs without a GPU). cuDNN's values, written out because only {@code Cudnn} may name
 * JCudnn's classes: determinism 1 = deterministic, 0 = not; math 0 = default, 1 = tensor ops, 3 = FMA.
 */
class AlgorithmChoiceTest {
    static final int DET = 1, NONDET = 0, DEFAULT_MATH = 0, TENSOR_OP = 1, FMA = 3;
    static final Cudnn.WorkspaceQuery FIXED_NEEDS_64 = (algo, size) -> {
        size[0] = 64;
        return 0;
    };

    @Test
    void theFirstCandidateThatRanMeetsTheNumericsAndFitsWins() {
        List<Cudnn.Candidate> found = List.of(
                new Cudnn.Candidate(6, 0, NONDET, FMA, 0),        // fastest, but not deterministic
                new Cudnn.Candidate(5, 0, DET, TENSOR_OP, 0),     // TF32 not allowed
                new Cudnn.Candidate(4, 9, DET, FMA, 0),           // did not run
                new Cudnn.Candidate(3, 0, DET, FMA, 1 << 20),     // workspace too large
                new Cudnn.Candidate(2, 0, DET, DEFAULT_MATH, 512),
                new Cudnn.Candidate(1, 0, DET, FMA, 0));
        assertEquals(new Cudnn.Algo(2, 512), Cudnn.choose(found, 1, "ALGO_1", FIXED_NEEDS_64, 4096,
                Cudnn.Numerics.EXACT, () -> "call"));
        assertEquals(new Cudnn.Algo(6, 0), Cudnn.choose(found, 1, "ALGO_1", FIXED_NEEDS_64, 4096,
                new Cudnn.Numerics(false, false), () -> "call"), "the fastest when determinism is not asked for");
        assertEquals(new Cudnn.Algo(5, 0), Cudnn.choose(found.subList(1, 6), 1, "ALGO_1", FIXED_NEEDS_64, 4096,
                new Cudnn.Numerics(true, true), () -> "call"), "tensor-op math once TF32 is allowed");
    }

    @Test
    void withoutAnAcceptableCandidateTheDocumentedDeterministicAlgorithmIsTakenIfItFits() {
        List<Cudnn.Candidate> none = List.of(new Cudnn.Candidate(6, 0, NONDET, FMA, 0));
        assertEquals(new Cudnn.Algo(1, 64), Cudnn.choose(none, 1, "ALGO_1", FIXED_NEEDS_64, 4096,
                Cudnn.Numerics.EXACT, () -> "call"));
        GpuException e = assertThrows(GpuException.class, () -> Cudnn.choose(none, 1, "ALGO_1", FIXED_NEEDS_64, 32,
                Cudnn.Numerics.EXACT, () -> "cudnnGetConvolutionForwardAlgorithm_v7(x)"));
        assertTrue(e.getMessage().startsWith("cudnnGetConvolutionForwardAlgorithm_v7(x) failed: no algorithm"
                + " (deterministic algorithms, FP32 FMA math) with a workspace of at most 32 bytes among 1: [algo 6"
                + " (status 0, non-deterministic, math 3, 0 B)], nor ALGO_1"), e.getMessage());
        assertThrows(GpuException.class, () -> Cudnn.choose(none, 1, "ALGO_1", (algo, size) -> 3, 4096,
                Cudnn.Numerics.EXACT, () -> "call"), "the fixed algorithm does not run on these shapes");
    }
}
