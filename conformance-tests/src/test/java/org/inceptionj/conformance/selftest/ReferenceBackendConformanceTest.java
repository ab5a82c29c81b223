package org.inceptionj.conformance.selftest;

import org.inceptionj.conformance.BackendConformance;

/**
 * The kit against a backend that is the references rounded to float, and against a second one as
 * the oracle: every property and test must pass (no false alarms), and this is how a third-party
 * backend runs the kit, from another package.
 */
class ReferenceBackendConformanceTest extends BackendConformance {
    ReferenceBackendConformanceTest() {
        super(ReferenceBackend::new, ReferenceBackend::new);
    }
}
