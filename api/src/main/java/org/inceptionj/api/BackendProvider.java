package org.inceptionj.api;

/**
 * A factory for one backend, found with {@link java.util.ServiceLoader}: a backend jar lists its
 * provider in {@code META-INF/services/org.inceptionj.api.BackendProvider}. This is the whole
 * registration a third-party backend needs.
 */
public interface BackendProvider {
    /** The name users select it by ({@code inceptionj.backend=NAME}): lower case, no spaces. */
    String name();

    /** One line for listings: what it runs on. */
    String description();

    /**
     * Starts the backend.
     *
     * @throws BackendUnavailableException if it cannot run here; the message names the missing
     *         piece (driver, library, JVM flag) and how to supply it
     */
    Backend create();
}
