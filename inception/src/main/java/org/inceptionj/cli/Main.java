package org.inceptionj.cli;

import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code inceptionj}: the command-line interface. Each command is its own class; this one only
 * lists them. The backend is chosen by configuration (-Dinceptionj.backend or INCEPTIONJ_BACKEND).
 */
@Command(name = "inceptionj", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Inception-v3 (Szegedy et al., 2015) on the JVM.",
                "Backend: -Dinceptionj.backend=NAME or INCEPTIONJ_BACKEND=NAME (default cpu); "
                        + "CPU threads: -Dinceptionj.cpu.threads=N; plain loops: -Dinceptionj.cpu.vector=false."},
        subcommands = {DemoCommand.class, SummaryCommand.class, ProfileCommand.class, PredictCommand.class, ForwardCommand.class,
                CompareCommand.class, TrainCommand.class, EvaluateCommand.class, ExportOnnxCommand.class,
                BackendsCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit code (for tests). */
    public static int run(String... args) {
        return new CommandLine(new Main())
                .setExecutionExceptionHandler((ex, cmd, parsed) -> {
                    // Bad input is reported as one line, not a stack trace.
                    if (ex instanceof IllegalArgumentException || ex instanceof IllegalStateException
                            || ex instanceof org.inceptionj.api.BackendUnavailableException) {
                        cmd.getErr().println("inceptionj " + cmd.getCommandName() + ": " + ex.getMessage());
                        return 2;
                    }
                    if (ex instanceof java.io.UncheckedIOException || ex instanceof java.io.IOException) {
                        Throwable io = ex instanceof java.io.UncheckedIOException u ? u.getCause() : ex;
                        cmd.getErr().println("inceptionj " + cmd.getCommandName() + ": I/O error: " + io);
                        return 2;
                    }
                    throw ex;
                })
                .execute(args);
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"inceptionj " + (v == null ? "(development build)" : v),
                    "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")"};
        }
    }
}
