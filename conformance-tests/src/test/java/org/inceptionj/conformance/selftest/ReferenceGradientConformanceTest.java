package org.inceptionj.conformance.selftest;

import org.inceptionj.conformance.GradientConformance;

/**
 * The gradient suite against the backend that is the references rounded to float (and a second
 * one as the oracle): every property and test must pass, so the suite raises no false alarms.
 */
class ReferenceGradientConformanceTest extends GradientConformance {
    ReferenceGradientConformanceTest() {
        super(ReferenceBackend::new, ReferenceBackend::new);
    }
}
