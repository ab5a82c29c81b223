package org.inceptionj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The command the launcher runs its child JVM with. */
class LauncherTest {

    @Test
    void theChildGetsTheModuleTheSteadyJitOptionAndTheGivenOptions() {
        List<String> cmd = Launcher.command("/jdk/bin/java", List.of("-Xmx2g", "-Dx=1", "-javaagent:a.jar"), "app.jar",
                new String[] {"train", "--epochs", "1"});
        assertEquals(List.of("/jdk/bin/java", "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                Launcher.STEADY_JIT, "-Xmx2g", "-Dx=1", "-cp", "app.jar", "org.inceptionj.cli.Main", "train", "--epochs", "1"),
                cmd);
    }

    @Test
    void aJitOptionOfTheUsersReplacesOurs() {
        List<String> cmd = Launcher.command("java", List.of("-XX:Tier3DelayOn=5"), "app.jar", new String[0]);
        assertFalse(cmd.contains(Launcher.STEADY_JIT), cmd.toString());
        assertTrue(cmd.contains("-XX:Tier3DelayOn=5"), cmd.toString());
    }
}
