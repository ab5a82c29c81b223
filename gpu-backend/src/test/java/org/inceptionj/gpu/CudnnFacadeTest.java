package org.inceptionj.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.constantpool.ClassEntry;
import java.lang.classfile.constantpool.MemberRefEntry;
import java.lang.classfile.constantpool.PoolEntry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The facade rule ({@link Cudnn}): only Cudnn and its nested classes touch {@code jcuda.jcudnn}, and
 * none of the JCudnn functions it calls is one that cuDNN 9 removed. Read from the compiled classes
 * (the constant pools: every class and method a class refers to) and, where the sources are at
 * hand, from the sources too (constants such as {@code cudnnDataType.CUDNN_DATA_FLOAT} are inlined
 * and leave no trace in the bytecode).
 */
class CudnnFacadeTest {

    private static Path mainClasses() throws Exception {
        return Path.of(Cudnn.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    private static boolean isFacade(String internalName) {
        return internalName.equals("org/inceptionj/gpu/Cudnn") || internalName.startsWith("org/inceptionj/gpu/Cudnn$");
    }

    private static List<ClassModel> classesOfThisModule() throws Exception {
        Path root = mainClasses();
        List<ClassModel> out = new ArrayList<>();
        if (Files.isDirectory(root)) {
            try (Stream<Path> s = Files.walk(root)) {
                for (Path p : s.filter(f -> f.toString().endsWith(".class")).toList()) {
                    out.add(ClassFile.of().parse(Files.readAllBytes(p)));
                }
            }
        } else {   // a jar (the GPU bundle)
            try (java.util.jar.JarFile jar = new java.util.jar.JarFile(root.toFile())) {
                for (var e : java.util.Collections.list(jar.entries())) {
                    if (e.getName().endsWith(".class") && !e.getName().startsWith("META-INF")) {
                        try (InputStream in = jar.getInputStream(e)) {
                            out.add(ClassFile.of().parse(in.readAllBytes()));
                        }
                    }
                }
            }
        }
        assertTrue(out.size() > 5, "classes found under " + root);
        return out;
    }

    @Test
    void noClassButTheFacadeRefersToJCudnn() throws Exception {
        List<String> offenders = new ArrayList<>();
        boolean facadeSeen = false;
        for (ClassModel c : classesOfThisModule()) {
            String name = c.thisClass().asInternalName();
            boolean refers = false;
            for (PoolEntry e : c.constantPool()) {
                if (e instanceof ClassEntry ce && ce.asInternalName().startsWith("jcuda/jcudnn/")) {
                    refers = true;
                }
            }
            if (refers && !isFacade(name)) {
                offenders.add(name);
            }
            facadeSeen |= refers && isFacade(name);
        }
        assertTrue(facadeSeen, "the facade itself refers to jcuda.jcudnn");
        assertEquals(List.of(), offenders, "classes other than Cudnn that refer to jcuda.jcudnn");
    }

    @Test
    void noSourceButTheFacadeImportsJCudnn() throws Exception {
        Path src = Path.of("src/main/java/org/inceptionj/gpu");
        Assumptions.assumeTrue(Files.isDirectory(src), "sources not at hand (run from the gpu-backend module directory)");
        List<String> offenders = new ArrayList<>();
        try (Stream<Path> s = Files.walk(src)) {
            for (Path p : s.filter(f -> f.toString().endsWith(".java")).toList()) {
                String text = Files.readString(p, StandardCharsets.UTF_8);
                if (text.contains("jcuda.jcudnn") && !p.getFileName().toString().equals("Cudnn.java")) {
                    offenders.add(p.getFileName().toString());
                }
            }
        }
        assertEquals(List.of(), offenders, "sources other than Cudnn.java that mention jcuda.jcudnn");
    }

    /** The JCudnn methods the facade calls that reach a cuDNN function (named cudnn*). */
    static Set<String> cudnnFunctionsCalled() throws Exception {
        Set<String> called = new TreeSet<>();
        for (ClassModel c : classesOfThisModule()) {
            if (!isFacade(c.thisClass().asInternalName())) {
                continue;
            }
            for (PoolEntry e : c.constantPool()) {
                if (e instanceof MemberRefEntry m && m.owner().asInternalName().equals("jcuda/jcudnn/JCudnn")
                        && m.name().stringValue().startsWith("cudnn")) {
                    called.add(m.name().stringValue());
                }
            }
        }
        return called;
    }

    static Set<String> removedInCudnn9() throws IOException {
        Set<String> removed = new TreeSet<>();
        try (InputStream in = CudnnFacadeTest.class.getResourceAsStream("cudnn9-removed-functions.txt")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    removed.add(line.trim());
                }
            }
        }
        return removed;
    }

    @Test
    void theFacadeCallsNoFunctionThatCudnn9Removed() throws Exception {
        Set<String> removed = removedInCudnn9();
        assertEquals(54, removed.size());
        Set<String> called = cudnnFunctionsCalled();
        assertTrue(called.contains("cudnnConvolutionForward") && called.contains("cudnnGetErrorString"), called.toString());
        Set<String> bad = new TreeSet<>(called);
        bad.retainAll(removed);
        assertEquals(Set.of(), bad, "removed in cuDNN 9, called by Cudnn");
        System.out.println("Cudnn calls " + called.size() + " cuDNN functions: " + called);
    }

    @Test
    void everyFunctionTheFacadeCallsIsExportedByCudnn9() throws Exception {
        Path lib = GpuHosts.cudnn9OrNull();
        Assumptions.assumeTrue(lib != null, "needs libcudnn.so.9 (set INCEPTIONJ_CUDNN_PATH=DIR)");
        Set<String> exported = new TreeSet<>(Elf.parse(Files.readAllBytes(lib)).exportedSymbols());
        Set<String> missing = new TreeSet<>(cudnnFunctionsCalled());
        missing.removeAll(exported);
        assertEquals(Set.of(), missing, "called by Cudnn, not exported by " + lib);
        assertFalse(exported.contains("cudnnRNNForwardInference"), "the removed legacy RNN API");
    }
}
