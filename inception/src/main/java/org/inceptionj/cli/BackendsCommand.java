package org.inceptionj.cli;

import java.util.concurrent.Callable;

import org.inceptionj.api.Backend;
import org.inceptionj.api.BackendUnavailableException;
import org.inceptionj.api.Backends;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Lists the backends on the class path, whether each can start here, and which one is configured. */
@Command(name = "backends", mixinStandardHelpOptions = true,
        description = "List the available backends and whether each can start on this machine.")
final class BackendsCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        var out = spec.commandLine().getOut();
        Backends.Choice c = Backends.configured();
        out.println("configured: " + c.name() + " (" + c.reason() + ")");
        for (String name : Backends.available()) {
            try (Backend b = Backends.load(name)) {
                out.println("  " + name + ": ready - " + b.describe());
            } catch (BackendUnavailableException e) {
                out.println("  " + name + ": unavailable - " + e.getMessage());
            }
        }
        return 0;
    }
}
