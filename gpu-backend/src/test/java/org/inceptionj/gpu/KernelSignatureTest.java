package org.inceptionj.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * Every kernel launch in the Java sources (CudaBackend, TensorListUpdates, CudaPeak) passes the parameters its PTX entry declares: the same
 * count, and each of the matching kind ({@code KernelArgs.ptr}/{@code i64} for {@code .u64},
 * {@code i32} for {@code .u32}, {@code f32}/{@code f64}, {@code dims} for the 32-byte {@code Dims}
 * struct, {@code ints} for another struct). A launch with one argument too few or of the wrong size
 * compiles and reads garbage on the GPU; this finds it without one, from the sources and the PTX.
 */
class KernelSignatureTest {
    private static final Path JAVA = Path.of("src/main/java/org/inceptionj/gpu");
    private static final Pattern LAUNCH = Pattern.compile("PtxModules\\.(\\w+), \"(\\w+)\"");
    // a call of the KernelArgs chain (after ")" or a line break), not Class.ptr(...) inside an argument
    private static final Pattern ARG = Pattern.compile("(?<=[)\\s])\\.(ptr|i32|i64|f32|f64|ints|dims)\\(");
    private static final Pattern ENTRY = Pattern.compile("\\.entry (\\w+)\\(([^)]*)\\)");
    private static final Pattern PARAM = Pattern.compile("\\.param (?:\\.align \\d+ )?\\.(\\w+) \\w+?(\\[(\\d+)])?\\s*(,|$)");

    /** Kernel name → the kinds of its parameters, as the Java side names them (u64, u32, f32, f64, b8[N]). */
    private static Map<String, List<String>> ptxSignatures(PtxModules m) {
        String ptx = new String(m.ptxWithNul(), StandardCharsets.US_ASCII);
        Map<String, List<String>> sig = new HashMap<>();
        Matcher e = ENTRY.matcher(ptx);
        while (e.find()) {
            List<String> kinds = new ArrayList<>();
            for (String p : e.group(2).split(",")) {
                String t = p.trim();
                if (t.isEmpty()) {
                    continue;
                }
                Matcher pm = PARAM.matcher(t);
                assertTrue(pm.find(), "PTX parameter " + t);
                kinds.add(pm.group(3) == null ? pm.group(1) : "b8[" + pm.group(3) + "]");
            }
            sig.put(e.group(1), kinds);
        }
        return sig;
    }

    private static boolean matches(String java, String ptx) {
        return switch (java) {
            case "ptr", "i64" -> ptx.equals("u64") || ptx.equals("s64");
            case "i32" -> ptx.equals("u32") || ptx.equals("s32");
            case "f32" -> ptx.equals("f32");
            case "f64" -> ptx.equals("f64");
            case "dims" -> ptx.equals("b8[32]");
            case "ints" -> ptx.startsWith("b8[");
            default -> false;
        };
    }

    @Test
    void everyLaunchPassesWhatTheKernelDeclares() throws IOException {
        int launches = 0;
        List<String> problems = new ArrayList<>();
        for (String file : List.of("CudaBackend.java", "TensorListUpdates.java", "CudaPeak.java")) {
            String src = Files.readString(JAVA.resolve(file), StandardCharsets.UTF_8);
            Matcher l = LAUNCH.matcher(src);
            while (l.find()) {
                PtxModules module = PtxModules.valueOf(l.group(1));
                String kernel = l.group(2);
                int args = src.indexOf("new KernelArgs()", l.end());
                int end = src.indexOf(';', args);
                if (args < 0 || src.substring(l.end(), args).contains(";")) {
                    continue;   // a lookup without a launch in the same statement
                }
                List<String> passed = new ArrayList<>();
                Matcher a = ARG.matcher(src.substring(args, end));
                while (a.find()) {
                    passed.add(a.group(1));
                }
                List<String> declared = ptxSignatures(module).get(kernel);
                String where = file + ": " + module + "/" + kernel + " passes " + passed + ", PTX declares " + declared;
                if (declared == null) {
                    problems.add(where + " (no such entry)");
                } else if (declared.size() != passed.size()) {
                    problems.add(where + " (count)");
                } else {
                    for (int i = 0; i < passed.size(); i++) {
                        if (!matches(passed.get(i), declared.get(i))) {
                            problems.add(where + " (parameter " + i + ")");
                        }
                    }
                }
                launches++;
            }
        }
        assertEquals(List.of(), problems);
        assertTrue(launches >= 30, "found " + launches + " launches");
        System.out.println("KernelSignatureTest: " + launches + " launches checked against the PTX");
    }
}
