package org.inceptionj.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The own CUDA kernels run on the CPU, without a GPU: each harness in {@code src/test/cuda-host}
 * includes kernel sources from {@code src/main/cuda} with {@code cuda_host.h} (blocks of std::threads,
 * {@code __syncthreads} a barrier, the {@code _rn} intrinsics plain IEEE operations), is compiled by
 * g++ and checks the kernels' results against direct loops: index arithmetic (broadcasting, reductions
 * over axis sets, pooling windows and their gather backward, concat/slice, the optimizers' pointer
 * tables) and formulas (Java's max/min, the optimizers' bits). What it cannot show is how nvcc compiles
 * and the driver runs them: that is the GPU's part (GpuSmokeTest, the conformance suites).
 * Skipped, with the reason, where g++ (C++20) is missing.
 */
class KernelHostEmulationTest {
    private static final Path CUDA = Path.of("src/main/cuda");
    private static final Path HARNESS = Path.of("src/test/cuda-host");

    @TestFactory
    Stream<DynamicTest> everyHarnessPasses() throws IOException {
        Assumptions.assumeTrue(Files.isDirectory(HARNESS), "no " + HARNESS.toAbsolutePath());
        Assumptions.assumeTrue(gxx(), "needs g++ with C++20 on the PATH to run the kernels on the CPU");
        Path work = Files.createTempDirectory("inceptionj-cuda-host");
        // dynamic shared memory has no host spelling: the one declaration the kernels use is rewritten
        try (Stream<Path> cu = Files.list(CUDA)) {
            for (Path f : cu.filter(p -> p.toString().endsWith(".cu")).toList()) {
                String text = Files.readString(f, StandardCharsets.UTF_8);
                Files.writeString(work.resolve(f.getFileName()),
                        text.replace("extern __shared__ double s[];", "double* s = host_shared<double>();"));
            }
        }
        List<Path> harnesses;
        try (Stream<Path> s = Files.list(HARNESS)) {
            harnesses = s.filter(p -> p.toString().endsWith("_test.cpp")).sorted().toList();
        }
        assertTrue(harnesses.size() >= 4, "harnesses: " + harnesses);
        return harnesses.stream().map(h -> DynamicTest.dynamicTest(h.getFileName().toString(), () -> run(work, h)));
    }

    private static void run(Path work, Path harness) throws IOException, InterruptedException {
        String name = harness.getFileName().toString().replace(".cpp", "");
        Path exe = work.resolve(name);
        List<String> compile = new ArrayList<>(List.of("g++", "-std=c++20", "-O1", "-ffp-contract=off", "-pthread",
                "-I" + work, "-I" + CUDA.toAbsolutePath(), "-include", HARNESS.resolve("cuda_host.h").toAbsolutePath()
                        .toString(), "-o", exe.toString(), harness.toAbsolutePath().toString()));
        String out = exec(compile, 180);
        assertTrue(Files.isExecutable(exe), "g++ failed for " + harness + ":\n" + out);
        String result = exec(List.of(exe.toString()), 120);
        System.out.print(result);
        assertTrue(result.contains(": ok"), harness + ":\n" + result);
    }

    private static String exec(List<String> cmd, int seconds) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] bytes = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(seconds, TimeUnit.SECONDS), "timed out: " + cmd);
        String text = new String(bytes, StandardCharsets.UTF_8);
        if (cmd.get(0).equals("g++")) {
            assertEquals(0, p.exitValue(), "g++ failed:\n" + text);
        } else {
            assertEquals(0, p.exitValue(), cmd + " failed:\n" + text);
        }
        return text;
    }

    private static boolean gxx() {
        try {
            Process p = new ProcessBuilder("g++", "-std=c++20", "-x", "c++", "-fsyntax-only", "-")
                    .redirectErrorStream(true).start();
            p.getOutputStream().write("#include <barrier>\nint main() {}\n".getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
