package org.inceptionj.gpu;

import java.util.Optional;

import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.SkipExecutionHook;

import org.inceptionj.api.BackendUnavailableException;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Skips a whole test class, with the reason, when the {@code cuda} backend cannot start here (no
 * driver, no cuDNN, no GPU): for JUnit Jupiter ({@code @ExtendWith(CudaAvailable.class)}) and for
 * jqwik ({@code @AddLifecycleHook(CudaAvailable.class)}), since the conformance kit's classes mix
 * {@code @Test}s and {@code @Property}s. Where everything is present the class runs, and a failure
 * is a failure. The check runs once per JVM: it starts the process's {@link CudaRuntime}.
 */
public final class CudaAvailable implements ExecutionCondition, SkipExecutionHook {
    private static String reason;   // "" when CUDA is usable

    /** Why the cuda backend cannot run here, or empty when it can. */
    static synchronized Optional<String> unavailable() {
        if (reason == null) {
            try {
                CudaRuntime.get();
                reason = "";
            } catch (BackendUnavailableException | GpuException e) {
                reason = "needs an NVIDIA GPU with its driver and cuDNN: " + e.getMessage();
                System.out.println("cuda tests skipped: " + reason);
            }
        }
        return reason.isEmpty() ? Optional.empty() : Optional.of(reason);
    }

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        return unavailable().map(ConditionEvaluationResult::disabled)
                .orElseGet(() -> ConditionEvaluationResult.enabled("the cuda backend starts"));
    }

    @Override
    public SkipResult shouldBeSkipped(LifecycleContext context) {
        return unavailable().map(SkipResult::skip).orElseGet(SkipResult::doNotSkip);
    }
}
