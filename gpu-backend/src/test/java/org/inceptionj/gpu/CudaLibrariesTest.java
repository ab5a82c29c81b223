package org.inceptionj.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import org.inceptionj.api.BackendUnavailableException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Finding cuDNN and the private copies; no cuDNN, driver or GPU needed. */
class CudaLibrariesTest {

    @TempDir
    Path tmp;

    private Path dirWith(String dir, String... files) throws Exception {
        Path d = Files.createDirectories(tmp.resolve(dir));
        for (String f : files) {
            Files.createFile(d.resolve(f));
        }
        return d;
    }

    private static List<Path> none() {
        return List.of();
    }

    @Test
    void theExplicitDirectoryWinsAndIsTheOnlyPlaceLookedAt() throws Exception {
        Path d = dirWith("cudnn", "libcudnn.so.9");
        CudaLibraries.CudnnLocation loc = CudaLibraries.locateCudnn(d.toString(), null, null, CudaLibrariesTest::none);
        assertEquals(d.resolve("libcudnn.so.9"), loc.library());
        assertEquals(9, loc.major());
        assertTrue(loc.how().contains("-Dinceptionj.cudnn.path"), loc.how());

        Path empty = dirWith("empty");
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> CudaLibraries.locateCudnn(empty.toString(), null, d.toString(), CudaLibrariesTest::none));
        assertTrue(e.getMessage().startsWith("-Dinceptionj.cudnn.path=" + empty + " names no cuDNN"), e.getMessage());
    }

    @Test
    void theEnvironmentVariableIsUsedWhenThePropertyIsNot() throws Exception {
        Path d = dirWith("cudnn8", "libcudnn.so.8");
        CudaLibraries.CudnnLocation loc = CudaLibraries.locateCudnn(" ", d.toString(), null, CudaLibrariesTest::none);
        assertEquals(8, loc.major());
        assertTrue(loc.how().startsWith("INCEPTIONJ_CUDNN_PATH"), loc.how());
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> CudaLibraries.locateCudnn(null, tmp.resolve("nowhere").toString(), null, CudaLibrariesTest::none));
        assertTrue(e.getMessage().startsWith("INCEPTIONJ_CUDNN_PATH="), e.getMessage());
    }

    @Test
    void anExplicitFileIsTakenAsIs() throws Exception {
        Path d = dirWith("lib", "libcudnn.so.9.24.0");
        CudaLibraries.CudnnLocation loc = CudaLibraries.locateCudnn(d.resolve("libcudnn.so.9.24.0").toString(), null,
                null, CudaLibrariesTest::none);
        assertEquals(9, loc.major());
        assertEquals(d.resolve("libcudnn.so.9.24.0"), loc.library());
    }

    @Test
    void version9IsPreferredWithinADirectoryAndTheFirstDirectoryWins() throws Exception {
        Path both = dirWith("both", "libcudnn.so.8", "libcudnn.so.9");
        Path only8 = dirWith("only8", "libcudnn.so.8");
        assertEquals(9, CudaLibraries.findIn(List.of(both), "t").orElseThrow().major());
        assertEquals(only8.resolve("libcudnn.so.8"),
                CudaLibraries.findIn(List.of(tmp.resolve("missing"), only8, both), "t").orElseThrow().library());
        assertTrue(CudaLibraries.findIn(List.of(tmp), "t").isEmpty());
    }

    @Test
    void ldLibraryPathComesBeforeTheSystemDirectories() throws Exception {
        List<Path> dirs = CudaLibraries.libraryDirs("/opt/a::/opt/b");
        assertEquals(Path.of("/opt/a"), dirs.get(0));
        assertEquals(Path.of("/opt/b"), dirs.get(1));
        assertTrue(dirs.contains(Path.of("/usr/lib/x86_64-linux-gnu")));
        assertTrue(dirs.contains(Path.of("/usr/local/cuda/lib64")));
    }

    @Test
    void pythonSitePackagesAreSearchedLast() throws Exception {
        Path site = Files.createDirectories(tmp.resolve("venv/lib/python3.12/site-packages"));
        Files.createDirectories(site.resolve("nvidia/cudnn/lib"));
        Files.createFile(site.resolve("nvidia/cudnn/lib/libcudnn.so.9"));
        assertEquals(List.of(site), CudaLibraries.sitePackagesUnder(tmp.resolve("venv")));

        // an empty LD_LIBRARY_PATH entry and no cuDNN in the system directories of this host are assumed
        assumeTrue(CudaLibraries.findIn(CudaLibraries.libraryDirs(null), "system").isEmpty(),
                "this host has cuDNN in a system directory, which is found first");
        CudaLibraries.CudnnLocation loc = CudaLibraries.locateCudnn(null, null, null, () -> List.of(site));
        assertEquals(site.resolve("nvidia/cudnn/lib/libcudnn.so.9"), loc.library());
        assertTrue(loc.how().startsWith("Python site-packages"), loc.how());
    }

    @Test
    void nothingFoundNamesThePlacesAndWhatToSet() {
        assumeTrue(CudaLibraries.findIn(CudaLibraries.libraryDirs(null), "system").isEmpty(),
                "this host has cuDNN in a system directory");
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> CudaLibraries.locateCudnn(null, null, null, () -> List.of(tmp)));
        String m = e.getMessage();
        assertTrue(m.startsWith("cuDNN was not found: no libcudnn.so.9 or libcudnn.so.8 in ["), m);
        assertTrue(m.contains("/usr/local/cuda/lib64"), m);
        assertTrue(m.contains(tmp.resolve("nvidia/cudnn/lib").toString()), m);
        assertTrue(m.contains("-Dinceptionj.cudnn.path=DIR or INCEPTIONJ_CUDNN_PATH=DIR"), m);
    }

    @Test
    void nativeCopiesGoToAPrivateDirectory() throws Exception {
        Path dir = CudaLibraries.nativeDir();
        assertNotEquals(Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath(), dir.toAbsolutePath());
        assertTrue(dir.getFileName().toString().startsWith("inceptionj-cuda-"), dir.toString());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        Path copy = CudaLibraries.extract(CudaLibraries.JCUDA_DRIVER_LIB);
        assertEquals(dir, copy.getParent());
        try (InputStream in = CudaLibraries.class.getResourceAsStream("/lib/" + CudaLibraries.JCUDA_DRIVER_LIB)) {
            assertArrayEquals(in.readAllBytes(), Files.readAllBytes(copy));
        }
        assertEquals(copy, CudaLibraries.extract(CudaLibraries.JCUDA_DRIVER_LIB));   // once per JVM
    }

    @Test
    void facadeCallsLoadThroughThePrivateDirectoryFirst() {
        // Were JCudaDriver or JCudnn first touched by a plain call, JCuda's own loader would copy its
        // library to the shared java.io.tmpdir. The facades load through CudaLibraries instead.
        boolean driverInstalled = CudaLibraries.libraryDirs(System.getenv("LD_LIBRARY_PATH")).stream()
                .anyMatch(d -> Files.exists(d.resolve("libcuda.so.1")));
        if (!driverInstalled) {
            BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> CudaDriver.memAlloc(16));
            assertTrue(e.getMessage().startsWith("no NVIDIA driver (libcuda.so.1) found"), e.getMessage());
        }
        boolean cudnnFound;
        try {
            CudaLibraries.locateCudnn();
            cudnnFound = true;
        } catch (BackendUnavailableException e) {
            cudnnFound = false;
        }
        if (cudnnFound) {
            try (Cudnn.TensorDesc t = Cudnn.TensorDesc.nchw("t", 1, 2, 3, 4)) {
                assertEquals("t [1,2,3,4]", t.toString());
            }
        } else {
            BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                    () -> Cudnn.TensorDesc.nchw("t", 1, 2, 3, 4));
            assertTrue(e.getMessage().startsWith("cuDNN was not found"), e.getMessage());
        }
        assertTrue(!Files.exists(Path.of(System.getProperty("java.io.tmpdir"), CudaLibraries.JCUDA_DRIVER_LIB))
                || driverInstalled, "JCuda's loader copied a library to java.io.tmpdir");
    }

    @Test
    void withoutADriverLoadingSaysSo() {
        boolean driverInstalled = CudaLibraries.libraryDirs(System.getenv("LD_LIBRARY_PATH")).stream()
                .anyMatch(d -> Files.exists(d.resolve("libcuda.so.1")));
        assumeTrue(!driverInstalled, "this host has an NVIDIA driver (libcuda.so.1)");
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, CudaLibraries::loadDriver);
        String m = e.getMessage();
        assertTrue(m.startsWith("no NVIDIA driver (libcuda.so.1) found: "), m);
        assertTrue(m.contains("libcuda.so.1: cannot open shared object file"), m);
        assertTrue(m.contains("Install the NVIDIA driver"), m);
    }
}
