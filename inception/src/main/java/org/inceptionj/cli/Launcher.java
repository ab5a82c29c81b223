package org.inceptionj.cli;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The jar's entry point, compiled for Java 8 so that it starts on whatever {@code java} is first
 * on the PATH. InceptionJ itself needs Java 25 with the incubating Vector API module; when this
 * JVM is older, or was started without {@code --add-modules jdk.incubator.vector}, the launcher
 * finds a JDK 25 (INCEPTIONJ_JAVA_HOME, JAVA_HOME, JAVA25_HOME..., /usr/lib/jvm, SDKMAN) and runs
 * the same command there, passing on the JVM options (-D..., -Xmx...) and, when this launcher is
 * stopped by a signal, the stop (as SIGTERM, waiting for the child to save). Otherwise it says what
 * to install. A JDK 25 with the module re-launches too, once, to add the JIT option
 * {@link #STEADY_JIT} that keeps training at a steady speed; give that option yourself (or any
 * {@code -XX:Tier3Delay...}) to run in the first JVM.
 */
public final class Launcher {
    static final int REQUIRED = 25;
    static final String VECTOR = "jdk.incubator.vector";

    /**
     * Never compile a method with the JIT's limited profile (tier 2) first. With the default policy a
     * method that becomes hot while the C2 queue is long (it is, on two cores, while a training run
     * warms up) is compiled by C1 without type profiles, and C2 may then compile it from that
     * profile-less state: the loop-carried vectors of a kernel lose their exact type, every Vector
     * API call in the loop falls back to its allocating Java implementation, and that code stays
     * for the life of the JVM. Measured on the weight-gradient kernel at the default run's
     * configuration: 4 of 7 JVM starts trained at about a third of the speed (about 4 GB allocated
     * per step instead of 0.1), none of 8 with this option. Full profiling from the start costs only
     * a slightly slower warm-up.
     */
    static final String STEADY_JIT = "-XX:Tier3DelayOn=100000";

    private Launcher() {
    }

    public static void main(String[] args) throws Exception {
        int feature = feature(System.getProperty("java.specification.version"));
        List<String> given = ManagementFactory.getRuntimeMXBean().getInputArguments();
        // A suitable JVM runs the command itself when it already has the JIT option (or was given a
        // profiling agent, which a re-launch would leave behind); otherwise it re-launches with it.
        if (feature >= REQUIRED && vectorModuleLoaded()
                && (mentions(given, "Tier3Delay") || mentions(given, "-agentlib") || mentions(given, "-agentpath")
                || mentions(given, "-javaagent"))) {
            Method main = Class.forName("org.inceptionj.cli.Main").getMethod("main", String[].class);
            main.invoke(null, (Object) args);
            return;
        }
        String java = feature >= REQUIRED ? javaOf(System.getProperty("java.home")) : findJava();
        if (java == null) {
            System.err.println("InceptionJ needs Java " + REQUIRED + " or newer; this is Java "
                    + System.getProperty("java.version") + " (" + System.getProperty("java.home") + ").");
            System.err.println("Install a JDK " + REQUIRED + " (for example Eclipse Temurin " + REQUIRED
                    + ") and run this jar with its java, or set INCEPTIONJ_JAVA_HOME to it.");
            System.exit(2);
        }
        List<String> cmd = command(java, given, System.getProperty("java.class.path"), args);
        final Process child = new ProcessBuilder(cmd).inheritIO().start();
        // A signal that stops this launcher (SIGTERM from kill, a service manager, docker stop) is passed
        // on to the JVM doing the work, and the launcher waits for it: left alone, that JVM would train on
        // without anyone waiting for it, or be cut off without saving. Ctrl-C reaches both from the terminal.
        Thread passOn = new Thread(new Runnable() {
            @Override
            public void run() {
                child.destroy(); // SIGTERM: the child's own shutdown hook saves and exports
                try {
                    child.waitFor();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }, "inceptionj-launcher-stop");
        Runtime.getRuntime().addShutdownHook(passOn);
        int code = child.waitFor();
        try {
            Runtime.getRuntime().removeShutdownHook(passOn);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running and waits for the child, which has just ended
        }
        System.exit(code);
    }

    /** The child JVM's command: the module, the JIT option unless given, the given options, then Main. */
    static List<String> command(String java, List<String> given, String classPath, String[] args) {
        List<String> cmd = new ArrayList<String>();
        cmd.add(java);
        cmd.add("--add-modules");
        cmd.add(VECTOR);
        cmd.add("--enable-native-access=ALL-UNNAMED"); // what the jar's manifest grants when run with -jar
        if (!mentions(given, "Tier3Delay")) {
            cmd.add(STEADY_JIT);
        }
        for (String a : given) {
            if (!a.startsWith("--add-modules") && !a.equals(VECTOR) && !a.startsWith("--enable-native-access")
                    && !a.startsWith("-agentlib")
                    && !a.startsWith("-javaagent")) {
                cmd.add(a);
            }
        }
        cmd.add("-cp");
        cmd.add(classPath);
        cmd.add("org.inceptionj.cli.Main");
        cmd.addAll(Arrays.asList(args));
        return cmd;
    }

    private static boolean mentions(List<String> args, String flag) {
        for (String a : args) {
            if (a.contains(flag)) {
                return true;
            }
        }
        return false;
    }

    private static boolean vectorModuleLoaded() {
        try {
            Class.forName("jdk.incubator.vector.FloatVector");
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** "1.8" → 8, "17" → 17, "25" → 25. */
    static int feature(String spec) {
        if (spec == null) {
            return 0;
        }
        String s = spec.startsWith("1.") ? spec.substring(2) : spec;
        int dot = s.indexOf('.');
        try {
            return Integer.parseInt(dot < 0 ? s : s.substring(0, dot));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static String findJava() {
        List<String> homes = new ArrayList<String>();
        Map<String, String> env = System.getenv();
        if (env.get("INCEPTIONJ_JAVA_HOME") != null) {
            homes.add(env.get("INCEPTIONJ_JAVA_HOME"));
        }
        if (env.get("JAVA_HOME") != null) {
            homes.add(env.get("JAVA_HOME"));
        }
        for (Map.Entry<String, String> e : env.entrySet()) {
            if (e.getKey().matches("JAVA\\d+_HOME")) {
                homes.add(e.getValue());
            }
        }
        String user = System.getProperty("user.home", "");
        for (String dir : new String[] {"/usr/lib/jvm", "/usr/java", "/opt/java", user + "/.sdkman/candidates/java",
                user + "/.jdks", "/Library/Java/JavaVirtualMachines"}) {
            File[] kids = new File(dir).listFiles();
            if (kids != null) {
                Arrays.sort(kids);
                for (File k : kids) {
                    homes.add(k.getPath());
                    homes.add(k.getPath() + "/Contents/Home");
                }
            }
        }
        for (String h : homes) {
            if (releaseFeature(h) >= REQUIRED && javaOf(h) != null) {
                return javaOf(h);
            }
        }
        return null;
    }

    /** JAVA_VERSION from the JDK's {@code release} file, or 0. */
    private static int releaseFeature(String home) {
        File f = new File(home, "release");
        if (!f.isFile()) {
            return 0;
        }
        try {
            for (String line : Files.readAllLines(f.toPath(), StandardCharsets.UTF_8)) {
                if (line.startsWith("JAVA_VERSION=")) {
                    return feature(line.substring("JAVA_VERSION=".length()).replace("\"", "").trim());
                }
            }
        } catch (Exception e) {
            return 0;
        }
        return 0;
    }

    private static String javaOf(String home) {
        if (home == null) {
            return null;
        }
        File j = new File(home, "bin/java");
        File jw = new File(home, "bin/java.exe");
        return j.canExecute() ? j.getPath() : jw.canExecute() ? jw.getPath() : null;
    }
}
