package org.inceptionj.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * Chooses a backend by configuration, never by code and never silently:
 * <ol>
 *   <li>the system property {@value #PROPERTY} ({@code -Dinceptionj.backend=cuda}), else</li>
 *   <li>the environment variable {@value #ENV}, else</li>
 *   <li>{@value #DEFAULT}.</li>
 * </ol>
 * Backends are discovered with {@link ServiceLoader} ({@link BackendProvider}). The choice and
 * its reason are logged. An unknown name, or a backend that cannot start, throws
 * {@link BackendUnavailableException} naming the available backends and the missing piece;
 * there is no fallback to another backend.
 */
public final class Backends {
    public static final String PROPERTY = "inceptionj.backend";
    public static final String ENV = "INCEPTIONJ_BACKEND";
    public static final String DEFAULT = "cpu";

    private static final System.Logger LOG = System.getLogger("org.inceptionj.backend");

    private Backends() {
    }

    /** The configured name and why it was chosen. */
    public record Choice(String name, String reason) {
    }

    /** Reads the configuration: property, then environment, then the default. */
    public static Choice configured() {
        return configured(System.getProperty(PROPERTY), System.getenv(ENV));
    }

    static Choice configured(String property, String env) {
        if (property != null && !property.isBlank()) {
            return new Choice(property.trim(), "system property " + PROPERTY + "=" + property.trim());
        }
        if (env != null && !env.isBlank()) {
            return new Choice(env.trim(), "environment variable " + ENV + "=" + env.trim());
        }
        return new Choice(DEFAULT, "default (neither -D" + PROPERTY + " nor " + ENV + " is set)");
    }

    /** Starts the configured backend. The caller closes it. */
    public static Backend load() {
        Choice c = configured();
        return load(c.name(), c.reason());
    }

    /** Starts the backend called {@code name}. The caller closes it. */
    public static Backend load(String name) {
        return load(name, "requested by name");
    }

    private static Backend load(String name, String reason) {
        Map<String, BackendProvider> providers = providers();
        BackendProvider p = providers.get(name == null ? "" : name.trim().toLowerCase());
        if (p == null) {
            throw new BackendUnavailableException("unknown backend '" + name + "' (" + reason + "); available: "
                    + describe(providers) + ". Put the backend's jar on the class path or choose one of these with -D"
                    + PROPERTY + "=NAME or " + ENV + "=NAME");
        }
        Backend b;
        try {
            b = p.create();
        } catch (BackendUnavailableException e) {
            throw new BackendUnavailableException("backend '" + p.name() + "' (" + reason + ") cannot start: "
                    + e.getMessage() + ". Available backends: " + describe(providers)
                    + ". No other backend is used in its place.", e);
        }
        LOG.log(System.Logger.Level.INFO, "InceptionJ backend ''{0}'' selected ({1}): {2}", p.name(), reason,
                b.describe());
        return b;
    }

    /** The names of every backend found on the class path, sorted. */
    public static List<String> available() {
        return new ArrayList<>(providers().keySet());
    }

    private static Map<String, BackendProvider> providers() {
        Map<String, BackendProvider> m = new TreeMap<>();
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class, Backends.class.getClassLoader())) {
            BackendProvider old = m.putIfAbsent(p.name(), p);
            if (old != null && old.getClass() != p.getClass()) {
                throw new BackendUnavailableException("two backends are named '" + p.name() + "': "
                        + old.getClass().getName() + " and " + p.getClass().getName());
            }
        }
        return m;
    }

    private static String describe(Map<String, BackendProvider> providers) {
        if (providers.isEmpty()) {
            return "none (no BackendProvider on the class path)";
        }
        StringBuilder b = new StringBuilder();
        for (BackendProvider p : providers.values()) {
            b.append(b.isEmpty() ? "" : ", ").append(p.name()).append(" (").append(p.description()).append(')');
        }
        return b.toString();
    }
}
