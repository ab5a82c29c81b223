package org.inceptionj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.inceptionj.inception.image.PngWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code predict} streams its files: 24 images of 2000×3000 pixels decode to 24 MB each (576 MB
 * together), and a child JVM with a 256 MB heap classifies them all. Decoding every image before
 * inferring, as predict once did, runs out of memory here.
 */
class PredictStreamingTest {
    private static final int FILES = 24;

    @TempDir
    Path dir;

    @Test
    void manyLargeImagesFitInASmallHeap() throws Exception {
        int w = 2000, h = 3000;
        byte[] raw = new byte[h * (1 + 3 * w)];
        for (int y = 0; y < h; y++) {
            raw[y * (1 + 3 * w)] = 1; // filter Sub: a constant step per pixel, a gradient after unfiltering
            for (int i = 1; i <= 3 * w; i++) {
                raw[y * (1 + 3 * w) + i] = (byte) (i % 3 + (y / 300));
            }
        }
        byte[] png = PngWriter.png(PngWriter.ihdr(w, h, 8, 2, 0), PngWriter.chunk("IDAT", PngWriter.zlib(raw)),
                PngWriter.chunk("IEND", new byte[0]));
        List<String> files = new ArrayList<>();
        for (int i = 0; i < FILES; i++) {
            files.add(Files.write(dir.resolve(String.format("photo-%02d.png", i)), png).toString());
        }
        String java = ProcessHandle.current().info().command().orElseThrow(
                () -> new IllegalStateException("cannot tell which java binary runs this test"));
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-Djava.awt.headless=true", "-XX:TieredStopAtLevel=1",
                "-Dinceptionj.cpu.vector=false", "-XX:+UseSerialGC", "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), "org.inceptionj.cli.Main",
                "predict", "--size", "75", "--width", "0.125", "--batch", "2", "--top", "1"));
        cmd.addAll(files);
        Path log = dir.resolve("child.log");
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(child.waitFor(180, TimeUnit.SECONDS), "predict did not finish in 180 s");
        String out = Files.readString(log);
        assertEquals(0, child.exitValue(), out);
        assertTrue(!out.contains("OutOfMemoryError"), out);
        for (String f : files) {
            assertTrue(out.contains(f), f + " is not in the output:\n" + out);
        }
        assertEquals(FILES, out.lines().filter(l -> l.matches("\\s+\\d+\\.\\d+%.*")).count(), out);
    }
}
