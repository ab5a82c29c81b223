package org.inceptionj.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The committed PTX: what the driver will be given (NUL-terminated, PTX ISA 7.0, sm_75, the listed
 * kernels) and that it is up to date with {@code src/main/cuda} (by the source hash in its header
 * always; by recompiling when nvcc is on the PATH).
 */
class PtxResourcesTest {
    private static final Path CUDA_SOURCES = Path.of("src/main/cuda");
    private static final Pattern HASH = Pattern.compile("^// sources-sha256: ([0-9a-f]{64})$", Pattern.MULTILINE);

    private static String text(PtxModules m) {
        byte[] b = m.ptxWithNul();
        return new String(b, 0, b.length - 1, StandardCharsets.US_ASCII);
    }

    @Test
    void eachModuleIsNulTerminatedPtx70ForSm75WithItsKernels() {
        for (PtxModules m : PtxModules.values()) {
            byte[] b = m.ptxWithNul();
            assertEquals(0, b[b.length - 1], m + ": the terminating NUL");
            String t = text(m);
            assertTrue(t.contains("\n.version 7.0\n"), m + ": .version 7.0");
            assertTrue(t.contains("\n.target sm_75\n"), m + ": .target sm_75");
            assertTrue(t.contains("\n.address_size 64\n"), m + ": .address_size 64");
            Set<String> entries = new TreeSet<>();
            Matcher e = Pattern.compile("^\\.visible \\.entry (\\w+)\\(", Pattern.MULTILINE).matcher(t);
            while (e.find()) {
                entries.add(e.group(1));
            }
            assertEquals(new TreeSet<>(m.kernels()), entries, m + ": kernels");
        }
    }

    /** SHA-256 of NAME.cu followed by every *.cuh in name order, as build-ptx.sh computes it. */
    private static String sourceHash(String name) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        md.update(Files.readAllBytes(CUDA_SOURCES.resolve(name + ".cu")));
        List<Path> headers;
        try (Stream<Path> s = Files.list(CUDA_SOURCES)) {
            headers = new ArrayList<>(s.filter(p -> p.toString().endsWith(".cuh")).toList());
        }
        headers.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
        for (Path h : headers) {
            md.update(Files.readAllBytes(h));
        }
        return HexFormat.of().formatHex(md.digest());
    }

    @Test
    void theCommittedPtxIsMadeFromTheCurrentSources() throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(CUDA_SOURCES), "CUDA sources not at hand (run from gpu-backend/)");
        Set<String> sources = new TreeSet<>();
        try (Stream<Path> s = Files.list(CUDA_SOURCES)) {
            s.filter(p -> p.toString().endsWith(".cu")).forEach(p -> sources.add(p.getFileName().toString()
                    .replace(".cu", "")));
        }
        Set<String> modules = new TreeSet<>();
        for (PtxModules m : PtxModules.values()) {
            modules.add(m.fileName());
            Matcher h = HASH.matcher(text(m));
            assertTrue(h.find(), m + ": no sources-sha256 header");
            assertEquals(sourceHash(m.fileName()), h.group(1), m.fileName() + ".ptx is older than its sources:"
                    + " run gpu-backend/tools/build-ptx.sh and commit the PTX");
        }
        assertEquals(sources, modules, "every .cu file is a PtxModules entry and the other way round");
    }

    @Test
    void recompilingGivesTheCommittedPtx(@TempDir Path out) throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(CUDA_SOURCES), "CUDA sources not at hand (run from gpu-backend/)");
        String nvccVersion = run(List.of(System.getenv().getOrDefault("NVCC", "nvcc"), "--version"));
        Assumptions.assumeTrue(nvccVersion != null, "nvcc not on the PATH (set NVCC=...): the source hashes are still checked");
        Matcher release = Pattern.compile("release [0-9.]+, V[0-9.]+").matcher(nvccVersion);
        Assumptions.assumeTrue(release.find(), "cannot read nvcc's version: " + nvccVersion);
        String committed = text(PtxModules.LOSS);
        Assumptions.assumeTrue(committed.contains(release.group()), "the committed PTX was made by another nvcc than "
                + release.group() + "; its source hashes are checked instead");
        String log = run(List.of("bash", "tools/build-ptx.sh", out.toString()));
        assertTrue(log != null, "tools/build-ptx.sh failed");
        for (PtxModules m : PtxModules.values()) {
            byte[] fresh = Files.readAllBytes(out.resolve(m.fileName() + ".ptx"));
            byte[] b = m.ptxWithNul();
            assertArrayEquals(java.util.Arrays.copyOf(b, b.length - 1), fresh, m.fileName()
                    + ".ptx differs from a fresh build: run gpu-backend/tools/build-ptx.sh and commit the PTX");
        }
    }

    /** stdout+stderr of a command that exits 0 within 5 minutes, else null. */
    private static String run(List<String> command) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            return null;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        p.getInputStream().transferTo(bytes);
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            System.out.println(command + " failed:\n" + bytes);
            return null;
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
