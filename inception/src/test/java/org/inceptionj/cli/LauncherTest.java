package org.inceptionj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command the launcher runs its child JVM with. */
class LauncherTest {

    @Test
    void theChildGetsTheModuleTheSteadyJitOptionAndTheGivenOptions() {
        List<String> cmd = Launcher.command("/jdk/bin/java", List.of("-Xmx2g", "-Dx=1", "-javaagent:a.jar"), "app.jar",
                new String[] {"train", "--epochs", "1"}, false);
        assertEquals(List.of("/jdk/bin/java", "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                Launcher.STEADY_JIT, "-Xmx2g", "-Dx=1", "-cp", "app.jar", "org.inceptionj.cli.Main", "train", "--epochs", "1"),
                cmd);
    }

    @Test
    void aJitOptionOfTheUsersReplacesOurs() {
        List<String> cmd = Launcher.command("java", List.of("-XX:Tier3DelayOn=5"), "app.jar", new String[0], false);
        assertFalse(cmd.contains(Launcher.STEADY_JIT), cmd.toString());
        assertTrue(cmd.contains("-XX:Tier3DelayOn=5"), cmd.toString());
    }

    @Test
    void hugePagesWhereTheSystemHasThemUnlessThePagesAreChosen() {
        List<String> cmd = Launcher.command("java", List.of("-Xmx2g"), "app.jar", new String[0], true);
        assertEquals(List.of("java", "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                Launcher.STEADY_JIT, Launcher.HUGE_PAGES, "-Xmx2g", "-cp", "app.jar", "org.inceptionj.cli.Main"), cmd);
        List<String> off = Launcher.command("java", List.of("-XX:-UseTransparentHugePages"), "app.jar", new String[0],
                true);
        assertFalse(off.contains(Launcher.HUGE_PAGES), off.toString());
        assertTrue(off.contains("-XX:-UseTransparentHugePages"), off.toString());
        List<String> large = Launcher.command("java", List.of("-XX:+UseLargePages"), "app.jar", new String[0], true);
        assertFalse(large.contains(Launcher.HUGE_PAGES), large.toString());
    }

    @Test
    void theSystemOffersHugePagesInMadviseAndAlwaysModesOnly(@TempDir Path dir) throws IOException {
        Path setting = dir.resolve("enabled");
        assertFalse(Launcher.transparentHugePages(setting.toFile()), "no setting file: not Linux");
        Files.writeString(setting, "always [madvise] never\n");
        assertTrue(Launcher.transparentHugePages(setting.toFile()));
        Files.writeString(setting, "[always] madvise never\n");
        assertTrue(Launcher.transparentHugePages(setting.toFile()));
        Files.writeString(setting, "always madvise [never]\n");
        assertFalse(Launcher.transparentHugePages(setting.toFile()));
    }
}
